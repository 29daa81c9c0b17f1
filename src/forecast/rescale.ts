// Extreme magnitudes. Values near ±1e308 overflow as soon as a model subtracts or squares them
// (1e308 − (−1e308) is Infinity), and values near 1e-300 underflow when squared, which flattens
// every likelihood. Such a series is forecast divided by a power of two (exact: only the exponent
// changes) and the forecast multiplied back, clamped to the finite range. Ordinary magnitudes are
// left alone, so their forecasts do not change.
import type { Prediction } from './model.js';

/** Largest |y| handled as it is; beyond it (or below its inverse) the series is rescaled. */
const SAFE = 2 ** 100;

/**
 * 1 when y's largest magnitude is within [2^-100, 2^100] (or y is all zeros); otherwise the power
 * of two 2^⌊log2 max|y|⌋, which brings max|y / scale| into [1, 2).
 */
export function magnitudeScale(y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, Math.abs(y[i]!));
  if (m === 0 || (m >= 1 / SAFE && m <= SAFE)) return 1;
  // log2 of a value near Number.MAX_VALUE rounds to 1024, and 2^1024 is Infinity.
  return 2 ** Math.min(1023, Math.floor(Math.log2(m)));
}

/** y / scale (a new array; y itself when scale is 1). */
export function scaleDown(y: Float64Array, scale: number): Float64Array {
  return scale === 1 ? y : y.map((v) => v / scale);
}

const finite = (v: number) => Math.min(Number.MAX_VALUE, Math.max(-Number.MAX_VALUE, v));

/** The prediction multiplied by scale, each value clamped to ±Number.MAX_VALUE (new arrays). */
export function scaleUp(p: Prediction, scale: number): Prediction {
  const up = (a: Float64Array) => a.map((v) => finite(v * scale));
  return { mean: up(p.mean), intervals: p.intervals.map((iv) => ({ level: iv.level, lower: up(iv.lower), upper: up(iv.upper) })) };
}
