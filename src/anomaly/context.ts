// The neighbourhood reported with an anomaly: the points just before and after it, and their summary.

export interface ContextPoint {
  /** ms since the epoch. */
  timestampMs: number;
  value: number;
}

export interface ContextStats {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single point. */
  stdDev: number;
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

function summarise(x: number[]): ContextStats | null {
  const n = x.length;
  if (!n) return null;
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / n;
  let ss = 0;
  for (const v of x) ss += (v - mean) ** 2;
  return { mean, stdDev: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min, max };
}
