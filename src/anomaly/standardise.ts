// Residuals → robust z: each residual is measured against the median and robust σ of a reference
// window of residuals (trailing online, centred in batch). Online the window holds the last `window`
// residuals the episode guard admitted (./guard.ts; one in ADMIT_EVERY_LONG of an episode's), so a
// long anomaly does not widen the scale it is judged by; batch sees the whole series and keeps its
// centred window. After a reference period, the points are judged against the reference's residuals
// alone (`standardiseAgainst`).
import { robustZ, smallSampleZ } from './calibration.js';
import type { DetectionMode, IndexRange } from './detector.js';
import { ADMIT_EVERY_LONG, AdmittedFifo, EpisodeGuard } from './guard.js';
import { RankWindow } from './rank-window.js';
import { centred, slide } from './rolling.js';

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
  if (mode === 'online') {
    const w = new RankWindow(valid);
    const fifo = new AdmittedFifo(window);
    const guard = new EpisodeGuard(ADMIT_EVERY_LONG);
    for (let i = 0; i < valid.length; i++) {
      const t = first + i;
      let zt = NaN;
      if (w.size >= minReference) {
        const med = w.quantile(0.5);
        centre[t] = med;
        zt = z[t] = smallSampleZ(robustZ(r[t]! - med, w.robustSigma()), w.size);
      }
      if (!guard.admit(zt)) continue;
      w.add(i);
      const old = fifo.push(i);
      if (old >= 0) w.remove(old);
    }
    return { z, centre };
  }
  slide(valid, centred(window, valid.length), (i, w) => {
    if (w.size < minReference) return;
    const med = w.quantile(0.5);
    const t = first + i;
    centre[t] = med;
    z[t] = smallSampleZ(robustZ(r[t]! - med, w.robustSigma()), w.size);
  });
  return { z, centre };
}

/** z's of the points after a reference period, and of the reference's own points (its history of z's). */
export interface ReferenceStandardised extends Standardised {
  /** The z's of d[start, end) against the same statistics (for ./tail.ts `calibratedAgainst`). */
  referenceZ: Float64Array;
}

/**
 * Deviations d (NaN = unknown) judged against fixed statistics of the reference's own deviations
 * d[start, end): the median and robust σ of those (small-sample corrected for their number). Only
 * d[start..] is read. With fewer than `minReference` finite reference deviations nothing is scored.
 */
export function standardiseAgainst(d: Float64Array, { start, end }: IndexRange, minReference: number): ReferenceStandardised {
  const n = d.length;
  const z = new Float64Array(n).fill(NaN);
  const centre = new Float64Array(n).fill(NaN);
  const ref = new Float64Array(end - start);
  let m = 0;
  for (let t = start; t < end; t++) if (!Number.isNaN(d[t]!)) ref[m++] = d[t]!;
  const referenceZ = new Float64Array(m).fill(NaN);
  if (m < minReference) return { z, centre, referenceZ };
  const w = new RankWindow(ref.subarray(0, m));
  for (let i = 0; i < m; i++) w.add(i);
  const med = w.quantile(0.5);
  const sigma = w.robustSigma();
  const zOf = (v: number) => smallSampleZ(robustZ(v - med, sigma), m);
  for (let i = 0; i < m; i++) referenceZ[i] = zOf(ref[i]!);
  for (let t = end; t < n; t++) {
    if (Number.isNaN(d[t]!)) continue;
    centre[t] = med;
    z[t] = zOf(d[t]!);
  }
  return { z, centre, referenceZ };
}
