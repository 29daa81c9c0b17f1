// The JSON webhook through sources: points without a timestamp, gzip bodies, naming a source
// (query, header, body), default dimensions (the point's own win) then mapping, disabled sources,
// and the per-source counters — through the real server on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, countRows, daysAgo, minute, postIngest, storedPoints, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

interface Reply {
  accepted: number;
  rejected: number;
  duplicates: number;
  dropped: number;
  errors: { index: number; code: string; message: string; field: string }[];
}
interface SourceReply {
  id: string;
  stats: { pointsAccepted: number; pointsRejected: number; lastReceivedAt: string | null; lastError: string | null; lastErrorAt: string | null };
}

const base = daysAgo(1);

for (const kind of storeKinds) {
  describe(`webhook ingest through sources (${kind.name})`, () => {
    let t: TestApp;
    /** The app's clock: the wall clock, or a fixed instant while a test sets one. */
    let fixedNow: number | null = null;
    const clock = () => new Date(fixedNow ?? Date.now());

    before(async () => {
      t = await startTestApp({ kind, now: clock });
    });
    after(async () => t.close());

    const org = async (name: string) => {
      const o = await t.newOrg(name);
      return { orgId: o.org.id, key: o.key };
    };
    const createSource = async (key: string, body: Record<string, unknown>): Promise<SourceReply> => {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(key), payload: body });
      assert.equal(r.statusCode, 201, r.body);
      return r.json() as SourceReply;
    };
    const getSource = async (key: string, id: string): Promise<SourceReply> => (await t.app.inject({ method: 'GET', url: `/api/v1/sources/${id}`, headers: bearer(key) })).json() as SourceReply;
    const send = (key: string, body: unknown, opts: { query?: string; headers?: Record<string, string> } = {}): Promise<Injected> =>
      t.app.inject({ method: 'POST', url: `/api/v1/ingest${opts.query ?? ''}`, headers: { ...bearer(key), ...opts.headers }, payload: body as object });
    const sendOk = async (key: string, body: unknown, opts: { query?: string; headers?: Record<string, string> } = {}): Promise<Reply> => {
      const r = await send(key, body, opts);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as Reply;
    };
    const letters = async (orgId: string) =>
      (await t.sql.query<{ source: string; source_id: string | null; error_code: string; raw: unknown }>('SELECT source, source_id, error_code, raw FROM dead_letters WHERE org_id = $1 ORDER BY received_at, id', [orgId])).rows;

    describe('timestamps', () => {
      test('a point without a timestamp (absent or null) is stored at the time the server received it', async () => {
        const { orgId, key } = await org('no timestamp');
        fixedNow = Date.UTC(2026, 10, 20, 9, 30, 15, 250);
        try {
          const reply = await sendOk(key, {
            metrics: [
              { key: 'no.ts', value: 1 },
              { key: 'no.ts', value: 2, timestamp: null, dimensions: { a: '1' } },
              { key: 'no.ts', value: 3, timestamp: fixedNow - minute, dimensions: { b: '1' } },
            ],
          });
          assert.deepEqual(reply, { accepted: 3, rejected: 0, duplicates: 0, dropped: 0, errors: [] });
          assert.deepEqual((await storedPoints(t.sql, orgId)).sort((a, b) => a.value - b.value), [
            { key: 'no.ts', dimensions: {}, ts: fixedNow, value: 1 },
            { key: 'no.ts', dimensions: { a: '1' }, ts: fixedNow, value: 2 },
            { key: 'no.ts', dimensions: { b: '1' }, ts: fixedNow - minute, value: 3 },
          ]);
          // The same series again in the same millisecond is the same point: a duplicate.
          assert.equal((await sendOk(key, { metrics: [{ key: 'no.ts', value: 9 }] })).duplicates, 1);
        } finally {
          fixedNow = null;
        }
      });
    });

    describe('gzip bodies', () => {
      const gz = (body: unknown) => gzipSync(Buffer.from(JSON.stringify(body)));
      const post = (key: string, payload: Buffer, encoding: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { ...bearer(key), 'content-type': 'application/json', 'content-encoding': encoding }, payload });

      test('a gzip-encoded body is inflated and ingested', async () => {
        const { orgId, key } = await org('gzip ok');
        const metrics = Array.from({ length: 200 }, (_, i) => ({ key: 'gz.metric', value: i, timestamp: base + i * 1000, dimensions: { host: `h${i % 3}` } }));
        for (const encoding of ['gzip', 'x-gzip', 'GZIP']) {
          const r = await post(key, gz({ metrics: metrics.slice(0, 100) }), encoding);
          assert.equal(r.statusCode, 200, `${encoding}: ${r.body}`);
        }
        assert.equal((await storedPoints(t.sql, orgId)).length, 100);
        const r = await post(key, gz({ metrics: metrics.slice(100) }), 'gzip');
        assert.equal((r.json() as Reply).accepted, 100);
        assert.equal((await storedPoints(t.sql, orgId)).length, 200);
      });

      test('corrupt or truncated gzip → 400, a bomb inflating past the body limit → 413, an unknown encoding → 415; nothing stored', async () => {
        const { orgId, key } = await org('gzip bad');
        const good = gz({ metrics: [{ key: 'gz.bad', value: 1, timestamp: base }] });
        const corrupt = Buffer.from(good);
        corrupt[20] = corrupt[20]! ^ 0xff;
        corrupt[21] = corrupt[21]! ^ 0xff;
        const truncated = good.subarray(0, good.length - 10);
        const notGzip = Buffer.from(JSON.stringify({ metrics: [{ key: 'gz.bad', value: 1, timestamp: base }] }));
        // 3 MiB of spaces inside valid JSON: a few KiB compressed, three times the 1 MiB limit inflated.
        const bomb = gzipSync(Buffer.from(`{"metrics":[{"key":"gz.bad","value":1,"timestamp":${base}}]${' '.repeat(3 * 1024 * 1024)}}`));
        assert.ok(bomb.length < 64 * 1024);

        for (const [name, payload] of [
          ['corrupt', corrupt],
          ['truncated', truncated],
          ['not gzip at all', notGzip],
        ] as const) {
          const e = assertError(await post(key, payload, 'gzip'), 400, 'bad_request');
          assert.match(e.message, /gzip/, name);
        }
        assertError(await post(key, bomb, 'gzip'), 413, 'payload_too_large');
        for (const encoding of ['br', 'deflate', 'compress']) {
          const e = assertError(await post(key, good, encoding), 415, 'unsupported_encoding');
          assert.match(e.message, new RegExp(encoding));
        }
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
        // The server is fine afterwards.
        assert.equal((await post(key, good, 'gzip')).statusCode, 200);
      });
    });

    describe('naming a source', () => {
      test('?source=, X-Source and the body name a webhook source; the query wins, then the header, then the body', async () => {
        const { orgId, key } = await org('naming');
        const q = await createSource(key, { name: 'by-query', kind: 'webhook', defaultDimensions: { via: 'query' } });
        const h = await createSource(key, { name: 'by-header', kind: 'webhook', defaultDimensions: { via: 'header' } });
        const b = await createSource(key, { name: 'by-body', kind: 'webhook', defaultDimensions: { via: 'body' } });
        const point = (v: number) => ({ key: 'named', value: v, timestamp: base + v * minute });
        await sendOk(key, { metrics: [point(1)] }, { query: '?source=by-query' });
        await sendOk(key, { metrics: [point(2)] }, { headers: { 'x-source': 'by-header' } });
        await sendOk(key, { metrics: [point(3)], source: 'by-body' });
        await sendOk(key, { metrics: [point(4)], source: 'by-body' }, { query: '?source=by-query', headers: { 'x-source': 'by-header' } });
        await sendOk(key, { metrics: [point(5)], source: 'by-body' }, { headers: { 'x-source': 'by-header' } });
        // Sources are named by name (an id names only a key's own bound source).
        assertError(await send(key, { metrics: [point(6)] }, { query: `?source=${q.id}` }), 404, 'source_not_found');
        assert.deepEqual(
          (await storedPoints(t.sql, orgId)).map((p) => [p.value, p.dimensions.via]),
          [
            [1, 'query'],
            [2, 'header'],
            [3, 'body'],
            [4, 'query'],
            [5, 'header'],
          ],
        );
        for (const s of [q, h, b]) assert.ok((await getSource(key, s.id)).stats.pointsAccepted >= 1);
      });

      test('a body name no source has stays a free label; an unknown ?source= or X-Source is 404; another kind is 400', async () => {
        const { orgId, key } = await org('unknown names');
        const bad = { key: 'bad key', value: 1, timestamp: base };
        const r = await sendOk(key, { metrics: [bad, { key: 'fine', value: 1, timestamp: base }], source: 'legacy-agent' });
        assert.equal(r.accepted, 1);
        assert.deepEqual(
          (await letters(orgId)).map((l) => [l.source, l.source_id]),
          [['legacy-agent', null]],
        );
        assertError(await send(key, { metrics: [bad] }, { query: '?source=nope' }), 404, 'source_not_found');
        assertError(await send(key, { metrics: [bad] }, { headers: { 'x-source': 'nope' } }), 404, 'source_not_found');
        await createSource(key, { name: 'collector', kind: 'otlp' });
        const e = assertError(await send(key, { metrics: [bad] }, { query: '?source=collector' }), 400, 'source_kind_mismatch');
        assert.match(e.message, /otlp source/);
        assertError(await send(key, { metrics: [bad], source: 'collector' }), 400, 'source_kind_mismatch');
        assertError(await send(key, { metrics: [] }, { query: '?source=has%20space' }), 400, 'validation_failed');
        assert.equal((await letters(orgId)).length, 1, 'refused requests leave no dead letters');
        assert.equal(await countRows(t.sql, 'points', orgId), 1);
      });

      test('the same Idempotency-Key through another source (query or header) is another request', async () => {
        const { key } = await org('idem sources');
        await createSource(key, { name: 's1', kind: 'webhook' });
        await createSource(key, { name: 's2', kind: 'webhook' });
        const body = { metrics: [{ key: 'idem.src', value: 1, timestamp: base }] };
        const idem = { 'idempotency-key': 'k-1' };
        assert.equal((await send(key, body, { headers: { ...idem, 'x-source': 's1' } })).statusCode, 200);
        const replay = await send(key, body, { headers: { ...idem, 'x-source': 's1' } });
        assert.equal(replay.headers['idempotent-replayed'], 'true');
        assertError(await send(key, body, { headers: { ...idem, 'x-source': 's2' } }), 422, 'idempotency_key_reused');
        assertError(await send(key, body, { headers: idem, query: '?source=s2' }), 422, 'idempotency_key_reused');
      });
    });

    describe('defaults and mapping', () => {
      test("default dimensions: the point's own win; the others are added", async () => {
        const { orgId, key } = await org('precedence');
        await createSource(key, { name: 'edge', kind: 'webhook', defaultDimensions: { env: 'prod', team: 'core' } });
        await sendOk(
          key,
          {
            metrics: [
              { key: 'p', value: 1, timestamp: base, dimensions: { env: 'dev' } },
              { key: 'p', value: 2, timestamp: base },
              { key: 'p', value: 3, timestamp: base, dimensions: { env: 'dev', team: 'edge', host: 'h1' } },
            ],
          },
          { query: '?source=edge' },
        );
        assert.deepEqual(
          (await storedPoints(t.sql, orgId)).sort((a, b) => a.value - b.value).map((p) => [p.value, p.dimensions]),
          [
            [1, { env: 'dev', team: 'core' }],
            [2, { env: 'prod', team: 'core' }],
            [3, { env: 'dev', team: 'edge', host: 'h1' }],
          ],
        );
      });

      test('the mapping runs on the merged dimensions; drops are counted apart; an invalid mapped key is dead-lettered as sent', async () => {
        const { orgId, key } = await org('mapping');
        const s = await createSource(key, {
          name: 'prom-like',
          kind: 'webhook',
          defaultDimensions: { dc: 'fra1' },
          mapping: [
            { action: 'drop', pattern: 'go_.*' },
            // A default dimension becomes part of the key…
            { action: 'replace', sourceLabels: ['dc', '__name__'], separator: '.', targetLabel: '__name__' },
            // …and a part of the key becomes a dimension.
            { action: 'replace', sourceLabels: ['__name__'], regex: '[^.]+\\.(web|db)_.*', targetLabel: 'tier' },
            { action: 'rename', pattern: '(.*)_broken', to: '$1 broken' },
            { action: 'labeldrop', regex: 'secret' },
          ],
        });
        const sent = [
          { key: 'web_requests', value: 1, timestamp: base, dimensions: { secret: 'x' } },
          { key: 'go_gc', value: 2, timestamp: base },
          { key: 'db_size', value: 3, timestamp: base, dimensions: { dc: 'ams1' } },
          { key: 'disk_broken', value: 4, timestamp: base },
        ];
        const r = await sendOk(key, { metrics: sent }, { query: '?source=prom-like' });
        assert.equal(r.accepted, 2);
        assert.equal(r.dropped, 1);
        assert.equal(r.rejected, 1);
        assert.deepEqual(
          r.errors.map((e) => [e.index, e.code, e.field]),
          [[3, 'invalid_key', 'metrics[3].key']],
        );
        assert.deepEqual(await storedPoints(t.sql, orgId), [
          { key: 'ams1.db_size', dimensions: { dc: 'ams1', tier: 'db' }, ts: base, value: 3 },
          { key: 'fra1.web_requests', dimensions: { dc: 'fra1', tier: 'web' }, ts: base, value: 1 },
        ]);
        assert.deepEqual(await letters(orgId), [{ source: 'prom-like', source_id: s.id, error_code: 'invalid_key', raw: sent[3] }]);
        const stats = (await getSource(key, s.id)).stats;
        assert.equal(stats.pointsAccepted, 2);
        assert.equal(stats.pointsRejected, 1, 'a dropped point is not a rejected one');
      });

      test('a changed mapping applies from the next request', async () => {
        const { orgId, key } = await org('remap');
        const s = await createSource(key, { name: 'r', kind: 'webhook', mapping: [{ action: 'prefix', prefix: 'v1.' }] });
        await sendOk(key, { metrics: [{ key: 'm', value: 1, timestamp: base }] }, { query: '?source=r' });
        const p = await t.app.inject({ method: 'PATCH', url: `/api/v1/sources/${s.id}`, headers: bearer(key), payload: { mapping: [{ action: 'prefix', prefix: 'v2.' }] } });
        assert.equal(p.statusCode, 200, p.body);
        await sendOk(key, { metrics: [{ key: 'm', value: 2, timestamp: base }] }, { query: '?source=r' });
        assert.deepEqual(
          (await storedPoints(t.sql, orgId)).map((x) => x.key),
          ['v1.m', 'v2.m'],
        );
      });
    });

    describe('disabled sources and counters', () => {
      test('a disabled source refuses with 403 and stores nothing; counters show accepted, rejected, last received and last error', async () => {
        const { orgId, key } = await org('counters');
        const s = await createSource(key, { name: 'counted', kind: 'webhook' });
        fixedNow = Math.floor(Date.now() / 1000) * 1000 - 10 * minute;
        try {
          const first = fixedNow;
          await sendOk(key, { metrics: [{ key: 'c', value: 1 }, { key: 'c', value: 2, timestamp: base }] }, { query: '?source=counted' });
          let stats = (await getSource(key, s.id)).stats;
          assert.deepEqual(stats, { pointsAccepted: 2, pointsRejected: 0, lastReceivedAt: new Date(first).toISOString(), lastError: null, lastErrorAt: null });

          fixedNow += minute;
          await sendOk(key, { metrics: [{ key: 'c', value: 3, timestamp: base + 1 }, { key: 'c', value: 'x' }, { key: '9c', value: 1 }] }, { query: '?source=counted' });
          stats = (await getSource(key, s.id)).stats;
          assert.equal(stats.pointsAccepted, 3);
          assert.equal(stats.pointsRejected, 2);
          assert.equal(stats.lastReceivedAt, new Date(fixedNow).toISOString());
          assert.equal(stats.lastErrorAt, new Date(fixedNow).toISOString());
          assert.match(stats.lastError!, /^metrics\[1\]\.value: value must be a finite number/);
          const errorAt = fixedNow;

          // A clean request moves lastReceivedAt and keeps the last error.
          fixedNow += minute;
          await sendOk(key, { metrics: [{ key: 'c', value: 4, timestamp: base + 2 }] }, { headers: { 'x-source': 'counted' } });
          stats = (await getSource(key, s.id)).stats;
          assert.equal(stats.pointsAccepted, 4);
          assert.equal(stats.lastReceivedAt, new Date(fixedNow).toISOString());
          assert.equal(stats.lastErrorAt, new Date(errorAt).toISOString());

          // A whole request refused (too many items) counts its items as rejected, with the reason.
          fixedNow += minute;
          const tooMany = Array.from({ length: 1001 }, (_, i) => ({ key: 'c', value: i, timestamp: base + 10 + i }));
          assertError(await send(key, { metrics: tooMany }, { query: '?source=counted' }), 413, 'batch_too_large');
          stats = (await getSource(key, s.id)).stats;
          assert.equal(stats.pointsRejected, 2 + 1001);
          assert.match(stats.lastError!, /at most 1000 metrics/);

          const points = await countRows(t.sql, 'points', orgId);
          const disable = await t.app.inject({ method: 'PATCH', url: `/api/v1/sources/${s.id}`, headers: bearer(key), payload: { enabled: false } });
          assert.equal(disable.statusCode, 200);
          for (const opts of [{ query: '?source=counted' }, { headers: { 'x-source': 'counted' } }]) {
            assertError(await send(key, { metrics: [{ key: 'c', value: 5, timestamp: base + 5 }] }, opts), 403, 'source_disabled');
          }
          assertError(await send(key, { metrics: [{ key: 'c', value: 5, timestamp: base + 5 }], source: 'counted' }), 403, 'source_disabled');
          assert.equal(await countRows(t.sql, 'points', orgId), points, 'nothing stored');
          const after = (await getSource(key, s.id)).stats;
          assert.deepEqual(after, stats, 'refused before the pipeline: counters unchanged');
        } finally {
          fixedNow = null;
        }
      });
    });
  });
}
