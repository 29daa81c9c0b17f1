// Rolling quantile fences: a point outside the quartiles of a window of raw values (at least two
// seasonal cycles long, so the whole pattern is inside). As with Tukey's fences the distance is
// measured from the nearer quartile, not the median, so a skewed metric (latency, counts) gets fences
// as asymmetric as its own quartiles. Online the window ends before the point; in batch it is centred.
import { robustZ, smallSampleZ } from '../calibration.js';
import type { AnomalyMethod, DetectionMode, MethodOptions, MethodResult } from '../detector.js';
import { referenceWindow, slide } from '../rolling.js';
import { calibratedScores } from '../tail.js';

/** Reference size without seasonality. */
const WINDOW = 3000;
/** Seasonal cycles the window spans when the series has periods. */
const CYCLES = 2;
/** Fewest points in the reference for a score (quartiles of fewer points are too rough to fence with). */
const MIN_REFERENCE = 60;
/** Quartile of a standard normal: a Gaussian point at Q3 is 0.6745σ above the median. */
const Q3_Z = 0.6745;

function score(values: Float64Array, { mode, periods }: MethodOptions): MethodResult {
  const n = values.length;
  const size = Math.max(WINDOW, CYCLES * Math.max(0, ...periods));
  const zs = new Float64Array(n).fill(NaN);
  const expected = new Float64Array(n).fill(NaN);
  slide(values, referenceWindow(mode, size, n), (t, w) => {
    if (w.size < MIN_REFERENCE) return;
    const q1 = w.quantile(0.25);
    const q2 = w.quantile(0.5);
    const q3 = w.quantile(0.75);
    const y = values[t]!;
    expected[t] = q2;
    const sigma = w.robustSigma();
    // Beyond a quartile: that quartile's Gaussian z plus the excess in σ (= IQR / 1.349) units; inside
    // the box the distance from the median, which never matters (< 0.6745σ scores about 0).
    let z: number;
    if (y > q3 && q3 > q1) z = Q3_Z + robustZ(y - q3, sigma);
    else if (y < q1 && q3 > q1) z = Q3_Z + robustZ(q1 - y, sigma);
    else z = q3 > q1 ? Math.min(Q3_Z, robustZ(y - q2, sigma)) : robustZ(y - q2, sigma);
    zs[t] = smallSampleZ(z, w.size);
  });
  return { scores: calibratedScores(zs, mode), expected };
}

export const rollingIqr: AnomalyMethod = {
  name: 'rolling-iqr',
  description: 'Values outside the recent range (quartile fences of a window spanning at least two seasonal cycles), judged from the nearer quartile so skewed metrics are handled.',
  minPoints: (mode: DetectionMode) => MIN_REFERENCE + (mode === 'online' ? 1 : 0),
  score,
};
