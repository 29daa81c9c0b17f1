// The append path (issue 18, src/metrics/points/write.ts) on both stores: fresh points appended as
// they are, late points and duplicates checked against hot rows AND compacted chunks, exactly once
// under `reject` and `overwrite`, rollups of a changed day deleted, several processes at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ingest, type IngestDeps, type IngestReply } from '../src/ingest/ingest.js';
import { preparePoints, writePrepared } from '../src/ingest/write-points.js';
import { SeriesCache } from '../src/metrics/series-cache.js';
import { resolveSeries } from '../src/metrics/series-store.js';
import { ensurePartitions } from '../src/metrics/points/partitions.js';
import { decodeChunk, encodeChunk } from '../src/store/chunks/codec.js';
import { computeRollup, encodeRollup } from '../src/store/chunks/rollup.js';
import { COMPACTION_GRACE_MS, DAY_MS, dayStartMs, TWO_HOURS_S, windowStartMs } from '../src/store/chunks/window.js';
import { float8Array, int8Array, timestamptzArray, type Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const minute = 60_000;
const hour = 3_600_000;
/** The wall clock of every write here: fixed, so windows and the grace cut-off are exact. */
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const clock = () => new Date(NOW);

type Policy = 'reject' | 'overwrite';

function depsOf(sql: Sql, cache: SeriesCache, policy: Policy = 'reject'): IngestDeps {
  return { sql, cache, now: clock, settings: { maxBatch: 10_000, maxFutureSkewMs: 300_000, duplicatePolicy: policy, idempotencyTtlMs: 86_400_000 } };
}

async function send(deps: IngestDeps, orgId: string, key: string, points: [number, number][], extra: unknown[] = []): Promise<IngestReply> {
  const items = [...points.map(([t, v]) => ({ key, value: v, timestamp: t })), ...extra];
  const out = await ingest(deps, { orgId, requestId: null, via: { label: 'test', sourceId: null }, items });
  assert.equal(out.replayed, false);
  return out.body as IngestReply;
}

const counts = (r: IngestReply) => ({ accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected });

interface Stored {
  hot: [number, number][];
  chunk: [number, number][];
}

/** Every stored point of a series, hot rows and decoded chunks apart, each ascending. */
async function stored(sql: Sql, seriesId: number): Promise<Stored> {
  const hot = await sql.query<{ t: number; v: number }>('SELECT (extract(epoch FROM ts) * 1000)::float8 AS t, value AS v FROM points WHERE series_id = $1 ORDER BY ts', [seriesId]);
  const chunks = await sql.query<{ data: Uint8Array; n: number; first_ms: number; last_ms: number }>(
    `SELECT data, n, (extract(epoch FROM first_ts) * 1000)::float8 AS first_ms, (extract(epoch FROM last_ts) * 1000)::float8 AS last_ms
     FROM chunks WHERE series_id = $1 ORDER BY window_start`,
    [seriesId],
  );
  const chunk: [number, number][] = [];
  for (const c of chunks.rows) {
    const d = decodeChunk(c.data);
    // The row's columns describe its data.
    assert.equal(d.timestampsMs.length, c.n);
    assert.equal(d.timestampsMs[0], c.first_ms);
    assert.equal(d.timestampsMs[c.n - 1], c.last_ms);
    d.timestampsMs.forEach((t, i) => chunk.push([t, d.values[i]!]));
  }
  return { hot: hot.rows.map((r) => [r.t, r.v]), chunk };
}

/** All stored points (hot and chunks) by time; fails when a time is stored twice. */
async function everything(sql: Sql, seriesId: number): Promise<[number, number][]> {
  const s = await stored(sql, seriesId);
  const all = [...s.hot, ...s.chunk].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < all.length; i++) assert.notEqual(all[i]![0], all[i - 1]![0], `time ${new Date(all[i]![0]).toISOString()} stored twice`);
  return all;
}

async function seriesIdOf(sql: Sql, orgId: string, key: string): Promise<number> {
  const ids = await resolveSeries(sql, orgId, new Map([[key, { key, dimensions: {} }]]));
  return ids.get(key)!;
}

