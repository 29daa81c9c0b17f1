import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import { AppError } from '../../core/errors.js';
import { decodeRemoteWrite, negotiateRemoteWrite, type DecodedWrite, type RemoteWriteLimits } from './remote-write.js';
import { checkSnappyBlock, snappyUncompress } from './remote-write-snappy.js';

// The messages as the specs define them (1.0: prometheus/prompb; 2.0: io.prometheus.write.v2),
// histograms cut down to a few fields: the decoder skips them whole.
const root = protobuf.parse(`
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message Histogram { uint64 count_int = 1; double sum = 3; sint32 schema = 4; int64 timestamp = 15; }
`, { keepCase: true }).root;
const rootV2 = protobuf.parse(`
syntax = "proto3";
package io.prometheus.write.v2;
message Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3; repeated Exemplar exemplars = 4; Metadata metadata = 5; int64 created_timestamp = 6; }
message Sample { double value = 1; int64 timestamp = 2; int64 start_timestamp = 3; }
message Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
message Histogram { uint64 count_int = 1; double sum = 3; int64 timestamp = 15; }
message Metadata { int32 type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
`, { keepCase: true }).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');
const RequestV2 = rootV2.lookupType('io.prometheus.write.v2.Request');

const t0 = Date.UTC(2026, 10, 20, 12, 0, 0);

function v1(obj: Record<string, unknown>): Buffer {
  return Buffer.from(WriteRequest.encode(WriteRequest.fromObject(obj)).finish());
}
function v2(obj: Record<string, unknown>): Buffer {
  return Buffer.from(RequestV2.encode(RequestV2.fromObject(obj)).finish());
}
function compress(raw: Uint8Array): Buffer {
  return Buffer.from(snappy.compress(raw));
}
const labels = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

/** The decoded items, their paths, and the dead letters' errors, for deepEqual. */
function summary(d: DecodedWrite) {
  return {
    items: d.items.map((it, i) => ({ ...it, dimensions: { ...it.dimensions }, at: `${d.seriesAt[i]}/${d.sampleAt[i]}` })),
    undecodable: d.undecodable.map((u) => ({ raw: u.raw, code: u.error.code, field: u.error.field, message: u.error.message })),
    counts: d.counts,
  };
}

