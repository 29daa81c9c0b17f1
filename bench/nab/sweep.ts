// What one detection on each row would be worth: NAB's Sweeper.calcSweepScore, before weighting.
// The roles and values depend only on the file's length and windows, never on a detector.
import type { Profile } from './profiles.js';
import type { RowWindow } from './windows.js';

/** Share of each file's rows that NAB leaves unscored while a detector learns. */
export const PROBATION_FRACTION = 0.15;

/** `role` of a row outside every window: a detection there is a false positive. */
export const OUTSIDE = -1;
/** `role` of a probationary row: never scored. */
export const PROBATION = -2;

/**
 * Rows at the start of a file that NAB does not score: min(floor(0.15 · rows), 750), computed with
 * NAB's floating-point expression so the rounding of 0.15 · rows agrees.
 */
export function probationLength(rows: number): number {
  return Math.min(Math.floor(PROBATION_FRACTION * rows), PROBATION_FRACTION * 5000);
}

/**
 * NAB's scaled sigmoid of a relative position y: 2·sigmoid(−5y) − 1, so +0.987 at y = −1 (a
 * window's left edge), 0 at y = 0, and exactly −1 beyond y > 3 (a false positive far from any
 * window). Evaluated in NAB's order of operations.
 */
export function scaledSigmoid(y: number): number {
  if (y > 3) return -1;
  return 2 * (1 / (1 + Math.exp(5 * y))) - 1;
}

/** S(−1): a detection at a window's left edge; true positives are divided by it so that edge earns tpWeight. */
export const MAX_TP = scaledSigmoid(-1);

/** Per-row roles and unweighted sweep values of one file (owned by the caller; fresh arrays). */
export interface RowSweep {
  /** Window index (into the file's windows) for a row inside a window, else {@link OUTSIDE} or {@link PROBATION}. */
  readonly role: Int32Array;
  /** Unweighted S(y) of a detection on the row (0 on probationary rows). */
  readonly value: Float64Array;
  /** How many windows hold at least one scored row: only these cost fnWeight when missed. */
  readonly scoredWindows: number;
}

/**
 * Computes every row's role and S(y) as NAB's Sweeper does. Inside a window of width W ending at
 * row R, row i has y = −(R − i + 1)/W. Outside, y = |i − R′|/(W′ − 1) for the previous window (R′,
 * W′); rows before any window get −1. Rows below {@link probationLength} are probationary, even
 * inside a window (which then is shorter for scoring but keeps its full width).
 * `windows` must be sorted, disjoint and within `rows`.
 */
export function sweepRows(rows: number, windows: readonly RowWindow[]): RowSweep {
  const role = new Int32Array(rows).fill(OUTSIDE);
  const value = new Float64Array(rows);
  const probation = probationLength(rows);
  let outsideFrom = 0;
  let prev: RowWindow | undefined;
  const fillOutside = (to: number) => {
    for (let i = outsideFrom; i < to; i++) {
      // A width-1 window divides by 0 (NAB raises there); +∞ > 3 gives −1.
      value[i] = prev ? scaledSigmoid(Math.abs(prev.end - i) / (prev.end - prev.start)) : -1;
    }
  };
  for (let k = 0; k < windows.length; k++) {
    const w = windows[k]!;
    fillOutside(w.start);
    const width = w.end - w.start + 1;
    for (let i = w.start; i <= w.end; i++) {
      role[i] = k;
      value[i] = scaledSigmoid(-(w.end - i + 1) / width);
    }
    prev = w;
    outsideFrom = w.end + 1;
  }
  fillOutside(rows);
  for (let i = 0; i < probation && i < rows; i++) {
    role[i] = PROBATION;
    value[i] = 0;
  }
  return { role, value, scoredWindows: scoredWindowCount(rows, windows) };
}

/** How many of a file's windows hold a scored (non-probationary) row; the others NAB ignores. */
export function scoredWindowCount(rows: number, windows: readonly RowWindow[]): number {
  const probation = probationLength(rows);
  let n = 0;
  for (const w of windows) if (w.end >= probation) n++;
  return n;
}

/**
 * The weighted score of a detection on a scored row of the given role (a window index or
 * {@link OUTSIDE}, never {@link PROBATION}) and unweighted value: NAB's sweepScore.
 */
export function detectionScore(role: number, value: number, profile: Profile): number {
  return role === OUTSIDE ? value * profile.fpWeight : (value * profile.tpWeight) / MAX_TP;
}
