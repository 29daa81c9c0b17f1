import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../core/random.js';
import { unpackDoubles, unpackPoints, unpackPointsInto, unpackTimes } from './packed.js';

const PG_EPOCH_MS = 946_684_800_000;

/** Bit patterns of a Float64Array, for exact comparison (NaN payloads, −0). */
const bitsOf = (a: Float64Array) => [...new BigUint64Array(Float64Array.from(a).buffer)];

/** timestamptz_send ‖ float8send records, built with BigInt arithmetic (independent of packed.ts). */
function records(us: bigint[], words: [number, number][], offset: number): Uint8Array {
  const buf = new Uint8Array(offset + us.length * 16 + 3);
  const dv = new DataView(buf.buffer, offset);
  us.forEach((u, i) => {
    dv.setBigInt64(i * 16, u);
    dv.setUint32(i * 16 + 8, words[i]![0]);
    dv.setUint32(i * 16 + 12, words[i]![1]);
  });
  return buf.subarray(offset, offset + us.length * 16);
}

const wordsOf = (x: number): [number, number] => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return [dv.getUint32(0), dv.getUint32(4)];
};

const fromWords = (hi: number, lo: number) => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, hi);
  dv.setUint32(4, lo);
  return dv.getFloat64(0);
};

test('unpackPoints, unpackTimes and unpackDoubles restore times and every double bit for bit, at any byte offset', () => {
  const rnd = seededRandom(16);
  const word = () => Math.floor(rnd() * 4294967296) >>> 0;
  for (let c = 0; c < 200; c++) {
    const n = Math.floor(rnd() ** 2 * 3000);
    const us: bigint[] = [];
    const words: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      // Whole milliseconds (what the store writes) around now, before 2000 and far off, and odd µs.
      const ms = [1.7e12 + Math.floor(rnd() * 1e10), Math.floor((rnd() - 0.5) * 2e13), Math.floor((rnd() - 0.5) * 2 ** 42)][i % 3]!;
      us.push(BigInt(ms - PG_EPOCH_MS) * 1000n + (c % 5 === 0 ? BigInt(Math.floor(rnd() * 1000)) : 0n));
      const kind = rnd();
      // Any pattern, NaN and Infinity classes with payloads, −0, 2-decimal numbers.
      words.push(kind < 0.5 ? [word(), word()] : kind < 0.6 ? [(word() & 0x800fffff) | 0x7ff00000, word()] : kind < 0.7 ? [0x80000000, 0] : wordsOf(Math.round(rnd() * 1e4) / 100));
    }
    const bytes = records(us, words, c % 7);
    const times = Float64Array.from(us, (u) => Math.round(Number(u) / 1000) + PG_EPOCH_MS);
    const values = Float64Array.from(words, ([hi, lo]) => fromWords(hi, lo));
    const p = unpackPoints(bytes);
    assert.deepEqual(bitsOf(p.t), bitsOf(times), `case ${c} times`);
    assert.deepEqual(bitsOf(p.v), bitsOf(values), `case ${c} values`);
    // unpackTimes and unpackDoubles read 8-byte columns: take every other 8 bytes of the records.
    const tCol = new Uint8Array(n * 8);
    const vCol = new Uint8Array(n * 8);
    for (let i = 0; i < n; i++) {
      tCol.set(bytes.subarray(i * 16, i * 16 + 8), i * 8);
      vCol.set(bytes.subarray(i * 16 + 8, i * 16 + 16), i * 8);
    }
    assert.deepEqual(bitsOf(unpackTimes(tCol)), bitsOf(times), `case ${c} unpackTimes`);
    assert.deepEqual(bitsOf(unpackDoubles(vCol)), bitsOf(values), `case ${c} unpackDoubles`);
  }
  assert.equal(unpackTimes(null).length, 0);
  assert.equal(unpackDoubles(null).length, 0);
});

test('unpackPointsInto lands rows back to back in caller arrays and refuses rows that do not fit', () => {
  const a = records([0n, 1000n], [[0x3ff00000, 0], [0x40000000, 0]], 1);
  const b = records([2000n], [[0xc0080000, 0]], 2);
  const t = new Float64Array(4);
  const v = new Float64Array(4);
  assert.equal(unpackPointsInto(a, t, v, 0), 2);
  assert.equal(unpackPointsInto(b, t, v, 2), 1);
  assert.deepEqual([...t.subarray(0, 3)], [PG_EPOCH_MS, PG_EPOCH_MS + 1, PG_EPOCH_MS + 2]);
  assert.deepEqual([...v.subarray(0, 3)], [1, 2, -3]);
  assert.throws(() => unpackPointsInto(a, t, v, 3), RangeError);
  assert.throws(() => unpackPointsInto(a, t, new Float64Array(2), 1), RangeError);
  // A trailing partial record is ignored, as by unpackPoints.
  const ragged = Uint8Array.from([...a, 1, 2, 3]);
  assert.equal(unpackPointsInto(ragged, t, v, 0), 2);
  assert.equal(unpackPoints(ragged).t.length, 2);
});
