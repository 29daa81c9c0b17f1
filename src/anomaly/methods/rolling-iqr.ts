// Rolling quantile fences: a point outside the quartiles of a window of raw values (at least two
// seasonal cycles long, so the whole pattern is inside). As with Tukey's fences the distance is
// measured from the nearer quartile, not the median, so a skewed metric (latency, counts) gets fences
// as asymmetric as its own quartiles. Online the window ends before the point; in batch it is
// centred. With a reference period the points after it are judged by the quartiles of the reference
// alone, and against its z's.
//
// This is the one method without the episode guard (../guard.ts), neither on its window nor on its
// history of z's: at ≥ 3000 points the window already takes ≥ 750 points of a sustained shift to move
// a quartile (slower than the guarded short references), clipping episode values to an envelope
// beyond the quartiles would change no quartile, and guarding either kept a drifting series (a random
// walk) out of its own range for as long as it drifted, which the other methods then confirmed.
import { robustZ, smallSampleZ } from '../calibration.js';
import type { AnomalyMethod, DetectionMode, MethodOptions, MethodResult } from '../detector.js';
import { RankWindow } from '../rank-window.js';
import { referenceIn } from '../reference.js';
import { referenceWindow, slide } from '../rolling.js';
import { calibratedAgainst, calibratedScores } from '../tail.js';

/** Reference size without seasonality. */
const WINDOW = 3000;
/** Seasonal cycles the window spans when the series has periods. */
const CYCLES = 2;
/** Fewest points in the reference for a score (quartiles of fewer points are too rough to fence with). */
const MIN_REFERENCE = 60;
/** Quartile of a standard normal: a Gaussian point at Q3 is 0.6745σ above the median. */
const Q3_Z = 0.6745;

/** z of y against the quartiles of window w (see the module comment); the expected value is the median. */
function fenceZ(w: RankWindow, y: number): { z: number; median: number } {
  const q1 = w.quantile(0.25);
  const q2 = w.quantile(0.5);
  const q3 = w.quantile(0.75);
  const sigma = w.robustSigma();
  // Beyond a quartile: that quartile's Gaussian z plus the excess in σ (= IQR / 1.349) units; inside
  // the box the distance from the median, which never matters (< 0.6745σ scores about 0).
  let z: number;
  if (y > q3 && q3 > q1) z = Q3_Z + robustZ(y - q3, sigma);
  else if (y < q1 && q3 > q1) z = Q3_Z + robustZ(q1 - y, sigma);
  else z = q3 > q1 ? Math.min(Q3_Z, robustZ(y - q2, sigma)) : robustZ(y - q2, sigma);
  return { z: smallSampleZ(z, w.size), median: q2 };
}

function score(values: Float64Array, { mode, periods, reference }: MethodOptions): MethodResult {
  const n = values.length;
  const size = Math.max(WINDOW, CYCLES * Math.max(0, ...periods));
  const zs = new Float64Array(n).fill(NaN);
  const expected = new Float64Array(n).fill(NaN);
  slide(values, referenceWindow(mode, size, n), (t, w) => {
    if (w.size < MIN_REFERENCE) return;
    const f = fenceZ(w, values[t]!);
    zs[t] = f.z;
    expected[t] = f.median;
  });
  const scores = calibratedScores(zs, mode, false);
  const range = referenceIn(reference, n);
  if (range && range.end - range.start >= MIN_REFERENCE) {
    const w = new RankWindow(values.subarray(range.start, range.end));
    for (let i = 0; i < range.end - range.start; i++) w.add(i);
    const history = new Float64Array(range.end - range.start);
    for (let t = range.start; t < range.end; t++) history[t - range.start] = fenceZ(w, values[t]!).z;
    const after = new Float64Array(n).fill(NaN);
    for (let t = range.end; t < n; t++) {
      const f = fenceZ(w, values[t]!);
      after[t] = f.z;
      expected[t] = f.median;
    }
    scores.set(calibratedAgainst(after, range.end, history).subarray(range.end), range.end);
  }
  return { scores, expected };
}

export const rollingIqr: AnomalyMethod = {
  name: 'rolling-iqr',
  description: 'Values outside the recent range (quartile fences of a window spanning at least two seasonal cycles), judged from the nearer quartile so skewed metrics are handled.',
  minPoints: (mode: DetectionMode) => MIN_REFERENCE + (mode === 'online' ? 1 : 0),
  score,
};
