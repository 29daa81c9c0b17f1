// Synthetic series with known structure for the forecasting tests: deterministic (seeded), so a test
// that passes once passes always.
import { gaussianSource, seededRandom } from './stats.js';

export interface SeriesSpec {
  n: number;
  /** Value at t = 0. */
  level?: number;
  /** Added per step. */
  slope?: number;
  /** Sine waves: amplitude and period in steps. */
  seasons?: { amplitude: number; period: number }[];
  /** Seasonal waves multiply (1 + wave) instead of adding. */
  multiplicative?: boolean;
  /** Standard deviation of added white noise. */
  noise?: number;
  seed?: number;
}

/** level + slope·t + Σ seasonal waves (+ or ×) + noise, for t = 0..n−1. */
export function synthetic(spec: SeriesSpec): Float64Array {
  const gauss = gaussianSource(seededRandom(spec.seed ?? 1));
  const y = new Float64Array(spec.n);
  for (let t = 0; t < spec.n; t++) {
    let wave = 0;
    for (const s of spec.seasons ?? []) wave += s.amplitude * Math.sin((2 * Math.PI * t) / s.period);
    const base = (spec.level ?? 0) + (spec.slope ?? 0) * t;
    y[t] = (spec.multiplicative ? base * (1 + wave) : base + wave) + (spec.noise ?? 0) * gauss();
  }
  return y;
}

/** An AR(1) path x_t = φ·x_{t−1} + ε_t, ε ~ N(0, σ²), from x = 0 (φ = 1: a random walk), plus `level`. */
export function ar1(n: number, phi: number, sigma: number, seed: number, level = 0): Float64Array {
  const gauss = gaussianSource(seededRandom(seed));
  const y = new Float64Array(n);
  let x = 0;
  for (let t = 0; t < n; t++) {
    x = phi * x + sigma * gauss();
    y[t] = level + x;
  }
  return y;
}

/** Share of actual[i] inside [lower[i], upper[i]]. */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  let inside = 0;
  for (let i = 0; i < actual.length; i++) if (actual[i]! >= lower[i]! && actual[i]! <= upper[i]!) inside++;
  return inside / actual.length;
}

/** Largest |a[i] − b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
