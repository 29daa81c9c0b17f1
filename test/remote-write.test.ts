import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiKey } from '../src/auth/api-keys.js';
import type { Sql } from '../src/store/sql.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, countRows, daysAgo, minute, storedPoints, type Injected } from './helpers/ingest.js';
import { patchDouble, snappyBlock, staleMarkerBits, writeRequestV1, writeRequestV2, type TestSeries } from './helpers/prometheus.js';
import { storeKinds } from './helpers/stores.js';

const base = daysAgo(2);
const v1Type = 'application/x-protobuf';
const v2Type = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

interface PostOptions {
  key?: string;
  contentType?: string;
  encoding?: string | null;
  url?: string;
  headers?: Record<string, string>;
}

function post(t: TestApp, body: Buffer | string, opts: PostOptions = {}): Promise<Injected> {
  const headers: Record<string, string> = { ...bearer(opts.key ?? t.adminKey), 'content-type': opts.contentType ?? v1Type, 'x-prometheus-remote-write-version': '0.1.0', ...opts.headers };
  if (opts.encoding !== null) headers['content-encoding'] = opts.encoding ?? 'snappy';
  return t.app.inject({ method: 'POST', url: opts.url ?? '/api/v1/write', headers, payload: body });
}

const v1 = (series: TestSeries[]) => snappyBlock(writeRequestV1(series));
const v2 = (series: TestSeries[]) => snappyBlock(writeRequestV2(series));

function assertNoContent(r: Injected): void {
  assert.equal(r.statusCode, 204, r.body);
  assert.equal(r.body, '');
}

async function deadLetters(sql: Sql, orgId: string) {
  const r = await sql.query<{ source: string; source_id: string | null; raw: unknown; error_code: string; error_field: string; error_message: string }>(
    `SELECT source, source_id, raw, error_code, error_field, error_message FROM dead_letters WHERE org_id = $1 ORDER BY error_field, raw->>'value'`,
    [orgId],
  );
  return r.rows;
}

async function newSource(sql: Sql, orgId: string, s: { name: string; kind?: string; enabled?: boolean; defaults?: Record<string, string> }): Promise<string> {
  const r = await sql.query<{ id: string }>(
    `INSERT INTO sources (org_id, name, kind, enabled, default_dimensions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, now(), now()) RETURNING id`,
    [orgId, s.name, s.kind ?? 'prometheus-remote-write', s.enabled ?? true, JSON.stringify(s.defaults ?? {})],
  );
  return r.rows[0]!.id;
}

async function sourceCounters(sql: Sql, id: string) {
  const r = await sql.query<{ points_accepted: string | number; points_rejected: string | number; last_received_at: Date | null }>('SELECT points_accepted, points_rejected, last_received_at FROM sources WHERE id = $1', [id]);
  const row = r.rows[0]!;
  return { accepted: Number(row.points_accepted), rejected: Number(row.points_rejected), received: row.last_received_at !== null };
}

