// The raw point reader (src/metrics/points/read.ts) on both stores, over fixtures written straight
// into the tables: hot rows, chunks (encodeChunk), and both at once (late hot rows inside chunked
// windows, one of them duplicating a chunk's timestamp). Every read is checked against a model.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeChunk } from '../src/store/chunks/codec.js';
import { windowStartMs, type ChunkSeconds } from '../src/store/chunks/window.js';
import { ensurePartitions } from '../src/metrics/points/partitions.js';
import { readPoints, seriesExtents, seriesWithPointsIn } from '../src/metrics/points/read.js';
import type { PointRange, ReadOptions } from '../src/metrics/points/types.js';
import { readSeriesPoints, readSeriesWindows } from '../src/metrics/series-read.js';
import { matchStoredSeries, readPoints as readPromPoints } from '../src/prometheus/store-source.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const minute = 60_000;
const hour = 3_600_000;
const day = 86_400_000;
const D = Date.UTC(2026, 10, 2);

async function addSeries(sql: Sql, orgId: string, key: string, chunkSeconds: ChunkSeconds | null): Promise<number> {
  const r = await sql.query<{ id: string }>('INSERT INTO series (org_id, key, chunk_seconds) VALUES ($1, $2, $3) RETURNING id', [orgId, key, chunkSeconds]);
  return Number(r.rows[0]!.id);
}

async function insertHot(sql: Sql, seriesId: number, points: [number, number][]): Promise<void> {
  await sql.query(
    `INSERT INTO points (series_id, ts, value)
     SELECT $1, timestamptz 'epoch' + t * interval '1 millisecond', v FROM unnest($2::bigint[], $3::float8[]) AS u(t, v)`,
    [seriesId, points.map((p) => p[0]), points.map((p) => p[1])],
  );
}

/** One chunk row per window of `chunkSeconds` holding `points` (ascending). */
async function insertChunks(sql: Sql, seriesId: number, chunkSeconds: ChunkSeconds, points: [number, number][]): Promise<void> {
  const byWindow = new Map<number, [number, number][]>();
  for (const p of points) {
    const w = windowStartMs(p[0], chunkSeconds);
    byWindow.set(w, [...(byWindow.get(w) ?? []), p]);
  }
  await ensurePartitions(sql, 'chunks', byWindow.keys());
  for (const [w, ps] of byWindow) {
    const data = encodeChunk(Float64Array.from(ps, (p) => p[0]), Float64Array.from(ps, (p) => p[1]));
    await sql.query('INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data) VALUES ($1, $2, $3, $4, $5, $6)', [
      seriesId,
      new Date(w),
      new Date(ps[0]![0]),
      new Date(ps[ps.length - 1]![0]),
      ps.length,
      data,
    ]);
  }
}

/** The model: what a read must return. */
function expected(model: Map<number, number>, range: PointRange, o: ReadOptions = {}): { t: number[]; v: number[] } {
  let ts = [...model.keys()]
    .filter((t) => (range.afterMs === undefined || t > range.afterMs) && (range.fromMs === undefined || t >= range.fromMs) && (range.beforeMs === undefined || t < range.beforeMs) && (range.toMs === undefined || t <= range.toMs))
    .sort((a, b) => a - b);
  if (o.limit !== undefined && ts.length > o.limit) ts = o.newest ? ts.slice(ts.length - o.limit) : ts.slice(0, o.limit);
  return { t: ts, v: ts.map((t) => model.get(t)!) };
}

const plain = (p: { timestampsMs: Float64Array; values: Float64Array } | undefined) => (p ? { t: Array.from(p.timestampsMs), v: Array.from(p.values) } : undefined);

