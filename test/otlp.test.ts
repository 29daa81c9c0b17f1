import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { buildApp } from '../src/app.js';
import { openPostgres } from '../src/store/postgres.js';
import { decodeResponseProtobuf, decodeStatusProtobuf, encodeRequestProtobuf } from '../src/ingest/protocols/otlp-wire.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { assertError, countRows, daysAgo, hour, storedPoints, type Injected } from './helpers/ingest.js';
import { storeKinds, testDatabaseUrl } from './helpers/stores.js';

const t0 = daysAgo(1) + 12 * hour + 345; // ms
const nanos = (ms: number) => `${ms}000123`; // sub-millisecond digits are truncated

const kv = (key: string, value: object) => ({ key, value });

/** An OTLP/JSON export: a gauge, a cumulative counter, a delta counter and a histogram. */
function exportRequest(at = t0) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'checkout' }), kv('deployment.id', { intValue: '3' })] },
        scopeMetrics: [
          {
            scope: { name: 'shop', version: '0.1.0' },
            metrics: [
              { name: 'queue.size', gauge: { dataPoints: [{ attributes: [kv('queue', { stringValue: 'orders' })], timeUnixNano: nanos(at), asInt: '17' }] } },
              { name: 'orders.placed', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ attributes: [kv('paid', { boolValue: true })], timeUnixNano: nanos(at), asDouble: 12.5 }] } },
              { name: 'orders.delta', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: nanos(at), asInt: '4' }] } },
              {
                name: 'http.server.duration',
                histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: nanos(at), count: '5', sum: 3.25, bucketCounts: ['2', '1', '2'], explicitBounds: [0.1, 1] }] },
              },
            ],
          },
        ],
      },
    ],
  };
}

const res = { 'service.name': 'checkout', 'deployment.id': '3', otel_scope_name: 'shop', otel_scope_version: '0.1.0' };

/** What {@link exportRequest} stores. */
function expectedPoints(at = t0) {
  return [
    { key: 'http.server.duration_bucket', dimensions: { ...res, le: '+Inf' }, ts: at, value: 5 },
    { key: 'http.server.duration_bucket', dimensions: { ...res, le: '0.1' }, ts: at, value: 2 },
    { key: 'http.server.duration_bucket', dimensions: { ...res, le: '1' }, ts: at, value: 3 },
    { key: 'http.server.duration_count', dimensions: res, ts: at, value: 5 },
    { key: 'http.server.duration_sum', dimensions: res, ts: at, value: 3.25 },
    { key: 'orders.delta', dimensions: res, ts: at, value: 4 },
    { key: 'orders.placed', dimensions: { ...res, paid: 'true' }, ts: at, value: 12.5 },
    { key: 'queue.size', dimensions: { ...res, queue: 'orders' }, ts: at, value: 17 },
  ];
}

/** Stored points sorted the way {@link expectedPoints} is (key, then dimensions' text). */
async function stored(t: TestApp, orgId: string) {
  const rows = await storedPoints(t.sql, orgId);
  return rows.sort((a, b) => a.key.localeCompare(b.key) || JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)) || a.ts - b.ts);
}

type Format = 'protobuf' | 'json';

interface PostOptions {
  key: string;
  gzip?: boolean;
  contentType?: string;
  query?: string;
  headers?: Record<string, string>;
}

/** POST /v1/metrics with `body` (an OTLP/JSON object, encoded as `format`; or raw bytes/text as is). */
function post(t: TestApp, format: Format, body: object | Buffer | string, opts: PostOptions): Promise<Injected> {
  let payload: Buffer = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : format === 'protobuf' ? Buffer.from(encodeRequestProtobuf(body)) : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { ...bearer(opts.key), 'content-type': opts.contentType ?? (format === 'protobuf' ? 'application/x-protobuf' : 'application/json'), ...opts.headers };
  if (opts.gzip) {
    payload = gzipSync(payload);
    headers['content-encoding'] = 'gzip';
  }
  return t.app.inject({ method: 'POST', url: `/v1/metrics${opts.query ?? ''}`, headers, payload });
}

/** The reply of a successful export, decoded from the request's encoding. */
function exportReply(r: Injected, format: Format): { partialSuccess?: { rejectedDataPoints: number; errorMessage: string } } {
  assert.equal(r.statusCode, 200, r.body);
  if (format === 'protobuf') {
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    return decodeResponseProtobuf(r.rawPayload);
  }
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const body = r.json() as { partialSuccess?: { rejectedDataPoints: string; errorMessage: string } };
  if (!body.partialSuccess) return body as object;
  assert.equal(typeof body.partialSuccess.rejectedDataPoints, 'string'); // int64 in the JSON mapping
  return { partialSuccess: { rejectedDataPoints: Number(body.partialSuccess.rejectedDataPoints), errorMessage: body.partialSuccess.errorMessage } };
}

