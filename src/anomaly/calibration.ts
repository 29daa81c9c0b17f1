// The one score scale every method and the ensemble share, and the sensitivity → threshold map.
//
// Each method measures how far a point is from what it expected in robust standard deviations (a
// "z"), then maps z through the same monotone curve, so that a score means the same thing whichever
// method produced it:
//
//     confidence(z) = z^K / (z^K + Z_HALF^K),   Z_HALF = 3, K = 4
//
//     z      0     1      2      3     4     5     6     8
//     score  0   0.012  0.165  0.50  0.76  0.89  0.94  0.98
//
// A 3σ departure is a coin toss (Gaussian noise exceeds it 0.27% of the time, heavy-tailed operational
// noise far more often); 5σ is 0.89. The curve starts at 0, so a point exactly as expected scores 0.

/** The z at which confidence is one half. */
export const Z_HALF = 3;
/** Steepness of the curve (a Hill exponent). */
const K = 4;

/** Maps a departure of z robust standard deviations (z ≥ 0; Infinity allowed) to a confidence in [0, 1]. */
export function confidence(z: number): number {
  if (!(z > 0)) return 0;
  if (z === Infinity) return 1;
  const r = (z / Z_HALF) ** K;
  return r / (1 + r);
}

/** The inverse of `confidence`: the z that maps to score s in [0, 1). */
export function zForConfidence(s: number): number {
  if (!(s > 0)) return 0;
  if (s >= 1) return Infinity;
  return Z_HALF * (s / (1 - s)) ** (1 / K);
}

/**
 * |dev| / sigma, with the degenerate scale of a perfectly constant reference handled: no departure is
 * 0, any departure is infinite (a flat line that moves is as surprising as it gets).
 */
export function robustZ(dev: number, sigma: number): number {
  const d = Math.abs(dev);
  if (sigma > 0) return d / sigma;
  return d > 0 ? Infinity : 0;
}

/** Efficiency of the IQR as a scale estimate (asymptotic variance ratio to the standard deviation). */
const IQR_EFFICIENCY = 0.37;

/**
 * A z measured with a robust σ estimated from `m` values, as the Gaussian z of the same tail: the
 * estimate's own error makes z behave like Student's t with about 0.37·m degrees of freedom, and
 * z·(1 − 1/(4ν)) / √(1 + z²/(2ν)) is the classic normal approximation of a t quantile. With a few
 * dozen reference points a "4σ" is really about 3.2σ; with 500 it is 3.9σ.
 */
export function smallSampleZ(z: number, m: number): number {
  const nu = IQR_EFFICIENCY * m;
  if (!(nu > 1) || z === Infinity) return z;
  return (z * (1 - 1 / (4 * nu))) / Math.sqrt(1 + (z * z) / (2 * nu));
}

/** Thresholds at sensitivity 0, ½ and 1; straight lines in between. */
const T_AT_0 = 1.05;
const T_AT_HALF = 0.56;
const T_AT_1 = 0.3;

/**
 * The score a point needs to be an anomaly at `sensitivity` ∈ [0, 1]. Strictly decreasing, so raising
 * the sensitivity can only add anomalies:
 *
 *     sensitivity        0      0.25    0.5     0.75    1
 *     threshold          1.05   0.805   0.56    0.43    0.30
 *     single-method z    —      4.3σ    3.2σ    2.8σ    2.4σ
 *
 * At 0 the threshold is above any score, so nothing is ever flagged.
 *
 * The default 0.5 (≈ 3.2σ, a two-sided Gaussian tail of 0.14%) is the balanced trade of NAB's standard
 * cost profile, where a false alarm costs 0.11 of a missed anomaly: on NAB's 58 operational series
 * the best threshold lies at 0.53–0.59 (bench:nab). On pure Gaussian noise it reports about one
 * anomaly per thousand points, so it suits an anomaly list and severity-gated alerts. 0.25 (≈ 4.3σ) is
 * the conservative setting for paging on raw anomalies: clean seeded series raise nothing there.
 */
export function thresholdFor(sensitivity: number): number {
  return sensitivity <= 0.5 ? T_AT_0 - (T_AT_0 - T_AT_HALF) * 2 * sensitivity : T_AT_HALF - (T_AT_HALF - T_AT_1) * 2 * (sensitivity - 0.5);
}

/** The sensitivity at which clean series raise nothing (tests hold it to that); see thresholdFor. */
export const CONSERVATIVE_SENSITIVITY = 0.25;
