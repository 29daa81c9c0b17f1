// The chunk codec: one series' points over a closed time window, compressed into one byte string
// (issue 18). Pure functions over typed arrays, no I/O.
//
// Layout (version 1):
//   byte 0        version (1)
//   varint        count of points (LEB128, ≤ 2^31 − 1)
//   byte          flags: bits 0–1 value mode (0 Gorilla XOR, 1 decimal deltas, 2 decimal delta-of-deltas);
//                 bit 2 exceptions (decimal modes only: a correction follows every value); bits 3–7
//                 reserved, must be 0
//   byte          decimals k (only in the decimal modes, 0–9)
//   bit stream    (only when count > 0), most significant bit first, zero-padded to a byte:
//                 point 0: timestamp as a signed 54-bit field, then the first value
//                 point i: timestamp delta-of-delta in a bucket, then the value
//   Nothing may follow the bit stream's last byte.
//
// Buckets (`writeSigned`): '0' (zero) · '10'+w1 bits · '110'+w2 bits · '1110'+w3 bits · '1111'+sign+53
// bits, one table per stream, widths chosen by measurement (bench/codec.ts, bucketCandidates).
//
// Timestamps: delta-of-delta (the first delta is a dod from 0) in buckets of 4/10/20 bits. Measured
// 2026-12-06 (bench/codec.ts; 1,000 scrape series × 5,760 points at 15 s, 1 in 4 scrapes 1–3 ms late;
// NAB's 58 files at 5 min), bytes a point of timestamps alone, 2 h / 1 day chunks:
//   buckets 4/10/20 (kept)       scrape 0.50 / 0.48   NAB 1.06 / 0.30
//   buckets 7/14/20 (Gorilla-ish) scrape 0.71 / 0.69  NAB 1.06 / 0.30
//   zig-zag varints of the dods  scrape 1.02 / 1.00   NAB 1.56 / 1.09
// Varints encode faster (~100–230M vs ~50–115M timestamps/s) but both are far above the 1M points/s
// compaction target, and the buckets are half the size: a regular series costs a bit a point.
//
// Values, chosen per chunk:
// - Gorilla XOR (Pelkonen et al., VLDB 2015) over the raw IEEE-754 bit patterns, so every double
//   round-trips bit-exactly (NaN payloads, ±0, subnormals, ±Infinity): '0' same bits as the previous
//   value · '10' + the meaningful bits inside the previous leading/trailing-zero window · '11' + 5 bits
//   leading zeros (capped at 31) + 6 bits length (64 stored as 0) + the meaningful bits.
// - Decimal: k (≤ 9) is the smallest number of decimals for which at least half of the chunk's values
//   are exactly m / 10^k with |m| ≤ 2^52 − 1. The integers m = round(v·10^k) are stored: the first as a
//   signed 54-bit field, then deltas (gauges) or delta-of-deltas (steady counters), whichever costs
//   fewer bits, in 6/12/20-bit buckets. Decoding divides m by 10^k: one correctly rounded division,
//   which gives back the very double that `m / 10^k === v` checked at encode time. When some values
//   are not exact (−0, NaN, ±Infinity, float artefacts such as 94.79799999999999 in NAB, more
//   decimals), flag bit 2 adds after every value a correction: '0', or '1' + 6 bits leading zeros +
//   6 bits length + the bits XOR'd into m / 10^k; such a chunk takes the decimal mode only when its
//   exact size beats XOR's. Measured (bench/codec.ts, whole chunks, 2 h / 1 day):
//     XOR only          scrape 3.70 / 3.89 B/point   NAB 4.93 / 3.78
//     decimal, exact    scrape 1.70 / 1.66           NAB 4.47 / 3.39
//     + exceptions      scrape 1.70 / 1.66           NAB 3.91 / 2.70 (kept)
//
// The decoder checks every field it reads: a truncated or corrupt chunk throws a RangeError; reads
// never run past the input, every loop is bounded by the declared count, and the count is bounded by
// the input's length before anything is allocated. There is no checksum: a flipped bit can decode to
// other valid points (the store's page checksums or a CRC column would catch that).

