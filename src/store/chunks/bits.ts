// Bit-level writer and reader for the chunk codec (codec.ts). Bits are packed most significant first
// (big-endian within each byte), like Gorilla's and Prometheus' XOR chunks.
//
// The writer accumulates up to 32 bits in one integer and stores full 32-bit words in a growing
// Uint32Array: no allocation per bit or per value. The reader reads its input in place (a 5-byte window
// away from the end, byte by byte near it), and every read checks the logical end first: running past
// it throws a RangeError, never reads garbage.

/** Writes bit fields of 0–32 bits, most significant bit first. */
export class BitWriter {
  // Public for codec.ts' bulk loops, which keep them in locals (see `reserve`) and store them back:
  // `words[0…used)` are the full words, `acc` the `accBits` (0–31) pending bits, right-aligned, 0
  // when there are none; a loop may store anything at `words[used]` (not yet written).
  /** Full 32-bit words, most significant bit first. */
  words: Uint32Array;
  /** Number of full words stored. */
  used = 0;
  /** Pending bits, right-aligned (below 2^accBits). */
  acc = 0;
  /** Number of pending bits, 0–31. */
  accBits = 0;

  /** `capacityBits` sizes the first buffer; it doubles when full. */
  constructor(capacityBits = 1024) {
    this.words = new Uint32Array(Math.max(4, Math.ceil(capacityBits / 32)));
  }

  /** Forgets what was written, keeping the buffer (encoders reuse one writer). */
  reset(): this {
    this.used = 0;
    this.acc = 0;
    this.accBits = 0;
    return this;
  }

  /** Writes zero bits up to the next byte boundary. */
  padToByte(): void {
    const pad = (8 - (this.accBits & 7)) & 7;
    if (pad > 0) this.writeBits(0, pad);
  }

  /** Number of bits written so far. */
  get bitLength(): number {
    return this.used * 32 + this.accBits;
  }

  /** Appends the low `n` bits of `value` (0 ≤ n ≤ 32), most significant first. */
  writeBits(value: number, n: number): void {
    const v = n === 32 ? value >>> 0 : value & ((1 << n) - 1);
    const free = 32 - this.accBits;
    if (n < free) {
      this.acc = (this.acc << n) | v;
      this.accBits += n;
      return;
    }
    const rest = n - free;
    // free is 1–32; when free is 32 the accumulator is empty (0), and 0 << 32 is 0 in JavaScript.
    const word = (free === 32 ? 0 : this.acc << free) | (v >>> rest);
    if (this.used === this.words.length) this.grow();
    this.words[this.used++] = word >>> 0;
    this.acc = rest === 0 ? 0 : v & ((1 << rest) - 1);
    this.accBits = rest;
  }

  /** Appends one bit (0 or 1). */
  writeBit(bit: number): void {
    this.writeBits(bit, 1);
  }

  private grow(): void {
    const next = new Uint32Array(this.words.length * 2);
    next.set(this.words);
    this.words = next;
  }

  /** Makes room for `bits` more bits plus one spare word, so a bulk loop needs no check; returns `words`. */
  reserve(bits: number): Uint32Array {
    const need = this.used + Math.ceil(bits / 32) + 2;
    if (need > this.words.length) {
      const next = new Uint32Array(Math.max(need, this.words.length * 2));
      next.set(this.words);
      this.words = next;
    }
    return this.words;
  }

  /** Number of bytes `copyTo` writes: the bits rounded up to whole bytes (the last byte zero-padded). */
  get byteLength(): number {
    return this.used * 4 + ((this.accBits + 7) >>> 3);
  }

  /**
   * Copies bytes [from, to) of what was written (the last byte zero-padded, as `copyTo`) into `out`
   * at `offset`: a byte-aligned section straight into its place, without a copy of the whole.
   */
  copyBytesTo(out: Uint8Array, offset: number, from: number, to: number): void {
    const words = this.words;
    const full = this.used * 4;
    const last = this.accBits > 0 ? (this.acc << (32 - this.accBits)) >>> 0 : 0;
    for (let b = from, o = offset; b < to; b++, o++) {
      const w = b < full ? words[b >>> 2]! : last;
      out[o] = w >>> (24 - 8 * (b & 3));
    }
  }

  /** Copies the written bits into `out` from `offset`; `out` must have `byteLength` bytes free there. */
  copyTo(out: Uint8Array, offset: number): void {
    const words = this.words;
    let o = offset;
    for (let i = 0; i < this.used; i++) {
      const w = words[i]!;
      out[o] = w >>> 24;
      out[o + 1] = w >>> 16;
      out[o + 2] = w >>> 8;
      out[o + 3] = w;
      o += 4;
    }
    if (this.accBits > 0) {
      const last = (this.acc << (32 - this.accBits)) >>> 0; // left-aligned, zero-padded
      const bytes = (this.accBits + 7) >>> 3;
      for (let b = 0; b < bytes; b++) out[o + b] = last >>> (24 - 8 * b);
    }
  }
}

/** Reads bit fields of 0–32 bits from bytes written by `BitWriter`. */
export class BitReader {
  // `buf`, `pos` and `end` are public for codec.ts' hot loops, which keep the position in a local and
  // store it back (a field access a bit costs more than the decoding): read them, and set `pos` only
  // to a position ≤ `end` whose bits were all checked.
  /** The input (read in place). */
  buf: Uint8Array;
  /** Absolute bit position in `buf` of the next bit. */
  pos = 0;
  private base = 0; // bit position of the first readable bit
  /** Absolute bit position in `buf` after the last readable bit. */
  end = 0;

