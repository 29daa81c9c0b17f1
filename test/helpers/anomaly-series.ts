// Seeded synthetic series with planted anomalies for the anomaly tests (deterministic: a test that
// passes once passes always). Built on the forecasting tests' generator.
import { synthetic } from './forecast-series.js';
import { gaussianSource, seededRandom } from '../../src/forecast/stats.js';

export { synthetic };

/** Hourly timestamps (ms) from 2024-01-01, one per value. */
export function hourly(n: number): Float64Array {
  const start = Date.UTC(2024, 0, 1);
  return Float64Array.from({ length: n }, (_, i) => start + i * 3_600_000);
}

/** A copy of y with `delta` added at index i (a spike when delta > 0, a dip when < 0). */
export function withSpike(y: Float64Array, i: number, delta: number): Float64Array {
  const out = Float64Array.from(y);
  out[i] = out[i]! + delta;
  return out;
}

/** A copy of y with `delta` added from index i on (a level shift). */
export function withShift(y: Float64Array, i: number, delta: number): Float64Array {
  const out = Float64Array.from(y);
  for (let t = i; t < out.length; t++) out[t] = out[t]! + delta;
  return out;
}

/** A copy of y where the `width` points from i repeat the values one period earlier, shifted half a period (a beat the cycle skips). */
export function withSkippedBeat(y: Float64Array, i: number, width: number, period: number): Float64Array {
  const out = Float64Array.from(y);
  const half = Math.floor(period / 2);
  for (let t = i; t < Math.min(out.length, i + width); t++) out[t] = y[t - period + half]!;
  return out;
}

/** A copy of y whose deviations from `level` are multiplied by `factor` over [i, i + width) (a burst of noise, or a calmer stretch when < 1). */
export function withNoiseBurst(y: Float64Array, i: number, width: number, factor: number, level = 100): Float64Array {
  const out = Float64Array.from(y);
  for (let t = i; t < Math.min(out.length, i + width); t++) out[t] = level + factor * (y[t]! - level);
  return out;
}

/** A copy of y stuck at y[i − 1] over [i, i + width) (a metric that stops reporting new values). */
export function withFlatline(y: Float64Array, i: number, width: number): Float64Array {
  const out = Float64Array.from(y);
  for (let t = i; t < Math.min(out.length, i + width); t++) out[t] = y[i - 1]!;
  return out;
}

/** Gaussian noise around `level` with standard deviation `sd`. */
export function noise(n: number, sd: number, seed: number, level = 100): Float64Array {
  return synthetic({ n, level, noise: sd, seed });
}

/** A random walk with Gaussian steps of `sd` from `level`. */
export function randomWalk(n: number, sd: number, seed: number, level = 100): Float64Array {
  const g = gaussianSource(seededRandom(seed));
  const y = new Float64Array(n);
  let v = level;
  for (let t = 0; t < n; t++) y[t] = v += sd * g();
  return y;
}
