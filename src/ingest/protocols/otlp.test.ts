import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOtlp, otlpFormatOf, partialSuccessOf } from './otlp.js';
import { itemPath, type OtlpBatch } from './otlp-flatten.js';
import { grpcCodeOf, isTransientStoreError } from './otlp-errors.js';
import {
  decodeResponseProtobuf,
  decodeStatusProtobuf,
  encodeRequestProtobuf,
  encodeResponseProtobuf,
  encodeStatusProtobuf,
  OtlpMalformed,
  responseJson,
} from './otlp-wire.js';

const t0 = 1_733_490_000_123; // ms
const ns = (ms: number, extra = 0) => `${ms}${String(extra).padStart(6, '0')}`;

/** An OTLP/JSON request with one resource and one scope holding `metrics`. */
function request(metrics: unknown[], resourceAttrs: unknown[] = [{ key: 'service.name', value: { stringValue: 'checkout' } }], scope: unknown = { name: 'shop', version: '1.0.0' }) {
  return { resourceMetrics: [{ resource: { attributes: resourceAttrs }, scopeMetrics: [{ scope, metrics }] }] };
}

const base = { 'service.name': 'checkout', otel_scope_name: 'shop', otel_scope_version: '1.0.0' };

/** Flattens `req` as OTLP/JSON and as protobuf (the same message encoded); both must agree. */
function both(req: object): OtlpBatch {
  const fromJson = decodeOtlp('json', JSON.parse(JSON.stringify(req)));
  const fromProto = decodeOtlp('protobuf', Buffer.from(encodeRequestProtobuf(req)));
  assert.deepEqual(fromProto, fromJson);
  return fromJson;
}

