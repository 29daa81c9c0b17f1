// How far a forecast may plausibly go from its own history. Operational series are often bounded
// (percentages, queue lengths that drain) and bursty; a model that reads a burst as a trend, or an
// exponential back-transform of a log-scale fit, can extrapolate to values the series never came
// near (a CPU series that never exceeded 95 forecast at 1000). Two rules, in units of the history's
// spread R = max − min over n points, h steps ahead:
//   - a member's point forecast must stay within [min − R·(0.5 + h/n), max + R·(0.5 + h/n)] to be
//     combined (a trend that held over the whole history may continue at its pace: R·h/n);
//   - the combined forecast is then confined: its mean to that band, its interval bounds to
//     [min − R·(1 + 2h/n), max + R·(1 + 2h/n)], and at 0 from below when the history never was negative.
import type { Prediction } from './model.js';

/** What the rules need to know about a history. */
export interface HistoryRange {
  min: number;
  max: number;
  /** Points in the history. */
  n: number;
}

/** Min, max and length of y (y non-empty, finite). */
export function historyRange(y: ArrayLike<number>): HistoryRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, n: y.length };
}

/** How far beyond [min, max] a member's point forecast h steps ahead may go, in spreads. */
export function meanReach(h: number, n: number): number {
  return 0.5 + h / n;
}

/** How far beyond [min, max] an interval bound h steps ahead may go, in spreads. */
export function intervalReach(h: number, n: number): number {
  return 1 + (2 * h) / n;
}

const fmt = (x: number) => (Math.abs(x) >= 1e6 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : String(Math.round(x * 1000) / 1000));

/**
 * Why a member's forecast is implausible for its history, or null when it is not: a point forecast
 * beyond the mean band (see the file comment), or a non-finite value anywhere.
 */
export function implausibility(p: Prediction, r: HistoryRange): string | null {
  const h = p.mean.length;
  const spread = r.max - r.min;
  for (const a of [p.mean, ...p.intervals.flatMap((iv) => [iv.lower, iv.upper])]) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return 'non-finite forecast';
  }
  const reach = meanReach(h, r.n);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < h; i++) {
    lo = Math.min(lo, p.mean[i]!);
    hi = Math.max(hi, p.mean[i]!);
  }
  const above = spread > 0 ? (hi - r.max) / spread : hi > r.max ? Infinity : 0;
  const below = spread > 0 ? (r.min - lo) / spread : lo < r.min ? Infinity : 0;
  if (above > reach) return `forecast reaches ${fmt(hi)}, ${fmt(above)} ranges above the history's maximum ${fmt(r.max)} (at most ${fmt(reach)} allowed)`;
  if (below > reach) return `forecast reaches ${fmt(lo)}, ${fmt(below)} ranges below the history's minimum ${fmt(r.min)} (at most ${fmt(reach)} allowed)`;
  return null;
}

/** What `confine` changed: values moved per kind (0 when the forecast was inside its envelope). */
export interface Confinement {
  /** Point forecasts moved into the mean band. */
  mean: number;
  /** Interval bounds moved into the interval band (not counting those raised to 0). */
  bounds: number;
  /** Means or bounds raised to 0 for a history that never was negative. */
  atZero: number;
}

/**
 * The forecast with its mean and bounds confined to the envelope of the history (see the file
 * comment), the intervals kept ordered (lower ≤ mean ≤ upper) and nested (a higher level never
 * narrower). Returns new arrays; `p` is not modified.
 */
export function confine(p: Prediction, r: HistoryRange): { prediction: Prediction; changed: Confinement } {
  const h = p.mean.length;
  const spread = r.max - r.min;
  const floor = r.min >= 0 ? 0 : -Infinity;
  const changed: Confinement = { mean: 0, bounds: 0, atZero: 0 };
  const band = (reach: number) => [r.min - spread * reach, r.max + spread * reach] as const;
  const clamp = (v: number, [lo, hi]: readonly [number, number], kind: 'mean' | 'bounds') => {
    let x = v;
    if (x < floor) {
      x = floor;
      changed.atZero++;
    }
    if (!(x >= lo)) {
      x = lo;
      changed[kind]++;
    } else if (x > hi) {
      x = hi;
      changed[kind]++;
    }
    return x;
  };
  const meanBand = band(meanReach(h, r.n));
  const boundBand = band(intervalReach(h, r.n));
  const mean = p.mean.map((v) => clamp(v, meanBand, 'mean'));
  const intervals = p.intervals.map((iv) => ({
    level: iv.level,
    lower: iv.lower.map((v, i) => Math.min(clamp(v, boundBand, 'bounds'), mean[i]!)),
    upper: iv.upper.map((v, i) => Math.max(clamp(v, boundBand, 'bounds'), mean[i]!)),
  }));
  const byLevel = [...intervals].sort((a, b) => a.level - b.level);
  for (let k = 1; k < byLevel.length; k++) {
    const inner = byLevel[k - 1]!;
    const outer = byLevel[k]!;
    for (let i = 0; i < h; i++) {
      outer.lower[i] = Math.min(outer.lower[i]!, inner.lower[i]!);
      outer.upper[i] = Math.max(outer.upper[i]!, inner.upper[i]!);
    }
  }
  return { prediction: { mean, intervals }, changed };
}
