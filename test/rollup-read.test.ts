// Stepped reads from rollups (src/metrics/points/buckets.ts) on both stores: points written as hot
// rows, compacted (chunks + rollups), then every aggregation at 5 min, 1 h and 1 d steps over ranges
// that cut buckets must equal the aggregate of the generated points computed here in plain JS. That
// rollups are really read is shown by corrupting a series' chunks after its rollups exist (a raw read
// of them throws); late hot rows (contradicting a rollup, or after its end) fall back to raw and still
// equal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readBuckets } from '../src/metrics/points/buckets.js';
import { compactClosedWindows } from '../src/metrics/points/compact.js';
import { readPoints } from '../src/metrics/points/read.js';
import { planWrite, writePoints } from '../src/metrics/points/write.js';
import type { BucketAggregation, BucketArrays } from '../src/metrics/points/types.js';
import { queryRange } from '../src/metrics/query.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';
import { seededRandom } from '../src/core/random.js';

const s = 1000;
const minute = 60_000;
const hour = 3_600_000;
const day = 86_400_000;
const D = Date.UTC(2026, 9, 5); // a past Monday, midnight UTC
const aggregations: BucketAggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'last'];
const steps = { '5m': 5 * minute, '1h': hour, '1d': day } as const;

type Points = [number, number][];

/** The answer by definition over `points` (any order). */
function reference(points: Points, fromMs: number, toMs: number, stepMs: number, agg: BucketAggregation): { starts: number[]; values: (number | null)[] } {
  const byBucket = new Map<number, Points>();
  for (const p of points) {
    if (p[0] < fromMs || p[0] > toMs) continue;
    const b = Math.floor(p[0] / stepMs) * stepMs;
    if (!byBucket.has(b)) byBucket.set(b, []);
    byBucket.get(b)!.push(p);
  }
  const starts = [...byBucket.keys()].sort((a, b) => a - b);
  const values = starts.map((b) => {
    const ps = byBucket.get(b)!.sort((x, y) => x[0] - y[0]);
    const vs = ps.map((p) => p[1]);
    // The exact sum may fit although a left-to-right double sum overflows midway: halved values
    // (exact for these) cannot overflow here.
    const half = vs.reduce((a, v) => a + v / 2, 0);
    const sum = half * 2;
    const avg = (half / vs.length) * 2;
    return { avg, min: Math.min(...vs), max: Math.max(...vs), sum: Number.isFinite(sum) ? sum : null, count: vs.length, last: vs[vs.length - 1]! }[agg];
  });
  return { starts, values };
}

function assertEqualBuckets(got: BucketArrays | undefined, want: { starts: number[]; values: (number | null)[] }, what: string): void {
  assert.ok(got, `${what}: no entry`);
  assert.deepEqual(Array.from(got.startsMs), want.starts, `${what}: bucket starts`);
  want.values.forEach((w, i) => {
    const g = got.values[i]!;
    if (w === null) {
      assert.ok(Number.isNaN(g) && got.overflow[i] === 1, `${what}: bucket ${i} should overflow, got ${g}`);
      return;
    }
    assert.equal(got.overflow[i], 0, `${what}: bucket ${i} overflow`);
    assert.ok(Math.abs(g - w) <= 1e-12 * Math.max(1, Math.abs(w)), `${what}: bucket ${i} (${new Date(want.starts[i]!).toISOString()}): ${g} ≠ ${w}`);
  });
}


/**
 * 15-second points (dense enough for 5 min and 1 h rollups) over `days` days from D, some a few ms late,
 * with a 3-hour gap on the second day; the last day ends at 20:17 (so its 5 min and 1 h rollups end
 * at 20:20 and 21:00).
 */
