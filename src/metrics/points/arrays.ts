// Small operations on ascending point arrays, shared by the readers and detection.
import type { PointArrays } from './types.js';

/** The first index i ≥ lo with xs[i] ≥ x (xs ascending). */
export function lowerBound(xs: Float64Array, x: number, lo = 0): number {
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Concatenates parts that are already in time order (each ascending, each after the previous). */
export function concatInOrder(parts: readonly PointArrays[]): PointArrays {
  if (parts.length === 1) return parts[0]!;
  const n = parts.reduce((k, p) => k + p.timestampsMs.length, 0);
  const out = { timestampsMs: new Float64Array(n), values: new Float64Array(n) };
  let at = 0;
  for (const p of parts) {
    out.timestampsMs.set(p.timestampsMs, at);
    out.values.set(p.values, at);
    at += p.timestampsMs.length;
  }
  return out;
}

/** Merges two ascending point sets into a new one; on an equal timestamp `newer`'s value wins. */
export function mergeNewerWins(older: PointArrays, newer: PointArrays): PointArrays {
  const at = older.timestampsMs;
  const bt = newer.timestampsMs;
  const t = new Float64Array(at.length + bt.length);
  const v = new Float64Array(t.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < at.length || j < bt.length) {
    if (j >= bt.length || (i < at.length && at[i]! < bt[j]!)) {
      t[n] = at[i]!;
      v[n++] = older.values[i++]!;
    } else {
      if (i < at.length && at[i] === bt[j]) i++;
      t[n] = bt[j]!;
      v[n++] = newer.values[j++]!;
    }
  }
  return { timestampsMs: t.subarray(0, n), values: v.subarray(0, n) };
}
