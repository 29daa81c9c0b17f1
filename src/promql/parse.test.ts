import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Expr } from './ast.js';
import { parseQuery, parseSeriesSelector } from './parse.js';
import { PromQLError, type LabelMatcher } from './types.js';

function refusal(query: string): PromQLError {
  try {
    parseQuery(query);
  } catch (e) {
    assert.ok(e instanceof PromQLError, `${query}: ${String(e)}`);
    assert.equal(e.type, 'bad_data', query);
    return e;
  }
  assert.fail(`${query} was accepted`);
}

test('vector selectors: metric names plain and quoted (UTF-8), all four matchers', () => {
  const table: [string, LabelMatcher[]][] = [
    ['cpu_util', [{ name: '__name__', type: '=', value: 'cpu_util' }]],
    ['{"cpu.util"}', [{ name: '__name__', type: '=', value: 'cpu.util' }]],
    [
      '{"cpu.util", host="a"}',
      [
        { name: '__name__', type: '=', value: 'cpu.util' },
        { name: 'host', type: '=', value: 'a' },
      ],
    ],
    ['{__name__="cpu.util"}', [{ name: '__name__', type: '=', value: 'cpu.util' }]],
    [
      'cpu_util{a="1", b!="2", c=~"x|y", d!~".*z"}',
      [
        { name: '__name__', type: '=', value: 'cpu_util' },
        { name: 'a', type: '=', value: '1' },
        { name: 'b', type: '!=', value: '2' },
        { name: 'c', type: '=~', value: 'x|y' },
        { name: 'd', type: '!~', value: '.*z' },
      ],
    ],
    [
      '{"cpu.util", "host.name"="web-1"}',
      [
        { name: '__name__', type: '=', value: 'cpu.util' },
        { name: 'host.name', type: '=', value: 'web-1' },
      ],
    ],
    ['{job=~"a.+"}', [{ name: 'job', type: '=~', value: 'a.+' }]],
    ["x{a='single'}", [{ name: '__name__', type: '=', value: 'x' }, { name: 'a', type: '=', value: 'single' }]],
    ['x{a=`raw\\n`}', [{ name: '__name__', type: '=', value: 'x' }, { name: 'a', type: '=', value: 'raw\\n' }]],
    ['x{a="tab\\there \\u00e9 \\x41 \\101 \\""}', [{ name: '__name__', type: '=', value: 'x' }, { name: 'a', type: '=', value: 'tab\there é A A "' }]],
  ];
  for (const [q, want] of table) {
    const e = parseQuery(q);
    assert.equal(e.kind, 'vector', q);
    assert.deepEqual((e as Extract<Expr, { kind: 'vector' }>).matchers, want, q);
    assert.deepEqual(parseSeriesSelector(q), want, q);
  }
});

test('ranges, offsets (also negative), durations as Prometheus writes them, numbers', () => {
  const m = parseQuery('rate(x[1h30m] offset -5m)');
  assert.equal(m.kind, 'call');
  const arg = (m as Extract<Expr, { kind: 'call' }>).args[0]!;
  assert.equal(arg.kind, 'matrix');
  const matrix = arg as Extract<Expr, { kind: 'matrix' }>;
  assert.equal(matrix.rangeMs, 5_400_000);
  assert.equal(matrix.vector.offsetMs, -300_000);
  const v = parseQuery('x offset 500ms') as Extract<Expr, { kind: 'vector' }>;
  assert.equal(v.offsetMs, 500);
  const numbers: [string, number][] = [
    ['1', 1],
    ['-2.5', -2.5],
    ['1e3', 1000],
    ['0x1F', 31],
    ['1_000', 1000],
    ['Inf', Infinity],
    ['-inf', -Infinity],
    ['5m', 300],
    ['- 3', -3],
  ];
  for (const [q, want] of numbers) {
    const e = parseQuery(q);
    assert.equal(e.kind, 'number', q);
    assert.equal((e as Extract<Expr, { kind: 'number' }>).value, want, q);
  }
  assert.ok(Number.isNaN((parseQuery('NaN') as Extract<Expr, { kind: 'number' }>).value));
  assert.equal((parseQuery('"a\\nb"') as Extract<Expr, { kind: 'string' }>).value, 'a\nb');
});

