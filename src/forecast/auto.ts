// The statistical backend's forecaster. Per series: detect which candidate periods are present, build
// a small pool of diverse models suited to that (seasonal naive, MSTL on the original and log scale,
// seasonal ETS, Theta; or naive, ETS, Theta without seasonality), score each by rolling-origin
// backtests on the series' own tail, and combine them with weights ∝ 1 / error². Intervals are the
// same weighted mean of the members' interval bounds, rescaled by how well such intervals held in the
// backtests. Short series fall back to simpler pools; one or two points, or a constant series, get
// the naive forecast.
import { backtest, backtestMase, planBacktest, type BacktestPlan } from './backtest.js';
import { calibrationFactors, widenIntervals } from './calibrate.js';
import { combinePredictions, inverseSquaredErrorWeights } from './combine.js';
import { checkHorizon, checkLevels } from './intervals.js';
import type { FittedModel, Prediction } from './model.js';
import { autoEts, etsFitted, etsPeriod, type EtsOptions } from './models/ets.js';
import { mstlFit } from './models/mstl.js';
import { seasonalNaiveFit } from './models/naive.js';
import { thetaFit } from './models/theta.js';
import { detectSeasonalities, MIN_CYCLES } from './seasonality.js';
import { allPositive } from './stats.js';

export interface AutoForecastOptions {
  /** Seasonal periods worth testing for the series' frequency, in steps (hourly: [24, 168]). */
  candidatePeriods: readonly number[];
  /** Steps ahead, ≥ 1. */
  horizon: number;
  /** Interval levels in percent, each in (0, 100). */
  levels: readonly number[];
}

export interface AutoForecastResult extends Prediction {
  /** What produced the forecast, e.g. "combination(41% MSTL[24,168]+ETS(A,Ad,N), 30% SNaive[24], …)". */
  model: string;
  /** Detected periods, backtest plan and each member's weight, backtest error and parameters. */
  params: Record<string, unknown>;
}

/** Backtest origins per series: two give steadier weights than one at twice the fitting cost of one. */
const ORIGINS = 2;
/** Members whose weight falls below this share are dropped (and the rest renormalised). */
const MIN_WEIGHT = 0.01;
/**
 * At most this many of the latest points are used (more when 6 cycles of the longest candidate
 * period need it): old history adds little to short-term forecasts and bounds the cost per series.
 */
const HISTORY = 2000;

/** A candidate model of the pool. */
interface Member {
  fit: (y: Float64Array) => FittedModel;
  /** Fewest points it needs to be the model it claims to be (used to place backtest origins). */
  minLength: number;
}

/** The fewest points `autoForecast` accepts: one (it then repeats that value). */
export function minLength(): number {
  return 1;
}

/**
 * Points needed before `period` can be detected and modelled (two cycles, as the seasonality test
 * requires): tell users with shorter series that seasonality is not used yet.
 */
export function seasonalMinLength(period: number): number {
  return MIN_CYCLES * Math.round(period);
}

/** ETS chosen by AICc, as a fitted model; throws when no form could be fitted (the member is then dropped). */
function ets(y: Float64Array, periods: readonly number[], options?: EtsOptions): FittedModel {
  const fit = autoEts(y, periods, options);
  if (!fit) throw new RangeError('ETS: no model could be fitted');
  return etsFitted(fit);
}

/** The pool for a series with the detected periods (ascending; maybe empty). */
function buildPool(y: Float64Array, periods: readonly number[], candidates: readonly number[]): Member[] {
  const n = y.length;
  const positive = allPositive(y);
  if (periods.length === 0) {
    const pool: Member[] = [
      { fit: (x) => seasonalNaiveFit(x, 1), minLength: 1 },
      { fit: (x) => ets(x, []), minLength: 6 },
      { fit: (x) => thetaFit(x, []), minLength: 3 },
    ];
    // Two cycles are too few for the test, yet may be enough for the backtests to favour the pattern.
    const m = candidates.filter((p) => p >= 2 && n >= 2 * p).sort((a, b) => a - b)[0];
    if (m) pool.push({ fit: (x) => seasonalNaiveFit(x, m), minLength: m });
    return pool;
  }
  const m1 = periods[0]!;
  const mMax = periods[periods.length - 1]!;
  const pool: Member[] = [
    { fit: (x) => seasonalNaiveFit(x, m1), minLength: m1 },
    { fit: (x) => mstlFit(x, periods), minLength: 2 * mMax + 1 },
    { fit: (x) => thetaFit(x, [m1], { seasonalityTest: false }), minLength: 2 * m1 },
  ];
  if (mMax !== m1) pool.push({ fit: (x) => seasonalNaiveFit(x, mMax), minLength: mMax });
  if (positive) pool.push({ fit: (x) => mstlFit(x, periods, { log: true }), minLength: 2 * mMax + 1 });
  if (etsPeriod(n, [m1]) === m1) {
    pool.push({ fit: (x) => ets(x, [m1], { requireSeason: true, spec: { error: 'A', season: 'A' } }), minLength: 2 * m1 + 3 });
  }
  return pool;
}

