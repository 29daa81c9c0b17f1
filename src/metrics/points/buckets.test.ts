import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeRollup, decodeRollup, encodeRollup, type RollupColumn } from '../../store/chunks/rollup.js';
import { encodeRollupV1 } from '../../store/chunks/codec-v1.js';
import { DAY_MS } from '../../store/chunks/window.js';
import { combineBuckets } from './combine.js';
import { concatPoints, decodeRollupFor, groupRanges, planSeries, pointsInRanges, resolutionsFor, rollupValid, shards, type DayRollup, type HotSpan, type MsRange } from './buckets.js';
import { fromBase64Scratch, unframeRows } from './rollup-rows.js';
import { mergeDays, SeriesColumns } from './series-rollups.js';
import type { BucketAggregation, BucketArrays, PointArrays } from './types.js';
import { seededRandom } from '../../core/random.js';

const aggregations: BucketAggregation[] = ['avg', 'min', 'max', 'sum', 'count', 'last'];
const MIN = 60_000;
const HOUR = 3_600_000;

/** The answer by definition: plain JS over the points with from ≤ t ≤ to. */
function reference(ts: number[], vs: number[], fromMs: number, toMs: number, stepMs: number, agg: BucketAggregation): { starts: number[]; values: number[] } {
  const byBucket = new Map<number, number[]>();
  ts.forEach((t, i) => {
    if (t < fromMs || t > toMs) return;
    const b = Math.floor(t / stepMs) * stepMs;
    if (!byBucket.has(b)) byBucket.set(b, []);
    byBucket.get(b)!.push(vs[i]!);
  });
  const starts = [...byBucket.keys()].sort((a, b) => a - b);
  const values = starts.map((b) => {
    const v = byBucket.get(b)!;
    const sum = v.reduce((s, x) => s + x, 0);
    return { avg: sum / v.length, min: Math.min(...v), max: Math.max(...v), sum, count: v.length, last: v[v.length - 1]! }[agg];
  });
  return { starts, values };
}

function assertClose(got: BucketArrays, want: { starts: number[]; values: number[] }, what: string): void {
  assert.deepEqual([...got.startsMs], want.starts, `${what}: bucket starts`);
  want.values.forEach((w, i) => {
    const g = got.values[i]!;
    assert.ok(Math.abs(g - w) <= 1e-12 * Math.max(1, Math.abs(w)), `${what}: bucket ${i}: ${g} ≠ ${w}`);
  });
  assert.ok(got.overflow.every((o) => o === 0), what);
}


const points = (ts: number[], vs: number[]): PointArrays => ({ timestampsMs: Float64Array.from(ts), values: Float64Array.from(vs) });

