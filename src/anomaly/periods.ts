// Which seasonal periods the methods are given. Candidates come from the sampling interval (a day and
// a week, in steps); the M4-style test of src/forecast/seasonality.ts keeps those the data shows.
//
// batch:  tested once on the whole series.
// online: a period can only be used once it has been seen, so the series is cut into segments. Each
//         candidate m is tested at its checkpoint t = ONLINE_CYCLES·m on values[0..t); from there on the
//         periods found so far apply. Before the first checkpoint there are none. The segments depend
//         only on data before them, so scores stay causal.
import { detectSeasonalities } from '../forecast/seasonality.js';

const DAY_MS = 86_400_000;
/** Cycles of a candidate period seen before it is tested online. */
export const ONLINE_CYCLES = 3;

/** Median spacing of the timestamps in ms (NaN for fewer than two). */
export function medianStepMs(timestampsMs: ArrayLike<number>): number {
  const n = timestampsMs.length;
  if (n < 2) return NaN;
  const d = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = timestampsMs[i]! - timestampsMs[i - 1]!;
  d.sort();
  return d[(n - 1) >> 1]!;
}

/**
 * A day and a week in steps of the series' median spacing, kept when the spacing divides them within
 * 1% and they are at least 2 steps (daily data has no daily cycle, hourly data has both).
 */
export function candidatePeriods(timestampsMs: ArrayLike<number>): number[] {
  const step = medianStepMs(timestampsMs);
  if (!(step > 0)) return [];
  const out: number[] = [];
  for (const span of [DAY_MS, 7 * DAY_MS]) {
    const m = Math.round(span / step);
    if (m >= 2 && Math.abs(m * step - span) <= 0.01 * span) out.push(m);
  }
  return out;
}

/** From `start` on, the methods run with `periods`. */
export interface PeriodSegment {
  start: number;
  periods: number[];
}

/** The periods of the whole series (batch), as one segment. */
export function batchSegments(values: Float64Array, candidates: readonly number[]): PeriodSegment[] {
  return [{ start: 0, periods: detectSeasonalities(values, candidates) }];
}

/** Causal segments for online mode (see the module comment); consecutive equal period sets are merged. */
export function onlineSegments(values: Float64Array, candidates: readonly number[]): PeriodSegment[] {
  const segments: PeriodSegment[] = [{ start: 0, periods: [] }];
  const checkpoints = [...new Set(candidates.map((m) => ONLINE_CYCLES * Math.round(m)))].filter((c) => c < values.length).sort((a, b) => a - b);
  for (const c of checkpoints) {
    const testable = candidates.filter((m) => ONLINE_CYCLES * Math.round(m) <= c);
    const periods = detectSeasonalities(values.subarray(0, c), testable);
    if (periods.join() !== segments[segments.length - 1]!.periods.join()) segments.push({ start: c, periods });
  }
  return segments;
}
