// A small FIFO window kept sorted, for medians of values that are only known one at a time (a causal
// recursion that needs the median of its own recent outputs, where ./rank-window.ts, which ranks a
// whole array up front, cannot be used). Insert and evict are a binary search plus a move of at most
// `capacity` numbers, so it is meant for windows of tens of points, where that is a few nanoseconds.

export class SortedWindow {
  private readonly fifo: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be ≥ 1');
    this.fifo = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds v, evicting the oldest value when the window is full. */
  push(v: number): void {
    if (this.count === this.capacity) {
      const old = this.fifo[this.head]!;
      const i = this.lowerBound(old);
      this.sorted.copyWithin(i, i + 1, this.count);
      this.count--;
    }
    this.fifo[this.head] = v;
    this.head = (this.head + 1) % this.capacity;
    const i = this.lowerBound(v);
    this.sorted.copyWithin(i + 1, i, this.count);
    this.sorted[i] = v;
    this.count++;
  }

  /** Median of the values in the window (NaN when empty). */
  median(): number {
    const n = this.count;
    if (n === 0) return NaN;
    const h = n >> 1;
    return n % 2 === 1 ? this.sorted[h]! : 0.5 * (this.sorted[h - 1]! + this.sorted[h]!);
  }

  private lowerBound(v: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
