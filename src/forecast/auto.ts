// The statistical backend's forecaster. Per series: detect which candidate periods are present, build
// a small pool of diverse models suited to that (seasonal naive, MSTL on the original and log scale,
// seasonal ETS, Theta; or naive, ETS, Theta without seasonality; and a (seasonal) median on bursty
// series), score each by rolling-origin backtests on the series' own tail, and combine them with
// weights ∝ 1 / error². Intervals are the same weighted mean of the members' interval bounds,
// rescaled by how well such intervals held in the backtests. When one member's backtest error is
// clearly (10%) below the combination's, its forecast replaces the combination's mean, the intervals
// keeping the combination's spread. Short series fall back to simpler pools; one or two points, or a
// constant series, get the naive forecast.
// Guards, because one exploding forecast costs a user's trust in all of them: the non-seasonal ETS
// is damped; every member's forecast, in the backtests and on the full series, must stay within the
// envelope of its own history (envelope.ts) or it is dropped, and the reply's `model` says which and
// why; the result is confined to that envelope (and to ≥ 0 when the history never was negative);
// series of extreme magnitude are forecast rescaled (rescale.ts), so replies stay finite.
import { backtestMase, planBacktest, type BacktestPlan } from './backtest.js';
import { calibrationFactors, widenIntervals } from './calibrate.js';
import { combinePredictions, inverseSquaredErrorWeights } from './combine.js';
import { confine, historyRange, implausibility, type Confinement } from './envelope.js';
import { checkHorizon, checkLevels } from './intervals.js';
import type { FittedModel, Prediction } from './model.js';
import { autoEts, etsFitted, etsPeriod, type EtsOptions } from './models/ets.js';
import { mstlFit } from './models/mstl.js';
import { medianFit } from './models/median.js';
import { seasonalNaiveFit } from './models/naive.js';
import { thetaFit } from './models/theta.js';
import { magnitudeScale, scaleDown, scaleUp } from './rescale.js';
import { detectSeasonalities, MIN_CYCLES } from './seasonality.js';
import { allPositive, median, variance } from './stats.js';

export interface AutoForecastOptions {
  /** Seasonal periods worth testing for the series' frequency, in steps (hourly: [24, 168]). */
  candidatePeriods: readonly number[];
  /** Steps ahead, ≥ 1. */
  horizon: number;
  /** Interval levels in percent, each in (0, 100). */
  levels: readonly number[];
}

export interface AutoForecastResult extends Prediction {
  /**
   * What produced the forecast, e.g. "combination(41% MSTL[24,168]+ETS(A,Ad,N), 30% SNaive[24], …)",
   * followed by "; dropped ETS(M,Ad,N) (forecast reaches …)" for each member left out as implausible.
   */
  model: string;
  /** Detected periods, backtest plan and each member's weight, backtest error and parameters. */
  params: Record<string, unknown>;
}

/** Backtest origins per series: two give steadier weights than one at twice the fitting cost of one. */
const ORIGINS = 2;
/**
 * A single member replaces the combination when its backtest error is at least this much (10%) below
 * the combination's: two origins are a small sample, so a near tie keeps the safer combination.
 */
const SELECT_MARGIN = 0.1;
/** Members whose weight falls below this share are dropped (and the rest renormalised). */
const MIN_WEIGHT = 0.01;
/**
 * At most this many of the latest points are used (more when 6 cycles of the longest candidate
 * period are needed to detect it, and 4 cycles of the longest detected one to model it): old history
 * adds little to short-term forecasts and bounds the cost per series.
 */
const HISTORY = 2000;
/** Cycles of a detected period its models get (when that is more than HISTORY). */
const MODEL_CYCLES = 4;

/**
 * The non-seasonal ETS member extrapolates damped trends only (see EtsOptions.undampedTrend): on
 * bursty operational series an undamped ETS(M,A,N) read a burst as a trend and ran it on for the
 * whole horizon. The seasonal members keep both forms, chosen by AICc (damping them too cost M4 Hourly
 * OWA 0.451 → 0.457); the envelope check guards them.
 */
