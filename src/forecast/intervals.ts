// Turning a point forecast and a per-step spread into the contract's prediction intervals.
import type { Interval, Prediction } from './model.js';
import { zForLevel } from './normal.js';
import { quantileSorted } from './stats.js';

/** Throws RangeError unless every level is a number in (0, 100). */
export function checkLevels(levels: readonly number[]): void {
  for (const l of levels) if (!(l > 0 && l < 100)) throw new RangeError(`interval level must be in (0, 100), got ${l}`);
}

/** Throws RangeError unless h is a whole number ≥ 1. */
export function checkHorizon(h: number): void {
  if (!Number.isInteger(h) || h < 1) throw new RangeError(`horizon must be a whole number ≥ 1, got ${h}`);
}

/** Symmetric normal intervals mean ± z·sd[i] per level (sd may be 0: the interval is then the point). */
export function normalIntervals(mean: Float64Array, sd: Float64Array, levels: readonly number[]): Interval[] {
  return levels.map((level) => {
    const z = zForLevel(level);
    const lower = new Float64Array(mean.length);
    const upper = new Float64Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      lower[i] = mean[i]! - z * sd[i]!;
      upper[i] = mean[i]! + z * sd[i]!;
    }
    return { level, lower, upper };
  });
}

/**
 * A forecast with normal errors: `step(i)` gives the mean and standard deviation i + 1 steps ahead.
 * Checks h and the levels first.
 */
export function normalForecast(h: number, levels: readonly number[], step: (i: number) => { mean: number; sd: number }): Prediction {
  checkHorizon(h);
  checkLevels(levels);
  const mean = new Float64Array(h);
  const sd = new Float64Array(h);
  for (let i = 0; i < h; i++) {
    const s = step(i);
    mean[i] = s.mean;
    sd[i] = s.sd;
  }
  return { mean, intervals: normalIntervals(mean, sd, levels) };
}

/**
 * Intervals from simulated sample paths: paths[i] holds the draws of step i (sorted in place here).
 * Each level's bounds are the (50 ∓ level/2) percent quantiles of the draws.
 */
export function sampleIntervals(paths: Float64Array[], levels: readonly number[]): Interval[] {
  for (const p of paths) p.sort();
  return levels.map((level) => {
    const lower = new Float64Array(paths.length);
    const upper = new Float64Array(paths.length);
    for (let i = 0; i < paths.length; i++) {
      lower[i] = quantileSorted(paths[i]!, 0.5 - level / 200);
      upper[i] = quantileSorted(paths[i]!, 0.5 + level / 200);
    }
    return { level, lower, upper };
  });
}

/** Maps every array of a prediction through f (e.g. exp after a log-scale fit, or adding seasonality). */
export function mapIntervals(intervals: Interval[], f: (v: number, i: number) => number): Interval[] {
  return intervals.map(({ level, lower, upper }) => ({ level, lower: lower.map(f), upper: upper.map(f) }));
}
