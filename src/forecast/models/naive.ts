// Naive and seasonal naive: repeat the last value, or the last cycle. The baselines every other model
// must beat, and the safe choice for very short series. Intervals are those of the (seasonal) random
// walk: σ·√(number of whole cycles ahead), σ from the in-sample (seasonal) differences.
import { normalForecast } from '../intervals.js';
import type { FitOptions, FittedModel, Model } from '../model.js';

/** Fits the seasonal naive model with period m (m = 1: naive). y must hold at least one value. */
export function seasonalNaiveFit(y: Float64Array, m: number): FittedModel {
  const n = y.length;
  if (n === 0) throw new RangeError('naive needs at least one observation');
  const p = m >= 2 && n >= m ? Math.round(m) : 1;
  let ss = 0;
  for (let t = p; t < n; t++) ss += (y[t]! - y[t - p]!) ** 2;
  const sigma = n > p ? Math.sqrt(ss / (n - p)) : 0;
  const last = y.slice(n - p);
  return {
    name: p > 1 ? `SNaive[${p}]` : 'Naive',
    params: { period: p, sigma },
    predict: (h, levels) => normalForecast(h, levels, (i) => ({ mean: last[i % p]!, sd: sigma * Math.sqrt(Math.floor(i / p) + 1) })),
  };
}

/** Naive: the last value, whatever the periods. */
export const naiveModel: Model = {
  name: 'naive',
  minLength: () => 1,
  fit: (y: Float64Array) => seasonalNaiveFit(y, 1),
};

/** Seasonal naive on the first given period that y covers at least once; naive when there is none. */
export const seasonalNaiveModel: Model = {
  name: 'seasonal-naive',
  minLength: () => 1,
  fit(y: Float64Array, options: FitOptions) {
    const m = options.periods.find((p) => p >= 2 && y.length >= p) ?? 1;
    return seasonalNaiveFit(y, m);
  },
};