describe('OTLP metrics decoding', () => {
  test('gauge: asDouble and asInt, attributes, resource and scope as dimensions, ns → ms (truncated)', () => {
    const b = both(
      request([
        {
          name: 'system.memory.usage',
          gauge: {
            dataPoints: [
              { attributes: [{ key: 'state', value: { stringValue: 'used' } }], timeUnixNano: ns(t0, 999_999), asDouble: 0.25 },
              { attributes: [{ key: 'state', value: { stringValue: 'free' } }], timeUnixNano: ns(t0 + 1000), asInt: '-9007199254740' },
            ],
          },
        },
      ]),
    );
    assert.deepEqual(b.items, [
      { key: 'system.memory.usage', value: 0.25, timestamp: t0, dimensions: { ...base, state: 'used' } },
      { key: 'system.memory.usage', value: -9007199254740, timestamp: t0 + 1000, dimensions: { ...base, state: 'free' } },
    ]);
    assert.equal(b.dataPoints, 2);
    assert.deepEqual(b.undecodable, []);
    assert.equal(itemPath(b, 1), 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1]');
  });

  test('attributes of every value type become text; a point attribute wins over a resource one', () => {
    const attrs = [
      { key: 's', value: { stringValue: 'x' } },
      { key: 'b', value: { boolValue: true } },
      { key: 'f', value: { boolValue: false } },
      { key: 'i', value: { intValue: '42' } },
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'neg', value: { intValue: '-7' } },
      { key: 'd', value: { doubleValue: 0.5 } },
      { key: 'dint', value: { doubleValue: 3 } },
      { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, { boolValue: false }, { doubleValue: 1.5 }, {}] } } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }, { key: 'n', value: { arrayValue: { values: [{ intValue: '2' }] } } }] } } },
      { key: 'bytes', value: { bytesValue: Buffer.from('hi!').toString('base64') } },
      { key: 'empty', value: {} },
      { key: 'service.name', value: { stringValue: 'overridden' } },
    ];
    const b = both(request([{ name: 'm', gauge: { dataPoints: [{ attributes: attrs, timeUnixNano: ns(t0), asDouble: 1 }] } }]));
    assert.deepEqual(b.items[0]!.dimensions, {
      'service.name': 'overridden',
      otel_scope_name: 'shop',
      otel_scope_version: '1.0.0',
      s: 'x',
      b: 'true',
      f: 'false',
      i: '42',
      big: '9007199254740993',
      neg: '-7',
      d: '0.5',
      dint: '3',
      arr: '["a",1,false,1.5,null]',
      kv: '{"k":"v","n":[2]}',
      bytes: 'aGkh',
      empty: '',
    });
  });

  test('resource attributes of every type, scope without version, no scope at all', () => {
    const withScope = both(
      request([{ name: 'm', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asInt: '1' }] } }], [
        { key: 'host.id', value: { intValue: '12' } },
        { key: 'k8s', value: { boolValue: true } },
      ], { name: 'lib' }),
    );
    assert.deepEqual(withScope.items[0]!.dimensions, { 'host.id': '12', k8s: 'true', otel_scope_name: 'lib' });
    const noScope = both({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ asInt: '1' }] } }] }] }] });
    assert.deepEqual(noScope.items, [{ key: 'm', value: 1, dimensions: {} }]);
  });

  test('sums: cumulative and delta, monotonic or not, are stored as sent; unspecified temporality is refused', () => {
    const b = both(
      request([
        { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: ns(t0), asInt: '120' }] } },
        { name: 'requests.delta', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: ns(t0), asInt: '7' }] } },
        { name: 'queue.depth', sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: [{ timeUnixNano: ns(t0), asDouble: -3.5 }] } },
        { name: 'broken', sum: { dataPoints: [{ timeUnixNano: ns(t0), asInt: '1' }] } },
      ]),
    );
    assert.deepEqual(
      b.items.map((i) => [i.key, i.value]),
      [
        ['requests', 120],
        ['requests.delta', 7],
        ['queue.depth', -3.5],
      ],
    );
    assert.equal(b.undecodable.length, 1);
    assert.equal(b.undecodable[0]!.error.code, 'invalid_data_point');
    assert.equal(b.undecodable[0]!.error.field, 'resourceMetrics[0].scopeMetrics[0].metrics[3].sum.dataPoints[0]');
    assert.match(b.undecodable[0]!.error.message, /aggregationTemporality 0/);
    assert.equal(b.undecodable[0]!.point, 3);
  });

  test('histogram: cumulative _bucket{le} up to +Inf (= count), _sum, _count; without sum no _sum', () => {
    const b = both(
      request([
        {
          name: 'http.server.duration',
          histogram: {
            aggregationTemporality: 2,
            dataPoints: [
              { attributes: [{ key: 'route', value: { stringValue: '/a' } }], timeUnixNano: ns(t0), count: '6', sum: 12.5, bucketCounts: ['1', '0', '3', '2'], explicitBounds: [0.005, 1, 1e21], min: 0.001, max: 9 },
              { timeUnixNano: ns(t0), count: '2', bucketCounts: [], explicitBounds: [] },
            ],
          },
        },
      ]),
    );
    const d = { ...base, route: '/a' };
    assert.deepEqual(b.items, [
      { key: 'http.server.duration_bucket', value: 1, timestamp: t0, dimensions: { ...d, le: '0.005' } },
      { key: 'http.server.duration_bucket', value: 1, timestamp: t0, dimensions: { ...d, le: '1' } },
      { key: 'http.server.duration_bucket', value: 4, timestamp: t0, dimensions: { ...d, le: '1e+21' } },
      { key: 'http.server.duration_bucket', value: 6, timestamp: t0, dimensions: { ...d, le: '+Inf' } },
      { key: 'http.server.duration_sum', value: 12.5, timestamp: t0, dimensions: d },
      { key: 'http.server.duration_count', value: 6, timestamp: t0, dimensions: d },
      { key: 'http.server.duration_bucket', value: 2, timestamp: t0, dimensions: { ...base, le: '+Inf' } },
      { key: 'http.server.duration_count', value: 2, timestamp: t0, dimensions: base },
    ]);
    assert.equal(b.dataPoints, 2);
    assert.equal(itemPath(b, 1), 'resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0] _bucket{le="1"}');
  });

  test('histogram points whose buckets do not match their bounds are refused whole', () => {
    const b = both(
      request([
        {
          name: 'h',
          histogram: {
            aggregationTemporality: 1,
            dataPoints: [
              { timeUnixNano: ns(t0), count: '3', bucketCounts: ['1', '2'], explicitBounds: [1, 2] },
              { timeUnixNano: ns(t0), count: '3', bucketCounts: ['1', '1', '1'], explicitBounds: [2, 1] },
            ],
          },
        },
      ]),
    );
    assert.deepEqual(b.items, []);
    assert.deepEqual(
      b.undecodable.map((u) => [u.point, u.error.code]),
      [
        [0, 'invalid_data_point'],
        [1, 'invalid_data_point'],
      ],
    );
    assert.match(b.undecodable[0]!.error.message, /2 entries for 2 explicitBounds \(expected 3\)/);
    assert.match(b.undecodable[1]!.error.message, /strictly increasing/);
  });

  test('exponential histogram: _sum and _count only; summary: {quantile}, _sum, _count', () => {
    const b = both(
      request([
        { name: 'lat', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: ns(t0), count: '5', sum: 2.5, scale: 3, zeroCount: '1', positive: { offset: 2, bucketCounts: ['4'] } }] } },
        { name: 'rpc', summary: { dataPoints: [{ timeUnixNano: ns(t0), count: '10', sum: 30, quantileValues: [{ quantile: 0.5, value: 2 }, { quantile: 0.99, value: 9 }, { quantile: 1, value: 11 }] }] } },
      ]),
    );
    assert.deepEqual(
      b.items.map((i) => [i.key, i.value, i.dimensions.quantile]),
      [
        ['lat_sum', 2.5, undefined],
        ['lat_count', 5, undefined],
        ['rpc', 2, '0.5'],
        ['rpc', 9, '0.99'],
        ['rpc', 11, '1'],
        ['rpc_sum', 30, undefined],
        ['rpc_count', 10, undefined],
      ],
    );
    assert.equal(b.dataPoints, 2);
  });

  test('NO_RECORDED_VALUE points and NaN values are skipped; ±Infinity is rejected as unsupported_value', () => {
    const b = both(
      request([
        {
          name: 'g',
          gauge: {
            dataPoints: [
              { timeUnixNano: ns(t0), asDouble: 5, flags: 1 },
              { timeUnixNano: ns(t0), asDouble: 'NaN' },
              { timeUnixNano: ns(t0), asDouble: 'Infinity' },
              { timeUnixNano: ns(t0), asDouble: 6, flags: 2 },
              { timeUnixNano: ns(t0) },
            ],
          },
        },
        { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: ns(t0), count: '1', sum: 'NaN', bucketCounts: ['1'], flags: 0 }, { count: '1', flags: 1 }] } },
      ]),
    );
    assert.deepEqual(
      b.items.map((i) => [i.key, i.value, i.dimensions.le]),
      [
        ['g', 6, undefined],
        ['h_bucket', 1, '+Inf'],
        ['h_count', 1, undefined],
      ],
    );
    assert.equal(b.skipped, 4); // flagged gauge, NaN gauge, NaN histogram sum, flagged histogram
    assert.deepEqual(
      b.undecodable.map((u) => [u.point, u.error.code, u.error.field]),
      [
        [2, 'unsupported_value', 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[2].value'],
        [4, 'invalid_data_point', 'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[4]'],
      ],
    );
    assert.equal(b.dataPoints, 7);
  });

  test('nanoseconds → ms is exact across the whole fixed64 range, in both encodings', () => {
    const times = ['18446744073709551615', '4294967296000000', '1999999', ns(t0, 999_999), '9007199254740993000'];
    const b = both(request([{ name: 'g', gauge: { dataPoints: times.map((timeUnixNano) => ({ timeUnixNano, asInt: '1' })) } }]));
    assert.deepEqual(
      b.items.map((i) => i.timestamp),
      [18446744073709, 4294967296, 1, t0, 9007199254740],
    );
  });

  test('a data point without a time gets none (the time received applies)', () => {
    const b = both(request([{ name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, { timeUnixNano: '0', asDouble: 2 }] } }]));
    assert.deepEqual(b.items.map((i) => 'timestamp' in i), [false, false]);
  });

  test('OTLP/JSON leniency: int64 as numbers, enum names, snake_case field names, unknown fields ignored', () => {
    const b = decodeOtlp('json', {
      resource_metrics: [
        {
          schemaUrl: 'x',
          scope_metrics: [
            {
              metrics: [
                { name: 'c', unit: '1', sum: { aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA', data_points: [{ time_unix_nano: t0 * 1e6, as_int: 3, exemplars: [{ traceId: 'abcd' }] }] } },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(b.items, [{ key: 'c', value: 3, timestamp: t0, dimensions: {} }]);
  });

  test('JSON of the wrong shape is malformed, with the path', () => {
    const cases: [unknown, RegExp][] = [
      [[], /^body: must be an ExportMetricsServiceRequest object/],
      [{ resourceMetrics: {} }, /^resourceMetrics: must be an array/],
      [request([{ name: 5 }]), /metrics\[0\]\.name: must be a string/],
      [request([{ name: 'g', gauge: { dataPoints: [{ asDouble: 'abc' }] } }]), /dataPoints\[0\]\.asDouble: must be a number/],
      [request([{ name: 'g', gauge: { dataPoints: [{ asInt: '1.5' }] } }]), /dataPoints\[0\]\.asInt: must be an integer/],
      [request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: '-5', asInt: '1' }] } }]), /timeUnixNano: must be nanoseconds/],
      [request([{ name: 'g', gauge: { dataPoints: [{ flags: -1, asInt: '1' }] } }]), /flags: must be a uint32/],
      [request([{ name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ count: '-1' }] } }]), /count: must be a non-negative integer/],
      [request([{ name: 'g', gauge: { dataPoints: [{ attributes: [{ key: 'a', value: { boolValue: 'yes' } }], asInt: '1' }] } }]), /attributes\[0\]\.value\.boolValue: must be a boolean/],
      [request([{ name: 's', sum: { aggregationTemporality: 'SOMETIMES', dataPoints: [] } }]), /aggregationTemporality: must be an enum number/],
    ];
    for (const [body, message] of cases) {
      assert.throws(() => decodeOtlp('json', body), (e: unknown) => e instanceof OtlpMalformed && message.test(e.message), JSON.stringify(body));
    }
    assert.throws(() => decodeOtlp('json', undefined), OtlpMalformed);
  });

  test('deeply nested attribute values are refused, not recursed into', () => {
    let v: object = { stringValue: 'leaf' };
    for (let i = 0; i < 40; i++) v = { arrayValue: { values: [v] } };
    const req = request([{ name: 'g', gauge: { dataPoints: [{ attributes: [{ key: 'deep', value: v }], asInt: '1' }] } }]);
    assert.throws(() => decodeOtlp('json', req), /nest deeper than 16 levels/);
    assert.throws(() => decodeOtlp('protobuf', Buffer.from(encodeRequestProtobuf(req))), /nest deeper than 16 levels/);
  });

  test('truncated or corrupt protobuf fails cleanly; an empty body is an empty request', () => {
    const full = Buffer.from(encodeRequestProtobuf(request([{ name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asDouble: 1.5 }] } }])));
    assert.equal(decodeOtlp('protobuf', full).items.length, 1);
    let refused = 0;
    for (let cut = 1; cut < full.length; cut++) {
      try {
        const b = decodeOtlp('protobuf', full.subarray(0, cut));
        assert.ok(b.items.length <= 1);
      } catch (e) {
        assert.ok(e instanceof OtlpMalformed, `cut at ${cut}: ${String(e)}`);
        assert.match(e.message, /not a valid protobuf ExportMetricsServiceRequest/);
        refused++;
      }
    }
    assert.ok(refused > full.length / 2, `only ${refused} of ${full.length - 1} truncations refused`);
    assert.throws(() => decodeOtlp('protobuf', full.subarray(0, full.length - 1)), OtlpMalformed);
    assert.throws(() => decodeOtlp('protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), OtlpMalformed);
    assert.throws(() => decodeOtlp('protobuf', Buffer.from('{"resourceMetrics": []}')), OtlpMalformed);
    assert.deepEqual(decodeOtlp('protobuf', Buffer.alloc(0)).items, []);
  });

  test('an attribute named __proto__ is a dimension like any other', () => {
    const b = both(request([{ name: 'g', gauge: { dataPoints: [{ attributes: [{ key: '__proto__', value: { stringValue: 'p' } }], asInt: '1' }] } }], []));
    assert.deepEqual(Object.entries(b.items[0]!.dimensions), [
      ['otel_scope_name', 'shop'],
      ['otel_scope_version', '1.0.0'],
      ['__proto__', 'p'],
    ]);
  });
});