/** A compacted window written the way compaction leaves it: the series' width set, its day partition made. */
async function putChunk(sql: Sql, seriesId: number, points: [number, number][]): Promise<void> {
  const ts = Float64Array.from(points.map((p) => p[0]));
  const vs = Float64Array.from(points.map((p) => p[1]));
  const w = windowStartMs(ts[0]!, TWO_HOURS_S);
  assert.equal(windowStartMs(ts[ts.length - 1]!, TWO_HOURS_S), w, 'a chunk lies in one window');
  await sql.query('UPDATE series SET chunk_seconds = $2 WHERE id = $1', [seriesId, TWO_HOURS_S]);
  await ensurePartitions(sql, 'chunks', [w]);
  await sql.query('INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data) VALUES ($1, $2, $3, $4, $5, $6)', [
    seriesId,
    new Date(w).toISOString(),
    new Date(ts[0]!).toISOString(),
    new Date(ts[ts.length - 1]!).toISOString(),
    ts.length,
    Buffer.from(encodeChunk(ts, vs)),
  ]);
}

async function putRollups(sql: Sql, seriesId: number, dayMs: number, points: [number, number][], only?: 'rollups_5m'): Promise<void> {
  const ts = Float64Array.from(points.map((p) => p[0]));
  const vs = Float64Array.from(points.map((p) => p[1]));
  for (const [table, res] of [['rollups_5m', 300_000], ['rollups_1h', 3_600_000]] as const) {
    if (only && table !== only) continue;
    await ensurePartitions(sql, table, [dayMs]);
    await sql.query(`INSERT INTO ${table} (series_id, day, data) VALUES ($1, $2, $3)`, [seriesId, new Date(dayMs).toISOString(), Buffer.from(encodeRollup(computeRollup(ts, vs, res)))]);
  }
}

async function rollupDays(sql: Sql, seriesId: number): Promise<{ table: string; day: number }[]> {
  const r = await sql.query<{ table: string; day: number }>(
    `SELECT 'rollups_5m' AS table, (extract(epoch FROM day) * 1000)::float8 AS day FROM rollups_5m WHERE series_id = $1
     UNION ALL SELECT 'rollups_1h', (extract(epoch FROM day) * 1000)::float8 FROM rollups_1h WHERE series_id = $1 ORDER BY 1, 2`,
    [seriesId],
  );
  return r.rows;
}

/** A closed 2 h window six hours back: its points are older than now − grace. */
const W = windowStartMs(NOW - 6 * hour, TWO_HOURS_S);
/** One point a minute over the window, value = minute + 0.5. */
const windowPoints = (w: number): [number, number][] => Array.from({ length: 120 }, (_, k) => [w + k * minute, k + 0.5]);

