// Adaptation that anomalies cannot poison. The online references the methods judge a point against
// (level medians, residual and error scales, seasonal profiles, exponential smoothing states, the
// quartile window, the reference step size, the history of z's) follow the series so that a slow
// drift or a genuine change becomes normal. Left alone they follow an anomaly too: a failure that
// holds a metric 10σ away for hours fills every window within one window's length and is then called
// normal. So while a series is in an episode its values enter the references at a reduced rate:
//
//   - a point whose own z (against the reference it is about to enter, before entering it) is beyond
//     GUARD_Z is an episode point; the episode ends after CALM points in a row at or below it;
//   - the first point of an episode enters as usual (a repeated burst's onset is how the history
//     learns that such bursts are normal), then one episode point in `every`; the others are left
//     out, and the reference keeps its older, normal points instead of sliding past them.
//
// Rate: a reference that holds its last W admitted points, judged by its median, takes about
// W/2 · every points of a sustained shift to move to the new level, i.e. every/2 reference windows
// instead of half of one; then, its z's back below GUARD_Z, the change is normal again. Short
// references (tens of points: the level, the level-shift reference, the smoothing states) use
// ADMIT_EVERY = 8, so about 4 windows (≈ 100–200 points); long ones (hundreds: the residual scale, the
// reference step size) ADMIT_EVERY_LONG = 4, about 2 windows (≈ 600–1000 points): a scale that stays
// stale for thousands of points after a genuine change misjudges the next anomaly (measured on NAB:
// bench/episodes.ts). A point anomaly or a short burst is unaffected: its first point enters as
// before, the rest (a few) mostly do not. Decisions use only the point and earlier ones, so an online
// run stays causal.

/** z beyond which a point belongs to an episode (well past the default threshold's ≈ 3.2σ). */
export const GUARD_Z = 4;
/** One episode point in this many enters a short reference (the first always does). */
export const ADMIT_EVERY = 8;
/** ...and a long one (hundreds of points). */
export const ADMIT_EVERY_LONG = 4;
/** Points in a row at or below GUARD_Z that end an episode. */
export const CALM = 5;

let enabled = true;

/**
 * Switches the guard off (every point admitted, as before it existed) or back on, for tests and
 * benchmarks that measure what it changes. Per module instance: a worker thread has its own.
 */
export function setGuardEnabled(on: boolean): void {
  enabled = on;
}

/** Per reference, in point order: which points enter it. */
export class EpisodeGuard {
  /** Index of the current point within its episode; −1 outside one. */
  private run = -1;
  private calm = 0;

  private readonly on = enabled;

  /** `every`: one episode point in this many is admitted (≥ 1; 1 admits everything, Infinity only the first). */
  constructor(private readonly every = ADMIT_EVERY) {}

  /** Whether the point with this z (NaN: unknown, admitted) enters the reference. Call once per point, in order. */
  admit(z: number): boolean {
    if (!this.on || !(z > GUARD_Z)) {
      if (this.run >= 0 && ++this.calm >= CALM) this.run = -1;
      return true;
    }
    this.calm = 0;
    this.run++;
    return this.run % this.every === 0;
  }
}

/**
 * The last `capacity` admitted indices of a series, oldest first, as a ring: `push` returns the index
 * it evicts (−1 when none), for a window structure that adds and removes by index.
 */
export class AdmittedFifo {
  private readonly ring: Int32Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  push(i: number): number {
    let evicted = -1;
    if (this.count === this.capacity) {
      evicted = this.ring[this.head]!;
      this.ring[this.head] = i;
      this.head = (this.head + 1) % this.capacity;
    } else {
      this.ring[(this.head + this.count) % this.capacity] = i;
      this.count++;
    }
    return evicted;
  }
}