import { BitReader, BitWriter, pushVarint } from './bits.js';

/** Format version written in byte 0. */
export const CHUNK_VERSION = 1;

/** Largest magnitude of a timestamp (ms) the codec accepts: 2^52 − 1, about the year 144,000. */
export const MAX_TIMESTAMP_MS = 2 ** 52 - 1;

/** Value modes (flags bits 0–1). */
export const ValueMode = { Xor: 0, DecimalDelta: 1, DecimalDod: 2 } as const;
export type ValueMode = (typeof ValueMode)[keyof typeof ValueMode];

const MAX_DECIMALS = 9;
/** Flags bit 2: the decimal stream carries a correction after every value. */
const EXCEPTIONS = 4;
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const MAX_MANTISSA = 2 ** 52 - 1;
const MAX_WIDE = 2 ** 53 - 1;
const MAX_COUNT = 2 ** 31 - 1;
const TWO32 = 2 ** 32;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;
const LO = littleEndian ? 0 : 1;

/** Decoded points: timestamps in ms since the epoch (strictly ascending) and values, same length. */
export interface DecodedChunk {
  timestampsMs: Float64Array;
  values: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// Signed integers in buckets (timestamp delta-of-deltas, decimal deltas)

/**
 * Prefix-coded buckets for whole numbers: '0' (zero) · '10' + w1 bits · '110' + w2 bits · '1110' + w3
 * bits · '1111' + sign + 53 bits. A w-bit bucket holds [−(2^(w−1) − 1), 2^(w−1)] in two's complement.
 */
export interface Buckets {
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
}

/** Precomputed limits of a bucket table. */
interface BucketTable extends Buckets {
  hi1: number;
  hi2: number;
  hi3: number;
}

/** A bucket table with its limits; widths 1–28 bits, ascending. */
export function bucketTable(b: Buckets): BucketTable {
  return { ...b, hi1: 2 ** (b.w1 - 1), hi2: 2 ** (b.w2 - 1), hi3: 2 ** (b.w3 - 1) };
}

/** Timestamp delta-of-deltas (ms); see the measurements at the top. */
export const TIMESTAMP_BUCKETS = bucketTable({ w1: 4, w2: 10, w3: 20 });
/** Decimal value deltas and delta-of-deltas. */
export const VALUE_BUCKETS = bucketTable({ w1: 6, w2: 12, w3: 20 });

/** Bits `writeSigned` spends on `d`. */
export function signedCost(d: number, b: BucketTable): number {
  if (d === 0) return 1;
  if (d > -b.hi1 && d <= b.hi1) return 2 + b.w1;
  if (d > -b.hi2 && d <= b.hi2) return 3 + b.w2;
  if (d > -b.hi3 && d <= b.hi3) return 4 + b.w3;
  return 58;
}

/** Writes a whole number with |d| < 2^53 in the smallest bucket that holds it. */
export function writeSigned(w: BitWriter, d: number, b: BucketTable): void {
  if (d === 0) w.writeBits(0, 1);
  else if (d > -b.hi1 && d <= b.hi1) w.writeBits((0b10 << b.w1) | (d & (2 * b.hi1 - 1)), 2 + b.w1);
  else if (d > -b.hi2 && d <= b.hi2) w.writeBits((0b110 << b.w2) | (d & (2 * b.hi2 - 1)), 3 + b.w2);
  else if (d > -b.hi3 && d <= b.hi3) w.writeBits((0b1110 << b.w3) | (d & (2 * b.hi3 - 1)), 4 + b.w3);
  else {
    w.writeBits(0b1111, 4);
    writeWide(w, d);
  }
}

/** Reads what `writeSigned` wrote with the same table. */
export function readSigned(r: BitReader, b: BucketTable): number {
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

/** Sign bit and 53-bit magnitude: any whole number with |d| < 2^53. */
function writeWide(w: BitWriter, d: number): void {
  const mag = Math.abs(d);
  w.writeBits(d < 0 ? 1 : 0, 1);
  w.writeBits(Math.floor(mag / TWO32), 21);
  w.writeBits(mag % TWO32, 32);
}

function readWide(r: BitReader): number {
  const negative = r.readBit() === 1;
  const hi = r.readBits(21);
  const mag = hi * TWO32 + r.readBits(32);
  return negative ? (mag === 0 ? 0 : -mag) : mag;
}

// ---------------------------------------------------------------------------------------------
// Encoding

function checkTimestamps(ts: Float64Array): void {
  let prev = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (!Number.isInteger(t)) throw new RangeError(`timestampsMs[${i}] = ${t} is not a whole number of milliseconds`);
    if (t > MAX_TIMESTAMP_MS || t < -MAX_TIMESTAMP_MS) throw new RangeError(`timestampsMs[${i}] = ${t} is outside ±${MAX_TIMESTAMP_MS}`);
    if (t <= prev) throw new RangeError(`timestampsMs[${i}] = ${t} is not after timestampsMs[${i - 1}] = ${prev}: timestamps must be strictly ascending`);
    prev = t;
  }
}

/** The smallest k ≤ 9 such that every value is exactly m / 10^k with |m| ≤ 2^52 − 1, or −1 (used by measurements). */
export function decimalsOf(values: Float64Array): number {
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 0) {
      if (1 / v < 0) return -1; // −0 would come back as +0
      continue;
    }
    for (;;) {
      const p = POW10[k]!;
      const m = Math.round(v * p);
      if (m / p === v && Math.abs(m) <= MAX_MANTISSA) break;
      if (++k > MAX_DECIMALS) return -1; // also NaN and ±Infinity end here
    }
  }
  return k;
}

