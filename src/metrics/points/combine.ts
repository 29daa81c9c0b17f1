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
}

// Every part is also summed scaled by 2^-64: exact for all but values below ~1e-289 (they turn
// subnormal), and it cannot overflow (that would take 2^64 parts), so a bucket whose plain double sum
// overflows still gets its sum (when it fits) and its mean (always) from it.
const DOWN = 2 ** -64;
const UP = 2 ** 64;

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
  let out = 0;

  // The fold's state lives in locals of this one loop (no closure over mutable state: V8 keeps those
  // in registers, and a long read folds a million parts).
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
  let si = 0;
  let j = slices.length ? slices[0]!.lo : 0;
  for (;;) {
    // Skip exhausted slices.
    while (si < slices.length && j >= slices[si]!.hi) {
      si++;
      if (si < slices.length) j = slices[si]!.lo;
    }
    const r = si < slices.length ? slices[si]!.rollup : undefined;
    let t: number;
    let pMin: number;
    let pMax: number;
    let pSum: number;
    let pCount: number;
    let pLast: number;
    // The earlier of the next rollup bucket and the next raw point (they never overlap).
    if (r && (i >= n || ts[i]! >= r.startsMs[j]!)) {
      t = r.startsMs[j]!;
      pMin = r.min[j]!;
      pMax = r.max[j]!;
      pSum = r.sum[j]!;
      pCount = r.count[j]!;
      pLast = r.last[j]!;
      j++;
    } else if (i < n) {
      t = ts[i]!;
      pMin = pMax = pSum = pLast = vs[i]!;
      pCount = 1;
      i++;
    } else break;
    const b = Math.floor(t / stepMs);
    if (b !== bucket) {
      if (count > 0) out = emit(startsMs, values, overflow, out, bucket * stepMs, aggregation, min, max, sum, scaled, count, last);
      bucket = b;
      min = pMin;
      max = pMax;
      sum = pSum;
      scaled = pSum * DOWN;
      count = pCount;
    } else {
      if (pMin < min) min = pMin;
      if (pMax > max) max = pMax;
      sum += pSum;
      scaled += pSum * DOWN;
      count += pCount;
    }
    last = pLast;
  }
  if (count > 0) out = emit(startsMs, values, overflow, out, bucket * stepMs, aggregation, min, max, sum, scaled, count, last);
  return { startsMs: startsMs.slice(0, out), values: values.slice(0, out), overflow: overflow.slice(0, out) };
}

/** Writes one bucket's value at `out`; returns the next index. */
function emit(
  startsMs: Float64Array,
  values: Float64Array,
  overflow: Uint8Array,
  out: number,
  startMs: number,
  aggregation: BucketAggregation,
  min: number,
  max: number,
  sum: number,
  scaled: number,
  count: number,
  last: number,
): number {
  startsMs[out] = startMs;
  let v: number;
  switch (aggregation) {
    case 'min':
      v = min;
      break;
    case 'max':
      v = max;
      break;
    case 'count':
      v = count;
      break;
    case 'last':
      v = last;
      break;
    case 'sum':
      v = Number.isFinite(sum) ? sum : scaled * UP;
      break;
    case 'avg':
      v = Number.isFinite(sum) ? sum / count : (scaled / count) * UP;
      break;
  }
  if (!Number.isFinite(v)) {
    // Only a sum can get here: its exact value lies beyond the double range.
    v = Number.NaN;
    overflow[out] = 1;
  }
  values[out] = v;
  return out + 1;
}
