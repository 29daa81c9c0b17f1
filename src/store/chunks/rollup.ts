// Rollups (issue 18): per bucket of a fixed resolution (5 min, 1 h, epoch-aligned), the min, max, sum,
// count and last value of a series' points, and their compressed form: one row per series and UTC day.
// Pure functions over typed arrays, no I/O.
//
// Layout (version 1): byte 0 version (1), then five chunks (src/store/chunks/codec.ts), each preceded
// by its byte length as a LEB128 varint: (bucket starts, min), (starts, max), (starts, sum),
// (starts, count), (starts, last). The repeated bucket starts of a regular series cost a bit a bucket
// each (delta-of-delta 0).
//
// `sum` is the left-to-right double sum; it is ±Infinity (or NaN) when the bucket's sum overflows the
// double range: readers then aggregate that bucket from the raw points (exact, with scaling).
import { pushVarint } from './bits.js';
import { decodeChunk, encodeChunk } from './codec.js';
import { MIN_POINTS_PER_BUCKET } from './window.js';

export const ROLLUP_VERSION = 1;

/** Buckets in ascending start order; only buckets holding points appear. */
export interface Rollup {
  /** Bucket starts, epoch ms, ascending. */
  startsMs: Float64Array;
  min: Float64Array;
  max: Float64Array;
  sum: Float64Array;
  count: Float64Array;
  /** The value of the bucket's newest point. */
  last: Float64Array;
}

/** Aggregates ascending points (strictly increasing timestamps) into buckets of `resolutionMs`. */
export function computeRollup(timestampsMs: Float64Array, values: Float64Array, resolutionMs: number): Rollup {
  const n = timestampsMs.length;
  let buckets = 0;
  let prev = Number.NaN;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(timestampsMs[i]! / resolutionMs);
    if (b !== prev) buckets++;
    prev = b;
  }
  const r: Rollup = {
    startsMs: new Float64Array(buckets),
    min: new Float64Array(buckets),
    max: new Float64Array(buckets),
    sum: new Float64Array(buckets),
    count: new Float64Array(buckets),
    last: new Float64Array(buckets),
  };
  let j = -1;
  prev = Number.NaN;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(timestampsMs[i]! / resolutionMs);
    const v = values[i]!;
    if (b !== prev) {
      j++;
      prev = b;
      r.startsMs[j] = b * resolutionMs;
      r.min[j] = v;
      r.max[j] = v;
      r.sum[j] = v;
      r.count[j] = 1;
    } else {
      // Stored values are finite (ingest refuses NaN and infinities).
      if (v < r.min[j]!) r.min[j] = v;
      if (v > r.max[j]!) r.max[j] = v;
      r.sum[j]! += v;
      r.count[j]! += 1;
    }
    r.last[j] = v;
  }
  return r;
}

/** True when a day's rollup earns its row: at least MIN_POINTS_PER_BUCKET points a bucket on average. */
export function rollupWorthKeeping(r: Rollup): boolean {
  let points = 0;
  for (let i = 0; i < r.count.length; i++) points += r.count[i]!;
  return r.count.length > 0 && points >= MIN_POINTS_PER_BUCKET * r.count.length;
}

/** Compresses a rollup (see the layout above). */
export function encodeRollup(r: Rollup): Uint8Array {
  const parts = [r.min, r.max, r.sum, r.count, r.last].map((col) => encodeChunk(r.startsMs, col));
  const head: number[] = [ROLLUP_VERSION];
  const lengths = parts.map((p) => {
    const l: number[] = [];
    pushVarint(l, p.length);
    return l;
  });
  const total = head.length + parts.reduce((s, p, i) => s + p.length + lengths[i]!.length, 0);
  const out = new Uint8Array(total);
  out.set(head);
  let at = head.length;
  parts.forEach((p, i) => {
    out.set(lengths[i]!, at);
    at += lengths[i]!.length;
    out.set(p, at);
    at += p.length;
  });
  return out;
}

function sameTimes(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function corrupt(what: string): RangeError {
  return new RangeError(`corrupt rollup: ${what}`);
}

/** The value columns of a rollup, in their stored order. */
export const ROLLUP_COLUMNS = ['min', 'max', 'sum', 'count', 'last'] as const;
export type RollupColumn = (typeof ROLLUP_COLUMNS)[number];

/**
 * Restores what {@link encodeRollup} compressed; truncated or corrupt bytes throw a RangeError. With
 * `columns`, only those are decoded (decoding is most of a long stepped read's time) and the others
 * alias the count column, which is always decoded.
 */
export function decodeRollup(bytes: Uint8Array, columns?: ReadonlySet<RollupColumn>): Rollup {
  if (bytes.length < 1) throw corrupt('empty');
  if (bytes[0] !== ROLLUP_VERSION) throw corrupt(`unknown version ${bytes[0]}`);
  let o = 1;
  const cols: Partial<Record<RollupColumn, Float64Array>> = {};
  let starts: Float64Array | undefined;
  for (const name of ROLLUP_COLUMNS) {
    let len = 0;
    for (let mul = 1; ; mul *= 128) {
      if (o >= bytes.length) throw corrupt('length truncated');
      if (mul > 2 ** 35) throw corrupt('length too long');
      const b = bytes[o++]!;
      len += (b & 0x7f) * mul;
      if (b < 0x80) break;
    }
    if (o + len > bytes.length) throw corrupt('column truncated');
    if (!columns || name === 'count' || columns.has(name)) {
      const d = decodeChunk(bytes.subarray(o, o + len));
      if (!starts) starts = d.timestampsMs;
      else if (!sameTimes(d.timestampsMs, starts)) throw corrupt('columns disagree on buckets');
      cols[name] = d.values;
    }
    o += len;
  }
  if (o !== bytes.length) throw corrupt('trailing bytes');
  const count = cols.count!;
  return { startsMs: starts!, min: cols.min ?? count, max: cols.max ?? count, sum: cols.sum ?? count, count, last: cols.last ?? count };
}
