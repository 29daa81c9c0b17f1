// The little of PostgreSQL's extended query protocol (frontend/backend protocol 3.0) that the embedded
// store's binary reads need, pure: one statement's Parse, Bind (every result column in binary format),
// Execute and Sync as one message string, and its DataRows back as byte strings. PGlite's own query
// turns every result into text (a bytea as hex, decoded again in JS); its raw protocol entry point
// returns the backend's bytes as they are.
import { ByteWriter } from '../core/byte-writer.js';

/** A parameter: text format (a number as its decimal text), or binary format for bytes; null is NULL. */
export type WireParam = string | number | Uint8Array | null;

/** A row's columns in binary format (null for NULL), views into the reply's bytes. */
export type WireRow = (Uint8Array | null)[];

/** An ErrorResponse: the fields PostgreSQL drivers expose, so callers test `code` as with `pg`. */
export class WireError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly severity: string | undefined,
    readonly detail: string | undefined,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Protocol strings and messages over the shared writer (big-endian, as the protocol is). */
class Writer extends ByteWriter {
  constructor() {
    super(false);
  }
  cstring(s: string): void {
    if (s.includes('\0')) throw new RangeError('a protocol string cannot hold a NUL byte');
    this.bytes(encoder.encode(s));
    this.u8(0);
  }
  /** A message: its type byte, then `body` written after a length patched in once known. */
  message(type: number, body: () => void): void {
    this.u8(type);
    const lengthAt = this.at;
    this.i32(0);
    body();
    this.setI32(lengthAt, this.at - lengthAt);
  }
}

const PARSE = 0x50; // 'P'
const BIND = 0x42; // 'B'
const EXECUTE = 0x45; // 'E'
const SYNC = 0x53; // 'S'
const DATA_ROW = 0x44; // 'D'
const ERROR_RESPONSE = 0x45; // 'E' (backend)

/**
 * One statement with its parameters as the unnamed statement and portal: Parse (parameter types left
 * to the server, as `$1::int8` casts say), Bind with every result column in binary format, Execute
 * (all rows), Sync (which also ends the statement's implicit transaction outside a transaction block).
 */
export function extendedQuery(text: string, params: readonly WireParam[]): Uint8Array {
  if (params.length > 65_535) throw new RangeError(`${params.length} parameters: at most 65,535`);
  const w = new Writer();
  w.message(PARSE, () => {
    w.cstring('');
    w.cstring(text);
    w.i16(0);
  });
  w.message(BIND, () => {
    w.cstring('');
    w.cstring('');
    w.i16(params.length);
    for (const p of params) w.i16(p instanceof Uint8Array ? 1 : 0);
    w.i16(params.length);
    for (const p of params) {
      if (p === null) {
        w.i32(-1);
        continue;
      }
      const b = p instanceof Uint8Array ? p : encoder.encode(typeof p === 'number' ? numberText(p) : p);
      w.i32(b.length);
      w.bytes(b);
    }
    w.i16(1); // one result format code for all columns:
    w.i16(1); // binary
  });
  w.message(EXECUTE, () => {
    w.cstring('');
    w.i32(0);
  });
  w.message(SYNC, () => {});
  return w.result();
}

/** A number as PostgreSQL reads it back exactly (JavaScript's shortest round-trip text). */
function numberText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  return String(n);
}

/**
 * The DataRows of a reply (every other message skipped), or a WireError for its ErrorResponse.
 * RangeError when the bytes are not whole messages.
 */
export function dataRows(reply: Uint8Array): WireRow[] {
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const rows: WireRow[] = [];
  let error: WireError | undefined;
  for (let o = 0; o < reply.length; ) {
    if (o + 5 > reply.length) throw new RangeError('a reply message is cut short');
    const type = reply[o]!;
    const end = o + 1 + view.getInt32(o + 1);
    if (end > reply.length || end < o + 5) throw new RangeError('a reply message is cut short');
    if (type === DATA_ROW) rows.push(columnsOf(reply, view, o + 5, end));
    else if (type === ERROR_RESPONSE) error ??= errorOf(reply.subarray(o + 5, end));
    o = end;
  }
  if (error) throw error;
  return rows;
}

function columnsOf(reply: Uint8Array, view: DataView, from: number, end: number): WireRow {
  const n = view.getInt16(from);
  const row: WireRow = new Array(n);
  let o = from + 2;
  for (let i = 0; i < n; i++) {
    if (o + 4 > end) throw new RangeError('a data row is cut short');
    const len = view.getInt32(o);
    o += 4;
    if (len < 0) {
      row[i] = null;
      continue;
    }
    if (o + len > end) throw new RangeError('a data row is cut short');
    row[i] = reply.subarray(o, o + len);
    o += len;
  }
  return row;
}

/** ErrorResponse fields: a type byte and a NUL-terminated string each, then a NUL. */
function errorOf(body: Uint8Array): WireError {
  const fields = new Map<string, string>();
  for (let o = 0; o < body.length && body[o] !== 0; ) {
    const type = String.fromCharCode(body[o]!);
    const end = body.indexOf(0, o + 1);
    if (end < 0) break;
    fields.set(type, decoder.decode(body.subarray(o + 1, end)));
    o = end + 1;
  }
  return new WireError(fields.get('M') ?? 'database error', fields.get('C'), fields.get('S'), fields.get('D'));
}

/** A binary int8 column as a number (exact up to 2^53, as the store's ids and counts are). */
export function int8Of(col: Uint8Array): number {
  if (col.byteLength !== 8) throw new RangeError(`an int8 column of ${col.byteLength} bytes`);
  const view = new DataView(col.buffer, col.byteOffset, col.byteLength);
  return view.getInt32(0) * 4_294_967_296 + view.getUint32(4);
}
