// The version 1 chunk and rollup encoders, frozen as they were when version 2 replaced them (issue 18).
// Not used by the store: tests encode random chunks with them to check that decodeChunk and
// decodeRollup keep reading version 1 bytes (a deployment holds them), and bench/codec.ts prints the
// old sizes beside the new ones.
import { BitWriter, pushVarint } from './bits.js';
// Shared with version 2 where the two formats agree: the XOR value stream (its cost and window writer),
// the timestamp checks and the decimal mantissa.
import { checkTimestamps, mantissa, writeWindow, xorCost } from './codec.js';
import type { Rollup } from './rollup.js';

const CHUNK_VERSION = 1;

/** Value modes (flags bits 0–1). */
const ValueMode = { Xor: 0, DecimalDelta: 1, DecimalDod: 2 } as const;
type ValueMode = (typeof ValueMode)[keyof typeof ValueMode];

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


// ---------------------------------------------------------------------------------------------
// Signed integers in buckets (timestamp delta-of-deltas, decimal deltas)

/**
 * Prefix-coded buckets for whole numbers: '0' (zero) · '10' + w1 bits · '110' + w2 bits · '1110' + w3
 * bits · '1111' + sign + 53 bits. A w-bit bucket holds [−(2^(w−1) − 1), 2^(w−1)] in two's complement.
 */
interface Buckets {
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
function bucketTable(b: Buckets): BucketTable {
  return { ...b, hi1: 2 ** (b.w1 - 1), hi2: 2 ** (b.w2 - 1), hi3: 2 ** (b.w3 - 1) };
}

/** Timestamp delta-of-deltas (ms); see the measurements at the top. */
const TIMESTAMP_BUCKETS = bucketTable({ w1: 4, w2: 10, w3: 20 });
/** Decimal value deltas and delta-of-deltas. */
const VALUE_BUCKETS = bucketTable({ w1: 6, w2: 12, w3: 20 });

/** Bits `writeSigned` spends on `d`. */
function signedCost(d: number, b: BucketTable): number {
  if (d === 0) return 1;
  if (d > -b.hi1 && d <= b.hi1) return 2 + b.w1;
  if (d > -b.hi2 && d <= b.hi2) return 3 + b.w2;
  if (d > -b.hi3 && d <= b.hi3) return 4 + b.w3;
  return 58;
}

/** Writes a whole number with |d| < 2^53 in the smallest bucket that holds it. */
function writeSigned(w: BitWriter, d: number, b: BucketTable): void {
  if (d === 0) w.writeBits(0, 1);
  else if (d > -b.hi1 && d <= b.hi1) w.writeBits((0b10 << b.w1) | (d & (2 * b.hi1 - 1)), 2 + b.w1);
  else if (d > -b.hi2 && d <= b.hi2) w.writeBits((0b110 << b.w2) | (d & (2 * b.hi2 - 1)), 3 + b.w2);
  else if (d > -b.hi3 && d <= b.hi3) w.writeBits((0b1110 << b.w3) | (d & (2 * b.hi3 - 1)), 4 + b.w3);
  else {
    w.writeBits(0b1111, 4);
    writeWide(w, d);
  }
}


/** Sign bit and 53-bit magnitude: any whole number with |d| < 2^53. */
function writeWide(w: BitWriter, d: number): void {
  const mag = Math.abs(d);
  w.writeBits(d < 0 ? 1 : 0, 1);
  w.writeBits(Math.floor(mag / TWO32), 21);
  w.writeBits(mag % TWO32, 32);
}


// ---------------------------------------------------------------------------------------------
// Encoding

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
interface EncodeOptions {
  /** Allow the decimal value modes (default true). */
  decimal?: boolean;
}

/**
 * Compresses one series' points. `timestampsMs` are whole milliseconds, strictly ascending, with
 * magnitude ≤ `MAX_TIMESTAMP_MS`; `values` are any doubles (compared and restored by bit pattern),
 * same length. Throws a RangeError naming the first offending index. The arrays are only read; the
 * returned bytes are new and owned by the caller.
 */
export function encodeChunkV1(timestampsMs: Float64Array, values: Float64Array, options: EncodeOptions = {}): Uint8Array {
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
    if (!exceptions || bits + 54 <= xorCost(values, new Uint32Array(values.buffer, values.byteOffset, values.length * 2)) + 64) {
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

/** The version 1 rollup: byte 0 (1), then five version 1 chunks (starts, column), each after its LEB128 length. */
export function encodeRollupV1(r: Rollup): Uint8Array {
  const out: number[] = [1];
  for (const col of [r.min, r.max, r.sum, r.count, r.last]) {
    const part = encodeChunkV1(r.startsMs, col);
    pushVarint(out, part.length);
    for (const b of part) out.push(b);
  }
  return Uint8Array.from(out);
}
