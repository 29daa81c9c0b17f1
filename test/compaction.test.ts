// Compaction (issue 18): closed windows of hot rows become chunks holding exactly those points, late
// rows merge into their window's chunk once, rollups equal computeRollup over the day's raw points,
// and one compactor runs at a time. Fixtures are written straight into `points` (the write path is
// not under test here) and read back straight from `points`, `chunks` and the rollup tables.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { batchSpan, clusteredBySeries, compactClosedWindows, daySlices, mergePoints } from '../src/metrics/points/compact.js';
import { readPoints } from '../src/metrics/points/read.js';
import { decodeChunk } from '../src/store/chunks/codec.js';
import { computeRollup, decodeRollup, type Rollup } from '../src/store/chunks/rollup.js';
import { COMPACTION_GRACE_MS, DAY_MS, monthBoundsMs } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const H = 3_600_000;
const D0 = Date.UTC(2026, 0, 9); // first fixture day
/** 12:05 on the second day: 2 h windows before 10:00 and day windows before that day are closed. */
const NOW = D0 + DAY_MS + 12 * H + 5 * 60_000;

/** Deterministic values with 2 decimals and a few awkward doubles (exactness is bit for bit). */
function valuesFor(n: number, seed: number): Float64Array {
  const v = new Float64Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    v[i] = Math.round((x / 2_147_483_648) * 20_000 - 10_000) / 100;
  }
  if (n > 10) [v[3], v[5], v[7], v[9]] = [-1e-310, 5e-324, 1.7976931348623157e308, 0.1 + 0.2];
  return v;
}

/** Timestamps every `stepMs` in [from, to), one in four a few ms late (real scrapes). */
function timesFor(from: number, to: number, stepMs: number): Float64Array {
  const t: number[] = [];
  for (let x = from, i = 0; x < to; x += stepMs, i++) t.push(x + (i % 4 === 1 ? 3 : 0));
  return Float64Array.from(t);
}

interface Points {
  t: Float64Array;
  v: Float64Array;
}

async function newSeries(sql: Sql, orgId: string, key: string): Promise<number> {
  const r = await sql.query<{ id: number }>(`INSERT INTO series (org_id, key) VALUES ($1, $2) RETURNING id`, [orgId, key]);
  return Number(r.rows[0]!.id);
}

async function insertHot(sql: Sql, id: number, p: Points): Promise<void> {
  await sql.query(
    `INSERT INTO points (series_id, ts, value) SELECT $1, to_timestamp(t / 1000), v FROM unnest($2::float8[], $3::float8[]) AS u(t, v)
     ON CONFLICT (series_id, ts) DO UPDATE SET value = EXCLUDED.value`,
    [id, Array.from(p.t), Array.from(p.v)],
  );
}

async function hotOf(sql: Sql, id: number): Promise<Points> {
  const r = await sql.query<{ ms: number; value: number }>(`SELECT floor(extract(epoch FROM ts) * 1000)::float8 AS ms, value FROM points WHERE series_id = $1 ORDER BY ts`, [id]);
  return { t: Float64Array.from(r.rows, (x) => Number(x.ms)), v: Float64Array.from(r.rows, (x) => x.value) };
}

interface ChunkRow {
  windowStartMs: number;
  firstMs: number;
  lastMs: number;
  n: number;
  points: Points;
}

async function chunksOf(sql: Sql, id: number): Promise<ChunkRow[]> {
  const r = await sql.query<{ window_start: Date; first_ts: Date; last_ts: Date; n: number; data: Uint8Array }>(
    `SELECT window_start, first_ts, last_ts, n, data FROM chunks WHERE series_id = $1 ORDER BY window_start`,
    [id],
  );
  return r.rows.map((c) => {
    const d = decodeChunk(c.data);
    return { windowStartMs: new Date(c.window_start).getTime(), firstMs: new Date(c.first_ts).getTime(), lastMs: new Date(c.last_ts).getTime(), n: c.n, points: { t: d.timestampsMs, v: d.values } };
  });
}

/**
 * A day's stored rollup: its 5-minute row, or the day's buckets out of whichever 1-hour row of its month
 * holds them (month rows, compact.ts); null when no row holds any.
 */
async function rollupOf(sql: Sql, table: 'rollups_5m' | 'rollups_1h', id: number, dayMs: number): Promise<Rollup | null> {
  if (table === 'rollups_5m') {
    const r = await sql.query<{ data: Uint8Array }>(`SELECT data FROM rollups_5m WHERE series_id = $1 AND day = $2`, [id, new Date(dayMs)]);
    return r.rows[0] ? decodeRollup(r.rows[0].data) : null;
  }
  const { startMs, endMs } = monthBoundsMs(dayMs);
  const r = await sql.query<{ data: Uint8Array }>(`SELECT data FROM rollups_1h WHERE series_id = $1 AND day >= $2 AND day < $3`, [id, new Date(startMs), new Date(endMs)]);
  const holding = r.rows.map((row) => decodeRollup(row.data)).filter((x) => x.startsMs.some((t) => t >= dayMs && t < dayMs + DAY_MS));
  assert.ok(holding.length <= 1, `day ${new Date(dayMs).toISOString()} of ${id} is in ${holding.length} 1-hour rows`);
  if (!holding.length) return null;
  const x = holding[0]!;
  const idx = Array.from(x.startsMs.keys()).filter((i) => x.startsMs[i]! >= dayMs && x.startsMs[i]! < dayMs + DAY_MS);
  const pick = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]!);
  return { startsMs: pick(x.startsMs), min: pick(x.min), max: pick(x.max), sum: pick(x.sum), count: pick(x.count), last: pick(x.last) };
}

/** The keys of a series' 1-hour rollup rows (ISO days), ascending. */
async function hourRowKeys(sql: Sql, id: number): Promise<string[]> {
  const r = await sql.query<{ day: Date }>(`SELECT day FROM rollups_1h WHERE series_id = $1 ORDER BY day`, [id]);
  return r.rows.map((x) => new Date(x.day).toISOString().slice(0, 10));
}