/** A refusal in the request's encoding: google.rpc.Status for protobuf, the platform's error body for JSON. */
function refusal(r: Injected, format: Format, status: number, code: string, grpcCode: number): string {
  if (format === 'json') return assertError(r, status, code).message;
  assert.equal(r.statusCode, status, r.body);
  assert.equal(r.headers['content-type'], 'application/x-protobuf');
  const s = decodeStatusProtobuf(r.rawPayload);
  assert.equal(s.reason, code, s.message);
  assert.equal(s.code, grpcCode);
  assert.ok(s.message.length > 0);
  return s.message;
}

for (const kind of storeKinds) {
  describe(`OTLP/HTTP metrics at POST /v1/metrics (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind, config: { ingestMaxBatch: 6, bodyLimitBytes: 64 * 1024 } });
    });
    after(async () => t.close());

    const fresh = async (name: string) => {
      const o = await t.newOrg(name);
      return { orgId: o.org.id, key: o.key };
    };

    for (const format of ['protobuf', 'json'] as const) {
      for (const gzip of [false, true]) {
        test(`${format}${gzip ? ' gzip' : ''}: gauge, cumulative and delta sums, histogram are stored; the reply is an empty ExportMetricsServiceResponse`, async () => {
          const { orgId, key } = await fresh(`otlp ${format} ${gzip}`);
          const r = await post(t, format, exportRequest(), { key, gzip });
          assert.deepEqual(exportReply(r, format), {});
          assert.deepEqual(await stored(t, orgId), expectedPoints());
          assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
          // The same export again: the points are duplicates, not rejections (an exporter's retry).
          assert.deepEqual(exportReply(await post(t, format, exportRequest(), { key, gzip }), format), {});
          assert.equal((await storedPoints(t.sql, orgId)).length, 8);
        });
      }

      test(`${format}: rejected data points come back as partialSuccess (HTTP 200) and go to the dead-letter queue`, async () => {
        const { orgId, key } = await fresh(`otlp partial ${format}`);
        const body = {
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    { name: 'ok.metric', gauge: { dataPoints: [{ timeUnixNano: nanos(t0), asDouble: 1 }, { timeUnixNano: nanos(t0 + 1), asDouble: 'Infinity' }, { timeUnixNano: nanos(t0 + 2), asDouble: 'NaN' }] } },
                    { name: 'bad name/with space', gauge: { dataPoints: [{ timeUnixNano: nanos(t0), asDouble: 2 }] } },
                    { name: 'flagged', gauge: { dataPoints: [{ timeUnixNano: nanos(t0), asDouble: 3, flags: 1 }] } },
                    { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: nanos(t0), count: '1', bucketCounts: ['1'], explicitBounds: [1] }] } },
                  ],
                },
              ],
            },
          ],
        };
        const reply = exportReply(await post(t, format, body, { key }), format);
        assert.equal(reply.partialSuccess?.rejectedDataPoints, 3);
        assert.match(reply.partialSuccess!.errorMessage, /^3 of 6 data points rejected \(3 values\): /);
        assert.match(reply.partialSuccess!.errorMessage, /metrics\[1\]\.gauge\.dataPoints\[0\]\.key: key "bad name\/with space" must match/);
        assert.match(reply.partialSuccess!.errorMessage, /dataPoints\[1\]\.value: value Infinity is not finite/);
        assert.match(reply.partialSuccess!.errorMessage, /metrics\[3\]\.histogram\.dataPoints\[0\]: bucketCounts has 1 entries for 1 explicitBounds/);
        assert.deepEqual(await storedPoints(t.sql, orgId), [{ key: 'ok.metric', dimensions: {}, ts: t0, value: 1 }]);
        const dead = await t.sql.query<{ source: string; error_code: string; raw: unknown }>('SELECT source, error_code, raw FROM dead_letters WHERE org_id = $1 ORDER BY error_code', [orgId]);
        assert.deepEqual(
          dead.rows.map((d) => [d.source, d.error_code]),
          [
            ['otlp', 'invalid_data_point'],
            ['otlp', 'invalid_key'],
            ['otlp', 'unsupported_value'],
          ],
        );
        assert.deepEqual(dead.rows[1]!.raw, { key: 'bad name/with space', value: 2, timestamp: t0, dimensions: {} });
      });

      test(`${format}: a malformed body is refused whole with 400, nothing stored`, async () => {
        const { orgId, key } = await fresh(`otlp malformed ${format}`);
        const valid = format === 'protobuf' ? Buffer.from(encodeRequestProtobuf(exportRequest())) : Buffer.from(JSON.stringify(exportRequest()));
        const truncated = valid.subarray(0, valid.length - 3);
        const r = await post(t, format, truncated, { key });
        const message = refusal(r, format, 400, format === 'json' ? 'invalid_json' : 'bad_request', 3);
        if (format === 'protobuf') assert.match(message, /^Malformed OTLP protobuf request: the body is not a valid protobuf ExportMetricsServiceRequest/);
        if (format === 'json') {
          const wrong = exportRequest() as { resourceMetrics: { scopeMetrics: { metrics: { sum?: { dataPoints: unknown } }[] }[] }[] };
          wrong.resourceMetrics[0]!.scopeMetrics[0]!.metrics[1]!.sum!.dataPoints = 'many';
          const e = assertError(await post(t, format, wrong, { key }), 400, 'bad_request');
          assert.equal(e.message, 'Malformed OTLP JSON request: resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints: must be an array');
          assert.deepEqual(e.details, { field: 'resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints' });
          assertError(await post(t, format, '[1, 2]', { key }), 400, 'bad_request');
        }
        // A gzip body cut short.
        const cut = gzipSync(valid).subarray(0, 20);
        refusal(await post(t, format, cut, { key, headers: { 'content-encoding': 'gzip' } }), format, 400, 'bad_request', 3);
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test(`${format}: more data points than INGEST_MAX_BATCH → 413; a histogram counts as one point however many buckets`, async () => {
        const { orgId, key } = await fresh(`otlp batch ${format}`);
        const gauge = (n: number) => ({ name: 'g', gauge: { dataPoints: Array.from({ length: n }, (_, i) => ({ timeUnixNano: nanos(t0 + i), asInt: String(i) })) } });
        const body = (metrics: unknown[]) => ({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] });
        const message = refusal(await post(t, format, body([gauge(7)]), { key }), format, 413, 'batch_too_large', 8);
        assert.match(message, /at most 6 data points, got 7/);
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        // 6 data points: 5 gauge points and one histogram of 10 buckets → 5 + 12 items (10 _bucket, _sum, _count), all stored.
        const buckets = { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: nanos(t0), count: '10', sum: 1, bucketCounts: Array(10).fill('1'), explicitBounds: [1, 2, 3, 4, 5, 6, 7, 8, 9] }] } };
        assert.deepEqual(exportReply(await post(t, format, body([gauge(5), buckets]), { key }), format), {});
        assert.equal(await countRows(t.sql, 'points', orgId), 17);
        // One point of 200 buckets flattens into 201 values (199 bounds, +Inf, _count): more than 6 × 32.
        const huge = { name: 'huge', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: nanos(t0), count: '200', bucketCounts: Array(200).fill('1'), explicitBounds: Array.from({ length: 199 }, (_, i) => i + 1) }] } };
        assert.match(refusal(await post(t, format, body([huge]), { key }), format, 413, 'batch_too_large', 8), /flatten into 201 values .* at most 192 per request/);
        assert.equal(await countRows(t.sql, 'points', orgId), 17);
      });

      test(`${format}: a body over the size limit → 413 (gzip inflating past it too)`, async () => {
        const { orgId, key } = await fresh(`otlp size ${format}`);
        const big = { resourceMetrics: [{ resource: { attributes: [kv('pad', { stringValue: 'x'.repeat(70 * 1024) })] }, scopeMetrics: [] }] };
        refusal(await post(t, format, big, { key }), format, 413, 'payload_too_large', 8);
        refusal(await post(t, format, big, { key, gzip: true }), format, 413, 'payload_too_large', 8);
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
      });

      test(`${format}: no key → 401, a read-only key → 403, a rate-limited key → 429 with Retry-After`, async () => {
        const none = await t.app.inject({ method: 'POST', url: '/v1/metrics', headers: { 'content-type': format === 'protobuf' ? 'application/x-protobuf' : 'application/json' }, payload: format === 'protobuf' ? Buffer.alloc(0) : '{}' });
        refusal(none, format, 401, 'missing_api_key', 16);
        const reader = await t.newKey(['read']);
        refusal(await post(t, format, exportRequest(), { key: reader.secret }), format, 403, 'insufficient_scope', 7);
        const limited = await t.newKey(['write'], undefined, { rateLimit: { max: 1, windowSeconds: 60 } });
        assert.equal((await post(t, format, {}, { key: limited.secret })).statusCode, 200);
        const r = await post(t, format, {}, { key: limited.secret });
        refusal(r, format, 429, 'rate_limited', 8);
        assert.ok(Number(r.headers['retry-after']) > 0);
      });
    }

    test('other content types → 415 (those the platform parses and those it does not)', async () => {
      const { key } = await fresh('otlp 415');
      for (const type of ['text/plain', 'application/octet-stream']) {
        const e = assertError(await post(t, 'json', '{}', { key, contentType: type }), 415, 'unsupported_media_type');
        assert.match(e.message, /application\/x-protobuf or application\/json/);
      }
      assertError(await post(t, 'json', '<x/>', { key, contentType: 'application/xml' }), 415, 'unsupported_media_type');
      assertError(await post(t, 'json', '{}', { key, headers: { 'content-encoding': 'br' } }), 415, 'unsupported_encoding');
    });

    test('an empty protobuf export is a valid, empty request', async () => {
      const r = await post(t, 'protobuf', Buffer.alloc(0), { key: t.adminKey });
      assert.deepEqual(exportReply(r, 'protobuf'), {});
      assert.equal(r.rawPayload.length, 0);
    });

    test('through an otlp source: its default dimensions apply (the point\'s own win) and its mapping can rename a name that does not fit', async () => {
      const { orgId, key } = await fresh('otlp source');
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/sources',
        headers: bearer(key),
        payload: { name: 'otel', kind: 'otlp', defaultDimensions: { env: 'prod', queue: 'default' }, mapping: [{ action: 'rename', pattern: 'app/(.*)', to: 'app.$1' }] },
      });
      assert.equal(created.statusCode, 201, created.body);
      const body = {
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  { name: 'app/latency', gauge: { dataPoints: [{ timeUnixNano: nanos(t0), asDouble: 0.5 }] } },
                  { name: 'queue.size', gauge: { dataPoints: [{ attributes: [kv('queue', { stringValue: 'orders' })], timeUnixNano: nanos(t0), asInt: '3' }] } },
                ],
              },
            ],
          },
        ],
      };
      assert.deepEqual(exportReply(await post(t, 'protobuf', body, { key, query: '?source=otel' }), 'protobuf'), {});
      assert.deepEqual(await stored(t, orgId), [
        { key: 'app.latency', dimensions: { env: 'prod', queue: 'default' }, ts: t0, value: 0.5 },
        { key: 'queue.size', dimensions: { env: 'prod', queue: 'orders' }, ts: t0, value: 3 },
      ]);
      // The X-Source header names it too; a webhook source is refused on this path; a disabled one too.
      assert.deepEqual(exportReply(await post(t, 'json', body, { key, headers: { 'x-source': 'otel' } }), 'json'), {});
      const hook = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(key), payload: { name: 'hook', kind: 'webhook' } });
      assert.equal(hook.statusCode, 201, hook.body);
      refusal(await post(t, 'protobuf', body, { key, query: '?source=hook' }), 'protobuf', 400, 'source_kind_mismatch', 3);
      const id = (created.json() as { id: string }).id;
      const off = await t.app.inject({ method: 'PATCH', url: `/api/v1/sources/${id}`, headers: bearer(key), payload: { enabled: false } });
      assert.equal(off.statusCode, 200, off.body);
      refusal(await post(t, 'json', body, { key, query: '?source=otel' }), 'json', 403, 'source_disabled', 7);
      refusal(await post(t, 'protobuf', body, { key, query: '?source=nope' }), 'protobuf', 404, 'source_not_found', 5);
      assert.equal((await storedPoints(t.sql, orgId)).length, 2);
    });
  });
}

/** A loopback TCP relay to PostgreSQL that can be cut: the database becomes unreachable for real. */
async function cuttableRelay(target: URL): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('OTLP/HTTP metrics when the database is unreachable (postgres)', () => {
  test('503 with Retry-After (a condition OTLP clients retry), as google.rpc.Status UNAVAILABLE or the JSON error', async () => {
    const target = new URL(testDatabaseUrl);
    const relay = await cuttableRelay(target);
    const schema = `t_otlp_${process.pid}_${Date.now()}`;
    const via = new URL(testDatabaseUrl);
    via.hostname = '127.0.0.1';
    via.port = String(relay.port);
    const sql = await openPostgres({ url: via.toString(), schema, max: 2 });
    const app = await buildApp(testDeps({ sql }));
    try {
      await relay.cut();
      const send = (type: string) => app.inject({ method: 'POST', url: '/v1/metrics', headers: { ...bearer(`iv_${'a'.repeat(32)}`), 'content-type': type }, payload: type === 'application/json' ? '{}' : Buffer.alloc(0) });
      const r = await send('application/x-protobuf');
      assert.equal(r.statusCode, 503, r.body);
      assert.equal(r.headers['retry-after'], '5');
      const s = decodeStatusProtobuf(r.rawPayload);
      assert.deepEqual([s.code, s.reason], [14, 'service_unavailable']);
      const j = await send('application/json');
      assertError(j, 503, 'service_unavailable');
      assert.equal(j.headers['retry-after'], '5');
    } finally {
      await app.close();
      await sql.close();
      const direct = await openPostgres({ url: testDatabaseUrl, max: 1 });
      await direct.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await direct.close();
    }
  });
});