/**
 * Backtest origins that every member of the pool can be fitted at; when there are none, the members
 * that need the most history are left out (short series) so the simpler ones can still be compared.
 */
function planPool(y: Float64Array, all: Member[], horizon: number, candidates: readonly number[]): { pool: Member[]; plan: BacktestPlan } {
  const n = y.length;
  const minHorizon = candidates.filter((p) => p >= 2 && n >= 2 * p).sort((a, b) => a - b)[0] ?? 1;
  const plan = (members: Member[]) => planBacktest(n, horizon, Math.max(...members.map((m) => m.minLength)), ORIGINS, minHorizon);
  const first = plan(all);
  if (first.origins.length) return { pool: all, plan: first };
  const fitting = all.filter((m) => m.minLength <= n - first.horizon);
  if (!fitting.length) return { pool: all, plan: first };
  return { pool: fitting, plan: plan(fitting) };
}

/** The weighted combination of the members' backtest forecasts at each origin (weights renormalised). */
function backtestCombination(plan: BacktestPlan, runs: (Prediction[] | null)[], weights: readonly number[]): Prediction[] {
  const used = runs.map((r, i) => (r && weights[i]! > 0 ? i : -1)).filter((i) => i >= 0);
  const total = used.reduce((a, i) => a + weights[i]!, 0);
  if (!used.length || !(total > 0)) return [];
  return plan.origins.map((_, k) =>
    combinePredictions(
      used.map((i) => runs[i]![k]!),
      used.map((i) => weights[i]! / total),
    ),
  );
}

function isConstant(y: Float64Array): boolean {
  for (let i = 1; i < y.length; i++) if (y[i] !== y[0]) return false;
  return true;
}

function naiveResult(y: Float64Array, horizon: number, levels: readonly number[], why: string): AutoForecastResult {
  const f = seasonalNaiveFit(y, 1);
  return { model: f.name, ...f.predict(horizon, levels), params: { reason: why, ...f.params } };
}

/**
 * Forecasts y (evenly spaced, finite; not modified) `horizon` steps ahead with intervals at `levels`.
 * Deterministic: the same input gives the same output.
 */
export function autoForecast(y: Float64Array, options: AutoForecastOptions): AutoForecastResult {
  const { horizon, levels } = options;
  checkHorizon(horizon);
  checkLevels(levels);
  if (y.length === 0) throw new RangeError('autoForecast needs at least one observation');
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) throw new RangeError(`y[${i}] is not a finite number`);
  if (y.length < 3) return naiveResult(y, horizon, levels, 'fewer than 3 points');
  if (isConstant(y)) return naiveResult(y, horizon, levels, 'constant series');

  const longest = Math.max(0, ...options.candidatePeriods);
  const x = y.length > Math.max(HISTORY, 6 * longest) ? y.subarray(y.length - Math.max(HISTORY, 6 * longest)) : y;
  const periods = detectSeasonalities(x, options.candidatePeriods);
  const { pool, plan } = planPool(x, buildPool(x, periods, options.candidatePeriods), horizon, options.candidatePeriods);
  const scalePeriod = periods[0] ?? 1;
  const runs = plan.origins.length ? pool.map((m) => backtest(x, plan, m.fit, levels)) : [];
  const errors = plan.origins.length ? runs.map((r) => backtestMase(x, plan, r, scalePeriod)) : pool.map(() => 1);
  const weights = inverseSquaredErrorWeights(errors).map((w) => (w >= MIN_WEIGHT ? w : 0));
  const factors = plan.origins.length ? calibrationFactors(x, plan, backtestCombination(plan, runs, weights)) : levels.map(() => 1);

  const members: { fitted: FittedModel; prediction: Prediction; weight: number; error: number }[] = [];
  pool.forEach((m, i) => {
    if (weights[i]! <= 0) return;
    try {
      const fitted = m.fit(x);
      const prediction = fitted.predict(horizon, levels);
      const finite = [prediction.mean, ...prediction.intervals.flatMap((iv) => [iv.lower, iv.upper])].every((a) => a.every(Number.isFinite));
      if (finite) members.push({ fitted, prediction, weight: weights[i]!, error: errors[i]! });
    } catch {
      // A member that fails on the full series is left out; the others carry the forecast.
    }
  });
  if (members.length === 0) return naiveResult(x, horizon, levels, 'no model of the pool could be fitted');

  const total = members.reduce((a, m) => a + m.weight, 0);
  for (const m of members) m.weight /= total;
  members.sort((a, b) => b.weight - a.weight);
  const combined = widenIntervals(
    combinePredictions(
      members.map((m) => m.prediction),
      members.map((m) => m.weight),
    ),
    factors,
  );
  const model =
    members.length === 1 ? members[0]!.fitted.name : `combination(${members.map((m) => `${Math.round(100 * m.weight)}% ${m.fitted.name}`).join(', ')})`;
  return {
    model,
    ...combined,
    params: {
      periods,
      historyUsed: x.length,
      backtest: { horizon: plan.horizon, origins: plan.origins.length },
      intervalFactors: factors,
      members: members.map((m) => ({ model: m.fitted.name, weight: m.weight, backtestMase: m.error, params: m.fitted.params })),
    },
  };
}