test('binary expressions keep Prometheus precedence and associativity', () => {
  const e = parseQuery('1 + 2 * 3 ^ 2 ^ 2') as Extract<Expr, { kind: 'binary' }>;
  assert.equal(e.op, '+');
  const mul = e.rhs as Extract<Expr, { kind: 'binary' }>;
  assert.equal(mul.op, '*');
  const pow = mul.rhs as Extract<Expr, { kind: 'binary' }>;
  assert.equal(pow.op, '^');
  assert.equal((pow.rhs as Extract<Expr, { kind: 'binary' }>).op, '^'); // right-associative
  const cmp = parseQuery('a > bool on(x, y) b') as Extract<Expr, { kind: 'binary' }>;
  assert.deepEqual([cmp.op, cmp.returnBool, cmp.on, cmp.matchLabels], ['>', true, true, ['x', 'y']]);
  const ign = parseQuery('a - ignoring(z) b') as Extract<Expr, { kind: 'binary' }>;
  assert.deepEqual([ign.op, ign.on, ign.matchLabels], ['-', false, ['z']]);
  const agg = parseQuery('sum without (a, "b.c") (x)') as Extract<Expr, { kind: 'aggregate' }>;
  assert.deepEqual([agg.op, agg.without, agg.grouping], ['sum', true, ['a', 'b.c']]);
  const agg2 = parseQuery('topk(3, x) by (job)') as Extract<Expr, { kind: 'aggregate' }>;
  assert.deepEqual([agg2.op, agg2.without, agg2.grouping, agg2.param?.kind], ['topk', false, ['job'], 'number']);
});

test('constructs outside the subset are refused as bad_data naming them', () => {
  const table: [string, string][] = [
    ['label_replace(x, "a", "b", "c", "d")', 'unsupported function "label_replace"'],
    ['label_join(x, "a", ",", "b")', 'unsupported function "label_join"'],
    ['predict_linear(x[5m], 60)', 'unsupported function "predict_linear"'],
    ['absent(x)', 'unsupported function "absent"'],
    ['sort(x)', 'unsupported function "sort"'],
    ['changes(x[5m])', 'unsupported function "changes"'],
    ['stddev(x)', 'unsupported aggregation "stddev"'],
    ['quantile(0.5, x)', 'unsupported aggregation "quantile"'],
    ['count_values("v", x)', 'unsupported aggregation "count_values"'],
    ['group(x)', 'unsupported aggregation "group"'],
    ['x[5m:1m]', 'unsupported subquery'],
    ['max_over_time(rate(x[1m])[5m:])', 'unsupported subquery'],
    ['x @ 100', 'unsupported "@" modifier'],
    ['x @ start()', 'unsupported "@" modifier'],
    ['x * on(a) group_left(b) y', 'unsupported "group_left" modifier'],
    ['x / ignoring(a) group_right y', 'unsupported "group_right" modifier'],
    ['x atan2 y', 'unsupported binary operator "atan2"'],
    ['x[1m + 1m]', 'unsupported duration expression'],
    ['foo(bar)', 'unknown function with name "foo"'],
  ];
  for (const [q, want] of table) {
    const e = refusal(q);
    assert.ok(e.message.includes(want), `${q}: ${e.message}`);
    assert.ok(e.position, `${q} has a position`);
  }
});

