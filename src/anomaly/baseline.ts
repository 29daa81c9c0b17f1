// What a series "normally" is at each point, split into a seasonal part and a local level, for the
// methods that judge residuals (robust z-score), shifts of the level (level shift) or its steps
// (volatility).
//
// batch:  seasonal = robust MSTL (src/forecast/stl.ts) over the detected periods; level = centred
//         moving median of the deseasonalised series.
// online: seasonal = per phase, the median of the last CYCLES cycles' detrended values; level = the
//         median of the last LEVEL_WINDOW deseasonalised values. Both are updated after point t is
//         read, so the baseline at t depends only on values before t. A point far from the level (in
//         robust σ of recent deviations) is an episode point (./guard.ts): only one in ADMIT_EVERY of
//         them enters the level's window, so a sustained shift takes about
//         LEVEL_WINDOW/2 · ADMIT_EVERY ≈ 100 points to become the level instead of 13. The seasonal
//         profile is not guarded: a profile still converging must learn the phases it gets wrong
//         (guarded, it kept them wrong and raised false alarms on NAB's noise-free daily series), and
//         as a median of CYCLES cycles per phase it takes 3 cycles to absorb a shift anyway.
//
// With a reference period, `referenceBaseline` learns the same online model from values[start, end)
// alone and freezes it: a seasonal profile and one level, the median of the reference's deseasonalised
// values (what "normal" was during the reference), for the points after it.
import { mstl } from '../forecast/stl.js';
import type { DetectionMode, IndexRange } from './detector.js';
import { EpisodeGuard } from './guard.js';
import { centred, slide } from './rolling.js';
import { SortedWindow } from './sorted-window.js';

/** Cycles remembered per seasonal phase online: a median of 5 ignores one or two odd days. */
const CYCLES = 5;
/** STL robustness iterations in batch: enough that an anomaly does not bend the pattern around it. */
const STL_ROBUST_ITERATIONS = 2;
/** Points in the level's moving median. */
const LEVEL_WINDOW = 25;
/** Points the online level needs before it is trusted. */
const LEVEL_MIN = 5;
/** Recent deviations from the level whose median sets the online guard's scale. */
const SCALE_WINDOW = 49;
/** MAD → σ for Gaussian data. */
const MAD_SIGMA = 1.4826;
/** Points before the first online residual without seasonality (for the methods' minPoints). */
export const BASELINE_MIN = LEVEL_MIN;
/** Cycles an online seasonal model must have seen before its residuals mean anything. */
export const LEARN_CYCLES = 2;

export interface Baseline {
  /** Seasonal component per point (0 without periods). */
  seasonal: Float64Array;
  /** Local level of values − seasonal per point; NaN where not yet known (online warm-up). */
  level: Float64Array;
  /**
   * First point whose baseline is trustworthy: online, the level has LEVEL_MIN points and the seasonal
   * profile has seen LEARN_CYCLES cycles of every period; 0 in batch. Residuals before it should not
   * be scored nor enter any reference (they would inflate it).
   */
  ready: number;
}

/**
 * Online seasonal profile: for each period, CYCLES detrended values per phase; the component is their
 * median. Several periods share the residual: each stores what the others do not explain.
 */
class CausalSeasonal {
  private readonly buffers: Float64Array[];
  private readonly visits: Int32Array[];
  private readonly components: Float64Array[];
  private readonly scratch = new Float64Array(CYCLES);

  constructor(private readonly periods: readonly number[]) {
    this.buffers = periods.map((m) => new Float64Array(m * CYCLES));
    this.visits = periods.map((m) => new Int32Array(m));
    this.components = periods.map((m) => new Float64Array(m));
  }

  /** The seasonal estimate for step t. */
  at(t: number): number {
    let s = 0;
    for (let k = 0; k < this.periods.length; k++) s += this.components[k]![t % this.periods[k]!]!;
    return s;
  }

  /** Learns from u = y[t] − level at step t. */
  update(t: number, u: number): void {
    const total = this.at(t);
    for (let k = 0; k < this.periods.length; k++) {
      const ph = t % this.periods[k]!;
      const comp = this.components[k]!;
      const own = u - (total - comp[ph]!);
      const v = this.visits[k]!;
      const buf = this.buffers[k]!;
      buf[ph * CYCLES + (v[ph]! % CYCLES)] = own;
      v[ph] = v[ph]! + 1;
      const filled = Math.min(v[ph]!, CYCLES);
      for (let j = 0; j < filled; j++) this.scratch[j] = buf[ph * CYCLES + j]!;
      const sorted = this.scratch.subarray(0, filled).sort();
      comp[ph] = filled % 2 === 1 ? sorted[filled >> 1]! : 0.5 * (sorted[(filled >> 1) - 1]! + sorted[filled >> 1]!);
    }
  }
}

