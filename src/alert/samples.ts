// Reading a window of a series' samples: what every rule that looks at points shares.
import type { SeriesInput } from './rule.js';

/** One finite sample, epoch ms. */
export interface Sample {
  t: number;
  v: number;
}

/**
 * The finite samples with fromMs ≤ t ≤ toMs, ascending (input is ascending, so the start is found by
 * binary search). Samples after `toMs` (normally now: clock skew, test data) are ignored, and so are
 * non-finite values, which ingest never stores but a caller could pass.
 */
export function samplesBetween(input: Pick<SeriesInput, 'timestampsMs' | 'values'>, fromMs: number, toMs: number): Sample[] {
  const ts = input.timestampsMs;
  const vs = input.values;
  const n = Math.min(ts.length, vs.length);
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < fromMs) lo = mid + 1;
    else hi = mid;
  }
  const out: Sample[] = [];
  for (let i = lo; i < n && ts[i]! <= toMs; i++) {
    const v = vs[i]!;
    if (Number.isFinite(v) && Number.isFinite(ts[i]!)) out.push({ t: ts[i]!, v });
  }
  return out;
}
