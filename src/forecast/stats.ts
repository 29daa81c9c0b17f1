// Small numeric helpers shared by the forecasting models: moments, quantiles, autocorrelation,
// least squares and a seeded random source (the normal quantile is in normal.ts). Pure functions;
// inputs are not modified.
import { lagProducts } from './fft.js';

/** Arithmetic mean of x[from..to) (NaN when empty). */
export function mean(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]!;
  return s / (to - from);
}

/** Sample variance with n − 1 in the denominator (0 for fewer than two values). */
export function variance(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 0;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i]! - m) ** 2;
  return s / (n - 1);
}

/** Quantile p ∈ [0, 1] of already sorted values, linear interpolation (R type 7). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Quantile p ∈ [0, 1] of x (copied and sorted; x is left alone). */
export function quantile(x: ArrayLike<number>, p: number): number {
  return quantileSorted(Float64Array.from(x).sort(), p);
}

/** Median of x. */
export function median(x: ArrayLike<number>): number {
  return quantile(x, 0.5);
}

/** Above this many products (n · lags) the autocorrelations are computed by FFT. */
const DIRECT_ACF_LIMIT = 1 << 20;

/**
 * Sample autocorrelations at lags 0..maxLag, as R's `acf` computes them (biased: the lag-k sum
 * over n − k pairs is divided by the lag-0 sum over n). A constant series gives 0 beyond lag 0.
 * Long series at long lags go through the FFT (same values up to rounding).
 */
export function acf(y: ArrayLike<number>, maxLag: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(maxLag + 1);
  const m = mean(y);
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += (y[i]! - m) ** 2;
  out[0] = 1;
  if (c0 === 0) return out;
  if (n * Math.min(maxLag, n) > DIRECT_ACF_LIMIT) {
    const centred = new Float64Array(n);
    for (let i = 0; i < n; i++) centred[i] = y[i]! - m;
    const sums = lagProducts(centred, maxLag);
    for (let k = 1; k <= maxLag && k < n; k++) out[k] = sums[k]! / c0;
    return out;
  }
  for (let k = 1; k <= maxLag && k < n; k++) {
    let s = 0;
    for (let i = 0; i + k < n; i++) s += (y[i]! - m) * (y[i + k]! - m);
    out[k] = s / c0;
  }
  return out;
}

/** The sample autocorrelation at lag k alone (as `acf(y, k)[k]`, in O(n)). */
export function acfAt(y: ArrayLike<number>, k: number): number {
  const n = y.length;
  const m = mean(y);
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += (y[i]! - m) ** 2;
  if (c0 === 0 || k >= n) return 0;
  let s = 0;
  for (let i = 0; i + k < n; i++) s += (y[i]! - m) * (y[i + k]! - m);
  return s / c0;
}

/** Least-squares line through (t, y[t]), t = 0..n−1. A single point gives slope 0. */
export function linearFit(y: ArrayLike<number>): { intercept: number; slope: number } {
  const n = y.length;
  const tm = (n - 1) / 2;
  const ym = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < n; t++) {
    sxy += (t - tm) * (y[t]! - ym);
    sxx += (t - tm) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: ym - slope * tm, slope };
}

/** True when every value is finite and > 0 (multiplicative models and logs need it). */
export function allPositive(y: ArrayLike<number>): boolean {
  for (let i = 0; i < y.length; i++) if (!(y[i]! > 0)) return false;
  return y.length > 0;
}

export { seededRandom } from '../core/random.js';

/** Standard normal draws from a uniform source (Box–Muller). */
export function gaussianSource(uniform: () => number): () => number {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    const u = 1 - uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * uniform();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}
