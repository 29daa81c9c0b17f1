// Step buckets from rollup sub-buckets and raw points (issue 18). Pure functions over typed arrays.
//
// A stepped read gets, per series, some rollup buckets (5 min or 1 h, each lying inside one step
// bucket: the step is a multiple of the resolution and both are aligned to the epoch) and raw points
// for everything the rollups do not cover. The two never overlap in time, so merging them by time and
// folding each step bucket's parts gives exactly the aggregate of the raw points: min, max and count
// compose, the sum is the sum of the parts' sums, and `last` is the last of the newest part.
import type { Rollup } from '../../store/chunks/rollup.js';
import type { BucketAggregation, BucketArrays, PointArrays } from './types.js';

/** Buckets lo ≤ i < hi of a rollup, used whole. */
export interface RollupSlice {
  rollup: Rollup;
  lo: number;
  hi: number;
  /** The rollup's resolution, when known: equal to the step, each bucket is a step bucket of its own. */
  resolutionMs?: number;
}

// Every part is also summed scaled by 2^-64: exact for all but values below ~1e-289 (they turn
// subnormal), and it cannot overflow (that would take 2^64 parts), so a bucket whose plain double sum
// overflows still gets its sum (when it fits) and its mean (always) from it.
const DOWN = 2 ** -64;
const UP = 2 ** 64;

/** Aggregations as small integers for the fold's hot loop. */
const AVG = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;
const COUNT = 4;
const LAST = 5;
const codes: Record<BucketAggregation, number> = { avg: AVG, sum: SUM, min: MIN, max: MAX, count: COUNT, last: LAST };

/**
 * Aggregates per step bucket (epoch-aligned starts, width `stepMs`) the rollup slices and raw points
 * of one series. Slices ascending and disjoint; `raw` ascending; no raw point lies inside a used
 * rollup bucket. A sum or mean whose plain double sum overflows is computed from the scaled sum;
 * a sum beyond the double range is NaN with `overflow` 1.
 */