function dense(seed: number, days: number): Points {
  const next = seededRandom(seed);
  const out: Points = [];
  const end = D + (days - 1) * day + 20 * hour + 17 * minute;
  for (let t = D; t <= end; t += 15 * s) {
    if (t >= D + day + 5 * hour && t < D + day + 8 * hour) continue;
    const jitter = next() < 0.25 ? 1 + Math.floor(next() * 3) : 0;
    out.push([t + jitter, Math.round((50 + 30 * Math.sin(t / 7_200_000) + (next() - 0.5) * 10) * 100) / 100]);
  }
  return out;
}

for (const kind of storeKinds) {
  describe(`stepped reads from rollups (${kind.name})`, () => {
    let store: TestStore;
    let sql: Sql;
    let orgA: string;
    let orgB: string;
    const model = new Map<number, Points>();
    let a: number; // dense, 3 days: the equality matrix and late rows
    let c: number; // dense, 2 days: its chunks are corrupted after compaction
    let sparse: number; // one point every 17 minutes: no rollups at all
    let huge: number; // dense with two values near 1e308 in one hour

    async function addSeries(orgId: string, key: string, dims: Record<string, string>, points: Points): Promise<number> {
      const r = await sql.query<{ id: string }>('INSERT INTO series (org_id, key, dimensions) VALUES ($1, $2, $3) RETURNING id', [orgId, key, JSON.stringify(dims)]);
      const id = Number(r.rows[0]!.id);
      await insertHot(id, points);
      model.set(id, [...points]);
      return id;
    }
    async function insertHot(id: number, points: Points): Promise<void> {
      await sql.query(
        `INSERT INTO points (series_id, ts, value)
         SELECT $1, timestamptz 'epoch' + t * interval '1 millisecond', v FROM unnest($2::bigint[], $3::float8[]) AS u(t, v)`,
        [id, points.map((p) => p[0]), points.map((p) => p[1])],
      );
    }
    const rollupRows = async (table: string, id: number) => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE series_id = $1`, [id])).rows[0]!.n);

    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgA = (await createOrg(sql, { name: 'Rollups A' })).id;
      orgB = (await createOrg(sql, { name: 'Rollups B' })).id;
      a = await addSeries(orgA, 'r.cpu', { host: 'a' }, dense(1, 3));
      c = await addSeries(orgA, 'r.cpu', { host: 'c' }, dense(2, 2));
      const sp: Points = [];
      for (let t = D + 3 * minute; t < D + 3 * day; t += 17 * minute) sp.push([t, (t / minute) % 13]);
      sparse = await addSeries(orgA, 'r.cpu', { host: 'sparse' }, sp);
      const h = dense(3, 1).map((p): [number, number] => [p[0], p[1]]);
      h[200]![1] = 1e308; // 00:50
      h[203]![1] = 1.5e308; // 00:50:45, the same hour and 5 minutes
      h[600]![1] = -1e308; // 02:30
      huge = await addSeries(orgA, 'r.huge', {}, h);
      const done = await compactClosedWindows(sql, D + 5 * day);
      assert.ok(done.points > 0, JSON.stringify(done));
      // Every hot row is in a chunk now, and the dense series have rollups of both resolutions.
      assert.equal(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM points')).rows[0]!.n), 0);
      for (const id of [a, c, huge]) {
        assert.ok((await rollupRows('rollups_1h', id)) > 0, `1 h rollups of ${id}`);
        assert.ok((await rollupRows('rollups_5m', id)) > 0, `5 min rollups of ${id}`);
      }
      assert.equal(await rollupRows('rollups_1h', sparse), 0, 'a sparse series gets no rollups');
    });
    after(async () => store?.drop());

    const ranges: [string, number, number][] = [
      ['everything', D - day, D + 4 * day],
      ['cut inside buckets', D + 7 * minute + 13 * s, D + 2 * day + 5 * hour + 31 * minute + 7],
      ['inside one hour', D + day + 10 * hour + 2 * minute, D + day + 10 * hour + 44 * minute],
      ['aligned days', D + day, D + 2 * day - 1],
      ['one instant', D + 15 * s, D + 15 * s],
    ];

    test('every aggregation, step and range equals the aggregate of the raw points', async () => {
      for (const [name, fromMs, toMs] of ranges) {
        for (const [stepName, stepMs] of Object.entries(steps)) {
          for (const agg of aggregations) {
            const got = await readBuckets(sql, orgA, [a, sparse, c], { fromMs, toMs, stepMs, aggregation: agg });
            for (const id of [a, sparse, c]) assertEqualBuckets(got.get(id), reference(model.get(id)!, fromMs, toMs, stepMs, agg), `${name} ${stepName} ${agg} series ${id}`);
          }
        }
      }
      // 1-minute and 15-minute steps: raw only, and 5 min rollups for multiples of 5 minutes.
      for (const stepMs of [minute, 15 * minute]) {
        const got = await readBuckets(sql, orgA, [a], { fromMs: D + 3 * minute, toMs: D + day + 6 * hour, stepMs, aggregation: 'avg' });
        assertEqualBuckets(got.get(a), reference(model.get(a)!, D + 3 * minute, D + day + 6 * hour, stepMs, 'avg'), `step ${stepMs}`);
      }
    });

    test('sums near ±1e308: a rollup bucket whose sum overflowed is recomputed from raw; the mean stays exact', async () => {
      for (const [stepName, stepMs] of Object.entries(steps)) {
        for (const agg of ['sum', 'avg', 'max', 'count'] as const) {
          const got = await readBuckets(sql, orgA, [huge], { fromMs: D, toMs: D + day - 1, stepMs, aggregation: agg });
          assertEqualBuckets(got.get(huge), reference(model.get(huge)!, D, D + day - 1, stepMs, agg), `${stepName} ${agg}`);
        }
      }
      const hourly = await readBuckets(sql, orgA, [huge], { fromMs: D, toMs: D + day - 1, stepMs: hour, aggregation: 'sum' });
      assert.deepEqual(
        Array.from(hourly.get(huge)!.overflow).flatMap((o, i) => (o ? [i] : [])),
        [0],
        'only the hour holding 1e308 + 1.5e308 overflows',
      );
    });

    test('another organisation reads nothing of these series', async () => {
      const got = await readBuckets(sql, orgB, [a, c], { fromMs: D, toMs: D + 3 * day, stepMs: hour, aggregation: 'count' });
      assert.equal(got.size, 0);
      const mine = await readBuckets(sql, orgA, [a, 999_999_999], { fromMs: D, toMs: D + 3 * day, stepMs: hour, aggregation: 'count' });
      assert.deepEqual([...mine.keys()], [a]);
    });

    test('a read of many series (several statements on PostgreSQL) equals the read of each alone', async () => {
      const ids = [huge, 999_999_999, a, sparse, c];
      for (const aggregation of ['avg', 'last'] as const) {
        for (const [name, fromMs, toMs] of ranges.slice(0, 2)) {
          const q = { fromMs, toMs, stepMs: hour, aggregation };
          const all = await readBuckets(sql, orgA, ids, q);
          assert.deepEqual([...all.keys()].sort(), [a, c, huge, sparse].sort(), name);
          for (const id of [a, c, huge, sparse]) assert.deepEqual(all.get(id), (await readBuckets(sql, orgA, [id], q)).get(id), `${name} ${aggregation} series ${id}`);
          assert.equal((await readBuckets(sql, orgB, ids, q)).size, 0);
        }
      }
    });

    test('queryRange over compacted data: stepped and raw pages add up to the whole answer, buckets never split', async () => {
      const fromMs = D + 7 * minute;
      const toMs = D + 2 * day + 3 * hour;
      const q = { key: 'r.cpu', dimensions: {}, fromMs, toMs, aggregation: 'max' as const };
      const whole = await queryRange(sql, orgA, { ...q, limit: 10_000, step: '1h' });
      assert.equal(whole.next, null);
      assert.deepEqual(
        whole.series.map((x) => x.seriesId),
        [a, c, sparse].sort((x, y) => x - y),
      );
      for (const x of whole.series) {
        const want = reference(model.get(x.seriesId)!, fromMs, toMs, hour, 'max');
        assert.deepEqual(
          x.points.map((p) => [p.tsMs, p.value]),
          want.starts.map((t, i) => [t, want.values[i]]),
        );
      }
      const flat = (pages: { series: { seriesId: number; points: { tsMs: number; value: number | null }[] }[] }[]) =>
        pages.flatMap((p) => p.series.flatMap((x) => x.points.map((pt) => `${x.seriesId}@${pt.tsMs}=${pt.value}`)));
      for (const step of ['1h', undefined] as const) {
        const limit = step ? 37 : 1999;
        const pages = [];
        let cursor;
        do {
          const page = await queryRange(sql, orgA, { ...q, limit, ...(step ? { step } : {}), ...(cursor ? { after: cursor } : {}) });
          assert.ok(page.series.reduce((n, x) => n + x.points.length, 0) <= limit);
          pages.push(page);
          cursor = page.next;
        } while (cursor && pages.length < 10_000);
        const all = step ? flat([whole]) : flat([await queryRange(sql, orgA, { ...q, limit: 100_000 })]);
        assert.deepEqual(flat(pages), all, `step ${step ?? 'raw'}`);
        assert.equal(pages[pages.length - 1]!.next, null);
        assert.equal(pages.length, Math.ceil(all.length / limit));
      }
      // The raw answer is every generated point in range.
      const raw = flat([await queryRange(sql, orgA, { ...q, limit: 100_000 })]);
      const expected = [a, c, sparse]
        .sort((x, y) => x - y)
        .flatMap((id) =>
          model
            .get(id)!
            .filter((p) => p[0] >= fromMs && p[0] <= toMs)
            .sort((x, y) => x[0] - y[0])
            .map((p) => `${id}@${p[0]}=${p[1]}`),
        );
      assert.deepEqual(raw, expected);
    });

    test('late hot rows: one contradicting a day\'s rollup makes that day raw; one after the rollup\'s end is read too', async () => {
      const late: Points = [
        [D + day + 3 * hour + 7 * s, 1000], // inside day 2's rollups: contradicts them
        [D + 2 * day + 22 * hour + 5 * s, -500], // day 3, after its rollups' end (21:00)
      ];
      await insertHot(a, late);
      model.get(a)!.push(...late);
      for (const [name, fromMs, toMs] of ranges) {
        for (const [stepName, stepMs] of Object.entries(steps)) {
          for (const agg of aggregations) {
            const got = await readBuckets(sql, orgA, [a], { fromMs, toMs, stepMs, aggregation: agg });
            assertEqualBuckets(got.get(a), reference(model.get(a)!, fromMs, toMs, stepMs, agg), `${name} ${stepName} ${agg} with late rows`);
          }
        }
      }
    });

    test('late points through the write path (an overwrite of a compacted point, a new point): reads equal raw before and after the next compaction', async () => {
      const pts = model.get(a)!;
      const target = [...pts].sort((x, y) => x[0] - y[0])[500]!; // day 1, a compacted window in the month row
      const rows = { seriesIds: [a, a], timestampsMs: [target[0], D + day + 9 * hour + 31 * s + 2], values: [4242, -17.5] };
      const nowMs = D + 5 * day;
      const counts = await writePoints(sql, await planWrite(sql, rows, nowMs), 'overwrite', { alone: true });
      assert.deepEqual(counts, { inserted: 1, duplicates: 1 }); // the overwrite counts as a duplicate (replaced)
      for (const p of pts) if (p[0] === target[0]) p[1] = 4242;
      pts.push([rows.timestampsMs[1]!, -17.5]);
      const check = async (when: string) => {
        for (const [name, fromMs, toMs] of ranges)
          for (const [stepName, stepMs] of Object.entries(steps))
            for (const agg of aggregations) {
              const got = await readBuckets(sql, orgA, [a], { fromMs, toMs, stepMs, aggregation: agg });
              assertEqualBuckets(got.get(a), reference(pts, fromMs, toMs, stepMs, agg), `${when}: ${name} ${stepName} ${agg}`);
            }
      };
      await check('hot');
      const done = await compactClosedWindows(sql, nowMs);
      assert.ok(done.points >= 2, JSON.stringify(done));
      assert.equal(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM points WHERE series_id = $1', [a])).rows[0]!.n), 0);
      await check('compacted');
    });

    test('rollups are really read: with a series\' chunks corrupted, whole-bucket reads still answer from rollups', async () => {
      // Aligned reads of compacted days, before the corruption (for comparison).
      const reads: { fromMs: number; toMs: number; stepMs: number; aggregation: BucketAggregation }[] = [];
      for (const stepMs of Object.values(steps)) for (const aggregation of aggregations) reads.push({ fromMs: D, toMs: D + 2 * day - 1, stepMs, aggregation });
      const before = await Promise.all(reads.map((r) => readBuckets(sql, orgA, [c], r)));
      // Version 9 does not exist: decoding any of these chunks throws.
      await sql.query(`UPDATE chunks SET data = '\\x09'::bytea WHERE series_id = $1`, [c]);
      await assert.rejects(readPoints(sql, orgA, [c], { fromMs: D, toMs: D + 2 * day }), RangeError, 'a raw read of the corrupted chunks throws');
      for (let i = 0; i < reads.length; i++) {
        const got = await readBuckets(sql, orgA, [c], reads[i]!);
        assert.deepEqual(got.get(c), before[i]!.get(c), JSON.stringify(reads[i]));
        assertEqualBuckets(got.get(c), reference(model.get(c)!, reads[i]!.fromMs, reads[i]!.toMs, reads[i]!.stepMs, reads[i]!.aggregation), JSON.stringify(reads[i]));
      }
      // An edge cutting a bucket needs the raw points: that read reaches the corrupted chunks.
      await assert.rejects(readBuckets(sql, orgA, [c], { fromMs: D + 7 * minute, toMs: D + day - 1, stepMs: hour, aggregation: 'sum' }), RangeError);

      // A late hot row at 20:40 on day 2 contradicts its 1 h rollup (ends 21:00) but not its 5 min one
      // (ends 20:20): an hourly read of that day takes the 5 min rollups and the hot row, no chunk.
      const lateRow: Points = [[D + day + 20 * hour + 40 * minute, 7777]];
      await insertHot(c, lateRow);
      model.get(c)!.push(...lateRow);
      for (const aggregation of aggregations) {
        const r = { fromMs: D + day, toMs: D + 2 * day - 1, stepMs: hour, aggregation };
        assertEqualBuckets((await readBuckets(sql, orgA, [c], r)).get(c), reference(model.get(c)!, r.fromMs, r.toMs, hour, aggregation), `5 min fallback ${aggregation}`);
      }
      // A late row inside the 5 min rollups too: the day is raw, and raw is corrupted.
      await insertHot(c, [[D + day + 20 * hour + 2 * minute + 1, 1]]);
      await assert.rejects(readBuckets(sql, orgA, [c], { fromMs: D + day, toMs: D + 2 * day - 1, stepMs: hour, aggregation: 'sum' }), RangeError);
      // The other day is still read from its rollups.
      const first = { fromMs: D, toMs: D + day - 1, stepMs: hour, aggregation: 'sum' as const };
      assertEqualBuckets((await readBuckets(sql, orgA, [c], first)).get(c), reference(model.get(c)!, first.fromMs, first.toMs, hour, 'sum'), 'day 1');
    });
  });
}