  /**
   * Reads `bytes[start…end)` in place (no copy, no view: decoding many small rows allocates nothing
   * here); the caller must not change those bytes while reading.
   */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.buf = bytes;
    this.reset(bytes, start, end);
  }

  /** Starts reading `bytes[start…end)` from its first bit (readers can be reused). */
  reset(bytes: Uint8Array, start = 0, end = bytes.length): this {
    this.buf = bytes;
    const e = Math.min(Math.max(start, end), bytes.length);
    this.base = this.pos = Math.min(start, e) * 8;
    this.end = e * 8;
    return this;
  }

  /** Number of readable bits. */
  get limit(): number {
    return this.end - this.base;
  }

  /** Number of bits read so far. */
  get bitPosition(): number {
    return this.pos - this.base;
  }

  /** Bits left before the end. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** The RangeError of a read that needs the bits up to absolute position `to` (past `end`). */
  truncated(to: number): RangeError {
    return new RangeError(`chunk truncated: needs bit ${to - this.base}, has ${this.end - this.base}`);
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned integer; RangeError past the end. */
  readBits(n: number): number {
    if (n === 0) return 0;
    const p = this.pos;
    const end = p + n;
    if (end > this.end) throw this.truncated(end);
    const b = this.buf;
    const i = p >>> 3;
    let w: number;
    // The 32 bits from p: 4 bytes shifted by p's offset in its byte, and the top of a fifth (at
    // offset 0, b[i + 4] >>> 8 is 0); bytes past the buffer read as zero (never returned: the
    // check above holds).
    if (i + 4 < b.length) w = (((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) << (p & 7)) | (b[i + 4]! >>> (8 - (p & 7)));
    else w = this.tail(i, p & 7);
    this.pos = end;
    return w >>> (32 - n);
  }

  /** The 32 bits from byte `i`'s bit `off` on, near the end of the buffer (missing bytes read as zero). */
  private tail(i: number, off: number): number {
    const b = this.buf;
    const hi = ((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0);
    return (hi << off) | ((b[i + 4] ?? 0) >>> (8 - off));
  }

  /**
   * Consumes `n` bits (any n ≥ 0) and returns the position they start at, for a loop that reads
   * them itself (with {@link word32}); RangeError, consuming none, past the end.
   */
  advance(n: number): number {
    const p = this.pos;
    if (p + n > this.end) throw this.truncated(p + n);
    this.pos = p + n;
    return p;
  }

  /**
   * The next 32 bits, left-aligned in an int32, without consuming them (see `skip`). Bits past the
   * logical end are whatever the buffer holds there, zero past its last byte: a decoder must decide
   * only on bits it then consumes, so that `skip` refuses a field running past the end.
   */
  peek32(): number {
    const p = this.pos;
    const b = this.buf;
    const i = p >>> 3;
    if (i + 4 < b.length) return (((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) << (p & 7)) | (b[i + 4]! >>> (8 - (p & 7)));
    return this.tail(i, p & 7);
  }

  /** Consumes `n` bits (0 ≤ n ≤ 32), usually ones `peek32` showed; RangeError past the end. */
  skip(n: number): void {
    const end = this.pos + n;
    if (end > this.end) throw this.truncated(end);
    this.pos = end;
  }

  /** Reads one bit; RangeError past the end. */
  readBit(): number {
    const p = this.pos;
    if (p >= this.end) throw this.truncated(p + 1);
    this.pos = p + 1;
    return (this.buf[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }

  /**
   * Counts 1 bits up to the first 0 bit (consumed), or up to `max` ones (0 ≤ max ≤ 8; then no 0 is
   * read): the prefix codes of codec.ts, read from one window rather than bit by bit.
   */
  readOnes(max: number): number {
    const p = this.pos;
    if (this.end - p > max) {
      const b = this.buf;
      const i = p >>> 3;
      const window = (((b[i]! << 8) | (b[i + 1] ?? 0)) << (p & 7)) & 0xffff;
      const ones = Math.clz32(~(window << 16));
      const c = ones < max ? ones : max;
      this.pos = p + c + (c < max ? 1 : 0);
      return c;
    }
    let c = 0;
    while (c < max && this.readBit() === 1) c++;
    return c;
  }
}

/**
 * The 4 bytes of `b` from byte `i` as a big-endian int32, zero past the end. For a bit position p,
 * `word32(b, p >>> 3) << (p & 7)` holds the 25 or more bits from p on: the window of a field of up to
 * 25 bits (codec.ts' fixed-width loops read a field a step so, after one `advance` checked them all).
 */
export function word32(b: Uint8Array, i: number): number {
  if (i + 3 < b.length) return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
  return ((b[i] ?? 0) << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0);
}

/** The field of 32 − `shift` bits starting at bit `q` of `b` (most significant bit first; zeros past the end). */
export function fieldAt(b: Uint8Array, q: number, shift: number): number {
  return (word32(b, q >>> 3) << (q & 7)) >>> shift;
}

/** Appends `n` (a whole number ≥ 0, below 2^53) as an LEB128 varint: 7 bits a byte, low bits first. */
export function pushVarint(out: number[], n: number): void {
  for (let c = n; ; ) {
    if (c < 0x80) {
      out.push(c);
      return;
    }
    out.push((c % 0x80) | 0x80);
    c = Math.floor(c / 0x80);
  }
}
