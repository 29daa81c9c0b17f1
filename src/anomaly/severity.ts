// Severity bands of an anomaly's score (its ensemble confidence, ./calibration.ts). The bands are fixed
// on the score, not on the sensitivity: a 0.95 is "high" whichever sensitivity flagged it, and a
// higher sensitivity only adds anomalies at the low end. The σ column is what one method alone would
// need (the ensemble needs about half its weight this confident).
//
//   band       score            one method's z
//   low        < 0.85           < 4.6σ   (at the default sensitivity: 0.56 to 0.85)
//   medium     [0.85, 0.92)     4.6 – 5.5σ
//   high       [0.92, 0.97)     5.5 – 7.2σ
//   critical   ≥ 0.97           ≥ 7.2σ, or beyond anything in the series' history

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Lower bounds of the bands above `low`, highest first. */
export const SEVERITY_BANDS: readonly { severity: Severity; min: number }[] = Object.freeze([
  { severity: 'critical', min: 0.97 },
  { severity: 'high', min: 0.92 },
  { severity: 'medium', min: 0.85 },
]);

/** The band of a score in [0, 1]. */
export function severityOf(score: number): Severity {
  for (const b of SEVERITY_BANDS) if (score >= b.min) return b.severity;
  return 'low';
}
