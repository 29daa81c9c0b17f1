// Raw points onto an evenly spaced grid: the mean of each bucket, gaps filled by linear
// interpolation. Models and TimeGPT need a regular, gap-free series.

export interface Grid {
  /** Epoch ms of values[0] (a multiple of the step). */
  start: number;
  /** Step in ms. */
  step: number;
  values: Float64Array;
  /** Buckets that had no point and were interpolated. */
  filled: number;
  /** Points dropped because they fell before the most recent `maxSteps` buckets. */
  truncated: number;
}

/**
 * Buckets points (epoch ms, any order) by floor(t / step), averages each bucket and interpolates
 * empty buckets between the first and last. Keeps at most the `maxSteps` most recent buckets
 * (older points are counted in `truncated`), so a sparse series over a long span cannot make a
 * huge grid. Returns an empty grid for no points. Values must be finite.
 */
export function resample(timestampsMs: ArrayLike<number>, values: ArrayLike<number>, step: number, maxSteps: number): Grid {
  const n = timestampsMs.length;
  if (n !== values.length) throw new RangeError('timestamps and values differ in length');
  if (!(step > 0) || !(maxSteps >= 1)) throw new RangeError('step and maxSteps must be positive');
  if (n === 0) return { start: 0, step, values: new Float64Array(0), filled: 0, truncated: 0 };
  let lastBucket = Number.NEGATIVE_INFINITY;
  let firstBucket = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(timestampsMs[i]! / step);
    if (b > lastBucket) lastBucket = b;
    if (b < firstBucket) firstBucket = b;
  }
  firstBucket = Math.max(firstBucket, lastBucket - maxSteps + 1);
  const size = lastBucket - firstBucket + 1;
  const sums = new Float64Array(size);
  const counts = new Uint32Array(size);
  let truncated = 0;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(timestampsMs[i]! / step) - firstBucket;
    if (b < 0) {
      truncated++;
      continue;
    }
    sums[b]! += values[i]!;
    counts[b]!++;
  }
  // A bucket whose sum overflowed (values near ±1e308) is averaged again as a sum of value / count.
  let safe: Float64Array | undefined;
  if (!sums.every(Number.isFinite)) {
    safe = new Float64Array(size);
    for (let i = 0; i < n; i++) {
      const b = Math.floor(timestampsMs[i]! / step) - firstBucket;
      if (b >= 0 && !Number.isFinite(sums[b]!)) safe[b]! += values[i]! / counts[b]!;
    }
  }
  const out = new Float64Array(size);
  let filled = 0;
  let prev = -1; // last bucket with data
  for (let b = 0; b < size; b++) {
    if (counts[b] === 0) continue;
    out[b] = Number.isFinite(sums[b]!) ? sums[b]! / counts[b]! : safe![b]!;
    if (prev >= 0 && b - prev > 1) {
      const a = out[prev]!;
      const slope = (out[b]! - a) / (b - prev);
      // Values near ±1e308 overflow the difference: interpolate at half scale (exact for normal doubles).
      const half = Number.isFinite(slope) ? 0 : (out[b]! / 2 - a / 2) / (b - prev);
      for (let g = prev + 1; g < b; g++) out[g] = half ? (a / 2 + half * (g - prev)) * 2 : a + slope * (g - prev);
      filled += b - prev - 1;
    }
    prev = b;
  }
  return { start: firstBucket * step, step, values: out, filled, truncated };
}