describe('OTLP replies', () => {
  test('content types name the encoding', () => {
    assert.equal(otlpFormatOf('application/x-protobuf'), 'protobuf');
    assert.equal(otlpFormatOf('Application/Protobuf; charset=binary'), 'protobuf');
    assert.equal(otlpFormatOf('application/json; charset=utf-8'), 'json');
    assert.equal(otlpFormatOf('text/plain'), null);
    assert.equal(otlpFormatOf(undefined), null);
  });

  test('partial success counts data points with a rejected value and quotes the first errors', () => {
    const b = both(
      request([
        { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: ns(t0), count: '1', bucketCounts: ['1', '0'], explicitBounds: [1] }] } },
        { name: 'g', gauge: { dataPoints: [{ timeUnixNano: ns(t0), asDouble: 'Infinity' }, { timeUnixNano: ns(t0), asDouble: 1 }] } },
      ]),
    );
    assert.equal(partialSuccessOf(b, []), null);
    // Two items of the histogram point (validation errors index items) and the undecodable gauge point.
    const itemErrors = [0, 2].map((index) => ({ index, code: 'invalid_key' as const, field: itemPath(b, index), message: 'bad' }));
    const p = partialSuccessOf(b, [...itemErrors, b.undecodable[0]!.error])!;
    assert.equal(p.rejectedDataPoints, 2);
    assert.match(p.errorMessage, /^2 of 3 data points rejected \(3 values\): resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.histogram\.dataPoints\[0\] _bucket\{le="1"\}: bad; /);
  });

  test('ExportMetricsServiceResponse and google.rpc.Status round-trip; JSON uses int64 strings', () => {
    assert.deepEqual(decodeResponseProtobuf(encodeResponseProtobuf(null)), {});
    assert.equal(encodeResponseProtobuf(null).length, 0);
    const partial = { rejectedDataPoints: 3, errorMessage: 'three' };
    assert.deepEqual(decodeResponseProtobuf(encodeResponseProtobuf(partial)), { partialSuccess: partial });
    assert.deepEqual(responseJson(partial), { partialSuccess: { rejectedDataPoints: '3', errorMessage: 'three' } });
    assert.deepEqual(responseJson(null), {});
    const s = { code: 3, message: 'bad body', reason: 'bad_request', metadata: { field: 'x' } };
    assert.deepEqual(decodeStatusProtobuf(encodeStatusProtobuf(s)), s);
  });

  test('gRPC codes and transient store errors', () => {
    assert.deepEqual([400, 401, 403, 404, 413, 415, 429, 500, 503].map(grpcCodeOf), [3, 16, 7, 5, 8, 3, 8, 13, 14]);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(isTransientStoreError(refused), true);
    assert.equal(isTransientStoreError(new AggregateError([refused, refused])), true);
    assert.equal(isTransientStoreError(Object.assign(new Error('the database system is shutting down'), { code: '57P03' })), true);
    assert.equal(isTransientStoreError(Object.assign(new Error('deadlock detected'), { code: '40P01' })), true);
    assert.equal(isTransientStoreError(new Error('timeout exceeded when trying to connect')), true);
    assert.equal(isTransientStoreError(Object.assign(new Error('syntax error'), { code: '42601' })), false);
    assert.equal(isTransientStoreError(new TypeError('x is undefined')), false);
    assert.equal(isTransientStoreError(null), false);
  });
});