const DAMPED: EtsOptions = { undampedTrend: false };

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

/**
 * Whether y is bursty: most values sit in a narrow band and a few far outside it, so its robust
 * spread (1.4826 · MAD, the standard deviation for normal data) is under half its standard
 * deviation. Only then does the median join the pool: on wandering series (random walks) it lags,
 * yet can win two backtests by chance, and its empirical intervals are too narrow there.
 */
function spiky(y: Float64Array): boolean {
  const med = median(y);
  const mad = median(y.map((v) => Math.abs(v - med)));
  return 1.4826 * mad < 0.5 * Math.sqrt(variance(y));
}

/** The pool for a series with the detected periods (ascending; maybe empty). */
function buildPool(y: Float64Array, periods: readonly number[], candidates: readonly number[]): Member[] {
  const n = y.length;
  const positive = allPositive(y);
  if (periods.length === 0) {
    const pool: Member[] = [
      { fit: (x) => seasonalNaiveFit(x, 1), minLength: 1 },
      { fit: (x) => ets(x, [], DAMPED), minLength: 6 },
      { fit: (x) => thetaFit(x, []), minLength: 3 },
    ];
    // Two cycles are too few for the test, yet may be enough for the backtests to favour the pattern.
    const m = candidates.filter((p) => p >= 2 && n >= 2 * p).sort((a, b) => a - b)[0];
    if (m) pool.push({ fit: (x) => seasonalNaiveFit(x, m), minLength: m });
    if (spiky(y)) pool.push({ fit: (x) => medianFit(x, 1), minLength: 1 });
    return pool;
  }
  const m1 = periods[0]!;
  const mMax = periods[periods.length - 1]!;
  // The members of the shortest period need no more history than a series with only that period.
  const short = (fit: (x: Float64Array) => FittedModel) => {
    const keep = Math.max(HISTORY, MODEL_CYCLES * m1);
    return (x: Float64Array) => fit(x.length > keep ? x.subarray(x.length - keep) : x);
  };
  const pool: Member[] = [
    { fit: (x) => seasonalNaiveFit(x, m1), minLength: m1 },
    { fit: (x) => mstlFit(x, periods, { trendHistory: HISTORY }), minLength: 2 * mMax + 1 },
    { fit: short((x) => thetaFit(x, [m1], { seasonalityTest: false })), minLength: 2 * m1 },
  ];
  if (mMax !== m1) pool.push({ fit: (x) => seasonalNaiveFit(x, mMax), minLength: mMax });
  if (positive) pool.push({ fit: (x) => mstlFit(x, periods, { log: true, trendHistory: HISTORY }), minLength: 2 * mMax + 1 });
  if (spiky(y)) pool.push({ fit: (x) => medianFit(x, m1), minLength: m1 });
  if (etsPeriod(n, [m1]) === m1) {
    pool.push({ fit: short((x) => ets(x, [m1], { requireSeason: true, spec: { error: 'A', season: 'A' } })), minLength: 2 * m1 + 3 });
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

/**
 * The member whose backtest error is at least SELECT_MARGIN below the combination's, if any (the
 * lowest such): on series where one model is clearly right (a median on spiky data, a seasonal model
 * on a clean cycle) averaging it with the others only adds their errors.
 */
function clearlyBest(x: Float64Array, plan: BacktestPlan, runs: (Prediction[] | null)[], errors: readonly number[], weights: readonly number[], m: number): { index: number; error: number; combination: number } | null {
  const combination = backtestMase(x, plan, backtestCombination(plan, runs, weights), m);
  let best = -1;
  errors.forEach((e, i) => {
    if (Number.isFinite(e) && (best < 0 || e < errors[best]!)) best = i;
  });
  if (best < 0 || !(errors[best]! < combination * (1 - SELECT_MARGIN))) return null;
  return { index: best, error: errors[best]!, combination };
}

function isConstant(y: Float64Array): boolean {
  for (let i = 1; i < y.length; i++) if (y[i] !== y[0]) return false;
  return true;
}

/** A member left out of the combination, and why. */
interface Dropped {
  model: string;
  reason: string;
}

/**
 * The member's backtest forecasts from each origin of the plan, refitted on x[0..origin); null when
 * it fails, or gives a non-finite or implausible forecast (see envelope.ts) at any origin: it cannot
 * be judged, so it is not trusted. An implausible forecast is reported in `dropped`.
 */
function backtestMember(x: Float64Array, plan: BacktestPlan, member: Member, levels: readonly number[], dropped: Dropped[]): Prediction[] | null {
  const out: Prediction[] = [];
  for (const origin of plan.origins) {
    const train = x.subarray(0, origin);
    let fitted: FittedModel;
    let p: Prediction;
    try {
      fitted = member.fit(train);
      p = fitted.predict(plan.horizon, levels);
    } catch {
      return null;
    }
    const why = implausibility(p, historyRange(train));
    if (why) {
      dropped.push({ model: fitted.name, reason: `in the backtest from ${origin} points: ${why}` });
      return null;
    }
    out.push(p);
  }
  return out;
}

function naiveResult(y: Float64Array, horizon: number, levels: readonly number[], why: string, dropped: Dropped[] = []): AutoForecastResult {
  const f = seasonalNaiveFit(y, 1);
  const params: Record<string, unknown> = { reason: why, historyUsed: y.length, ...f.params };
  if (dropped.length) params.dropped = dropped;
  return { model: f.name + describeDropped(dropped), ...f.predict(horizon, levels), params };
}

/** "; dropped ETS(M,Ad,N) (forecast reaches …)" per dropped member, or "". */
function describeDropped(dropped: readonly Dropped[]): string {
  return dropped.map((d) => `; dropped ${d.model} (${d.reason})`).join('');
}

/**
 * Forecasts y (evenly spaced, finite; not modified) `horizon` steps ahead with intervals at `levels`.
 * Deterministic: the same input gives the same output. Every value returned is finite, the intervals
 * hold the mean and are nested, and all lie within the history's envelope (envelope.ts), ≥ 0 when y is.
 */
export function autoForecast(y: Float64Array, options: AutoForecastOptions): AutoForecastResult {
  const { horizon, levels } = options;
  checkHorizon(horizon);
  checkLevels(levels);
  if (y.length === 0) throw new RangeError('autoForecast needs at least one observation');
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) throw new RangeError(`y[${i}] is not a finite number`);
  const scale = magnitudeScale(y);
  const z = scaleDown(y, scale);
  let r: ReturnType<typeof forecastScaled>;
  try {
    r = forecastScaled(z, options);
  } catch (e) {
    // A defect in model selection must not cost the user the forecast: the naive one, with why.
    r = { ...naiveResult(z, horizon, levels, `model selection failed: ${e instanceof Error ? e.message : String(e)}`), history: z };
  }
  const { prediction, changed } = confine(r, historyRange(r.history));
  const params: Record<string, unknown> = { ...r.params };
  if (scale !== 1) params.rescaledBy = scale;
  if (changed.mean || changed.bounds || changed.atZero) params.confined = changed satisfies Confinement;
  return { model: r.model, ...scaleUp(prediction, scale), params };
}

/** autoForecast on a series of safe magnitude; `history` is the part of y the models used. */
function forecastScaled(y: Float64Array, options: AutoForecastOptions): AutoForecastResult & { history: Float64Array } {
  const { horizon, levels } = options;
  if (y.length < 3) return { ...naiveResult(y, horizon, levels, 'fewer than 3 points'), history: y };
  if (isConstant(y)) return { ...naiveResult(y, horizon, levels, 'constant series'), history: y };

  const longest = Math.max(0, ...options.candidatePeriods);
  const long = y.length > Math.max(HISTORY, 6 * longest) ? y.subarray(y.length - Math.max(HISTORY, 6 * longest)) : y;
  const periods = detectSeasonalities(long, options.candidatePeriods);
  // Once the periods are known, only those need the longer history.
  const keep = Math.max(HISTORY, MODEL_CYCLES * Math.max(0, ...periods));
  const x = long.length > keep ? long.subarray(long.length - keep) : long;
  const { pool, plan } = planPool(x, buildPool(x, periods, options.candidatePeriods), horizon, options.candidatePeriods);
  const scalePeriod = periods[0] ?? 1;
  const dropped: Dropped[] = [];
  const runs = plan.origins.length ? pool.map((m) => backtestMember(x, plan, m, levels, dropped)) : [];
  const errors = plan.origins.length ? runs.map((r) => backtestMase(x, plan, r, scalePeriod)) : pool.map(() => 1);
  const weights = inverseSquaredErrorWeights(errors).map((w) => (w >= MIN_WEIGHT ? w : 0));
  const single = plan.origins.length ? clearlyBest(x, plan, runs, errors, weights, scalePeriod) : null;

  const range = historyRange(x);
  const fits = new Map<number, { fitted: FittedModel; prediction: Prediction }>();
  pool.forEach((m, i) => {
    if (weights[i]! <= 0 && i !== single?.index) return;
    let fitted: FittedModel;
    let prediction: Prediction;
    try {
      fitted = m.fit(x);
      prediction = fitted.predict(horizon, levels);
    } catch {
      // A member that fails on the full series is left out; the others carry the forecast.
      return;
    }
    const why = implausibility(prediction, range);
    if (why) dropped.push({ model: fitted.name, reason: why });
    else fits.set(i, { fitted, prediction });
  });
  const members = [...fits].filter(([i]) => weights[i]! > 0).map(([i, f]) => ({ ...f, weight: weights[i]!, error: errors[i]! }));
  if (members.length === 0) return { ...naiveResult(x, horizon, levels, 'no model of the pool could be fitted', dropped), history: x };
  const factors = plan.origins.length ? calibrationFactors(x, plan, backtestCombination(plan, runs, weights)) : levels.map(() => 1);
  const total = members.reduce((a, m) => a + m.weight, 0);
  for (const m of members) m.weight /= total;
  members.sort((a, b) => b.weight - a.weight);
  let combined = widenIntervals(
    combinePredictions(
      members.map((m) => m.prediction),
      members.map((m) => m.weight),
    ),
    factors,
  );
  // The clearly best member, when it passed on the full series too, gives the point forecast; the
  // intervals keep the combination's calibrated spread around it (the best of a few backtests would
  // look better calibrated on them than it is).
  const best = single ? fits.get(single.index) : undefined;
  if (best) {
    const mean = best.prediction.mean;
    const shift = (a: Float64Array) => a.map((v, i) => mean[i]! + (v - combined.mean[i]!));
    combined = { mean, intervals: combined.intervals.map((iv) => ({ level: iv.level, lower: shift(iv.lower), upper: shift(iv.upper) })) };
  }
  const model =
    (best
      ? best.fitted.name
      : members.length === 1
        ? members[0]!.fitted.name
        : `combination(${members.map((m) => `${Math.round(100 * m.weight)}% ${m.fitted.name}`).join(', ')})`) + describeDropped(dropped);
  const params: Record<string, unknown> = {
    periods,
    historyUsed: x.length,
    backtest: { horizon: plan.horizon, origins: plan.origins.length },
    intervalFactors: factors,
    members: members.map((m) => ({ model: m.fitted.name, weight: m.weight, backtestMase: m.error, params: m.fitted.params })),
  };
  if (best && single) params.selected = { model: best.fitted.name, backtestMase: single.error, combinationBacktestMase: single.combination, intervals: 'the combination of members, centred on the selected forecast' };
  if (dropped.length) params.dropped = dropped;
  return { model, ...combined, params, history: x };
}
