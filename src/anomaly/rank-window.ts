// Order statistics of a sliding window over one array in O(log n) per step. The array's values are
// ranked once (ties broken by position, so every element has its own rank); the window is then a
// Fenwick tree of 0/1 counts indexed by rank (and, on request, of value sums). Answers are exact
// values of the array, fixed interpolations of two, or sums of fixed-point integers (exact in any
// order), so a causal caller that only adds elements up to t gets bit-identical answers whether the
// array ends at t or goes on — floating-point sums grouped by rank would not be.

/** Normal-consistency factors: (Q(1−p) − Q(p)) / factor estimates σ for Gaussian data. */
const SPREADS: readonly { p: number; factor: number }[] = [
  { p: 0.25, factor: 1.349 },
  { p: 0.1, factor: 2.5631 },
  { p: 0.02, factor: 4.1075 },
];

/** Fixed-point resolution of the sums: values are summed as integers in units of 2^−20. */
const FIXED = 2 ** 20;

export class RankWindow {
  /** The array's values in ascending order (rank r ↔ sorted[r]). */
  private readonly sorted: Float64Array;
  /** rank[i]: the rank of element i of the source array. */
  private readonly rank: Int32Array;
  /** Fenwick tree (1-based) of counts by rank. */
  private readonly cnt: Int32Array;
  /** Fenwick tree of fixed-point value sums by rank (integers: exact whatever the order); empty unless asked for. */
  private readonly sum: Float64Array;
  private readonly topBit: number;
  private count = 0;

  /**
   * Ranks `x` (not kept; the caller keeps ownership). O(n log n). `sums`: also keep value sums (for
   * `meanExcess`); then |values| must stay below 2^31 and are summed at a resolution of 2^−20.
   */
  constructor(x: Float64Array, sums = false) {
    const n = x.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => x[a]! - x[b]! || a - b);
    this.sorted = new Float64Array(n);
    this.rank = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      this.sorted[r] = x[order[r]!]!;
      this.rank[order[r]!] = r;
    }
    this.cnt = new Int32Array(n + 1);
    this.sum = new Float64Array(sums ? n + 1 : 0);
    let b = 1;
    while (b * 2 <= n) b *= 2;
    this.topBit = b;
  }

  /** Elements currently in the window. */
  get size(): number {
    return this.count;
  }

  /** Puts element i of the source array into the window. */
  add(i: number): void {
    this.update(this.rank[i]!, 1);
  }

  /** Takes element i (previously added) out of the window. */
  remove(i: number): void {
    this.update(this.rank[i]!, -1);
  }

  private update(r: number, sign: 1 | -1): void {
    for (let k = r + 1; k < this.cnt.length; k += k & -k) this.cnt[k] = this.cnt[k]! + sign;
    if (this.sum.length) {
      const v = sign * Math.round(this.sorted[r]! * FIXED);
      for (let k = r + 1; k < this.sum.length; k += k & -k) this.sum[k] = this.sum[k]! + v;
    }
    this.count += sign;
  }

  /** The k-th smallest value in the window, k in [0, size). */
  kth(k: number): number {
    // Fenwick descent: the largest position whose prefix count is ≤ k.
    let pos = 0;
    let rem = k;
    for (let b = this.topBit; b > 0; b >>= 1) {
      const next = pos + b;
      if (next < this.cnt.length && this.cnt[next]! <= rem) {
        pos = next;
        rem -= this.cnt[next]!;
      }
    }
    return this.sorted[pos]!;
  }

  /** Quantile p ∈ [0, 1] of the window, linear interpolation (R type 7); NaN when empty. */
  quantile(p: number): number {
    if (this.count === 0) return NaN;
    const h = (this.count - 1) * p;
    const lo = Math.floor(h);
    const a = this.kth(lo);
    return lo + 1 < this.count && h > lo ? a + (h - lo) * (this.kth(lo + 1) - a) : a;
  }

  /** Ranks whose value is ≤ c (or < c when `strict`) form the prefix [0, result) of `sorted`. */
  private prefixUpTo(c: number, strict = false): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? this.sorted[mid]! < c : this.sorted[mid]! <= c) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** How many of the window's values are ≥ c. */
  countAtLeast(c: number): number {
    let below = 0;
    for (let k = this.prefixUpTo(c, true); k > 0; k -= k & -k) below += this.cnt[k]!;
    return this.count - below;
  }

  /** Mean of v − c over the window's values v > c (0 when there are none). Needs `sums`. */
  meanExcess(c: number): number {
    const end = this.prefixUpTo(c);
    let below = 0;
    let belowSum = 0;
    for (let k = end; k > 0; k -= k & -k) {
      below += this.cnt[k]!;
      belowSum += this.sum[k]!;
    }
    let total = 0;
    for (let k = this.sum.length - 1; k > 0; k -= k & -k) total += this.sum[k]!;
    const above = this.count - below;
    return above > 0 ? Math.max(0, (total - belowSum) / FIXED / above - c) : 0;
  }

  /**
   * A robust σ of the window: IQR / 1.349; when more than half the values tie (IQR 0), the 10–90%
   * range / 2.563, then the 2–98% range / 4.108; 0 only when those all tie too (a flat window).
   */
  robustSigma(): number {
    for (const { p, factor } of SPREADS) {
      const spread = this.quantile(1 - p) - this.quantile(p);
      if (spread > 0) return spread / factor;
    }
    return 0;
  }
}
