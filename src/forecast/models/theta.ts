// The standard Theta method (Assimakopoulos & Nikolopoulos 2000) as the M4 organisers ran it: the
// series, deseasonalised by classical decomposition when the M4 seasonality test says so, splits into
// the regression line (θ = 0) and the line with doubled curvature (θ = 2); SES extrapolates the latter
// and the forecast is the equal-weight mean of the two.
import { deseasonalise } from '../decompose.js';
import { mapIntervals, normalForecast } from '../intervals.js';
import type { FitOptions, FittedModel, Model } from '../model.js';
import { m4SeasonalityTest } from '../seasonality.js';
import { allPositive, linearFit } from '../stats.js';
import { filter } from './ets-core.js';
import { fitEtsSpec } from './ets.js';

export interface ThetaOptions {
  /**
   * Deseasonalise only by a period that passes the M4 seasonality test (default true, as the M4
   * benchmark). False: by the first period y holds two cycles of, for callers that already tested.
   */
  seasonalityTest?: boolean;
}

/** Fits Theta to y (≥ 3 points), deseasonalising by the first suitable of `periods` (see ThetaOptions). */
export function thetaFit(y: Float64Array, periods: readonly number[], options: ThetaOptions = {}): FittedModel {
  const n = y.length;
  if (n < 3) throw new RangeError('Theta needs at least 3 observations');
  const usable = (p: number) => (options.seasonalityTest ?? true ? m4SeasonalityTest(y, p) : p >= 2 && n >= 2 * p);
  const m = periods.find(usable) ?? 1;
  const des = deseasonalise(y, m, allPositive(y) ? 'multiplicative' : 'additive');
  const x = des.adjusted;
  const line = linearFit(x);
  const theta2 = x.map((v, t) => 2 * v - (line.intercept + line.slope * t));
  const ses = fitEtsSpec(theta2, { error: 'A', trend: 'N', damped: false, season: 'N', period: 1 });
  const alpha = ses?.params.alpha ?? 0.5;
  const sesLevel = ses?.state.level ?? theta2[n - 1]!;
  // In-sample one-step errors of the combined forecast give the spread.
  const fitted = new Float64Array(n);
  if (ses) filter(ses.spec, ses.params, ses.init, theta2, fitted);
  else fitted.set(theta2);
  let ss = 0;
  for (let t = 0; t < n; t++) ss += (x[t]! - (0.5 * fitted[t]! + 0.5 * (line.intercept + line.slope * t))) ** 2;
  const sigma = Math.sqrt(ss / Math.max(1, n - 3));
  const seasonal = des.period > 1 ? `[${des.period}]` : '';
  return {
    name: `Theta${seasonal}`,
    params: { alpha, slope: line.slope, sigma, period: des.period },
    predict(h, levels) {
      const p = normalForecast(h, levels, (i) => ({ mean: 0.5 * sesLevel + 0.5 * (line.intercept + line.slope * (n + i)), sd: sigma * Math.sqrt(1 + i * alpha * alpha) }));
      const back = (v: number, i: number) => des.reseasonalise(v, n + i);
      return { mean: p.mean.map(back), intervals: mapIntervals(p.intervals, back) };
    },
  };
}

/** The Theta method as a `Model`. */
export const thetaModel: Model = {
  name: 'theta',
  minLength: () => 3,
  fit: (y: Float64Array, options: FitOptions) => thetaFit(y, options.periods),
};
