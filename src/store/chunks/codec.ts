// The chunk codec: one series' points over a closed time window, compressed into one byte string
// (issue 18). Pure functions over typed arrays, no I/O.
//
// Layout (version 2, written since 2026-12-07; version 1 below still decodes):
//   byte 0        version (2)
//   varint        count n of points (LEB128, ≤ 2^31 − 1)
//   bit stream    (only when n > 0), most significant bit first, zero-padded to a byte; nothing may
//                 follow its last byte:
//     timestamps  var(zigzag t0); n ≥ 2: var(t1 − t0 − 1); n ≥ 3: an integer table, then the n − 2
//                 delta-of-deltas in it
//     values      2 bits mode (0 XOR, 1 decimal deltas, 2 decimal delta-of-deltas, 3 decimal frame of
//                 reference), 1 bit exceptions (decimal modes only), then the mode's stream (below)
//   var(u)        6 bits L = bit length of u (≤ 53), then u in L bits.
//
// Integer tables (`IntTable`): per stream and per chunk, 1–4 buckets of ascending widths w ≤ 54 in the
// stream's header (2 bits count − 1, 6 bits a width). A number d is written as the prefix of the
// smallest bucket holding it — i ones and a zero for bucket i, except the last bucket: b − 1 ones (no
// prefix at all with one bucket) — then zigzag(d) in w bits (w = 54: sign + 53-bit magnitude, for
// |d| ≥ 2^52). The widths are chosen by exact cost from the histogram of the widths the stream needs,
// among all subsets of the widths present, so a regular series' timestamps or a constant column take
// no bits at all (one bucket of width 0), and 16-bit deltas are not forced into a 20-bit bucket.
// A chunk of more than 2^20 points never uses a zero-cost timestamp table (so the decoder can bound
// the count by the input's length before allocating).
//
// Values, chosen per chunk by exact cost:
// - XOR (Gorilla, Pelkonen et al., VLDB 2015) over the raw IEEE-754 bit patterns, so every double
//   round-trips bit-exactly (NaN payloads, ±0, subnormals, ±Infinity): 64 bits first, then '0' same
//   bits · '10' + the meaningful bits inside the previous window · '11' + 5 bits leading zeros
//   (capped at 31) + 6 bits length (64 stored as 0) + the meaningful bits.
// - Decimal: 4 bits k (≤ 15; version 1: ≤ 9), the number of decimals: the smallest k for which at
//   least half of the values are m / 10^k with |m| ≤ 2^52 − 1 exactly or within 32 ulps (judged on 128
//   values spread over the chunk). The integers m = round(v·10^k) are stored as
//     deltas:      var(zigzag m0), then a table and the n − 1 deltas;
//     dods:        var(zigzag m0), var(zigzag first delta), then a table and the n − 2 delta-of-deltas;
//     frame of reference (for values uncorrelated from one point to the next): var(zigzag min),
//                  5 bits L, R = max − min in L bits (R < 2^31), 2 bits form, then every value as
//                  form 0: m − min in truncated binary over R + 1 symbols (⌊log2(R + 1)⌋ or one more
//                  bit); form 1: m − min in a table; form 2: max − m in a table (a rollup's min or max
//                  column crowds one end of its range). A table stores x ≥ 0 as zigzag⁻¹(x).
//   Decoding divides m by 10^k: one correctly rounded division, which gives back the very double that
//   `m / 10^k === v` checked at encode time. With the exceptions bit, the values that are not m / 10^k
//   (the exceptions) are corrected, in one of two forms chosen by exact cost (the flags on a tie):
//   - flags: 5 bits u (≤ 24) then a correction for every value: '0' exact · '10' + z in u bits: an
//     ulp distance d ≠ 0 (z = 2(d − 1) for d > 0, 2(−d) − 1 for d < 0), the difference of the IEEE bit
//     patterns as integers between the value and m / 10^k when both are finite, not NaN and of the
//     same sign: float artefacts such as 12.410000000000002 (Math.round(x)/100 + s/100) or
//     94.79799999999999 are ±1–4 ulps off · '11' + 6 bits leading zeros + 6 bits length + the bits
//     XOR'd into m / 10^k (−0, NaN payloads, ±Infinity, far values). u is chosen by exact cost.
//   - sparse (since 2026-12-08): 5 bits 31 (a u the flags never hold: a decoder from before refuses
//     the section), 5 bits u (≤ 24), 5 bits r, 1 bit far list; with it var(F − 1), 5 bits s, then the
//     indices among the exceptions of the F far ones, ascending, as Rice codes of parameter s of the
//     gaps (index − previous − 1, the first from −1). Then per exception in order: the Rice code of
//     parameter r of its gap (position − previous − 1), then its correction: a near one (z < 2^u) z in
//     u bits; a far one '0' + the Elias gamma of q = z >>> u (L − 1 zeros, then q in its L bits;
//     L + u ≤ 24) + the u low bits of z · '1' + 6 bits leading zeros + 6 bits length + the XOR bits
//     (as above). Last, the Rice code of the gap that ends exactly at n (position n). A Rice code of
//     g: ⌊g / 2^p⌋ ones, a zero, the p low bits of g. At least one exception; far indices below their
//     count. u, r and s by exact cost (the smallest on a tie). Sparse artefacts cost their gaps,
//     about H(p)/p bits each at a rate p, rather than a bit a value: valueOf's 27 %, ±1 ulp in 97 %
//     of them, about 1.26 bits a point rather than 1.68 (H(0.27) + 0.27 = 1.11 is the bound).
//   An exception-carrying chunk takes a decimal mode only when it beats XOR.
//
// Measured 2026-12-07 (bench/codec.ts: payload bytes a point, v1 → v2; encode/decode in millions of
// points per CPU second on one core, v2 (v1), the range of two runs of medians of alternating rounds;
// other jobs loaded both cores, so rates are noisy):
//   dataset                                  B/point        encode                 decode
//   valueOf scrape (ingest benchmark), 2 h    3.70 → 2.07   10.8–11.5 (5.6–5.7)    16.9–18.8 (14.2–17.6)
//   synthetic scrape 15 s, 2 h                1.70 → 1.29    9.6–11.1 (11.2–11.6)  13.9–17.4 (11.3–13.4)
//   synthetic scrape 15 s, 1 day              1.66 → 1.27   11.4–15.1 (11.0–15.0)  17.5–26.3 (15.4–21.1)
//   NAB (58 files at 5 min), 2 h              3.91 → 2.66    2.7–3.1 (3.0–3.2)      5.9–6.0 (3.6–5.1)
//   NAB, 1 day                                2.70 → 1.74    7.2–10.4 (7.8–10.8)   26.9–27.9 (12.6–15.3)
// Decoding valueOf's 2-hour chunks alone, v1 and v2 alternating over 9 rounds: median 26.7 vs 12.3.
// Decoding made faster later on 2026-12-07, same bytes (one-bucket tables and frame-of-reference
// codes read a field a step from word32 windows after one end check, ulp corrections branch-free from
// a shifted window into a small array, header fields from one peek, no floating-point remainder or
// Math.pow a row): the 1-year set's 36,500 day chunks (288 points at 5 min, decimal deltas)
// 1.2–1.3× (e.g. 59 → 77 M points/s); synthetic 2-hour 15 s scrapes, 2-decimal walks 1.3–1.8×,
// jittered 1.2–1.5×; artefact values (frame of reference + corrections) 1.1–1.3× (one process, old
// and new alternating, medians, loaded cores: the ranges are of runs).
// Encoding made cheaper later on 2026-12-07, same bytes (pinned by a digest in codec.test.ts, and
// 208,000 random inputs byte-identical to the previous encoder): the number of decimals worked out k
// by k on the sample with early exits, no a === v branch, a far candidate refused by its distance
// (about half the rounding tests); planning in one pass with the exact/ulp classification branch-free
// for values whose bit patterns share the high word, histograms in interleaved copies, delta and
// delta-of-delta tables searched only when their lower bound can beat the frame of reference, the
// table search pruned by bounds (same widths, same ties), XOR's cost only up to where the decimal
// section wins; frame-of-reference codes and corrections written branch-free into the writer's words;
// results as views of a shared slab. valueOf's 2-hour windows (1,000 series × 1,000 points), one
// process alternating old and new, 21 rounds: CPU median 62.8 → 49.6 ms per million points (least
// 59.7 → 47.6), median of paired ratios 1.26× (V8 sometimes settles on slower code for the planning
// pass: about 1.05× in one process of five); bench/codec.ts' synthetic scrapes and NAB 1.01–1.12×.
// valueOf (Math.round(x)/100 + s/100: 27 % float artefacts, ±1 ulp in 97 % of them) takes the frame of
// reference: no timestamp bits a point (v1: one), about 14.4 bits of m and 1.7 bits of corrections a
// point (v1: XOR corrections of 16+ bits and mostly 24-bit deltas). NAB's 2-hour chunks hold
// about 14 points, so per-chunk planning dominates their encode time; compaction gives such series
// day windows.
// Sparse corrections, 2026-12-08 (bench/codec.ts, payload bytes a point before → after; the other
// chunks keep their bytes): valueOf 2 h 2.067 → 2.015 (corrections 1.68 → 1.26 bits a point, a
// 480-point chunk about 992 → 967 bytes; 2,870 of 3,000 chunks sparse), NAB 2 h 2.661 → 2.660, NAB
// 1 day 1.735 → 1.713 (corrections 0.93 → 0.75 bits a point), synthetic scrapes 1.293 and 1.266 (no
// exceptions). valueOf's ulp distances: ±1 96.9 %, ±2–4 2.2 %, 5–255 0.9 %, no XOR escape; NAB's
// (2 h): ±1 69 %, ±2–3 10 %, 256 or more 9 %, XOR 11 %. Measured alternatives on valueOf: the
// entropy of the corrections (per chunk, static) 1.14 bits a point, an adaptive binary coder (KT
// estimate) 1.20, gaps with every distance in a table 1.67: the sparse form's 1.26 is most of the
// gain without a coder a bit at a time. Speed, one process alternating old and new, CPU medians of
// paired ratios of 21–41 rounds, loaded cores: valueOf encode 1.04–1.06× the time (planning the
// sparse form, writing it per exception; V8's occasional slower planning pass, 1.1–1.25×, hits old
// and new alike), decode 0.85–0.90× (a code an exception rather than a flag a value); NAB 2 h encode
// 1.01–1.04×, decode 0.92–0.95×; NAB 1 day 1.01–1.03×, 0.93–0.95×.

// Layout (version 1, still decoded): byte 0 version (1), varint count, a flags byte (bits 0–1 mode
// 0 XOR, 1 decimal deltas, 2 decimal dods; bit 2 exceptions), the decimals byte k in the decimal modes,
// then one bit stream interleaving per point its timestamp dod (fixed buckets '0' · '10'+4 · '110'+10 ·
// '1110'+20 · '1111'+sign+53) and its value (XOR as above, or the decimal delta/dod in fixed 6/12/20-bit
// buckets, then with the exceptions bit '0' or '1' + 6 + 6 + the XOR window).
//
// The decoder checks every field it reads: a truncated or corrupt chunk throws a RangeError; reads
// never run past the input, every loop is bounded by the declared count (the sparse gaps: each one
// moves the position on, and a position past n is refused), and the count (the far list's too) is
// bounded before anything is allocated. There is no checksum: a flipped bit can decode to other valid
// points (the store's page checksums or a CRC column would catch that).

import { BitReader, BitWriter, fieldAt, word32 } from './bits.js';

/** Format version written in byte 0. */
export const CHUNK_VERSION = 2;

/** Largest magnitude of a timestamp (ms) the codec accepts: 2^52 − 1, about the year 144,000. */
export const MAX_TIMESTAMP_MS = 2 ** 52 - 1;

/** Value modes (2 bits in version 2; flags bits 0–1 in version 1, which has no frame of reference). */
export const ValueMode = { Xor: 0, DecimalDelta: 1, DecimalDod: 2, DecimalFor: 3 } as const;
export type ValueMode = (typeof ValueMode)[keyof typeof ValueMode];

/** Most decimals of version 2 (4 bits; 10^15 is exact, so m / 10^k stays one correctly rounded division). */
const MAX_DECIMALS = 15;
/** Most decimals of version 1. */
const MAX_DECIMALS_V1 = 9;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const MAX_MANTISSA = 2 ** 52 - 1;
const MAX_WIDE = 2 ** 53 - 1;
const MAX_COUNT = 2 ** 31 - 1;
/** Above this many points a chunk spends at least a bit a point (see the layout). */
const FREE_COUNT = 2 ** 20;
const TWO32 = 2 ** 32;
const TWO52 = 2 ** 52;
/** Widest ulp field of a correction. */
const MAX_ULP_BITS = 24;
/** Width 54 in a table: sign + 53-bit magnitude. */
const WIDE = 54;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;
const LO = littleEndian ? 0 : 1;

/** Decoded points: timestamps in ms since the epoch (strictly ascending) and values, same length. */
export interface DecodedChunk {
  timestampsMs: Float64Array;
  values: Float64Array;
}