/** The smallest k ≤ 9 with v === round(v·10^k) / 10^k and |round(v·10^k)| ≤ 2^52 − 1 (not −0), else 10. */
function minDecimals(v: number): number {
  if (v === 0) return 1 / v < 0 ? 10 : 0;
  for (let k = 0; k <= MAX_DECIMALS; k++) {
    const p = POW10[k]!;
    const m = Math.round(v * p);
    if (m / p === v && Math.abs(m) <= MAX_MANTISSA) return k;
  }
  return 10; // also NaN and ±Infinity
}

/**
 * The number of decimals k for the decimal mode: the smallest k for which at most half of the
 * values are not exact k-decimal numbers (those become exceptions, corrected by XOR), or null.
 */
function decimalPlan(values: Float64Array): { k: number; exceptions: number } | null {
  const hist = new Int32Array(11);
  for (let i = 0; i < values.length; i++) hist[minDecimals(values[i]!)]! += 1;
  let exact = 0;
  for (let k = 0; k <= MAX_DECIMALS; k++) {
    exact += hist[k]!;
    const exceptions = values.length - exact;
    if (exceptions * 2 <= values.length) return { k, exceptions };
  }
  return null;
}

/** The whole number standing for `v` at scale `p`: round(v·p), or `prev` where that is out of range. */
function mantissa(v: number, p: number, prev: number): number {
  const m = Math.round(v * p);
  return m <= MAX_MANTISSA && m >= -MAX_MANTISSA ? m + 0 : prev; // + 0: no −0; NaN fails both tests
}

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Bits of the correction of `approx` into the value with bit pattern (hi, lo): '0', or '1' + 6 + 6 + window. */
function correctionCost(hi: number, lo: number, approx: number): number {
  scratch[0] = approx;
  const xh = (hi ^ scratchBits[HI]!) >>> 0;
  const xl = (lo ^ scratchBits[LO]!) >>> 0;
  if ((xh | xl) === 0) return 1;
  const lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
  const tz = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 63 - Math.clz32(xh & -xh);
  return 13 + 64 - lz - tz;
}

