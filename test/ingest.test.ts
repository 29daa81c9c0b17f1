import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runMaintenance } from '../src/jobs/maintenance.js';
import { requestFingerprint } from '../src/ingest/idempotency.js';
import type { Sql } from '../src/store/sql.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, countRows, daysAgo, hour, ingestOk, minute, postIngest, postQuery, storedPoints } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

type Reply = Awaited<ReturnType<typeof ingestOk>>;

/** A fresh organisation of `t` with its `*` key: tests that count rows get their own. */
async function freshOrg(t: TestApp, name: string): Promise<{ orgId: string; key: string }> {
  const o = await t.newOrg(name);
  return { orgId: o.org.id, key: o.key };
}

const base = daysAgo(3);

for (const kind of storeKinds) {
  describe(`ingest over HTTP (${kind.name})`, () => {
    let t: TestApp;
    /** Added to the app's wall clock; tests that move time reset it. */
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);

    before(async () => {
      t = await startTestApp({ kind, now: clock });
    });
    after(async () => t.close());

    describe('batches', () => {
      test('a valid batch is stored once committed: ISO and epoch-ms timestamps, dimensions', async () => {
        const { orgId, key } = await freshOrg(t, 'valid batch');
        const reply = await ingestOk(
          t,
          [
            { key: 'cpu.load', value: 0.5, timestamp: base },
            { key: 'cpu.load', value: 0.75, timestamp: new Date(base + minute).toISOString() },
            { key: 'cpu.load', value: -1e300, timestamp: base + 2 * minute, dimensions: { host: 'web-1' } },
            { key: 'mem_used', value: 42, timestamp: '2020-02-29T12:00:00+02:00', dimensions: { host: 'web-1', region: 'eu' } },
          ],
          { key },
        );
        assert.deepEqual(reply, { accepted: 4, rejected: 0, duplicates: 0, dropped: 0, errors: [] });

        // Read through a second connection: the reply came after the commit.
        const other: Sql = t.store.connectAgain ? await t.store.connectAgain() : t.sql;
        assert.deepEqual(await storedPoints(other, orgId), [
          { key: 'cpu.load', dimensions: {}, ts: base, value: 0.5 },
          { key: 'cpu.load', dimensions: {}, ts: base + minute, value: 0.75 },
          { key: 'cpu.load', dimensions: { host: 'web-1' }, ts: base + 2 * minute, value: -1e300 },
          { key: 'mem_used', dimensions: { host: 'web-1', region: 'eu' }, ts: Date.UTC(2020, 1, 29, 10), value: 42 },
        ]);
        assert.equal(await countRows(other, 'series', orgId), 3);
        assert.equal(await countRows(other, 'dead_letters', orgId), 0);
      });

      test('each item is validated alone: valid items are stored, the others reported by index and queued', async () => {
        const { orgId, key } = await freshOrg(t, 'mixed batch');
        const r = await postIngest(
          t,
          {
            metrics: [
              { key: 'ok', value: 1, timestamp: base },
              { key: '9bad', value: 1, timestamp: base },
              { key: 'ok', value: '2', timestamp: base + 1 },
              { key: 'ok', value: 3, timestamp: base + 2 },
              { key: 'ok', value: 4, timestamp: 'yesterday' },
              { key: 'ok', value: 5, timestamp: base + 3, dimensions: { host: 7 } },
              null,
            ],
            source: 'agent-7',
          },
          { key },
        );
        assert.equal(r.statusCode, 200, r.body);
        const body = r.json() as Reply;
        assert.equal(body.accepted, 2);
        assert.equal(body.rejected, 5);
        assert.equal(body.duplicates, 0);
        assert.deepEqual(
          body.errors.map((e) => [e.index, e.code, e.field]),
          [
            [1, 'invalid_key', 'metrics[1].key'],
            [2, 'invalid_value', 'metrics[2].value'],
            [4, 'invalid_timestamp', 'metrics[4].timestamp'],
            [5, 'invalid_dimension_value', 'metrics[5].dimensions.host'],
            [6, 'invalid_item', 'metrics[6]'],
          ],
        );
        for (const e of body.errors) assert.ok(e.message.length > 0);
        assert.deepEqual(
          (await storedPoints(t.sql, orgId)).map((p) => [p.ts, p.value]),
          [
            [base, 1],
            [base + 2, 3],
          ],
        );
        const letters = await t.sql.query<{ source: string; request_id: string; error_code: string }>('SELECT source, request_id, error_code FROM dead_letters WHERE org_id = $1 ORDER BY error_code', [orgId]);
        assert.deepEqual(
          letters.rows.map((l) => l.error_code),
          ['invalid_dimension_value', 'invalid_item', 'invalid_key', 'invalid_timestamp', 'invalid_value'],
        );
        for (const l of letters.rows) {
          assert.equal(l.source, 'agent-7');
          assert.equal(l.request_id, r.headers['x-request-id']);
        }
      });

      test('an empty batch is a no-op', async () => {
        assert.deepEqual(await ingestOk(t, []), { accepted: 0, rejected: 0, duplicates: 0, dropped: 0, errors: [] });
      });

      test('1000 metrics pass; 1001 are refused with 413 batch_too_large and nothing is stored', async () => {
        const { orgId, key } = await freshOrg(t, 'batch size');
        const items = (n: number) => Array.from({ length: n }, (_, i) => (i % 100 === 99 ? { key: 'bad key', value: i, timestamp: base } : { key: 'size.test', value: i, timestamp: base + i }));
        const tooMany = await postIngest(t, { metrics: items(1001) }, { key });
        const err = assertError(tooMany, 413, 'batch_too_large');
        assert.deepEqual(err.details, { max: 1000, received: 1001 });
        assert.match(err.message, /1000/);
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'series', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0, 'rejected items of a refused batch are not queued');

        const full = await ingestOk(t, items(1000), { key });
        assert.deepEqual([full.accepted, full.rejected], [990, 10]);
        assert.equal(await countRows(t.sql, 'points', orgId), 990);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 10);
      });

      test('a body not of the shape {metrics: [...], source?} is a 400 and stores nothing', async () => {
        const { orgId, key } = await freshOrg(t, 'bad bodies');
        const bodies: [string, string, string][] = [
          ['{}', 'validation_failed', 'body.metrics'],
          ['[]', 'validation_failed', 'body'],
          ['null', 'validation_failed', 'body'],
          ['"metrics"', 'validation_failed', 'body'],
          ['42', 'validation_failed', 'body'],
          ['{"metrics":{}}', 'validation_failed', 'body.metrics'],
          // A lone value is not a batch of one (ajv would otherwise coerce it into an array).
          ['{"metrics":{"key":"a","value":1,"timestamp":1}}', 'validation_failed', 'body.metrics'],
          ['{"metrics":"x"}', 'validation_failed', 'body.metrics'],
          ['{"metrics":5}', 'validation_failed', 'body.metrics'],
          ['{"metrics":null}', 'validation_failed', 'body.metrics'],
          ['{"metrics":true}', 'validation_failed', 'body.metrics'],
          ['{"metric":[]}', 'validation_failed', 'body.metrics'],
          ['{"metrics":[],"extra":1}', 'validation_failed', 'body.extra'],
          ['{"metrics":[],"source":""}', 'validation_failed', 'body.source'],
          ['{"metrics":[],"source":"has space"}', 'validation_failed', 'body.source'],
          [`{"metrics":[],"source":"${'s'.repeat(65)}"}`, 'validation_failed', 'body.source'],
          ['{"metrics":[],"source":null}', 'validation_failed', 'body.source'],
          ['{"metrics":[', 'invalid_json', ''],
          ['{"metrics":[]', 'invalid_json', ''],
          ["{'metrics':[]}", 'invalid_json', ''],
          ['{"metrics":[NaN]}', 'invalid_json', ''],
        ];
        for (const [text, code, field] of bodies) {
          const err = assertError(await postIngest(t, text, { key }), 400, code);
          if (field) assert.ok((err.details as { field: string }[]).some((d) => d.field === field), `${text}: ${JSON.stringify(err.details)}`);
        }
        assertError(await postIngest(t, '', { key }), 400, 'invalid_json');
        assertError(await postIngest(t, 'metrics=1', { key, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
        // text/plain is read as a string, which is not the object the route expects.
        assertError(await postIngest(t, '{"metrics":[]}', { key, headers: { 'content-type': 'text/plain' } }), 400, 'validation_failed');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
      });

      test('timestamps more than 300 s (default skew) in the future are rejected, up to it accepted', async () => {
        const now = Date.now();
        const r = await ingestOk(t, [
          { key: 'skew', value: 1, timestamp: now + 290_000 },
          { key: 'skew', value: 2, timestamp: now + 310_000 },
          { key: 'skew', value: 3, timestamp: new Date(now + 86_400_000).toISOString() },
        ]);
        assert.deepEqual([r.accepted, r.rejected], [1, 2]);
        assert.deepEqual(
          r.errors.map((e) => [e.index, e.code, e.field]),
          [
            [1, 'timestamp_in_future', 'metrics[1].timestamp'],
            [2, 'timestamp_in_future', 'metrics[2].timestamp'],
          ],
        );
        // The limit follows the app's clock, not the host's.
        offsetMs = hour;
        try {
          assert.equal((await ingestOk(t, [{ key: 'skew', value: 2, timestamp: now + 310_000 }])).accepted, 1);
        } finally {
          offsetMs = 0;
        }
      });
    });

    describe('scopes', () => {
      test('a read-only key cannot ingest; a write-only key cannot query or list', async () => {
        const reader = await t.newKey(['read']);
        const writer = await t.newKey(['write']);
        const before = await countRows(t.sql, 'points', t.org.id);
        const denied = assertError(await postIngest(t, { metrics: [{ key: 'scoped', value: 1, timestamp: base }] }, { key: reader.secret }), 403, 'insufficient_scope');
        assert.match(denied.message, /"write"/);
        assert.equal(await countRows(t.sql, 'points', t.org.id), before);

        assert.equal((await ingestOk(t, [{ key: 'scoped', value: 1, timestamp: base }], { key: writer.secret })).accepted, 1);
        const query = { key: 'scoped', from: base, to: base };
        assertError(await postQuery(t, query, writer.secret), 403, 'insufficient_scope');
        assertError(await t.app.inject({ method: 'GET', url: '/api/v1/metrics', headers: bearer(writer.secret) }), 403, 'insufficient_scope');
        const read = await postQuery(t, query, reader.secret);
        assert.equal(read.statusCode, 200, read.body);
        assert.equal(read.json().series[0].points.length, 1);
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/ingest', payload: { metrics: [] } }), 401, 'missing_api_key');
      });
    });

    describe('duplicates (policy reject)', () => {
      test('a point with the series and time of a stored one is not stored again; the stored value is kept', async () => {
        const { orgId, key } = await freshOrg(t, 'dup reject');
        assert.equal((await ingestOk(t, [{ key: 'd', value: 1, timestamp: base, dimensions: { a: '1', b: '2' } }], { key })).accepted, 1);
        const again = await ingestOk(
          t,
          [
            // Same instant written differently, dimensions in another order: the same point.
            { key: 'd', value: 99, timestamp: new Date(base).toISOString().replace('Z', '+00:00'), dimensions: { b: '2', a: '1' } },
            // Other series or other time: new points.
            { key: 'd', value: 2, timestamp: base, dimensions: { a: '1' } },
            { key: 'd', value: 3, timestamp: base + 1, dimensions: { a: '1', b: '2' } },
            { key: 'e', value: 4, timestamp: base, dimensions: { a: '1', b: '2' } },
          ],
          { key },
        );
        assert.deepEqual(again, { accepted: 3, rejected: 0, duplicates: 1, dropped: 0, errors: [] });
        const stored = await storedPoints(t.sql, orgId);
        assert.equal(stored.length, 4);
        assert.equal(stored.find((p) => p.key === 'd' && p.ts === base && Object.keys(p.dimensions).length === 2)?.value, 1, 'the stored value is kept');
      });

      test('repeats within one batch: the first wins, the rest count as duplicates', async () => {
        const { orgId, key } = await freshOrg(t, 'dup batch');
        const r = await ingestOk(
          t,
          [
            { key: 'b', value: 1, timestamp: base },
            { key: 'b', value: 2, timestamp: base },
            { key: 'b', value: 3, timestamp: base + 1 },
            { key: 'b', value: 4, timestamp: base },
          ],
          { key },
        );
        assert.deepEqual(r, { accepted: 2, rejected: 0, duplicates: 2, dropped: 0, errors: [] });
        assert.deepEqual(
          (await storedPoints(t.sql, orgId)).map((p) => [p.ts, p.value]),
          [
            [base, 1],
            [base + 1, 3],
          ],
        );
        // Again, the whole batch: all duplicates now.
        assert.deepEqual(await ingestOk(t, [{ key: 'b', value: 5, timestamp: base }, { key: 'b', value: 6, timestamp: base }], { key }), { accepted: 0, rejected: 0, duplicates: 2, dropped: 0, errors: [] });
        assert.equal(await countRows(t.sql, 'points', orgId), 2);
      });

      test('sub-millisecond epoch values round to the same millisecond, hence the same point', async () => {
        const { orgId, key } = await freshOrg(t, 'dup round');
        const r = await ingestOk(t, [{ key: 'r', value: 1, timestamp: base + 0.2 }, { key: 'r', value: 2, timestamp: base }], { key });
        assert.deepEqual([r.accepted, r.duplicates], [1, 1]);
        assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => p.ts), [base]);
      });
    });

    describe('Idempotency-Key', () => {
      const batch = (tag: string) => ({
        metrics: [
          { key: `idem.${tag}`, value: 1, timestamp: base },
          { key: `idem.${tag}`, value: 2, timestamp: base + minute },
          { key: 'not valid', value: 3, timestamp: base },
        ],
      });
      const keyed = (t2: TestApp, body: unknown, idemKey: string, apiKey: string) => postIngest(t2, body, { key: apiKey, headers: { 'idempotency-key': idemKey } });

      test('a retry with the same key and body returns the stored reply, marked replayed, and stores nothing again', async () => {
        const { orgId, key } = await freshOrg(t, 'idem replay');
        const first = await keyed(t, batch('a'), 'req-1', key);
        assert.equal(first.statusCode, 200, first.body);
        assert.equal(first.headers['idempotent-replayed'], undefined);
        const fb = first.json() as Reply;
        assert.deepEqual([fb.accepted, fb.rejected, fb.duplicates, fb.errors.map((e) => e.index)], [2, 1, 0, [2]]);

        for (let i = 0; i < 3; i++) {
          const retry = await keyed(t, batch('a'), 'req-1', key);
          assert.equal(retry.statusCode, 200, retry.body);
          assert.equal(retry.headers['idempotent-replayed'], 'true');
          assert.deepEqual(retry.json(), first.json(), 'the first reply, unchanged (not "2 duplicates")');
        }
        // Another key of the same organisation sees the same stored reply: keys are per organisation.
        const sibling = await t.newKey(['write'], orgId);
        const viaSibling = await keyed(t, batch('a'), 'req-1', sibling.secret);
        assert.equal(viaSibling.headers['idempotent-replayed'], 'true');
        assert.deepEqual(viaSibling.json(), first.json());

        assert.equal(await countRows(t.sql, 'points', orgId), 2);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 1, 'the rejected item is queued once');
        // Without the key the same body is a new request: duplicates now.
        const unkeyed = await ingestOk(t, batch('a').metrics, { key });
        assert.deepEqual([unkeyed.accepted, unkeyed.duplicates, unkeyed.rejected], [0, 2, 1]);
      });

      test('the same key with another body: 422 idempotency_key_reused, nothing stored', async () => {
        const { orgId, key } = await freshOrg(t, 'idem reuse');
        assert.equal((await keyed(t, batch('b'), 'req-2', key)).statusCode, 200);
        const pointsBefore = await countRows(t.sql, 'points', orgId);
        const lettersBefore = await countRows(t.sql, 'dead_letters', orgId);
        for (const other of [batch('c'), { ...batch('b'), source: 'elsewhere' }, { metrics: batch('b').metrics.slice(0, 2) }]) {
          const err = assertError(await keyed(t, other, 'req-2', key), 422, 'idempotency_key_reused');
          assert.match(err.message, /different/);
        }
        assert.equal(await countRows(t.sql, 'points', orgId), pointsBefore);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), lettersBefore);
        // The original is still replayed.
        assert.equal((await keyed(t, batch('b'), 'req-2', key)).headers['idempotent-replayed'], 'true');
      });

      test('the same body with its keys in another order (any depth), other spacing or number spelling is the same request; reordered items are not', async () => {
        const { orgId, key } = await freshOrg(t, 'idem canonical');
        const sent = `{"source":"canon","metrics":[{"key":"idem.canon","value":1.5,"timestamp":${base},"dimensions":{"host":"a","dc":"eu"}},{"key":"idem.canon","value":2,"timestamp":${base + minute},"dimensions":{"host":"b","dc":"us"}}]}`;
        const first = await keyed(t, sent, 'canon-1', key);
        assert.equal(first.statusCode, 200, first.body);
        assert.equal(first.json().accepted, 2);
        const sameRequest = [
          // Keys reordered at the top, in the items and in the dimensions; whitespace; 2.0 for 2, 15e-1 for 1.5.
          `{"metrics":[{"dimensions":{"dc":"eu","host":"a"},"timestamp":${base},"value":15e-1,"key":"idem.canon"},{"timestamp":${base + minute},"key":"idem.canon","dimensions":{"dc":"us","host":"b"},"value":2.0}],"source":"canon"}`,
          `{ "metrics": [ { "value": 1.5, "key": "idem.canon", "dimensions": { "host": "a", "dc": "eu" }, "timestamp": ${base} }, { "dimensions": { "host": "b", "dc": "us" }, "value": 2, "timestamp": ${base + minute}, "key": "idem.canon" } ], "source": "canon" }`,
        ];
        for (const body of sameRequest) {
          const retry = await keyed(t, body, 'canon-1', key);
          assert.equal(retry.statusCode, 200, retry.body);
          assert.equal(retry.headers['idempotent-replayed'], 'true', body);
          assert.deepEqual(retry.json(), first.json());
        }
        // Array order is meaning (item indexes in the reply): the items swapped are another request.
        const swapped = `{"source":"canon","metrics":[{"key":"idem.canon","value":2,"timestamp":${base + minute},"dimensions":{"host":"b","dc":"us"}},{"key":"idem.canon","value":1.5,"timestamp":${base},"dimensions":{"host":"a","dc":"eu"}}]}`;
        assertError(await keyed(t, swapped, 'canon-1', key), 422, 'idempotency_key_reused');
        // So is a changed value inside a reordered body.
        assertError(await keyed(t, sameRequest[0]!.replace('15e-1', '1.25'), 'canon-1', key), 422, 'idempotency_key_reused');
        assert.equal(await countRows(t.sql, 'points', orgId), 2);
      });

      test('keys belong to an organisation: another one using the same key is independent', async () => {
        const a = await freshOrg(t, 'idem org a');
        const b = await freshOrg(t, 'idem org b');
        const ra = await keyed(t, batch('org'), 'shared-key', a.key);
        const rb = await keyed(t, batch('org-other'), 'shared-key', b.key);
        assert.equal(ra.statusCode, 200);
        assert.equal(rb.statusCode, 200, rb.body);
        assert.equal(rb.headers['idempotent-replayed'], undefined);
        assert.equal(rb.json().accepted, 2);
        const rb2 = await keyed(t, batch('org'), 'shared-key', b.key);
        assertError(rb2, 422, 'idempotency_key_reused');
        assert.equal(await countRows(t.sql, 'points', a.orgId), 2);
        assert.equal(await countRows(t.sql, 'points', b.orgId), 2);
        assert.deepEqual([...new Set((await storedPoints(t.sql, b.orgId)).map((p) => p.key))], ['idem.org-other']);
      });

      test('key length: 255 characters accepted, 256 or empty refused with 400', async () => {
        const { key } = await freshOrg(t, 'idem length');
        assert.equal((await keyed(t, batch('len'), 'k'.repeat(255), key)).statusCode, 200);
        const long = assertError(await keyed(t, batch('len2'), 'k'.repeat(256), key), 400, 'validation_failed');
        assert.ok(JSON.stringify(long.details).includes('idempotency-key'));
        assertError(await keyed(t, batch('len3'), '', key), 400, 'validation_failed');
      });

      test('while the first request is in flight: 409 idempotency_key_in_use; a claim abandoned for over a minute is taken over', async () => {
        const { orgId, key } = await freshOrg(t, 'idem in flight');
        const body = batch('flight');
        const now = Date.now();
        const claim = (idemKey: string, lockedAt: Date) =>
          t.sql.query(`INSERT INTO idempotency_keys (org_id, key, fingerprint, state, created_at, locked_at, expires_at) VALUES ($1, $2, $3, 'in_flight', $4, $4, $5)`, [
            orgId,
            idemKey,
            requestFingerprint('POST /api/v1/ingest', body),
            lockedAt,
            new Date(now + 24 * hour),
          ]);
        await claim('busy', new Date(now - 1000));
        const err = assertError(await keyed(t, body, 'busy', key), 409, 'idempotency_key_in_use');
        assert.match(err.message, /retry/i);
        assertError(await keyed(t, batch('flight-other'), 'busy', key), 422, 'idempotency_key_reused');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);

        await claim('abandoned', new Date(now - 2 * minute));
        const taken = await keyed(t, body, 'abandoned', key);
        assert.equal(taken.statusCode, 200, taken.body);
        assert.equal(taken.headers['idempotent-replayed'], undefined);
        assert.equal(taken.json().accepted, 2);
        assert.equal((await keyed(t, body, 'abandoned', key)).headers['idempotent-replayed'], 'true');
      });

      if (kind.name === 'postgres') {
        test('a real request in flight (its write blocked by a lock) makes a concurrent retry 409', async () => {
          const { orgId, key } = await freshOrg(t, 'idem blocked');
          const other = await t.store.connectAgain!();
          let release!: () => void;
          const released = new Promise<void>((r) => (release = r));
          let locked!: () => void;
          const isLocked = new Promise<void>((r) => (locked = r));
          const holder = other.transaction(async (tx) => {
            await tx.query('LOCK TABLE dead_letters IN EXCLUSIVE MODE');
            locked();
            await released;
          });
          await isLocked;
          const first = keyed(t, batch('blocked'), 'blocked-key', key);
          try {
            // The first request claims the key, then waits on the lock to queue its rejected item.
            const deadline = Date.now() + 10_000;
            for (;;) {
              const r = await t.sql.query<{ state: string }>('SELECT state FROM idempotency_keys WHERE org_id = $1 AND key = $2', [orgId, 'blocked-key']);
              if (r.rows[0]?.state === 'in_flight') break;
              assert.ok(Date.now() < deadline, 'the first request never claimed its key');
              await new Promise((res) => setTimeout(res, 20));
            }
            assertError(await keyed(t, batch('blocked'), 'blocked-key', key), 409, 'idempotency_key_in_use');
            assert.equal(await countRows(t.sql, 'points', orgId), 0, 'nothing is visible before the commit');
          } finally {
            release();
            await holder;
          }
          const r1 = await first;
          assert.equal(r1.statusCode, 200, r1.body);
          assert.equal(r1.json().accepted, 2);
          const r2 = await keyed(t, batch('blocked'), 'blocked-key', key);
          assert.equal(r2.headers['idempotent-replayed'], 'true');
          assert.deepEqual(r2.json(), r1.json());
        });
      }

      test('50 concurrent retries of one keyed batch store it exactly once', async () => {
        const { orgId, key } = await freshOrg(t, 'idem storm');
        const body = {
          metrics: [
            ...Array.from({ length: 20 }, (_, i) => ({ key: 'storm', value: i, timestamp: base + i * minute, dimensions: { n: String(i % 3) } })),
            { key: 'storm', value: 'x', timestamp: base },
            { key: 'storm', value: 1, timestamp: Date.now() + 7 * 86_400_000 },
          ],
        };
        const replies = await Promise.all(Array.from({ length: 50 }, () => keyed(t, body, 'storm-key', key)));
        const ok = replies.filter((r) => r.statusCode === 200);
        const busy = replies.filter((r) => r.statusCode === 409);
        assert.equal(ok.length + busy.length, 50, replies.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
        for (const r of busy) assertError(r, 409, 'idempotency_key_in_use');
        const fresh = ok.filter((r) => r.headers['idempotent-replayed'] === undefined);
        assert.equal(fresh.length, 1, 'exactly one request did the work');
        const firstBody = fresh[0]!.json() as Reply;
        assert.deepEqual([firstBody.accepted, firstBody.rejected, firstBody.duplicates], [20, 2, 0]);
        for (const r of ok) assert.deepEqual(r.json(), firstBody);

        assert.equal(await countRows(t.sql, 'points', orgId), 20);
        assert.equal(await countRows(t.sql, 'series', orgId), 3);
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 2);
        const keys = await t.sql.query<{ state: string }>('SELECT state FROM idempotency_keys WHERE org_id = $1', [orgId]);
        assert.deepEqual(keys.rows, [{ state: 'done' }]);
        // Once settled, every retry is a replay.
        const late = await keyed(t, body, 'storm-key', key);
        assert.equal(late.headers['idempotent-replayed'], 'true');
        assert.deepEqual(late.json(), firstBody);
      });

      test('after the TTL (24 h) a key is new again; the maintenance job purges expired keys only', async () => {
        const { orgId, key } = await freshOrg(t, 'idem ttl');
        assert.equal((await keyed(t, batch('ttl-a'), 'ttl-key', key)).statusCode, 200);
        assert.equal((await keyed(t, batch('ttl-a'), 'old-key', key)).statusCode, 200);
        offsetMs = 23 * hour;
        try {
          // Still within the TTL.
          assert.equal((await keyed(t, batch('ttl-a'), 'ttl-key', key)).headers['idempotent-replayed'], 'true');
          assertError(await keyed(t, batch('ttl-b'), 'ttl-key', key), 422, 'idempotency_key_reused');
          assert.equal((await keyed(t, batch('ttl-c'), 'young-key', key)).statusCode, 200);

          offsetMs = 24 * hour + minute;
          // Expired: another body under the same key is a new request…
          const again = await keyed(t, batch('ttl-b'), 'ttl-key', key);
          assert.equal(again.statusCode, 200, again.body);
          assert.equal(again.headers['idempotent-replayed'], undefined);
          assert.equal(again.json().accepted, 2);
          // …and now that body is the one the key replays.
          assert.equal((await keyed(t, batch('ttl-b'), 'ttl-key', key)).headers['idempotent-replayed'], 'true');
          assertError(await keyed(t, batch('ttl-a'), 'ttl-key', key), 422, 'idempotency_key_reused');

          const keysNow = async () => (await t.sql.query<{ key: string }>('SELECT key FROM idempotency_keys WHERE org_id = $1 ORDER BY key', [orgId])).rows.map((r) => r.key);
          assert.deepEqual(await keysNow(), ['old-key', 'ttl-key', 'young-key']);
          const result = await runMaintenance(t.sql, clock(), { deadLetterRetentionDays: 7 });
          assert.ok(result.deletedIdempotencyKeys >= 1);
          assert.deepEqual(await keysNow(), ['ttl-key', 'young-key'], 'only the expired key is purged');
          // The purged key is usable for anything.
          const reused = await keyed(t, batch('ttl-d'), 'old-key', key);
          assert.equal(reused.statusCode, 200);
          assert.equal(reused.headers['idempotent-replayed'], undefined);
        } finally {
          offsetMs = 0;
        }
      });
    });

    describe('hostile input never causes a 5xx', () => {
      const now = () => Date.now();
      // [name, item as JSON text, expected: 'stored' or the error code]
      const items: [string, () => string, string | string[]][] = [
        ['NUL in the key', () => JSON.stringify({ key: 'a\u0000b', value: 1, timestamp: now() }), 'invalid_key'],
        ['NUL in a dimension value', () => JSON.stringify({ key: 'a', value: 1, timestamp: now(), dimensions: { h: 'x\u0000' } }), 'invalid_dimension_value'],
        ['NUL in a dimension name', () => JSON.stringify({ key: 'a', value: 1, timestamp: now(), dimensions: { 'h\u0000': 'x' } }), 'invalid_dimension_name'],
        ['NUL in the timestamp', () => JSON.stringify({ key: 'a', value: 1, timestamp: '2026-01-01T00:00:00\u0000Z' }), 'invalid_timestamp'],
        ['NUL in an extra field and its name', () => JSON.stringify({ key: '1a', value: 1, timestamp: now(), ['n\u0000']: '\u0000\u0000' }), 'invalid_key'],
        ['largest double', () => `{"key":"huge","value":1.7976931348623157e308,"timestamp":${now()}}`, 'stored'],
        ['value as a string', () => `{"key":"a","value":"12","timestamp":${now()}}`, 'invalid_value'],
        ['value "NaN"', () => `{"key":"a","value":"NaN","timestamp":${now()}}`, 'invalid_value'],
        ['value "Infinity"', () => `{"key":"a","value":"Infinity","timestamp":${now()}}`, 'invalid_value'],
        ['value null', () => `{"key":"a","value":null,"timestamp":${now()}}`, 'invalid_value'],
        ['value nested arrays', () => `{"key":"a","value":[[1],[2,[3]]],"timestamp":${now()}}`, 'invalid_value'],
        ['value an object', () => `{"key":"a","value":{"v":1},"timestamp":${now()}}`, 'invalid_value'],
        ['timestamp "NaN"', () => `{"key":"a","value":1,"timestamp":"NaN"}`, 'invalid_timestamp'],
        // Epoch seconds read as milliseconds would be January 1970: refused, with a message saying so.
        ['timestamp in seconds', () => `{"key":"secs","value":1,"timestamp":${Math.floor(now() / 1000)}}`, 'invalid_timestamp'],
        ['timestamp in nanoseconds', () => `{"key":"a","value":1,"timestamp":${now()}000000}`, 'invalid_timestamp'],
        ['timestamp in year 10000', () => `{"key":"a","value":1,"timestamp":"10000-01-01T00:00:00Z"}`, 'invalid_timestamp'],
        ['timestamp past 9999 as epoch ms', () => `{"key":"a","value":1,"timestamp":253402300800000}`, 'invalid_timestamp'],
        ['negative epoch', () => `{"key":"a","value":1,"timestamp":-86400000}`, 'invalid_timestamp'],
        ['timestamp an object', () => `{"key":"a","value":1,"timestamp":{"$date":1}}`, 'invalid_timestamp'],
        ['33 dimensions', () => JSON.stringify({ key: 'a', value: 1, timestamp: now(), dimensions: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`d${i}`, 'v'])) }), 'too_many_dimensions'],
        ['dimension value of 257 characters', () => JSON.stringify({ key: 'a', value: 1, timestamp: now(), dimensions: { h: 'v'.repeat(257) } }), 'invalid_dimension_value'],
        ['dimensions an array', () => JSON.stringify({ key: 'a', value: 1, timestamp: now(), dimensions: ['h', 'v'] }), 'invalid_dimensions'],
        ['key of 100 000 characters', () => JSON.stringify({ key: `k${'x'.repeat(100_000)}`, value: 1, timestamp: now() }), 'invalid_key'],
        ['SQL in the key', () => JSON.stringify({ key: "a'; DROP TABLE points; --", value: 1, timestamp: now() }), 'invalid_key'],
        ['SQL in a dimension value', () => JSON.stringify({ key: 'sqlish', value: 1, timestamp: now(), dimensions: { h: "x'); DROP TABLE points; --" } }), 'stored'],
        ['item null', () => 'null', 'invalid_item'],
        ['item a number', () => '17', 'invalid_item'],
        ['item a string', () => '"cpu"', 'invalid_item'],
        ['item true', () => 'true', 'invalid_item'],
        ['item nested arrays', () => '[[1,[2,[3,[]]]],{}]', 'invalid_item'],
        // Within the body's nesting limit (32 levels; deeper bodies are refused whole, below).
        ['item nested 29 deep', () => `${'['.repeat(29)}${']'.repeat(29)}`, 'invalid_item'],
        ['a field nested 28 deep', () => `{"key":"1a","value":1,"timestamp":1,"x":${'{"a":'.repeat(28)}1${'}'.repeat(28)}}`, 'invalid_key'],
        ['item an empty object', () => '{}', 'invalid_key'],
      ];

      test('each hostile item: 200, valid neighbours stored, the item rejected with its code and queued as JSON', async () => {
        const { orgId, key } = await freshOrg(t, 'fuzz items');
        let expectedStored = 0;
        for (const [name, item, expected] of items) {
          const text = `{"metrics":[{"key":"neighbour","value":1,"timestamp":${base + expectedStored}},${item()}],"source":"fuzz"}`;
          const r = await postIngest(t, text, { key });
          assert.equal(r.statusCode, 200, `${name}: ${r.body.slice(0, 300)}`);
          const body = r.json() as Reply;
          const allowed = Array.isArray(expected) ? expected : [expected];
          const outcome = body.rejected ? body.errors[0]!.code : 'stored';
          assert.ok(allowed.includes(outcome), `${name}: got ${outcome}, expected ${allowed.join(' or ')}`);
          assert.equal(body.accepted + body.rejected, 2, name);
          assert.ok(body.accepted >= 1, `${name}: the valid neighbour is stored`);
          expectedStored += body.accepted;
          if (body.rejected) {
            assert.equal(body.errors[0]!.index, 1, name);
            assert.ok(!JSON.stringify(body).includes('\\u0000'), `${name}: no NUL echoed`);
            // The queued item is retrievable as JSON, with this request's id.
            const list = await t.app.inject({ method: 'GET', url: '/api/v1/dead-letters?limit=5', headers: bearer(key) });
            assert.equal(list.statusCode, 200, list.body);
            const newest = list.json().items[0];
            assert.equal(newest.requestId, r.headers['x-request-id'], name);
            assert.equal(newest.error.code, outcome, name);
            assert.equal(newest.source, 'fuzz');
            const one = await t.app.inject({ method: 'GET', url: `/api/v1/dead-letters/${newest.id}`, headers: bearer(key) });
            assert.equal(one.statusCode, 200, `${name}: ${one.body.slice(0, 300)}`);
            assert.ok(!one.body.includes('\\u0000'), `${name}: NULs are not stored`);
            assert.deepEqual(one.json(), newest);
          }
        }
        assert.equal(await countRows(t.sql, 'points', orgId), expectedStored);
        // The queue holds every rejected item, even the nastiest, and lists as JSON.
        const all = await t.app.inject({ method: 'GET', url: '/api/v1/dead-letters?limit=1000&source=fuzz', headers: bearer(key) });
        assert.equal(all.statusCode, 200);
        assert.equal(all.json().items.length, await countRows(t.sql, 'dead_letters', orgId));
        // Spot checks of what was kept.
        const kept = (all.json().items as { item: unknown; error: { code: string } }[]).map((l) => JSON.stringify(l.item));
        assert.ok(kept.some((s) => s.includes('a\ufffdb')), 'NUL in the key shown as U+FFFD');
        assert.ok(kept.includes('null') && kept.includes('17') && kept.includes('"cpu"'), 'non-object items kept as they were');
      });

      test('hostile bodies: 4xx JSON, nothing stored', async () => {
        const { orgId, key } = await freshOrg(t, 'fuzz bodies');
        const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
        const bodies: [string, string][] = [
          // Prototype poisoning attempts are refused by the JSON parser as a whole.
          ['__proto__ in an item', `{"metrics":[{"key":"a","value":1,"timestamp":${base},"__proto__":{"polluted":1}}]}`],
          ['__proto__ dimension', `{"metrics":[{"key":"a","value":1,"timestamp":${base},"dimensions":{"__proto__":"x"}}]}`],
          ['__proto__ at the top', `{"metrics":[],"__proto__":{"polluted":1}}`],
          ['constructor.prototype', `{"metrics":[{"key":"a","value":1,"timestamp":${base},"constructor":{"prototype":{"polluted":1}}}]}`],
          ['NUL in the source', `{"metrics":[],"source":"a\\u0000b"}`],
          ['truncated', `{"metrics":[{"key":"a","value":1,"timestamp":`],
          ['bare NUL byte', `{"metrics":[]}\u0000`],
          ['metrics nested arrays', `{"metrics":[[${deep(3)}]],"source":[["x"]]}`],
          ['metrics a number', `{"metrics":1e999}`],
          // A number that overflows a double, or nesting past 32 levels, refuses the whole batch (400).
          ['value 1e999 (Infinity)', `{"metrics":[{"key":"a","value":1e999,"timestamp":${base}}]}`],
          ['value -1e999', `{"metrics":[{"key":"a","value":-1e999,"timestamp":${base}}]}`],
          ['timestamp 1e999', `{"metrics":[{"key":"a","value":1,"timestamp":1e999}]}`],
          ['item nested 5000 deep', `{"metrics":[${deep(5000)}]}`],
          ['a field nested 5000 deep', `{"metrics":[{"key":"1a","value":1,"timestamp":1,"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}]}`],
          ['body a deep array', deep(100_000)],
        ];
        for (const [name, text] of bodies) {
          const r = await postIngest(t, text, { key });
          assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${name}: ${r.statusCode} ${r.body.slice(0, 300)}`);
          assert.deepEqual(Object.keys(r.json()), ['error'], name);
        }
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted');
        // A keyed request whose body is too deep to fingerprint is refused, not a crash.
        const tooDeep = `{"metrics":[${deep(200_000)}]}`;
        const keyedDeep = await postIngest(t, tooDeep, { key, headers: { 'idempotency-key': 'deep' } });
        assert.ok([200, 400].includes(keyedDeep.statusCode), keyedDeep.body.slice(0, 300));
        const plainDeep = await postIngest(t, tooDeep, { key });
        assert.equal(plainDeep.statusCode, 400, plainDeep.body.slice(0, 300));
        assert.equal(plainDeep.json().error.code, 'json_too_deep');
        assert.equal(await countRows(t.sql, 'points', orgId), 0);
      });
    });
  });

  describe(`ingest with configured limits and duplicatePolicy overwrite (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind, config: { ingestMaxBatch: 5, ingestMaxFutureSkewSeconds: 0, duplicatePolicy: 'overwrite' } });
    });
    after(async () => t.close());

    test('ingestMaxBatch: 5 pass, 6 are a 413', async () => {
      const items = (n: number) => Array.from({ length: n }, (_, i) => ({ key: 'cfg.batch', value: i, timestamp: base + i }));
      assert.equal((await ingestOk(t, items(5))).accepted, 5);
      const err = assertError(await postIngest(t, { metrics: items(6) }), 413, 'batch_too_large');
      assert.deepEqual(err.details, { max: 5, received: 6 });
      assert.equal((await storedPoints(t.sql, t.org.id, 'cfg.batch')).length, 5);
    });

    test('ingestMaxFutureSkewSeconds 0: a timestamp a few seconds ahead is rejected', async () => {
      const r = await ingestOk(t, [
        { key: 'cfg.skew', value: 1, timestamp: Date.now() - 1000 },
        { key: 'cfg.skew', value: 2, timestamp: Date.now() + 5000 },
      ]);
      assert.deepEqual([r.accepted, r.rejected, r.errors[0]?.code], [1, 1, 'timestamp_in_future']);
    });

    test('overwrite: the value is replaced; accepted counts every valid point, duplicates the replaced ones', async () => {
      const { orgId, key } = await freshOrg(t, 'overwrite');
      assert.deepEqual(await ingestOk(t, [{ key: 'o', value: 1, timestamp: base }, { key: 'o', value: 2, timestamp: base + 1 }], { key }), {
        accepted: 2,
        rejected: 0,
        duplicates: 0,
        dropped: 0,
        errors: [],
      });
      const r = await ingestOk(
        t,
        [
          { key: 'o', value: 10, timestamp: base }, // replaces a stored point
          { key: 'o', value: 30, timestamp: base + 2 }, // new
          { key: 'o', value: 31, timestamp: base + 2 }, // repeats within the batch: the last wins
          { key: 'o', value: 'x', timestamp: base + 1 }, // invalid: does not touch the stored point
        ],
        { key },
      );
      assert.deepEqual([r.accepted, r.duplicates, r.rejected], [3, 2, 1]);
      assert.deepEqual(
        (await storedPoints(t.sql, orgId)).map((p) => [p.ts - base, p.value]),
        [
          [0, 10],
          [1, 2],
          [2, 31],
        ],
      );
      // Writing the same values again: all replaced (with themselves).
      assert.deepEqual(await ingestOk(t, [{ key: 'o', value: 10, timestamp: base }], { key }), { accepted: 1, rejected: 0, duplicates: 1, dropped: 0, errors: [] });
      assert.equal(await countRows(t.sql, 'points', orgId), 3);
    });

    test('overwrite with an Idempotency-Key: a replay does not write again', async () => {
      const { orgId, key } = await freshOrg(t, 'overwrite idem');
      const body = { metrics: [{ key: 'oi', value: 1, timestamp: base }] };
      const first = await postIngest(t, body, { key, headers: { 'idempotency-key': 'ow' } });
      assert.equal(first.statusCode, 200);
      await ingestOk(t, [{ key: 'oi', value: 5, timestamp: base }], { key });
      const replay = await postIngest(t, body, { key, headers: { 'idempotency-key': 'ow' } });
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual((await storedPoints(t.sql, orgId)).map((p) => p.value), [5], 'the replay did not overwrite the newer value');
    });
  });
}