for (const kind of storeKinds) {
  describe(`storage write path (${kind.name})`, () => {
    let store: TestStore;
    let sql: Sql;
    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
    });
    after(async () => store.drop());

    let orgs = 0;
    const newOrg = async () => (await createOrg(sql, { name: `write ${++orgs}` })).id;

    test('binary array parameters reach the server exactly: ids, times from 1970 to 9999 (beyond 2^53 µs), every double', async () => {
      const ids = [1, 2 ** 31, 2 ** 53 - 1, -5, 0];
      const times = [0, 1, 946_684_800_000 - 1, 946_684_800_000, NOW, 9_007_199_254_740, 253_402_300_799_999];
      const doubles = [-0, 0, 1e-310, -Number.MAX_VALUE, Number.MIN_VALUE, 0.1 + 0.2, 123456.789];
      const r = await sql.query<{ id: string; ms: string; v: string; iso: string }>(
        `SELECT a.id::text AS id, (extract(epoch FROM b.t) * 1000)::bigint::text AS ms, to_char(b.t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS iso,
           float8send(c.v)::text AS v
         FROM unnest($1::int8[]) WITH ORDINALITY a(id, k)
         FULL JOIN unnest($2::timestamptz[]) WITH ORDINALITY b(t, k) USING (k)
         FULL JOIN unnest($3::float8[]) WITH ORDINALITY c(v, k) USING (k) ORDER BY k`,
        [int8Array(ids), timestamptzArray(times), float8Array(doubles)],
      );
      assert.deepEqual(r.rows.slice(0, ids.length).map((x) => Number(x.id)), ids);
      assert.deepEqual(r.rows.map((x) => Number(x.ms)), times);
      assert.deepEqual(r.rows.map((x) => `${x.iso}Z`), times.map((t) => new Date(t).toISOString()));
      const bits = (x: number) => `\\x${Buffer.from(new Float64Array([x]).buffer).reverse().toString('hex')}`;
      assert.deepEqual(r.rows.map((x) => x.v), doubles.map(bits));
      const empty = await sql.query<{ n: number }>('SELECT cardinality($1::int8[]) + cardinality($2::timestamptz[]) + cardinality($3::float8[]) AS n', [int8Array([]), timestamptzArray([]), float8Array([])]);
      assert.equal(Number(empty.rows[0]!.n), 0);
    });

    test('fresh points are appended without checks; the memory learns each series\' newest time after the commit', async () => {
      const orgId = await newOrg();
      const cache = new SeriesCache();
      const deps = depsOf(sql, cache);
      const t0 = NOW - 2 * minute;
      const batch: [number, number][] = [[t0, 1], [t0 + 15_000, 2], [t0 + 30_000, 3]];

      // A series this process does not know: its newest stored time is read once, then the points are fresh.
      const plan = (await preparePoints(sql, orgId, batch.map(([t, v]) => ({ key: 'fresh', value: v, timestampMs: t, dimensions: {} })), 'reject', NOW, cache)).plan;
      assert.equal(plan.fresh.seriesIds.length, 3);
      assert.equal(plan.checked.seriesIds.length, 0);

      assert.deepEqual(counts(await send(deps, orgId, 'fresh', batch)), { accepted: 3, duplicates: 0, rejected: 0 });
      const sid = await seriesIdOf(sql, orgId, 'fresh');
      assert.equal(cache.lastTimestamps.get(sid), t0 + 30_000);

      // Newer points of a remembered series: fresh again, no look-up; the same points again: checked, duplicates.
      const next: [number, number][] = [[t0 + 45_000, 4], [t0 + 60_000, 5]];
      const plan2 = (await preparePoints(sql, orgId, next.map(([t, v]) => ({ key: 'fresh', value: v, timestampMs: t, dimensions: {} })), 'reject', NOW, cache)).plan;
      assert.deepEqual([plan2.fresh.seriesIds.length, plan2.checked.seriesIds.length], [2, 0]);
      assert.deepEqual(counts(await send(deps, orgId, 'fresh', next)), { accepted: 2, duplicates: 0, rejected: 0 });
      assert.deepEqual(counts(await send(deps, orgId, 'fresh', [...batch, [t0 + 75_000, 6]])), { accepted: 1, duplicates: 3, rejected: 0 });
      assert.equal(cache.lastTimestamps.get(sid), t0 + 75_000);
      assert.deepEqual(await everything(sql, sid), [...batch, ...next, [t0 + 75_000, 6]]);

      // A point older than now − grace is never fresh, even when newer than everything stored.
      const oldButNew = (await preparePoints(sql, orgId, [{ key: 'other', value: 1, timestampMs: NOW - COMPACTION_GRACE_MS, dimensions: {} }], 'reject', NOW, cache)).plan;
      assert.deepEqual([oldButNew.fresh.seriesIds.length, oldButNew.checked.seriesIds.length], [0, 1]);
    });

    test('values are stored bit for bit: −0 keeps its sign on both paths', async () => {
      const orgId = await newOrg();
      const deps = depsOf(sql, new SeriesCache());
      // Fresh (appended) and late (checked) points.
      assert.deepEqual(counts(await send(deps, orgId, 'signed', [[NOW - minute, -0], [NOW - hour, -0], [NOW - 2 * hour, 1e-310]])), { accepted: 3, duplicates: 0, rejected: 0 });
      const s = await stored(sql, await seriesIdOf(sql, orgId, 'signed'));
      assert.ok(Object.is(s.hot[1]![1], -0) && Object.is(s.hot[2]![1], -0), JSON.stringify(s.hot));
      assert.equal(s.hot[0]![1], 1e-310);
    });

    test('a cold memory (a new process) still rejects a duplicate of a fresh point; overwrite replaces it', async () => {
      const orgId = await newOrg();
      const t = NOW - minute;
      assert.deepEqual(counts(await send(depsOf(sql, new SeriesCache()), orgId, 'cold', [[t, 1]])), { accepted: 1, duplicates: 0, rejected: 0 });
      const sid = await seriesIdOf(sql, orgId, 'cold');

      const fresh = new SeriesCache();
      assert.deepEqual(counts(await send(depsOf(sql, fresh), orgId, 'cold', [[t, 2], [t + 1000, 3]])), { accepted: 1, duplicates: 1, rejected: 0 });
      assert.equal(fresh.lastTimestamps.get(sid), t + 1000);
      assert.deepEqual(counts(await send(depsOf(sql, new SeriesCache(), 'overwrite'), orgId, 'cold', [[t, 9]])), { accepted: 1, duplicates: 1, rejected: 0 });
      assert.deepEqual(await everything(sql, sid), [[t, 9], [t + 1000, 3]]);
    });

    test('a memory behind the store (another process wrote since): the append is refused and the batch is checked, alone or in a transaction', async () => {
      const orgId = await newOrg();
      const t = NOW - 5 * minute;
      const a = new SeriesCache();
      assert.deepEqual(counts(await send(depsOf(sql, a), orgId, 'stale', [[t, 1]])), { accepted: 1, duplicates: 0, rejected: 0 });
      const sid = await seriesIdOf(sql, orgId, 'stale');
      assert.deepEqual(counts(await send(depsOf(sql, a), orgId, 'stale', [[t + minute, 2], [t + 2 * minute, 3]])), { accepted: 2, duplicates: 0, rejected: 0 });

      // B last saw t: it takes t + 1 min and t + 2 min for fresh, and the primary key says otherwise.
      const b = new SeriesCache();
      b.lastTimestamps.remember(new Map([[sid, t]]));
      const plan = (await preparePoints(sql, orgId, [{ key: 'stale', value: 7, timestampMs: t + minute, dimensions: {} }], 'reject', NOW, b)).plan;
      assert.equal(plan.fresh.seriesIds.length, 1);
      // Alone: one statement fails, nothing was written, the checked statement runs.
      assert.deepEqual(counts(await send(depsOf(sql, b), orgId, 'stale', [[t + minute, 7], [t + 3 * minute, 4]])), { accepted: 1, duplicates: 1, rejected: 0 });
      // In a transaction (a rejected item is queued with the points): the savepoint keeps the rest.
      const c = new SeriesCache();
      c.lastTimestamps.remember(new Map([[sid, t]]));
      const reply = await send(depsOf(sql, c), orgId, 'stale', [[t + 2 * minute, 8], [t + 4 * minute, 5]], [{ key: 'stale', value: 'not a number', timestamp: t }]);
      assert.deepEqual(counts(reply), { accepted: 1, duplicates: 1, rejected: 1 });
      const letters = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters WHERE org_id = $1', [orgId]);
      assert.equal(letters.rows[0]!.n, 1);
      // Overwrite through a stale memory: the stored point gets the new value, counted as replaced.
      const d = new SeriesCache();
      d.lastTimestamps.remember(new Map([[sid, t]]));
      assert.deepEqual(counts(await send(depsOf(sql, d, 'overwrite'), orgId, 'stale', [[t + 3 * minute, 40], [t + 5 * minute, 6]])), { accepted: 2, duplicates: 1, rejected: 0 });
      assert.deepEqual(await everything(sql, sid), [[t, 1], [t + minute, 2], [t + 2 * minute, 3], [t + 3 * minute, 40], [t + 4 * minute, 5], [t + 5 * minute, 6]]);
    });

    test('in a transaction the append writes with the transaction\'s own id, no subtransaction\'s (a sweeping compaction relies on it)', async () => {
      const orgId = await newOrg();
      const cache = new SeriesCache();
      const items = [{ key: 'own.id', value: 1, timestampMs: NOW - minute, dimensions: {} }];
      await sql.transaction(async (tx) => {
        const prepared = await preparePoints(tx, orgId, items, 'reject', NOW, cache);
        assert.equal(prepared.plan.fresh.seriesIds.length, 1, 'appended');
        assert.deepEqual(await writePrepared(tx, prepared, 'reject', { alone: false }), { accepted: 1, duplicates: 0 });
        // xmin is a 32-bit id: the low half of the transaction's full one.
        const r = await tx.query<{ own: boolean }>(
          `SELECT xmin::text::int8 = pg_current_xact_id()::text::int8 % 4294967296 AS own FROM points WHERE series_id = $1`,
          [prepared.plan.fresh.seriesIds[0]],
        );
        assert.deepEqual(r.rows, [{ own: true }]);
      });
    });

    test('reject: a late point already in a chunk is a duplicate; a late point beside it is stored hot', async () => {
      const orgId = await newOrg();
      const sid = await seriesIdOf(sql, orgId, 'late');
      const inChunk = windowPoints(W).filter((_, k) => k % 2 === 0);
      await putChunk(sql, sid, inChunk);
      const deps = depsOf(sql, new SeriesCache());

      // Two points the chunk holds (values differ: the stored ones stay), one it does not.
      const reply = await send(deps, orgId, 'late', [[W + 10 * minute, 99], [W + 30 * minute, 98], [W + 11 * minute, 11.5]]);
      assert.deepEqual(counts(reply), { accepted: 1, duplicates: 2, rejected: 0 });
      const s = await stored(sql, sid);
      assert.deepEqual(s.chunk, inChunk, 'the chunk is unchanged');
      assert.deepEqual(s.hot, [[W + 11 * minute, 11.5]]);
      // The late hot point is now a duplicate too.
      assert.deepEqual(counts(await send(deps, orgId, 'late', [[W + 11 * minute, 0], [W + 12 * minute, 99]])), { accepted: 0, duplicates: 2, rejected: 0 });
      assert.equal((await everything(sql, sid)).length, inChunk.length + 1);
    });

    test('overwrite: a late point in a chunk leaves the chunk and is stored once with its new value; an emptied chunk row goes', async () => {
      const orgId = await newOrg();
      const sid = await seriesIdOf(sql, orgId, 'over');
      const pts = windowPoints(W);
      await putChunk(sql, sid, pts);
      const W2 = W + 2 * hour;
      await putChunk(sql, sid, [[W2 + 5 * minute, 1]]);
      const deps = depsOf(sql, new SeriesCache(), 'overwrite');

      const reply = await send(deps, orgId, 'over', [[W + 10 * minute, -1], [W + 119 * minute, -2], [W + 10 * minute + 30_000, -3], [W2 + 5 * minute, -4]]);
      assert.deepEqual(counts(reply), { accepted: 4, duplicates: 3, rejected: 0 });
      const s = await stored(sql, sid);
      assert.deepEqual(s.hot, [[W + 10 * minute, -1], [W + 10 * minute + 30_000, -3], [W + 119 * minute, -2], [W2 + 5 * minute, -4]]);
      assert.deepEqual(s.chunk, pts.filter(([t]) => t !== W + 10 * minute && t !== W + 119 * minute), 'the replaced points left the chunk, the rest is intact');
      const rows = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE series_id = $1', [sid]);
      assert.equal(rows.rows[0]!.n, 1, 'the chunk of the second window held only the replaced point');

      // Overwriting again meets the hot rows only.
      assert.deepEqual(counts(await send(deps, orgId, 'over', [[W + 10 * minute, -10]])), { accepted: 1, duplicates: 1, rejected: 0 });
      const all = await everything(sql, sid);
      assert.equal(all.length, pts.length + 2);
      assert.deepEqual(all.find(([t]) => t === W + 10 * minute), [W + 10 * minute, -10]);
    });

    test('duplicates across a chunk boundary: the last point of one window and the first of the next', async () => {
      for (const policy of ['reject', 'overwrite'] as const) {
        const orgId = await newOrg();
        const sid = await seriesIdOf(sql, orgId, 'edge');
        const A = W - 2 * hour;
        const a = windowPoints(A);
        const b = windowPoints(W);
        await putChunk(sql, sid, a);
        await putChunk(sql, sid, b);
        const lastOfA = a[a.length - 1]![0];
        const firstOfB = b[0]![0];
        assert.equal(firstOfB - lastOfA, minute);
        const batch: [number, number][] = [[lastOfA, 1000], [lastOfA + 30_000, 1001], [firstOfB, 1002]];
        const reply = await send(depsOf(sql, new SeriesCache(), policy), orgId, 'edge', batch);
        const s = await stored(sql, sid);
        if (policy === 'reject') {
          assert.deepEqual(counts(reply), { accepted: 1, duplicates: 2, rejected: 0 });
          assert.deepEqual(s.hot, [[lastOfA + 30_000, 1001]]);
          assert.deepEqual(s.chunk, [...a, ...b]);
        } else {
          assert.deepEqual(counts(reply), { accepted: 3, duplicates: 2, rejected: 0 });
          assert.deepEqual(s.hot, batch);
          assert.deepEqual(s.chunk, [...a.slice(0, -1), ...b.slice(1)]);
        }
        assert.equal((await everything(sql, sid)).length, a.length + b.length + 1);
      }
    });

    test('a point written into a compacted window deletes the 5-minute rollup of its series and day (1-hour rows stay: compaction rewrites the window); other days and series keep theirs', async () => {
      const orgId = await newOrg();
      const sid = await seriesIdOf(sql, orgId, 'rolled');
      const other = await seriesIdOf(sql, orgId, 'rolled.other');
      const day = dayStartMs(W);
      const pts = windowPoints(W);
      await putChunk(sql, sid, pts);
      await putChunk(sql, other, pts);
      const yesterday = windowStartMs(day - 12 * hour, TWO_HOURS_S);
      await putChunk(sql, sid, windowPoints(yesterday));
      for (const s of [sid, other]) {
        await putRollups(sql, s, day, pts);
        await putRollups(sql, s, dayStartMs(yesterday), windowPoints(yesterday));
      }
      const before = [
        { table: 'rollups_1h', day: dayStartMs(yesterday) },
        { table: 'rollups_1h', day },
        { table: 'rollups_5m', day: dayStartMs(yesterday) },
        { table: 'rollups_5m', day },
      ];
      assert.deepEqual(await rollupDays(sql, sid), before);

      // A duplicate under reject changes nothing: the rollups stay.
      assert.deepEqual(counts(await send(depsOf(sql, new SeriesCache()), orgId, 'rolled', [[W + minute, 5]])), { accepted: 0, duplicates: 1, rejected: 0 });
      assert.deepEqual(await rollupDays(sql, sid), before);
      // A late point beside the chunk's points: that day's 5-minute rollup goes, yesterday's and the 1-hour rows stay.
      assert.deepEqual(counts(await send(depsOf(sql, new SeriesCache()), orgId, 'rolled', [[W + minute + 1, 5]])), { accepted: 1, duplicates: 0, rejected: 0 });
      const kept = before.filter((r) => r.table === 'rollups_1h' || r.day !== day);
      assert.deepEqual(await rollupDays(sql, sid), kept);
      assert.deepEqual(await rollupDays(sql, other), before, 'another series keeps its rollups');

      // An overwrite of a chunk's point in yesterday's window: yesterday's 5-minute rollup goes too.
      await putRollups(sql, sid, day, pts, 'rollups_5m');
      assert.deepEqual(counts(await send(depsOf(sql, new SeriesCache(), 'overwrite'), orgId, 'rolled', [[yesterday + 3 * minute, 0]])), { accepted: 1, duplicates: 1, rejected: 0 });
      const afterOverwrite = before.filter((r) => r.table === 'rollups_1h' || r.day === day);
      assert.deepEqual(await rollupDays(sql, sid), afterOverwrite);

      // A late point into a window without a chunk (the same day) leaves the rollups alone.
      const open = W + 2 * hour;
      assert.ok(open + 2 * hour <= NOW && dayStartMs(open) === day);
      assert.deepEqual(counts(await send(depsOf(sql, new SeriesCache()), orgId, 'rolled', [[open + minute, 1]])), { accepted: 1, duplicates: 0, rejected: 0 });
      assert.deepEqual(await rollupDays(sql, sid), afterOverwrite);
    });

    test('concurrent fresh batches of one process (grouped into one statement on the embedded store) are stored once, each request with its own counts', async () => {
      const orgId = await newOrg();
      const cache = new SeriesCache();
      const keys = ['g0', 'g1', 'g2', 'g3'];
      const t0 = NOW - 4 * minute;
      for (const k of keys) await send(depsOf(sql, cache), orgId, k, [[t0, 0]]);
      const sids = await Promise.all(keys.map((k) => seriesIdOf(sql, orgId, k)));
      const pts = (k: number, from: number, n: number): [number, number][] => Array.from({ length: n }, (_, i) => [t0 + (from + i) * 1000, k * 100 + from + i]);
      // Five requests at once, all fresh by the memory; the last repeats one point of the second: the
      // statement that holds both fails, and each request is then settled on its own.
      const sends = [
        send(depsOf(sql, cache), orgId, 'g0', pts(0, 1, 20)),
        send(depsOf(sql, cache), orgId, 'g1', pts(1, 1, 20)),
        send(depsOf(sql, cache), orgId, 'g2', pts(2, 1, 20)),
        send(depsOf(sql, cache), orgId, 'g3', pts(3, 1, 20)),
        send(depsOf(sql, cache), orgId, 'g1', [...pts(1, 20, 1), ...pts(1, 21, 5)]),
      ];
      const replies = (await Promise.all(sends)).map(counts);
      assert.deepEqual(replies.slice(0, 4).map((r) => r.rejected), [0, 0, 0, 0]);
      assert.equal(replies.reduce((a, r) => a + r.accepted, 0), 4 * 20 + 5, JSON.stringify(replies));
      assert.equal(replies.reduce((a, r) => a + r.duplicates, 0), 1, JSON.stringify(replies));
      assert.equal(replies[1]!.accepted + replies[4]!.accepted, 25);
      assert.deepEqual(replies.slice(0, 4).filter((_, i) => i !== 1), Array(3).fill({ accepted: 20, duplicates: 0, rejected: 0 }));
      for (let k = 0; k < 4; k++) assert.deepEqual(await everything(sql, sids[k]!), [[t0, 0], ...pts(k, 1, k === 1 ? 25 : 20)]);
      // Afterwards every series' newest time is remembered, and the next batches are fresh again.
      assert.deepEqual(sids.map((sid) => cache.lastTimestamps.get(sid)), [t0 + 20_000, t0 + 25_000, t0 + 20_000, t0 + 20_000]);
    });

    test('two processes, each with its own memory, writing the same points at once: stored once, the counts add up', async () => {
      const orgId = await newOrg();
      const sid = await seriesIdOf(sql, orgId, 'race');
      const chunkPts = windowPoints(W).filter((_, k) => k % 3 === 0);
      await putChunk(sql, sid, chunkPts);
      const sqlB = store.connectAgain ? await store.connectAgain() : sql;
      const a = new SeriesCache();
      const b = new SeriesCache();
      const t0 = NOW - 8 * minute;
      // Both learn the series' newest time, so both take the same new points for fresh.
      await send(depsOf(sql, a), orgId, 'race', [[t0, 0]]);
      await send(depsOf(sqlB, b), orgId, 'race', [[t0, 0]]);
      assert.equal(a.lastTimestamps.get(sid), t0);
      assert.equal(b.lastTimestamps.get(sid), t0);

      for (const policy of ['reject', 'overwrite'] as const) {
        const shift = policy === 'reject' ? 0 : 1000;
        const fresh = Array.from({ length: 50 }, (_, i): [number, number] => [t0 + shift + (i + 1) * 5000, i]);
        // Late points: 20 beside the chunk's, 10 the chunk holds.
        const late = Array.from({ length: 30 }, (_, i): [number, number] => [W + (i < 20 ? (3 * i + 1) * minute + shift : 3 * (i - 20) * minute), -i]);
        const batch = [...fresh, ...late];
        const [ra, rb] = await Promise.all([send(depsOf(sql, a, policy), orgId, 'race', batch), send(depsOf(sqlB, b, policy), orgId, 'race', batch)]);
        if (policy === 'reject') {
          assert.equal(ra.accepted + rb.accepted, 70, JSON.stringify([ra, rb]));
          assert.equal(ra.duplicates + rb.duplicates, 70 + 2 * 10);
        } else {
          assert.deepEqual([ra.accepted, rb.accepted], [80, 80]);
          // Each new point replaced once (by the later writer); each chunk point replaced by both.
          assert.equal(ra.duplicates + rb.duplicates, 70 + 2 * 10, JSON.stringify([ra, rb]));
        }
      }
      const all = await everything(sql, sid);
      assert.equal(all.length, 1 + chunkPts.length + 2 * 70);
      const s = await stored(sql, sid);
      assert.equal(s.chunk.length, chunkPts.length - 10, 'the overwritten chunk points left it');
    });
  });
}