/** Points before the online baseline is trusted (see Baseline.ready), for a series of n points. */
function readyAt(n: number, periods: readonly number[]): number {
  return Math.min(n, Math.max(LEVEL_MIN, LEARN_CYCLES * Math.max(0, ...periods)));
}

/**
 * The guarded online recursion over y[from, to), writing seasonal[t] and level[t] (absolute indices,
 * so phases line up). Until the profile is trusted (`readyAt` points in) nothing is guarded: a
 * deviation there is the model still learning, not an episode.
 */
function runOnline(y: Float64Array, periods: readonly number[], from: number, to: number, seasonal: Float64Array, level: Float64Array): CausalSeasonal | null {
  const profile = periods.length ? new CausalSeasonal(periods) : null;
  const win = new SortedWindow(LEVEL_WINDOW);
  const spread = new SortedWindow(SCALE_WINDOW);
  const guard = new EpisodeGuard();
  const guardFrom = from + readyAt(Infinity, periods);
  for (let t = from; t < to; t++) {
    const s = profile ? profile.at(t) : 0;
    seasonal[t] = s;
    const u = y[t]! - s;
    const lv = win.size >= LEVEL_MIN ? win.median() : NaN;
    level[t] = lv;
    const dev = Math.abs(u - lv);
    const sigma = MAD_SIGMA * spread.median();
    // A flat or unknown scale cannot tell an episode: everything is admitted then.
    if (guard.admit(sigma > 0 && t >= guardFrom ? dev / sigma : NaN)) {
      win.push(u);
      if (!Number.isNaN(lv)) spread.push(dev);
    }
    // The level after this point is read detrends it for the profile (no NaN at the start).
    profile?.update(t, y[t]! - win.median());
  }
  return profile;
}

function onlineBaseline(y: Float64Array, periods: readonly number[]): Baseline {
  const n = y.length;
  const seasonal = new Float64Array(n);
  const level = new Float64Array(n);
  runOnline(y, periods, 0, n, seasonal, level);
  return { seasonal, level, ready: readyAt(n, periods) };
}

/** A frozen model of normal learnt from a reference period. */
export interface ReferenceBaseline {
  /** Seasonal component per point from `start` on (0 before it, and without periods). */
  seasonal: Float64Array;
  /** The level: the median of the reference's deseasonalised values. */
  level: number;
}

/**
 * The online model learnt from y[start, end) alone, frozen at its end (see the module comment). Periods
 * the reference does not hold LEARN_CYCLES cycles of are left out. Needs end > start.
 */
export function referenceBaseline(y: Float64Array, periods: readonly number[], { start, end }: IndexRange): ReferenceBaseline {
  const n = y.length;
  const usable = periods.filter((m) => LEARN_CYCLES * m <= end - start);
  const seasonal = new Float64Array(n);
  const profile = runOnline(y, usable, start, end, seasonal, new Float64Array(n));
  for (let t = start; t < n; t++) seasonal[t] = profile ? profile.at(t) : 0;
  const adjusted = new Float64Array(end - start);
  for (let t = start; t < end; t++) adjusted[t - start] = y[t]! - seasonal[t]!;
  adjusted.sort();
  const k = adjusted.length;
  const level = k % 2 === 1 ? adjusted[k >> 1]! : 0.5 * (adjusted[(k >> 1) - 1]! + adjusted[k >> 1]!);
  return { seasonal, level };
}

function batchBaseline(y: Float64Array, periods: readonly number[]): Baseline {
  const n = y.length;
  const seasonal = new Float64Array(n);
  if (periods.length) {
    const dec = mstl(y, periods, { robustIterations: STL_ROBUST_ITERATIONS });
    for (const s of dec.seasonals) for (let t = 0; t < n; t++) seasonal[t] = seasonal[t]! + s[t]!;
  }
  const adjusted = y.map((v, t) => v - seasonal[t]!);
  const level = new Float64Array(n);
  slide(adjusted, centred(LEVEL_WINDOW, n), (t, w) => {
    level[t] = w.quantile(0.5);
  });
  return { seasonal, level, ready: 0 };
}

/** The baseline of y (see the module comment). */
export function baseline(y: Float64Array, periods: readonly number[], mode: DetectionMode): Baseline {
  return mode === 'online' ? onlineBaseline(y, periods) : batchBaseline(y, periods);
}
