// Rolling-origin evaluation on a series' own tail: refit on the data before each origin, forecast the
// steps after it, and score the errors relative to the series' own scale, so models can be compared
// (and combined) per series with nothing tuned in advance.
import type { FittedModel, Prediction } from './model.js';

export interface BacktestPlan {
  /** Steps forecast from each origin (≥ 1). */
  horizon: number;
  /** Origins, as training lengths, latest first; each forecast covers y[origin .. origin + horizon). */
  origins: number[];
}

/**
 * Up to `maxOrigins` origins spaced apart by the backtest horizon at the end of y, each leaving at
 * least `minTrain` points to fit on. The backtest horizon is the forecast horizon, shortened to a
 * quarter of y for short series (so the latest origin still has most of the history) but not below
 * `minHorizon` (a seasonal period: shorter backtests cannot tell a pattern from a level). Empty when
 * even one origin does not fit.
 */
export function planBacktest(n: number, horizon: number, minTrain: number, maxOrigins: number, minHorizon = 1): BacktestPlan {
  const h = Math.max(1, Math.min(horizon, Math.max(minHorizon, Math.floor(n / 4))));
  const origins: number[] = [];
  for (let k = 1; k <= maxOrigins; k++) {
    const origin = n - k * h;
    if (origin < Math.max(minTrain, 2)) break;
    origins.push(origin);
  }
  return { horizon: h, origins };
}

/** Mean absolute difference at lag m of y (the in-sample naive error, MASE's scale); 0 when undefined. */
export function naiveScale(y: Float64Array, m: number): number {
  const lag = m >= 1 && y.length > m ? m : 1;
  let s = 0;
  for (let t = lag; t < y.length; t++) s += Math.abs(y[t]! - y[t - lag]!);
  return y.length > lag ? s / (y.length - lag) : 0;
}

/**
 * The model's forecasts from each origin of the plan (same order), refitted on y[0..origin);
 * null when it fails or gives non-finite values at any origin: it cannot be judged, so not trusted.
 */
export function backtest(y: Float64Array, plan: BacktestPlan, fit: (train: Float64Array) => FittedModel, levels: readonly number[]): Prediction[] | null {
  const out: Prediction[] = [];
  for (const origin of plan.origins) {
    try {
      const p = fit(y.subarray(0, origin)).predict(plan.horizon, levels);
      if (!p.mean.every(Number.isFinite)) return null;
      out.push(p);
    } catch {
      return null;
    }
  }
  return out;
}

/**
 * Mean absolute error of forecasts from the plan's origins, each divided by the naive scale (lag m)
 * of its own training part (MASE), averaged over origins. NaN for a model without forecasts.
 */
export function backtestMase(y: Float64Array, plan: BacktestPlan, forecasts: readonly Prediction[] | null, m: number): number {
  if (!forecasts || forecasts.length < plan.origins.length) return NaN;
  let total = 0;
  plan.origins.forEach((origin, k) => {
    const mean = forecasts[k]!.mean;
    let err = 0;
    for (let i = 0; i < plan.horizon; i++) err += Math.abs(y[origin + i]! - mean[i]!);
    const scale = naiveScale(y.subarray(0, origin), m);
    // A perfectly regular history has scale 0: compare raw errors then (all models alike).
    total += err / plan.horizon / (scale > 0 ? scale : 1);
  });
  return total / plan.origins.length;
}