function corrupt(what: string): RangeError {
  return new RangeError(`corrupt chunk: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Whole numbers: var fields and per-stream bucket tables

/** Bit length of a whole number 0 ≤ u < 2^53. */
function bitLength(u: number): number {
  return u < TWO32 ? 32 - Math.clz32(u) : 64 - Math.clz32(Math.floor(u / TWO32));
}

/** zigzag(d) for |d| < 2^52 (exact in doubles): 0, −1, 1, −2, … → 0, 1, 2, 3, … */
function zigzag(d: number): number {
  return d >= 0 ? 2 * d : -2 * d - 1;
}

function unzigzag(u: number): number {
  // u & 1 is u's parity also above 2^32 (ToInt32 takes u modulo 2^32, an even number), and not a
  // floating-point remainder (a C call in V8: the timestamps' t0 paid it every row).
  return u < TWO32 ? (u >>> 1) ^ -(u & 1) : (u & 1) === 0 ? u / 2 : -(u + 1) / 2;
}

/** Writes 0 ≤ u < 2^53 in `n` bits (n ≤ 53). */
function writeLong(w: BitWriter, u: number, n: number): void {
  if (n <= 32) w.writeBits(u, n);
  else {
    w.writeBits(Math.floor(u / TWO32), n - 32);
    w.writeBits(u % TWO32, 32);
  }
}

function readLong(r: BitReader, n: number): number {
  if (n <= 32) return r.readBits(n);
  const hi = r.readBits(n - 32);
  return hi * TWO32 + r.readBits(32);
}

/** var(u): 6 bits bit length, then the bits (0 ≤ u < 2^53). */
function writeVar(w: BitWriter, u: number): void {
  const n = bitLength(u);
  w.writeBits(n, 6);
  writeLong(w, u, n);
}

function varCost(u: number): number {
  return 6 + bitLength(u);
}

function readVar(r: BitReader): number {
  // The length and up to 26 bits from one window (bits past the end are only looked at, never used:
  // skip refuses them).
  const w = r.peek32();
  const n = w >>> 26;
  if (n <= 26) {
    r.skip(6 + n);
    return n === 0 ? 0 : (w << 6) >>> (32 - n);
  }
  if (n > 53) throw corrupt(`field of ${n} bits`);
  r.skip(6);
  return readLong(r, n);
}

/** Width a number needs in a table: bitLength(zigzag(d)), or WIDE for |d| ≥ 2^52. */
function intWidth(d: number): number {
  if (d > -0x40000000 && d < 0x40000000) return 32 - Math.clz32((d << 1) ^ (d >> 31));
  if (d >= TWO52 || d <= -TWO52) return WIDE;
  return bitLength(zigzag(d));
}

/** One stream's buckets: `count` widths, ascending, and for each needed width the bucket holding it. */
interface IntTable {
  count: number;
  widths: Int32Array;
  /** Per bucket: its prefix code and the code's length. */
  codes: Int32Array;
  codeBits: Int32Array;
  bucketOf: Uint8Array;
}

function newTable(): IntTable {
  return { count: 0, widths: new Int32Array(4), codes: new Int32Array(4), codeBits: new Int32Array(4), bucketOf: new Uint8Array(WIDE + 1) };
}

/** Sets `t` to the given widths (ascending) and fills its lookup. */
function setTable(t: IntTable, widths: ArrayLike<number>, count: number): void {
  t.count = count;
  for (let i = 0; i < count; i++) {
    t.widths[i] = widths[i]!;
    const last = i === count - 1;
    t.codeBits[i] = last ? i : i + 1;
    t.codes[i] = last ? (1 << i) - 1 : ((1 << i) - 1) << 1;
  }
  let b = 0;
  for (let w = 0; w <= WIDE; w++) {
    while (b < count - 1 && w > t.widths[b]!) b++;
    t.bucketOf[w] = b;
  }
}

const present = new Int32Array(WIDE + 1);
const upTo = new Float64Array(WIDE + 2);
const chosen = new Int32Array(4);

/** Per present width from the i-th on: the sum of count × (2 + width) (chooseTable's bounds). */
const above = new Float64Array(WIDE + 2);

/**
 * Chooses the bucket widths of a stream from the histogram of the widths its numbers need (exact
 * cost, every subset of up to 4 of the present widths ending with the largest); returns the bits of
 * header + numbers and leaves the widths in `t`. `zeroCostAllowed` false forbids the free table.
 * With `limit`, the result is exact (cost and widths) only when below it; otherwise it is some cost
 * ≥ limit and `t` is unspecified: for a caller that takes the table only when it costs less.
 */
function chooseTable(hist: Int32Array, t: IntTable, zeroCostAllowed: boolean, limit = Infinity): number {
  let p = 0;
  upTo[0] = 0;
  for (let w = 0; w <= WIDE; w++) {
    if (hist[w]! > 0) {
      present[p] = w;
      upTo[p + 1] = upTo[p]! + hist[w]!;
      p++;
    }
  }
  if (p === 0) {
    chosen[0] = zeroCostAllowed ? 0 : 1;
    setTable(t, chosen, 1);
    return 8;
  }
  above[p] = 0;
  for (let q = p - 1; q >= 0; q--) above[q] = above[q + 1]! + (upTo[q + 1]! - upTo[q]!) * (2 + present[q]!);
  const total = upTo[p]!;
  const top = present[p - 1]!;
  const c = p - 1; // candidates below the top width: present[0 … c)
  // One bucket.
  let best = 8 + total * (top === 0 && !zeroCostAllowed ? 1 : top);
  let count = 1;
  chosen[0] = top === 0 && !zeroCostAllowed ? 1 : top;
  for (let i = 0; i < c; i++) {
    const wi = present[i]!;
    const ni = upTo[i + 1]!;
    const cost2 = 14 + ni * (1 + wi) + (total - ni) * (1 + top);
    if (cost2 < best) {
      best = cost2;
      count = 2;
      chosen[0] = wi;
      chosen[1] = top;
    }
    // Branch and bound, same result and same ties: a 3- or 4-bucket table with first bucket wi puts
    // every number above wi behind a prefix of at least 2 bits in a bucket at least as wide as the
    // number, so costs at least this; searching on cannot help when that is no less than the best so
    // far (or than `limit`). Likewise for the fourth bucket below, prefixes of at least 3 bits.
    const cap = best < limit ? best : limit;
    if (20 + ni * (1 + wi) + above[i + 1]! >= cap) continue;
    for (let j = i + 1; j < c; j++) {
      const wj = present[j]!;
      const nj = upTo[j + 1]!;
      const base3 = ni * (1 + wi) + (nj - ni) * (2 + wj);
      const cost3 = 20 + base3 + (total - nj) * (2 + top);
      if (cost3 < best) {
        best = cost3;
        count = 3;
        chosen[0] = wi;
        chosen[1] = wj;
        chosen[2] = top;
      }
      if (26 + base3 + above[j + 1]! + (total - nj) >= (best < limit ? best : limit)) continue;
      for (let k = j + 1; k < c; k++) {
        const wk = present[k]!;
        const nk = upTo[k + 1]!;
        const cost4 = 26 + base3 + (nk - nj) * (3 + wk) + (total - nk) * (3 + top);
        if (cost4 < best) {
          best = cost4;
          count = 4;
          chosen[0] = wi;
          chosen[1] = wj;
          chosen[2] = wk;
          chosen[3] = top;
        }
      }
    }
  }
  setTable(t, chosen, count);
  return best;
}

/**
 * A lower bound of what {@link chooseTable} returns for `hist` with the free table allowed (exact for
 * one present width): one bucket costs 8 + total·top; more cost 14 or more for the header and at
 * least a prefix bit plus its own width a number. Lets a mode that cannot win skip the exact search.
 */
function tableLowerBound(hist: Int32Array): number {
  let total = 0;
  let widths = 0;
  let top = 0;
  for (let w = 0; w <= WIDE; w++) {
    const h = hist[w]!;
    if (h > 0) {
      total += h;
      widths += h * w;
      top = w;
    }
  }
  if (total === 0) return 8;
  const one = 8 + total * top;
  const more = 14 + total + widths;
  return one < more ? one : more;
}

/** tableLowerBound of `total` numbers (≥ 1) of widths summing to `widths`, the largest `top`. */
function lowerBound(total: number, top: number, widths: number): number {
  const one = 8 + total * top;
  const more = 14 + total + widths;
  return one < more ? one : more;
}

function writeTable(w: BitWriter, t: IntTable): void {
  w.writeBits(t.count - 1, 2);
  for (let i = 0; i < t.count; i++) w.writeBits(t.widths[i]!, 6);
}

function readTable(r: BitReader, t: IntTable): void {
  // The count and up to 4 widths: 26 bits, one window.
  const w = r.peek32();
  const count = (w >>> 30) + 1;
  r.skip(2 + 6 * count);
  let prev = -1;
  for (let i = 0; i < count; i++) {
    const width = (w << (2 + 6 * i)) >>> 26;
    if (width > WIDE || width <= prev) throw corrupt(`table widths not ascending or above ${WIDE}`);
    t.widths[i] = width;
    prev = width;
  }
  t.count = count;
}

/** True when the table spends no bits on a number (one bucket of width 0). */
function isFree(t: IntTable): boolean {
  return t.count === 1 && t.widths[0] === 0;
}

/** Writes d (|d| < 2^53) in its bucket of `t`. */
function writeInt(w: BitWriter, d: number, t: IntTable): void {
  if (d > -0x40000000 && d < 0x40000000) {
    const u = (d << 1) ^ (d >> 31);
    const b = t.bucketOf[32 - Math.clz32(u)]!;
    const width = t.widths[b]!;
    const n = t.codeBits[b]! + width;
    if (n <= 32) {
      w.writeBits(width === 32 ? u : (t.codes[b]! << width) | u, n);
      return;
    }
  }
  writeIntSlow(w, d, t);
}

function writeIntSlow(w: BitWriter, d: number, t: IntTable): void {
  const b = t.bucketOf[intWidth(d)]!;
  const width = t.widths[b]!;
  w.writeBits(t.codes[b]!, t.codeBits[b]!);
  if (width === WIDE) {
    w.writeBits(d < 0 ? 1 : 0, 1);
    writeLong(w, Math.abs(d), 53);
  } else writeLong(w, zigzag(d), width);
}

function readInt(r: BitReader, t: IntTable): number {
  let b = 0;
  if (t.count > 1) {
    // Prefix and number from one 32-bit window when they fit (nearly always): the prefix is i ones
    // and a zero for bucket i, the last bucket's ones without the zero.
    const max = t.count - 1;
    const w = r.peek32();
    const ones = Math.clz32(~w);
    b = ones < max ? ones : max;
    const prefix = b < max ? b + 1 : b;
    const width = t.widths[b]!;
    if (prefix + width <= 32) {
      r.skip(prefix + width);
      if (width === 0) return 0;
      const u = (w << prefix) >>> (32 - width);
      return u < TWO32 / 2 ? (u >>> 1) ^ -(u & 1) : unzigzag(u);
    }
    r.skip(prefix);
  }
  const width = t.widths[b]!;
  if (width <= 32) {
    const u = r.readBits(width);
    return u < TWO32 / 2 ? (u >>> 1) ^ -(u & 1) : unzigzag(u);
  }
  if (width === WIDE) {
    const negative = r.readBit() === 1;
    const mag = readLong(r, 53);
    return negative ? -mag : mag;
  }
  return unzigzag(readLong(r, width));
}

/**
 * Widest bucket read by the fixed-width loops: a one-bucket table of 1–25 bits is read a field a step
 * from `word32` windows after one end check (`advance`), rather than by `readInt`.
 */
const FIELD_BITS = 25;

/** True when `t` is one bucket of 1–FIELD_BITS bits. */
function isFixed(t: IntTable): boolean {
  return t.count === 1 && t.widths[0]! <= FIELD_BITS && t.widths[0]! > 0;
}

// ---------------------------------------------------------------------------------------------
// Timestamps: var t0, var first delta, delta-of-deltas in a table

export function checkTimestamps(ts: Float64Array): void {
  let prev = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    // One test for the usual case (NaN fails it); the detailed ones name what is wrong.
    if (t > prev && t <= MAX_TIMESTAMP_MS && t >= -MAX_TIMESTAMP_MS && Math.floor(t) === t) {
      prev = t;
      continue;
    }
    if (!Number.isInteger(t)) throw new RangeError(`timestampsMs[${i}] = ${t} is not a whole number of milliseconds`);
    if (t > MAX_TIMESTAMP_MS || t < -MAX_TIMESTAMP_MS) throw new RangeError(`timestampsMs[${i}] = ${t} is outside ±${MAX_TIMESTAMP_MS}`);
    if (t <= prev) throw new RangeError(`timestampsMs[${i}] = ${t} is not after timestampsMs[${i - 1}] = ${prev}: timestamps must be strictly ascending`);
    prev = t;
  }
}

const tsHist = new Int32Array(WIDE + 1);
const tsTable = newTable();

/** Writes checked timestamps (strictly ascending whole ms within ±MAX_TIMESTAMP_MS). */
export function writeTimestamps(w: BitWriter, ts: Float64Array): void {
  const n = ts.length;
  if (n === 0) return;
  writeVar(w, zigzag(ts[0]!));
  if (n === 1) return;
  let prevDelta = ts[1]! - ts[0]!;
  writeVar(w, prevDelta - 1);
  if (n === 2) return;
  tsHist.fill(0);
  let zeros = 0;
  for (let i = 2; i < n; i++) {
    const delta = ts[i]! - ts[i - 1]!;
    const dod = delta - prevDelta;
    prevDelta = delta;
    if (dod === 0) zeros++;
    else tsHist[intWidth(dod)]! += 1;
  }
  tsHist[0] = zeros;
  chooseTable(tsHist, tsTable, n <= FREE_COUNT);
  writeTable(w, tsTable);
  if (isFree(tsTable)) return;
  prevDelta = ts[1]! - ts[0]!;
  for (let i = 2; i < n; i++) {
    const delta = ts[i]! - ts[i - 1]!;
    writeInt(w, delta - prevDelta, tsTable);
    prevDelta = delta;
  }
}

const readTsTable = newTable();

/**
 * Reads what {@link writeTimestamps} wrote of `n` timestamps into `out[at…at + n)` (by default all of
 * `out`), checking order and range. The caller's range lets many small sections land back to back in
 * one array without a view each (rollup.ts' decodeRollupInto).
 */
export function readTimestamps(r: BitReader, out: Float64Array, at = 0, n = out.length - at): void {
  if (n === 0) return;
  let t = unzigzag(readVar(r));
  if (t > MAX_TIMESTAMP_MS || t < -MAX_TIMESTAMP_MS) throw corrupt(`timestamp ${t} out of range`);
  out[at] = t;
  if (n === 1) return;
  let delta = readVar(r) + 1;
  t += delta;
  if (t > MAX_TIMESTAMP_MS) throw corrupt('timestamp 1 out of range');
  out[at + 1] = t;
  if (n === 2) return;
  readTable(r, readTsTable);
  const end = at + n;
  if (isFree(readTsTable)) {
    if (n > FREE_COUNT) throw corrupt(`${n} points with free timestamps`);
    if (t + (n - 2) * delta > MAX_TIMESTAMP_MS) throw corrupt('timestamps out of range');
    // t + k·delta rather than t += delta: no chain of additions from one store to the next, and the
    // same whole numbers (exact: all below 2^53, checked above).
    for (let i = at + 2, k = 1; i < end; i++, k++) out[i] = t + k * delta;
    return;
  }
  if (isFixed(readTsTable)) {
    // One bucket: zigzag(dod) in `width` bits.
    const width = readTsTable.widths[0]!;
    const shift = 32 - width;
    const b = r.buf;
    let q = r.advance(width * (n - 2));
    for (let i = at + 2; i < end; i++) {
      const u = fieldAt(b, q, shift);
      q += width;
      delta += (u >>> 1) ^ -(u & 1);
      t += delta;
      if (delta < 1 || t > MAX_TIMESTAMP_MS) throw corrupt(`timestamp ${i - at} not ascending or out of range`);
      out[i] = t;
    }
    return;
  }
  for (let i = at + 2; i < end; i++) {
    delta += readInt(r, readTsTable);
    t += delta;
    if (delta < 1 || t > MAX_TIMESTAMP_MS) throw corrupt(`timestamp ${i - at} not ascending or out of range`);
    out[i] = t;
  }
}

// ---------------------------------------------------------------------------------------------
// Values: XOR

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * Exact bits of the XOR value stream (without the first value's 64 bits). With `limit`, it may stop
 * once the cost reaches it and return that partial cost (≥ limit): enough to compare with a rival.
 */
export function xorCost(values: Float64Array, bits: Uint32Array, limit = Infinity): number {
  let ph = bits[HI]!;
  let pl = bits[LO]!;
  let prevLz = -1;
  let prevTz = 0;
  let cost = 0;
  for (let i = 1; i < values.length; i++) {
    const h = bits[2 * i + HI]!;
    const l = bits[2 * i + LO]!;
    const xh = (h ^ ph) >>> 0;
    const xl = (l ^ pl) >>> 0;
    ph = h;
    pl = l;
    if ((xh | xl) === 0) {
      cost += 1;
      continue;
    }
    let lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const tz = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 63 - Math.clz32(xh & -xh);
    if (lz > 31) lz = 31;
    if (prevLz >= 0 && lz >= prevLz && tz >= prevTz) cost += 2 + 64 - prevLz - prevTz;
    else {
      cost += 13 + 64 - lz - tz;
      prevLz = lz;
      prevTz = tz;
    }
    if (cost >= limit) return cost;
  }
  return cost;
}

function writeXor(w: BitWriter, values: Float64Array, bits: Uint32Array): void {
  let ph = bits[HI]!;
  let pl = bits[LO]!;
  w.writeBits(ph, 32);
  w.writeBits(pl, 32);
  let prevLz = -1;
  let prevTz = 0;
  for (let i = 1; i < values.length; i++) {
    const h = bits[2 * i + HI]!;
    const l = bits[2 * i + LO]!;
    const xh = (h ^ ph) >>> 0;
    const xl = (l ^ pl) >>> 0;
    ph = h;
    pl = l;
    if ((xh | xl) === 0) {
      w.writeBits(0, 1);
      continue;
    }
    let lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const tz = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 63 - Math.clz32(xh & -xh);
    if (lz > 31) lz = 31;
    if (prevLz >= 0 && lz >= prevLz && tz >= prevTz) {
      w.writeBits(0b10, 2);
      writeWindow(w, xh, xl, prevTz, 64 - prevLz - prevTz);
    } else {
      const len = 64 - lz - tz;
      w.writeBits((0b11 << 11) | (lz << 6) | (len & 63), 13);
      writeWindow(w, xh, xl, tz, len);
      prevLz = lz;
      prevTz = tz;
    }
  }
}

/** Writes bits [tz, tz + len) of the 64-bit value (hi, lo). */
export function writeWindow(w: BitWriter, hi: number, lo: number, tz: number, len: number): void {
  let vh: number;
  let vl: number;
  if (tz >= 32) {
    vh = 0;
    vl = hi >>> (tz - 32);
  } else if (tz === 0) {
    vh = hi;
    vl = lo;
  } else {
    vh = hi >>> tz;
    vl = (lo >>> tz) | (hi << (32 - tz));
  }
  if (len > 32) {
    w.writeBits(vh, len - 32);
    w.writeBits(vl, 32);
  } else w.writeBits(vl, len);
}

function readXor(r: BitReader, values: Float64Array, at: number, n: number): void {
  const bits = wordsOf(values);
  let ph = r.readBits(32);
  let pl = r.readBits(32);
  bits[2 * at + HI] = ph;
  bits[2 * at + LO] = pl;
  let lz = -1;
  let tz = 0;
  const end = at + n;
  for (let i = at + 1; i < end; i++) {
    if (r.readBit() === 1) {
      if (r.readBit() === 1) {
        const head = r.readBits(11);
        lz = head >>> 6;
        const len = head & 63 || 64;
        tz = 64 - lz - len;
        if (tz < 0) throw corrupt(`value ${i - at}: window of ${len} bits after ${lz} leading zeros`);
      } else if (lz < 0) throw corrupt(`value ${i - at}: reuses a window before one was set`);
      readWindow(r, 64 - lz - tz, tz);
      ph = (ph ^ xorWords[0]!) >>> 0;
      pl = (pl ^ xorWords[1]!) >>> 0;
    }
    bits[2 * i + HI] = ph;
    bits[2 * i + LO] = pl;
  }
}

// The 32-bit words of the last array XOR values or corrections were read into: decoding a series' rows
// into one array makes one view, not one a row. Kept only after a section filled part of its array
// (readValues), so a whole decoded chunk is never held here.
const NO_VALUES = new Float64Array(0);
const NO_WORDS = new Uint32Array(0);
let wordsFor: Float64Array<ArrayBufferLike> = NO_VALUES;
let words: Uint32Array<ArrayBufferLike> = NO_WORDS;

function wordsOf(values: Float64Array): Uint32Array {
  if (values !== wordsFor) {
    wordsFor = values;
    words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  }
  return words;
}

/** The high and low words {@link readWindow} read (module scratch: no allocation per value). */
const xorWords = new Uint32Array(2);

/** Reads `len` meaningful bits and shifts them left by `tz` into the 64-bit word pair `xorWords`. */
function readWindow(r: BitReader, len: number, tz: number): void {
  let vh = 0;
  let vl: number;
  if (len > 32) {
    vh = r.readBits(len - 32);
    vl = r.readBits(32);
  } else vl = r.readBits(len);
  if (tz >= 32) {
    xorWords[0] = vl << (tz - 32);
    xorWords[1] = 0;
  } else if (tz === 0) {
    xorWords[0] = vh;
    xorWords[1] = vl;
  } else {
    xorWords[0] = (vh << tz) | (vl >>> (32 - tz));
    xorWords[1] = vl << tz;
  }
}

// ---------------------------------------------------------------------------------------------
// Values: decimal

/** Ulp distance below which a value counts as a k-decimal number with a float artefact. */
const NEAR_ULPS = 32;
const near = new Float64Array(2);
const nearWords = new Int32Array(near.buffer);

/** NEAR_ULPS ulps of a normal number v are at most |v| times this (2^−47: 32 · 2^−52). */
const NEAR_SCALE = 2 ** -47;

/**
 * Whether v (finite, not 0) is a k-decimal number: 2 when round(v·10^k) / 10^k is v, 1 when within
 * NEAR_ULPS ulps of it (a float artefact, cheap to correct), 0 when not, −1 when |round(v·10^k)|
 * exceeds 2^52 − 1 (then it is no k-decimal number for any larger k either). `far` is farOf(v).
 */
function nearAt(v: number, k: number, far: number): number {
  const p = POW10[k]!;
  const m = Math.round(v * p);
  if (Math.abs(m) > MAX_MANTISSA) return -1;
  const a = m / p;
  if (Math.abs(a - v) > far) return 0;
  near[0] = v;
  near[1] = a;
  // Same high word (so same sign): the difference of the low words counts ulps, 0 for v itself (as
  // v ≠ 0). No a === v branch: artefacts make it a coin toss (measured 15 % slower on valueOf).
  if (nearWords[HI] === nearWords[2 + HI]) {
    const d = (nearWords[LO]! >>> 0) - (nearWords[2 + LO]! >>> 0);
    if (d <= NEAR_ULPS && d >= -NEAR_ULPS) return 2 - ((d | -d) >>> 31);
  }
  return 0;
}

/**
 * A distance from v beyond which no double is within NEAR_ULPS ulps of v under the same high word:
 * that means the same exponent, so |a − v| ≤ 32·ulp(v) ≤ |v|·2^−47, a − v then being exact. nearAt
 * refuses a farther a without looking at bit patterns. The bound holds for normal numbers only:
 * for tiny ones it is Infinity (the bit test decides every time).
 */
function farOf(v: number): number {
  return v >= 1e-290 || v <= -1e-290 ? Math.abs(v) * NEAR_SCALE : Infinity;
}

/** Values looked at to choose the number of decimals: all of a small chunk, else this many evenly spaced. */
const DECIMALS_SAMPLE = 128;
/** decimalsFor's sample (at most DECIMALS_SAMPLE + 1 values: the float steps may add one). */
const sampleValues = new Float64Array(2 * DECIMALS_SAMPLE);
const sampleFar = new Float64Array(2 * DECIMALS_SAMPLE);
/** Per sampled value: the largest k it was found no k-decimal number for (−1: none yet), or SETTLED. */
const sampleLevel = new Int8Array(2 * DECIMALS_SAMPLE);
const SETTLED = 127;
/**
 * Sampled values the last decimalsFor found to be float artefacts (near, not exact). Only a hint for
 * planDecimal's choice of loop (both classify alike): none seen, values are mostly exact.
 */
let sampledArtefacts = 0;

/**
 * The number of decimals for the decimal modes: the smallest k for which at least half of the values
 * are k-decimal numbers or within NEAR_ULPS of one (float artefacts: sums of 2-decimal values are
 * mostly such), else −1 (the chunk is XOR's: far exceptions would cost more than XOR). Judged on an
 * even sample of a large chunk (a value off the sample only changes the size: it becomes an
 * exception, corrected exactly).
 *
 * Worked out k by k, each value's k tried at most once and in ascending order (so a value counts at
 * its smallest k): a k is settled as soon as half of the sample is known to be k-decimal (the answer)
 * or too few values are left untried at k for that (the next k). A value's smallest k is what a
 * value-by-value search would find: the same answer from about half the rounding tests.
 */
function decimalsFor(values: Float64Array): number {
  const n = values.length;
  const step = n <= DECIMALS_SAMPLE ? 1 : n / DECIMALS_SAMPLE;
  let seen = 0;
  sampledArtefacts = 0;
  let known = 0; // sampled values that are k-decimal for the current k
  let open = 0; // sampled values not settled
  for (let x = 0; x < n; x += step) {
    const v = values[Math.floor(x)]!;
    if (v === 0) {
      if (1 / v > 0) known++; // −0 is no k-decimal number (m / 10^k is +0)
      sampleLevel[seen] = SETTLED;
    } else if (v - v !== 0) sampleLevel[seen] = SETTLED; // NaN, ±Infinity
    else {
      sampleValues[seen] = v;
      sampleFar[seen] = farOf(v);
      sampleLevel[seen] = -1;
      open++;
    }
    seen++;
  }
  for (let k = 0; k <= MAX_DECIMALS; k++) {
    let untried = open;
    for (let s = 0; s < seen && known * 2 < seen && (known + untried) * 2 >= seen; s++) {
      const level = sampleLevel[s]!;
      if (level >= k) continue; // settled
      untried--;
      const v = sampleValues[s]!;
      const far = sampleFar[s]!;
      let r = 0;
      for (let j = level + 1; j <= k && r === 0; j++) r = nearAt(v, j, far);
      if (r === 0) sampleLevel[s] = k;
      else {
        if (r > 0) known++;
        if (r === 1) sampledArtefacts++;
        sampleLevel[s] = SETTLED;
        open--;
      }
    }
    if (known * 2 >= seen) return k;
  }
  return -1;
}

/** The whole number standing for `v` at scale `p`: round(v·p), or `prev` where that is out of range. */
export function mantissa(v: number, p: number, prev: number): number {
  const m = Math.round(v * p);
  return m <= MAX_MANTISSA && m >= -MAX_MANTISSA ? m + 0 : prev; // + 0: no −0; NaN fails both tests
}


/** Per-chunk working arrays (grown as needed; the codec is synchronous). */
let ms = new Float64Array(1024);
/** Per value: −1 exact, 0–24 the width of its ulp field, or XOR_CORRECTION. */
let corr = new Int32Array(1024);
/** Per value with an ulp correction: z (see the layout). */
let zs = new Int32Array(1024);
const XOR_CORRECTION = MAX_ULP_BITS + 1;
const deltaHist = new Int32Array(WIDE + 1);
const dodHist = new Int32Array(WIDE + 1);
const ulpHist = new Float64Array(MAX_ULP_BITS + 1);
const ulpXorBits = new Float64Array(MAX_ULP_BITS + 1);
// planDecimal's fast path counts exact values in slot 0 and ulp corrections of width c in slot c + 1,
// in four interleaved copies (value i in copy i & 3): consecutive values mostly hit the same slot,
// and one copy would chain each increment to the previous one's store.
const ulpSlots = new Int32Array(4 * (MAX_ULP_BITS + 2));
const ulpSlotXor = new Float64Array(4 * (MAX_ULP_BITS + 2));
/** Largest |ulp distance| whose z fits MAX_ULP_BITS bits. */
const ULP_FAST = 2 ** (MAX_ULP_BITS - 1);
const deltaTable = newTable();
const dodTable = newTable();

/** Bits of the XOR correction the last {@link correctionKind} call measured. */
let lastXorBits = 0;
/** z of the last ulp correction {@link correctionKind} found. */
let lastZ = 0;

/**
 * The correction of `approx` into the value with bit pattern (hi, lo): −1 none; 0–24 the width of an
 * ulp field holding it (z in `lastZ`); or XOR_CORRECTION. Sets `lastXorBits` unless exact.
 */
function correctionKind(hi: number, lo: number, approx: number): number {
  scratch[0] = approx;
  const ah = scratchBits[HI]!;
  const al = scratchBits[LO]!;
  if (hi === ah && lo === al) return -1;
  const xh = (hi ^ ah) >>> 0;
  const xl = (lo ^ al) >>> 0;
  const lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
  const tz = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 63 - Math.clz32(xh & -xh);
  lastXorBits = 14 + 64 - lz - tz;
  // Same sign, value finite and not NaN (approx always is): the patterns' difference counts ulps.
  if (xh >>> 31 === 0 && (hi & 0x7ff00000) !== 0x7ff00000) {
    const dh = hi - ah;
    if (dh >= -1 && dh <= 1) {
      const d = dh * TWO32 + (lo - al);
      const z = d > 0 ? 2 * (d - 1) : -2 * d - 1;
      if (z < 2 ** MAX_ULP_BITS) {
        lastZ = z;
        return bitLength(z);
      }
    }
  }
  return XOR_CORRECTION;
}

/** What the decimal modes would write at k decimals (the arrays above hold the per-value parts). */
interface DecimalPlan {
  mode: ValueMode;
  /** Exact bits of the value section, header included. */
  bits: number;
  k: number;
  exceptions: boolean;
  /** Width of the ulp field of corrections (of the near ones in the sparse form). */
  ulpBits: number;
  /** Corrections in the sparse form (see the layout), with these Rice parameters (farRice −1: no far list). */
  sparse: boolean;
  riceR: number;
  farRice: number;
  min: number;
  range: number;
  firstDelta: number;
  /** Frame-of-reference form (see forCost). */
  forForm: number;
}

const fromMinHist = new Int32Array(WIDE + 1);
const fromMaxHist = new Int32Array(WIDE + 1);
/** forCost's counts in two interleaved copies (see ulpSlots), widths ≤ 31. */
const fromMinPair = new Int32Array(64);
const fromMaxPair = new Int32Array(64);
const forTable = newTable();
const fromMaxTable = newTable();

/** The form {@link forCost} chose (0–2). */
let forForm = 0;

/**
 * Bits of the frame-of-reference numbers (m − min, range < 2^31) and the cheapest of its three forms
 * (left in `forForm`): 0 truncated binary over range + 1 symbols, 1 a table over m − min, 2 a table
 * over max − m (a min or max column sits near one end of its range). Leaves form 1's or 2's widths in
 * `forTable`.
 */
function forCost(n: number, min: number, range: number): number {
  const kb = bitLength(range + 1) - 1;
  const cut = 2 ** (kb + 1) - (range + 1);
  let long = 0;
  fromMinPair.fill(0);
  fromMaxPair.fill(0);
  for (let i = 0; i < n; i++) {
    // m − min and max − m are below 2^31: int32 arithmetic.
    const x = (ms[i]! - min) | 0;
    long += (cut - 1 - x) >>> 31; // x ≥ cut: branch-free (a coin toss for uniform values)
    fromMinPair[2 * (32 - Math.clz32(x)) + (i & 1)]! += 1;
    fromMaxPair[2 * (32 - Math.clz32(range - x)) + (i & 1)]! += 1;
  }
  fromMinHist.fill(0);
  fromMaxHist.fill(0);
  for (let w = 0; w < 32; w++) {
    fromMinHist[w] = fromMinPair[2 * w]! + fromMinPair[2 * w + 1]!;
    fromMaxHist[w] = fromMaxPair[2 * w]! + fromMaxPair[2 * w + 1]!;
  }
  let bits = n * kb + long;
  let form = 0;
  // A table is searched only when its lower bound could beat the best so far strictly.
  if (tableLowerBound(fromMinHist) < bits) {
    const fromMin = chooseTable(fromMinHist, forTable, true, bits);
    if (fromMin < bits) {
      bits = fromMin;
      form = 1;
    }
  }
  if (tableLowerBound(fromMaxHist) < bits) {
    const fromMax = chooseTable(fromMaxHist, fromMaxTable, true, bits);
    if (fromMax < bits) {
      bits = fromMax;
      form = 2;
      setTable(forTable, fromMaxTable.widths, fromMaxTable.count);
    }
  }
  forForm = form;
  return 2 + bits;
}

/** The plan planDecimal returns (one object, refilled: encoding is synchronous). */
const plan: DecimalPlan = { mode: ValueMode.DecimalDelta, bits: 0, k: 0, exceptions: false, ulpBits: 0, sparse: false, riceR: 0, farRice: -1, min: 0, range: 0, firstDelta: 0, forForm: 0 };

// scanDecimal's totals.
let scanExact = 0;
let scanFarXor = 0;
let scanMin = 0;
let scanMax = 0;
let scanDodOk = true;
let scanFirstDelta = 0;
let scanDeltaWidths = 0;
let scanDeltaTop = 0;
let scanDodWidths = 0;
let scanDodTop = 0;

/**
 * planDecimal's pass over the values, a function of its own: its optimised code does not depend on
 * what planDecimal does after it (measured steadier). Leaves its totals in the scan* variables above.
 */
function scanDecimal(values: Float64Array, bits: Uint32Array, p: number, exactFirst: boolean): void {
  const n = values.length;
  let exact = 0;
  let farXor = 0;
  let prevM = 0;
  let prevD = 0;
  let min = Infinity;
  let max = -Infinity;
  let dodOk = true;
  let firstDelta = 0;
  let deltaWidths = 0;
  let deltaTop = 0;
  let dodWidths = 0;
  let dodTop = 0;
  // One pass: mantissas, corrections, what the delta and delta-of-delta tables need to be bounded.
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // mantissa(v, p, prevM), inlined.
    let m = Math.round(v * p);
    m = m <= MAX_MANTISSA && m >= -MAX_MANTISSA ? m + 0 : prevM;
    ms[i] = m;
    if (m < min) min = m;
    if (m > max) max = m;
    const a = m / p;
    if (exactFirst && a === v && (v !== 0 || 1 / v > 0)) {
      // Equal numbers other than zero have equal bit patterns (a is never −0): exact.
      corr[i] = -1;
      exact++;
    } else {
      scratch[0] = a;
      const hi = bits[2 * i + HI]!;
      const lo = bits[2 * i + LO]!;
      const al = scratchBits[LO]!;
      const dl = lo - al; // exact: both below 2^32
      if (hi === scratchBits[HI]! && dl <= ULP_FAST && dl >= -ULP_FAST) {
        // The common case, branch-free (exact or not is a coin toss for artefact-laden values): same
        // high word, so same sign, a finite value and d = the low words' difference, whose z fits the
        // widest ulp field (what correctionKind finds, without its branches). Slot 0 counts exact values.
        const d = dl | 0;
        const z = ((d << 1) ^ (d >> 31)) - ((-d >>> 31) << 1);
        const xl = lo ^ al;
        const slot = (33 - Math.clz32(z)) & -((d | -d) >>> 31);
        corr[i] = slot - 1;
        zs[i] = z;
        ulpSlots[4 * slot + (i & 3)]! += 1;
        // Bits of the XOR escape: 14 + 64 − (32 + leading zeros) − trailing zeros, the trailing zeros
        // being 31 − clz32(xl & −xl) (garbage in slot 0).
        ulpSlotXor[4 * slot + (i & 3)]! += 15 - Math.clz32(xl) + Math.clz32(xl & -xl);
      } else {
        const c = correctionKind(hi, lo, a);
        corr[i] = c;
        if (c < 0) exact++;
        else if (c === XOR_CORRECTION) farXor += lastXorBits;
        else {
          zs[i] = lastZ;
          ulpHist[c]! += 1;
          ulpXorBits[c]! += lastXorBits;
        }
      }
    }
    if (i > 0) {
      // Smooth (exact) values: the histograms here, delta or delta-of-delta usually wins. Else only
      // the sum and the largest of the widths (registers): a histogram pass follows for a mode whose
      // lower bound (tableLowerBound's, from these) does not rule it out.
      const d = m - prevM;
      const wd = intWidth(d);
      if (exactFirst) deltaHist[wd]! += 1;
      else {
        deltaWidths += wd;
        if (wd > deltaTop) deltaTop = wd;
      }
      if (i === 1) firstDelta = d;
      else {
        const dd = d - prevD;
        if (dd > MAX_WIDE || dd < -MAX_WIDE) dodOk = false;
        else {
          const wdd = intWidth(dd);
          if (exactFirst) dodHist[wdd]! += 1;
          else {
            dodWidths += wdd;
            if (wdd > dodTop) dodTop = wdd;
          }
        }
      }
      prevD = d;
    }
    prevM = m;
  }
  scanExact = exact;
  scanFarXor = farXor;
  scanMin = min;
  scanMax = max;
  scanDodOk = dodOk;
  scanFirstDelta = firstDelta;
  scanDeltaWidths = deltaWidths;
  scanDeltaTop = deltaTop;
  scanDodWidths = dodWidths;
  scanDodTop = dodTop;
}

// ---------------------------------------------------------------------------------------------
// Corrections, sparse form (see the layout): Rice-coded gaps between the exceptions, a u-bit field
// for the near ones, the far ones listed among the exceptions.

/** The value of the 5-bit ulp-width field (≤ MAX_ULP_BITS in the flags form) that announces the sparse form. */
const SPARSE_CORRECTIONS = 31;
/** Largest Rice parameter (5 bits; gaps are below 2^31). */
const MAX_RICE = 31;
/** Per exception, ascending: its index and its correction's kind (corr), planning and writing the sparse form. */
let excAt = new Int32Array(1024);
let excCls = new Int32Array(1024);
/** Per Rice parameter s: the sum of g >>> s over the numbers g added (riceBest). */
const riceSums = new Float64Array(MAX_RICE + 1);
/** The parameter the last riceBest chose. */
let riceParam = 0;
/** What the last sparseCost chose: near width, Rice parameters of the gaps and of the far list (−1: none). */
let sparseU = 0;
let sparseR = 0;
let sparseS = -1;
/** Exceptions the last sparseCost found (in excAt and excCls, which writeSparse writes). */
let excCount = 0;
/** sparseCost's per near width u: a lower bound of the form's bits, then (once evaluated) −1. */
const sparseBound = new Float64Array(MAX_ULP_BITS + 1);

/** Adds g >>> s for s ≥ `from` to riceSums (g < 2^31). */
function addRice(g: number, from: number): void {
  for (let s = from, x = g >>> from; x > 0; s++, x >>>= 1) riceSums[s]! += x;
}

/** Exact bits of the `count` Rice codes whose numbers riceSums holds, at the best parameter (left in riceParam; the smallest on a tie). */
function riceBest(count: number): number {
  let best = Infinity;
  for (let s = 0; s <= MAX_RICE; s++) {
    const c = riceSums[s]! + count * (1 + s);
    if (c < best) {
      best = c;
      riceParam = s;
    }
    if (riceSums[s] === 0) break; // every larger s costs `count` more a step
  }
  return best;
}

/**
 * Exact bits of the sparse form of the corrections planDecimal classified (corr, zs, ulpHist;
 * `xorBits` the flags form's bits of the exceptions only XOR can correct), at its best near width
 * (sparseU) and Rice parameters (sparseR, sparseS); some cost ≥ `limit` when it cannot beat that.
 * Leaves the exceptions in excAt and excCls.
 */
function sparseCost(n: number, exceptions: number, xorBits: number, limit: number): number {
  // The exceptions' indices and kinds, branch-free (exact or not is a coin toss for artefacts); then
  // the Rice sums of their gaps, s = 0–4 in registers (wider gaps add the rest).
  let e = 0;
  for (let i = 0; i < n; i++) {
    const c = corr[i]!;
    excAt[e] = i;
    excCls[e] = c;
    e += ~c >>> 31;
  }
  excCount = e;
  riceSums.fill(0);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let prev = -1;
  for (let j = 0; j <= e; j++) {
    const i = j < e ? excAt[j]! : n; // the last gap ends the list at n
    const g = i - prev - 1;
    prev = i;
    s0 += g;
    s1 += g >>> 1;
    s2 += g >>> 2;
    s3 += g >>> 3;
    s4 += g >>> 4;
    if (g >= 32) addRice(g, 5);
  }
  riceSums[0] = s0;
  riceSums[1] = s1;
  riceSums[2] = s2;
  riceSums[3] = s3;
  riceSums[4] = s4;
  // Marker, u, r, the far list's flag, then the gaps.
  const base = 5 + 5 + 1 + 5 + riceBest(e + 1);
  sparseR = riceParam;
  if (base >= limit) return base;
  let ulps = 0;
  let top = -1;
  for (let c = 0; c <= MAX_ULP_BITS; c++) {
    if (ulpHist[c]! > 0) {
      ulps += ulpHist[c]!;
      top = c;
    }
  }
  // An XOR escape costs '1' + 12 + its window: the flags form's '11' + 12 + window less a bit. A far
  // ulp correction of z (c bits): '0', Elias gamma of z >>> u (2(c − u) − 1 bits), u bits: 2c − u.
  const xorCodes = xorBits - (exceptions - ulps);
  // Per u up to the widest ulp correction (a wider one only costs more): the bits of all but the far
  // list, plus a lower bound of the far list (its count ≥ 6 bits, s 5, a bit a gap at least).
  const last = top > 0 ? top : 0;
  let near = 0;
  for (let u = 0; u <= last; u++) {
    near += ulpHist[u]!;
    let far = xorCodes;
    for (let c = u + 1; c <= top; c++) far += ulpHist[c]! * (2 * c - u);
    const farCount = exceptions - near;
    sparseBound[u] = base + near * u + far + (farCount > 0 ? 11 + farCount : 0);
  }
  // The far lists exactly, in the order of those bounds, while one could beat the best so far.
  let best = limit;
  sparseU = -1;
  for (;;) {
    let u = -1;
    for (let x = 0; x <= last; x++) if (sparseBound[x]! >= 0 && (u < 0 || sparseBound[x]! < sparseBound[u]!)) u = x;
    // Done when none could beat the best, or tie with it at a smaller u (ties go to the smallest u).
    if (u < 0 || sparseBound[u]! > best || (sparseBound[u] === best && (sparseU < 0 || u > sparseU))) break;
    let bits = sparseBound[u]!;
    sparseBound[u] = -1;
    let s = -1;
    let f = 0;
    riceSums.fill(0);
    let prevFar = -1;
    for (let j = 0; j < e; j++) {
      if (excCls[j]! > u) {
        addRice(j - prevFar - 1, 0);
        prevFar = j;
        f++;
      }
    }
    if (f > 0) {
      bits += varCost(f - 1) + 5 + riceBest(f) - (11 + f);
      s = riceParam;
    }
    if (bits < best || (bits === best && sparseU >= 0 && u < sparseU)) {
      best = bits;
      sparseU = u;
      sparseS = s;
    }
  }
  return best;
}

/** Writes g (0 ≤ g < 2^31) as a Rice code of parameter r: g >>> r in unary (ones, then a zero), then r low bits. */
function writeRice(w: BitWriter, g: number, r: number): void {
  let q = g >>> r;
  const low = g & (2 ** r - 1);
  if (q + 1 + r <= 32) {
    // (2^q − 1) · 2^(r + 1) + low < 2^32: one field.
    w.writeBits((((1 << q) - 1) << (r + 1)) | low, q + 1 + r);
    return;
  }
  while (q >= 31) {
    w.writeBits(0x7fffffff, 31);
    q -= 31;
  }
  w.writeBits(((1 << q) - 1) << 1, q + 1);
  w.writeBits(low, r);
}

/**
 * Writes value i's XOR correction against m / 10^k (ms[i] / p; `bits` the values' words): `prefix` in
 * `prefixBits` bits, 6 bits leading zeros, 6 bits length (64 as 0), then the XOR'd bits (see the layout).
 */
function writeXorEscape(w: BitWriter, bits: Uint32Array, i: number, p: number, prefix: number, prefixBits: number): void {
  scratch[0] = ms[i]! / p;
  const xh = (bits[2 * i + HI]! ^ scratchBits[HI]!) >>> 0;
  const xl = (bits[2 * i + LO]! ^ scratchBits[LO]!) >>> 0;
  const lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
  const tz = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 63 - Math.clz32(xh & -xh);
  const len = 64 - lz - tz;
  w.writeBits((prefix << 12) | (lz << 6) | (len & 63), prefixBits + 12);
  writeWindow(w, xh, xl, tz, len);
}

/** Writes the sparse corrections the last sparseCost planned (excAt, excCls, zs). */
function writeSparse(w: BitWriter, n: number, bits: Uint32Array, p: number, plan: DecimalPlan): void {
  const u = plan.ulpBits;
  const r = plan.riceR;
  const e = excCount;
  w.writeBits((SPARSE_CORRECTIONS << 11) | (u << 6) | (r << 1) | (plan.farRice < 0 ? 0 : 1), 16);
  if (plan.farRice >= 0) {
    const s = plan.farRice;
    let f = 0;
    for (let j = 0; j < e; j++) f += (u - excCls[j]!) >>> 31;
    writeVar(w, f - 1);
    w.writeBits(s, 5);
    let prev = -1;
    for (let j = 0; j < e; j++) {
      if (excCls[j]! > u) {
        writeRice(w, j - prev - 1, s);
        prev = j;
      }
    }
  }
  const lowMask = 2 ** r - 1;
  let prev = -1;
  for (let j = 0; j < e; j++) {
    const i = excAt[j]!;
    const g = i - prev - 1;
    prev = i;
    const c = excCls[j]!;
    const q = g >>> r;
    const len = q + 1 + r + u;
    if (c <= u && len <= 32) {
      // The gap's code and the near z in one field: (2^q − 1) · 2^(r + 1 + u) + low · 2^u + z < 2^32.
      w.writeBits((((1 << q) - 1) << (r + 1 + u)) | ((g & lowMask) << u) | zs[i]!, len);
      continue;
    }
    writeRice(w, g, r);
    if (c <= u) w.writeBits(zs[i]!, u);
    else if (c <= MAX_ULP_BITS) {
      // '0' and the Elias gamma of z >>> u (L − 1 zeros, then its L bits): z >>> u in 2L bits, then u bits.
      const z = zs[i]!;
      const hi = z >>> u;
      const gamma = 2 * (32 - Math.clz32(hi));
      if (gamma > 32) w.writeBits(0, gamma - 32);
      w.writeBits(hi, gamma > 32 ? 32 : gamma);
      w.writeBits(z, u);
    } else writeXorEscape(w, bits, i, p, 1, 1);
  }
  writeRice(w, n - 1 - prev, r);
}

/** Plans the decimal value section at k decimals: fills the per-value arrays and picks the cheapest mode. */
function planDecimal(values: Float64Array, bits: Uint32Array, k: number, allowSparse: boolean): DecimalPlan {
  const n = values.length;
  if (ms.length < n) {
    const size = Math.max(n, 2 * ms.length);
    ms = new Float64Array(size);
    corr = new Int32Array(size);
    zs = new Int32Array(size);
    excAt = new Int32Array(size);
    excCls = new Int32Array(size);
  }
  const p = POW10[k]!;
  // Exact values first (one predictable branch) when the sample showed no artefacts; else every
  // value takes the branch-free classification (exact or not is then a coin toss).
  const exactFirst = sampledArtefacts === 0;
  if (exactFirst) {
    deltaHist.fill(0);
    dodHist.fill(0);
  }
  ulpHist.fill(0);
  ulpXorBits.fill(0);
  ulpSlots.fill(0);
  ulpSlotXor.fill(0);
  scanDecimal(values, bits, p, exactFirst);
  const farXor = scanFarXor;
  const min = scanMin;
  const max = scanMax;
  const dodOk = scanDodOk;
  const firstDelta = scanFirstDelta;
  const deltaWidths = scanDeltaWidths;
  const deltaTop = scanDeltaTop;
  const dodWidths = scanDodWidths;
  const dodTop = scanDodTop;
  let exact = scanExact;
  exact += ulpSlots[0]! + ulpSlots[1]! + ulpSlots[2]! + ulpSlots[3]!;
  for (let c = 0; c <= MAX_ULP_BITS; c++) {
    const o = 4 * (c + 1);
    ulpHist[c]! += ulpSlots[o]! + ulpSlots[o + 1]! + ulpSlots[o + 2]! + ulpSlots[o + 3]!;
    // Summed in the order the values came, copy by copy: whole numbers below 2^53, so exact anyway.
    ulpXorBits[c]! += ulpSlotXor[o]! + ulpSlotXor[o + 1]! + ulpSlotXor[o + 2]! + ulpSlotXor[o + 3]!;
  }

  const exceptions = exact < n;
  let ulpBits = 0;
  let correctionBits = 0;
  let sparse = false;
  if (exceptions) {
    // The ulp field's width by exact cost: wider fields take more exceptions off the XOR escape.
    let xorAbove = 0;
    for (let w = 0; w <= MAX_ULP_BITS; w++) xorAbove += ulpXorBits[w]!;
    correctionBits = Infinity;
    let ulpCount = 0;
    for (let u = 0; u <= MAX_ULP_BITS; u++) {
      ulpCount += ulpHist[u]!;
      xorAbove -= ulpXorBits[u]!;
      const c = 5 + exact + farXor + ulpCount * (2 + u) + xorAbove;
      if (c < correctionBits) {
        correctionBits = c;
        ulpBits = u;
      }
    }
    // The sparse form when it costs strictly less (a tie keeps the flags).
    const sparseBits = allowSparse ? sparseCost(n, n - exact, farXor, correctionBits) : Infinity;
    if (sparseBits < correctionBits) {
      correctionBits = sparseBits;
      sparse = true;
      ulpBits = sparseU;
    }
  }

  // The cheapest mode, the first of delta, delta-of-delta, frame of reference on a tie. The frame of
  // reference is costed first; a mode whose lower bound exceeds a cost already known cannot be the
  // cheapest and skips its exact table search (its table is only used when it wins).
  const head = 3 + 4 + correctionBits;
  const first = varCost(zigzag(ms[0]!));
  const range = max - min;
  let forBits = Infinity;
  let form = 0;
  if (range < 2 ** 31 && n >= 2) {
    forBits = varCost(zigzag(min)) + 5 + bitLength(range) + forCost(n, min, range);
    form = forForm;
  }
  let deltaBits = Infinity;
  if (n < 2) deltaBits = first;
  else if (first + (exactFirst ? tableLowerBound(deltaHist) : lowerBound(n - 1, deltaTop, deltaWidths)) <= forBits) {
    if (!exactFirst) {
      deltaHist.fill(0);
      for (let i = 1; i < n; i++) deltaHist[intWidth(ms[i]! - ms[i - 1]!)]! += 1;
    }
    // Exact when delta could win (≤ forBits: ties go to delta), else some cost above forBits.
    deltaBits = first + chooseTable(deltaHist, deltaTable, true, forBits - first + 1);
  }
  let dodBits = Infinity;
  if (n >= 3 && dodOk && Math.abs(firstDelta) < TWO52) {
    const fixed = first + varCost(zigzag(firstDelta));
    if (fixed + (exactFirst ? tableLowerBound(dodHist) : lowerBound(n - 2, dodTop, dodWidths)) <= Math.min(forBits, deltaBits)) {
      if (!exactFirst) {
        dodHist.fill(0);
        for (let i = 2; i < n; i++) dodHist[intWidth(ms[i]! - ms[i - 1]! - (ms[i - 1]! - ms[i - 2]!))]! += 1;
      }
      // Exact when it could win (strictly below both), else some cost that cannot.
      dodBits = fixed + chooseTable(dodHist, dodTable, true, Math.min(forBits, deltaBits) - fixed);
    }
  }
  let mode: ValueMode = ValueMode.DecimalDelta;
  let best = deltaBits;
  if (dodBits < best) {
    best = dodBits;
    mode = ValueMode.DecimalDod;
  }
  if (forBits < best) {
    best = forBits;
    mode = ValueMode.DecimalFor;
  }
  plan.mode = mode;
  plan.bits = head + best;
  plan.k = k;
  plan.exceptions = exceptions;
  plan.ulpBits = ulpBits;
  plan.sparse = sparse;
  plan.riceR = sparseR;
  plan.farRice = sparseS;
  plan.min = min;
  plan.range = range;
  plan.firstDelta = firstDelta;
  plan.forForm = mode === ValueMode.DecimalFor ? form : 0;
  return plan;
}

function writeDecimal(w: BitWriter, values: Float64Array, bits: Uint32Array, plan: DecimalPlan): void {
  const n = values.length;
  w.writeBits((plan.mode << 1) | (plan.exceptions ? 1 : 0), 3);
  w.writeBits(plan.k, 4);
  if (plan.mode === ValueMode.DecimalFor) {
    const { min, range } = plan;
    writeVar(w, zigzag(min));
    const l = bitLength(range);
    w.writeBits(l, 5);
    w.writeBits(range, l);
    w.writeBits(plan.forForm, 2);
    if (plan.forForm === 0) {
      const kb = bitLength(range + 1) - 1;
      const cut = 2 ** (kb + 1) - (range + 1);
      // Branch-free (short or long code is a coin toss for uniform values), into the writer's words
      // straight from locals (see BitWriter): a step completing a word stores it and moves on, any
      // other stores a word that the next one overwrites. x, cut < 2^31; a code has kb + 1 ≤ 32 bits.
      const words = w.reserve(n * (kb + 1));
      let acc = w.acc;
      let accBits = w.accBits;
      let used = w.used;
      for (let i = 0; i < n; i++) {
        const x = (ms[i]! - min) | 0;
        const long = (cut - 1 - x) >>> 31; // 1 when x ≥ cut
        const v = (x + (cut & -long)) | 0;
        const total = accBits + kb + long;
        const full = -(total >>> 5); // −1 when a word completes
        const rest = total - 32; // bits of v left over then (0–31)
        words[used] = (acc << (32 - accBits)) | (v >>> rest);
        acc = (((acc << (kb + long)) | v) & ~full) | (v & ((1 << rest) - 1) & full);
        accBits = total & 31;
        used -= full;
      }
      w.acc = acc;
      w.accBits = accBits;
      w.used = used;
    } else {
      // The table zigzags what it writes: hand it unzigzag(x) so that x itself is stored.
      writeTable(w, forTable);
      const max = min + range;
      for (let i = 0; i < n; i++) {
        const x = plan.forForm === 1 ? ms[i]! - min : max - ms[i]!;
        writeInt(w, (x >>> 1) ^ -(x & 1), forTable);
      }
    }
  } else {
    writeVar(w, zigzag(ms[0]!));
    if (plan.mode === ValueMode.DecimalDelta) {
      if (n >= 2) {
        writeTable(w, deltaTable);
        if (!isFree(deltaTable)) for (let i = 1; i < n; i++) writeInt(w, ms[i]! - ms[i - 1]!, deltaTable);
      }
    } else {
      writeVar(w, zigzag(plan.firstDelta));
      writeTable(w, dodTable);
      if (!isFree(dodTable)) {
        let prevD = plan.firstDelta;
        for (let i = 2; i < n; i++) {
          const d = ms[i]! - ms[i - 1]!;
          writeInt(w, d - prevD, dodTable);
          prevD = d;
        }
      }
    }
  }
  if (!plan.exceptions) return;
  const p = POW10[plan.k]!;
  if (plan.sparse) {
    writeSparse(w, n, bits, p, plan);
    return;
  }
  const u = plan.ulpBits;
  w.writeBits(u, 5);
  // '0' and '10' + z branch-free from locals as above (exact or not is a coin toss for artefacts);
  // the rare XOR escapes go through the writer.
  let words = w.reserve(n * (2 + u));
  let acc = w.acc;
  let accBits = w.accBits;
  let used = w.used;
  const ulpCode = 2 << u;
  for (let i = 0; i < n; i++) {
    const c = corr[i]!;
    if (c <= u) {
      const some = ~(c >> 31); // 0 exact, −1 an ulp correction (zs[i] then holds z)
      const v = (ulpCode | zs[i]!) & some;
      const len = 1 + ((1 + u) & some);
      const total = accBits + len;
      const full = -(total >>> 5);
      const rest = total - 32;
      words[used] = (acc << (32 - accBits)) | (v >>> rest);
      acc = (((acc << len) | v) & ~full) | (v & ((1 << rest) - 1) & full);
      accBits = total & 31;
      used -= full;
    } else {
      w.acc = acc;
      w.accBits = accBits;
      w.used = used;
      writeXorEscape(w, bits, i, p, 0b11, 2);
      words = w.reserve((n - i) * (2 + u));
      acc = w.acc;
      accBits = w.accBits;
      used = w.used;
    }
  }
  w.acc = acc;
  w.accBits = accBits;
  w.used = used;
}

const readValueTable = newTable();

/** Sections of up to this many values are decoded and corrected in `corrected`, then copied out. */
const CORRECTED_VALUES = 4096;
const corrected = new Float64Array(CORRECTED_VALUES);
const correctedWords = new Int32Array(corrected.buffer);
let correctedView = corrected.subarray(0, 0);

function readDecimal(r: BitReader, out: Float64Array, at: number, n: number, mode: ValueMode, exceptions: boolean): void {
  if (!exceptions) readMantissas(r, out, at, n, mode);
  else if (n > CORRECTED_VALUES) {
    readMantissas(r, out, at, n, mode);
    readCorrections(r, new Int32Array(out.buffer, out.byteOffset, out.length * 2), at, at + n);
  } else {
    // Corrected in a small array that stays in cache, then copied out (a copy keeps every bit, NaN
    // payloads included): correcting `out` in place read each value back right after its store into
    // a column of the whole read, and measured slower, as did correcting on the way into `out`.
    readMantissas(r, corrected, 0, n, mode);
    readCorrections(r, correctedWords, 0, n);
    if (correctedView.length !== n) correctedView = corrected.subarray(0, n);
    out.set(correctedView, at);
  }
}

/** Reads the decimal section's k and numbers into `out[at…at + n)` as m / 10^k. */
function readMantissas(r: BitReader, out: Float64Array, at: number, n: number, mode: ValueMode): void {
  const k = r.readBits(4);
  if (k > MAX_DECIMALS) throw corrupt(`decimals ${k} out of range`);
  const p = POW10[k]!;
  // One function a mode: small enough for V8 to inline the reader's methods into each.
  if (mode === ValueMode.DecimalFor) readFrameOfReference(r, out, at, n, p);
  else if (mode === ValueMode.DecimalDelta) readDeltas(r, out, at, n, p);
  else readDods(r, out, at, n, p);
}

/** The frame-of-reference numbers of `n` values, as m / p into `out[at…at + n)`. */
function readFrameOfReference(r: BitReader, out: Float64Array, at: number, n: number, p: number): void {
  const end = at + n;
  const min = unzigzag(readVar(r));
  const l = r.readBits(5);
  const range = r.readBits(l);
  if (Math.abs(min) > MAX_MANTISSA || Math.abs(min + range) > MAX_MANTISSA) throw corrupt('values out of range');
  const form = r.readBits(2);
  if (form === 0 && range === 0) out.fill(min / p, at, end); // a constant column (counts)
  else if (form === 0 && (range & (range + 1)) === 0 && range < 2 ** FIELD_BITS) {
    // range + 1 = 2^kb symbols: every value in kb bits (no long codes, no check: x ≤ range).
    const width = bitLength(range);
    const shift = 32 - width;
    const b = r.buf;
    let q = r.advance(width * n);
    for (let i = at; i < end; i++) {
      const x = fieldAt(b, q, shift);
      q += width;
      out[i] = (min + x) / p;
    }
  } else if (form === 0) {
    const kb = bitLength(range + 1) - 1;
    const cut = 2 ** (kb + 1) - (range + 1);
    for (let i = at; i < end; i++) {
      let x = r.readBits(kb);
      if (x >= cut) {
        x = x * 2 + r.readBit() - cut;
        if (x > range) throw corrupt(`value ${i - at} out of range`);
      }
      out[i] = (min + x) / p;
    }
  } else if (form === 3) throw corrupt('unknown frame-of-reference form');
  else {
    readTable(r, readValueTable);
    const max = min + range;
    if (isFixed(readValueTable)) {
      // x itself is stored (see writeDecimal).
      const width = readValueTable.widths[0]!;
      const shift = 32 - width;
      const b = r.buf;
      let q = r.advance(width * n);
      for (let i = at; i < end; i++) {
        const x = fieldAt(b, q, shift);
        q += width;
        if (x > range) throw corrupt(`value ${i - at} out of range`);
        out[i] = (form === 1 ? min + x : max - x) / p;
      }
    } else {
      for (let i = at; i < end; i++) {
        const d = readInt(r, readValueTable);
        const x = d >= 0 ? 2 * d : -2 * d - 1;
        if (x > range) throw corrupt(`value ${i - at} out of range`);
        out[i] = (form === 1 ? min + x : max - x) / p;
      }
    }
  }
}

/** The first value's mantissa of a delta or delta-of-delta column (zigzag varint), range-checked. */
function readFirstMantissa(r: BitReader): number {
  const m = unzigzag(readVar(r));
  if (Math.abs(m) > MAX_MANTISSA) throw corrupt('value 0 out of range');
  return m;
}

/** The decimal deltas of `n` values, as m / p into `out[at…at + n)`. */
function readDeltas(r: BitReader, out: Float64Array, at: number, n: number, p: number): void {
  const end = at + n;
  let m = readFirstMantissa(r);
  out[at] = m / p;
  if (n < 2) return;
  readTable(r, readValueTable);
  if (isFree(readValueTable)) out.fill(out[at]!, at + 1, end);
  else if (isFixed(readValueTable)) {
    const width = readValueTable.widths[0]!;
    const shift = 32 - width;
    const b = r.buf;
    let q = r.advance(width * (n - 1));
    for (let i = at + 1; i < end; i++) {
      const u = fieldAt(b, q, shift);
      q += width;
      m += (u >>> 1) ^ -(u & 1);
      if (m > MAX_MANTISSA || m < -MAX_MANTISSA) throw corrupt(`value ${i - at} out of range`);
      out[i] = m / p;
    }
  } else {
    for (let i = at + 1; i < end; i++) {
      m += readInt(r, readValueTable);
      if (m > MAX_MANTISSA || m < -MAX_MANTISSA) throw corrupt(`value ${i - at} out of range`);
      out[i] = m / p;
    }
  }
}

/** The decimal delta-of-deltas of `n` values, as m / p into `out[at…at + n)`. */
function readDods(r: BitReader, out: Float64Array, at: number, n: number, p: number): void {
  const end = at + n;
  let m = readFirstMantissa(r);
  out[at] = m / p;
  if (n < 3) throw corrupt('delta-of-deltas of fewer than 3 values');
  let d = unzigzag(readVar(r));
  m += d;
  if (m > MAX_MANTISSA || m < -MAX_MANTISSA) throw corrupt('value 1 out of range');
  out[at + 1] = m / p;
  readTable(r, readValueTable);
  if (isFixed(readValueTable)) {
    const width = readValueTable.widths[0]!;
    const shift = 32 - width;
    const b = r.buf;
    let q = r.advance(width * (n - 2));
    for (let i = at + 2; i < end; i++) {
      const u = fieldAt(b, q, shift);
      q += width;
      d += (u >>> 1) ^ -(u & 1);
      m += d;
      // No check of d: |d| > MAX_WIDE puts m (checked) out of range, the previous m being in it.
      if (m > MAX_MANTISSA || m < -MAX_MANTISSA) throw corrupt(`value ${i - at} out of range`);
      out[i] = m / p;
    }
  } else {
    for (let i = at + 2; i < end; i++) {
      d += readInt(r, readValueTable);
      m += d;
      if (m > MAX_MANTISSA || m < -MAX_MANTISSA || d > MAX_WIDE || d < -MAX_WIDE) throw corrupt(`value ${i - at} out of range`);
      out[i] = m / p;
    }
  }
}

/** Applies the corrections section to the values decoded as m / 10^k. */
function readCorrections(r: BitReader, bits: Int32Array, at: number, end: number): void {
  const u = r.readBits(5);
  if (u === SPARSE_CORRECTIONS) {
    readSparse(r, bits, at, end);
    return;
  }
  lastSparse = false;
  if (u > MAX_ULP_BITS) throw corrupt(`ulp field of ${u} bits`);
  // The values as 32-bit words (`bits`), corrected in place: NaN payloads of XOR corrections must not
  // pass through a number, and an ulp step is an integer step of the bit pattern.
  // The codes come from a 32-bit window `w` of which the top `have` bits are the next ones (a code
  // and its ulps are 2 + u ≤ 26 bits): consuming a code shifts it out, and the window is loaded again
  // from the position (word32: 25 bits or more, enough while 2 + u ≤ 25, else peek32) only when it
  // holds less than that: the next code depends on a shift, not on loads.
  const b = r.buf;
  const stop = r.end;
  const wide = u > 23;
  const ulpShift = 32 - u;
  const ulpMask = (1 << u) - 1;
  const need = 2 + u;
  let p = r.pos;
  let w = 0;
  let have = 0;
  for (let i = at; i < end; i++) {
    if (have < need) {
      if (!wide) {
        w = word32(b, p >>> 3) << (p & 7);
        have = 32 - (p & 7);
      } else {
        r.pos = p;
        w = r.peek32();
        have = 32;
      }
    }
    // '0' exact · '10' ulps · '11' XOR. Exact values and ulp corrections take the same branch-free
    // steps (d = 0 for an exact one): which one comes next is a coin toss for sums. The end is
    // checked once after the loop: the position only grows, and what was read past the end (zero
    // past the buffer) goes with the values of a refused section.
    if (w >>> 30 !== 3) {
      const c = w >>> 31; // 1 for '10'
      const len = 1 + c * (1 + u);
      p += len;
      // z in u bits: d = z / 2 + 1 for an even z, −(z + 1) / 2 for an odd one.
      const z = ((w << 2) >>> ulpShift) & ulpMask;
      w <<= len;
      have -= len;
      const d = (((z >>> 1) ^ -(z & 1)) + ((z & 1) ^ 1)) & -c;
      // The low word plus d (|d| < 2^24) in 32-bit arithmetic. Only when its top bit changes can the
      // step carry into the high word (set before and clear after going up past 2^32, clear before
      // and set after going down past 0; d's sign tells which), and only then can the value leave
      // the finite range or its sign (v is finite: m / 10^k).
      const lo0 = bits[2 * i + LO]!;
      const lo = (lo0 + d) | 0;
      if ((lo0 ^ lo) < 0) carryUlps(bits, i, lo0, lo, d, at);
      bits[2 * i + LO] = lo;
    } else {
      r.pos = p + 2;
      const head = r.readBits(12);
      const lz = head >>> 6;
      const len = head & 63 || 64;
      const tz = 64 - lz - len;
      if (tz < 0) throw corrupt(`value ${i - at}: correction of ${len} bits after ${lz} leading zeros`);
      readWindow(r, len, tz);
      p = r.pos;
      have = 0;
      bits[2 * i + HI] = bits[2 * i + HI]! ^ xorWords[0]!;
      bits[2 * i + LO] = bits[2 * i + LO]! ^ xorWords[1]!;
    }
  }
  if (p > stop) throw r.truncated(p);
  r.pos = p;
}

/** Whether the last corrections read were in the sparse form (describeChunk). */
let lastSparse = false;
/** The far exceptions' indices among the exceptions (readSparse; grown as needed). */
let farRead = new Int32Array(64);

/** Reads a Rice code of parameter s (checked reads); refuses a number above `limit` (≤ 2^31). */
function readRice(r: BitReader, s: number, limit: number): number {
  let q = 0;
  for (;;) {
    const w = r.peek32();
    const ones = Math.clz32(~w);
    if (ones < 32) {
      r.skip(ones + 1);
      q += ones;
      break;
    }
    r.skip(32);
    q += 32;
    if (q * 2 ** s > limit) throw corrupt('gap out of range');
  }
  const g = q * 2 ** s + r.readBits(s);
  if (g > limit) throw corrupt('gap out of range');
  return g;
}

/**
 * Adds the ulp distance of z (see the layout) to the value whose words are at 2i, 2i + 1 of `bits`
 * (v finite: m / 10^k): refused when the step leaves the finite range or the sign.
 */
function addUlps(bits: Int32Array, i: number, z: number, at: number): void {
  const d = ((z >>> 1) ^ -(z & 1)) + ((z & 1) ^ 1);
  const lo0 = bits[2 * i + LO]!;
  const lo = (lo0 + d) | 0;
  if ((lo0 ^ lo) < 0) carryUlps(bits, i, lo0, lo, d, at);
  bits[2 * i + LO] = lo;
}

/**
 * The high word of value i after its low word went from lo0 to lo by the step d (|d| < 2^24) and its top
 * bit changed (see readCorrections): refused when the value leaves the finite range or its sign.
 */
function carryUlps(bits: Int32Array, i: number, lo0: number, lo: number, d: number, at: number): void {
  const hi0 = bits[2 * i + HI]!;
  const down = d >> 31;
  const hi = (hi0 + ((((lo0 & ~lo) >>> 31) & ~down) - (((~lo0 & lo) >>> 31) & down))) | 0;
  if (((hi >>> 20) & 0x7ff) === 0x7ff || (hi ^ hi0) < 0) throw corrupt(`value ${i - at}: ulp correction leaves the finite range`);
  bits[2 * i + HI] = hi;
}

/** Applies corrections in the sparse form (after their 5-bit marker) to values at[at…end) as words in `bits`. */
function readSparse(r: BitReader, bits: Int32Array, at: number, end: number): void {
  lastSparse = true;
  const n = end - at;
  // u, r and the far list's flag in one read.
  const head = r.readBits(11);
  const u = head >>> 6;
  const rr = (head >>> 1) & 31;
  if (u > MAX_ULP_BITS) throw corrupt(`ulp field of ${u} bits`);
  // The far list: indices among the exceptions, ascending (checked against their count at the end).
  let f = 0;
  if ((head & 1) === 1) {
    const more = readVar(r);
    if (more >= n) throw corrupt(`${more + 1} far exceptions of ${n} values`);
    f = more + 1;
    const s = r.readBits(5);
    // Each takes at least 1 + s bits: bounded by the input before allocating.
    if (f * (1 + s) > r.remaining) throw r.truncated(r.pos + f * (1 + s));
    if (farRead.length < f) farRead = new Int32Array(Math.max(f, 2 * farRead.length));
    // Rice codes from a shifted window as the gaps below (a long one in checked reads).
    const sMask = s === 31 ? 0x7fffffff : (1 << s) - 1;
    const b = r.buf;
    const stop = r.end;
    let p = r.pos;
    let w = 0;
    let have = 0;
    let prev = -1;
    for (let x = 0; x < f; x++) {
      if (have < 25) {
        w = word32(b, p >>> 3) << (p & 7);
        have = 32 - (p & 7);
      }
      const ones = Math.clz32(~w);
      const len = ones + 1 + s;
      if (len <= have) {
        prev += 1 + (ones << s) + ((((w << (ones + 1)) >>> 1) >>> (31 - s)) & sMask);
        p += len;
        w <<= len;
        have -= len;
      } else {
        r.pos = p;
        prev += 1 + readRice(r, s, n);
        p = r.pos;
        have = 0;
      }
      if (prev >= n) throw corrupt('far exception out of range');
      if (p > stop) throw r.truncated(p);
      farRead[x] = prev;
    }
    r.pos = p;
  }
  const rMask = rr === 31 ? 0x7fffffff : (1 << rr) - 1;
  const ulpMask = (1 << u) - 1;
  // The gaps and the codes come from a shifted 32-bit window as in readCorrections: its top `have`
  // bits are the next ones (25 or more after a load from word32), zeros below. A code not wholly in
  // it (a long gap, a wide far code) and the XOR escapes take the checked reads. The end is checked
  // once after the loop, as there: each gap moves the position on (past n is refused), and what was
  // read past the end (zero past the buffer) goes with the values of a refused section.
  const b = r.buf;
  const stop = r.end;
  let p = r.pos;
  let w = 0;
  let have = 0;
  let pos = -1;
  let j = 0;
  let fi = 0;
  let nextFar = f > 0 ? farRead[0]! : -1;
  for (;;) {
    // Loaded again only when the gap's code and a near code may not be in the window (zero-filled
    // below its `have` bits, so `ones` ≤ have).
    let ones = Math.clz32(~w);
    if (ones + 1 + rr + u > have) {
      w = word32(b, p >>> 3) << (p & 7);
      have = 32 - (p & 7);
      ones = Math.clz32(~w);
    }
    const len = ones + 1 + rr;
    let gap: number;
    if (len + u <= have && j !== nextFar) {
      // The gap and a near code, both in the window (the usual case): one step.
      // ones + 1 is 32 only with rr = u = 0 (then x's bits are masked off, and have drops to 0).
      const x = w << (ones + 1);
      gap = (ones << rr) + (((x >>> 1) >>> (31 - rr)) & rMask);
      const z = (((x << rr) >>> 1) >>> (31 - u)) & ulpMask;
      pos += 1 + gap;
      if (pos >= n) {
        if (pos === n) {
          p += len;
          break;
        }
        throw corrupt('exception past the last value');
      }
      p += len + u;
      w = x << rr << u;
      have -= len + u;
      const d = ((z >>> 1) ^ -(z & 1)) + ((z & 1) ^ 1);
      const i = at + pos;
      const lo0 = bits[2 * i + LO]!;
      const lo = (lo0 + d) | 0;
      if ((lo0 ^ lo) < 0) addUlps(bits, i, z, at);
      else bits[2 * i + LO] = lo;
      j++;
      continue;
    }
    if (len <= have) {
      // (w << (ones + 1)) >>> (32 − rr) in two shifts: rr may be 0, ones + 1 may be 32 (then len is 32 and rr 0).
      gap = (ones << rr) + ((((w << (ones + 1)) >>> 1) >>> (31 - rr)) & rMask);
      p += len;
      w <<= len;
      have -= len;
    } else {
      if (p > stop) throw r.truncated(p);
      r.pos = p;
      gap = readRice(r, rr, n);
      p = r.pos;
      have = 0;
    }
    pos += 1 + gap;
    if (pos >= n) {
      if (pos === n) break;
      throw corrupt('exception past the last value');
    }
    if (j !== nextFar) {
      if (have < u) {
        w = word32(b, p >>> 3) << (p & 7);
        have = 32 - (p & 7);
      }
      const z = ((w >>> 1) >>> (31 - u)) & ulpMask;
      p += u;
      w <<= u;
      have -= u;
      // addUlps, inlined (see readCorrections).
      const d = ((z >>> 1) ^ -(z & 1)) + ((z & 1) ^ 1);
      const i = at + pos;
      const lo0 = bits[2 * i + LO]!;
      const lo = (lo0 + d) | 0;
      if ((lo0 ^ lo) < 0) addUlps(bits, i, z, at);
      else bits[2 * i + LO] = lo;
    } else {
      if (have < 25) {
        w = word32(b, p >>> 3) << (p & 7);
        have = 32 - (p & 7);
      }
      // '0', the Elias gamma of z >>> u (L − 1 zeros, then its L bits) and u low bits: 2L + u bits,
      // from the window when they are in it (L + u ≤ MAX_ULP_BITS).
      const zeros = Math.clz32(w << 1);
      const hiBits = zeros + 1;
      const len = 2 * hiBits + u;
      if (w >= 0 && hiBits + u <= MAX_ULP_BITS && len <= have) {
        const hi = (w << hiBits) >>> (32 - hiBits);
        // (w << 2L) >>> (32 − u) in two shifts: 2L may be 32 (then u is 0).
        const low = (((w << (2 * hiBits)) >>> 1) >>> (31 - u)) & ulpMask;
        p += len;
        w <<= len;
        have -= len;
        addUlps(bits, at + pos, (hi << u) | low, at);
        fi++;
        nextFar = fi < f ? farRead[fi]! : -1;
        j++;
        continue;
      }
      if (p > stop) throw r.truncated(p);
      r.pos = p;
      if (r.readBit() === 0) {
        // The gamma code, read in checked steps.
        const zeros = Math.clz32(r.peek32());
        if (zeros + 1 + u > MAX_ULP_BITS) throw corrupt(`value ${pos}: ulp correction of more than ${MAX_ULP_BITS} bits`);
        r.skip(zeros);
        const q = r.readBits(zeros + 1);
        addUlps(bits, at + pos, q * 2 ** u + r.readBits(u), at);
      } else {
        const head = r.readBits(12);
        const lz = head >>> 6;
        const len = head & 63 || 64;
        const tz = 64 - lz - len;
        if (tz < 0) throw corrupt(`value ${pos}: correction of ${len} bits after ${lz} leading zeros`);
        readWindow(r, len, tz);
        const i = at + pos;
        bits[2 * i + HI] = bits[2 * i + HI]! ^ xorWords[0]!;
        bits[2 * i + LO] = bits[2 * i + LO]! ^ xorWords[1]!;
      }
      p = r.pos;
      have = 0;
      fi++;
      nextFar = fi < f ? farRead[fi]! : -1;
    }
    j++;
  }
  if (j === 0) throw corrupt('sparse corrections without exceptions');
  if (fi !== f) throw corrupt(`far exception ${farRead[fi]} of ${j}`);
  if (p > stop) throw r.truncated(p);
  r.pos = p;
}

// ---------------------------------------------------------------------------------------------
// Value sections (also the rollup columns, rollup.ts)

/** Options of `encodeChunk`, for measurements; the defaults are what the store uses. */
export interface EncodeOptions {
  /** Allow the decimal value modes (default true). */
  decimal?: boolean;
  /** Allow the sparse form of the decimal modes' corrections (default true; false writes what the encoder wrote before it). */
  sparse?: boolean;
}

/** Writes a value section (see the layout): the cheapest of XOR and the decimal modes. */
export function writeValues(w: BitWriter, values: Float64Array, options: EncodeOptions = {}): void {
  const n = values.length;
  if (n === 0) return;
  // The values' bit patterns (one view for every pass: a typed array costs as much as a short pass).
  const bits = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  const k = options.decimal === false ? -1 : decimalsFor(values);
  if (k >= 0) {
    const plan = planDecimal(values, bits, k, options.sparse !== false);
    // An exact decimal chunk always wins (measured); with exceptions, compare with XOR exactly.
    // XOR's cost only grows along the values: it stops where the decimal section is known to win.
    if (!plan.exceptions || plan.bits <= 3 + 64 + xorCost(values, bits, plan.bits - 67)) {
      writeDecimal(w, values, bits, plan);
      return;
    }
  }
  w.writeBits(ValueMode.Xor << 1, 3);
  writeXor(w, values, bits);
}

/** Reads a value section of `n` values into `out[at…at + n)` (by default all of `out`). */
export function readValues(r: BitReader, out: Float64Array, at = 0, n = out.length - at): void {
  if (n === 0) return;
  const head = r.readBits(3);
  const mode = (head >>> 1) as ValueMode;
  const exceptions = (head & 1) === 1;
  if (mode === ValueMode.Xor) {
    if (exceptions) throw corrupt('exceptions need a decimal mode');
    readXor(r, out, at, n);
  } else readDecimal(r, out, at, n, mode, exceptions);
  if (n === out.length && wordsFor === out) {
    wordsFor = NO_VALUES;
    words = NO_WORDS;
  }
}

// ---------------------------------------------------------------------------------------------
// Chunks

/**
 * Compresses one series' points. `timestampsMs` are whole milliseconds, strictly ascending, with
 * magnitude ≤ `MAX_TIMESTAMP_MS`; `values` are any doubles (compared and restored by bit pattern),
 * same length. Throws a RangeError naming the first offending index. The arrays are only read; the
 * returned bytes are new and owned by the caller.
 */
export function encodeChunk(timestampsMs: Float64Array, values: Float64Array, options: EncodeOptions = {}): Uint8Array {
  const n = timestampsMs.length;
  if (values.length !== n) throw new RangeError(`timestampsMs has ${n} points but values has ${values.length}`);
  if (n > MAX_COUNT) throw new RangeError(`a chunk holds at most ${MAX_COUNT} points, got ${n}`);
  checkTimestamps(timestampsMs);
  const w = sharedWriter.reset();
  writeTimestamps(w, timestampsMs);
  writeValues(w, values, options);
  const head = 1 + varintLength(n);
  const out = outputBytes(head + w.byteLength);
  out[0] = CHUNK_VERSION;
  putVarint(out, 1, n);
  w.copyTo(out, head);
  return out;
}

// Results are views of shared slabs: a Uint8Array of its own costs a backing store, a finaliser and
// the collector's accounting of external memory (measured about 0.9 µs for 1 KB, more than encoding a
// 40-point chunk), a view of a slab about a sixth of that. A slab lives as long as any view of it;
// large results get their own buffer.
const SLAB_BYTES = 1 << 16;
let outSlab = new ArrayBuffer(SLAB_BYTES);
let outUsed = 0;

/** `len` new zeroed bytes for an encoder's result (owned by the caller: nothing else writes them). */
export function outputBytes(len: number): Uint8Array {
  if (len > SLAB_BYTES / 8) return new Uint8Array(len);
  if (outUsed + len > SLAB_BYTES) {
    outSlab = new ArrayBuffer(SLAB_BYTES);
    outUsed = 0;
  }
  const out = new Uint8Array(outSlab, outUsed, len);
  outUsed += len;
  return out;
}

/** The writer encoders reuse (encoding is synchronous; it keeps its largest buffer). */
export const sharedWriter = new BitWriter(1 << 16);

/** Writes n's LEB128 varint at `at` (varintLength(n) bytes). */
export function putVarint(out: Uint8Array, at: number, n: number): void {
  let c = n;
  while (c >= 0x80) {
    out[at++] = (c % 0x80) | 0x80;
    c = Math.floor(c / 0x80);
  }
  out[at] = c;
}

/**
 * Reads a LEB128 count at `o`, before `end` (canonical: no trailing zero byte); it took
 * `varintLength(count)` bytes.
 */
export function readCount(bytes: Uint8Array, o: number, what: string, end = bytes.length): number {
  // One byte (a day's 1-hour rows: 24) without the loop; the loop multiplies by 128 a byte rather
  // than by 2 ** shift (Math.pow, a C call in V8: rollupCount and decodeRollupInto paid two a row).
  if (o < end && bytes[o]! < 0x80) return bytes[o]!;
  let n = 0;
  for (let shift = 0, mul = 1; ; shift += 7, mul *= 128) {
    if (o >= end) throw new RangeError(`corrupt ${what}: count truncated`);
    if (shift > 28) throw new RangeError(`corrupt ${what}: count too long`);
    const b = bytes[o++]!;
    n += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      if (b === 0 && shift > 0) throw new RangeError(`corrupt ${what}: count not canonical`);
      break;
    }
  }
  if (n > MAX_COUNT) throw new RangeError(`corrupt ${what}: count ${n} too large`);
  return n;
}

/** Bytes of the LEB128 varint of n (0 ≤ n < 2^35). */
export function varintLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Refuses a count the input cannot hold: beyond 2^20 points, each takes at least a bit (see the layout). */
export function checkCountFits(n: number, bodyBytes: number, what: string): void {
  if (n > FREE_COUNT && n - 2 > bodyBytes * 8) throw new RangeError(`corrupt ${what}: ${n} points cannot fit in ${bodyBytes} bytes`);
}

/** Only the zero padding of the last byte may follow a bit stream. */
export function checkEnd(r: BitReader, what: string): void {
  if (r.remaining >= 8) throw new RangeError(`corrupt ${what}: ${r.remaining >>> 3} bytes after the last point`);
  if (r.remaining > 0 && r.readBits(r.remaining) !== 0) throw new RangeError(`corrupt ${what}: non-zero padding`);
}

/** Restores the points `encodeChunk` compressed (version 2 or 1); a truncated or corrupt chunk throws a RangeError. */
export function decodeChunk(bytes: Uint8Array): DecodedChunk {
  if (bytes.length < 1) throw corrupt('empty');
  if (bytes[0] === 1) return decodeChunkV1(bytes);
  if (bytes[0] !== CHUNK_VERSION) throw corrupt(`unknown version ${bytes[0]}`);
  const n = readCount(bytes, 1, 'chunk');
  const o = 1 + varintLength(n);
  checkCountFits(n, bytes.length - o, 'chunk');
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  if (n === 0) {
    if (o !== bytes.length) throw corrupt('bytes after an empty chunk');
    return { timestampsMs, values };
  }
  const r = new BitReader(bytes, o);
  readTimestamps(r, timestampsMs);
  readValues(r, values);
  checkEnd(r, 'chunk');
  return { timestampsMs, values };
}

/** A chunk's format version, count and value mode (for tests and measurements). */
export function describeChunk(bytes: Uint8Array): { version: number; count: number; mode: ValueMode | null; exceptions: boolean; sparse: boolean } {
  const version = bytes[0]!;
  const n = readCount(bytes, 1, 'chunk');
  const o = 1 + varintLength(n);
  if (n === 0) return { version, count: 0, mode: null, exceptions: false, sparse: false };
  if (version === 1) {
    const flags = bytes[o]!;
    return { version, count: n, mode: (flags & 3) as ValueMode, exceptions: (flags & 4) !== 0, sparse: false };
  }
  const r = new BitReader(bytes, o);
  readTimestamps(r, new Float64Array(n));
  const head = r.peek32() >>> 29;
  const exceptions = (head & 1) === 1;
  // Which form the corrections take: read the section (lastSparse).
  if (exceptions) readValues(r, new Float64Array(n));
  return { version, count: n, mode: (head >>> 1) as ValueMode, exceptions, sparse: exceptions && lastSparse };
}

// ---------------------------------------------------------------------------------------------
// Version 1 (decoding only; src/store/chunks/codec-v1.ts keeps its encoder for tests)

/** Version 1's fixed bucket tables: '0' · '10' + w1 · '110' + w2 · '1110' + w3 · '1111' + sign + 53. */
interface V1Buckets {
  w1: number;
  w2: number;
  w3: number;
  hi1: number;
  hi2: number;
  hi3: number;
}
const v1Table = (w1: number, w2: number, w3: number): V1Buckets => ({ w1, w2, w3, hi1: 2 ** (w1 - 1), hi2: 2 ** (w2 - 1), hi3: 2 ** (w3 - 1) });
const TIMESTAMP_BUCKETS = v1Table(4, 10, 20);
const VALUE_BUCKETS = v1Table(6, 12, 20);

function readSigned(r: BitReader, b: V1Buckets): number {
  if (r.readBit() === 0) return 0;
  if (r.readBit() === 0) {
    const u = r.readBits(b.w1);
    return u > b.hi1 ? u - 2 * b.hi1 : u;
  }
  if (r.readBit() === 0) {
    const u = r.readBits(b.w2);
    return u > b.hi2 ? u - 2 * b.hi2 : u;
  }
  if (r.readBit() === 0) {
    const u = r.readBits(b.w3);
    return u > b.hi3 ? u - 2 * b.hi3 : u;
  }
  return readWide(r);
}

function readWide(r: BitReader): number {
  const negative = r.readBit() === 1;
  const hi = r.readBits(21);
  const mag = hi * TWO32 + r.readBits(32);
  return negative ? (mag === 0 ? 0 : -mag) : mag;
}

function decodeChunkV1(bytes: Uint8Array): DecodedChunk {
  const n = readCount(bytes, 1, 'chunk');
  let o = 1 + varintLength(n);
  if (o >= bytes.length) throw corrupt('flags missing');
  const flags = bytes[o++]!;
  const mode = (flags & 3) as ValueMode;
  const exceptions = (flags & 4) !== 0;
  if ((flags & ~7) !== 0 || (flags & 3) === 3 || (exceptions && mode === ValueMode.Xor)) throw corrupt(`unknown flags 0x${flags.toString(16)}`);
  let k = 0;
  if (mode !== ValueMode.Xor) {
    if (o >= bytes.length) throw corrupt('decimals missing');
    k = bytes[o++]!;
    if (k > MAX_DECIMALS_V1) throw corrupt(`decimals ${k} out of range`);
  }
  const bodyBits = (bytes.length - o) * 8;
  // Every point takes at least 2 bits (one for its timestamp, one for its value): bound the count by
  // the input before allocating.
  if (n * 2 > bodyBits) throw corrupt(`${n} points cannot fit in ${bytes.length - o} bytes`);
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  if (n === 0) {
    if (bodyBits !== 0) throw corrupt('bytes after an empty chunk');
    return { timestampsMs, values };
  }
  const r = new BitReader(bytes, o);
  if (mode === ValueMode.Xor) decodeXorV1(r, timestampsMs, values);
  else decodeDecimalV1(r, timestampsMs, values, k, mode === ValueMode.DecimalDod, exceptions);
  checkEnd(r, 'chunk');
  return { timestampsMs, values };
}

function readFirstTimestamp(r: BitReader): number {
  const t = readWide(r);
  if (t > MAX_TIMESTAMP_MS || t < -MAX_TIMESTAMP_MS) throw corrupt(`timestamp ${t} out of range`);
  return t;
}

/** Next timestamp from a delta-of-delta, checked: ascending and in range. */
function nextTimestamp(prevT: number, delta: number, i: number): number {
  const t = prevT + delta;
  if (delta < 1 || t > MAX_TIMESTAMP_MS) throw corrupt(`timestamp ${i} not ascending or out of range`);
  return t;
}

function decodeXorV1(r: BitReader, ts: Float64Array, values: Float64Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const n = ts.length;
  let prevT = readFirstTimestamp(r);
  ts[0] = prevT;
  let prevDelta = 0;
  let ph = r.readBits(32);
  let pl = r.readBits(32);
  bits[HI] = ph;
  bits[LO] = pl;
  let lz = -1;
  let tz = 0;
  for (let i = 1; i < n; i++) {
    const delta = prevDelta + readSigned(r, TIMESTAMP_BUCKETS);
    prevT = nextTimestamp(prevT, delta, i);
    ts[i] = prevT;
    prevDelta = delta;

    if (r.readBit() === 1) {
      if (r.readBit() === 1) {
        const head = r.readBits(11);
        lz = head >>> 6;
        const len = head & 63 || 64;
        tz = 64 - lz - len;
        if (tz < 0) throw corrupt(`value ${i}: window of ${len} bits after ${lz} leading zeros`);
      } else if (lz < 0) throw corrupt(`value ${i}: reuses a window before one was set`);
      readWindow(r, 64 - lz - tz, tz);
      ph = (ph ^ xorWords[0]!) >>> 0;
      pl = (pl ^ xorWords[1]!) >>> 0;
    }
    bits[2 * i + HI] = ph;
    bits[2 * i + LO] = pl;
  }
}

function decodeDecimalV1(r: BitReader, ts: Float64Array, values: Float64Array, k: number, dod: boolean, exceptions: boolean): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const p = POW10[k]!;
  const n = ts.length;
  let prevT = readFirstTimestamp(r);
  ts[0] = prevT;
  let prevDelta = 0;
  let m = readWide(r);
  if (Math.abs(m) > MAX_MANTISSA) throw corrupt('value 0 out of range');
  values[0] = m / p;
  if (exceptions) readCorrectionV1(r, bits, 0);
  let md = 0;
  for (let i = 1; i < n; i++) {
    const delta = prevDelta + readSigned(r, TIMESTAMP_BUCKETS);
    prevT = nextTimestamp(prevT, delta, i);
    ts[i] = prevT;
    prevDelta = delta;
    const d = readSigned(r, VALUE_BUCKETS);
    md = dod ? md + d : d;
    m += md;
    if (m > MAX_MANTISSA || m < -MAX_MANTISSA || md > MAX_WIDE || md < -MAX_WIDE) throw corrupt(`value ${i} out of range`);
    values[i] = m / p;
    if (exceptions) readCorrectionV1(r, bits, i);
  }
}

/** Reads a correction and XORs it into value `i` (bit pattern words in `bits`). */
function readCorrectionV1(r: BitReader, bits: Uint32Array, i: number): void {
  if (r.readBit() === 0) return;
  const head = r.readBits(12);
  const lz = head >>> 6;
  const len = head & 63 || 64;
  const tz = 64 - lz - len;
  if (tz < 0) throw corrupt(`value ${i}: correction of ${len} bits after ${lz} leading zeros`);
  readWindow(r, len, tz);
  bits[2 * i + HI] = (bits[2 * i + HI]! ^ xorWords[0]!) >>> 0;
  bits[2 * i + LO] = (bits[2 * i + LO]! ^ xorWords[1]!) >>> 0;
}
