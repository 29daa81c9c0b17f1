// Interval calibration from backtests: how wide an interval had to be, relative to the one the model
// gave, to hold the nominal share of the out-of-sample errors. The backtest sample is small and its
// errors are correlated (one origin shifts them all), so the factor is shrunk halfway to 1 on the log
// scale (a geometric mean of the model's own width and the empirical one) and bounded.
import type { BacktestPlan } from './backtest.js';
import type { Prediction } from './model.js';

const MIN_FACTOR = 0.5;
const MAX_FACTOR = 2;

/**
 * One widening factor per interval level of `forecasts` (the backtest forecasts, one per origin of
 * `plan`, with the same levels): √(the conformal quantile of error / the interval's reach on the
 * error's side), within [0.5, 2];
 * 1 where the intervals have no width to scale.
 */
export function calibrationFactors(y: Float64Array, plan: BacktestPlan, forecasts: readonly Prediction[]): number[] {
  const first = forecasts[0];
  if (!first) return [];
  return first.intervals.map((iv, k) => {
    const ratios: number[] = [];
    plan.origins.forEach((origin, j) => {
      const p = forecasts[j]!;
      const { lower, upper } = p.intervals[k]!;
      for (let i = 0; i < plan.horizon; i++) {
        // Each side on its own: intervals from log scales or simulations are not symmetric.
        const e = y[origin + i]! - p.mean[i]!;
        const half = e > 0 ? upper[i]! - p.mean[i]! : p.mean[i]! - lower[i]!;
        if (half > 0) ratios.push(Math.abs(e) / half);
      }
    });
    if (ratios.length === 0) return 1;
    ratios.sort((a, b) => a - b);
    // Split-conformal rank: the ⌈(n + 1)·level⌉-th smallest ratio.
    const rank = Math.min(ratios.length, Math.ceil(((ratios.length + 1) * iv.level) / 100));
    const q = ratios[rank - 1]!;
    return Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, Math.sqrt(q)));
  });
}

/**
 * Scales each interval's distance from the mean by its factor (returns a new prediction). Factors
 * differ by level, so the result is then nested: a higher level never gets a narrower interval.
 */
export function widenIntervals(p: Prediction, factors: readonly number[]): Prediction {
  const intervals = p.intervals.map((iv, k) => {
    const f = factors[k] ?? 1;
    return {
      level: iv.level,
      lower: iv.lower.map((v, i) => p.mean[i]! - f * (p.mean[i]! - v)),
      upper: iv.upper.map((v, i) => p.mean[i]! + f * (v - p.mean[i]!)),
    };
  });
  const byLevel = [...intervals].sort((a, b) => a.level - b.level);
  for (let k = 1; k < byLevel.length; k++) {
    const inner = byLevel[k - 1]!;
    const outer = byLevel[k]!;
    for (let i = 0; i < p.mean.length; i++) {
      outer.lower[i] = Math.min(outer.lower[i]!, inner.lower[i]!);
      outer.upper[i] = Math.max(outer.upper[i]!, inner.upper[i]!);
    }
  }
  return { mean: p.mean, intervals };
}