export function combineBuckets(slices: readonly RollupSlice[], raw: PointArrays, stepMs: number, aggregation: BucketAggregation): BucketArrays {
  let capacity = raw.timestampsMs.length;
  for (const s of slices) capacity += s.hi - s.lo;
  const startsMs = new Float64Array(capacity);
  const values = new Float64Array(capacity);
  const overflow = new Uint8Array(capacity);
  const agg = codes[aggregation];
  let out = 0;

  // The fold's state lives in locals of this one function (no closure over mutable state: V8 keeps
  // those in registers, and a long read folds a million parts). Parts arrive in time order: the raw
  // points before each rollup bucket, then the bucket.
  let bucket = Number.NaN;
  let min = 0;
  let max = 0;
  let sum = 0;
  let scaled = 0;
  let count = 0;
  let last = 0;
  const ts = raw.timestampsMs;
  const vs = raw.values;
  const n = ts.length;
  let i = 0;
  const noColumn = new Float64Array(0);
  for (let si = 0; si <= slices.length; si++) {
    const s = si < slices.length ? slices[si]! : undefined;
    // The slice's columns in locals; past the last slice one pass drains the remaining raw points.
    const rStarts = s ? s.rollup.startsMs : noColumn;
    const rMin = s ? s.rollup.min : noColumn;
    const rMax = s ? s.rollup.max : noColumn;
    const rSum = s ? s.rollup.sum : noColumn;
    const rCount = s ? s.rollup.count : noColumn;
    const rLast = s ? s.rollup.last : noColumn;
    const lo = s ? s.lo : 0;
    const hi = s ? s.hi : 1;
    const sameStep = s !== undefined && s.resolutionMs === stepMs;
    for (let j = lo; j < hi; j++) {
      const until = s ? rStarts[j]! : Number.POSITIVE_INFINITY;
      for (; i < n && ts[i]! < until; i++) {
        const v = vs[i]!;
        const b = Math.floor(ts[i]! / stepMs);
        if (b !== bucket) {
          if (count > 0) out = emit(startsMs, values, overflow, out, bucket * stepMs, agg, min, max, sum, scaled, count, last);
          bucket = b;
          min = max = sum = v;
          scaled = v * DOWN;
          count = 1;
        } else {
          if (v < min) min = v;
          if (v > max) max = v;
          sum += v;
          scaled += v * DOWN;
          count++;
        }
        last = v;
      }
      if (!s) break;
      // The step is the resolution and no raw point lies among the slice's buckets: each bucket is a
      // step bucket of its own (no point shares a rollup bucket), emitted as it is.
      if (j === lo && sameStep && (i >= n || ts[i]! >= rStarts[hi - 1]!)) {
        if (count > 0) out = emit(startsMs, values, overflow, out, bucket * stepMs, agg, min, max, sum, scaled, count, last);
        count = 0;
        bucket = Number.NaN;
        out = emitEach(startsMs, values, overflow, out, agg, rStarts, agg === MIN ? rMin : agg === MAX ? rMax : agg === LAST ? rLast : agg === COUNT ? rCount : rSum, rCount, j, hi);
        break;
      }
      const b = Math.floor(until / stepMs);
      const pSum = rSum[j]!;
      if (b !== bucket) {
        if (count > 0) out = emit(startsMs, values, overflow, out, bucket * stepMs, agg, min, max, sum, scaled, count, last);
        bucket = b;
        min = rMin[j]!;
        max = rMax[j]!;
        sum = pSum;
        scaled = pSum * DOWN;
        count = rCount[j]!;
      } else {
        const pMin = rMin[j]!;
        const pMax = rMax[j]!;
        if (pMin < min) min = pMin;
        if (pMax > max) max = pMax;
        sum += pSum;
        scaled += pSum * DOWN;
        count += rCount[j]!;
      }
      last = rLast[j]!;
    }
  }
  if (count > 0) out = emit(startsMs, values, overflow, out, bucket * stepMs, agg, min, max, sum, scaled, count, last);
  // Usually every part is a bucket of its own (a step equal to the rollups' resolution): no copy.
  if (out === capacity) return { startsMs, values, overflow };
  return { startsMs: startsMs.slice(0, out), values: values.slice(0, out), overflow: overflow.slice(0, out) };
}

/**
 * Writes rollup buckets lo ≤ j < hi as step buckets of their own from `col` (the aggregation's column;
 * the sums for sum and avg) and `counts`; returns the next index.
 */
function emitEach(startsMs: Float64Array, values: Float64Array, overflow: Uint8Array, out: number, agg: number, starts: Float64Array, col: Float64Array, counts: Float64Array, lo: number, hi: number): number {
  startsMs.set(starts.subarray(lo, hi), out);
  const mean = agg === AVG;
  for (let j = lo; j < hi; j++, out++) {
    // As emit() does for a bucket of one part.
    let v = col[j]!;
    if (mean) v = Number.isFinite(v) ? v / counts[j]! : ((v * DOWN) / counts[j]!) * UP;
    if (!Number.isFinite(v)) {
      v = Number.NaN;
      overflow[out] = 1;
    }
    values[out] = v;
  }
  return out;
}

/** Writes one bucket's value at `out`; returns the next index. */
function emit(
  startsMs: Float64Array,
  values: Float64Array,
  overflow: Uint8Array,
  out: number,
  startMs: number,
  agg: number,
  min: number,
  max: number,
  sum: number,
  scaled: number,
  count: number,
  last: number,
): number {
  startsMs[out] = startMs;
  let v: number;
  if (agg === AVG) v = Number.isFinite(sum) ? sum / count : (scaled / count) * UP;
  else if (agg === SUM) v = Number.isFinite(sum) ? sum : scaled * UP;
  else if (agg === MIN) v = min;
  else if (agg === MAX) v = max;
  else if (agg === COUNT) v = count;
  else v = last;
  if (!Number.isFinite(v)) {
    // Only a sum can get here: its exact value lies beyond the double range.
    v = Number.NaN;
    overflow[out] = 1;
  }
  values[out] = v;
  return out + 1;
}