function writeCorrection(w: BitWriter, hi: number, lo: number, approx: number): void {
  scratch[0] = approx;
  const xh = (hi ^ scratchBits[HI]!) >>> 0;
  const xl = (lo ^ scratchBits[LO]!) >>> 0;
  if ((xh | xl) === 0) {
    w.writeBits(0, 1);
    return;
  }
  const lz = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
  const tz = xl !== 0 ? 31 - Math.clz32(xl & -xl) : 63 - Math.clz32(xh & -xh);
  const len = 64 - lz - tz;
  w.writeBits((1 << 12) | (lz << 6) | (len & 63), 13);
  writeWindow(w, xh, xl, tz, len);
}

/** Exact bits of the XOR value stream (without the first value's 64 bits). */
function xorCost(values: Float64Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
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
  }
  return cost;
}

function encodeXor(w: BitWriter, ts: Float64Array, values: Float64Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const n = ts.length;
  let prevT = ts[0]!;
  let prevDelta = 0;
  let ph = bits[HI]!;
  let pl = bits[LO]!;
  writeWide(w, prevT);
  w.writeBits(ph, 32);
  w.writeBits(pl, 32);
  let prevLz = -1;
  let prevTz = 0;
  for (let i = 1; i < n; i++) {
    const t = ts[i]!;
    const delta = t - prevT;
    writeSigned(w, delta - prevDelta, TIMESTAMP_BUCKETS);
    prevDelta = delta;
    prevT = t;

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
function writeWindow(w: BitWriter, hi: number, lo: number, tz: number, len: number): void {
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

function encodeDecimal(w: BitWriter, ts: Float64Array, values: Float64Array, k: number, dod: boolean, exceptions: boolean): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const p = POW10[k]!;
  const n = ts.length;
  let prevT = ts[0]!;
  let prevDelta = 0;
  let prevM = mantissa(values[0]!, p, 0);
  let prevMDelta = 0;
  writeWide(w, prevT);
  writeWide(w, prevM);
  if (exceptions) writeCorrection(w, bits[HI]!, bits[LO]!, prevM / p);
  for (let i = 1; i < n; i++) {
    const t = ts[i]!;
    const delta = t - prevT;
    writeSigned(w, delta - prevDelta, TIMESTAMP_BUCKETS);
    prevDelta = delta;
    prevT = t;
    const m = mantissa(values[i]!, p, prevM);
    const md = m - prevM;
    writeSigned(w, dod ? md - prevMDelta : md, VALUE_BUCKETS);
    if (exceptions) writeCorrection(w, bits[2 * i + HI]!, bits[2 * i + LO]!, m / p);
    prevMDelta = md;
    prevM = m;
  }
}

/**
 * Bits of the decimal value stream at k decimals: deltas, delta-of-deltas (Infinity where one would
 * not fit in 54 bits) and the corrections of exceptions (0 when `exceptions` is false).
 */
function decimalCosts(values: Float64Array, k: number, exceptions: boolean): { delta: number; dod: number; corrections: number } {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const p = POW10[k]!;
  let prevM = mantissa(values[0]!, p, 0);
  let corrections = exceptions ? correctionCost(bits[HI]!, bits[LO]!, prevM / p) : 0;
  let prevMd = 0;
  let delta = 0;
  let dod = 0;
  for (let i = 1; i < values.length; i++) {
    const m = mantissa(values[i]!, p, prevM);
    const md = m - prevM;
    delta += signedCost(md, VALUE_BUCKETS);
    const dd = md - prevMd;
    dod += dd > MAX_WIDE || dd < -MAX_WIDE ? Infinity : signedCost(dd, VALUE_BUCKETS);
    if (exceptions) corrections += correctionCost(bits[2 * i + HI]!, bits[2 * i + LO]!, m / p);
    prevMd = md;
    prevM = m;
  }
  return { delta, dod, corrections };
}

/** Options of `encodeChunk`, for measurements; the defaults are what the store uses. */
export interface EncodeOptions {
  /** Allow the decimal value modes (default true). */
  decimal?: boolean;
}

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

  let mode: ValueMode = ValueMode.Xor;
  let k = 0;
  let exceptions = false;
  const plan = n > 0 && options.decimal !== false ? decimalPlan(values) : null;
  if (plan) {
    exceptions = plan.exceptions > 0;
    const costs = decimalCosts(values, plan.k, exceptions);
    const bits = Math.min(costs.delta, costs.dod) + costs.corrections;
    // Exact k-decimal chunks always take the decimal mode (measured smaller on every dataset); with
    // exceptions, only when it beats XOR on this chunk.
    if (!exceptions || bits + 54 <= xorCost(values) + 64) {
      mode = costs.dod < costs.delta ? ValueMode.DecimalDod : ValueMode.DecimalDelta;
      k = plan.k;
    } else exceptions = false;
  }

  const header: number[] = [CHUNK_VERSION];
  pushVarint(header, n);
  header.push(mode | (exceptions ? EXCEPTIONS : 0));
  if (mode !== ValueMode.Xor) header.push(k);

  const w = new BitWriter(n * 24 + 128);
  if (n > 0) {
    if (mode === ValueMode.Xor) encodeXor(w, timestampsMs, values);
    else encodeDecimal(w, timestampsMs, values, k, mode === ValueMode.DecimalDod, exceptions);
  }
  const out = new Uint8Array(header.length + w.byteLength);
  out.set(header);
  w.copyTo(out, header.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function corrupt(what: string): RangeError {
  return new RangeError(`corrupt chunk: ${what}`);
}

/** Restores the points `encodeChunk` compressed; a truncated or corrupt chunk throws a RangeError. */
export function decodeChunk(bytes: Uint8Array): DecodedChunk {
  if (bytes.length < 1) throw corrupt('empty');
  if (bytes[0] !== CHUNK_VERSION) throw corrupt(`unknown version ${bytes[0]}`);
  let o = 1;
  let n = 0;
  for (let shift = 0; ; shift += 7) {
    if (o >= bytes.length) throw corrupt('count truncated');
    if (shift > 28) throw corrupt('count too long');
    const b = bytes[o++]!;
    n += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  if (n > MAX_COUNT) throw corrupt(`count ${n} too large`);
  if (o >= bytes.length) throw corrupt('flags missing');
  const flags = bytes[o++]!;
  const mode = (flags & 3) as ValueMode;
  const exceptions = (flags & EXCEPTIONS) !== 0;
  if ((flags & ~7) !== 0 || (flags & 3) === 3 || (exceptions && mode === ValueMode.Xor)) throw corrupt(`unknown flags 0x${flags.toString(16)}`);
  let k = 0;
  if (mode !== ValueMode.Xor) {
    if (o >= bytes.length) throw corrupt('decimals missing');
    k = bytes[o++]!;
    if (k > MAX_DECIMALS) throw corrupt(`decimals ${k} out of range`);
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
  if (mode === ValueMode.Xor) decodeXor(r, timestampsMs, values);
  else decodeDecimal(r, timestampsMs, values, k, mode === ValueMode.DecimalDod, exceptions);
  // Only the zero padding of the last byte may remain.
  if (r.remaining >= 8) throw corrupt(`${r.remaining >>> 3} bytes after the last point`);
  if (r.remaining > 0 && r.readBits(r.remaining) !== 0) throw corrupt('non-zero padding');
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

function decodeXor(r: BitReader, ts: Float64Array, values: Float64Array): void {
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

function decodeDecimal(r: BitReader, ts: Float64Array, values: Float64Array, k: number, dod: boolean, exceptions: boolean): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const p = POW10[k]!;
  const n = ts.length;
  let prevT = readFirstTimestamp(r);
  ts[0] = prevT;
  let prevDelta = 0;
  let m = readWide(r);
  if (Math.abs(m) > MAX_MANTISSA) throw corrupt('value 0 out of range');
  values[0] = m / p;
  if (exceptions) readCorrection(r, bits, 0);
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
    if (exceptions) readCorrection(r, bits, i);
  }
}

/** Reads a correction and XORs it into value `i` (bit pattern words in `bits`). */
function readCorrection(r: BitReader, bits: Uint32Array, i: number): void {
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