/** Points of `p` with from ≤ t < to. */
function cut(p: Points, from: number, to: number): Points {
  let i = 0;
  while (i < p.t.length && p.t[i]! < from) i++;
  let j = i;
  while (j < p.t.length && p.t[j]! < to) j++;
  return { t: p.t.slice(i, j), v: p.v.slice(i, j) };
}

/** All points a series holds: hot rows and decoded chunks, asserting each timestamp appears once. */
async function storedOf(sql: Sql, id: number): Promise<Points> {
  const all = [await hotOf(sql, id), ...(await chunksOf(sql, id)).map((c) => c.points)];
  const pairs: [number, number][] = all.flatMap((p) => Array.from(p.t, (t, i) => [t, p.v[i]!] as [number, number]));
  pairs.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < pairs.length; i++) assert.notEqual(pairs[i]![0], pairs[i - 1]![0], `timestamp ${pairs[i]![0]} stored twice`);
  return { t: Float64Array.from(pairs, (x) => x[0]), v: Float64Array.from(pairs, (x) => x[1]) };
}

/** Bit-exact equality of points (Object.is: −0 and NaN count). */
function assertSamePoints(actual: Points, expected: Points, what: string): void {
  assert.deepEqual(Array.from(actual.t), Array.from(expected.t), `${what}: timestamps`);
  assert.equal(actual.v.length, expected.v.length, `${what}: values`);
  for (let i = 0; i < expected.v.length; i++) assert.ok(Object.is(actual.v[i], expected.v[i]), `${what}: value ${i} is ${actual.v[i]}, expected ${expected.v[i]}`);
}

function assertRollup(actual: Rollup | null, expected: Rollup, what: string): void {
  assert.ok(actual, `${what}: no rollup row`);
  for (const k of ['startsMs', 'min', 'max', 'sum', 'count', 'last'] as const) assert.deepEqual(Array.from(actual[k]), Array.from(expected[k]), `${what}: ${k}`);
}

/** Everything the store holds for the engine, for before/after comparisons. */
async function snapshot(sql: Sql): Promise<string> {
  const parts: unknown[] = [];
  for (const q of [
    `SELECT series_id, ts, value FROM points ORDER BY 1, 2`,
    `SELECT series_id, window_start, first_ts, last_ts, n, encode(data, 'hex') AS d FROM chunks ORDER BY 1, 2`,
    `SELECT series_id, day, encode(data, 'hex') AS d FROM rollups_5m ORDER BY 1, 2`,
    `SELECT series_id, day, encode(data, 'hex') AS d FROM rollups_1h ORDER BY 1, 2`,
    `SELECT id, chunk_seconds FROM series ORDER BY 1`,
  ])
    parts.push((await sql.query(q)).rows);
  return JSON.stringify(parts);
}

describe('batch sizing and merging', () => {
  test('batchSpan spans batchPoints at the given rate, at least one id', () => {
    assert.equal(batchSpan(500_000, 1000), 500);
    assert.ok(batchSpan(500_000, 0) >= 1e300, 'no rows estimated: one batch spans every id');
    assert.equal(batchSpan(100, 350), 1);
    assert.equal(batchSpan(100, 30), 3);
  });

  test('daySlices cuts the span of one series into day-aligned, open-ended slices', () => {
    assert.deepEqual(daySlices(D0 + H, D0 + 3 * DAY_MS + H, 4), [
      { fromMs: -Infinity, toMs: D0 + DAY_MS },
      { fromMs: D0 + DAY_MS, toMs: D0 + 2 * DAY_MS },
      { fromMs: D0 + 2 * DAY_MS, toMs: D0 + 3 * DAY_MS },
      { fromMs: D0 + 3 * DAY_MS, toMs: Infinity },
    ]);
    assert.deepEqual(daySlices(D0 + H, D0 + 3 * DAY_MS + H, 2), [
      { fromMs: -Infinity, toMs: D0 + 2 * DAY_MS },
      { fromMs: D0 + 2 * DAY_MS, toMs: Infinity },
    ]);
    assert.deepEqual(daySlices(D0 + H, D0 + 2 * H, 5), [{ fromMs: -Infinity, toMs: Infinity }], 'never more slices than days');
  });

  test('mergePoints keeps both sides in order and the newer value on an equal timestamp', () => {
    const m = mergePoints({ t: Float64Array.of(1, 3, 5), v: Float64Array.of(10, 30, 50) }, { t: Float64Array.of(2, 3, 6), v: Float64Array.of(20, 33, 60) });
    assert.deepEqual([Array.from(m.t), Array.from(m.v)], [
      [1, 2, 3, 5, 6],
      [10, 20, 33, 50, 60],
    ]);
  });
});