for (const kind of storeKinds) {
  describe(`raw point reads (${kind.name})`, () => {
    let store: TestStore;
    let sql: Sql;
    let orgA: string;
    let orgB: string;
    // mixed: 2 h chunks over five windows, hot rows in the sixth, and late hot rows in windows 0 and 3
    // (one new timestamp and one duplicating a chunk point, each).
    let mixed: number;
    const mixedModel = new Map<number, number>();
    let mixedChunkPoints = 0;
    let mixedHotPoints = 0;
    let hotOnly: number;
    const hotModel = new Map<number, number>();
    // chunksOnly: day chunks over three days, irregular points.
    let chunksOnly: number;
    const chunkModel = new Map<number, number>();
    let foreign: number;

    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgA = (await createOrg(sql, { name: 'A' })).id;
      orgB = (await createOrg(sql, { name: 'B' })).id;

      mixed = await addSeries(sql, orgA, 'mixed', 7200);
      const chunkPts: [number, number][] = [];
      for (let i = 0; i < 60; i++) chunkPts.push([D + i * 10 * minute, i + 0.25]);
      await insertChunks(sql, mixed, 7200, chunkPts);
      const hotPts: [number, number][] = [];
      for (let i = 60; i < 67; i++) hotPts.push([D + i * 10 * minute, i + 0.25]);
      hotPts.push([D + 5 * minute, -5], [D + 10 * minute, -10], [D + 6 * hour + 7 * minute, -67], [D + 6 * hour + 20 * minute, -620]);
      await insertHot(sql, mixed, hotPts);
      for (const [t, v] of chunkPts) mixedModel.set(t, v);
      for (const [t, v] of hotPts) mixedModel.set(t, v); // the hot value wins
      mixedChunkPoints = chunkPts.length;
      mixedHotPoints = hotPts.length;

      hotOnly = await addSeries(sql, orgA, 'hot', null);
      const hp: [number, number][] = [];
      for (let i = 0; i < 30; i++) hp.push([D + 3 * day + i * 7 * minute + (i % 3), Math.sin(i)]);
      await insertHot(sql, hotOnly, hp);
      for (const [t, v] of hp) hotModel.set(t, v);

      chunksOnly = await addSeries(sql, orgA, 'chunks', 86400);
      const cp: [number, number][] = [];
      for (const [d, hs] of [[0, [1, 13, 20]], [1, [0.5, 2, 23.9]], [2, [12]]] as const) for (const h of hs) cp.push([D + d * day + h * hour, d * 100 + h]);
      await insertChunks(sql, chunksOnly, 86400, cp);
      for (const [t, v] of cp) chunkModel.set(t, v);

      foreign = await addSeries(sql, orgB, 'mixed', 86400);
      await insertHot(sql, foreign, [[D + hour, 1]]);
      await insertChunks(sql, foreign, 86400, [[D, 2]]);
    });
    after(() => store.drop());

    const ranges: PointRange[] = [
      {},
      { fromMs: D + 15 * minute, toMs: D + 2 * hour + 30 * minute },
      { afterMs: D + 10 * minute, beforeMs: D + 2 * hour },
      { fromMs: D + 10 * minute, toMs: D + 2 * hour },
      { afterMs: D + 4 * hour + 5 * minute },
      { toMs: D + 5 * minute },
      { beforeMs: D + 6 * hour + 7 * minute },
      { fromMs: D + 10 * minute + 0.5, beforeMs: D + 50 * minute + 0.5 },
      { fromMs: D + 3 * hour + 1, toMs: D + 3 * hour + 5 }, // inside a chunk, no point in it
      { fromMs: D + 6 * hour + 7 * minute, toMs: D + 6 * hour + 7 * minute },
      { fromMs: D - 3 * day, toMs: D - day },
      { fromMs: D + 10 * hour, toMs: D },
      { fromMs: -1e20, toMs: 1e20 },
    ];

    test('hot rows and chunks merged: every end kind, ranges cutting chunks, the hot value wins over a chunk\'s', async () => {
      for (const range of ranges) {
        const m = await readPoints(sql, orgA, [mixed, hotOnly, chunksOnly], range);
        assert.deepEqual(plain(m.get(mixed)), expected(mixedModel, range), JSON.stringify(range));
        assert.deepEqual(plain(m.get(hotOnly)), expected(hotModel, range), JSON.stringify(range));
        assert.deepEqual(plain(m.get(chunksOnly)), expected(chunkModel, range), JSON.stringify(range));
      }
      const all = await readPoints(sql, orgA, [mixed], {});
      assert.equal(all.get(mixed)!.timestampsMs.length, mixedChunkPoints + mixedHotPoints - 2); // two duplicates
      assert.equal(all.get(mixed)!.values[2], -10); // D + 10 min: hot row, not the chunk's 1.25
    });

    test('limits take the oldest or the newest points across hot rows and chunks, ascending', async () => {
      for (const range of [ranges[0]!, ranges[1]!, ranges[4]!, ranges[6]!, { fromMs: D + 5 * minute + 1, toMs: D + 9 * hour }]) {
        for (const limit of [0, 1, 2, 5, 12, 13, 25, 40, 66, 1000]) {
          for (const newest of [false, true]) {
            const o = { limit, newest };
            const m = await readPoints(sql, orgA, [mixed, hotOnly, chunksOnly], range, o);
            const what = JSON.stringify({ range, o });
            assert.deepEqual(plain(m.get(mixed)), expected(mixedModel, range, o), what);
            assert.deepEqual(plain(m.get(hotOnly)), expected(hotModel, range, o), what);
            assert.deepEqual(plain(m.get(chunksOnly)), expected(chunkModel, range, o), what);
          }
        }
      }
    });

    test("another organisation's series ids (and unknown ids) are refused: absent from every answer", async () => {
      const m = await readPoints(sql, orgA, [foreign, mixed, 987654321], {});
      assert.deepEqual([...m.keys()], [mixed]);
      const limited = await readPoints(sql, orgA, [foreign], {}, { limit: 5, newest: true });
      assert.equal(limited.size, 0);
      assert.deepEqual([...(await seriesExtents(sql, orgA, [foreign, chunksOnly])).keys()], [chunksOnly]);
      assert.deepEqual([...(await seriesWithPointsIn(sql, orgA, [foreign], D - day, D + day))], []);
      // Its own organisation sees it, hot row and chunk merged.
      assert.deepEqual(plain((await readPoints(sql, orgB, [foreign], {})).get(foreign)), { t: [D, D + hour], v: [2, 1] });
      assert.equal((await readPoints(sql, orgA, [], {})).size, 0);
    });

    test('extents: first, last and count over hot rows and chunk metadata', async () => {
      const e = await seriesExtents(sql, orgA, [mixed, hotOnly, chunksOnly]);
      const times = (m: Map<number, number>) => [...m.keys()].sort((a, b) => a - b);
      assert.deepEqual(e.get(hotOnly), { firstMs: times(hotModel)[0], lastMs: times(hotModel).at(-1), count: hotModel.size });
      assert.deepEqual(e.get(chunksOnly), { firstMs: D + hour, lastMs: D + 2 * day + 12 * hour, count: chunkModel.size });
      // The late hot row duplicating a chunk point counts twice until compaction removes it.
      assert.deepEqual(e.get(mixed), { firstMs: D, lastMs: D + 66 * 10 * minute, count: mixedChunkPoints + mixedHotPoints });
      const none = await addSeries(sql, orgA, 'empty', null);
      assert.deepEqual((await seriesExtents(sql, orgA, [none])).get(none), { firstMs: null, lastMs: null, count: 0 });
      assert.deepEqual(plain((await readPoints(sql, orgA, [none], {})).get(none)), { t: [], v: [] });
    });

    test('seriesWithPointsIn: a chunk spanning the range without a point inside it is no point', async () => {
      const ids = [mixed, hotOnly, chunksOnly];
      const check = async (fromMs: number, toMs: number) => {
        const got = await seriesWithPointsIn(sql, orgA, ids, fromMs, toMs);
        const want = ids.filter((id) => {
          const model = id === mixed ? mixedModel : id === hotOnly ? hotModel : chunkModel;
          return [...model.keys()].some((t) => t >= fromMs && t <= toMs);
        });
        assert.deepEqual([...got].sort(), want.sort(), `${fromMs - D} … ${toMs - D}`);
        return got;
      };
      // Day 0's chunk holds 1 h, 13 h and 20 h: [2 h, 12 h] lies inside its span with no point.
      assert.ok(!(await check(D + 2 * hour, D + 12 * hour)).has(chunksOnly));
      assert.ok((await check(D + 2 * hour, D + 13 * hour)).has(chunksOnly));
      assert.ok((await check(D + 13 * hour, D + 13 * hour)).has(chunksOnly));
      assert.ok((await check(D + 12 * hour, D + 14 * hour)).has(chunksOnly));
      await check(D + 3 * hour + 1, D + 3 * hour + 5); // mixed: inside a 2 h chunk, between points
      await check(D + 6 * hour + 1, D + 6 * hour + 8 * minute); // mixed: a hot row only
      await check(D + 3 * day, D + 3 * day + 5 * minute);
      await check(D - 2 * day, D - day);
      await check(D + 5 * day, D);
    });

    test('series-read, PromQL and detection readers see chunks and hot rows together', async () => {
      // readSeriesPoints: the newest maxPoints of [from, to].
      const sp = await readSeriesPoints(sql, orgA, mixed, D, D + 12 * hour, 10);
      assert.deepEqual(plain(sp), expected(mixedModel, { fromMs: D, toMs: D + 12 * hour }, { limit: 10, newest: true }));
      // PromQL: (start, end].
      const prom = await readPromPoints(sql, orgA, [{ id: mixed, labels: { __name__: 'mixed' } }, { id: foreign, labels: { __name__: 'x' } }], { startMs: D + 10 * minute, endMs: D + 2 * hour });
      assert.deepEqual(plain(prom[0]), expected(mixedModel, { afterMs: D + 10 * minute, toMs: D + 2 * hour }));
      assert.deepEqual(plain(prom[1]), { t: [], v: [] });
      const matched = async (startMs: number, endMs: number) =>
        (await matchStoredSeries(sql, orgA, [{ name: '__name__', type: '=', value: 'chunks' }], 10, { startMs, endMs })).map((s) => s.id);
      assert.deepEqual(await matched(D + 2 * hour, D + 12 * hour), []);
      assert.deepEqual(await matched(D + 2 * hour, D + 13 * hour), [chunksOnly]);

      // readSeriesWindows: raw, and bucket means (each hour's mean, computed over chunk and hot points).
      const raw = await readSeriesWindows(sql, orgA, 'mixed', {}, { fromMs: D, toMs: D + 5 * hour, maxPoints: 7, maxSeries: 5 });
      assert.equal(raw.series.length, 1);
      assert.equal(raw.series[0]!.lastSeenMs, D + 66 * 10 * minute);
      assert.deepEqual(plain(raw.series[0]), expected(mixedModel, { fromMs: D, toMs: D + 5 * hour }, { limit: 7, newest: true }));
      const bucketed = await readSeriesWindows(sql, orgA, 'mixed', {}, { fromMs: D, toMs: D + 12 * hour, maxPoints: 4, maxSeries: 5, bucketMs: hour });
      const means = new Map<number, number[]>();
      for (const [t, v] of mixedModel) if (t <= D + 12 * hour) means.set(Math.floor(t / hour) * hour, [...(means.get(Math.floor(t / hour) * hour) ?? []), v]);
      const starts = [...means.keys()].sort((a, b) => a - b).slice(-4);
      assert.deepEqual(plain(bucketed.series[0]), { t: starts, v: starts.map((s) => means.get(s)!.reduce((a, b) => a + b, 0) / means.get(s)!.length) });
    });

    test('bucket means stay finite when a float sum overflows (values near ±1e308)', async () => {
      const big = await addSeries(sql, orgA, 'big', 86400);
      await insertChunks(sql, big, 86400, [[D, 1e308], [D + minute, 1.5e308], [D + hour, -1e308]]);
      await insertHot(sql, big, [[D + 2 * minute, 1.7e308], [D + hour + minute, -1.7e308], [D + 2 * hour, 5]]);
      const w = await readSeriesWindows(sql, orgA, 'big', {}, { fromMs: D, toMs: D + day, maxPoints: 10, maxSeries: 1, bucketMs: hour });
      const s = w.series[0]!;
      assert.deepEqual(Array.from(s.timestampsMs), [D, D + hour, D + 2 * hour]);
      assert.ok(Array.from(s.values).every(Number.isFinite));
      assert.ok(Math.abs(s.values[0]! - 1.4e308) < 1e294, String(s.values[0]));
      assert.ok(Math.abs(s.values[1]! + 1.35e308) < 1e294, String(s.values[1]));
      assert.equal(s.values[2], 5);
    });
  });
}
