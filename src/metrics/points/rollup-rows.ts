// Rollup rows of a stepped read, one result row a series (issue 18). A year of 100 series is 36,500
// (series, day) rows; fetched as rows, node-postgres parses each row and each hex bytea, and PGlite
// formats and transfers each row: most of the read. Instead each series' rows arrive framed in one
// byte string (string_agg), base64-encoded (4/3 of a byte a byte instead of hex's 2, and decoded
// several times faster; pg's binary result format is unusable, see src/store/sql.ts).
//
// Frame of one rollup row: the day as int8 Unix ms (int8send: big-endian), the data's byte length as
// int4, then the data.

/** One framed rollup row: its day (Unix ms) and its stored bytes (a view into the series' bytes). */
export interface FramedRow {
  dayMs: number;
  data: Uint8Array;
}

/** SQL of one frame from a rollup row `r` (see the header). */
export const FRAME_SQL = `int8send(round(date_part('epoch', r.day) * 1000)::int8) || int4send(octet_length(r.data)) || r.data`;

/** Bytes before a frame's data: the day (8) and the length (4). */
export const FRAME_HEAD = 12;

/** Splits a series' framed rows; a frame cut short or a negative length throws a RangeError. */
export function unframeRows(bytes: Uint8Array): FramedRow[] {
  const out: FramedRow[] = [];
  for (let o = 0; o < bytes.length; ) {
    const end = framesEnd(bytes, o);
    out.push({ dayMs: frameDayMs(bytes, o), data: bytes.subarray(o + FRAME_HEAD, end) });
    o = end;
  }
  return out;
}

/**
 * The end of the frame starting at `o` (its data is bytes[o + FRAME_HEAD … end)); a frame cut short or
 * a negative length throws a RangeError. Reads in place: walking 36,500 frames makes no object.
 */
export function framesEnd(bytes: Uint8Array, o: number): number {
  if (o + FRAME_HEAD > bytes.length) throw new RangeError('framed rollup rows: header cut short');
  const len = ((bytes[o + 8]! << 24) | (bytes[o + 9]! << 16) | (bytes[o + 10]! << 8) | bytes[o + 11]!) | 0;
  const end = o + FRAME_HEAD + len;
  if (len < 0 || end > bytes.length) throw new RangeError('framed rollup rows: data cut short');
  return end;
}

/** The day (Unix ms) of the frame starting at `o` (its header must be there: see framesEnd). */
export function frameDayMs(bytes: Uint8Array, o: number): number {
  // High word signed, low word unsigned: exact for every timestamptz in ms (|ms| < 2^53).
  const hi = (bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!;
  const lo = ((bytes[o + 4]! << 24) | (bytes[o + 5]! << 16) | (bytes[o + 6]! << 8) | bytes[o + 7]!) >>> 0;
  return hi * 4_294_967_296 + lo;
}

/** A base64 text column as bytes (null: none): a plain Uint8Array, whose subarrays cost less than a Buffer's. */
export function fromBase64(s: string | null): Uint8Array {
  if (!s) return new Uint8Array(0);
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// One buffer the base64 rows of a read are decoded into in turn (a series' bytes are decoded and
// dropped at once), instead of an allocation of up to a few hundred KB a series.
let scratch = Buffer.alloc(0);

/**
 * A base64 text column as bytes in a buffer shared by every call: valid only until the next call, so
 * only for bytes consumed at once (synchronously) and never kept.
 */
export function fromBase64Scratch(s: string | null): Uint8Array {
  if (!s) return new Uint8Array(0);
  // Base64 decodes to at most 3/4 of its length.
  const most = Math.ceil((s.length * 3) / 4);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(Math.max(most, 2 * scratch.length));
  const n = scratch.write(s, 'base64');
  return new Uint8Array(scratch.buffer, scratch.byteOffset, n);
}
