// Level shift: the median of the last few points against the median of the stretch before them, on
// the deseasonalised series, in robust standard deviations of that stretch. A shift needs more than
// half of RECENT points on the new level, so a lone spike never moves it. Online the recent window
// ends at t (the score rises about RECENT/2 points after the shift); in batch it starts at t, so the
// score peaks at the change point itself.
import { baseline } from '../baseline.js';
import { robustZ } from '../calibration.js';
import type { AnomalyMethod, DetectionMode, MethodOptions, MethodResult } from '../detector.js';
import { slide, type Bounds } from '../rolling.js';
import { calibratedScores } from '../tail.js';

/** Points that must sit on the new level. */
const RECENT = 5;
/** Points of the old level the recent ones are compared with. */
const REFERENCE = 50;
/** Fewest reference points for a score. */
const MIN_REFERENCE = 20;

function score(values: Float64Array, { mode, periods }: MethodOptions): MethodResult {
  const n = values.length;
  const { seasonal, ready } = baseline(values, periods, mode);
  const adjusted = values.map((v, t) => v - seasonal[t]!);
  // online: recent = (t−RECENT, t], reference = the REFERENCE points before it.
  // batch:  recent = [t, t+RECENT), reference = the REFERENCE points before t.
  const end = mode === 'online' ? (t: number) => t + 1 : (t: number) => Math.min(n, t + RECENT);
  const recentBounds: Bounds = (t) => [Math.max(0, end(t) - RECENT), end(t)];
  const refEnd = mode === 'online' ? (t: number) => Math.max(0, t + 1 - RECENT) : (t: number) => t;
  const referenceBounds: Bounds = (t) => [Math.max(0, refEnd(t) - REFERENCE), refEnd(t)];
  const recentMedian = new Float64Array(n);
  slide(adjusted, recentBounds, (t, w) => {
    recentMedian[t] = w.quantile(0.5);
  });
  const z = new Float64Array(n).fill(NaN);
  const expected = new Float64Array(n).fill(NaN);
  slide(adjusted, referenceBounds, (t, w) => {
    if (w.size < MIN_REFERENCE || t < ready) return;
    const before = w.quantile(0.5);
    expected[t] = before + seasonal[t]!;
    z[t] = robustZ(recentMedian[t]! - before, w.robustSigma());
  });
  return { scores: calibratedScores(z, mode), expected };
}

export const levelShift: AnomalyMethod = {
  name: 'level-shift',
  description: 'Sustained changes of level: the median of the last few points against the median of the stretch before them, seasonality removed.',
  minPoints: (mode: DetectionMode) => MIN_REFERENCE + (mode === 'online' ? RECENT : 1),
  score,
};
