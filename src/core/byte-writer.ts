// A growable byte buffer written front to back: the binary encoders' common writer (the
// sequence-context detector's saved state, little-endian; PostgreSQL protocol messages, big-endian).

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  at = 0;

  constructor(
    private readonly littleEndian: boolean,
    initialBytes = 256,
  ) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  private need(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.need(1);
    this.buf[this.at++] = v;
  }
  u16(v: number): void {
    this.need(2);
    this.view.setUint16(this.at, v, this.littleEndian);
    this.at += 2;
  }
  i16(v: number): void {
    this.need(2);
    this.view.setInt16(this.at, v, this.littleEndian);
    this.at += 2;
  }
  i32(v: number): void {
    this.need(4);
    this.view.setInt32(this.at, v, this.littleEndian);
    this.at += 4;
  }
  f64(v: number): void {
    this.need(8);
    this.view.setFloat64(this.at, v, this.littleEndian);
    this.at += 8;
  }
  bytes(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  /** Overwrites the int32 at byte `at` (already written), e.g. a length known only afterwards. */
  setI32(at: number, v: number): void {
    if (at < 0 || at + 4 > this.at) throw new RangeError(`no int32 written at ${at}`);
    this.view.setInt32(at, v, this.littleEndian);
  }
  /** A copy of the bytes written. */
  result(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}
