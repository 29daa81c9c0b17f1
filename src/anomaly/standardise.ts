// Residuals → robust z: each residual is measured against the median and robust σ of a reference
// window of residuals (trailing online, centred in batch).
import { robustZ, smallSampleZ } from './calibration.js';
import type { DetectionMode } from './detector.js';
import { referenceWindow, slide } from './rolling.js';

export interface Standardised {
  /** |r − centre| / σ per point (small-sample corrected); NaN where unknown or the reference is too small. */
  z: Float64Array;
  /** Median of the reference residuals per point (the typical residual: add it to the expected value). */
  centre: Float64Array;
}

/**
 * Scores residuals r (NaN = unknown, e.g. the warm-up before `first`; only r[first..] may be finite).
 * `window`: reference size in points; a point needs at least `minReference` reference residuals.
 */
export function standardise(r: Float64Array, first: number, mode: DetectionMode, window: number, minReference: number): Standardised {
  const n = r.length;
  const z = new Float64Array(n).fill(NaN);
  const centre = new Float64Array(n).fill(NaN);
  if (first >= n) return { z, centre };
  const valid = r.subarray(first);
  const bounds = referenceWindow(mode, window, valid.length);
  slide(valid, bounds, (i, w) => {
    if (w.size < minReference) return;
    const med = w.quantile(0.5);
    const t = first + i;
    centre[t] = med;
    z[t] = smallSampleZ(robustZ(r[t]! - med, w.robustSigma()), w.size);
  });
  return { z, centre };
}
