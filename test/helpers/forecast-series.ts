// Synthetic series with known structure for the forecasting tests: deterministic (seeded), so a test
// that passes once passes always.
import { gaussianSource, seededRandom } from '../../src/forecast/stats.js';

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

/** The kinds of series the property tests generate (see `generated`). */
export const generatedKinds = ['random walk', 'bounded with bursts', 'steps', 'near constant', 'linear ramp', 'near 1e300', 'near 1e-300', 'alternating ±1e308', 'zeros', 'sparse spikes', 'long gaps'] as const;
export type GeneratedKind = (typeof generatedKinds)[number];

/**
 * A series of the given kind, length n, drawn from `seed` (deterministic). 'long gaps' is a series
 * with long stretches of missing data filled by straight lines, as resampling fills them.
 */
export function generated(kind: GeneratedKind, n: number, seed: number): Float64Array {
  const u = seededRandom(seed);
  const g = gaussianSource(u);
  const y = new Float64Array(n);
  switch (kind) {
    case 'random walk':
      return ar1(n, 1, 0.1 + 10 * u(), seed, 1000 * (u() - 0.5));
    case 'bounded with bursts': {
      // A CPU percentage: an idle level with noise, bursts near 100, clipped to [0, 100].
      const idle = 2 + 30 * u();
      let burst = 0;
      for (let t = 0; t < n; t++) {
        if (burst === 0 && u() < 0.03) burst = 1 + Math.floor(u() * 20);
        const v = burst > 0 ? 70 + 30 * u() : idle + 3 * g();
        if (burst > 0) burst--;
        y[t] = Math.min(100, Math.max(0, v));
      }
      return y;
    }
    case 'steps': {
      let level = 100 * u();
      for (let t = 0; t < n; t++) {
        if (u() < 0.02) level = 100 * u();
        y[t] = level + g();
      }
      return y;
    }
    case 'near constant': {
      const c = 1 + 1000 * u();
      for (let t = 0; t < n; t++) y[t] = c + (u() < 0.5 ? 0 : c * 1e-12 * g());
      if (n > 2) y[Math.floor(u() * n)] = c * (1 + 1e-9);
      return y;
    }
    case 'linear ramp': {
      const slope = (u() - 0.5) * 10;
      const start = 500 * u();
      const noise = u() < 0.3 ? 0 : 2 * u();
      for (let t = 0; t < n; t++) y[t] = start + slope * t + noise * g();
      return y;
    }
    case 'near 1e300':
      for (let t = 0; t < n; t++) y[t] = 1e300 * (1 + 0.1 * Math.sin(t / 3) + 0.01 * g());
      return y;
    case 'near 1e-300':
      for (let t = 0; t < n; t++) y[t] = 1e-300 * (2 + Math.sin((2 * Math.PI * t) / 24) + 0.1 * g());
      return y;
    case 'alternating ±1e308':
      for (let t = 0; t < n; t++) y[t] = (t % 2 === 0 ? 1 : -1) * (1e308 + (u() < 0.5 ? 0 : 7e307 * u()));
      return y;
    case 'zeros':
      return y;
    case 'sparse spikes':
      for (let t = 0; t < n; t++) y[t] = u() < 0.05 ? 1 + 1000 * u() : 0;
      return y;
    case 'long gaps': {
      // Observed stretches of a seasonal series, with gaps of up to a third of it filled linearly.
      const base = synthetic({ n, level: 50, seasons: [{ amplitude: 20, period: 24 }], noise: 2, seed });
      let t = 0;
      while (t < n) {
        const seen = 5 + Math.floor(u() * n * 0.2);
        const gap = Math.floor(u() * n * 0.33);
        const a = Math.min(n - 1, t + seen);
        const b = Math.min(n - 1, a + gap);
        for (let k = a + 1; k < b; k++) base[k] = base[a]! + ((base[b]! - base[a]!) * (k - a)) / (b - a);
        t = b + 1;
      }
      return base;
    }
  }
}
