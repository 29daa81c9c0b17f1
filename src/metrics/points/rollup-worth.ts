// Whether a day's points earn a rollup row of a resolution, answered without aggregating them.
// Pure, no I/O.
import { MIN_POINTS_PER_BUCKET } from '../../store/chunks/window.js';

/**
 * Exactly `rollupWorthKeeping(computeRollup(timestampsMs, values, resolutionMs))` (store/chunks/rollup.ts)
 * for ascending timestamps: at least MIN_POINTS_PER_BUCKET points a bucket over the buckets holding
 * points, counting buckets as computeRollup does (a new one wherever ⌊t / res⌋ changes). Stops as soon as
 * the buckets seen rule it out, so a day of a sparse series (a 5-minute series' 288 points at 5 minutes:
 * one point a bucket) is settled after about a tenth of its points instead of aggregating all of them
 * into a rollup that compaction would throw away.
 */
export function earnsRollup(timestampsMs: Float64Array, resolutionMs: number): boolean {
  const n = timestampsMs.length;
  if (n === 0) return false;
  const most = n / MIN_POINTS_PER_BUCKET;
  let buckets = 0;
  let prev = Number.NaN;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = timestampsMs[i]!;
    if (t >= lo && t <= hi) continue;
    const b = Math.floor(t / resolutionMs);
    if (b === prev) continue;
    if (++buckets > most) return false;
    prev = b;
    // Points inside [b·res, (b + 1)·res − 1] share b, as in computeRollup; others take the division.
    const start = b * resolutionMs;
    const end = start + resolutionMs;
    const exact = Number.isInteger(resolutionMs) && resolutionMs > 0 && resolutionMs <= EXACT_BOUND && start >= -EXACT_BOUND && end <= EXACT_BOUND;
    lo = exact ? start : Infinity;
    hi = exact ? end - 1 : -Infinity;
  }
  return true;
}

/** Integers up to this magnitude (and their multiples of a whole resolution) are exact doubles. */
const EXACT_BOUND = 2 ** 52;
