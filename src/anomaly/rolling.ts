// Moving a RankWindow along a series: the window for point t is [lo, hi) of the source array, with lo
// and hi never decreasing, so each element enters and leaves once (O(n log n) in all).
import { RankWindow } from './rank-window.js';
import type { DetectionMode } from './detector.js';

/** A window's bounds for point t: elements [lo, hi) of the source array. */
export type Bounds = (t: number) => readonly [lo: number, hi: number];

/**
 * Calls visit(t, window) for t = 0..n−1 with the window holding x[lo(t)..hi(t)). Both bounds must be
 * non-decreasing in t. The window object is reused: read it inside visit only.
 */
export function slide(x: Float64Array, bounds: Bounds, visit: (t: number, w: RankWindow) => void): void {
  const w = new RankWindow(x);
  let lo = 0;
  let hi = 0;
  for (let t = 0; t < x.length; t++) {
    const [a, b] = bounds(t);
    while (hi < b) w.add(hi++);
    while (lo < a) w.remove(lo++);
    visit(t, w);
  }
}

/** The `size` points before t, not t itself (what a causal detector compares t with). */
export function trailing(size: number, n: number): Bounds {
  return (t) => [Math.max(0, t - size), Math.min(n, t)];
}

/** The `size` points around t (t included), cut short at the ends of the series. */
export function centred(size: number, n: number): Bounds {
  const before = Math.floor(size / 2);
  const after = size - 1 - before;
  return (t) => [Math.max(0, t - before), Math.min(n, t + after + 1)];
}

/** The reference window a point is judged against: trailing in online mode, centred in batch. */
export function referenceWindow(mode: DetectionMode, size: number, n: number): Bounds {
  return mode === 'online' ? trailing(size, n) : centred(size, n);
}
