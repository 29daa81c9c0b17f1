/**
 * The series vocabulary: what a series' labels are and what makes two series the same one.
 * Ingest validates against these rules, the store keys series by {@link seriesIdentity}, and the
 * query, forecast, anomaly and alert code speak {@link Labels}; none of them owns it.
 */

/**
 * A series' dimensions (Prometheus' labels, minus the metric name): name → value, both strings.
 * Names follow {@link metricKeyPattern}; values are at most {@link maxDimensionValueLength} chars.
 */
export type Labels = Record<string, string>;

/** What a metric key and a dimension name must match: 1–200 chars, starting with a letter or `_`. */
export const metricKeyPattern = /^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$/;

/** How many dimensions one series may carry. */
export const maxDimensions = 32;

/** The longest dimension value, in UTF-16 code units. */
export const maxDimensionValueLength = 256;

/**
 * Canonical identity of a series: key plus dimensions sorted by name, joined with control
 * characters that neither a key nor a name can contain, so distinct series never collide.
 */
export function seriesIdentity(key: string, dimensions: Labels): string {
  const names = Object.keys(dimensions);
  if (names.length > 1) names.sort();
  let s = key;
  for (const n of names) s += `\u0000${n}\u0001${dimensions[n]}`;
  return s;
}