/** Asserts `fn` throws an AppError of `code` (and nothing else). */
function throwsApp(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** Replaces each little-endian occurrence of the double `placeholder` with `bits` (NaN payloads survive no JS number). */
function patchDouble(buf: Buffer, placeholder: number, bits: bigint): Buffer {
  const from = Buffer.alloc(8);
  from.writeDoubleLE(placeholder);
  const to = Buffer.alloc(8);
  to.writeBigUInt64LE(bits);
  const out = Buffer.from(buf);
  let n = 0;
  for (let i = out.indexOf(from); i >= 0; i = out.indexOf(from, i + 8)) {
    to.copy(out, i);
    n++;
  }
  assert.ok(n > 0, 'placeholder not found');
  return out;
}

const staleBits = 0x7ff0000000000002n;

describe('remote-write content negotiation', () => {
  test('1.0 without or with proto=, 2.0 with proto=io.prometheus.write.v2.Request; parameters parsed loosely', () => {
    assert.equal(negotiateRemoteWrite('application/x-protobuf', 'snappy'), 1);
    assert.equal(negotiateRemoteWrite('application/x-protobuf;proto=prometheus.WriteRequest', 'snappy'), 1);
    assert.equal(negotiateRemoteWrite('Application/X-Protobuf; charset=utf-8; Proto="prometheus.WriteRequest"', ' Snappy '), 1);
    assert.equal(negotiateRemoteWrite('application/x-protobuf;proto=io.prometheus.write.v2.Request', 'snappy'), 2);
  });

  test('another proto or media type is 415; another encoding 415; no snappy encoding 400', () => {
    throwsApp(() => negotiateRemoteWrite('application/x-protobuf;proto=io.prometheus.write.v3.Request', 'snappy'), 'unsupported_media_type', /v3/);
    throwsApp(() => negotiateRemoteWrite('application/json', 'snappy'), 'unsupported_media_type');
    throwsApp(() => negotiateRemoteWrite('application/protobuf', 'snappy'), 'unsupported_media_type');
    throwsApp(() => negotiateRemoteWrite(undefined, 'snappy'), 'unsupported_media_type');
    throwsApp(() => negotiateRemoteWrite('application/x-protobuf', 'gzip'), 'unsupported_encoding');
    throwsApp(() => negotiateRemoteWrite('application/x-protobuf', undefined), 'bad_request', /Content-Encoding: snappy/);
    throwsApp(() => negotiateRemoteWrite('application/x-protobuf', 'identity'), 'bad_request');
  });
});

describe('remote-write 1.0 decoding', () => {
  test('round trip: __name__ is the key, other labels dimensions, timestamps in ms, every sample an item', () => {
    const body = compress(
      v1({
        timeseries: [
          { labels: labels({ __name__: 'http_requests_total', job: 'api', instance: 'web-1:9090', code: '200' }), samples: [{ value: 1027, timestamp: t0 }, { value: 1030.5, timestamp: t0 + 15_000 }] },
          { labels: labels({ job: 'api', __name__: 'up', instance: 'web-1:9090' }), samples: [{ value: 1, timestamp: t0 }] },
          { labels: labels({ __name__: 'temperature', room: '' }), samples: [{ value: -3.25e-7, timestamp: t0 }] },
        ],
        metadata: [{ type: 1, metric_family_name: 'http_requests_total', help: 'Requests.' }],
      }),
    );
    assert.deepEqual(summary(decodeRemoteWrite(body, 1)), {
      items: [
        { key: 'http_requests_total', value: 1027, timestamp: t0, dimensions: { job: 'api', instance: 'web-1:9090', code: '200' }, at: '0/0' },
        { key: 'http_requests_total', value: 1030.5, timestamp: t0 + 15_000, dimensions: { job: 'api', instance: 'web-1:9090', code: '200' }, at: '0/1' },
        { key: 'up', value: 1, timestamp: t0, dimensions: { job: 'api', instance: 'web-1:9090' }, at: '1/0' },
        // An empty-valued label is no label, as in Prometheus.
        { key: 'temperature', value: -3.25e-7, timestamp: t0, dimensions: {}, at: '2/0' },
      ],
      undecodable: [],
      counts: { samples: 4, staleMarkers: 0, nonFinite: 0, histograms: 0, exemplars: 0 },
    });
  });

  test('an empty request (an empty snappy block) decodes to nothing', () => {
    assert.deepEqual(summary(decodeRemoteWrite(compress(new Uint8Array(0)), 1)).items, []);
    assert.deepEqual(summary(decodeRemoteWrite(compress(v1({ timeseries: [] })), 1)).counts, { samples: 0, staleMarkers: 0, nonFinite: 0, histograms: 0, exemplars: 0 });
  });

  test('stale markers are skipped and counted; other NaN and ±Inf are skipped and counted apart; neither is an error', () => {
    const raw = v1({
      timeseries: [
        {
          labels: labels({ __name__: 'g', job: 'j' }),
          samples: [
            { value: 7.77, timestamp: t0 }, // → stale marker
            { value: 1, timestamp: t0 + 1 },
            { value: Number.NaN, timestamp: t0 + 2 },
            { value: Number.POSITIVE_INFINITY, timestamp: t0 + 3 },
            { value: Number.NEGATIVE_INFINITY, timestamp: t0 + 4 },
            { value: 8.88, timestamp: t0 + 5 }, // → a NaN that is not the stale marker
          ],
        },
        // The stale marker of a series without a name is skipped too, not dead-lettered.
        { labels: labels({ job: 'j' }), samples: [{ value: 7.77, timestamp: t0 }] },
      ],
    });
    const patched = patchDouble(patchDouble(raw, 7.77, staleBits), 8.88, 0x7ff8000000000001n);
    const d = decodeRemoteWrite(compress(patched), 1);
    assert.deepEqual(summary(d).items, [{ key: 'g', value: 1, timestamp: t0 + 1, dimensions: { job: 'j' }, at: '0/1' }]);
    assert.deepEqual(d.undecodable, []);
    assert.deepEqual(d.counts, { samples: 1, staleMarkers: 2, nonFinite: 4, histograms: 0, exemplars: 0 });
  });

  test('native histograms and exemplars are skipped and counted; the float samples of the series are kept', () => {
    const body = compress(
      v1({
        timeseries: [
          {
            labels: labels({ __name__: 'rpc_latency_seconds', job: 'j' }),
            samples: [{ value: 0.25, timestamp: t0 }],
            exemplars: [{ labels: labels({ trace_id: 'abc' }), value: 0.3, timestamp: t0 }],
          },
          { labels: labels({ __name__: 'rpc_latency_native', job: 'j' }), histograms: [{ count_int: 5, sum: 1.5, schema: 3, timestamp: t0 }, { count_int: 6, sum: 2, timestamp: t0 + 1 }] },
        ],
      }),
    );
    const d = decodeRemoteWrite(body, 1);
    assert.deepEqual(summary(d).items, [{ key: 'rpc_latency_seconds', value: 0.25, timestamp: t0, dimensions: { job: 'j' }, at: '0/0' }]);
    assert.deepEqual(d.counts, { samples: 1, staleMarkers: 0, nonFinite: 0, histograms: 2, exemplars: 1 });
  });

  test('a series without __name__ or with a label twice becomes undecodable items, one per sample; other series decode', () => {
    const body = compress(
      v1({
        timeseries: [
          { labels: labels({ job: 'j', instance: 'i' }), samples: [{ value: 1, timestamp: t0 }, { value: 2, timestamp: t0 + 1 }] },
          { labels: [...labels({ __name__: 'm', host: 'a' }), { name: 'host', value: 'b' }], samples: [{ value: 3, timestamp: t0 }] },
          { labels: labels({ __name__: 'ok' }), samples: [{ value: 4, timestamp: t0 }] },
          { labels: labels({ __name__: '' }), samples: [{ value: 5, timestamp: t0 }] },
        ],
      }),
    );
    const s = summary(decodeRemoteWrite(body, 1));
    assert.deepEqual(s.items, [{ key: 'ok', value: 4, timestamp: t0, dimensions: {}, at: '2/0' }]);
    assert.deepEqual(
      s.undecodable.map((u) => [u.raw, u.code, u.field]),
      [
        [{ key: null, value: 1, timestamp: t0, dimensions: { job: 'j', instance: 'i' } }, 'invalid_data_point', 'timeseries[0].labels'],
        [{ key: null, value: 2, timestamp: t0 + 1, dimensions: { job: 'j', instance: 'i' } }, 'invalid_data_point', 'timeseries[0].labels'],
        [{ key: 'm', value: 3, timestamp: t0, dimensions: { host: 'a' } }, 'invalid_data_point', 'timeseries[1].labels'],
        [{ key: '', value: 5, timestamp: t0, dimensions: {} }, 'invalid_data_point', 'timeseries[3].labels'],
      ],
    );
    assert.match(s.undecodable[0]!.message, /no __name__/);
    assert.match(s.undecodable[2]!.message, /label "host" twice/);
  });

  test('many labels: past 32 they go to validation (which refuses them), past 128 the series is refused unread; duplicates found either way', () => {
    const withLabels = (n: number, extra: { name: string; value: string }[] = []) => ({
      labels: [{ name: '__name__', value: 'm' }, ...Array.from({ length: n }, (_, i) => ({ name: `l${i}`, value: `v${i}` })), ...extra],
      samples: [{ value: 1, timestamp: t0 }],
    });
    const d = decodeRemoteWrite(compress(v1({ timeseries: [withLabels(40), withLabels(200), withLabels(20, [{ name: 'l3', value: 'again' }])] })), 1);
    assert.equal(d.items.length, 1);
    assert.equal(Object.keys(d.items[0]!.dimensions).length, 40);
    assert.deepEqual(
      d.undecodable.map((u) => [u.error.field, u.error.message, Object.keys((u.raw as { dimensions: object }).dimensions).length]),
      [
        ['timeseries[1].labels', 'the series has 201 labels; at most 32 besides __name__ are stored', 0],
        ['timeseries[2].labels', 'the series has label "l3" twice', 20],
      ],
    );
  });

  test('names the validation will judge (bad keys, __proto__ labels) pass through as sent', () => {
    const d = decodeRemoteWrite(compress(v1({ timeseries: [{ labels: labels({ __name__: 'bad name', __proto__x: 'p' }).concat({ name: '__proto__', value: 'v' }), samples: [{ value: 1, timestamp: t0 }] }] })), 1);
    assert.equal(d.items[0]!.key, 'bad name');
    assert.deepEqual(Object.keys(d.items[0]!.dimensions), ['__proto__x', '__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(d.items[0]!.dimensions, '__proto__')?.value, 'v');
  });

  test('int64 timestamps: 0 and negative ones decode as numbers (validation refuses them), large ones exactly', () => {
    const d = decodeRemoteWrite(compress(v1({ timeseries: [{ labels: labels({ __name__: 'm' }), samples: [{ value: 1 }, { value: 2, timestamp: -5 }, { value: 3, timestamp: 253_402_300_799_999 }] }] })), 1);
    assert.deepEqual(d.items.map((i) => i.timestamp), [0, -5, 253_402_300_799_999]);
  });

  test('more samples than the limit: 413 batch_too_large', () => {
    const limits: RemoteWriteLimits = { maxDecodedBytes: 1 << 20, maxSamples: 3 };
    const four = compress(v1({ timeseries: [{ labels: labels({ __name__: 'm' }), samples: [1, 2, 3, 4].map((v) => ({ value: v, timestamp: t0 + v })) }] }));
    throwsApp(() => decodeRemoteWrite(four, 1, limits), 'batch_too_large', /max_samples_per_send/);
    assert.equal(decodeRemoteWrite(four, 1, { ...limits, maxSamples: 4 }).items.length, 4);
  });

  test('a field of the wrong wire type, field number 0 or an unknown wire type: 400', () => {
    // timeseries (field 1) as a varint.
    throwsApp(() => decodeRemoteWrite(compress(Buffer.from([0x08, 0x01])), 1), 'bad_request', /wire type/);
    // field 0.
    throwsApp(() => decodeRemoteWrite(compress(Buffer.from([0x02, 0x00])), 1), 'bad_request', /field number 0/);
    // wire type 7.
    throwsApp(() => decodeRemoteWrite(compress(Buffer.from([0x0f, 0x00])), 1), 'bad_request', /prometheus\.WriteRequest/);
    // A sample's value as a varint.
    const bad = v1({ timeseries: [{ labels: labels({ __name__: 'm' }), samples: [{ timestamp: t0 }] }] });
    const sampleStart = bad.indexOf(Buffer.from([0x10])); // Sample.timestamp tag
    const wrong = Buffer.from(bad);
    wrong[sampleStart] = 0x08; // field 1, varint
    throwsApp(() => decodeRemoteWrite(compress(wrong), 1), 'bad_request', /Sample field 1 has wire type varint/);
  });

  test('unknown fields are skipped at every level', () => {
    const w = protobuf.Writer.create();
    w.uint32((9 << 3) | 0).uint64(42); // unknown top-level varint
    w.uint32((1 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('__name__').uint32((2 << 3) | 2).string('m').uint32((7 << 3) | 5).fixed32(1).ldelim();
    w.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 1).double(2.5).uint32((2 << 3) | 0).int64(t0).uint32((3 << 3) | 0).int64(t0 - 10).ldelim();
    w.uint32((8 << 3) | 2).bytes(Buffer.from('future'));
    w.ldelim();
    const d = decodeRemoteWrite(compress(w.finish()), 1);
    assert.deepEqual(summary(d).items, [{ key: 'm', value: 2.5, timestamp: t0, dimensions: {}, at: '0/0' }]);
  });
});

describe('remote-write 2.0 decoding', () => {
  test('round trip: symbols and labels_refs, samples; metadata and created timestamps ignored', () => {
    const symbols = ['', '__name__', 'http_requests_total', 'job', 'api', 'instance', 'web-1:9090', 'up', 'Requests.', 'code', ''];
    const body = compress(
      v2({
        symbols,
        timeseries: [
          { labels_refs: [1, 2, 3, 4, 5, 6], samples: [{ value: 10, timestamp: t0 }, { value: 12, timestamp: t0 + 1000 }], metadata: { type: 1, help_ref: 8 }, created_timestamp: t0 - 60_000 },
          { labels_refs: [1, 7, 3, 4, 9, 0], samples: [{ value: 1, timestamp: t0, start_timestamp: t0 - 5 }] },
        ],
      }),
    );
    assert.deepEqual(summary(decodeRemoteWrite(body, 2)), {
      items: [
        { key: 'http_requests_total', value: 10, timestamp: t0, dimensions: { job: 'api', instance: 'web-1:9090' }, at: '0/0' },
        { key: 'http_requests_total', value: 12, timestamp: t0 + 1000, dimensions: { job: 'api', instance: 'web-1:9090' }, at: '0/1' },
        { key: 'up', value: 1, timestamp: t0, dimensions: { job: 'api' }, at: '1/0' },
      ],
      undecodable: [],
      counts: { samples: 3, staleMarkers: 0, nonFinite: 0, histograms: 0, exemplars: 0 },
    });
  });

  test('symbols after the series that refer to them, and unpacked labels_refs, decode the same', () => {
    const series = v2({ timeseries: [{ labels_refs: [1, 2, 3, 4], samples: [{ value: 5, timestamp: t0 }] }] });
    const syms = v2({ symbols: ['', '__name__', 'm', 'job', 'j'] });
    assert.deepEqual(summary(decodeRemoteWrite(compress(Buffer.concat([series, syms])), 2)).items, [{ key: 'm', value: 5, timestamp: t0, dimensions: { job: 'j' }, at: '0/0' }]);

    const w = protobuf.Writer.create();
    for (const s of ['', '__name__', 'm', 'job', 'j']) w.uint32((4 << 3) | 2).string(s);
    w.uint32((5 << 3) | 2).fork();
    for (const ref of [1, 2, 3, 4]) w.uint32((1 << 3) | 0).uint32(ref);
    w.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 1).double(5).uint32((2 << 3) | 0).int64(t0).ldelim();
    w.ldelim();
    assert.deepEqual(summary(decodeRemoteWrite(compress(w.finish()), 2)).items, [{ key: 'm', value: 5, timestamp: t0, dimensions: { job: 'j' }, at: '0/0' }]);
  });

  test('stale markers, histograms and exemplars are skipped and counted', () => {
    const raw = v2({
      symbols: ['', '__name__', 'm', 'trace_id', 'abc'],
      timeseries: [
        { labels_refs: [1, 2], samples: [{ value: 7.77, timestamp: t0 }, { value: 2, timestamp: t0 + 1 }], exemplars: [{ labels_refs: [3, 4], value: 2, timestamp: t0 + 1 }] },
        { labels_refs: [1, 2], histograms: [{ count_int: 3, sum: 1, timestamp: t0 }] },
      ],
    });
    const d = decodeRemoteWrite(compress(patchDouble(raw, 7.77, staleBits)), 2);
    assert.deepEqual(summary(d).items, [{ key: 'm', value: 2, timestamp: t0 + 1, dimensions: {}, at: '0/1' }]);
    assert.deepEqual(d.counts, { samples: 1, staleMarkers: 1, nonFinite: 0, histograms: 1, exemplars: 1 });
  });

  test('a series without __name__ is undecodable; an odd number of refs or a ref past the symbols is a malformed request', () => {
    const d = decodeRemoteWrite(compress(v2({ symbols: ['', 'job', 'j'], timeseries: [{ labels_refs: [1, 2], samples: [{ value: 1, timestamp: t0 }] }] })), 2);
    assert.deepEqual(d.items, []);
    assert.equal(d.undecodable.length, 1);
    assert.equal(d.undecodable[0]!.error.field, 'timeseries[0].labels');
    throwsApp(() => decodeRemoteWrite(compress(v2({ symbols: ['', '__name__', 'm'], timeseries: [{ labels_refs: [1, 2, 1], samples: [{ value: 1, timestamp: t0 }] }] })), 2), 'bad_request', /odd number/);
    throwsApp(() => decodeRemoteWrite(compress(v2({ symbols: ['', '__name__', 'm'], timeseries: [{ labels_refs: [1, 3], samples: [{ value: 1, timestamp: t0 }] }] })), 2), 'bad_request', /symbol 3 of 3/);
  });

  test('a 1.0 body read as 2.0 yields nothing rather than garbage (its fields are reserved in 2.0)', () => {
    const d = decodeRemoteWrite(compress(v1({ timeseries: [{ labels: labels({ __name__: 'm' }), samples: [{ value: 1, timestamp: t0 }] }] })), 2);
    assert.deepEqual([d.items, d.undecodable, d.counts.samples], [[], [], 0]);
  });
});

describe('remote-write bodies that cannot be read', () => {
  const small = v1({
    timeseries: [
      { labels: labels({ __name__: 'cpu_seconds_total', job: 'node', instance: 'h:9100', mode: 'idle' }), samples: [{ value: 123.5, timestamp: t0 }, { value: 124.25, timestamp: t0 + 15_000 }] },
      { labels: labels({ __name__: 'up', job: 'node', instance: 'h:9100' }), samples: [{ value: 1, timestamp: t0 }] },
    ],
  });
  const whole = summary(decodeRemoteWrite(compress(small), 1)).items;

  test('the compressed body truncated at every byte: always a 400, never another kind of error', () => {
    const body = compress(small);
    for (let k = 0; k < body.length; k++) throwsApp(() => decodeRemoteWrite(body.subarray(0, k), 1), 'bad_request');
    // snappyjs alone hands back a zero-padded buffer for a block cut between two elements: the check is what refuses it.
    const lax = [];
    for (let k = 2; k < body.length; k++) {
      try {
        snappy.uncompress(body.subarray(0, k));
        lax.push(k);
      } catch {
        // snappyjs noticed this one itself.
      }
    }
    assert.ok(lax.length > 0);
    for (const k of lax) throwsApp(() => snappyUncompress(body.subarray(0, k), 1 << 20), 'bad_request', /truncated/);
  });

  test('the protobuf truncated at every byte (then compressed): a 400, or — cut between two series — the series before the cut', () => {
    let refused = 0;
    for (let k = 0; k < small.length; k++) {
      let d: DecodedWrite;
      try {
        d = decodeRemoteWrite(compress(small.subarray(0, k)), 1);
      } catch (e) {
        assert.ok(e instanceof AppError && e.code === 'bad_request', `cut at ${k}: ${String(e)}`);
        refused++;
        continue;
      }
      const items = summary(d).items;
      assert.deepEqual(items, whole.slice(0, items.length), `cut at ${k}`);
      assert.ok(items.length === 0 || items.length === 2, `cut at ${k} decoded ${items.length} items`);
    }
    // Only the cuts at the start and between the two series decode.
    assert.equal(refused, small.length - 2);
  });

  test('a 2.0 message truncated at every byte: a 400 or a decodable prefix, never another error', () => {
    const raw = v2({ symbols: ['', '__name__', 'm', 'job', 'j'], timeseries: [{ labels_refs: [1, 2, 3, 4], samples: [{ value: 1.5, timestamp: t0 }] }] });
    for (let k = 0; k < raw.length; k++) {
      try {
        decodeRemoteWrite(compress(raw.subarray(0, k)), 2);
      } catch (e) {
        assert.ok(e instanceof AppError && e.code === 'bad_request', `cut at ${k}: ${String(e)}`);
      }
    }
  });

  test('random corruption of the compressed or raw body: only 400s (or a decode), never a throw of another kind', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const body = compress(small);
    for (let round = 0; round < 2000; round++) {
      const target = Buffer.from(round % 2 ? body : small);
      for (let m = 0; m < 1 + Math.floor(rand() * 3); m++) target[Math.floor(rand() * target.length)] = Math.floor(rand() * 256);
      const input = round % 2 ? target : compress(target);
      try {
        decodeRemoteWrite(input, round % 4 < 2 ? 1 : 2);
      } catch (e) {
        assert.ok(e instanceof AppError && ['bad_request', 'payload_too_large', 'batch_too_large'].includes(e.code), `round ${round}: ${String(e)}`);
      }
    }
  });

  test('not snappy at all, or a header declaring more than the limit: 400 / 413 before anything is allocated', () => {
    throwsApp(() => decodeRemoteWrite(Buffer.from('{"metrics":[]}'), 1), 'bad_request', /snappy/);
    throwsApp(() => decodeRemoteWrite(Buffer.alloc(0), 1), 'bad_request', /length header/);
    throwsApp(() => decodeRemoteWrite(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 1), 'bad_request', /32 bits/);
    // Declares 2 GiB − 1 in five bytes: refused from the header.
    throwsApp(() => checkSnappyBlock(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07, 0x00]), 32 << 20), 'payload_too_large');
    throwsApp(() => decodeRemoteWrite(compress(small), 1, { maxDecodedBytes: small.length - 1, maxSamples: 100 }), 'payload_too_large');
    assert.equal(decodeRemoteWrite(compress(small), 1, { maxDecodedBytes: small.length, maxSamples: 100 }).items.length, 3);
  });

  test('snappy copies reaching before the start or producing more than declared: 400', () => {
    // Declared 4, a literal "ab", then a copy of 4 from 3 back (only 2 produced).
    throwsApp(() => checkSnappyBlock(Buffer.from([0x04, 0x04, 0x61, 0x62, 0x01 | (0 << 2), 0x03]), 1 << 20), 'bad_request', /refers to 3 bytes back/);
    // Declared 2, a literal of 3 bytes.
    throwsApp(() => checkSnappyBlock(Buffer.from([0x02, 0x08, 0x61, 0x62, 0x63]), 1 << 20), 'bad_request', /more than the declared/);
    // A valid block with long literal lengths and every copy kind round-trips.
    const text = Buffer.from('x'.repeat(70) + 'abcdefgh'.repeat(40) + Array.from({ length: 3000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('') + 'abcdefgh'.repeat(40));
    const block = compress(text);
    assert.equal(checkSnappyBlock(block, 1 << 20), text.length);
    assert.deepEqual(Buffer.from(snappyUncompress(block, 1 << 20)), text);
  });
});
