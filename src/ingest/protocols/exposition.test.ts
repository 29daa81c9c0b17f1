import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExposition, parseSampleValue, type ExpositionResult, type ParsedExposition } from './exposition.js';

function ok(r: ExpositionResult): ParsedExposition {
  assert.ok(r.ok, r.ok ? '' : `line ${r.line}: ${r.message}`);
  return r;
}

function fails(r: ExpositionResult, line: number, message: RegExp): void {
  assert.equal(r.ok, false, 'the body is refused');
  if (r.ok) return;
  assert.equal(r.line, line, r.message);
  assert.match(r.message, message);
}

describe('Prometheus text format', () => {
  test('help, type, labels, timestamps and every value spelling', () => {
    const body = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# A comment',
      'metric_without_timestamp_and_labels 12.47',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.99"} 1e+06',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'rpc_duration_seconds_count 2693',
      'exp{a="b"} -3.5E-2',
      'plus +7',
      'dot .5',
      '\tindented 1',
      'spaced {a="b"} 2',
      'trailing_comma{a="b",} 3  ',
      'empty_value{a="",b="x"} 4',
      'neg_ts 5 -1',
    ].join('\n');
    const r = ok(parseExposition(body, 'text'));
    assert.deepEqual(r.items, [
      { key: 'http_requests_total', value: 1027, timestamp: 1395066363000, dimensions: { method: 'post', code: '200' } },
      { key: 'http_requests_total', value: 3, timestamp: 1395066363000, dimensions: { method: 'post', code: '400' } },
      { key: 'metric_without_timestamp_and_labels', value: 12.47, dimensions: {} },
      { key: 'rpc_duration_seconds', value: 1e6, dimensions: { quantile: '0.99' } },
      { key: 'rpc_duration_seconds_sum', value: 1.7560473e7, dimensions: {} },
      { key: 'rpc_duration_seconds_count', value: 2693, dimensions: {} },
      { key: 'exp', value: -0.035, dimensions: { a: 'b' } },
      { key: 'plus', value: 7, dimensions: {} },
      { key: 'dot', value: 0.5, dimensions: {} },
      { key: 'indented', value: 1, dimensions: {} },
      { key: 'spaced', value: 2, dimensions: { a: 'b' } },
      { key: 'trailing_comma', value: 3, dimensions: { a: 'b' } },
      { key: 'empty_value', value: 4, dimensions: { b: 'x' } },
      { key: 'neg_ts', value: 5, timestamp: -1, dimensions: {} },
    ]);
    assert.deepEqual(r.lines, [3, 4, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.equal(r.samples, 14);
  });

  test('label value escapes: \\\\, \\" and \\n; other escapes are kept as written; # inside a value', () => {
    const r = ok(parseExposition('msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\"",odd="a\\tb",hash="x # y"} 1.458255915e9\n', 'text'));
    assert.deepEqual(r.items[0]!.dimensions, { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"', odd: 'a\\tb', hash: 'x # y' });
    assert.equal(r.items[0]!.value, 1458255915);
  });

  test('NaN and ±Inf are counted, not stored; a +Inf label is a label', () => {
    const body = 'a NaN\nb +Inf\nc -Inf\nd nan\ne Inf\nh_bucket{le="+Inf"} 3\n';
    const r = ok(parseExposition(body, 'text'));
    assert.deepEqual(r.items, [{ key: 'h_bucket', value: 3, dimensions: { le: '+Inf' } }]);
    assert.equal(r.nonFinite, 5);
    assert.equal(r.samples, 6);
  });

  test('histograms keep their suffixes as keys', () => {
    const body = ['# TYPE h histogram', 'h_bucket{le="0.5"} 1', 'h_bucket{le="+Inf"} 2', 'h_sum 0.7', 'h_count 2'].join('\n');
    assert.deepEqual(ok(parseExposition(body, 'text')).items.map((i) => i.key), ['h_bucket', 'h_bucket', 'h_sum', 'h_count']);
  });

  test('CRLF line ends are read; a __proto__ label stays a label', () => {
    const r = ok(parseExposition('a{__proto__="x"} 1\r\nb 2\r\n', 'text'));
    assert.deepEqual(Object.entries(r.items[0]!.dimensions), [['__proto__', 'x']]);
    assert.equal(Object.getPrototypeOf(r.items[0]!.dimensions), Object.prototype);
    assert.equal(r.items[1]!.value, 2);
  });

  test('Prometheus 3 quoted UTF-8 names and labels', () => {
    const r = ok(parseExposition('# TYPE "my.metric" gauge\n{"my.metric", "service.name"="api", code="200"} 5\n{__name__="via_label", a="b"} 6\n', 'text'));
    assert.deepEqual(r.items, [
      { key: 'my.metric', value: 5, dimensions: { 'service.name': 'api', code: '200' } },
      { key: 'via_label', value: 6, dimensions: { a: 'b' } },
    ]);
  });

  test('_created samples are ordinary series in the text format', () => {
    const r = ok(parseExposition('# TYPE c counter\nc_total 1\nc_created 1700000000\n', 'text'));
    assert.deepEqual(r.items.map((i) => i.key), ['c_total', 'c_created']);
  });

  test('malformed lines are refused with their line number', () => {
    const cases: [string, number, RegExp][] = [
      ['ok 1\nbad line here\n', 2, /invalid value "line" of sample "bad"/],
      ['ok 1\n9metric 1\n', 2, /invalid metric name/],
      ['a{b="c" 1\n', 1, /expected "," or "}"/],
      ['a{b="c 1\n', 1, /unterminated quoted value of label "b"/],
      ['a{b=c} 1\n', 1, /expected a quoted value/],
      ['a{b="1",b="2"} 1\n', 1, /label "b" appears twice/],
      ['a{1b="1"} 1\n', 1, /invalid label name/],
      ['a{b:c="1"} 1\n', 1, /expected "=" after label "b"/],
      ['a\n', 1, /sample "a" has no value/],
      ['a 0x10\n', 1, /invalid value "0x10"/],
      ['a 1 1.5\n', 1, /integer milliseconds/],
      ['a 1 2 3\n', 1, /unexpected text after the value/],
      ['a 1 # {x="y"} 1\n', 1, /unexpected text after the value/],
      ['a{b="c"}1\n', 1, /expected a blank before the value/],
      ['# TYPE a gaugehistogram\n', 1, /unknown type "gaugehistogram"/],
      ['# TYPE a counter\n# TYPE a counter\n', 2, /second TYPE line/],
      ['# TYPE\n', 1, /# TYPE needs a metric name/],
      ['{a="b"} 1\n', 1, /no metric name/],
      ['{"x", "y"} 1\n', 1, /given twice/],
      ['<html>\n', 1, /invalid metric name/],
    ];
    for (const [body, line, message] of cases) fails(parseExposition(body, 'text'), line, message);
  });

  test('the sample limit refuses a body with more samples', () => {
    fails(parseExposition('a 1\nb 2\nc 3\n', 'text', { maxSamples: 2 }), 3, /more than 2 samples/);
    assert.equal(ok(parseExposition('a 1\nb 2\n', 'text', { maxSamples: 2 })).items.length, 2);
  });

  test('an empty body is no samples', () => {
    const r = ok(parseExposition('', 'text'));
    assert.deepEqual([r.items, r.samples], [[], 0]);
  });
});

describe('OpenMetrics', () => {
  test('units, seconds timestamps, _created skipped, exemplars ignored, # EOF required', () => {
    const body = [
      '# TYPE acme_http_router_request_seconds summary',
      '# UNIT acme_http_router_request_seconds seconds',
      '# HELP acme_http_router_request_seconds Latency though all of ACME\'s HTTP request router.',
      'acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32',
      'acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0',
      'acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0',
      '# TYPE foo counter',
      'foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67',
      'foo_created 1520430000.123',
      '# TYPE hist histogram',
      'hist_bucket{le="0.01"} 0 # {trace_id="a"} 0.005 1520879607.0',
      'hist_bucket{le="+Inf"} 17',
      'hist_count 17',
      'hist_sum 324789.3',
      'hist_created 1520430000.123',
      '# TYPE g gauge',
      'g_created 5',
      '# TYPE s stateset',
      's{s="a"} 1',
      's{s="b"} 0',
      '# TYPE i info',
      'i_info{version="1.2"} 1',
      '# TYPE u unknown',
      'u NaN',
      '# EOF',
    ].join('\n');
    const r = ok(parseExposition(`${body}\n`, 'openmetrics'));
    assert.deepEqual(r.items, [
      { key: 'acme_http_router_request_seconds_sum', value: 9036.32, dimensions: { path: '/api/v1', method: 'GET' } },
      { key: 'acme_http_router_request_seconds_count', value: 807283, dimensions: { path: '/api/v1', method: 'GET' } },
      { key: 'foo_total', value: 17, timestamp: 1520879607789, dimensions: {} },
      { key: 'hist_bucket', value: 0, dimensions: { le: '0.01' } },
      { key: 'hist_bucket', value: 17, dimensions: { le: '+Inf' } },
      { key: 'hist_count', value: 17, dimensions: {} },
      { key: 'hist_sum', value: 324789.3, dimensions: {} },
      // A gauge's `_created` is its own gauge, not a creation time.
      { key: 'g_created', value: 5, dimensions: {} },
      { key: 's', value: 1, dimensions: { s: 'a' } },
      { key: 's', value: 0, dimensions: { s: 'b' } },
      { key: 'i_info', value: 1, dimensions: { version: '1.2' } },
    ]);
    assert.deepEqual([r.samples, r.created, r.nonFinite], [15, 3, 1]);
    // Without the final newline too.
    assert.equal(ok(parseExposition(body, 'openmetrics')).items.length, 11);
  });

  test('a body without # EOF is truncated and refused; text after it too', () => {
    fails(parseExposition('# TYPE a gauge\na 1\n', 'openmetrics'), 3, /does not end with "# EOF": it is truncated/);
    fails(parseExposition('', 'openmetrics'), 1, /truncated/);
    fails(parseExposition('a 1\n# EOF\nb 2\n', 'openmetrics'), 3, /text after "# EOF"/);
    fails(parseExposition('a 1\n#  EOF  \n', 'openmetrics'), 2, /must be alone/);
  });

  test('OpenMetrics types and timestamps are checked', () => {
    fails(parseExposition('# TYPE a untyped\n# EOF\n', 'openmetrics'), 1, /unknown type "untyped"/);
    fails(parseExposition('a 1 12abc\n# EOF\n', 'openmetrics'), 1, /OpenMetrics timestamps are seconds/);
    assert.equal(ok(parseExposition('a 1 1.5e9\n# EOF\n', 'openmetrics')).items[0]!.timestamp, 1.5e12);
  });

  test('quoted UTF-8 names (OpenMetrics 2)', () => {
    const r = ok(parseExposition('# TYPE "my.counter" counter\n{"my.counter_total","a.b"="c"} 3\n{"my.counter_created"} 17\n# EOF\n', 'openmetrics'));
    assert.deepEqual(r.items, [{ key: 'my.counter_total', value: 3, dimensions: { 'a.b': 'c' } }]);
    assert.equal(r.created, 1);
  });
});

test('parseSampleValue reads what Go ParseFloat reads for these formats', () => {
  const cases: [string, number | undefined][] = [
    ['1', 1],
    ['-0', -0],
    ['1e+06', 1e6],
    ['1E-3', 0.001],
    ['+.5', 0.5],
    ['5.', 5],
    ['NaN', NaN],
    ['+Inf', Infinity],
    ['-inf', -Infinity],
    ['Infinity', Infinity],
    ['', undefined],
    ['1_000', undefined],
    ['0x1p-2', undefined],
    ['1e', undefined],
    ['e5', undefined],
    ['--1', undefined],
  ];
  for (const [s, v] of cases) assert.deepEqual(parseSampleValue(s), v, s);
});