describe('combineBuckets', () => {
  test('rollup buckets and raw points interleaved in time fold into step buckets; last is the newest part', () => {
    // 5-minute rollup buckets at 0 and 10 min; raw points at 7 and 16 min; step 15 min.
    const r = computeRollup(Float64Array.from([0, MIN, 10 * MIN, 11 * MIN]), Float64Array.from([1, 5, 2, 3]), 5 * MIN);
    const raw = points([7 * MIN, 16 * MIN], [10, -1]);
    const slices = [{ rollup: r, lo: 0, hi: 2 }];
    const all = { ts: [0, MIN, 7 * MIN, 10 * MIN, 11 * MIN, 16 * MIN], vs: [1, 5, 10, 2, 3, -1] };
    for (const agg of aggregations) assertClose(combineBuckets(slices, raw, 15 * MIN, agg), reference(all.ts, all.vs, 0, HOUR, 15 * MIN, agg), agg);
    assert.deepEqual([...combineBuckets(slices, raw, 15 * MIN, 'last').values], [3, -1], 'the 10-min rollup bucket is newer than the 7-min point');
  });

  test('a slice uses only its buckets lo..hi', () => {
    const r = computeRollup(Float64Array.from([0, HOUR, 2 * HOUR]), Float64Array.from([1, 2, 4]), HOUR);
    const got = combineBuckets([{ rollup: r, lo: 1, hi: 2 }], points([], []), DAY_MS, 'sum');
    assert.deepEqual([...got.values], [2]);
  });

  test('a sum past the double range is NaN with overflow; a mean is still exact; a sum that overflows midway but fits is exact', () => {
    const raw = points([0, 1, 2, HOUR], [1e308, 1.5e308, -1e308, 1e308]);
    const sum = combineBuckets([], raw, HOUR, 'sum');
    // Bucket 0: 1e308 + 1.5e308 overflows, then −1e308 brings it back to 1.5e308.
    assert.deepEqual([...sum.values], [1.5e308, 1e308]);
    assert.deepEqual([...sum.overflow], [0, 0]);
    const big = points([0, 1], [1e308, 1.5e308]);
    const s2 = combineBuckets([], big, HOUR, 'sum');
    assert.ok(Number.isNaN(s2.values[0]!));
    assert.equal(s2.overflow[0], 1);
    const avg = combineBuckets([], big, HOUR, 'avg');
    assert.equal(avg.values[0], 1.25e308);
    assert.equal(avg.overflow[0], 0);
    for (const agg of ['min', 'max', 'count', 'last'] as const) assert.equal(combineBuckets([], big, HOUR, agg).overflow[0], 0, agg);
    // Rollup sums near the limit combined with raw points.
    const r = computeRollup(Float64Array.from([0]), Float64Array.from([1.7e308]), 5 * MIN);
    const mixed = combineBuckets([{ rollup: r, lo: 0, hi: 1 }], points([6 * MIN], [1.7e308]), HOUR, 'avg');
    assert.equal(mixed.values[0], 1.7e308);
  });

  test('a step equal to the resolution emits each rollup bucket as it is, unless raw points lie among them', () => {
    // Hourly rollup buckets at 0, 1 h, 3 h; raw points before, between (2 h) and after; step 1 h.
    const ts = [0, 10 * MIN, HOUR + 5 * MIN, 3 * HOUR, 3 * HOUR + 59 * MIN];
    const vs = [1, 2, 3, 1e300, 1.5e300];
    const r = computeRollup(Float64Array.from(ts), Float64Array.from(vs), HOUR);
    const cases: { slices: { lo: number; hi: number }[]; raw: [number, number][] }[] = [
      { slices: [{ lo: 0, hi: 3 }], raw: [] },
      { slices: [{ lo: 0, hi: 3 }], raw: [[-HOUR, 4], [2 * HOUR + 1, 5], [5 * HOUR, 6]] },
      { slices: [{ lo: 0, hi: 1 }, { lo: 2, hi: 3 }], raw: [[HOUR + MIN, 7]] },
    ];
    for (const c of cases) {
      const raw = points(c.raw.map((p) => p[0]), c.raw.map((p) => p[1]));
      const all = { ts: [...c.raw.map((p) => p[0])], vs: [...c.raw.map((p) => p[1])] };
      for (const s of c.slices) for (let j = s.lo; j < s.hi; j++) ts.forEach((t, i) => Math.floor(t / HOUR) * HOUR === r.startsMs[j] && (all.ts.push(t), all.vs.push(vs[i]!)));
      const order = all.ts.map((_, i) => i).sort((a, b) => all.ts[a]! - all.ts[b]!);
      for (const agg of aggregations) {
        const fast = combineBuckets(c.slices.map((s) => ({ rollup: r, ...s, resolutionMs: HOUR })), raw, HOUR, agg);
        const slow = combineBuckets(c.slices.map((s) => ({ rollup: r, ...s })), raw, HOUR, agg);
        assert.deepEqual(fast, slow, `${JSON.stringify(c)} ${agg}: with and without the resolution`);
        assertClose(fast, reference(order.map((i) => all.ts[i]!), order.map((i) => all.vs[i]!), -Infinity, Infinity, HOUR, agg), `${JSON.stringify(c)} ${agg}`);
      }
    }
    // A rollup sum beyond the double range (planSeries reads such a bucket raw; combine alone flags it).
    const big = computeRollup(Float64Array.from([0, 1, HOUR]), Float64Array.from([1e308, 1.5e308, 2]), HOUR);
    for (const agg of aggregations) {
      const fast = combineBuckets([{ rollup: big, lo: 0, hi: 2, resolutionMs: HOUR }], points([], []), HOUR, agg);
      assert.deepEqual(fast, combineBuckets([{ rollup: big, lo: 0, hi: 2 }], points([], []), HOUR, agg), agg);
    }
    assert.deepEqual([...combineBuckets([{ rollup: big, lo: 0, hi: 2, resolutionMs: HOUR }], points([], []), HOUR, 'sum').overflow], [1, 0]);
    // The rollup's sum lost the mean too (an exact one needs the raw points).
    assert.deepEqual([...combineBuckets([{ rollup: big, lo: 0, hi: 2, resolutionMs: HOUR }], points([], []), HOUR, 'avg').values], [Number.NaN, 2]);
  });

  test('no input: no buckets', () => {
    const got = combineBuckets([], points([], []), HOUR, 'avg');
    assert.equal(got.startsMs.length, 0);
  });
});

