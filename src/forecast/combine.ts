// Forecast combination: a weighted mean of point forecasts and of interval bounds (quantile averaging),
// with weights inversely proportional to each model's squared out-of-sample error.
import type { Prediction } from './model.js';

/**
 * Weights ∝ 1 / error² (the classic inverse-MSE rule of Bates & Granger), summing to 1. Models with
 * a non-finite error get 0; when some errors are exactly 0 those models share the weight equally.
 */
export function inverseSquaredErrorWeights(errors: readonly number[]): number[] {
  const finite = errors.map((e) => Number.isFinite(e) && e >= 0);
  const zeros = errors.map((e, i) => finite[i] && e === 0);
  if (zeros.some(Boolean)) {
    const k = zeros.filter(Boolean).length;
    return zeros.map((z) => (z ? 1 / k : 0));
  }
  // Relative to the smallest error, so huge errors (a series with an extreme spike) do not overflow
  // e² to Infinity and leave every weight 0.
  const least = Math.min(...errors.filter((_, i) => finite[i]));
  const raw = errors.map((e, i) => (finite[i] ? (least / e) ** 2 : 0));
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return errors.map(() => 1 / errors.length);
  return raw.map((w) => w / total);
}

/** Weighted mean of predictions that share horizon and levels (same order). Weights should sum to 1. */
export function combinePredictions(predictions: readonly Prediction[], weights: readonly number[]): Prediction {
  const first = predictions[0];
  if (!first) throw new RangeError('nothing to combine');
  const h = first.mean.length;
  const mix = (pick: (p: Prediction) => Float64Array) => {
    const out = new Float64Array(h);
    predictions.forEach((p, j) => {
      const a = pick(p);
      const w = weights[j]!;
      for (let i = 0; i < h; i++) out[i] = out[i]! + w * a[i]!;
    });
    return out;
  };
  return {
    mean: mix((p) => p.mean),
    intervals: first.intervals.map((iv, k) => ({ level: iv.level, lower: mix((p) => p.intervals[k]!.lower), upper: mix((p) => p.intervals[k]!.upper) })),
  };
}
