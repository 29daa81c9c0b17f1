// Forecast-interval exceedance: how far outside the prediction interval of a one-step-ahead
// exponential smoothing forecast (ETS(A,N,N), or ETS(A,N,A) on the shortest seasonal period) a point
// falls. The interval is forecast ± z·σ, σ the robust spread of recent one-step errors
// (../standardise.ts); a point on the edge of the 99.7% interval has z = 3, which scores at most 0.5
// (../calibration.ts; the series' history of errors may lower it, ../tail.ts).
//
// online: the recursions of src/forecast/models/ets-core.ts run once over the series, no refitting.
//   A small bank of smoothing constants runs side by side and each step uses the one with the lowest
//   recent squared error so far; errors are clipped at CLIP·σ before they update a state, so a spike
//   does not drag the level with it (in the spirit of robust Holt-Winters, Gelper, Fried & Croux 2010).
//   While a candidate's errors are beyond the guard (../guard.ts) only one in ADMIT_EVERY updates its
//   states and error averages, so a sustained shift moves the level by at most CLIP·σ every
//   ADMIT_EVERY steps, not every step.
// batch: the same model with its smoothing constants fitted by maximum likelihood on the whole series
//   (src/forecast/models/ets.ts), and its in-sample one-step forecasts.
// With a reference period (both modes): the online model is run over the reference alone and its
//   states frozen at its end; the points after it are measured against the frozen forecast (level and
//   seasonal states, no further updates), in robust σ of the reference's own deviations from it.
import { filter, pointForecast, step, type EtsParams, type EtsSpec, type EtsState } from '../../forecast/models/ets-core.js';
import { fitEtsSpec } from '../../forecast/models/ets.js';
import { LEARN_CYCLES } from '../baseline.js';
import type { AnomalyMethod, DetectionMode, IndexRange, MethodOptions, MethodResult } from '../detector.js';
import { EpisodeGuard } from '../guard.js';
import { referenceIn } from '../reference.js';
import { standardise, standardiseAgainst } from '../standardise.js';
import { calibratedAgainst, calibratedScores } from '../tail.js';

/** Level smoothing constants tried online. */
const ALPHAS = [0.05, 0.2, 0.5, 0.9];
/** Seasonal smoothing constant online. */
const GAMMA = 0.1;
/** Errors beyond CLIP·σ (σ ≈ 1.2533 × the running mean absolute error) update the states as if they were CLIP·σ. */
const CLIP = 3;
/** Weight of the newest error in the running error averages (≈ the last 50 steps). */
const LAMBDA = 0.02;
/** Steps before the online model's errors are scored (its scale and choice settle). */
const WARMUP = 10;
/** One-step errors in the reference that sets the interval width. */
const SCALE_WINDOW = 500;
/** Fewest reference errors for a score. */
const MIN_REFERENCE = 40;

function specFor(periods: readonly number[]): EtsSpec {
  const m = periods[0] ?? 1;
  return { error: 'A', trend: 'N', damped: false, season: m > 1 ? 'A' : 'N', period: m > 1 ? m : 1 };
}

/** One candidate of the online bank. */
interface Candidate {
  params: EtsParams;
  state: EtsState;
  /** Running mean of squared clipped errors (model choice). */
  mse: number;
  /** Running mean of |clipped error| (clipping scale). */
  mae: number;
  guard: EpisodeGuard;
}

