/** A span of time in epoch milliseconds, both ends inclusive (how reads, windows and queries take time). */
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

/** True when `t` lies in `r`. */
export function inRange(r: TimeRange, t: number): boolean {
  return t >= r.fromMs && t <= r.toMs;
}