describe('planSeries', () => {
  const dayRollup = (dayMs: number, ts: number[], vs: number[], res: number): DayRollup => ({ dayMs, resolutionMs: res, rollup: computeRollup(Float64Array.from(ts), Float64Array.from(vs), res) });

  test('rollup buckets inside the range are used; the edges and the days without rollups are raw', () => {
    const d0 = 100 * DAY_MS;
    const ts = [d0 + 10 * MIN, d0 + HOUR + 5 * MIN, d0 + 5 * HOUR];
    const plan = planSeries(d0 + 30 * MIN, d0 + 2 * DAY_MS + 7 * MIN, [dayRollup(d0, ts, [1, 2, 3], HOUR)], new Map(), false);
    assert.deepEqual(
      plan.slices.map((s) => [s.lo, s.hi]),
      [[1, 3]],
      'the first hour is cut by from',
    );
    // Raw: from to the next hour; after the last bucket's end the day holds nothing (no hot rows), then the next days.
    assert.deepEqual(plan.raw, [
      [d0 + 30 * MIN, d0 + HOUR - 1],
      [d0 + DAY_MS, d0 + 2 * DAY_MS + 7 * MIN],
    ]);
  });

  test('hot rows after a rollup\'s end are read; a to inside the rollup cuts it', () => {
    const d0 = 100 * DAY_MS;
    const r = dayRollup(d0, [d0, d0 + HOUR, d0 + 2 * HOUR], [1, 2, 3], HOUR);
    const hot = new Map<number, HotSpan>([[d0, { minMs: d0 + 5 * HOUR, maxMs: d0 + 6 * HOUR }]]);
    assert.deepEqual(planSeries(d0, d0 + DAY_MS - 1, [r], hot, false).raw, [[d0 + 3 * HOUR, d0 + DAY_MS - 1]]);
    const cut = planSeries(d0, d0 + 90 * MIN, [r], new Map(), false);
    assert.deepEqual(cut.slices.map((s) => [s.lo, s.hi]), [[0, 1]]);
    assert.deepEqual(cut.raw, [[d0 + HOUR, d0 + 90 * MIN]]);
  });

  test('buckets whose sum overflowed are read raw for sum and avg only', () => {
    const d0 = 100 * DAY_MS;
    const r = dayRollup(d0, [d0, d0 + HOUR, d0 + HOUR + 1, d0 + 2 * HOUR], [1, 1e308, 1e308, 3], HOUR);
    const withSum = planSeries(d0, d0 + DAY_MS - 1, [r], new Map(), true);
    assert.deepEqual(withSum.slices.map((s) => [s.lo, s.hi]), [[0, 1], [2, 3]]);
    assert.deepEqual(withSum.raw, [[d0 + HOUR, d0 + 2 * HOUR - 1]]);
    assert.deepEqual(planSeries(d0, d0 + DAY_MS - 1, [r], new Map(), false).raw, []);
  });

  test('validity: a hot row at or before the end of the last bucket contradicts the rollup', () => {
    const d0 = 100 * DAY_MS;
    const r = dayRollup(d0, [d0 + 10 * MIN], [1], HOUR);
    assert.equal(rollupValid(r, undefined), true);
    assert.equal(rollupValid(r, { minMs: d0 + HOUR + 1, maxMs: d0 + HOUR + 1 }), true);
    assert.equal(rollupValid(r, { minMs: d0 + HOUR, maxMs: d0 + 2 * HOUR }), false);
    assert.equal(rollupValid(r, { minMs: d0 + 20 * MIN, maxMs: d0 + 20 * MIN }), false);
    assert.equal(rollupValid(dayRollup(d0, [], [], HOUR), undefined), false);
  });

  test('resolutions: 1 h (then 5 min) for whole hours, 5 min for its multiples, none otherwise', () => {
    assert.deepEqual(resolutionsFor(DAY_MS), [HOUR, 5 * MIN]);
    assert.deepEqual(resolutionsFor(HOUR), [HOUR, 5 * MIN]);
    assert.deepEqual(resolutionsFor(15 * MIN), [5 * MIN]);
    assert.deepEqual(resolutionsFor(MIN), []);
  });

  // The whole pure path against the definition: chunk points rolled up per day, some late hot points
  // (some contradicting their day's rollup), random ranges cutting buckets, every step and aggregation.
  test('property: rollups + raw ranges + combine equal the aggregate of the raw points', () => {
    const next = seededRandom(18);
    for (let round = 0; round < 60; round++) {
      const d0 = (20_000 + Math.floor(next() * 100)) * DAY_MS;
      const chunkTs: number[] = [];
      for (let t = d0 + Math.floor(next() * 600_000); t < d0 + 3 * DAY_MS; t += 1 + Math.floor(next() * (round % 2 ? 120_000 : 900_000))) chunkTs.push(t);
      const chunkVs = chunkTs.map(() => Math.round((next() - 0.5) * 1e6) / 100);
      const hotTs = [...new Set(Array.from({ length: Math.floor(next() * 4) }, () => d0 + Math.floor(next() * 3 * DAY_MS)))].filter((t) => !chunkTs.includes(t));
      const hotVs = hotTs.map(() => Math.round(next() * 1000));
      const all = [...chunkTs.map((t, i) => [t, chunkVs[i]!]), ...hotTs.map((t, i) => [t, hotVs[i]!])].sort((a, b) => a[0]! - b[0]!);
      const allTs = all.map((p) => p[0]!);
      const allVs = all.map((p) => p[1]!);
      const hot = new Map<number, HotSpan>();
      for (const t of hotTs) {
        const d = Math.floor(t / DAY_MS) * DAY_MS;
        const h = hot.get(d);
        hot.set(d, { minMs: Math.min(h?.minMs ?? t, t), maxMs: Math.max(h?.maxMs ?? t, t) });
      }
      for (const stepMs of [5 * MIN, 15 * MIN, HOUR, 3 * HOUR, DAY_MS]) {
        const res = resolutionsFor(stepMs)[0]!;
        const days: DayRollup[] = [];
        for (let d = d0; d < d0 + 3 * DAY_MS; d += DAY_MS) {
          if (next() < 0.2) continue; // a day without rollups (not compacted, or deleted by late data)
          const idx = chunkTs.map((t, i) => i).filter((i) => chunkTs[i]! >= d && chunkTs[i]! < d + DAY_MS);
          const dr = dayRollup(d, idx.map((i) => chunkTs[i]!), idx.map((i) => chunkVs[i]!), res);
          if (rollupValid(dr, hot.get(d))) days.push(dr);
        }
        const fromMs = d0 + Math.floor(next() * DAY_MS);
        const toMs = fromMs + Math.floor(next() * 2.5 * DAY_MS);
        for (const agg of aggregations) {
          const plan = planSeries(fromMs, toMs, days, hot, agg === 'sum' || agg === 'avg');
          const raw = pointsInRanges(points(allTs, allVs), plan.raw);
          const got = combineBuckets(plan.slices, raw.length ? concatPoints(raw) : points([], []), stepMs, agg);
          assertClose(got, reference(allTs, allVs, fromMs, toMs, stepMs, agg), `round ${round} step ${stepMs} ${agg}`);
        }
      }
    }
  });
});

