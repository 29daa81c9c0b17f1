// Level shift: the median of the last few points against the median of the stretch before them, on
// the deseasonalised series, in robust standard deviations of that stretch. A shift needs more than
// half of RECENT points on the new level, so a lone spike never moves it. Online the recent window
// ends at t (the score rises about RECENT/2 points after the shift); in batch it starts at t, so the
// score peaks at the change point itself.
//
// Online the reference is the last REFERENCE points the episode guard admitted (../guard.ts): a point
// far from the reference's median enters it only one time in ADMIT_EVERY, so a shift stays a shift for
// about REFERENCE/2 · ADMIT_EVERY ≈ 200 points instead of REFERENCE/2 + RECENT. With a reference period,
// the points after it compare their recent median with the median and σ of the reference's
// deseasonalised values (its frozen seasonal profile removed).
import { baseline, referenceBaseline } from '../baseline.js';
import { robustZ } from '../calibration.js';
import type { AnomalyMethod, DetectionMode, IndexRange, MethodOptions, MethodResult } from '../detector.js';
import { AdmittedFifo, EpisodeGuard } from '../guard.js';
import { RankWindow } from '../rank-window.js';
import { referenceIn } from '../reference.js';
import { slide, type Bounds } from '../rolling.js';
import { calibratedAgainst, calibratedScores } from '../tail.js';

/** Points that must sit on the new level. */
const RECENT = 5;
/** Points of the old level the recent ones are compared with. */
const REFERENCE = 50;
/** Fewest reference points for a score. */
const MIN_REFERENCE = 20;

/** Online z's: recent median against the guarded reference (see the module comment). */
function onlineZ(adjusted: Float64Array, seasonal: Float64Array, ready: number, recentMedian: Float64Array, z: Float64Array, expected: Float64Array): void {
  const n = adjusted.length;
  const w = new RankWindow(adjusted);
  const fifo = new AdmittedFifo(REFERENCE);
  const guard = new EpisodeGuard();
  // The window's median and σ as the last step left them: the reference the next point joins.
  let median = NaN;
  let sigma = NaN;
  for (let t = 0; t < n; t++) {
    // The point leaving the recent window enters the reference, judged by the reference it joins
    // (not guarded before the seasonal profile is trusted: deviations there are the profile learning).
    const i = t - RECENT;
    if (i >= 0) {
      const own = i >= ready && !Number.isNaN(median) ? robustZ(adjusted[i]! - median, sigma) : NaN;
      if (guard.admit(own)) {
        w.add(i);
        const old = fifo.push(i);
        if (old >= 0) w.remove(old);
      }
    }
    median = NaN;
    if (w.size < MIN_REFERENCE || t < ready) continue;
    median = w.quantile(0.5);
    sigma = w.robustSigma();
    expected[t] = median + seasonal[t]!;
    z[t] = robustZ(recentMedian[t]! - median, sigma);
  }
}

/** Overwrites the scores and expected values from `range.end` on with the reference's judgement. */
function judgeAfter(values: Float64Array, periods: readonly number[], mode: DetectionMode, range: IndexRange, scores: Float64Array, expected: Float64Array): void {
  const n = values.length;
  const { start, end } = range;
  const ref = referenceBaseline(values, periods, range);
  const adjusted = new Float64Array(n);
  for (let t = start; t < n; t++) adjusted[t] = values[t]! - ref.seasonal[t]!;
  const inRef = adjusted.subarray(start, end);
  if (inRef.length < MIN_REFERENCE) return;
  const w = new RankWindow(inRef);
  for (let i = 0; i < inRef.length; i++) w.add(i);
  const before = w.quantile(0.5);
  const sigma = w.robustSigma();
  // Recent medians from `start` on, as the mode places the recent window.
  const recent = new Float64Array(n).fill(NaN);
  const from = adjusted.subarray(start);
  const len = from.length;
  const endOf = mode === 'online' ? (i: number) => i + 1 : (i: number) => Math.min(len, i + RECENT);
  slide(from, (i) => [Math.max(0, endOf(i) - RECENT), endOf(i)], (i, rw) => {
    if (rw.size >= (mode === 'online' ? RECENT : 1)) recent[start + i] = rw.quantile(0.5);
  });
  const z = new Float64Array(n).fill(NaN);
  for (let t = start; t < n; t++) if (!Number.isNaN(recent[t]!)) z[t] = robustZ(recent[t]! - before, sigma);
  // The reference's own recent windows (those inside it) are its history of z's.
  const history = z.slice(start, mode === 'online' ? end : Math.max(start, end - RECENT + 1));
  const judged = calibratedAgainst(z, end, history);
  for (let t = end; t < n; t++) {
    scores[t] = judged[t]!;
    expected[t] = before + ref.seasonal[t]!;
  }
}

function score(values: Float64Array, { mode, periods, reference }: MethodOptions): MethodResult {
  const n = values.length;
  const { seasonal, ready } = baseline(values, periods, mode);
  const adjusted = values.map((v, t) => v - seasonal[t]!);
  // online: recent = (t−RECENT, t], reference = the REFERENCE admitted points before it.
  // batch:  recent = [t, t+RECENT), reference = the REFERENCE points before t.
  const end = mode === 'online' ? (t: number) => t + 1 : (t: number) => Math.min(n, t + RECENT);
  const recentBounds: Bounds = (t) => [Math.max(0, end(t) - RECENT), end(t)];
  const recentMedian = new Float64Array(n);
  slide(adjusted, recentBounds, (t, w) => {
    recentMedian[t] = w.quantile(0.5);
  });
  const z = new Float64Array(n).fill(NaN);
  const expected = new Float64Array(n).fill(NaN);
  if (mode === 'online') onlineZ(adjusted, seasonal, ready, recentMedian, z, expected);
  else {
    const referenceBounds: Bounds = (t) => [Math.max(0, t - REFERENCE), t];
    slide(adjusted, referenceBounds, (t, w) => {
      if (w.size < MIN_REFERENCE || t < ready) return;
      const before = w.quantile(0.5);
      expected[t] = before + seasonal[t]!;
      z[t] = robustZ(recentMedian[t]! - before, w.robustSigma());
    });
  }
  const scores = calibratedScores(z, mode);
  const range = referenceIn(reference, n);
  if (range) judgeAfter(values, periods, mode, range, scores, expected);
  return { scores, expected };
}

export const levelShift: AnomalyMethod = {
  name: 'level-shift',
  description: 'Sustained changes of level: the median of the last few points against the median of the stretch before them, seasonality removed.',
  minPoints: (mode: DetectionMode) => MIN_REFERENCE + (mode === 'online' ? RECENT : 1),
  score,
};
