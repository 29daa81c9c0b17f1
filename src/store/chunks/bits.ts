// Bit-level writer and reader for the chunk codec (codec.ts). Bits are packed most significant first
// (big-endian within each byte), like Gorilla's and Prometheus' XOR chunks.
//
// The writer accumulates up to 32 bits in one integer and stores full 32-bit words in a growing
// Uint32Array: no allocation per bit or per value. The reader works on a copy of its input padded with
// 8 zero bytes, so a 5-byte window can be read at any in-range position without a bounds branch, and
// every read checks the logical end first: running past it throws a RangeError, never reads garbage.

/** Writes bit fields of 0–32 bits, most significant bit first. */
export class BitWriter {
  private words: Uint32Array;
  private used = 0; // full words stored
  private acc = 0; // pending bits, right-aligned
  private accBits = 0; // number of pending bits, 0–31

  /** `capacityBits` sizes the first buffer; it doubles when full. */
  constructor(capacityBits = 1024) {
    this.words = new Uint32Array(Math.max(4, Math.ceil(capacityBits / 32)));
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

  /** Number of bytes `copyTo` writes: the bits rounded up to whole bytes (the last byte zero-padded). */
  get byteLength(): number {
    return this.used * 4 + ((this.accBits + 7) >>> 3);
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
  private readonly buf: Uint8Array;
  private pos = 0;
  /** Number of readable bits. */
  readonly limit: number;

  /** Reads `bytes[start…end)`; the input is copied, so the caller keeps ownership of `bytes`. */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    const len = Math.max(0, end - start);
    this.buf = new Uint8Array(len + 8);
    this.buf.set(bytes.subarray(start, start + len));
    this.limit = len * 8;
  }

  /** Number of bits read so far. */
  get bitPosition(): number {
    return this.pos;
  }

  /** Bits left before the end. */
  get remaining(): number {
    return this.limit - this.pos;
  }

  /** Reads `n` bits (0 ≤ n ≤ 32) as an unsigned integer; RangeError past the end. */
  readBits(n: number): number {
    if (n === 0) return 0;
    const p = this.pos;
    const end = p + n;
    if (end > this.limit) throw new RangeError(`chunk truncated: needs bit ${end}, has ${this.limit}`);
    const b = this.buf;
    const i = p >>> 3;
    const off = p & 7;
    const hi = (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
    const w = off === 0 ? hi : (hi << off) | (b[i + 4]! >>> (8 - off));
    this.pos = end;
    return n === 32 ? w >>> 0 : w >>> (32 - n);
  }

  /** Reads one bit; RangeError past the end. */
  readBit(): number {
    const p = this.pos;
    if (p >= this.limit) throw new RangeError(`chunk truncated: needs bit ${p + 1}, has ${this.limit}`);
    this.pos = p + 1;
    return (this.buf[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }
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
