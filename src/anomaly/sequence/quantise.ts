// Values into sensor facts. A value is placed on LEVELS = 2^BITS levels of a range and each bit i of its
// level gives the fact 2i + bit, so a level is a mask of BITS facts out of 2·BITS, and neighbouring
// levels share most of their facts (the contexts learnt for one generalise a little to the next).
//
// The range is the series' known bounds when given (NAB gives every detector each file's min and max),
// else it is learnt causally: the first WARM_UP values set it, then a value outside widens it to that
// value plus a margin of half the range on that side. Widening changes what the facts mean (a level is
// coarser than before), which is the price of not knowing the range; the margin keeps it from
// happening at every new extreme of a drifting series. On NAB's strictly causal run (bench:nab) a
// margin of ½ scored 2–3 points above ¼ and 1 (with warm-ups of 50 to 150 values); chosen on the
// whole corpus, not cross-validated.

/** Bits of level (8 levels). */
export const BITS = 3;
/** Values that set a learnt range before anything is scored. */
export const WARM_UP = 100;
/** A widening goes this share of the range beyond the value that caused it. */
const MARGIN = 0.5;

/** The sensor-fact mask of level `level` (0 ≤ level < 2^BITS). */
export function levelMask(level: number): number {
  let mask = 0;
  for (let i = 0; i < BITS; i++) mask |= 1 << (2 * i + ((level >> i) & 1));
  return mask;
}

/**
 * The level of v on [lo, hi] as CAD OSE computes it: floor((v − lo) / step) with step = range /
 * (2^BITS − 1), so the top level holds only values at (or beyond) hi; clamped to [0, 2^BITS − 1].
 */
export function levelOf(v: number, lo: number, hi: number): number {
  const top = (1 << BITS) - 1;
  const range = hi - lo;
  const step = range > 0 ? range / top : 1;
  const l = Math.floor((v - lo) / step);
  return l < 0 ? 0 : l > top ? top : l;
}

/** A causal range: fixed bounds, or learnt from the values read so far (mutable, serialisable). */
export interface Range {
  lo: number;
  hi: number;
  /** Values read so far (the learnt range is usable from WARM_UP on). */
  seen: number;
  fixed: boolean;
}

export function fixedRange(min: number, max: number): Range {
  return { lo: min, hi: max, seen: 0, fixed: true };
}

export function learntRange(): Range {
  return { lo: Infinity, hi: -Infinity, seen: 0, fixed: false };
}

/** Reads v into the range (widening a learnt one); true when the range is ready to quantise v. */
export function observe(r: Range, v: number): boolean {
  r.seen++;
  if (r.fixed) return true;
  if (r.seen <= WARM_UP) {
    if (v < r.lo) r.lo = v;
    if (v > r.hi) r.hi = v;
    return r.seen === WARM_UP;
  }
  const span = r.hi - r.lo;
  const margin = MARGIN * (span > 0 ? span : Math.abs(v) > 0 ? Math.abs(v) : 1);
  if (v < r.lo) r.lo = v - margin;
  else if (v > r.hi) r.hi = v + margin;
  return true;
}