for (const kind of storeKinds) {
  describe(`compaction (${kind.name})`, () => {
    let store: TestStore;
    let sql: Sql;
    let orgId: string;
    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgId = (await createOrg(sql, { name: 'compaction' })).id;
    });
    after(async () => {
      await store?.drop();
    });

    // A 15 s series (2 h windows) and a 5 min series (day windows) over a day and a half up to now.
    let dense: number;
    let sparse: number;
    let denseAll: Points;
    let sparseAll: Points;
    before(async () => {
      dense = await newSeries(sql, orgId, 'dense');
      sparse = await newSeries(sql, orgId, 'sparse');
      const dt = timesFor(D0, NOW, 15_000);
      denseAll = { t: dt, v: valuesFor(dt.length, 1) };
      const st = timesFor(D0, NOW, 300_000);
      sparseAll = { t: st, v: valuesFor(st.length, 2) };
      await insertHot(sql, dense, denseAll);
      await insertHot(sql, sparse, sparseAll);
    });

    test('closed windows become chunks holding exactly their hot rows; open windows stay hot', async () => {
      const r = await compactClosedWindows(sql, NOW);
      const denseClosedBefore = D0 + DAY_MS + 10 * H; // 2 h windows ending ≤ 11:55
      const sparseClosedBefore = D0 + DAY_MS; // day windows ending ≤ 11:55
      const expectedMoved = cut(denseAll, D0, denseClosedBefore).t.length + cut(sparseAll, D0, sparseClosedBefore).t.length;
      assert.equal(r.points, expectedMoved);
      assert.equal(r.series, 2);
      assert.equal(r.chunks, 17 + 1);
      assert.equal(r.rollupDays, 3);

      const widths = await sql.query<{ id: number; chunk_seconds: number }>(`SELECT id, chunk_seconds FROM series WHERE id = ANY($1::bigint[]) ORDER BY id`, [[dense, sparse]]);
      assert.deepEqual(
        widths.rows.map((x) => x.chunk_seconds),
        [7200, 86400],
      );

      for (const [id, all, closedBefore, widthMs] of [
        [dense, denseAll, denseClosedBefore, 2 * H],
        [sparse, sparseAll, sparseClosedBefore, DAY_MS],
      ] as const) {
        assertSamePoints(await hotOf(sql, id), cut(all, closedBefore, Infinity), `hot rows of ${id}`);
        const chunks = await chunksOf(sql, id);
        assert.equal(chunks.length, (closedBefore - D0) / widthMs);
        for (const c of chunks) {
          const expected = cut(all, c.windowStartMs, c.windowStartMs + widthMs);
          assertSamePoints(c.points, expected, `chunk ${id}@${new Date(c.windowStartMs).toISOString()}`);
          assert.equal(c.n, expected.t.length);
          assert.equal(c.firstMs, expected.t[0]);
          assert.equal(c.lastMs, expected.t[expected.t.length - 1]);
        }
        assertSamePoints(await storedOf(sql, id), all, `all points of ${id}`);
      }
    });

    test('rollups equal computeRollup over the raw points of each touched day; a sparse day gets no 5 min rollup', async () => {
      const day1 = cut(denseAll, D0, D0 + DAY_MS);
      const day2 = cut(denseAll, D0 + DAY_MS, D0 + DAY_MS + 10 * H); // its compacted part
      assertRollup(await rollupOf(sql, 'rollups_5m', dense, D0), computeRollup(day1.t, day1.v, 300_000), 'dense 5m day 1');
      assertRollup(await rollupOf(sql, 'rollups_1h', dense, D0), computeRollup(day1.t, day1.v, 3_600_000), 'dense 1h day 1');
      assertRollup(await rollupOf(sql, 'rollups_5m', dense, D0 + DAY_MS), computeRollup(day2.t, day2.v, 300_000), 'dense 5m day 2');
      assertRollup(await rollupOf(sql, 'rollups_1h', dense, D0 + DAY_MS), computeRollup(day2.t, day2.v, 3_600_000), 'dense 1h day 2');
      const sparseDay = cut(sparseAll, D0, D0 + DAY_MS);
      assert.equal(await rollupOf(sql, 'rollups_5m', sparse, D0), null, 'one point per 5 min bucket: not worth a row');
      assertRollup(await rollupOf(sql, 'rollups_1h', sparse, D0), computeRollup(sparseDay.t, sparseDay.v, 3_600_000), 'sparse 1h');
      assert.equal(await rollupOf(sql, 'rollups_1h', sparse, D0 + DAY_MS), null, 'the open day has none');
      // 1-hour rows: the month's row (keyed by its first day) holds the closed day, the open day has its own.
      assert.deepEqual(await hourRowKeys(sql, dense), ['2026-01-01', '2026-01-10']);
      assert.deepEqual(await hourRowKeys(sql, sparse), ['2026-01-01']);
    });

    test('a second run with nothing to do changes nothing', async () => {
      const before = await snapshot(sql);
      const r = await compactClosedWindows(sql, NOW);
      assert.deepEqual({ ...r, ms: 0 }, { points: 0, chunks: 0, series: 0, rollupDays: 0, ms: 0, ran: true });
      assert.equal(await snapshot(sql), before);
    });

    test('late hot rows merge into the existing chunk exactly once, the hot value winning', async () => {
      const w = D0 + 4 * H; // a compacted 2 h window of day 1
      const late: Points = { t: Float64Array.of(w + 7, w + 15_000 + 3, w + 2 * H - 1), v: Float64Array.of(1.5, -2.25, 99) }; // new, an overwrite, new
      await insertHot(sql, dense, late);
      denseAll = mergePoints(denseAll, late);
      const sparseLate: Points = { t: Float64Array.of(D0 + 1), v: Float64Array.of(7) };
      await insertHot(sql, sparse, sparseLate);
      sparseAll = mergePoints(sparseAll, sparseLate);

      const r = await compactClosedWindows(sql, NOW);
      assert.equal(r.points, 4);
      assert.equal(r.chunks, 2);
      const chunk = (await chunksOf(sql, dense)).find((c) => c.windowStartMs === w)!;
      assertSamePoints(chunk.points, cut(denseAll, w, w + 2 * H), 'merged chunk');
      assert.equal(chunk.n, chunk.points.t.length);
      assert.equal(chunk.firstMs, w);
      assert.equal(chunk.lastMs, w + 2 * H - 1);
      assertSamePoints(await storedOf(sql, dense), denseAll, 'all dense points');
      assertSamePoints(await storedOf(sql, sparse), sparseAll, 'all sparse points');
      // The day's stored rollup kept its other buckets and took the merged window's.
      const day1 = cut(denseAll, D0, D0 + DAY_MS);
      assertRollup(await rollupOf(sql, 'rollups_5m', dense, D0), computeRollup(day1.t, day1.v, 300_000), 'dense 5m after late data');
      assertRollup(await rollupOf(sql, 'rollups_1h', dense, D0), computeRollup(day1.t, day1.v, 3_600_000), 'dense 1h after late data');
      const sparseDay = cut(sparseAll, D0, D0 + DAY_MS);
      assertRollup(await rollupOf(sql, 'rollups_1h', sparse, D0), computeRollup(sparseDay.t, sparseDay.v, 3_600_000), 'sparse 1h after late data');
    });

    test('a day whose rollups are missing (5 min deleted by the write path, the 1 h month row lost) is recomputed from all of its chunks', async () => {
      await sql.query(`DELETE FROM rollups_5m WHERE series_id = $1 AND day = $2`, [dense, new Date(D0)]);
      await sql.query(`DELETE FROM rollups_1h WHERE series_id = $1 AND day = $2`, [dense, new Date(monthBoundsMs(D0).startMs)]);
      const late: Points = { t: Float64Array.of(D0 + 20 * H + 1), v: Float64Array.of(-5) };
      await insertHot(sql, dense, late);
      denseAll = mergePoints(denseAll, late);
      const r = await compactClosedWindows(sql, NOW);
      assert.deepEqual([r.points, r.chunks, r.rollupDays], [1, 1, 1]);
      const day1 = cut(denseAll, D0, D0 + DAY_MS);
      assertRollup(await rollupOf(sql, 'rollups_5m', dense, D0), computeRollup(day1.t, day1.v, 300_000), 'dense 5m recomputed');
      assertRollup(await rollupOf(sql, 'rollups_1h', dense, D0), computeRollup(day1.t, day1.v, 3_600_000), 'dense 1h recomputed');
    });

    test('the next window of a day extends its rollups; small batches give the same chunks', async () => {
      const later = NOW + 2 * H; // 10:00–12:00 of day 2 closes
      const more = { t: timesFor(NOW, later, 15_000), v: valuesFor(480, 3) };
      await insertHot(sql, dense, more);
      denseAll = mergePoints(denseAll, more);
      const monthRow = async () => (await sql.query<{ d: string }>(`SELECT encode(data, 'hex') AS d FROM rollups_1h WHERE series_id = $1 AND day = $2`, [dense, new Date(monthBoundsMs(D0).startMs)])).rows[0]?.d;
      const monthBefore = await monthRow();
      const r = await compactClosedWindows(sql, later, { batchPoints: 100 });
      // Only the open day's own 1-hour row changed; the month row (day 1) was neither rewritten nor needed.
      assert.deepEqual(await hourRowKeys(sql, dense), ['2026-01-01', '2026-01-10']);
      assert.equal(await monthRow(), monthBefore);
      assert.equal(r.points, cut(denseAll, D0 + DAY_MS + 10 * H, D0 + DAY_MS + 12 * H).t.length);
      const day2 = cut(denseAll, D0 + DAY_MS, D0 + DAY_MS + 12 * H);
      assertRollup(await rollupOf(sql, 'rollups_5m', dense, D0 + DAY_MS), computeRollup(day2.t, day2.v, 300_000), 'dense 5m day 2 extended');
      assertRollup(await rollupOf(sql, 'rollups_1h', dense, D0 + DAY_MS), computeRollup(day2.t, day2.v, 3_600_000), 'dense 1h day 2 extended');
      assertSamePoints(await storedOf(sql, dense), denseAll, 'all dense points');
      assertSamePoints(await hotOf(sql, dense), cut(denseAll, D0 + DAY_MS + 12 * H, Infinity), 'hot rows after');
    });

    test('a closed day\'s 1-hour row folds into its month row at the next compaction; late data into a folded day replaces only its window', async () => {
      // Day 2 closes: the rest of it and the first window of day 3 arrive and are compacted.
      const day3 = D0 + 2 * DAY_MS;
      const more = { t: timesFor(D0 + DAY_MS + 12 * H, day3 + 2 * H, 15_000), v: valuesFor(12 * 240 + 480, 5) };
      await insertHot(sql, dense, more);
      denseAll = mergePoints(denseAll, more);
      const at = day3 + 2 * H + COMPACTION_GRACE_MS;
      await compactClosedWindows(sql, at);
      assert.deepEqual(await hourRowKeys(sql, dense), ['2026-01-01', '2026-01-11']);
      for (const d of [D0, D0 + DAY_MS, day3]) {
        const p = cut(denseAll, d, Math.min(d + DAY_MS, day3 + 2 * H));
        assertRollup(await rollupOf(sql, 'rollups_1h', dense, d), computeRollup(p.t, p.v, 3_600_000), `dense 1h ${new Date(d).toISOString()}`);
      }
      // A late point in day 1 (folded): the month row keeps day 2's buckets and takes the new window's.
      const late: Points = { t: Float64Array.of(D0 + 6 * H + 15_000), v: Float64Array.of(1234.5) };
      await insertHot(sql, dense, late);
      denseAll = mergePoints(denseAll, late);
      const before = await rollupOf(sql, 'rollups_1h', dense, D0 + DAY_MS);
      await compactClosedWindows(sql, at);
      assert.deepEqual(await hourRowKeys(sql, dense), ['2026-01-01', '2026-01-11']);
      const day1 = cut(denseAll, D0, D0 + DAY_MS);
      assertRollup(await rollupOf(sql, 'rollups_1h', dense, D0), computeRollup(day1.t, day1.v, 3_600_000), 'dense 1h day 1 after a late point');
      assertRollup(await rollupOf(sql, 'rollups_1h', dense, D0 + DAY_MS), before!, 'day 2 untouched');
      assertSamePoints(await storedOf(sql, dense), denseAll, 'all dense points');
    });

    test('a series spread over many days in batches smaller than one series gives the same chunks', async () => {
      const id = await newSeries(sql, orgId, 'backfill');
      const all = { t: timesFor(D0 - 5 * DAY_MS, D0, 60_000), v: valuesFor(5 * 1440, 4) };
      await insertHot(sql, id, all);
      // Statistics that show the series' size, so the batches cut it by days.
      await sql.exec('ANALYZE points');
      const r = await compactClosedWindows(sql, NOW, { batchPoints: 2000 });
      assert.equal(r.points, all.t.length);
      const chunks = await chunksOf(sql, id);
      assert.equal(chunks.length, 5, 'a 1 min series has day windows');
      assertSamePoints(await storedOf(sql, id), all, 'backfilled points');
      assert.equal((await hotOf(sql, id)).t.length, 0);
      // Each slice's days went into the one month row (later slices read and extended it).
      assert.deepEqual(await hourRowKeys(sql, id), ['2026-01-01']);
      for (let d = D0 - 5 * DAY_MS; d < D0; d += DAY_MS) {
        const p = cut(all, d, d + DAY_MS);
        assertRollup(await rollupOf(sql, 'rollups_1h', id, d), computeRollup(p.t, p.v, 3_600_000), `backfill 1h ${new Date(d).toISOString()}`);
      }
    });

    test('a concurrent second compactor does nothing', async () => {
      const id = await newSeries(sql, orgId, 'concurrent');
      const all = { t: timesFor(D0, D0 + DAY_MS, 15_000), v: valuesFor(5760, 5) };
      await insertHot(sql, id, all);
      // In one process: the second call finds the first running.
      const [a, b] = await Promise.all([compactClosedWindows(sql, NOW), compactClosedWindows(sql, NOW)]);
      assert.deepEqual([a.points, b.points, b.chunks, b.series], [all.t.length, 0, 0, 0]);
      assertSamePoints(await storedOf(sql, id), all, 'stored once');

      if (!store.connectAgain) return; // PGlite: one process per store
      // Another connection (another server) holding the lock: this one returns zeros and moves nothing.
      const late = { t: Float64Array.of(D0 + 5), v: Float64Array.of(1) };
      await insertHot(sql, id, late);
      const other = await store.connectAgain();
      let release!: () => void;
      const released = new Promise<void>((res) => (release = res));
      let locked!: () => void;
      const isLocked = new Promise<void>((res) => (locked = res));
      const holder = other.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('intentvision.compaction'), hashtext(current_schema()))`);
        locked();
        await released;
      });
      await isLocked;
      const blocked = await compactClosedWindows(sql, NOW);
      assert.equal(blocked.points, 0);
      assert.equal((await hotOf(sql, id)).t.length, 1, 'the late row is still hot');
      release();
      await holder;
      assert.equal((await compactClosedWindows(sql, NOW)).points, 1);
      assertSamePoints(await storedOf(sql, id), mergePoints(all, late), 'stored once after the lock was free');
    });

    test('nothing is compacted inside the grace period', async () => {
      const id = await newSeries(sql, orgId, 'fresh');
      // Ends at 11:59:45 of day 2: the 10:00 window ends at 12:00, later than NOW − grace.
      const recent = { t: timesFor(NOW - COMPACTION_GRACE_MS - 5 * 60_000, NOW, 15_000), v: valuesFor(60, 6) };
      await insertHot(sql, id, recent);
      const r = await compactClosedWindows(sql, NOW);
      assert.equal(r.points, 0);
      assertSamePoints(await hotOf(sql, id), recent, 'still hot');
      const width = async () => (await sql.query<{ chunk_seconds: number | null }>(`SELECT chunk_seconds FROM series WHERE id = $1`, [id])).rows[0]!.chunk_seconds;
      assert.equal(await width(), null, 'the width is chosen with the first closed window');
      await compactClosedWindows(sql, NOW + 2 * H); // the 10:00 window closes
      assert.equal(await width(), 7200, 'chosen from the points compacted');
      assert.equal((await chunksOf(sql, id)).length, 1);
      assertSamePoints(await storedOf(sql, id), recent, 'compacted once');
    });

    test('hot rows on both sides of PostgreSQL\'s epoch (2000-01-01) move bit for bit', async () => {
      // The batch reads hot rows as timestamptz_send records: microseconds since 2000, negative before it.
      const id = await newSeries(sql, orgId, 'epoch');
      const epoch = Date.UTC(2000, 0, 1);
      const all = { t: timesFor(epoch - 4 * H, epoch + 4 * H, 15_000), v: valuesFor(1920, 7) };
      await insertHot(sql, id, all);
      const r = await compactClosedWindows(sql, NOW + 2 * H);
      assert.equal(r.points, all.t.length);
      assert.deepEqual(
        (await chunksOf(sql, id)).map((c) => new Date(c.windowStartMs).toISOString()),
        ['1999-12-31T20:00:00.000Z', '1999-12-31T22:00:00.000Z', '2000-01-01T00:00:00.000Z', '2000-01-01T02:00:00.000Z'],
      );
      assert.equal((await hotOf(sql, id)).t.length, 0);
      assertSamePoints(await storedOf(sql, id), all, 'points around the epoch');
      const before = cut(all, epoch - DAY_MS, epoch);
      assertRollup(await rollupOf(sql, 'rollups_5m', id, epoch - DAY_MS), computeRollup(before.t, before.v, 300_000), '5m of 1999-12-31');
    });

    test('a series begun one point before its window closed gets its width from its later points', async () => {
      const width = async (id: number) => (await sql.query<{ chunk_seconds: number | null }>(`SELECT chunk_seconds FROM series WHERE id = $1`, [id])).rows[0]!.chunk_seconds;
      // At NOW the 08:00 window of day 2 is closed and the 10:00 one open: one point at 09:59:45, then
      // a point every 15 s.
      const dense = await newSeries(sql, orgId, 'begun.dense');
      const d = { t: timesFor(D0 + DAY_MS + 10 * H - 15_000, NOW, 15_000), v: valuesFor(501, 21) };
      await insertHot(sql, dense, d);
      // The same single closed point, then nothing for an hour: a sparse series.
      const sparse = await newSeries(sql, orgId, 'begun.sparse');
      const p = { t: Float64Array.of(D0 + DAY_MS + 10 * H - 15_000, D0 + DAY_MS + 11 * H), v: Float64Array.of(1, 2) };
      await insertHot(sql, sparse, p);
      const r = await compactClosedWindows(sql, NOW);
      assert.equal(r.points, 1, 'the dense series\' closed point; the sparse one\'s day is open');
      assert.equal(await width(dense), 7200);
      assert.deepEqual((await chunksOf(sql, dense)).map((c) => c.windowStartMs), [D0 + DAY_MS + 8 * H]);
      assert.equal(await width(sparse), 86_400);
      assertSamePoints(await hotOf(sql, sparse), p, 'still hot');
      assertSamePoints(await storedOf(sql, dense), d, 'every point once');
    });
  });
}

for (const kind of storeKinds) {
  describe(`compaction sweeping the default partition (${kind.name})`, () => {
    let store: TestStore;
    let sql: Sql;
    let orgId: string;
    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgId = (await createOrg(sql, { name: 'sweep' })).id;
    });
    after(async () => {
      await store?.drop();
    });
    const hotCount = async () => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM points_default`)).rows[0]!.n);
    const defaultBytes = async () => Number((await sql.query<{ n: string }>(`SELECT pg_relation_size('points_default') AS n`)).rows[0]!.n);

    test('a backfill\'s batches leave their rows, then the run empties the default partition with TRUNCATE', async () => {
      const minute = await newSeries(sql, orgId, 'sweep.minute');
      const dense = await newSeries(sql, orgId, 'sweep.dense');
      const m = { t: timesFor(D0 - 3 * DAY_MS, D0, 60_000), v: valuesFor(3 * 1440, 11) };
      const d = { t: timesFor(D0 - DAY_MS, D0 - DAY_MS + 6 * H, 15_000), v: valuesFor(6 * 240, 12) };
      await insertHot(sql, minute, m);
      await insertHot(sql, dense, d);
      await sql.exec('ANALYZE points');
      const total = m.t.length + d.t.length;
      const seen: number[] = [];
      const r = await compactClosedWindows(sql, NOW, { sweepMinRows: 0, batchPoints: 2000, afterBatch: async () => void seen.push(await hotCount()) });
      assert.equal(r.points, total);
      assert.ok(seen.length >= 3, `${seen.length} batches`);
      assert.deepEqual(seen, seen.map(() => total), 'every batch left its rows');
      assert.equal(await hotCount(), 0);
      assert.equal(await defaultBytes(), 0, 'truncated, not deleted row by row');
      assertSamePoints(await storedOf(sql, minute), m, 'minute series');
      assertSamePoints(await storedOf(sql, dense), d, 'dense series');
      assert.equal((await chunksOf(sql, dense)).length, 3, 'three 2 h windows');
      const day = cut(m, D0 - 2 * DAY_MS, D0 - DAY_MS);
      assertRollup(await rollupOf(sql, 'rollups_1h', minute, D0 - 2 * DAY_MS), computeRollup(day.t, day.v, 3_600_000), 'minute 1h');
      assertRollup(await rollupOf(sql, 'rollups_5m', dense, D0 - DAY_MS), computeRollup(d.t, d.v, 300_000), 'dense 5m');
    });

    test('rows written or changed during a sweep and rows no batch takes stay hot; the next run takes them', async () => {
      const back = await newSeries(sql, orgId, 'sweep.back');
      const open = await newSeries(sql, orgId, 'sweep.open');
      const all = { t: timesFor(D0 - 3 * DAY_MS, D0 - DAY_MS, 60_000), v: valuesFor(2 * 1440, 13) };
      // A 5-minute series whose rows all lie in the day still open at NOW: no batch compacts them.
      const today = { t: timesFor(D0 + DAY_MS, NOW - H, 300_000), v: valuesFor(133, 14) };
      await insertHot(sql, back, all);
      await insertHot(sql, open, today);
      await sql.exec('ANALYZE points');
      // After the batch that compacted the first day of `back` (its first slice): a late point into
      // that day, and an overwrite of one of its points.
      const late: Points = { t: Float64Array.of(D0 - 3 * DAY_MS + 30_000), v: Float64Array.of(-7.25) };
      const changedAt = D0 - 3 * DAY_MS + 60 * 60_000;
      let batches = 0;
      let written = false;
      const r = await compactClosedWindows(sql, NOW, {
        sweepMinRows: 0,
        batchPoints: 2000,
        afterBatch: async () => {
          batches++;
          if (written) return;
          const chunks = await chunksOf(sql, back);
          if (!chunks.length) return;
          written = true;
          assert.deepEqual(chunks.map((c) => c.windowStartMs), [D0 - 3 * DAY_MS], 'the first slice is the first day');
          await insertHot(sql, back, late);
          await sql.query(`UPDATE points SET value = 99.5 WHERE series_id = $1 AND ts = to_timestamp($2::float8 / 1000)`, [back, changedAt]);
        },
      });
      assert.ok(written && batches >= 2, `${batches} batches`);
      assert.equal(r.points, all.t.length);
      const expected = mergePoints(mergePoints(all, late), { t: Float64Array.of(changedAt), v: Float64Array.of(99.5) });
      assertSamePoints(await hotOf(sql, back), mergePoints(late, { t: Float64Array.of(changedAt), v: Float64Array.of(99.5) }), 'only the rows written during the run stay hot');
      assertSamePoints(await hotOf(sql, open), today, 'the open day stays hot');
      assert.ok((await defaultBytes()) > 0);
      // Reads meanwhile: the hot row wins over the chunk's older copy of the changed point.
      const read = (await readPoints(sql, orgId, [back], {})).get(back)!;
      assertSamePoints({ t: read.timestampsMs, v: read.values }, expected, 'read before the next run');
      const again = await compactClosedWindows(sql, NOW);
      assert.equal(again.points, 2);
      assert.equal((await hotOf(sql, back)).t.length, 0);
      assertSamePoints(await storedOf(sql, back), expected, 'after the next run');
      assertSamePoints(await hotOf(sql, open), today, 'the open day still hot');
    });

    test('the sweep truncates only when no row lies past its series\' closed bound: a day series\' open day, a two-hour series\' open window', async () => {
      // Each case alone in the default partition (earlier tests leave open-day rows there).
      const run = async (label: string, parts: { id: number; all: Points; left: Points }[], truncated: boolean) => {
        await sql.exec('TRUNCATE points_default');
        for (const x of parts) await insertHot(sql, x.id, x.all);
        await sql.exec('ANALYZE points');
        const r = await compactClosedWindows(sql, NOW, { sweepMinRows: 0, batchPoints: 2000 });
        assert.equal(r.points, parts.reduce((a, x) => a + x.all.t.length - x.left.t.length, 0), label);
        for (const x of parts) {
          assertSamePoints(await hotOf(sql, x.id), x.left, `${label}: rows left hot`);
          assertSamePoints(await storedOf(sql, x.id), x.all, `${label}: every point stored once`);
        }
        assert.equal((await defaultBytes()) === 0, truncated, `${label}: truncated`);
      };
      const twoHoursClosed = D0 + DAY_MS + 10 * H;
      // Minute points up to 06:00 of the open day: a day-width series; its open day stays hot.
      const day = await newSeries(sql, orgId, 'sweep.bound.day');
      const d = { t: timesFor(D0 - DAY_MS, D0 + DAY_MS + 6 * H, 60_000), v: valuesFor(2 * 1440 + 360, 31) };
      await run('day series', [{ id: day, all: d, left: cut(d, D0 + DAY_MS, Infinity) }], false);
      // Points every 15 s of the open day before 10:00: a two-hour series, every window closed.
      const dense = await newSeries(sql, orgId, 'sweep.bound.dense');
      const e = { t: timesFor(D0 + DAY_MS + 4 * H, twoHoursClosed, 15_000), v: valuesFor(6 * 240, 32) };
      await run('two-hour series, closed windows only', [{ id: dense, all: e, left: cut(e, Infinity, Infinity) }], true);
      // The same series with points of its open window (10:00–11:00).
      const open = { t: timesFor(D0 + DAY_MS + 4 * H, twoHoursClosed + H, 15_000), v: valuesFor(7 * 240, 33) };
      await sql.query(`DELETE FROM chunks WHERE series_id = $1`, [dense]);
      await sql.query(`DELETE FROM rollups_5m WHERE series_id = $1`, [dense]);
      await sql.query(`DELETE FROM rollups_1h WHERE series_id = $1`, [dense]);
      await run('two-hour series, an open window', [{ id: dense, all: open, left: cut(open, twoHoursClosed, Infinity) }], false);
    });

    test('a backfill written series by series and the same backfill in time order compact alike (read per series, or grouped by hash)', async () => {
      for (const layout of ['by series', 'in time order'] as const) {
        await sql.exec('TRUNCATE points_default');
        const parts: { id: number; all: Points; left: Points }[] = [];
        for (let k = 0; k < 3; k++) {
          // Minute points into the open day (day-width: that day stays hot) and 15 s points over the open
          // day's closed two-hour windows and into its open one (two-hour width).
          const minute = { t: timesFor(D0 - 2 * DAY_MS, D0 + DAY_MS + (k + 2) * H, 60_000), v: valuesFor(2 * 1440 + (k + 2) * 60 + 1440, 40 + k) };
          minute.v = minute.v.subarray(0, minute.t.length);
          parts.push({ id: await newSeries(sql, orgId, `layout.${layout}.minute.${k}`), all: minute, left: cut(minute, D0 + DAY_MS, Infinity) });
          const dense = { t: timesFor(D0 + DAY_MS + 2 * H, D0 + DAY_MS + 11 * H + k * 60_000, 15_000), v: valuesFor(9 * 240 + 4 * k, 50 + k) };
          parts.push({ id: await newSeries(sql, orgId, `layout.${layout}.dense.${k}`), all: dense, left: cut(dense, D0 + DAY_MS + 10 * H, Infinity) });
        }
        if (layout === 'by series') for (const x of parts) await insertHot(sql, x.id, x.all);
        else {
          const rows = parts.flatMap((x) => Array.from(x.all.t, (t, i) => ({ id: x.id, t, v: x.all.v[i]! }))).sort((a, b) => a.t - b.t || a.id - b.id);
          await sql.query(`INSERT INTO points (series_id, ts, value) SELECT s, to_timestamp(t / 1000), v FROM unnest($1::int8[], $2::float8[], $3::float8[]) AS u(s, t, v)`, [
            rows.map((r) => r.id),
            rows.map((r) => r.t),
            rows.map((r) => r.v),
          ]);
        }
        await sql.exec('ANALYZE points');
        assert.equal(await clusteredBySeries(sql), kind.name === 'pglite' && layout === 'by series', `${layout}: read per series`);
        const r = await compactClosedWindows(sql, NOW, { sweepMinRows: 0, batchPoints: 4000 });
        assert.equal(r.points, parts.reduce((a, x) => a + x.all.t.length - x.left.t.length, 0), layout);
        for (const x of parts) {
          assertSamePoints(await hotOf(sql, x.id), x.left, `${layout}: rows left hot`);
          assertSamePoints(await storedOf(sql, x.id), x.all, `${layout}: every point stored once`);
        }
      }
    });

    test('a point written into a closed window during a sweep (the only row no batch takes) stays hot', async () => {
      await sql.exec('TRUNCATE points_default');
      const id = await newSeries(sql, orgId, 'sweep.late.only');
      const all = { t: timesFor(D0 - 3 * DAY_MS, D0 - DAY_MS, 60_000), v: valuesFor(2 * 1440, 34) };
      await insertHot(sql, id, all);
      await sql.exec('ANALYZE points');
      const late: Points = { t: Float64Array.of(D0 - 3 * DAY_MS + 30_000), v: Float64Array.of(-3.5) };
      let written = false;
      const r = await compactClosedWindows(sql, NOW, {
        sweepMinRows: 0,
        batchPoints: 2000,
        afterBatch: async () => {
          if (written || !(await chunksOf(sql, id)).length) return;
          written = true;
          await insertHot(sql, id, late);
        },
      });
      assert.ok(written);
      assert.equal(r.points, all.t.length);
      assertSamePoints(await hotOf(sql, id), late, 'the late point stays hot');
      assert.ok((await defaultBytes()) > 0, 'not truncated');
      assert.equal((await compactClosedWindows(sql, NOW)).points, 1);
      assertSamePoints(await storedOf(sql, id), mergePoints(all, late), 'stored once');
    });

    test('a sweeping run stopped midway (a crash between batches) loses and doubles nothing: the next run takes the rows left', async () => {
      const id = await newSeries(sql, orgId, 'sweep.stopped');
      const all = { t: timesFor(D0 - 10 * DAY_MS, D0 - 8 * DAY_MS, 60_000), v: valuesFor(2 * 1440, 15) };
      await insertHot(sql, id, all);
      await sql.exec('ANALYZE points');
      const stop = new Error('stopped');
      await assert.rejects(
        compactClosedWindows(sql, NOW, {
          sweepMinRows: 0,
          batchPoints: 2000,
          afterBatch: async () => {
            if ((await chunksOf(sql, id)).length) throw stop;
          },
        }),
        (e) => e === stop,
      );
      assert.equal((await hotOf(sql, id)).t.length, all.t.length, 'the compacted day\'s rows are still hot');
      assert.equal((await chunksOf(sql, id)).length, 1);
      const read = (await readPoints(sql, orgId, [id], {})).get(id)!;
      assertSamePoints({ t: read.timestampsMs, v: read.values }, all, 'each point read once meanwhile');
      await compactClosedWindows(sql, NOW, { sweepMinRows: 0, batchPoints: 2000 });
      assert.equal((await hotOf(sql, id)).t.length, 0);
      assertSamePoints(await storedOf(sql, id), all, 'stored once');
      const day = cut(all, D0 - 10 * DAY_MS, D0 - 9 * DAY_MS);
      assertRollup(await rollupOf(sql, 'rollups_1h', id, D0 - 10 * DAY_MS), computeRollup(day.t, day.v, 3_600_000), '1h of the day compacted twice');
    });

    test('a backfill the statistics have not seen yet is analysed first, so its size is known and it is swept', async () => {
      const ids = [await newSeries(sql, orgId, 'sweep.unseen.a'), await newSeries(sql, orgId, 'sweep.unseen.b')];
      const all = ids.map((_, k) => ({ t: timesFor(D0 - 200 * DAY_MS, D0 - 200 * DAY_MS + 60_000 * 60_000, 60_000), v: valuesFor(60_000, 20 + k) }));
      for (let k = 0; k < ids.length; k++) await insertHot(sql, ids[k]!, all[k]!);
      // 120,000 rows since the last ANALYZE (an earlier test's): more than STALE_MIN_ROWS and a tenth.
      const hotOfBoth = async () => (await hotOf(sql, ids[0]!)).t.length + (await hotOf(sql, ids[1]!)).t.length;
      const seen: number[] = [];
      const r = await compactClosedWindows(sql, NOW, { sweepMinRows: 100_000, batchPoints: 50_000, afterBatch: async () => void seen.push(await hotOfBoth()) });
      assert.equal(r.points, 120_000);
      // Swept (each batch left its rows): only an estimate near 120,000 reaches sweepMinRows, and batches
      // of at most 50,000 points need the estimate too.
      assert.ok(seen.length >= 3, `${seen.length} batches`);
      assert.ok(seen.every((n) => n === 120_000), `hot rows after each batch: ${seen.join(', ')}`);
      assert.equal(await hotOfBoth(), 0);
      for (let k = 0; k < ids.length; k++) assertSamePoints(await storedOf(sql, ids[k]!), all[k]!, `series ${k}`);
    });

    // Another connection: PostgreSQL only (PGlite is one connection).
    if (kind.name !== 'postgres') return;

    /** A transaction on another connection, running `begin` then held open until the returned `end`. */
    async function heldOpen(t: TestContext, begin: (tx: Sql) => Promise<void>): Promise<{ end: (commit: boolean) => Promise<void> }> {
      const other = await store.connectAgain!();
      let finish!: (commit: boolean) => void;
      const finished = new Promise<boolean>((res) => (finish = res));
      let started!: () => void;
      const isStarted = new Promise<void>((res) => (started = res));
      const held = other
        .transaction(async (tx) => {
          await begin(tx);
          started();
          if (!(await finished)) throw new Error('rolled back');
        })
        .catch((e: unknown) => {
          if (!(e instanceof Error && e.message === 'rolled back')) throw e;
        });
      await isStarted;
      // A failed test still ends it (else the run would wait on its connection for ever).
      t.after(() => (finish(false), held));
      return { end: async (commit) => (finish(commit), held) };
    }

    test('a transaction open elsewhere since before the backfill (it took an id, wrote nothing here) does not hold the sweep back', async (t) => {
      const other = await heldOpen(t, async (tx) => void (await tx.query(`SELECT pg_current_xact_id()`)));
      const id = await newSeries(sql, orgId, 'sweep.beside');
      const all = { t: timesFor(D0 - 3 * DAY_MS, D0 - DAY_MS, 60_000), v: valuesFor(2 * 1440, 16) };
      await insertHot(sql, id, all);
      const seen: number[] = [];
      const r = await compactClosedWindows(sql, NOW, { sweepMinRows: 0, batchPoints: 2000, afterBatch: async () => void seen.push((await hotOf(sql, id)).t.length) });
      await other.end(true);
      assert.equal(r.points, all.t.length);
      assert.ok(seen.length >= 1 && seen.every((n) => n === all.t.length), `swept: hot rows after each batch ${seen.join(', ')}`);
      assert.equal((await hotOf(sql, id)).t.length, 0, 'every row was written before the sweep\'s snapshot');
      assertSamePoints(await storedOf(sql, id), all, 'stored once');
    });

    test('a transaction that has written here and is still open at the sweep: nothing is removed; the next run takes every row once', async (t) => {
      const id = await newSeries(sql, orgId, 'sweep.writer');
      const all = { t: timesFor(D0 - 3 * DAY_MS, D0 - DAY_MS, 60_000), v: valuesFor(2 * 1440, 17) };
      await insertHot(sql, id, all);
      const late: Points = { t: Float64Array.of(D0 - 3 * DAY_MS + 30_000), v: Float64Array.of(4.5) };
      const other = await heldOpen(t, (tx) => insertHot(tx, id, late));
      const r = await compactClosedWindows(sql, NOW, { sweepMinRows: 0, batchPoints: 2000, truncateLockTimeoutMs: 50 });
      assert.equal(r.points, all.t.length);
      assertSamePoints(await hotOf(sql, id), all, 'the sweep waited 50 ms for its lock, then left every row');
      const read = (await readPoints(sql, orgId, [id], {})).get(id)!;
      assertSamePoints({ t: read.timestampsMs, v: read.values }, all, 'each point read once meanwhile');
      await other.end(true);
      assert.equal((await compactClosedWindows(sql, NOW, { sweepMinRows: 0, batchPoints: 2000 })).points, all.t.length + 1);
      assert.equal((await hotOf(sql, id)).t.length, 0);
      assertSamePoints(await storedOf(sql, id), mergePoints(all, late), 'stored once');
    });
  });
}