for (const kind of storeKinds) {
  describe(`Prometheus remote-write over HTTP (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind });
    });
    after(async () => t.close());

    /** A fresh organisation with its `*` key: tests that count rows get their own. */
    async function fresh(name: string) {
      const o = await t.newOrg(name);
      return { orgId: o.org.id, key: o.key };
    }

    describe('storing', () => {
      test('1.0: 204 with no body after commit; __name__ → key, labels → dimensions, ms timestamps; written header', async () => {
        const { orgId, key } = await fresh('rw v1');
        const r = await post(
          t,
          v1([
            { labels: { __name__: 'http_requests_total', job: 'api', instance: 'web-1:9090', code: '200' }, samples: [[1027, base], [1030, base + minute]] },
            { labels: { __name__: 'up', job: 'api', instance: 'web-1:9090' }, samples: [[1, base]] },
          ]),
          { key },
        );
        assertNoContent(r);
        assert.equal(r.headers['x-prometheus-remote-write-samples-written'], '3');
        assert.equal(r.headers['x-prometheus-remote-write-histograms-written'], '0');
        assert.equal(r.headers['x-prometheus-remote-write-exemplars-written'], '0');
        const other: Sql = t.store.connectAgain ? await t.store.connectAgain() : t.sql;
        assert.deepEqual(await storedPoints(other, orgId), [
          { key: 'http_requests_total', dimensions: { code: '200', instance: 'web-1:9090', job: 'api' }, ts: base, value: 1027 },
          { key: 'http_requests_total', dimensions: { code: '200', instance: 'web-1:9090', job: 'api' }, ts: base + minute, value: 1030 },
          { key: 'up', dimensions: { instance: 'web-1:9090', job: 'api' }, ts: base, value: 1 },
        ]);
        assert.equal(await countRows(other, 'dead_letters', orgId), 0);
      });

      test('2.0 (proto=io.prometheus.write.v2.Request): symbols and refs, same result; explicit 1.0 proto accepted', async () => {
        const { orgId, key } = await fresh('rw v2');
        const series: TestSeries[] = [{ labels: { __name__: 'node_load1', instance: 'h:9100', job: 'node' }, samples: [[0.5, base], [0.75, base + minute]] }];
        const r = await post(t, v2(series), { key, contentType: v2Type, headers: { 'x-prometheus-remote-write-version': '2.0.0' } });
        assertNoContent(r);
        assert.equal(r.headers['x-prometheus-remote-write-samples-written'], '2');
        const r1 = await post(t, v1([{ labels: { __name__: 'node_load5', job: 'node' }, samples: [[2, base]] }]), { key, contentType: 'application/x-protobuf;proto=prometheus.WriteRequest' });
        assertNoContent(r1);
        assert.deepEqual(await storedPoints(t.sql, orgId), [
          { key: 'node_load1', dimensions: { instance: 'h:9100', job: 'node' }, ts: base, value: 0.5 },
          { key: 'node_load1', dimensions: { instance: 'h:9100', job: 'node' }, ts: base + minute, value: 0.75 },
          { key: 'node_load5', dimensions: { job: 'node' }, ts: base, value: 2 },
        ]);
      });

      test('a retried batch is 2xx again and stores nothing twice', async () => {
        const { orgId, key } = await fresh('rw retry');
        const body = v1([{ labels: { __name__: 'm', job: 'j' }, samples: [[1, base], [2, base + minute]] }]);
        assertNoContent(await post(t, body, { key }));
        const again = await post(t, body, { key });
        assertNoContent(again);
        assert.equal(again.headers['x-prometheus-remote-write-samples-written'], '2');
        assert.equal(await countRows(t.sql, 'points', orgId), 2);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test('stale markers and other NaN/±Inf are not stored and not errors; histograms-free exemplars skipped; counted in a header', async () => {
        const { orgId, key } = await fresh('rw stale');
        const raw = writeRequestV1([
          { labels: { __name__: 'g', job: 'j' }, samples: [[7.77, base], [1, base + minute], [Number.NaN, base + 2 * minute], [Number.POSITIVE_INFINITY, base + 3 * minute]], exemplars: 2 },
          { labels: { __name__: 'gone', job: 'j' }, samples: [[7.77, base]] },
        ]);
        const r = await post(t, snappyBlock(patchDouble(raw, 7.77, staleMarkerBits)), { key });
        assertNoContent(r);
        assert.equal(r.headers['x-prometheus-remote-write-samples-written'], '1');
        assert.equal(r.headers['x-remote-write-skipped'], 'stale=2, nonfinite=2, histograms=0, exemplars=2');
        assert.deepEqual(await storedPoints(t.sql, orgId), [{ key: 'g', dimensions: { job: 'j' }, ts: base + minute, value: 1 }]);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test('Prometheus-sized requests (2,000 samples, twice the ingest batch limit) are stored whole', async () => {
        const { orgId, key } = await fresh('rw 2000');
        const series: TestSeries[] = Array.from({ length: 400 }, (_, i) => ({ labels: { __name__: 'node_cpu_seconds_total', cpu: String(i), job: 'node' }, samples: [0, 1, 2, 3, 4].map((k) => [i + k / 10, base + k * 15_000] as [number, number]) }));
        const r = await post(t, v1(series), { key });
        assertNoContent(r);
        assert.equal(r.headers['x-prometheus-remote-write-samples-written'], '2000');
        assert.equal(await countRows(t.sql, 'points', orgId), 2000);
        assert.equal(await countRows(t.sql, 'series', orgId), 400);
      });

      test('an empty request is 204', async () => {
        assertNoContent(await post(t, v1([])));
      });
    });

    describe('rejected samples', () => {
      test('bad series are dead-lettered, the rest stored, and the reply is 400 so Prometheus does not retry', async () => {
        const { orgId, key } = await fresh('rw partial');
        const r = await post(
          t,
          v1([
            { labels: { __name__: 'ok', job: 'j' }, samples: [[1, base]] },
            { labels: { job: 'j' }, samples: [[2, base], [3, base + minute]] },
            { labels: { __name__: '9starts_with_digit' }, samples: [[4, base]] },
            { labels: { __name__: 'long_label', path: 'x'.repeat(300) }, samples: [[5, base]] },
            { labels: { __name__: 'future' }, samples: [[6, Date.now() + 3_600_000]] },
          ]),
          { key },
        );
        const err = assertError(r, 400, 'points_rejected');
        assert.match(err.message, /^5 of 6 samples rejected \(timeseries\[2\]\.samples\[0\]\.key: key "9starts_with_digit"/);
        assert.match(err.message, /1 stored/);
        assert.match(err.message, /timeseries\[1\]\.labels: the series has no __name__ label/);
        assert.deepEqual((err.details as { accepted: number; rejected: number }).accepted, 1);
        assert.equal(r.headers['x-prometheus-remote-write-samples-written'], '1');
        assert.deepEqual(await storedPoints(t.sql, orgId), [{ key: 'ok', dimensions: { job: 'j' }, ts: base, value: 1 }]);
        const dl = await deadLetters(t.sql, orgId);
        assert.deepEqual(
          dl.map((d) => [d.source, d.source_id, d.error_code, d.error_field]),
          [
            ['prometheus-remote-write', null, 'invalid_data_point', 'timeseries[1].labels'],
            ['prometheus-remote-write', null, 'invalid_data_point', 'timeseries[1].labels'],
            ['prometheus-remote-write', null, 'invalid_key', 'timeseries[2].samples[0].key'],
            ['prometheus-remote-write', null, 'invalid_dimension_value', 'timeseries[3].samples[0].dimensions.path'],
            ['prometheus-remote-write', null, 'timestamp_in_future', 'timeseries[4].samples[0].timestamp'],
          ],
        );
        // Dead letters keep the sample in the webhook's shape: it can be corrected and reprocessed.
        assert.deepEqual(dl[0]!.raw, { key: null, value: 2, timestamp: base, dimensions: { job: 'j' } });
      });

      test('a request larger than the ingest batch limit is stored whole, in one commit: every valid sample once, the bad ones dead-lettered once', async () => {
        const small = await startTestApp({ store: t.store, config: { ingestMaxBatch: 4 } });
        try {
          const { org, key } = await small.newOrg('rw chunks');
          const series: TestSeries[] = [
            { labels: { __name__: 'c', job: 'j' }, samples: Array.from({ length: 9 }, (_, k) => [k, base + k * minute] as [number, number]) },
            { labels: { job: 'nameless' }, samples: [[1, base]] },
            { labels: { __name__: 'bad key' }, samples: [[1, base]] },
          ];
          const r = await post(small, v1(series), { key });
          const err = assertError(r, 400, 'points_rejected');
          assert.match(err.message, /^2 of 11 samples rejected/);
          assert.equal(await countRows(small.sql, 'points', org.id), 9);
          assert.equal(await countRows(small.sql, 'dead_letters', org.id), 2);
          // A retry of the request stores nothing twice.
          const again = await post(small, v1(series.slice(0, 1)), { key });
          assertNoContent(again);
          assert.equal(again.headers['x-prometheus-remote-write-samples-written'], '9');
          assert.equal(await countRows(small.sql, 'points', org.id), 9);
        } finally {
          await small.close();
        }
      });
    });

    describe('requests that cannot be read store nothing', () => {
      const good = () => v1([{ labels: { __name__: 'm' }, samples: [[1, base]] }]);

      test('wrong Content-Type or proto: 415', async () => {
        const { orgId, key } = await fresh('rw 415');
        assertError(await post(t, good(), { key, contentType: 'application/x-protobuf;proto=io.prometheus.write.v3.Request' }), 415, 'unsupported_media_type');
        assertError(await post(t, good(), { key, contentType: 'application/octet-stream' }), 415, 'unsupported_media_type');
        assertError(await post(t, '{"metrics":[]}', { key, contentType: 'application/json', encoding: null }), 415, 'unsupported_media_type');
        assertError(await post(t, 'm 1', { key, contentType: 'text/plain', encoding: null }), 415, 'unsupported_media_type');
        assertError(await post(t, good(), { key, contentType: 'application/x-yaml' }), 415, 'unsupported_media_type');
        assertError(await post(t, good(), { key, encoding: 'br' }), 415, 'unsupported_encoding');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
      });

      test('corrupt snappy, truncated body, corrupt protobuf, missing Content-Encoding: 400', async () => {
        const { orgId, key } = await fresh('rw 400');
        const body = v1([{ labels: { __name__: 'm', job: 'j' }, samples: [[1, base], [2, base + minute]] }]);
        assertError(await post(t, body.subarray(0, body.length - 5), { key }), 400, 'bad_request');
        assertError(await post(t, writeRequestV1([{ labels: { __name__: 'm' }, samples: [[1, base]] }]), { key }), 400, 'bad_request');
        assertError(await post(t, snappyBlock(Buffer.from([0x0a, 0x7f, 0x01])), { key }), 400, 'bad_request');
        assertError(await post(t, Buffer.alloc(0), { key }), 400, 'bad_request');
        const e = assertError(await post(t, writeRequestV1([{ labels: { __name__: 'm' }, samples: [[1, base]] }]), { key, encoding: null }), 400, 'bad_request');
        assert.match(e.message, /Content-Encoding: snappy/);
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test('a body over the body limit: 413', async () => {
        const { orgId, key } = await fresh('rw 413');
        const r = await post(t, Buffer.alloc(1024 * 1024 + 10, 1), { key });
        assertError(r, 413, 'payload_too_large');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
      });

      test('without a key 401, with a read-only key 403', async () => {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/write', headers: { 'content-type': v1Type, 'content-encoding': 'snappy' }, payload: good() });
        assertError(r, 401, 'missing_api_key');
        const read = await t.newKey(['read']);
        assertError(await post(t, good(), { key: read.secret }), 403, 'insufficient_scope');
      });
    });

    describe('sources', () => {
      test('a key bound to a source sends through it: its default dimensions (the sample\'s own labels win), counters, dead letters', async () => {
        const { orgId } = await fresh('rw bound');
        const sourceId = await newSource(t.sql, orgId, { name: 'prom-eu', defaults: { region: 'eu', job: 'default-job' } });
        const { secret } = await createApiKey(t.sql, orgId, { name: 'prometheus', scopes: ['write'], sourceId });
        const r = await post(
          t,
          v1([
            { labels: { __name__: 'up', job: 'node', instance: 'h:9100' }, samples: [[1, base]] },
            { labels: { __name__: 'bad key' }, samples: [[1, base]] },
          ]),
          { key: secret },
        );
        assertError(r, 400, 'points_rejected');
        assert.deepEqual(await storedPoints(t.sql, orgId), [{ key: 'up', dimensions: { instance: 'h:9100', job: 'node', region: 'eu' }, ts: base, value: 1 }]);
        assert.deepEqual(await sourceCounters(t.sql, sourceId), { accepted: 1, rejected: 1, received: true });
        const dl = await deadLetters(t.sql, orgId);
        assert.deepEqual(dl.map((d) => [d.source, d.source_id]), [['prom-eu', sourceId]]);
        // Naming another source with a bound key is refused.
        await newSource(t.sql, orgId, { name: 'prom-us' });
        assertError(await post(t, v1([{ labels: { __name__: 'up' }, samples: [[1, base + minute]] }]), { key: secret, url: '/api/v1/write?source=prom-us' }), 403, 'source_mismatch');
      });

      test('?source= and X-Source name a source; a disabled one is 403 and stores nothing; one of another kind is 400', async () => {
        const { orgId, key } = await fresh('rw named');
        const id = await newSource(t.sql, orgId, { name: 'prom-a', defaults: { team: 'sre' } });
        assertNoContent(await post(t, v1([{ labels: { __name__: 'a' }, samples: [[1, base]] }]), { key, url: '/api/v1/write?source=prom-a' }));
        assertNoContent(await post(t, v2([{ labels: { __name__: 'b' }, samples: [[2, base]] }]), { key, contentType: v2Type, headers: { 'x-source': 'prom-a' } }));
        assert.deepEqual(await storedPoints(t.sql, orgId), [
          { key: 'a', dimensions: { team: 'sre' }, ts: base, value: 1 },
          { key: 'b', dimensions: { team: 'sre' }, ts: base, value: 2 },
        ]);
        assert.deepEqual(await sourceCounters(t.sql, id), { accepted: 2, rejected: 0, received: true });

        await newSource(t.sql, orgId, { name: 'prom-off', enabled: false });
        assertError(await post(t, v1([{ labels: { __name__: 'c' }, samples: [[3, base]] }]), { key, url: '/api/v1/write?source=prom-off' }), 403, 'source_disabled');
        await newSource(t.sql, orgId, { name: 'hook', kind: 'webhook' });
        assertError(await post(t, v1([{ labels: { __name__: 'c' }, samples: [[3, base]] }]), { key, url: '/api/v1/write?source=hook' }), 400, 'source_kind_mismatch');
        assertError(await post(t, v1([{ labels: { __name__: 'c' }, samples: [[3, base]] }]), { key, url: '/api/v1/write?source=nope' }), 404, 'source_not_found');
        assert.equal(await countRows(t.sql, 'points', orgId), 2);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });
    });

    test('the store failing is a 5xx (Prometheus retries), nothing half-stored', async () => {
      const { orgId, key } = await fresh('rw store down');
      await t.sql.query('ALTER TABLE points RENAME TO points_away');
      try {
        const r = await post(t, v1([{ labels: { __name__: 'm' }, samples: [[1, base]] }]), { key });
        assert.ok(r.statusCode >= 500, `${r.statusCode} ${r.body}`);
      } finally {
        await t.sql.query('ALTER TABLE points_away RENAME TO points');
      }
      assert.equal(await countRows(t.sql, 'points', orgId), 0);
      // And the retry succeeds.
      assertNoContent(await post(t, v1([{ labels: { __name__: 'm' }, samples: [[1, base]] }]), { key }));
      assert.equal(await countRows(t.sql, 'points', orgId), 1);
    });
  });
}
