import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { BitReader, BitWriter, word32 } from './bits.js';
import { CHUNK_VERSION, decodeChunk, describeChunk, encodeChunk, MAX_TIMESTAMP_MS, readValues, ValueMode, writeValues } from './codec.js';
import { encodeChunkV1 } from './codec-v1.js';
import { v1Chunks } from './v1-fixtures.js';
import { v2Chunks } from './v2-fixtures.js';
import { seededRandom } from '../../core/random.js';


const u32 = (rnd: () => number) => Math.floor(rnd() * 4294967296) >>> 0;

/** A double from its bit pattern (hi, lo words). */
function fromBits(hi: number, lo: number): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, hi >>> 0);
  dv.setUint32(4, lo >>> 0);
  return dv.getFloat64(0);
}

/** Asserts two Float64Arrays are equal bit for bit (NaN payloads, the sign of zero). */
function assertSameBits(actual: Float64Array, expected: Float64Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const a = new BigUint64Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new BigUint64Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${label}: index ${i}: 0x${a[i]!.toString(16)} ≠ 0x${e[i]!.toString(16)}`);
  }
}

function roundTrip(ts: Float64Array, values: Float64Array, label: string, options?: { decimal?: boolean }): Uint8Array {
  const bytes = encodeChunk(ts, values, options);
  const back = decodeChunk(bytes);
  assertSameBits(back.timestampsMs, ts, `${label} timestamps`);
  assertSameBits(back.values, values, `${label} values`);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Generators

type TsShape = 'regular' | 'jittered' | 'irregular' | 'wide';
type ValueShape = 'bits' | 'special' | 'walk2' | 'constant' | 'counter' | 'integers' | 'mixed' | 'artefacts';

function timestamps(rnd: () => number, n: number, shape: TsShape): Float64Array {
  const ts = new Float64Array(n);
  let t = Math.floor(rnd() * 2e12) - (shape === 'wide' ? 1e12 : 0);
  const step = [1000, 15_000, 60_000, 300_000][Math.floor(rnd() * 4)]!;
  for (let i = 0; i < n; i++) {
    ts[i] = t;
    if (shape === 'regular') t += step;
    else if (shape === 'jittered') t += step + (rnd() < 0.3 ? Math.floor(rnd() * 41) - 20 : 0);
    else if (shape === 'irregular') t += 1 + Math.floor(rnd() ** 4 * 1e7);
    else t += 1 + Math.floor(rnd() ** 8 * 2 ** 45); // huge gaps: the wide bucket
  }
  return ts;
}

const specials = [
  0,
  -0,
  Infinity,
  -Infinity,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308, // smallest normal
  2.225073858507201e-308, // largest subnormal
  NaN,
  fromBits(0x7ff00000, 1), // signalling NaN, payload 1
  fromBits(0xfff80000, 0xdeadbeef), // negative quiet NaN with a payload
  fromBits(0x7fffffff, 0xffffffff),
  1,
  -1,
  0.1,
];

function randomBitsValue(rnd: () => number): number {
  const r = rnd();
  if (r < 0.6) return fromBits(u32(rnd), u32(rnd)); // any pattern: NaNs with payloads included
  if (r < 0.7) return fromBits((u32(rnd) & 0x800fffff) | 0x7ff00000, u32(rnd)); // NaN/Infinity class
  if (r < 0.8) return fromBits(u32(rnd) & 0x800fffff, u32(rnd)); // subnormals and ±0
  return specials[Math.floor(rnd() * specials.length)]!;
}

function valuesOf(rnd: () => number, n: number, shape: ValueShape): Float64Array {
  const v = new Float64Array(n);
  let x = Math.round(rnd() * 10000) / 100;
  let c = Math.floor(rnd() * 1e9);
  const rate = Math.floor(rnd() * 1000);
  for (let i = 0; i < n; i++) {
    if (shape === 'bits') v[i] = randomBitsValue(rnd);
    else if (shape === 'special') v[i] = specials[Math.floor(rnd() * specials.length)]!;
    else if (shape === 'walk2') {
      x = Math.round((x + (rnd() - 0.5) * 3) * 100) / 100 + 0; // + 0: no −0 (a −0 is an exception, tested on its own below)
      v[i] = x;
    } else if (shape === 'constant') v[i] = x;
    else if (shape === 'counter') {
      c += rate + (rnd() < 0.2 ? Math.floor(rnd() * 50) : 0);
      v[i] = c;
    } else if (shape === 'integers') v[i] = Math.floor((rnd() - 0.5) * 2 ** 53);
    else if (shape === 'artefacts') v[i] = Math.round((rnd() - 0.5) * 2e4) / 100 + Math.floor(rnd() * 1000) / 100; // about a quarter are float artefacts
    else v[i] = rnd() < 0.9 ? Math.round(rnd() * 1e4) / 1e3 : rnd() * 1e6; // mostly 3-decimal, some not
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Bit writer and reader

test('the bit writer and reader agree on fields of every width 0–32', () => {
  const rnd = seededRandom(7);
  const fields: [number, number][] = [];
  const w = new BitWriter(8); // small: grows many times
  for (let i = 0; i < 20_000; i++) {
    const n = Math.floor(rnd() * 33);
    const v = n === 32 ? u32(rnd) : u32(rnd) & ((2 ** n - 1) >>> 0);
    fields.push([v >>> 0, n]);
    w.writeBits(v, n);
  }
  const out = new Uint8Array(w.byteLength);
  w.copyTo(out, 0);
  const r = new BitReader(out);
  for (const [v, n] of fields) assert.equal(r.readBits(n), v);
  assert.ok(r.remaining < 8);
  assert.throws(() => r.readBits(8), RangeError);
});

test('the bit reader refuses to read past its end', () => {
  const r = new BitReader(new Uint8Array([0xff, 0x00]));
  assert.equal(r.readBits(12), 0xff0);
  assert.equal(r.readBit(), 0);
  assert.throws(() => r.readBits(4), RangeError);
  assert.equal(r.readBits(3), 0);
  assert.throws(() => r.readBit(), RangeError);
});

test('property: advance and word32 windows read fixed-width fields of 1–25 bits as readBits does, to the last byte', () => {
  const rnd = seededRandom(2512);
  for (let c = 0; c < 400; c++) {
    const bytes = Uint8Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
    const width = 1 + Math.floor(rnd() * 25);
    const start = Math.floor(rnd() * bytes.length * 8);
    const count = Math.floor((bytes.length * 8 - start) / width);
    const a = new BitReader(bytes);
    const b = new BitReader(bytes);
    while (a.pos < start) {
      const k = Math.min(32, start - a.pos);
      a.skip(k);
      b.skip(k);
    }
    let q = a.advance(width * count);
    assert.equal(q, b.pos);
    for (let k = 0; k < count; k++) {
      assert.equal((word32(bytes, q >>> 3) << (q & 7)) >>> (32 - width), b.readBits(width), `case ${c}: field ${k} of ${width} bits at bit ${q}`);
      q += width;
    }
    assert.equal(a.pos, b.pos);
    // One bit more than is left: a RangeError, and nothing consumed.
    const r = new BitReader(bytes);
    r.skip(Math.min(32, start));
    const before = r.pos;
    assert.throws(() => r.advance(bytes.length * 8 - before + 1), RangeError);
    assert.equal(r.pos, before);
  }
  // Past the buffer word32 reads zeros.
  assert.equal(word32(Uint8Array.of(0xab, 0xcd), 0) >>> 0, 0xabcd0000);
  assert.equal(word32(Uint8Array.of(0xab, 0xcd), 1) >>> 0, 0xcd000000);
});

// ---------------------------------------------------------------------------------------------
// Hand-built version 2 streams (the layout at the top of codec.ts), decoded against values worked
// out here: the decoder's one-bucket loops (1–25 bits, readInt above), the frame of reference around
// powers of two, and every width of ulp field.

const zig = (d: number) => (d >= 0 ? 2 * d : -2 * d - 1);
/** Bit length of a whole number 0 ≤ u < 2^53. */
function bitLen(u: number): number {
  let n = 0;
  while (n < 53 && 2 ** n <= u) n++;
  return n;
}

function writeVarField(w: BitWriter, u: number): void {
  const n = bitLen(u);
  w.writeBits(n, 6);
  if (n > 32) {
    w.writeBits(Math.floor(u / 2 ** 32), n - 32);
    w.writeBits(u % 2 ** 32, 32);
  } else w.writeBits(u, n);
}

/** A chunk of `n` points: version, count, then the bit stream `body` writes, zero-padded. */
function handBuilt(n: number, body: (w: BitWriter) => void): Uint8Array {
  const w = new BitWriter();
  body(w);
  w.padToByte();
  const head = [CHUNK_VERSION];
  for (let c = n; ; c = Math.floor(c / 128)) {
    if (c < 128) {
      head.push(c);
      break;
    }
    head.push((c % 128) | 128);
  }
  const out = new Uint8Array(head.length + w.byteLength);
  out.set(head);
  w.copyTo(out, head.length);
  return out;
}

/** Timestamps t0, t0 + delta, … with delta-of-deltas in one bucket of `width` bits; returns them. */
function writeFixedTimestamps(w: BitWriter, rnd: () => number, n: number, width: number): Float64Array {
  const ts = new Float64Array(n);
  let t = Math.floor((rnd() - 0.5) * 2e12);
  let delta = 1 + Math.floor(rnd() * 2 ** width);
  ts[0] = t;
  writeVarField(w, zig(t));
  if (n === 1) return ts;
  ts[1] = t += delta;
  writeVarField(w, delta - 1);
  if (n === 2) return ts;
  w.writeBits(0, 2);
  w.writeBits(width, 6);
  const lo = -(2 ** (width - 1));
  const hi = 2 ** (width - 1) - 1;
  for (let i = 2; i < n; i++) {
    const dod = Math.max(lo, 1 - delta) + Math.floor(rnd() * (hi - Math.max(lo, 1 - delta) + 1));
    w.writeBits(zig(dod), width);
    delta += dod;
    ts[i] = t += delta;
  }
  return ts;
}

test('property: one-bucket tables of every width 1–31 decode exactly (timestamps, decimal deltas and delta-of-deltas)', () => {
  const rnd = seededRandom(3125);
  for (let c = 0; c < 600; c++) {
    const width = 1 + (c % 31);
    const n = 3 + Math.floor(rnd() ** 2 * (c % 7 === 0 ? 2000 : 80));
    const k = Math.floor(rnd() * 4);
    const dod = c % 2 === 1;
    const ms: number[] = [];
    let ts: Float64Array = new Float64Array(0);
    const bytes = handBuilt(n, (w) => {
      ts = writeFixedTimestamps(w, rnd, n, width);
      w.writeBits(((dod ? ValueMode.DecimalDod : ValueMode.DecimalDelta) << 1) | 0, 3);
      w.writeBits(k, 4);
      let m = Math.floor((rnd() - 0.5) * 1e9);
      ms.push(m);
      writeVarField(w, zig(m));
      const field = () => Math.floor(rnd() * 2 ** width) - 2 ** (width - 1); // zigzag fits `width` bits
      let d = 0;
      if (dod) {
        d = field();
        ms.push((m += d));
        writeVarField(w, zig(d));
      }
      w.writeBits(0, 2);
      w.writeBits(width, 6);
      for (let i = ms.length; i < n; i++) {
        const f = field();
        w.writeBits(zig(f), width);
        if (dod) d += f;
        ms.push((m += dod ? d : f));
      }
    });
    const label = `case ${c}: ${dod ? 'dods' : 'deltas'} of ${width} bits, ${n} points`;
    const back = decodeChunk(bytes);
    assertSameBits(back.timestampsMs, ts, `${label}, timestamps`);
    assertSameBits(back.values, Float64Array.from(ms, (m) => m / 10 ** k), `${label}, values`);
    if (c % 10 === 0) for (let len = 0; len < bytes.length; len++) assert.throws(() => decodeChunk(bytes.subarray(0, len)), RangeError, `${label} cut at ${len}`);
  }
});

test('property: frame of reference around powers of two (form 0) and in one-bucket tables (forms 1 and 2) decodes exactly', () => {
  const rnd = seededRandom(4096);
  const ranges: number[] = [1, 2, 3];
  for (let e = 2; e <= 30; e++) ranges.push(2 ** e - 1, 2 ** e, 2 ** e + 1);
  ranges.push(2 ** 31 - 1);
  let c = 0;
  for (const range of ranges) {
    for (const form of [0, 1, 2]) {
      const width = form === 0 ? 0 : Math.min(31, bitLen(range) + Math.floor(rnd() * 2)); // a table holds any x ≤ range
      const n = 2 + Math.floor(rnd() * (c % 5 === 0 ? 1500 : 300));
      const k = Math.floor(rnd() * 3);
      const min = Math.floor((rnd() - 0.5) * 1e6);
      // Both ends, and many values at or near the top: the long codes of truncated binary, at every
      // bit offset.
      const top = () => (rnd() < 0.5 ? range : range - Math.floor(rnd() * Math.min(4, range + 1)));
      const xs = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : i === 1 ? range : rnd() < 0.3 ? top() : Math.floor(rnd() * (range + 1))));
      let ts: Float64Array = new Float64Array(0);
      const bytes = handBuilt(n, (w) => {
        ts = writeFixedTimestamps(w, rnd, n, 1 + Math.floor(rnd() * 20));
        w.writeBits((ValueMode.DecimalFor << 1) | 0, 3);
        w.writeBits(k, 4);
        writeVarField(w, zig(min));
        const l = bitLen(range);
        w.writeBits(l, 5);
        w.writeBits(range, l);
        w.writeBits(form, 2);
        if (form === 0) {
          // Truncated binary over range + 1 symbols.
          const kb = bitLen(range + 1) - 1;
          const cut = 2 ** (kb + 1) - (range + 1);
          for (const x of xs) {
            if (x < cut) w.writeBits(x, kb);
            else w.writeBits(x + cut, kb + 1);
          }
        } else {
          w.writeBits(0, 2);
          w.writeBits(width, 6);
          for (const x of xs) w.writeBits(form === 1 ? x : range - x, width);
        }
      });
      const label = `range ${range}, form ${form}, ${n} points`;
      const back = decodeChunk(bytes);
      assertSameBits(back.timestampsMs, ts, `${label}, timestamps`);
      assertSameBits(back.values, Float64Array.from(xs, (x) => (min + x) / 10 ** k), `${label}, values`);
      if (c % 9 === 0) for (let len = 0; len < bytes.length; len++) assert.throws(() => decodeChunk(bytes.subarray(0, len)), RangeError, `${label} cut at ${len}`);
      c++;
    }
  }
});


/**
 * A hand-built chunk decodes to `expected` bit for bit, or is refused with a RangeError when it is not
 * `valid`; with `cuts`, every truncation of a valid one is refused too.
 */
function assertHandBuilt(bytes: Uint8Array, expected: Float64Array, valid: boolean, label: string, cuts: boolean): void {
  if (!valid) {
    assert.throws(() => decodeChunk(bytes), RangeError, label);
    return;
  }
  assertSameBits(decodeChunk(bytes).values, expected, label);
  if (cuts) for (let len = 0; len < bytes.length; len++) assert.throws(() => decodeChunk(bytes.subarray(0, len)), RangeError, `${label} cut at ${len}`);
}
test('property: ulp corrections of every field width 0–24, between exact values and XOR corrections, decode exactly', () => {
  const rnd = seededRandom(2424);
  const pattern = new BigUint64Array(1);
  const asDouble = new Float64Array(pattern.buffer);
  let refused = 0;
  for (let c = 0; c < 750; c++) {
    const u = c % 25;
    const n = 1 + Math.floor(rnd() ** 2 * (c % 11 === 0 ? 3000 : 100));
    const k = Math.floor(rnd() * 3);
    const pExact = rnd();
    const pXor = rnd() < 0.5 ? 0 : 0.1;
    const expected = new Float64Array(n);
    let valid = true;
    // Some chunks start at 0 and step it down by one ulp: off the sign, refused.
    const offSign = c % 10 === 5 && u > 0;
    const { bytes } = decimalWithCorrections(rnd, n, k, (w, approx) => {
      w.writeBits(u, 5);
      for (let i = 0; i < n; i++) {
        asDouble[0] = approx[i]!;
        const r = offSign && i === 0 ? 0.5 : rnd();
        if (r < pExact && !(offSign && i === 0)) w.writeBits(0, 1);
        else if (r < 1 - pXor || (offSign && i === 0)) {
          const z = offSign && i === 0 ? 1 : Math.floor(rnd() * 2 ** u);
          const d = z % 2 === 0 ? z / 2 + 1 : -(z + 1) / 2;
          w.writeBits(2, 2);
          w.writeBits(z, u);
          const before = pattern[0]!;
          const after = BigInt.asUintN(64, before + BigInt(d));
          // Still finite and of the same sign, else the decoder refuses the chunk.
          if ((after >> 63n) !== (before >> 63n) || ((after >> 52n) & 0x7ffn) === 0x7ffn) valid = false;
          pattern[0] = after;
        } else {
          const lz = Math.floor(rnd() * 40);
          const len = 1 + Math.floor(rnd() * (64 - lz));
          const window = BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(rnd() * 2 ** 32));
          const bits = BigInt.asUintN(len, window);
          w.writeBits(3, 2);
          w.writeBits(lz, 6);
          w.writeBits(len & 63, 6);
          if (len > 32) {
            w.writeBits(Number(bits >> 32n), len - 32);
            w.writeBits(Number(bits & 0xffffffffn), 32);
          } else w.writeBits(Number(bits), len);
          pattern[0] = pattern[0]! ^ (bits << BigInt(64 - lz - len));
        }
        expected[i] = asDouble[0]!;
      }
    }, offSign, 12);
    const label = `case ${c}: ${u}-bit ulp fields, ${n} points`;
    assertHandBuilt(bytes, expected, valid, label, c % 15 === 0);
    if (!valid) refused++;
  }
  assert.ok(refused > 0 && refused < 200, `${refused} chunks with a correction off the finite range`);
});

// ---------------------------------------------------------------------------------------------
// Sparse corrections (the layout at the top of codec.ts), hand-built bit by bit: Rice-coded gaps,
// near codes in u bits, the far list, far codes (Elias gamma of z >>> u, or an XOR escape).

/** A Rice code of g with parameter r, bit by bit: ⌊g / 2^r⌋ ones, a zero, r low bits. */
function writeRiceField(w: BitWriter, g: number, r: number): void {
  const q = Math.floor(g / 2 ** r);
  for (let i = 0; i < q; i++) w.writeBits(1, 1);
  w.writeBits(0, 1);
  if (r > 0) w.writeBits(g % 2 ** r, r);
}

/** One exception of a hand-built sparse section: at `pos`, ulp distance code z (near or far), or an XOR escape. */
type SparseException = { pos: number; kind: 'near'; z: number } | { pos: number; kind: 'far'; z: number } | { pos: number; kind: 'xor'; lz: number; len: number; bits: bigint };

/** Writes a sparse corrections section (marker included) for `n` values. */
function writeSparseField(w: BitWriter, n: number, u: number, r: number, s: number, exceptions: SparseException[], endGap?: number): void {
  w.writeBits(31, 5);
  w.writeBits(u, 5);
  w.writeBits(r, 5);
  const far = exceptions.flatMap((e, j) => (e.kind === 'near' ? [] : [j]));
  w.writeBits(far.length > 0 ? 1 : 0, 1);
  if (far.length > 0) {
    writeVarField(w, far.length - 1);
    w.writeBits(s, 5);
    let prev = -1;
    for (const j of far) {
      writeRiceField(w, j - prev - 1, s);
      prev = j;
    }
  }
  let prev = -1;
  for (const e of exceptions) {
    writeRiceField(w, e.pos - prev - 1, r);
    prev = e.pos;
    if (e.kind === 'near') {
      if (u > 0) w.writeBits(e.z, u);
    } else if (e.kind === 'far') {
      const q = Math.floor(e.z / 2 ** u);
      const l = bitLen(q);
      for (let i = 1; i < l; i++) w.writeBits(0, 1);
      w.writeBits(0, 1); // the far ulp code's '0'
      w.writeBits(q, l);
      if (u > 0) w.writeBits(e.z % 2 ** u, u);
    } else {
      w.writeBits(1, 1);
      w.writeBits(e.lz, 6);
      w.writeBits(e.len & 63, 6);
      if (e.len > 32) {
        w.writeBits(Number(e.bits >> 32n), e.len - 32);
        w.writeBits(Number(e.bits & 0xffffffffn), 32);
      } else w.writeBits(Number(e.bits), e.len);
    }
  }
  writeRiceField(w, endGap ?? n - 1 - prev, r);
}

/**
 * A chunk of `n` points (their delta-of-deltas in a `timeBits`-bit bucket) whose values are decimal deltas
 * (one 14-bit bucket) at k decimals followed by the corrections `corrections` writes, given the values
 * m / 10^k; returns the chunk and those values.
 */
function decimalWithCorrections(
  rnd: () => number,
  n: number,
  k: number,
  corrections: (w: BitWriter, approx: Float64Array) => void,
  startAtZero = false,
  timeBits = 3,
): { bytes: Uint8Array; approx: Float64Array } {
  const approx = new Float64Array(n);
  const bytes = handBuilt(n, (w) => {
    writeFixedTimestamps(w, rnd, n, timeBits);
    w.writeBits((ValueMode.DecimalDelta << 1) | 1, 3);
    w.writeBits(k, 4);
    let m = startAtZero ? 0 : Math.floor((rnd() - 0.5) * 2e6);
    writeVarField(w, zig(m));
    approx[0] = m / 10 ** k;
    if (n >= 2) {
      w.writeBits(0, 2);
      w.writeBits(14, 6);
      for (let i = 1; i < n; i++) {
        const d = Math.floor(rnd() * 2 ** 14) - 2 ** 13;
        w.writeBits(zig(d), 14);
        m += d;
        approx[i] = m / 10 ** k;
      }
    }
    corrections(w, approx);
  });
  return { bytes, approx };
}

/** The value `steps` ulps away from v's bit pattern (as integers; may leave the sign or the finite range). */
function patternPlus(v: number, steps: number): { value: number; valid: boolean } {
  const f = new Float64Array([v]);
  const b = new BigUint64Array(f.buffer);
  const before = b[0]!;
  const after = BigInt.asUintN(64, before + BigInt(steps));
  b[0] = after;
  const valid = after >> 63n === before >> 63n && ((after >> 52n) & 0x7ffn) !== 0x7ffn;
  return { value: f[0]!, valid };
}

test('property: sparse corrections (Rice gaps, near and far ulp codes, XOR escapes) decode exactly at every rate and parameter', () => {
  const rnd = seededRandom(2612);
  const rates = [0.002, 0.01, 0.05, 0.27, 0.6, 0.95, 1];
  let refused = 0;
  let cut = 0;
  for (let c = 0; c < 700; c++) {
    const n = 1 + Math.floor(rnd() ** 2 * (c % 13 === 0 ? 5000 : 400));
    const k = Math.floor(rnd() * 3);
    const rate = rates[c % rates.length]!;
    const u = c % 5 === 0 ? Math.floor(rnd() * 25) : Math.floor(rnd() * 5);
    const r = c % 17 === 0 ? 31 : c % 7 === 0 ? Math.floor(rnd() * 32) : Math.floor(rnd() * 6);
    const s = c % 11 === 0 ? Math.floor(rnd() * 32) : Math.floor(rnd() * 6);
    const pXor = c % 3 === 0 ? 0.05 : 0;
    const pFar = c % 4 === 0 ? 0 : 0.2;
    const offSign = c % 19 === 9; // values at 0 stepped down: off the sign, refused
    const positions: number[] = [];
    for (let i = 0; i < n; i++) if (rnd() < rate) positions.push(i);
    if (positions.length === 0) positions.push(Math.floor(rnd() * n));
    const exceptions: SparseException[] = [];
    for (const pos of positions) {
      const x = rnd();
      if (x < pXor) {
        const lz = Math.floor(rnd() * 40);
        const len = 1 + Math.floor(rnd() * (64 - lz));
        const window = BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 32n + BigInt(Math.floor(rnd() * 2 ** 32));
        exceptions.push({ pos, kind: 'xor', lz, len, bits: BigInt.asUintN(len, window) });
      } else if (x < pXor + pFar && u < 24) {
        // z ≥ 2^u of up to 24 bits, any width.
        const width = u + 1 + Math.floor(rnd() * (24 - u));
        exceptions.push({ pos, kind: 'far', z: 2 ** (width - 1) + Math.floor(rnd() * 2 ** (width - 1)) });
      } else if (offSign && u === 0) exceptions.push({ pos, kind: 'far', z: 1 }); // one ulp down
      else exceptions.push({ pos, kind: 'near', z: offSign ? 1 : Math.floor(rnd() * 2 ** u) });
    }
    const { bytes, approx } = decimalWithCorrections(rnd, n, k, (w) => writeSparseField(w, n, u, r, s, exceptions), offSign);
    const expected = approx.slice();
    let valid = true;
    for (const e of exceptions) {
      if (e.kind === 'xor') {
        const b = new BigUint64Array(expected.buffer, e.pos * 8, 1);
        b[0] = b[0]! ^ (e.bits << BigInt(64 - e.lz - e.len));
      } else {
        const d = e.z % 2 === 0 ? e.z / 2 + 1 : -(e.z + 1) / 2;
        const next = patternPlus(expected[e.pos]!, d);
        if (!next.valid) valid = false;
        expected[e.pos] = next.value;
      }
    }
    const label = `case ${c}: ${n} values, ${exceptions.length} exceptions, u ${u}, r ${r}, s ${s}`;
    assertHandBuilt(bytes, expected, valid, label, c % 10 === 0);
    if (!valid) {
      refused++;
      continue;
    }
    assert.ok(describeChunk(bytes).sparse, label);
    if (c % 10 === 0) cut++;
  }
  assert.ok(refused > 0 && refused < 100, `${refused} chunks with a correction off the finite range`);
  assert.ok(cut >= 60);
});

test('corrupt sparse corrections are refused with a RangeError', () => {
  const rnd = seededRandom(77);
  const n = 40;
  const near = (pos: number, z = 1): SparseException => ({ pos, kind: 'near', z });
  const build = (body: (w: BitWriter) => void) => decimalWithCorrections(rnd, n, 2, body).bytes;
  const refuse = (bytes: Uint8Array, message: RegExp, label: string) => assert.throws(() => decodeChunk(bytes), (e: unknown) => e instanceof RangeError && message.test(e.message), label);
  // A well-formed one decodes.
  decodeChunk(build((w) => writeSparseField(w, n, 1, 1, 0, [near(3), near(17), near(39)])));
  refuse(build((w) => writeSparseField(w, n, 1, 1, 0, [])), /without exceptions/, 'no exceptions');
  refuse(build((w) => writeSparseField(w, n, 1, 1, 0, [near(3)], n)), /past the last value/, 'end gap past the last value');
  refuse(build((w) => writeSparseField(w, n, 1, 2, 0, [near(3), near(n + 5)])), /past the last value/, 'exception past the last value');
  refuse(build((w) => writeSparseField(w, n, 25, 1, 0, [near(3)])), /ulp field of 25 bits/, 'u above 24');
  decodeChunk(build((w) => writeSparseField(w, n, 4, 1, 0, [near(3), { pos: 9, kind: 'far', z: 2 ** 24 - 1 }]))); // 24 bits: the widest
  refuse(build((w) => writeSparseField(w, n, 4, 1, 0, [near(3), { pos: 9, kind: 'far', z: 2 ** 24 }])), /more than 24 bits/, 'far code wider than 24 bits');
  // A far list naming an exception that is not there: the far list says 2 (indices 0 and 2), there are 2.
  refuse(
    build((w) => {
      w.writeBits(31, 5);
      w.writeBits(1, 5);
      w.writeBits(1, 5);
      w.writeBits(1, 1);
      writeVarField(w, 1);
      w.writeBits(0, 5);
      writeRiceField(w, 0, 0);
      writeRiceField(w, 1, 0);
      // Exception 0 at 3, far: '0', gamma(1) = '1', its low bit; exception 1 at 9, near: z in 1 bit.
      writeRiceField(w, 3, 1);
      w.writeBits(0b010, 3);
      writeRiceField(w, 5, 1);
      w.writeBits(1, 1);
      writeRiceField(w, n - 1 - 9, 1);
    }),
    /far exception/,
    'far index beyond the exceptions',
  );
  // More far exceptions than values, and a far list longer than the input.
  refuse(
    build((w) => {
      w.writeBits((31 << 11) | (1 << 6) | (1 << 1) | 1, 16);
      writeVarField(w, n);
    }),
    /far exceptions of/,
    'far count above the values',
  );
  refuse(
    build((w) => {
      w.writeBits((31 << 11) | (1 << 6) | (1 << 1) | 1, 16);
      writeVarField(w, n - 1);
      w.writeBits(20, 5);
    }),
    /truncated/,
    'far list longer than the input',
  );
  // A unary run longer than any gap (more ones than there are values), and one that runs off the end.
  refuse(
    build((w) => {
      w.writeBits((31 << 11) | (1 << 6) | (0 << 1) | 0, 16);
      for (let i = 0; i < 80; i++) w.writeBits(1, 1);
      w.writeBits(0, 1);
    }),
    /gap out of range|past the last value/,
    'gap beyond the values',
  );
  refuse(
    build((w) => {
      w.writeBits((31 << 11) | (1 << 6) | (0 << 1) | 0, 16);
      for (let i = 0; i < 30; i++) w.writeBits(1, 1);
    }),
    /truncated|out of range|past the last/,
    'unary run off the end',
  );
  // A far exception's XOR escape with a window wider than its leading zeros leave.
  refuse(build((w) => writeSparseField(w, n, 1, 1, 0, [near(1), { pos: 2, kind: 'xor', lz: 40, len: 30, bits: 1n }])), /leading zeros/, 'XOR window off the word');
  // A sparse marker where the flags form's ulp width was expected is not read as one: 25–30 are refused.
  for (const u of [25, 30]) refuse(build((w) => w.writeBits(u, 5)), /ulp field of/, `flags form with u ${u}`);
});

test('property: the encoder takes the sparse corrections only when they cost fewer bits, and they round-trip (random float artefacts)', () => {
  const rnd = seededRandom(1208);
  const rates = [0, 0.001, 0.01, 0.05, 0.27, 0.5, 0.9, 1];
  const section = (values: Float64Array, sparse: boolean) => {
    const w = new BitWriter();
    writeValues(w, values, { sparse });
    const bytes = new Uint8Array(w.byteLength);
    w.copyTo(bytes, 0);
    return { bits: w.bitLength, bytes };
  };
  let sparseCount = 0;
  let flagsCount = 0;
  let savedBits = 0;
  let points = 0;
  for (let c = 0; c < 1500; c++) {
    const n = 1 + Math.floor(rnd() ** 2 * (c % 25 === 0 ? 6000 : 1000));
    const rate = rates[c % rates.length]!;
    const shape = Math.floor(rnd() * 3);
    // ±1 only, ±1–4, or ±1 to ±2^(1–25) ulps (some beyond the 24-bit ulp codes: XOR escapes).
    const spread = Math.floor(rnd() * 3);
    const maxSteps = spread === 0 ? 1 : spread === 1 ? 4 : 2 ** (1 + Math.floor(rnd() * 25));
    const p = 10 ** Math.floor(rnd() * 4);
    const values = new Float64Array(n);
    let x = Math.round((rnd() - 0.5) * 1e5) / p;
    for (let i = 0; i < n; i++) {
      if (shape === 0) x = Math.round((x + (rnd() - 0.5) * 20 / p) * p) / p + 0; // a walk
      else if (shape === 1) x = Math.round((rnd() - 0.5) * 2e4) / p + 0; // uncorrelated (frame of reference)
      else x = Math.round(rnd() * 1e6) / p + 1000; // positive, wide
      let v = x;
      if (rnd() < rate) {
        const steps = (rnd() < 0.5 ? -1 : 1) * (1 + Math.floor(rnd() ** 3 * maxSteps));
        const next = patternPlus(v === 0 ? 1 / p : v, steps);
        if (next.valid) v = next.value;
      }
      const odd = rnd();
      if (c % 9 === 4 && odd < 0.01) v = -0;
      else if (c % 9 === 4 && odd < 0.02) v = fromBits(0x7ff80000 | (u32(rnd) & 0x7ffff), u32(rnd));
      values[i] = v;
    }
    const label = `case ${c}: ${n} values, rate ${rate}, up to ${maxSteps} ulps, shape ${shape}`;
    const best = section(values, true);
    const flags = section(values, false);
    const back = new Float64Array(n);
    const r = new BitReader(best.bytes);
    readValues(r, back);
    assertSameBits(back, values, label);
    if (Buffer.compare(Buffer.from(best.bytes), Buffer.from(flags.bytes)) === 0) {
      assert.equal(best.bits, flags.bits, label);
      flagsCount++;
    } else {
      // Only a strictly smaller section takes the sparse form (a tie keeps the flags).
      assert.ok(best.bits < flags.bits, `${label}: sparse ${best.bits} bits, flags ${flags.bits}`);
      savedBits += flags.bits - best.bits;
      sparseCount++;
    }
    points += n;
    if (c % 50 === 0) roundTrip(new Float64Array(n).map((_, i) => 1.8e12 + i * 15_000), values, label);
  }
  assert.ok(sparseCount > 300 && flagsCount > 300, `sparse ${sparseCount}, flags ${flagsCount}`);
  assert.ok(savedBits > 0.05 * points, `saved ${savedBits} bits over ${points} points`);
});

test('all exceptions and a single exception: both forms round-trip, the sparse one where it is smaller', () => {
  const n = 500;
  const ts = new Float64Array(n).map((_, i) => 1.8e12 + i * 15_000);
  const base = new Float64Array(n).map((_, i) => Math.round((Math.sin(i) + 2) * 1e4) / 100); // exact 2-decimal numbers
  // Every value one ulp off, alternately up and down: all exceptions.
  const all = base.map((v, i) => ulpAway(v, i % 2 ? 1 : -1));
  roundTrip(ts, all, 'all exceptions');
  // One exception in 500: a few bits for the gaps instead of a bit a value.
  const one = base.slice();
  one[321] = ulpAway(one[321]!, -1);
  const bytes = roundTrip(ts, one, 'one exception');
  const d = describeChunk(bytes);
  assert.ok(d.exceptions && d.sparse, 'one exception takes the sparse form');
  assert.ok(bytes.length + 50 <= encodeChunk(ts, one, { sparse: false }).length, 'saves about a bit a value');
  // No exceptions: no corrections at all.
  assert.ok(!describeChunk(encodeChunk(ts, base)).exceptions);
});

test('the ingest benchmark values (valueOf) take the sparse corrections: at least 0.3 bits a point fewer', () => {
  let before = 0;
  let after = 0;
  let points = 0;
  for (let s = 1; s <= 100; s++) {
    const n = 480;
    const ts = new Float64Array(n).map((_, i) => 1.8e12 + i * 15_000);
    // bench/protocol-bodies.ts' valueOf: 2-decimal values, a quarter of them float artefacts.
    const values = new Float64Array(n).map((_, i) => Math.round(Math.sin((i * 1000 + s) / 97) * 1e4) / 100 + s / 100);
    const bytes = roundTrip(ts, values, `series ${s}`);
    assert.ok(describeChunk(bytes).sparse, `series ${s}`);
    before += encodeChunk(ts, values, { sparse: false }).length;
    after += bytes.length;
    points += n;
  }
  assert.ok(((before - after) * 8) / points >= 0.3, `${(((before - after) * 8) / points).toFixed(3)} bits a point saved`);
});

// ---------------------------------------------------------------------------------------------
// Round trips

test('empty and single-point chunks round-trip', () => {
  roundTrip(new Float64Array(0), new Float64Array(0), 'empty');
  for (const v of specials) roundTrip(new Float64Array([1.8e12]), new Float64Array([v]), `single ${v}`);
  roundTrip(new Float64Array([-MAX_TIMESTAMP_MS]), new Float64Array([fromBits(0x7ff00000, 0xabc)]), 'single, earliest');
  roundTrip(new Float64Array([MAX_TIMESTAMP_MS]), new Float64Array([-0]), 'single, latest');
});

test('every class of double round-trips bit-exactly, NaN payloads included', () => {
  const values = new Float64Array(specials);
  const ts = new Float64Array(values.length).map((_, i) => 1.8e12 + i * 15_000);
  roundTrip(ts, values, 'specials');
  // NaNs differing only in their payloads, one after another: XOR of NaN patterns.
  const nans = new Float64Array(64);
  const bits = new BigUint64Array(nans.buffer);
  for (let i = 0; i < 64; i++) bits[i] = 0x7ff0000000000001n | (1n << BigInt(i % 51)) | (BigInt(i & 1) << 63n);
  roundTrip(new Float64Array(64).map((_, i) => i), nans, 'NaN payloads');
  const back = decodeChunk(encodeChunk(new Float64Array(64).map((_, i) => i), nans)).values;
  assert.deepEqual([...new BigUint64Array(back.buffer)], [...bits]);
});

test('property: thousands of random chunks round-trip exactly', () => {
  const rnd = seededRandom(20261206);
  const tsShapes: TsShape[] = ['regular', 'jittered', 'irregular', 'wide'];
  const valueShapes: ValueShape[] = ['bits', 'special', 'walk2', 'constant', 'counter', 'integers', 'mixed', 'artefacts'];
  let chunks = 0;
  let points = 0;
  const modes = new Map<number, number>();
  for (let c = 0; c < 3000; c++) {
    const n = rnd() < 0.1 ? Math.floor(rnd() * 3) : Math.floor(rnd() ** 2 * 800);
    const tsShape = tsShapes[c % tsShapes.length]!;
    const valueShape = valueShapes[Math.floor(rnd() * valueShapes.length)]!;
    const ts = timestamps(rnd, n, tsShape);
    const values = valuesOf(rnd, n, valueShape);
    const bytes = roundTrip(ts, values, `chunk ${c} (${tsShape}, ${valueShape}, ${n} points)`);
    const d = describeChunk(bytes);
    assert.equal(d.version, CHUNK_VERSION);
    if (n > 0) modes.set(d.mode! | (d.exceptions ? 4 : 0), (modes.get(d.mode! | (d.exceptions ? 4 : 0)) ?? 0) + 1);
    roundTrip(ts, values, `chunk ${c}, XOR only`, { decimal: false });
    chunks++;
    points += n;
  }
  assert.equal(chunks, 3000);
  assert.ok(points > 300_000, `${points} points`);
  // Every value mode was exercised, the decimal ones with and without exceptions (+ 4).
  for (const m of [ValueMode.Xor, ValueMode.DecimalDelta, ValueMode.DecimalDod, ValueMode.DecimalFor, ValueMode.DecimalDelta | 4, ValueMode.DecimalFor | 4]) assert.ok((modes.get(m) ?? 0) > 10, `mode ${m}: ${modes.get(m)}`);
});

test('property: 2-decimal random walks take the decimal mode and stay small', () => {
  const rnd = seededRandom(42);
  for (let c = 0; c < 500; c++) {
    const ts = timestamps(rnd, 480, 'jittered');
    const values = valuesOf(rnd, 480, 'walk2');
    const bytes = roundTrip(ts, values, `walk ${c}`);
    const xor = roundTrip(ts, values, `walk ${c} XOR`, { decimal: false });
    assert.ok(bytes.length < xor.length, `walk ${c}: decimal ${bytes.length} B ≥ XOR ${xor.length} B`);
  }
});

test('a decimal chunk with a few exceptions (−0, NaN, float artefacts, off-scale values) keeps the decimal mode', () => {
  const rnd = seededRandom(11);
  for (let c = 0; c < 300; c++) {
    const n = 300;
    const ts = timestamps(rnd, n, 'jittered');
    const values = valuesOf(rnd, n, 'walk2');
    for (let e = 0; e < 10; e++) {
      const i = Math.floor(rnd() * n);
      const r = rnd();
      values[i] = r < 0.2 ? -0 : r < 0.4 ? fromBits(0x7ff80000, u32(rnd)) : r < 0.6 ? values[i]! + 1e-13 : r < 0.8 ? 0.1 + 0.2 : randomBitsValue(rnd);
    }
    const bytes = roundTrip(ts, values, `exceptions ${c}`);
    const xor = roundTrip(ts, values, `exceptions ${c} XOR`, { decimal: false });
    const d = describeChunk(bytes);
    assert.ok(d.mode !== ValueMode.Xor && d.exceptions, `chunk ${c}: mode ${d.mode}`);
    assert.ok(bytes.length < xor.length, `chunk ${c}: ${bytes.length} B ≥ XOR ${xor.length} B`);
  }
});

test('a large chunk (100,000 points, every kind of value) round-trips', () => {
  const rnd = seededRandom(3);
  const n = 100_000;
  const ts = timestamps(rnd, n, 'irregular');
  const values = valuesOf(rnd, n, 'bits');
  for (let i = 0; i < n; i += 7) values[i] = Math.round(rnd() * 1e4) / 100;
  roundTrip(ts, values, 'large');
});

test('regular constant series cost a few bytes in all (one-bucket tables of width 0)', () => {
  const n = 5760;
  const ts = new Float64Array(n).map((_, i) => 1.8e12 + i * 15_000);
  const bytes = roundTrip(ts, new Float64Array(n).fill(42.5), 'constant');
  assert.ok(bytes.length <= 24, `${bytes.length} bytes`);
  // A regular counter: delta-of-deltas 0 cost nothing either.
  roundTrip(ts, new Float64Array(n).map((_, i) => 1000 + 7 * i), 'steady counter');
  assert.ok(encodeChunk(ts, new Float64Array(n).map((_, i) => 1000 + 7 * i)).length <= 28);
});

test('beyond 2^20 points a chunk spends a bit a point on timestamps, so the count stays bounded by the input', () => {
  const n = 2 ** 20 + 3;
  const ts = new Float64Array(n).map((_, i) => 1.8e12 + i);
  const values = new Float64Array(n).fill(1);
  const bytes = roundTrip(ts, values, 'huge constant');
  assert.ok(bytes.length >= (n - 2) / 8, `${bytes.length} bytes`);
  // The same count declared over a short body is refused before anything is allocated.
  const forged = Uint8Array.of(CHUNK_VERSION, ...bytes.subarray(1, 5), 0, 0, 0, 0);
  assert.throws(() => decodeChunk(forged), /cannot fit/);
});

test('decimal detection never changes a bit: values near the edges stay in XOR mode or round-trip', () => {
  const cases = [
    [0.1, 0.2, 0.30000000000000004],
    [1e-9, 2e-9],
    [4503599627370495, -4503599627370495],
    [4503599627370496, 1],
    [9007199254740993, 0],
    [0, -0, 0],
    [1.005, 2.675, 1.1],
    [123456.789012345, 1],
    [NaN, 1],
    [Infinity, 1],
  ];
  for (const c of cases) {
    const values = new Float64Array(c);
    roundTrip(new Float64Array(c.length).map((_, i) => i * 1000), values, String(c));
  }
});

// ---------------------------------------------------------------------------------------------
// Refusals

test('encodeChunk refuses bad timestamps with a RangeError naming the index', () => {
  const v = new Float64Array(3);
  const bad: [number[], RegExp][] = [
    [[1, 2.5, 3], /timestampsMs\[1\] = 2\.5/],
    [[1, NaN, 3], /timestampsMs\[1\] = NaN/],
    [[1, 2, Infinity], /timestampsMs\[2\] = Infinity/],
    [[1, 3, 3], /timestampsMs\[2\] = 3 is not after/],
    [[5, 4, 6], /timestampsMs\[1\] = 4 is not after/],
    [[1, 2, 2 ** 52], /timestampsMs\[2\]/],
    [[-(2 ** 53), 2, 3], /timestampsMs\[0\]/],
  ];
  for (const [ts, message] of bad) assert.throws(() => encodeChunk(new Float64Array(ts), v), (e: unknown) => e instanceof RangeError && message.test(e.message), String(ts));
  assert.throws(() => encodeChunk(new Float64Array(2), new Float64Array(3)), RangeError);
});

/** A chunk of 2-decimal values (frame of reference) with float artefacts at `rate`, some far (±1 to ±4096 ulps) or −0: sparse corrections. */
function sparseSample(ts: Float64Array, rate: number): Uint8Array {
  const rnd = seededRandom(ts.length + Math.round(rate * 1000));
  const values = new Float64Array(ts.length).map(() => Math.round(rnd() * 2e4) / 100 + 1);
  for (let i = 0; i < values.length; i++) {
    const r = rnd();
    if (r < rate * 0.9) values[i] = ulpAway(values[i]!, rnd() < 0.5 ? 1 : -1);
    else if (r < rate * 0.97) values[i] = ulpAway(values[i]!, Math.floor((rnd() - 0.5) * 8192) || 1);
    else if (r < rate) values[i] = -0;
  }
  const bytes = roundTrip(ts, values, `sparse sample, rate ${rate}`);
  assert.ok(describeChunk(bytes).sparse, `sparse sample, rate ${rate}`);
  return bytes;
}

test('decodeChunk refuses every truncation of sample chunks', () => {
  const rnd = seededRandom(99);
  const samples = [
    encodeChunk(timestamps(rnd, 200, 'jittered'), valuesOf(rnd, 200, 'bits')),
    encodeChunk(timestamps(rnd, 200, 'irregular'), valuesOf(rnd, 200, 'walk2')),
    encodeChunk(timestamps(rnd, 200, 'regular'), valuesOf(rnd, 200, 'counter')),
    encodeChunk(timestamps(rnd, 200, 'regular'), valuesOf(rnd, 200, 'constant'), { decimal: false }),
    encodeChunk(timestamps(rnd, 1, 'regular'), valuesOf(rnd, 1, 'bits')),
    encodeChunk(timestamps(rnd, 2, 'regular'), valuesOf(rnd, 2, 'walk2')),
    encodeChunk(timestamps(rnd, 200, 'wide'), valuesOf(rnd, 200, 'artefacts')),
    encodeChunk(timestamps(rnd, 200, 'jittered'), valuesOf(rnd, 200, 'integers')),
    encodeChunk(new Float64Array(0), new Float64Array(0)),
    sparseSample(timestamps(rnd, 300, 'regular'), 0.27),
    sparseSample(timestamps(rnd, 300, 'jittered'), 0.02),
  ];
  for (const bytes of samples) {
    decodeChunk(bytes);
    for (let len = 0; len < bytes.length; len++) assert.throws(() => decodeChunk(bytes.subarray(0, len)), RangeError, `truncated to ${len} of ${bytes.length}`);
    // Trailing bytes are refused too.
    assert.throws(() => decodeChunk(Uint8Array.of(...bytes, 0)), RangeError);
  }
});

test('decodeChunk refuses corrupt headers and never hangs or reads out of bounds on random corruption', () => {
  const ok = encodeChunk(new Float64Array([1, 2, 3]), new Float64Array([1, 2, 3.5]));
  assert.equal(ok[0], CHUNK_VERSION);
  assert.throws(() => decodeChunk(Uint8Array.of(3, ...ok.subarray(1))), /unknown version/);
  assert.throws(() => decodeChunk(Uint8Array.of(0, ...ok.subarray(1))), /unknown version/);
  assert.throws(() => decodeChunk(Uint8Array.of(2, 0xff, 0xff, 0xff, 0xff, 0x07, 0)), RangeError); // count > 2^31
  assert.throws(() => decodeChunk(Uint8Array.of(2, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0)), /cannot fit/); // huge count, tiny body
  assert.throws(() => decodeChunk(Uint8Array.of(2, 0, 0)), /after an empty chunk/);
  assert.throws(() => decodeChunk(new Uint8Array(0)), /empty/);
  // Version 1's header checks still hold.
  const v1 = encodeChunkV1(new Float64Array([1, 2, 3]), new Float64Array([1, 2, 3.5]));
  const withByte = (b: Uint8Array, i: number, x: number) => {
    const c = b.slice();
    c[i] = x;
    return c;
  };
  assert.throws(() => decodeChunk(withByte(v1, 2, 3)), /unknown flags/);
  assert.throws(() => decodeChunk(withByte(v1, 2, 8)), /unknown flags/);
  assert.throws(() => decodeChunk(withByte(v1, 2, 4)), /unknown flags/); // exceptions need a decimal mode
  assert.throws(() => decodeChunk(withByte(v1, 3, 10)), /decimals/);
  assert.throws(() => decodeChunk(Uint8Array.of(1, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0)), /cannot fit/);

  // Random bit flips: either a RangeError or a decoded chunk of the declared size, quickly.
  const rnd = seededRandom(5);
  const samples = [
    encodeChunk(timestamps(rnd, 300, 'jittered'), valuesOf(rnd, 300, 'bits')),
    encodeChunk(timestamps(rnd, 300, 'jittered'), valuesOf(rnd, 300, 'mixed')),
    encodeChunk(timestamps(rnd, 300, 'irregular'), valuesOf(rnd, 300, 'artefacts')),
    encodeChunk(timestamps(rnd, 300, 'regular'), valuesOf(rnd, 300, 'counter')),
    encodeChunk(timestamps(rnd, 300, 'regular'), valuesOf(rnd, 300, 'constant')),
    encodeChunkV1(timestamps(rnd, 300, 'jittered'), valuesOf(rnd, 300, 'mixed')),
    sparseSample(timestamps(rnd, 300, 'regular'), 0.27),
    sparseSample(timestamps(rnd, 300, 'regular'), 0.03),
  ];
  assert.ok(describeChunk(samples[1]!).exceptions, 'the decimal sample carries exceptions');
  for (let i = 0; i < 6000; i++) {
    const c = samples[i % samples.length]!.slice();
    const flips = 1 + Math.floor(rnd() * 3);
    for (let f = 0; f < flips; f++) c[Math.floor(rnd() * c.length)]! ^= 1 << Math.floor(rnd() * 8);
    try {
      const d = decodeChunk(c);
      assert.equal(d.timestampsMs.length, d.values.length);
      for (let j = 1; j < d.timestampsMs.length; j++) assert.ok(d.timestampsMs[j]! > d.timestampsMs[j - 1]!);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
});

test('random bytes after a version byte decode or throw a RangeError, never anything else', () => {
  const rnd = seededRandom(404);
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    const bytes = new Uint8Array(2 + Math.floor(rnd() * 40)).map(() => Math.floor(rnd() * 256));
    bytes[0] = 1 + (i & 1);
    bytes[1] = Math.floor(rnd() * 24); // small counts, so some decode
    try {
      const d = decodeChunk(bytes);
      decoded++;
      assert.equal(d.timestampsMs.length, bytes[1]);
      for (let j = 1; j < d.timestampsMs.length; j++) assert.ok(d.timestampsMs[j]! > d.timestampsMs[j - 1]!);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
  assert.ok(decoded > 0);
});

// ---------------------------------------------------------------------------------------------
// Version 2: ulp corrections, per-chunk tables, frame of reference; version 1 still decodes

/** The double `steps` ulps away from `v` (same sign; steps may be negative). */
function ulpAway(v: number, steps: number): number {
  const f = new Float64Array([v]);
  const b = new BigInt64Array(f.buffer);
  b[0] = b[0]! + BigInt(steps);
  return f[0]!;
}

test('ulp neighbours of decimal values round-trip and cost a few bits each', () => {
  const rnd = seededRandom(31);
  for (let c = 0; c < 400; c++) {
    const n = 1 + Math.floor(rnd() * 600);
    const ts = timestamps(rnd, n, c % 2 ? 'regular' : 'jittered');
    const values = valuesOf(rnd, n, 'walk2');
    const far = c % 5 === 0 ? 2 ** 20 : 4; // some chunks with distances beyond any ulp field (XOR escape)
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (r < 0.3) values[i] = ulpAway(values[i]!, (rnd() < 0.5 ? -1 : 1) * (1 + Math.floor(rnd() * far)));
      else if (r < 0.31) values[i] = -0;
      else if (r < 0.32) values[i] = fromBits(0x7ff80000 | (u32(rnd) & 0x7ffff), u32(rnd));
      else if (r < 0.33) values[i] = fromBits(u32(rnd) & 0x800fffff, u32(rnd)); // subnormals
      else if (r < 0.335) values[i] = rnd() < 0.5 ? Infinity : -Infinity;
    }
    roundTrip(ts, values, `ulp chunk ${c}`);
  }
  // Float artefacts of 2-decimal values (x/100 + s/100): v2 is much smaller than v1's XOR corrections.
  const n = 480;
  const ts = new Float64Array(n).map((_, i) => 1.8e12 + i * 15_000);
  const values = new Float64Array(n).map((_, i) => Math.round(Math.sin((i * 1000 + 7) / 97) * 1e4) / 100 + 7 / 100);
  const v2 = roundTrip(ts, values, 'artefacts');
  const v1 = encodeChunkV1(ts, values);
  assert.ok(v2.length <= 2.2 * n, `v2 ${v2.length} B for ${n} points`);
  assert.ok(v2.length < 0.6 * v1.length, `v2 ${v2.length} B, v1 ${v1.length} B`);
  assert.equal(describeChunk(v2).mode, ValueMode.DecimalFor);
});

test('whole numbers of every magnitude in the decimal streams: wide buckets, dod overflow, frame of reference', () => {
  const rnd = seededRandom(77);
  const big = 2 ** 52 - 1;
  const cases: number[][] = [
    [big, -big, big, -big, 0, big],
    [0, big, 0, -big, 1, 2, 3],
    [-big, -big + 1, big, big - 1],
    Array.from({ length: 300 }, () => Math.floor((rnd() - 0.5) * 2 * big)),
    Array.from({ length: 300 }, (_, i) => (i % 2 ? 1 : -1) * Math.floor(rnd() * 2 ** 40)),
    Array.from({ length: 300 }, () => Math.floor(rnd() * 2 ** 31)),
    Array.from({ length: 300 }, () => Math.floor(rnd() * 2 ** 31) - 2 ** 30),
  ];
  for (const c of cases) {
    const values = Float64Array.from(c);
    roundTrip(new Float64Array(c.length).map((_, i) => i * 1000), values, `${c.slice(0, 4)}…`);
  }
  // Values skewed towards one end of their range (min and max columns) round-trip in every form.
  for (let c = 0; c < 200; c++) {
    const n = 2 + Math.floor(rnd() * 300);
    const lo = Math.round((rnd() - 0.5) * 1e6);
    const sign = c % 2 ? 1 : -1;
    const values = new Float64Array(n).map(() => (lo + sign * Math.floor(rnd() ** 6 * 2 ** (1 + Math.floor(rnd() * 30)))) / 100);
    roundTrip(new Float64Array(n).map((_, i) => i * 60_000), values, `skewed ${c}`);
  }
});

test('version 1 fixtures, made by the version 1 encoder before version 2, still decode', () => {
  for (const f of v1Chunks) {
    const bytes = Uint8Array.from(Buffer.from(f.bytes, 'hex'));
    assert.equal(describeChunk(bytes).version, 1);
    const d = decodeChunk(bytes);
    assertSameBits(d.timestampsMs, Float64Array.from(f.timestampsMs), `${f.name} timestamps`);
    const expected = new Float64Array(new BigUint64Array(f.values.map((h) => BigInt(`0x${h}`))).buffer);
    assertSameBits(d.values, expected, `${f.name} values`);
    for (let len = 0; len < bytes.length; len++) assert.throws(() => decodeChunk(bytes.subarray(0, len)), RangeError, `${f.name} cut at ${len}`);
  }
});

test('property: random chunks encoded by the version 1 encoder decode exactly', () => {
  const rnd = seededRandom(1806);
  const tsShapes: TsShape[] = ['regular', 'jittered', 'irregular', 'wide'];
  const valueShapes: ValueShape[] = ['bits', 'special', 'walk2', 'constant', 'counter', 'integers', 'mixed', 'artefacts'];
  for (let c = 0; c < 800; c++) {
    const n = Math.floor(rnd() ** 2 * 500);
    const ts = timestamps(rnd, n, tsShapes[c % 4]!);
    const values = valuesOf(rnd, n, valueShapes[Math.floor(rnd() * valueShapes.length)]!);
    const bytes = encodeChunkV1(ts, values, { decimal: rnd() < 0.8 });
    assert.equal(bytes[0], 1);
    const back = decodeChunk(bytes);
    assertSameBits(back.timestampsMs, ts, `v1 chunk ${c} timestamps`);
    assertSameBits(back.values, values, `v1 chunk ${c} values`);
  }
});

// ---------------------------------------------------------------------------------------------
// Encoder corpus: real-shaped and random inputs whose encodings are pinned by a digest (below)

/** The ingest benchmark's values (bench/protocol-bodies.ts): 2-decimal numbers, a quarter float artefacts. */
const benchValue = (k: number, s: number) => Math.round(Math.sin(k / 97) * 1e4) / 100 + s / 100;

/** One seeded case: shape names and the arrays. */
interface CorpusCase {
  label: string;
  ts: Float64Array;
  values: Float64Array;
}

/**
 * `count` seeded chunks of 1–5,000 points: valueOf series, random walks of 0–4 decimals (exact and
 * with float artefacts), integers, counters, NaN payloads, −0, subnormals, huge and tiny values, mixes
 * of decimals around the half-way vote, regular, jittered and irregular timestamps.
 */
function encoderCorpus(seed: number, count: number): CorpusCase[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const bitsOf = (hi: number, lo: number) => {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setUint32(0, hi >>> 0);
    dv.setUint32(4, lo >>> 0);
    return dv.getFloat64(0);
  };
  const word = () => Math.floor(rnd() * 4294967296) >>> 0;
  const odd = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE, 2 ** 52, -(2 ** 52), 2 ** 53 + 2, 1e-300, 0.1 + 0.2];
  const sizes = [1, 2, 3, 4, 5, 17, 40, 128, 129, 255, 480, 1000, 2880, 5000];
  const valueShapes = ['valueOf', 'walk', 'walkArtefacts', 'integers', 'counter', 'constantish', 'bits', 'specials', 'subnormal', 'huge', 'sums', 'mixedDecimals', 'wideMantissas'] as const;
  const cases: CorpusCase[] = [];
  for (let c = 0; c < count; c++) {
    const n = rnd() < 0.6 ? pick(sizes) : 1 + Math.floor(rnd() ** 2 * 5000);
    const tsShape = pick(['regular', 'jittered', 'irregular', 'negative'] as const);
    const step = pick([1, 1000, 15_000, 60_000, 300_000]);
    const ts = new Float64Array(n);
    let t = tsShape === 'negative' ? -(2 ** 50) + Math.floor(rnd() * 1e9) : 1.7e12 + Math.floor(rnd() * 1e10);
    for (let i = 0; i < n; i++) {
      ts[i] = t;
      if (tsShape === 'regular') t += step;
      else if (tsShape === 'jittered') t += step + (rnd() < 0.25 ? 1 + Math.floor(rnd() * 3) : 0);
      else t += 1 + Math.floor(rnd() ** 4 * 2 ** (tsShape === 'negative' ? 40 : 24));
    }
    const shape = pick(valueShapes);
    const k = Math.floor(rnd() * 5);
    const p = 10 ** k;
    const s = Math.floor(rnd() * 1000);
    const mix = [Math.floor(rnd() * 7), Math.floor(rnd() * 7), Math.floor(rnd() * 7)];
    const values = new Float64Array(n);
    let x = Math.round((rnd() - 0.5) * 1e4) / 100;
    for (let i = 0; i < n; i++) {
      let v: number;
      if (shape === 'valueOf') v = benchValue(i * 1000 + s, s);
      else if (shape === 'walk') v = x = Math.round((x + Math.round((rnd() - 0.5) * 40) / p) * p) / p + 0;
      else if (shape === 'walkArtefacts') v = x += Math.round((rnd() - 0.5) * 40) / p;
      else if (shape === 'integers') v = Math.round((rnd() - 0.5) * 2 ** Math.floor(rnd() * 40));
      else if (shape === 'counter') v = i * s + Math.floor(rnd() * 3);
      else if (shape === 'constantish') v = rnd() < 0.9 ? 12 : Math.floor(rnd() * 1000) / p;
      else if (shape === 'bits') v = bitsOf(word(), word());
      else if (shape === 'specials') v = rnd() < 0.3 ? pick(odd) : rnd() < 0.2 ? bitsOf((word() & 0x800fffff) | 0x7ff00000, word() | 1) : Math.round(rnd() * 1e4) / 100;
      else if (shape === 'subnormal') v = rnd() < 0.5 ? bitsOf(word() & 0x800fffff, word()) : Math.round(rnd() * 100) / p;
      else if (shape === 'huge') v = (rnd() - 0.5) * 10 ** (Math.floor(rnd() * 600) - 300);
      else if (shape === 'sums') v = Math.round(rnd() * 1e4) / 100 + Math.round(rnd() * 1e4) / 100;
      else if (shape === 'mixedDecimals') v = rnd() < 0.05 ? pick(odd) : Math.round((rnd() - 0.5) * 1e6) / 10 ** pick(mix) + (rnd() < 0.3 ? Math.round(rnd() * 100) / 100 : 0);
      else v = (Math.round((rnd() - 0.5) * 2 ** 53) / 10 ** Math.floor(rnd() * 16)) * (rnd() < 0.5 ? 1 : 1 + 2 ** -50);
      values[i] = v;
    }
    cases.push({ label: `case ${c}: ${n} points, ${tsShape} timestamps, ${shape}`, ts, values });
  }
  return cases;
}

test('property: the encoder corpus (1–5,000 points of every shape) round-trips exactly, decimal modes on and off', () => {
  for (const c of encoderCorpus(20261207, 600)) {
    roundTrip(c.ts, c.values, c.label);
    roundTrip(c.ts, c.values, `${c.label}, XOR only`, { decimal: false });
  }
});

test('with the sparse corrections off, the encoder writes the very bytes it wrote before the 2026-12-07 speed-ups (digest of the corpus)', () => {
  // Computed with the encoder as of commit 44886a1 (before planning and writing were made cheaper):
  // any change to a single output byte changes it. A deliberate format change updates it.
  const h = createHash('sha256');
  let points = 0;
  for (const c of encoderCorpus(20261207, 600)) {
    h.update(encodeChunk(c.ts, c.values, { sparse: false }));
    h.update(encodeChunk(c.ts, c.values, { decimal: false }));
    points += c.ts.length;
  }
  assert.equal(points, 631_215);
  assert.equal(h.digest('hex'), 'a14a26ed66a752da6fde937a3a6a5d2c5578a9ee982d270069d7c6559c67f258');
});

test('the encoder writes the bytes pinned with the sparse corrections (digest of the corpus), each chunk no larger than without them', () => {
  // Computed 2026-12-08 when the sparse corrections came in: the 168 chunks (of 600) whose corrections
  // cost fewer bits in the sparse form changed (valueOf 38, integers with −0 escapes 40, walks with
  // artefacts 32, sums 31, constant-ish with off-scale escapes 20, mixed decimals 7); every other one
  // kept its bytes (the digest above). A deliberate format change updates it.
  const h = createHash('sha256');
  let changed = 0;
  for (const c of encoderCorpus(20261207, 600)) {
    const bytes = encodeChunk(c.ts, c.values);
    const flags = encodeChunk(c.ts, c.values, { sparse: false });
    assert.ok(bytes.length <= flags.length, `${c.label}: ${bytes.length} B, ${flags.length} B without the sparse form`);
    if (Buffer.compare(Buffer.from(bytes), Buffer.from(flags)) !== 0) {
      changed++;
      assert.ok(describeChunk(bytes).sparse, c.label);
    }
    h.update(bytes);
    h.update(encodeChunk(c.ts, c.values, { decimal: false }));
  }
  assert.equal(changed, 168);
  assert.equal(h.digest('hex'), '437bd22b56fa08a8efef292232e08712c2afb3f6cff8fe8b1eb94b5222b9794b');
});

test('version 2 fixtures, made before the sparse corrections, still decode, and the encoder without them writes them again', () => {
  let smaller = 0;
  for (const f of v2Chunks) {
    const bytes = Uint8Array.from(Buffer.from(f.bytes, 'hex'));
    assert.equal(describeChunk(bytes).version, 2);
    assert.ok(!describeChunk(bytes).sparse);
    const d = decodeChunk(bytes);
    const ts = Float64Array.from(f.timestampsMs);
    const expected = new Float64Array(new BigUint64Array(f.values.map((h) => BigInt(`0x${h}`))).buffer);
    assertSameBits(d.timestampsMs, ts, `${f.name} timestamps`);
    assertSameBits(d.values, expected, `${f.name} values`);
    for (let len = 0; len < bytes.length; len++) assert.throws(() => decodeChunk(bytes.subarray(0, len)), RangeError, `${f.name} cut at ${len}`);
    assert.deepEqual([...encodeChunk(ts, expected, { sparse: false })], [...bytes], f.name);
    const now = roundTrip(ts, expected, f.name);
    assert.ok(now.length <= bytes.length, f.name);
    if (now.length < bytes.length) smaller++;
  }
  assert.ok(smaller >= 1, 'the valueOf fixture is smaller with the sparse corrections');
});