test('syntax and type errors: bad_data with the position', () => {
  const table: [string, string, { start: number; end: number }?][] = [
    ['sum(x', 'parse error at char 6: unexpected end of input', { start: 5, end: 6 }],
    ['x +', 'parse error at char 4: unexpected end of input', { start: 3, end: 4 }],
    ['x{a="b"', 'parse error at char 8', { start: 7, end: 8 }],
    ['x{a=~"("}', 'invalid regular expression'],
    ['x == == y', 'parse error at char 6'],
    ['{}', 'vector selector must contain at least one non-empty matcher'],
    ['{a=""}', 'vector selector must contain at least one non-empty matcher'],
    ['{a=~".*"}', 'vector selector must contain at least one non-empty matcher'],
    ['x{__name__="y"}', 'metric name must not be set twice'],
    ['rate(x)', 'expected type range vector in call to function "rate", got instant vector'],
    ['abs(x[5m])', 'expected type instant vector in call to function "abs", got range vector'],
    ['rate(x[5m], 1)', 'expected 1 argument(s) in call to "rate", got 2'],
    ['round()', 'expected 1 to 2 argument(s) in call to "round", got 0'],
    ['sum(x[5m])', 'expected type instant vector in aggregation expression, got range vector'],
    ['topk(x)', 'wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['1 > 2', 'comparisons between scalars must use BOOL modifier'],
    ['x + bool 1', 'bool modifier can only be used on comparison operators'],
    ['x and 1', 'set operator "and" not allowed in binary scalar expression'],
    ['"a" + 1', 'binary expression must contain only scalar and instant vector types'],
    ['x[5m] + 1', 'binary expression must contain only scalar and instant vector types'],
    ['1 + on(a) 2', 'vector matching only allowed between instant vectors'],
    ['rate(x[5m]) offset 1m', 'offset modifier must be preceded by an instant vector selector or range vector selector'],
    ['x offset 1m offset 2m', 'offset may not be set multiple times'],
    ['(x)[5m]', 'ranges only allowed for vector selectors'],
    ['(x) offset 1m', 'offset modifier must be preceded by an instant vector selector'],
    ['x offset 1m [5m]', 'no offset modifiers allowed before range'],
    ['-"a"', 'unary expression only allowed on expressions of type scalar or instant vector'],
    ['', 'no expression found in input'],
  ];
  for (const [q, want, pos] of table) {
    const e = refusal(q);
    assert.ok(e.message.includes(want), `${q}: ${e.message}`);
    if (pos) assert.deepEqual(e.position, pos, q);
  }
});

test('parseSeriesSelector takes a vector selector only', () => {
  for (const q of ['rate(x[5m])', 'x[5m]', 'x offset 1m', '1', 'sum(x)', 'x + y', '"x"']) {
    assert.throws(() => parseSeriesSelector(q), (e: unknown) => e instanceof PromQLError && e.type === 'bad_data', q);
  }
});

test('offset and ranges bind to the nearest selector, not to the expression on their left', () => {
  const e = parseQuery('x - y offset 1m') as Extract<Expr, { kind: 'binary' }>;
  assert.equal(e.kind, 'binary');
  assert.equal((e.lhs as Extract<Expr, { kind: 'vector' }>).offsetMs, 0);
  assert.equal((e.rhs as Extract<Expr, { kind: 'vector' }>).offsetMs, 60_000);
  const nested = parseQuery('a + b * -c offset 2m') as Extract<Expr, { kind: 'binary' }>;
  const mul = nested.rhs as Extract<Expr, { kind: 'binary' }>;
  const neg = mul.rhs as Extract<Expr, { kind: 'unary' }>;
  assert.equal((neg.expr as Extract<Expr, { kind: 'vector' }>).offsetMs, 120_000);
  assert.equal((mul.lhs as Extract<Expr, { kind: 'vector' }>).offsetMs, 0);
  const r = parseQuery('1 + count_over_time(x[5m] offset 1m)') as Extract<Expr, { kind: 'binary' }>;
  assert.equal(r.rhs.kind, 'call');
  // A range on the right operand makes a range vector operand: refused as Prometheus refuses it.
  assert.ok(refusal('x - y[5m]').message.includes('binary expression must contain only scalar and instant vector types'));
  assert.ok(refusal('(x - y) offset 1m').message.includes('offset modifier must be preceded by'));
  assert.ok(refusal('(x - y)[5m]').message.includes('ranges only allowed for vector selectors'));
});
