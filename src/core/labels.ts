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
  return key + dimensionsIdentity(dimensions);
}

/**
 * The dimensions' part of {@link seriesIdentity} (the whole identity is the key followed by it): ''
 * without dimensions, else `\u0000name\u0001value` per dimension in name order. It starts with
 * U+0000, which no key contains, so the identity splits back into key and dimensions at its first
 * U+0000 (the series cache keys by the two parts).
 */
export function dimensionsIdentity(dimensions: Labels): string {
  const names = Object.keys(dimensions);
  if (names.length === 0) return '';
  // One dimension (the common case): no sort, one string made.
  if (names.length === 1) return namePrefix(names[0]!) + dimensions[names[0]!]!;
  names.sort();
  let s = '';
  for (const n of names) s += namePrefix(n) + dimensions[n]!;
  return s;
}

/** `\u0000name\u0001` of recent dimension names (a batch repeats a few): one string less per dimension. */
const prefixes = new Map<string, string>();

function namePrefix(name: string): string {
  let p = prefixes.get(name);
  if (p === undefined) {
    if (prefixes.size >= 1024) prefixes.clear();
    prefixes.set(name, (p = `\u0000${name}\u0001`));
  }
  return p;
}