/** Causal one-step forecasts (NaN before the model can forecast), and the candidate with the lowest error at the end. */
function onlineForecasts(y: Float64Array, spec: EtsSpec): { forecast: Float64Array; best: Candidate | null } {
  const n = y.length;
  const m = spec.period;
  const out = new Float64Array(n).fill(NaN);
  // The seasonal states start from the first cycle, so forecasting begins after it.
  const start = spec.season === 'N' ? 1 : m;
  if (n <= start) return { forecast: out, best: null };
  let mean0 = 0;
  for (let t = 0; t < start; t++) mean0 += y[t]!;
  mean0 /= start;
  const season = new Float64Array(m);
  if (spec.season !== 'N') for (let t = 0; t < m; t++) season[t] = y[t]! - mean0;
  const bank: Candidate[] = ALPHAS.map((alpha) => ({
    params: { alpha, beta: 0, gamma: spec.season === 'N' ? 0 : Math.min(GAMMA, 1 - alpha), phi: 1 },
    state: { level: spec.season === 'N' ? y[0]! : mean0, trend: 0, season: Float64Array.from(season) },
    mse: 0,
    mae: 0,
    guard: new EpisodeGuard(),
  }));
  const guardFrom = (spec.season === 'N' ? 1 : LEARN_CYCLES * m) + WARMUP;
  const bestOf = () => {
    let best = bank[0]!;
    for (const c of bank) if (c.mse < best.mse) best = c;
    return best;
  };
  for (let t = start; t < n; t++) {
    const best = bestOf();
    out[t] = pointForecast(spec, best.params, best.state, t, 1);
    for (const c of bank) {
      const mu = pointForecast(spec, c.params, c.state, t, 1);
      const e = y[t]! - mu;
      const warm = t - start >= WARMUP && c.mae > 0;
      // An episode's errors mostly leave the candidate as it was (an update with e = 0 changes nothing);
      // not before the seasonal states have seen their second cycle (large errors there are learning).
      if (!c.guard.admit(warm && t >= guardFrom ? Math.abs(e) / (1.2533 * c.mae) : NaN)) continue;
      const limit = CLIP * 1.2533 * c.mae;
      const clipped = !warm ? e : Math.max(-limit, Math.min(limit, e));
      step(spec, c.params, c.state, t, mu + clipped);
      c.mse += LAMBDA * (clipped * clipped - c.mse);
      c.mae += LAMBDA * (Math.abs(clipped) - c.mae);
    }
  }
  return { forecast: out, best: bestOf() };
}

/** In-sample one-step forecasts of the model fitted to the whole series (online ones if the fit fails). */
function batchForecasts(y: Float64Array, spec: EtsSpec): Float64Array {
  const fit = fitEtsSpec(y, spec);
  if (!fit) return onlineForecasts(y, spec).forecast;
  const fitted = new Float64Array(y.length);
  filter(spec, fit.params, fit.init, y, fitted);
  return fitted;
}

/** Overwrites the scores and expected values from `range.end` on with the frozen reference model's judgement. */
function judgeAfter(values: Float64Array, periods: readonly number[], range: IndexRange, scores: Float64Array, expected: Float64Array): void {
  const n = values.length;
  const { start, end } = range;
  const spec = specFor(periods.filter((m) => LEARN_CYCLES * m <= end - start));
  const { best } = onlineForecasts(values.subarray(start, end), spec);
  if (!best) return;
  // The frozen model's forecast for any later step (indices relative to the reference's start, as it ran).
  const frozen = (t: number) => pointForecast(spec, best.params, best.state, t - start, 1);
  const deviation = new Float64Array(n).fill(NaN);
  for (let t = start; t < n; t++) deviation[t] = values[t]! - frozen(t);
  const { z, centre, referenceZ } = standardiseAgainst(deviation, range, MIN_REFERENCE);
  const judged = calibratedAgainst(z, end, referenceZ);
  for (let t = end; t < n; t++) {
    scores[t] = judged[t]!;
    expected[t] = frozen(t) + centre[t]!;
  }
}

function score(values: Float64Array, { mode, periods, reference }: MethodOptions): MethodResult {
  const n = values.length;
  const spec = specFor(periods);
  const forecast = mode === 'online' ? onlineForecasts(values, spec).forecast : batchForecasts(values, spec);
  const error = new Float64Array(n).fill(NaN);
  // Online, the seasonal states start from one cycle and need a second before their errors are fair.
  const first = mode === 'online' ? Math.min(n, (spec.season === 'N' ? 1 : LEARN_CYCLES * spec.period) + WARMUP) : 0;
  for (let t = first; t < n; t++) error[t] = values[t]! - forecast[t]!;
  const { z, centre } = standardise(error, first, mode, SCALE_WINDOW, MIN_REFERENCE);
  const scores = calibratedScores(z, mode);
  const expected = forecast.map((f, t) => f + centre[t]!);
  const range = referenceIn(reference, n);
  if (range) judgeAfter(values, periods, range, scores, expected);
  return { scores, expected };
}

export const forecastInterval: AnomalyMethod = {
  name: 'forecast-interval',
  description: "Points outside an exponential smoothing model's one-step-ahead prediction interval (seasonal when the series is).",
  minPoints: (mode: DetectionMode) => (mode === 'online' ? 1 + WARMUP + MIN_REFERENCE + 1 : MIN_REFERENCE),
  score,
};
