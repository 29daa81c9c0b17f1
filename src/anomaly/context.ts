// The neighbourhood reported with an anomaly: the points just before and after it, and their summary.

export interface ContextPoint {
  /** ms since the epoch. */
  timestampMs: number;
  value: number;
}

export interface ContextStats {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single point; null when it exceeds the double range (values near ±1e308). */
  stdDev: number | null;
  min: number;
  max: number;
}

export interface AnomalyContext {
  /** Up to `before` points preceding the anomaly, oldest first. */
  before: ContextPoint[];
  /** Up to `after` points following it, oldest first. */
  after: ContextPoint[];
  /** Over before and after (the anomaly itself left out); null when both are empty. */
  stats: ContextStats | null;
}

/** The context of point i with up to `before` and `after` neighbours. */
export function contextOf(values: Float64Array, timestampsMs: ArrayLike<number>, i: number, before: number, after: number): AnomalyContext {
  const pick = (from: number, to: number) => {
    const out: ContextPoint[] = [];
    for (let j = from; j < to; j++) out.push({ timestampMs: timestampsMs[j]!, value: values[j]! });
    return out;
  };
  const b = pick(Math.max(0, i - before), i);
  const a = pick(i + 1, Math.min(values.length, i + 1 + after));
  return { before: b, after: a, stats: summarise([...b, ...a].map((p) => p.value)) };
}

/**
 * Mean, sample standard deviation, min and max; overflow-safe for any finite values: the mean is a sum
 * of value / n and the deviation a scaled sum of squares of half-scale differences (a plain sum of
 * ±1e308 values is ±Infinity, and Infinity − Infinity poisons the rest with NaN).
 */
function summarise(x: number[]): ContextStats | null {
  const n = x.length;
  if (!n) return null;
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    mean += v / n;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  let scale = 0; // max |v − mean| / 2, and the sum of squares relative to it
  let ssq = 0;
  for (const v of x) {
    const h = Math.abs(v / 2 - mean / 2);
    if (h > scale) {
      ssq = 1 + ssq * (scale / h) ** 2;
      scale = h;
    } else if (h > 0) ssq += (h / scale) ** 2;
  }
  const sd = n > 1 ? 2 * (scale * Math.sqrt(ssq / (n - 1))) : 0;
  return { mean, stdDev: Number.isFinite(sd) ? sd : null, min, max };
}
