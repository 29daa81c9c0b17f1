// MSTL forecasting (as R's forecast::stlf over mstl): decompose into one seasonal component per period
// plus trend and remainder, forecast the seasonally adjusted series (trend + remainder) with a
// non-seasonal ETS chosen by AICc, and add each seasonal component's last cycle, repeated.
// Optionally on the log scale, where a pattern whose amplitude grows with the level becomes additive.
import { mapIntervals } from '../intervals.js';
import type { FitOptions, FittedModel, Model } from '../model.js';
import { allPositive } from '../stats.js';
import { mstl } from '../stl.js';
import { autoEts, etsParams, etsPredict, type EtsSpec } from './ets.js';
import { specName } from './ets-core.js';

/** ETS(A,N,N) on the adjusted series needs 5 points for its AICc. */
const MIN_LENGTH = 5;

export interface MstlModelOptions {
  /** Fit on log(y) when y > 0 everywhere (default false). */
  log?: boolean;
  /** Restricts the ETS forms tried on the seasonally adjusted series (error is always additive). */
  trend?: Pick<EtsSpec, 'trend' | 'damped'>;
  /**
   * Fit the ETS of the seasonally adjusted series to its latest `trendHistory` points only (default
   * all): the decomposition needs every cycle, the level and trend only the recent past.
   */
  trendHistory?: number;
  /** STL robustness iterations (default 0). */
  robustIterations?: number;
}

/** Fits MSTL + non-seasonal ETS to y; periods with fewer than two cycles in y are left out. */
export function mstlFit(y: Float64Array, periods: readonly number[], options: MstlModelOptions = {}): FittedModel {
  const n = y.length;
  if (n < MIN_LENGTH) throw new RangeError(`MSTL needs at least ${MIN_LENGTH} observations`);
  const log = (options.log ?? false) && allPositive(y);
  const z = log ? y.map(Math.log) : y;
  const dec = mstl(z, periods, { robustIterations: options.robustIterations });
  const adjusted = new Float64Array(n);
  for (let t = 0; t < n; t++) adjusted[t] = dec.trend[t]! + dec.remainder[t]!;
  // Additive errors: the adjusted series may cross zero even when y does not.
  const recent = options.trendHistory && n > options.trendHistory ? adjusted.subarray(n - options.trendHistory) : adjusted;
  const trendFit = autoEts(recent, [], { spec: { error: 'A', season: 'N', ...options.trend } });
  if (!trendFit) throw new RangeError('MSTL: the seasonally adjusted series could not be fitted');
  const lastCycles = dec.periods.map((p, i) => dec.seasonals[i]!.slice(n - p));
  const seasonalAt = (i: number) => {
    let s = 0;
    for (let j = 0; j < dec.periods.length; j++) s += lastCycles[j]![i % dec.periods[j]!]!;
    return s;
  };
  const trendName = specName(trendFit.spec);
  const decomposition = dec.periods.length ? `MSTL[${dec.periods.join(',')}]` : '';
  const name = `${decomposition}${log ? '(log)' : ''}${decomposition || log ? '+' : ''}${trendName}`;
  return {
    name,
    params: { periods: dec.periods, log, trend: etsParams(trendFit) },
    predict(h, levels) {
      const base = etsPredict(trendFit, h, levels);
      const back = (v: number, i: number) => (log ? Math.exp(v + seasonalAt(i)) : v + seasonalAt(i));
      return { mean: base.mean.map(back), intervals: mapIntervals(base.intervals, back) };
    },
  };
}

/** MSTL as a `Model`: options.periods are the candidate periods (each used when y covers two cycles of it). */
export function createMstlModel(options: MstlModelOptions = {}): Model {
  return {
    name: options.log ? 'mstl-log' : 'mstl',
    minLength: (periods) => Math.max(MIN_LENGTH, ...periods.map((p) => 2 * Math.round(p) + 1)),
    fit: (y: Float64Array, fitOptions: FitOptions) => mstlFit(y, fitOptions.periods, options),
  };
}

/** MSTL on the original scale. */
export const mstlModel: Model = createMstlModel();

/** MSTL on log(y) (original scale when y is not positive everywhere). */
export const mstlLogModel: Model = createMstlModel({ log: true });
