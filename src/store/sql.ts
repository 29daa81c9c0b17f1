import type { WireParam, WireRow } from './wire.js';

/**
 * The tiny SQL executor both drivers satisfy (PostgreSQL through `pg`, the embedded store through
 * PGlite). All SQL is PostgreSQL; store modules are written once against this interface.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * There is no binary result format through `pg`: `pg` (8.23) reads every DataRow field as UTF-8 text
 * and turns it back into bytes, so `binary: true` silently corrupts any byte ≥ 0x80 (bytea, float8,
 * int4 1000 → 1007; brianc/node-postgres#3495). Large byte columns travel as base64 text instead
 * (`encode(x, 'base64')`, decoded with Buffer.from(s, 'base64')): 1.33 bytes a byte instead of hex's 2,
 * and decoded several times faster. The embedded store has one (`queryBinary`, below), used where a
 * statement returns byte strings: compaction's packed hot points, raw reads' chunks, stepped reads' rollups.
 */
export interface QueryOptions {
  /** A name unique to this statement's text: a prepared statement on PostgreSQL. */
  prepare?: string;
}

export interface Sql {
  /** `postgres` (server) or `pglite` (embedded). */
  readonly driver: 'postgres' | 'pglite';
  /**
   * One parameterised statement ($1, $2 …). `opts.prepare` names it for the hot paths (every request's
   * authentication): PostgreSQL then parses and plans it once per connection instead of on every call
   * (one name, one text, always). PGlite runs in process and ignores it.
   */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>>;
  /**
   * A read-only statement whose result columns come back in PostgreSQL's binary format, unparsed
   * (wire.ts: a bytea is its bytes, an int8 8 bytes big-endian). Only where it is cheaper than
   * `query`: the embedded store (PGlite's `query` sends every value as text, a bytea as hex).
   */
  queryBinary?(text: string, params?: readonly WireParam[]): Promise<WireRow[]>;
  /** A script of several statements without parameters (migrations); returns the last statement's result. */
  exec<R = Record<string, unknown>>(script: string): Promise<QueryResult<R>>;
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** True when `SELECT 1` succeeds on `q`: the shared body of both executors' ping(). */
export async function answers(q: { query(text: string): Promise<unknown> }): Promise<boolean> {
  try {
    await q.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Binary array parameters

/**
 * PostgreSQL's binary array format (what `array_recv` reads): both drivers send a Buffer parameter
 * in binary format, so a `$1::int8[]` … parameter built here needs no formatting in JS and no
 * parsing by the server (text arrays of 1,000 numbers cost each side microseconds a point; the
 * embedded store, PostgreSQL in WASM, halves its insert CPU with them). One dimension, no nulls.
 */
function binaryArray(oid: number, n: number): { buf: Buffer; view: DataView; at: number } {
  const buf = Buffer.allocUnsafe(n ? 20 + n * 12 : 12);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  view.setInt32(0, n ? 1 : 0); // dimensions (an empty array has none)
  view.setInt32(4, 0); // no nulls
  view.setInt32(8, oid);
  if (!n) return { buf, view, at: 12 };
  view.setInt32(12, n);
  view.setInt32(16, 1); // lower bound
  return { buf, view, at: 20 };
}

const two32 = 4_294_967_296;

/** Writes an integer as int64 big-endian: exact for safe integers, through BigInt beyond. */
function setInt64(view: DataView, at: number, x: number): void {
  if (Number.isSafeInteger(x)) {
    const hi = Math.floor(x / two32);
    view.setInt32(at, hi);
    view.setUint32(at + 4, x - hi * two32);
  } else view.setBigInt64(at, BigInt(x));
}

/** int8[] of integers (series ids, epoch milliseconds). */
export function int8Array(xs: ArrayLike<number>): Buffer {
  const n = xs.length;
  const { buf, view } = binaryArray(20, n);
  for (let i = 0, at = 20; i < n; i++, at += 12) {
    view.setInt32(at, 8);
    setInt64(view, at + 4, xs[i]!);
  }
  return buf;
}

/** float8[] of doubles, bit for bit (−0 and every payload kept). */
export function float8Array(xs: ArrayLike<number>): Buffer {
  const n = xs.length;
  const { buf, view } = binaryArray(701, n);
  for (let i = 0, at = 20; i < n; i++, at += 12) {
    view.setInt32(at, 8);
    view.setFloat64(at + 4, xs[i]!);
  }
  return buf;
}

/** PostgreSQL's epoch (2000-01-01) in Unix epoch milliseconds. */
const pgEpochMs = 946_684_800_000;

/**
 * timestamptz[] of whole epoch milliseconds: microseconds since 2000-01-01, exact (a product beyond
 * 2^53, after year 2255, goes through BigInt).
 */
export function timestamptzArray(ms: ArrayLike<number>): Buffer {
  const n = ms.length;
  const { buf, view } = binaryArray(1184, n);
  for (let i = 0, at = 20; i < n; i++, at += 12) {
    view.setInt32(at, 8);
    const us = (ms[i]! - pgEpochMs) * 1000;
    if (Number.isSafeInteger(us)) setInt64(view, at + 4, us);
    else view.setBigInt64(at + 4, BigInt(ms[i]! - pgEpochMs) * 1000n);
  }
  return buf;
}