describe('shards', () => {
  test('cuts ids into at most n parts of nearly equal size, in order, none empty', () => {
    const ids = Array.from({ length: 10 }, (_, i) => i + 1);
    assert.deepEqual(shards(ids, 4), [[1, 2], [3, 4, 5], [6, 7], [8, 9, 10]]);
    assert.deepEqual(shards(ids, 1), [ids]);
    assert.deepEqual(shards([7, 8], 4), [[7], [8]]);
    assert.deepEqual(shards([], 4), [[]]);
  });
});

describe('unframeRows', () => {
  // What the rollup statement's string_agg builds: int8 day ms, int4 length, the bytes.
  const frame = (dayMs: number, data: number[]) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeBigInt64BE(BigInt(dayMs), 0);
    b.writeInt32BE(data.length, 8);
    Buffer.from(data).copy(b, 12);
    return b;
  };
  test('splits framed rows into days and their bytes; cut frames throw', () => {
    const bytes = Buffer.concat([frame(20_000 * DAY_MS, [1, 2, 3]), frame(-3 * DAY_MS, []), frame(2 ** 50, [255])]);
    assert.deepEqual(
      unframeRows(bytes).map((f) => [f.dayMs, [...f.data]]),
      [
        [20_000 * DAY_MS, [1, 2, 3]],
        [-3 * DAY_MS, []],
        [2 ** 50, [255]],
      ],
    );
    assert.deepEqual(unframeRows(new Uint8Array(0)), []);
    assert.throws(() => unframeRows(bytes.subarray(0, bytes.length - 1)), RangeError);
    assert.throws(() => unframeRows(bytes.subarray(0, 5)), RangeError);
    const negative = frame(0, [1]);
    negative.writeInt32BE(-1, 8);
    assert.throws(() => unframeRows(negative), RangeError);
  });
});

