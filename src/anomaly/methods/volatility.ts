// Volatility shift: the typical step size of the last few points against that of the stretch before
// them, both two-sided: a burst of noise (instability, contention, retries) and a metric that stops
// moving (a stuck sensor, a dead exporter reporting its last value). Steps are first differences of
// the deseasonalised series, so neither the level nor the daily pattern counts as movement.
//
// Online the reference holds the last REFERENCE steps the episode guard admitted (../guard.ts): the
// steps of a recent window whose z was beyond the guard enter one in ADMIT_EVERY_LONG, so a burst or
// a flatline that lasts stays one for about REFERENCE/2 · ADMIT_EVERY_LONG steps. With a reference
// period the points after it compare their recent step size with the reference's (its frozen
// seasonal profile removed), judged against the z's of the reference's own recent windows.
import { baseline, referenceBaseline } from '../baseline.js';
import type { AnomalyMethod, DetectionMode, IndexRange, MethodOptions, MethodResult } from '../detector.js';
import { ADMIT_EVERY_LONG, EpisodeGuard } from '../guard.js';
import { referenceIn } from '../reference.js';
import { calibratedAgainst, calibratedScores } from '../tail.js';

/** Steps in the recent window. */
const RECENT = 16;
/** Steps in the reference before it. */
const REFERENCE = 300;
/** Fewest reference steps for a score. */
const MIN_REFERENCE = 30;
/**
 * L = ln(recent / reference) · √RECENT is skewed (a mean of few absolute steps has a long lower tail).
 * Simulated on Gaussian noise, its 1-in-10⁴ quantiles are +2.84 and −4.32; dividing each side by these
 * scales puts both at the Gaussian 3.72, so z is in the usual σ units on either side.
 */
const UP_SCALE = 0.763;
const DOWN_SCALE = 1.161;

/** z of a recent mean step against a reference mean step, `len` steps recent (see UP_SCALE). */
function shiftZ(recent: number, reference: number, len: number): number {
  if (reference === 0 && recent === 0) return 0;
  const L = Math.log(recent / reference) * Math.sqrt(len);
  return L >= 0 ? L / UP_SCALE : -L / DOWN_SCALE;
}

/** Overwrites the scores from `range.end` on with the reference's judgement. */
function judgeAfter(values: Float64Array, periods: readonly number[], mode: DetectionMode, range: IndexRange, scores: Float64Array): void {
  const n = values.length;
  const { start, end } = range;
  const { seasonal } = referenceBaseline(values, periods, range);
  const prefix = new Float64Array(n + 1);
  for (let t = start + 1; t < n; t++) prefix[t + 1] = prefix[t]! + Math.abs(values[t]! - seasonal[t]! - (values[t - 1]! - seasonal[t - 1]!));
  const refSteps = end - (start + 1);
  if (refSteps < MIN_REFERENCE) return;
  const reference = (prefix[end]! - prefix[start + 1]!) / refSteps;
  const z = new Float64Array(n).fill(NaN);
  for (let t = start + 1; t < n; t++) {
    const re = mode === 'online' ? t + 1 : Math.min(n, t + RECENT);
    const rs = Math.max(start + 1, re - RECENT);
    if (re - rs < RECENT / 2) continue;
    z[t] = shiftZ((prefix[re]! - prefix[rs]!) / (re - rs), reference, re - rs);
  }
  // The reference's own recent windows (those inside it) are its history of z's.
  const history = z.slice(start, mode === 'online' ? end : Math.max(start, end - RECENT + 1));
  scores.set(calibratedAgainst(z, end, history).subarray(end), end);
}

function score(values: Float64Array, { mode, periods, reference }: MethodOptions): MethodResult {
  const n = values.length;
  const { seasonal, level, ready } = baseline(values, periods, mode);
  const step = new Float64Array(n);
  for (let t = Math.max(1, ready); t < n; t++) step[t] = Math.abs(values[t]! - seasonal[t]! - (values[t - 1]! - seasonal[t - 1]!));
  const first = Math.max(1, ready);
  // Windows of steps, as running sums in time order (the same operations whatever follows: causal to
  // the last bit). online: recent = (t − RECENT, t]; batch: recent = [t, t + RECENT). Reference: the
  // REFERENCE steps before the recent window (online: the last REFERENCE admitted ones).
  const recentEnd = (t: number) => (mode === 'online' ? t + 1 : Math.min(n, t + RECENT));
  const prefix = new Float64Array(n + 1);
  for (let t = 0; t < n; t++) prefix[t + 1] = prefix[t]! + (t >= first ? step[t]! : 0);
  const z = new Float64Array(n).fill(NaN);
  if (mode === 'online') {
    // admitted[k]: the sum of the first k admitted steps.
    const admitted = new Float64Array(n + 1);
    let k = 0;
    const guard = new EpisodeGuard(ADMIT_EVERY_LONG);
    for (let t = first; t < n; t++) {
      const i = t - RECENT;
      if (i >= first && guard.admit(z[i]!)) {
        admitted[k + 1] = admitted[k]! + step[i]!;
        k++;
      }
      const rs = Math.max(first, t + 1 - RECENT);
      const m = Math.min(k, REFERENCE);
      if (m < MIN_REFERENCE || t + 1 - rs < RECENT / 2) continue;
      z[t] = shiftZ((prefix[t + 1]! - prefix[rs]!) / (t + 1 - rs), (admitted[k]! - admitted[k - m]!) / m, t + 1 - rs);
    }
  } else {
    for (let t = first; t < n; t++) {
      const re = recentEnd(t);
      const rs = Math.max(first, re - RECENT);
      const fs = Math.max(first, rs - REFERENCE);
      if (rs - fs < MIN_REFERENCE || re - rs < RECENT / 2) continue;
      z[t] = shiftZ((prefix[re]! - prefix[rs]!) / (re - rs), (prefix[rs]! - prefix[fs]!) / (rs - fs), re - rs);
    }
  }
  const expected = seasonal.map((s, t) => s + level[t]!);
  const scores = calibratedScores(z, mode);
  const range = referenceIn(reference, n);
  if (range) judgeAfter(values, periods, mode, range, scores);
  return { scores, expected };
}

export const volatility: AnomalyMethod = {
  name: 'volatility',
  description: 'Changes in how much the series moves: bursts of noise, or a metric that stops moving (stuck or flat), seasonality removed.',
  minPoints: (mode: DetectionMode) => 1 + MIN_REFERENCE + (mode === 'online' ? RECENT : RECENT / 2),
  score,
};
