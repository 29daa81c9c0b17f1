// Scores that peak at the onset of an episode. A metric that breaks stays broken, and every method's
// score stays high through the episode; a score stream used on its own (a chart, NAB's threshold
// optimiser, a consumer without the refractory rule) then flags the whole episode. So after a point at
// or above EPISODE_LEVEL, the next scores are damped: by gap/ONSET_WINDOW, gap the points since the
// last such point, so a score regains its full weight only after ONSET_WINDOW quieter points.
//
// The damping depends on the scores alone, never on the sensitivity, so reports stay monotone in it;
// and on earlier points only, so it is causal. Measured on NAB (bench:nab): the raw score stream
// rose from 42.1 to the figure bench:nab prints under "raw scores".
import { thresholdFor } from './calibration.js';

/** An episode lasts while scores reach the default sensitivity's threshold. */
export const EPISODE_LEVEL = thresholdFor(0.5);
/** Points a score needs after the last high one to count in full again. */
export const ONSET_WINDOW = 60;

/**
 * Damps `scores` in place from index `from` on; `lastHigh` is the index (possibly negative, or
 * −Infinity) of the last raw score ≥ EPISODE_LEVEL before `from`. Returns that index after the last
 * point (for the next run, relative to this run's indices).
 */
export function onsetScores(scores: Float64Array, from = 0, lastHigh = -Infinity): number {
  let last = lastHigh;
  for (let t = Math.max(0, from); t < scores.length; t++) {
    const raw = scores[t]!;
    const gap = t - last;
    if (gap < ONSET_WINDOW) scores[t] = (raw * gap) / ONSET_WINDOW;
    if (raw >= EPISODE_LEVEL) last = t;
  }
  return last;
}

/** The `states` key under which an online run keeps `lastHigh` (as ms-free steps before the end). */
export const ONSET_STATE = '@onset';

/** Encodes lastHigh relative to the end of the run (n values): a count of points before the next run's `from`. */
export function encodeOnset(lastHigh: number, n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, lastHigh - n, true);
  return b;
}

/** The inverse of encodeOnset for a run resuming at `from`; −Infinity when there is no saved state. */
export function decodeOnset(state: Uint8Array | undefined, from: number): number {
  if (!state || state.byteLength !== 8) return -Infinity;
  return from + new DataView(state.buffer, state.byteOffset, 8).getFloat64(0, true);
}