describe('SeriesColumns', () => {
  const frame = (dayMs: number, data: Uint8Array) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeBigInt64BE(BigInt(dayMs), 0);
    b.writeInt32BE(data.length, 8);
    Buffer.from(data).copy(b, 12);
    return b;
  };
  const d0 = Date.UTC(2026, 2, 1);
  /** A day of irregular points rolled up at `res`, with 2-decimal values (sums with float artefacts). */
  const day = (k: number, res: number, seed: number, untilH = 24): DayRollup => {
    const rnd = seededRandom(seed);
    const ts: number[] = [];
    for (let t = d0 + k * DAY_MS + Math.floor(rnd() * 90_000); t < d0 + k * DAY_MS + untilH * HOUR; t += 1 + Math.floor(rnd() * 200_000)) ts.push(t);
    const vs = ts.map(() => Math.round(rnd() * 10_000) / 100);
    return { dayMs: d0 + k * DAY_MS, resolutionMs: res, rollup: computeRollup(Float64Array.from(ts), Float64Array.from(vs), res) };
  };
  const bitsOf = (a: Float64Array) => [...new Uint32Array(Float64Array.from(a).buffer)];
  const same = (got: ReturnType<typeof mergeDays>, want: ReturnType<typeof mergeDays>, columns: RollupColumn[]) => {
    assert.deepEqual([...got.dayMs], [...want.dayMs]);
    assert.deepEqual([...got.resolutionMs], [...want.resolutionMs]);
    assert.deepEqual([...got.lo], [...want.lo]);
    assert.deepEqual([...got.hi], [...want.hi]);
    assert.deepEqual(bitsOf(got.rollup.startsMs), bitsOf(want.rollup.startsMs));
    for (const c of columns) assert.deepEqual(bitsOf(got.rollup[c]), bitsOf(want.rollup[c]), c);
  };

  test('decodes framed rows in any order into one set of columns, as mergeDays of the usable days', () => {
    const days = [3, 0, 7, 1, 2, 5].map((k) => day(k, HOUR, 100 + k, k === 7 ? 20 : 24));
    const empty: DayRollup = { dayMs: d0 + 4 * DAY_MS, resolutionMs: HOUR, rollup: computeRollup(new Float64Array(0), new Float64Array(0), HOUR) };
    // Day 1's hot row lies before its rollup's end (unusable); day 7's after it (usable).
    const hot = new Map<number, HotSpan>([
      [d0 + DAY_MS, { minMs: d0 + DAY_MS + 5 * HOUR, maxMs: d0 + DAY_MS + 5 * HOUR }],
      [d0 + 7 * DAY_MS, { minMs: d0 + 7 * DAY_MS + 22 * HOUR, maxMs: d0 + 7 * DAY_MS + 22 * HOUR }],
    ]);
    // Version 1 rows (still stored by a deployment) mix with version 2 ones.
    const bytes = Buffer.concat([...days.map((d, i) => frame(d.dayMs, (i === 2 ? encodeRollupV1 : encodeRollup)(d.rollup))), frame(empty.dayMs, encodeRollup(empty.rollup))]);
    for (const columns of [undefined, new Set<RollupColumn>(['sum', 'count'])]) {
      const s = new SeriesColumns(columns);
      const unusable: number[] = [];
      s.addFramed(bytes, HOUR, hot, (d) => unusable.push(d));
      assert.deepEqual(unusable, [d0 + DAY_MS, d0 + 4 * DAY_MS]);
      const usable = days.filter((d) => d.dayMs !== d0 + DAY_MS).sort((a, b) => a.dayMs - b.dayMs);
      assert.equal(s.size, 5);
      same(s.finish(), mergeDays(usable), columns ? ['sum', 'count'] : ['min', 'max', 'sum', 'count', 'last']);
      s.release();
    }
  });

  test('a fallback resolution appends days (the columns grow); corrupt frames and rows throw', () => {
    const hourly = [0, 1, 2].map((k) => day(k, HOUR, 200 + k));
    const fine = day(1, 5 * MIN, 301, 20);
    const hot = new Map<number, HotSpan>([[d0 + DAY_MS, { minMs: d0 + DAY_MS, maxMs: d0 + DAY_MS }]]);
    const s = new SeriesColumns(new Set(['max', 'count']));
    const unusable: number[] = [];
    s.addFramed(Buffer.concat(hourly.map((d) => frame(d.dayMs, encodeRollup(d.rollup)))), HOUR, hot, (d) => unusable.push(d));
    assert.deepEqual(unusable, [d0 + DAY_MS]);
    // The 5 min rollup of day 1 (a hot row after its end: usable).
    s.addFramed(frame(fine.dayMs, encodeRollup(fine.rollup)), 5 * MIN, new Map([[d0 + DAY_MS, { minMs: d0 + DAY_MS + 22 * HOUR, maxMs: d0 + DAY_MS + 22 * HOUR }]]));
    same(s.finish(), mergeDays([hourly[0]!, fine, hourly[2]!]), ['max', 'count']);
    s.release();
    const good = frame(d0, encodeRollup(hourly[0]!.rollup));
    const t = new SeriesColumns();
    assert.throws(() => t.addFramed(good.subarray(0, good.length - 1), HOUR, undefined), RangeError);
    // A row with a byte after its last column, then a good one.
    const trailing = frame(d0, Uint8Array.from([...encodeRollup(hourly[0]!.rollup), 0]));
    assert.throws(() => new SeriesColumns().addFramed(Buffer.concat([trailing, frame(d0 + DAY_MS, encodeRollup(hourly[1]!.rollup))]), HOUR, undefined), /trailing/);
  });

  test('columns given back to the pool are never handed out while another series holds them', () => {
    const d = day(0, HOUR, 400);
    const bytes = frame(d.dayMs, encodeRollup(d.rollup));
    const a = new SeriesColumns();
    a.addFramed(bytes, HOUR, undefined);
    const ra = a.finish().rollup;
    const b = new SeriesColumns();
    b.addFramed(bytes, HOUR, undefined);
    const rb = b.finish().rollup;
    for (const c of ['startsMs', 'min', 'max', 'sum', 'count', 'last'] as const) {
      assert.notEqual(ra[c].buffer, rb[c].buffer, c);
      assert.deepEqual(bitsOf(ra[c]), bitsOf(d.rollup[c]), c);
    }
    a.release();
    // Whatever c takes from the pool, never a column b still holds.
    const c = new SeriesColumns();
    c.addFramed(bytes, HOUR, undefined);
    const rc = c.finish().rollup;
    const held = new Set(['startsMs', 'min', 'max', 'sum', 'count', 'last'].map((k) => rb[k as keyof typeof rb].buffer));
    for (const k of ['startsMs', 'min', 'max', 'sum', 'count', 'last'] as const) assert.ok(!held.has(rc[k].buffer), k);
    assert.deepEqual(bitsOf(rc.sum), bitsOf(d.rollup.sum));
    assert.deepEqual(bitsOf(rb.sum), bitsOf(d.rollup.sum));
    b.release();
    c.release();
  });
});

