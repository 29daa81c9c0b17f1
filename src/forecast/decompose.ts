// Classical seasonal decomposition (R's `decompose`): a centred moving average for the trend and
// per-phase means of the detrended values for the seasonal indices. The M4 benchmarks (Naive2, Theta)
// deseasonalise with its multiplicative form.

export type SeasonalForm = 'additive' | 'multiplicative';

/**
 * Centred moving average of length m (2×m when m is even), NaN where the window does not fit.
 * Returns a new array of y's length.
 */
export function centredMovingAverage(y: ArrayLike<number>, m: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n).fill(NaN);
  const half = Math.floor(m / 2);
  const even = m % 2 === 0;
  if (n < 2 * half + 1) return out;
  let s = 0;
  for (let j = 0; j <= 2 * half; j++) s += y[j]!;
  for (let t = half; t < n - half; t++) {
    if (t > half) s += y[t + half]! - y[t - half - 1]!;
    // The 2×m average gives the two end points half weight.
    out[t] = even ? (s - 0.5 * (y[t - half]! + y[t + half]!)) / m : s / m;
  }
  return out;
}

/**
 * Seasonal indices of period m, phase i ↔ y[i], y[i+m], …: ratios (multiplicative, mean 1) or
 * differences (additive, mean 0) to the centred moving average, averaged per phase. Needs n ≥ 2m for
 * a meaningful answer; phases with no data get the neutral index.
 */
export function seasonalIndices(y: ArrayLike<number>, m: number, form: SeasonalForm): Float64Array {
  const trend = centredMovingAverage(y, m);
  const sum = new Float64Array(m);
  const count = new Float64Array(m);
  for (let t = 0; t < y.length; t++) {
    const tr = trend[t]!;
    if (Number.isNaN(tr)) continue;
    const v = form === 'multiplicative' ? y[t]! / tr : y[t]! - tr;
    if (!Number.isFinite(v)) continue;
    sum[t % m] = sum[t % m]! + v;
    count[t % m] = count[t % m]! + 1;
  }
  const neutral = form === 'multiplicative' ? 1 : 0;
  const idx = new Float64Array(m);
  let total = 0;
  for (let i = 0; i < m; i++) {
    idx[i] = count[i]! > 0 ? sum[i]! / count[i]! : neutral;
    total += idx[i]!;
  }
  const avg = total / m;
  for (let i = 0; i < m; i++) idx[i] = form === 'multiplicative' ? (avg > 0 ? idx[i]! / avg : 1) : idx[i]! - avg;
  return idx;
}

/** A series with its seasonal pattern taken out, and the way to put it back on forecasts. */
export interface Deseasonalised {
  /** y with the pattern divided out (multiplicative) or subtracted (additive); y itself when period is 1. */
  adjusted: Float64Array;
  period: number;
  form: SeasonalForm;
  indices: Float64Array;
  /** Puts the pattern back on value v at step t (0-based from the start of y; t ≥ n are forecasts). */
  reseasonalise(v: number, t: number): number;
}

/**
 * Classical deseasonalisation with period m (m < 2 leaves y as it is). Multiplicative needs y > 0;
 * the caller chooses the form.
 */
export function deseasonalise(y: Float64Array, m: number, form: SeasonalForm): Deseasonalised {
  const period = m >= 2 ? Math.round(m) : 1;
  const indices = period > 1 ? seasonalIndices(y, period, form) : new Float64Array([form === 'multiplicative' ? 1 : 0]);
  const mult = form === 'multiplicative';
  const adjusted = y.map((v, t) => (mult ? v / indices[t % period]! : v - indices[t % period]!));
  return { adjusted, period, form, indices, reseasonalise: (v, t) => (mult ? v * indices[t % period]! : v + indices[t % period]!) };
}