describe('fromBase64Scratch', () => {
  test('decodes base64 into a shared buffer: each result is valid until the next call', () => {
    const a = Buffer.from([1, 2, 3, 250, 0, 7]);
    assert.deepEqual([...fromBase64Scratch(a.toString('base64'))], [...a]);
    const long = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 37) & 255));
    assert.deepEqual([...fromBase64Scratch(long.toString('base64'))], [...long]);
    assert.deepEqual([...fromBase64Scratch(null)], []);
    assert.deepEqual([...fromBase64Scratch('')], []);
  });
});

describe('groupRanges', () => {
  test('ranges whose ends are close share a read; far ones do not', () => {
    const per = new Map<number, MsRange[]>([
      [1, [[0, 99], [10_000, 20_000]]],
      [2, [[5, 110]]],
      [3, [[10_050, 20_000]]],
      [4, [[0, 50_000]]],
    ]);
    const groups = groupRanges(per, 100);
    assert.deepEqual(groups, [
      { range: [0, 110], ids: [1, 2] },
      { range: [0, 50_000], ids: [4] },
      { range: [10_000, 20_000], ids: [1, 3] },
    ]);
  });
});

describe('decodeRollupFor', () => {
  test('decodes the columns an aggregation reads exactly as decodeRollup; corrupt bytes throw', () => {
    const ts = Float64Array.from({ length: 500 }, (_, i) => 1_700_000_000_000 + i * 7_001);
    const vs = Float64Array.from(ts, (t, i) => Math.round(Math.sin(i) * 1e4) / 100 - (i % 3 ? 0 : 1e300));
    const bytes = encodeRollup(computeRollup(ts, vs, 5 * MIN));
    const full = decodeRollup(bytes);
    const cols = { avg: ['sum', 'count'], sum: ['sum', 'count'], min: ['min'], max: ['max'], count: ['count'], last: ['last'] } as const;
    for (const agg of aggregations) {
      const part = decodeRollupFor(bytes, agg);
      assert.deepEqual(part.startsMs, full.startsMs, agg);
      for (const c of cols[agg]) assert.deepEqual(part[c], full[c], `${agg} ${c}`);
      assert.deepEqual(part.count, full.count, agg);
    }
    assert.throws(() => decodeRollupFor(bytes.subarray(0, bytes.length - 1), 'avg'), RangeError);
    assert.throws(() => decodeRollupFor(Uint8Array.from([...bytes, 0]), 'max'), RangeError);
    assert.throws(() => decodeRollupFor(Uint8Array.from([0xff, ...bytes.subarray(1)]), 'count'), RangeError);
  });
});
