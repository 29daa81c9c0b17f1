import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { seededRandom } from '../../core/random.js';
import { encodeRollupV1 } from './codec-v1.js';
import { computeRollup, decodeRollup, decodeRollupInto, encodeRollup, ROLLUP_COLUMNS, ROLLUP_VERSION, rollupCount, rollupWorthKeeping, type Rollup, type RollupColumn } from './rollup.js';
import { v1Rollups } from './v1-fixtures.js';
import { v2Rollups } from './v2-fixtures.js';
import { BitWriter } from './bits.js';

const H = 3_600_000;
const M5 = 300_000;

/** The rollup of points computed the plain way: group by bucket, then aggregate each group. */
function reference(ts: number[], vs: number[], res: number): Rollup {
  const groups = new Map<number, number[]>();
  ts.forEach((t, i) => {
    const b = Math.floor(t / res) * res;
    const g = groups.get(b) ?? [];
    g.push(vs[i]!);
    groups.set(b, g);
  });
  const starts = [...groups.keys()].sort((a, b) => a - b);
  const col = (f: (g: number[]) => number) => Float64Array.from(starts, (s) => f(groups.get(s)!));
  return {
    startsMs: Float64Array.from(starts),
    min: col((g) => Math.min(...g)),
    max: col((g) => Math.max(...g)),
    sum: col((g) => g.reduce((a, b) => a + b, 0)),
    count: col((g) => g.length),
    last: col((g) => g[g.length - 1]!),
  };
}

function irregular(seed: number, n: number, start: number): { ts: number[]; vs: number[] } {
  const rnd = seededRandom(seed);
  const ts: number[] = [];
  const vs: number[] = [];
  let t = start;
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(rnd() * (rnd() < 0.05 ? 2 * H : 40_000));
    ts.push(t);
    vs.push(rnd() < 0.1 ? -Math.round(rnd() * 1e6) / 100 : Math.round(rnd() * 10_000) / 100);
  }
  return { ts, vs };
}

test('computeRollup equals grouping then aggregating, for both resolutions and irregular times', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { ts, vs } = irregular(seed, 3000, Date.UTC(2026, 0, 1) - 7 * M5);
    for (const res of [M5, H]) {
      const got = computeRollup(Float64Array.from(ts), Float64Array.from(vs), res);
      assert.deepEqual(got, reference(ts, vs, res), `seed ${seed} res ${res}`);
    }
  }
});

test('bucket starts are epoch-aligned, also before 1970', () => {
  const r = computeRollup(Float64Array.from([-1, 0, 299_999, 300_000]), Float64Array.from([1, 2, 3, 4]), M5);
  assert.deepEqual([...r.startsMs], [-M5, 0, M5]);
  assert.deepEqual([...r.count], [1, 2, 1]);
  assert.deepEqual([...r.last], [1, 3, 4]);
});

test('a sum beyond the double range is kept as Infinity (readers fall back to raw points)', () => {
  const r = computeRollup(Float64Array.from([0, 1, 2]), Float64Array.from([1e308, 1e308, -1e308]), H);
  assert.equal(r.sum[0], Number.POSITIVE_INFINITY);
  assert.equal(r.max[0], 1e308);
  assert.deepEqual(decodeRollup(encodeRollup(r)).sum, r.sum);
});

test('encode/decode round-trips exactly, empty included', () => {
  for (const seed of [7, 8, 9]) {
    const { ts, vs } = irregular(seed, 2000, 1_700_000_000_000);
    const r = computeRollup(Float64Array.from(ts), Float64Array.from(vs), M5);
    assert.deepEqual(decodeRollup(encodeRollup(r)), r);
  }
  const empty = computeRollup(new Float64Array(0), new Float64Array(0), H);
  assert.deepEqual(decodeRollup(encodeRollup(empty)), empty);
});

test('a regular 15 s day rolls up into a few bytes a bucket', () => {
  const start = Date.UTC(2026, 5, 1);
  const ts = Float64Array.from({ length: 5760 }, (_, i) => start + i * 15_000);
  const rnd = seededRandom(15);
  const vs = Float64Array.from(ts, () => Math.round(rnd() * 10_000) / 100);
  const bytes = encodeRollup(computeRollup(ts, vs, M5));
  // 288 buckets × 5 columns; the measured size keeps rollups a fraction of the raw chunk's bytes.
  assert.ok(bytes.length < 288 * 5 * 2, `${bytes.length} bytes`);
});

test('decodeRollup refuses truncated, trailing and corrupt bytes, and never hangs on random corruption', () => {
  const r = computeRollup(Float64Array.from([0, 60_000, 400_000]), Float64Array.from([1, 2, 3]), M5);
  const rnd = seededRandom(12);
  const { ts, vs } = irregular(12, 500, 1_700_000_000_000);
  const samples = [encodeRollup(r), encodeRollup(computeRollup(Float64Array.from(ts), Float64Array.from(vs), M5)), encodeRollupV1(r)];
  for (const bytes of samples) {
    decodeRollup(bytes);
    for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeRollup(bytes.subarray(0, cut)), RangeError, `cut at ${cut}`);
    assert.throws(() => decodeRollup(Uint8Array.from([...bytes, 0])), /trailing/);
    assert.throws(() => decodeRollup(Uint8Array.from([9, ...bytes.subarray(1)])), /version/);
  }
  // A v2 row whose column holds another row's values: a length or count that does not match is refused.
  const bytes = samples[0]!;
  const other = encodeRollup(computeRollup(Float64Array.from([0, 900_000, 1_800_000]), Float64Array.from([1.5, 2.25, 3]), M5));
  assert.throws(() => decodeRollup(Uint8Array.from([...bytes.subarray(0, 2), ...other.subarray(2)])), RangeError);
  flipBits(samples, rnd);
});

test('version 2 stores the starts once and decodes only the requested columns (the others alias count)', () => {
  const { ts, vs } = irregular(21, 4000, Date.UTC(2026, 2, 3));
  const r = computeRollup(Float64Array.from(ts), Float64Array.from(vs), M5);
  const bytes = encodeRollup(r);
  assert.equal(bytes[0], ROLLUP_VERSION);
  const subsets: RollupColumn[][] = [[], ['sum'], ['min'], ['max'], ['last'], ['sum', 'count'], ['min', 'max', 'last'], [...ROLLUP_COLUMNS]];
  for (const subset of subsets) {
    const d = decodeRollup(bytes, new Set(subset));
    assert.deepEqual(d.startsMs, r.startsMs);
    assert.deepEqual(d.count, r.count);
    for (const col of ['min', 'max', 'sum', 'last'] as const) {
      if (subset.includes(col)) assert.deepEqual(d[col], r[col], `${subset}: ${col}`);
      else assert.equal(d[col], d.count, `${subset}: ${col} aliases count`);
    }
  }
});

test('decoded rows own their columns: writing one row leaves the others (and their count) alone', () => {
  const rows = [5, 6, 7].map((seed) => {
    const { ts, vs } = irregular(seed, 800, Date.UTC(2026, 1, 1));
    return computeRollup(Float64Array.from(ts), Float64Array.from(vs), M5);
  });
  const decoded = rows.map((r) => decodeRollup(encodeRollup(r), new Set(['sum'])));
  decoded[1]!.sum.fill(-1);
  decoded[1]!.startsMs.fill(0);
  for (const i of [0, 2]) {
    assert.deepEqual(decoded[i]!.sum, rows[i]!.sum);
    assert.deepEqual(decoded[i]!.startsMs, rows[i]!.startsMs);
    assert.deepEqual(decoded[i]!.count, rows[i]!.count);
  }
});

test('regular starts and a constant column cost almost nothing; sums of 2-decimal values stay small', () => {
  // A 5-minute series' day of 1-hour buckets: 24 regular starts, count 12 in every bucket.
  const day = Date.UTC(2026, 4, 1);
  const ts = Float64Array.from({ length: 288 }, (_, i) => day + i * M5);
  const constant = encodeRollup(computeRollup(ts, new Float64Array(288).fill(42.5), H));
  assert.ok(constant.length <= 40, `a constant day: ${constant.length} bytes`);
  const rnd = seededRandom(3);
  const vs = Float64Array.from(ts, () => Math.round(rnd() * 10_000) / 100 + Math.floor(rnd() * 100) / 100);
  const r = computeRollup(ts, vs, H);
  let artefacts = 0;
  for (const s of r.sum) if (Math.round(s * 100) / 100 !== s) artefacts++;
  assert.ok(artefacts > 5, `${artefacts} sums are float artefacts`);
  const v2 = encodeRollup(r);
  const v1 = encodeRollupV1(r);
  assert.deepEqual(decodeRollup(v2), r);
  assert.ok(v2.length < 0.6 * v1.length, `v2 ${v2.length} B, v1 ${v1.length} B`);
});

test('version 1 rollups still decode: fixtures made before version 2, and random rows from the version 1 encoder', () => {
  const bits = (hex: string[]) => new Float64Array(new BigUint64Array(hex.map((h) => BigInt(`0x${h}`))).buffer);
  for (const f of v1Rollups) {
    const bytes = Uint8Array.from(Buffer.from(f.bytes, 'hex'));
    assert.equal(bytes[0], 1);
    const d = decodeRollup(bytes);
    assert.deepEqual(d, { startsMs: Float64Array.from(f.startsMs), min: bits(f.min), max: bits(f.max), sum: bits(f.sum), count: Float64Array.from(f.count), last: bits(f.last) });
    const avg = decodeRollup(bytes, new Set(['sum', 'count']));
    assert.deepEqual(avg.sum, bits(f.sum));
    assert.equal(avg.min, avg.count);
  }
  for (const seed of [31, 32, 33, 34]) {
    const { ts, vs } = irregular(seed, 1500, 1_750_000_000_000);
    for (const res of [M5, H]) {
      const r = computeRollup(Float64Array.from(ts), Float64Array.from(vs), res);
      assert.deepEqual(decodeRollup(encodeRollupV1(r)), r, `seed ${seed} res ${res}`);
    }
  }
  // Columns of a v1 row that disagree on their buckets are still refused.
  const a = encodeRollupV1(computeRollup(Float64Array.from([0, 60_000, 400_000]), Float64Array.from([1, 2, 3]), M5));
  const b = encodeRollupV1(computeRollup(Float64Array.from([0, 900_000]), Float64Array.from([1, 2]), M5));
  assert.throws(() => decodeRollup(Uint8Array.from([...a.subarray(0, a.length - lastColumnLength(a)), ...b.subarray(b.length - lastColumnLength(b))])), RangeError);
});

/** 3,000 copies of the rows with 1–3 bits flipped: each decodes to consistent columns or is refused with a RangeError. */
function flipBits(samples: readonly Uint8Array[], rnd: () => number): void {
  for (let i = 0; i < 3000; i++) {
    const c = samples[i % samples.length]!.slice();
    for (let f = 0; f < 1 + Math.floor(rnd() * 3); f++) c[Math.floor(rnd() * c.length)]! ^= 1 << Math.floor(rnd() * 8);
    try {
      const d = decodeRollup(c);
      for (const col of ROLLUP_COLUMNS) assert.equal(d[col].length, d.startsMs.length);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
}

/** Byte length of the last column of a v1 row including its length varint (one byte: these are tiny). */
function lastColumnLength(bytes: Uint8Array): number {
  let o = 1;
  let last = 0;
  for (let c = 0; c < 5; c++) {
    const len = bytes[o]!;
    last = 1 + len;
    o += last;
  }
  return last;
}

/** Rows of many shapes: irregular, regular with float-artefact sums (decimal with ulp corrections), XOR-mode values, empty. */
function variedRows(): Rollup[] {
  const rows: Rollup[] = [];
  for (const seed of [41, 42, 43]) {
    const { ts, vs } = irregular(seed, 400, 1_760_000_000_000);
    rows.push(computeRollup(Float64Array.from(ts), Float64Array.from(vs), M5), computeRollup(Float64Array.from(ts), Float64Array.from(vs), H));
  }
  const rnd = seededRandom(44);
  const day = Date.UTC(2026, 5, 1);
  const ts = Float64Array.from({ length: 288 }, (_, i) => day + i * M5);
  rows.push(computeRollup(ts, Float64Array.from(ts, () => Math.round(rnd() * 10_000) / 100 + Math.floor(rnd() * 100) / 100), H));
  rows.push(computeRollup(ts, Float64Array.from(ts, () => rnd() * 1e6 - 5e5), H)); // no decimals: XOR
  rows.push(computeRollup(ts, new Float64Array(288).fill(7), H));
  rows.push(computeRollup(new Float64Array(0), new Float64Array(0), H));
  return rows;
}

const wordsOf = (a: Float64Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length * 2)];

test('decodeRollupInto decodes rows back to back into one set of columns, bit for bit as decodeRollup, v2 and v1', () => {
  const rows = variedRows();
  for (const encode of [encodeRollup, encodeRollupV1]) {
    // Every row framed by junk in one buffer: a row is read only inside its [start, end).
    const parts: number[] = [];
    const ranges: [number, number][] = [];
    for (const r of rows) {
      parts.push(0xff, 0x80);
      const bytes = encode(r);
      ranges.push([parts.length, parts.length + bytes.length]);
      parts.push(...bytes);
    }
    parts.push(0x80, 0x80);
    const buf = Uint8Array.from(parts);
    for (const subset of [undefined, new Set<RollupColumn>(['sum', 'count']), new Set<RollupColumn>(['max'])]) {
      const total = ranges.reduce((n, [a, b]) => n + rollupCount(buf, a, b), 0);
      assert.equal(total, rows.reduce((n, r) => n + r.startsMs.length, 0));
      const into: Rollup = { startsMs: new Float64Array(total + 3), min: new Float64Array(total + 3), max: new Float64Array(total + 3), sum: new Float64Array(total + 3), count: new Float64Array(total + 3), last: new Float64Array(total + 3).fill(-1) };
      let at = 2;
      ranges.forEach(([a, b], i) => {
        const n = decodeRollupInto(buf, subset, into, at, a, b);
        const want = rows[i]!;
        assert.equal(n, want.startsMs.length);
        assert.deepEqual(into.startsMs.subarray(at, at + n), want.startsMs);
        for (const c of ROLLUP_COLUMNS) {
          if (subset && c !== 'count' && !subset.has(c)) continue;
          assert.deepEqual(wordsOf(into[c].subarray(at, at + n)), wordsOf(want[c]), `row ${i} ${c} ${encode.name}`);
        }
        at += n;
      });
      // Columns not asked for are left alone.
      if (subset && !subset.has('last')) assert.ok(into.last.every((v) => v === -1));
    }
  }
});

test('decodeRollupInto refuses cut, trailing and corrupt bytes and rows that do not fit, with a RangeError', () => {
  const r = variedRows()[6]!;
  const bytes = encodeRollup(r);
  const n = r.startsMs.length;
  const into = (k: number): Rollup => ({ startsMs: new Float64Array(k), min: new Float64Array(k), max: new Float64Array(k), sum: new Float64Array(k), count: new Float64Array(k), last: new Float64Array(k) });
  // The bytes after `end` are a valid continuation: only the range may be read.
  const padded = Uint8Array.from([...bytes, ...bytes]);
  for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeRollupInto(padded, undefined, into(n), 0, 0, cut), RangeError, `cut at ${cut}`);
  assert.throws(() => decodeRollupInto(padded, undefined, into(n), 0, 0, bytes.length + 1), /trailing/);
  assert.throws(() => decodeRollupInto(bytes, undefined, into(n), 1), RangeError);
  assert.throws(() => decodeRollupInto(bytes, undefined, into(n - 1), 0), RangeError);
  assert.throws(() => rollupCount(Uint8Array.from([9, 1])), /version/);
  assert.throws(() => rollupCount(Uint8Array.from([ROLLUP_VERSION, 0x80])), RangeError);
  const rnd = seededRandom(45);
  for (let k = 0; k < 300; k++) {
    const c = Uint8Array.from(bytes);
    const j = 1 + Math.floor(rnd() * (c.length - 1));
    c[j] = c[j]! ^ (1 << Math.floor(rnd() * 8));
    try {
      decodeRollupInto(c, undefined, into(4096), 0);
    } catch (e) {
      assert.ok(e instanceof RangeError, String(e));
    }
  }
  assert.equal(decodeRollupInto(bytes, undefined, into(n), 0), n);
});

test('rollupWorthKeeping: at least 10 points a bucket on average', () => {
  const mk = (perBucket: number) => {
    const ts = Float64Array.from({ length: perBucket * 12 }, (_, i) => Math.floor(i / perBucket) * H + (i % perBucket));
    return computeRollup(ts, new Float64Array(ts.length), H);
  };
  assert.equal(rollupWorthKeeping(mk(10)), true);
  assert.equal(rollupWorthKeeping(mk(9)), false);
  assert.equal(rollupWorthKeeping(computeRollup(new Float64Array(0), new Float64Array(0), H)), false);
});

test('property: short constant columns repeated across rows (decoded once, then filled) decode exactly in any order', () => {
  // Rows whose count, min or max column is the same constant, with the same or another bucket count
  // (same column bytes, other row header), ±0 and NaN among them, interleaved with other rows.
  const rnd = seededRandom(1212);
  const constants = [12, 12, 0, -0, 1, NaN, 7.5, 1e300];
  const rows: Rollup[] = [];
  for (let i = 0; i < 300; i++) {
    const n = [24, 24, 23, 1, 2, 12][Math.floor(rnd() * 6)]!;
    const day = Math.floor(rnd() * 1000) * 86_400_000;
    const startsMs = Float64Array.from({ length: n }, (_, j) => day + j * H);
    const c = constants[Math.floor(rnd() * constants.length)]!;
    const varied = () => Float64Array.from({ length: n }, () => Math.round((rnd() - 0.5) * 1e5) / 100);
    const constant = () => new Float64Array(n).fill(c);
    rows.push({ startsMs, min: rnd() < 0.3 ? constant() : varied(), max: rnd() < 0.3 ? constant() : varied(), sum: varied(), count: rnd() < 0.8 ? constant() : varied(), last: varied() });
  }
  const encoded = rows.map((r) => encodeRollup(r));
  // A constant column's bytes do not depend on the bucket count: the same constant (its bit pattern)
  // in rows of other counts gives the same column bytes under another row header.
  const countsOf = new Map<string, Set<number>>();
  for (const r of rows) {
    if (!r.count.every((v) => Object.is(v, r.count[0]))) continue;
    const key = String(wordsOf(r.count.subarray(0, 1)));
    if (!countsOf.has(key)) countsOf.set(key, new Set());
    countsOf.get(key)!.add(r.count.length);
  }
  assert.ok([...countsOf.values()].filter((s) => s.size > 1).length >= 4, 'constants shared by rows of other bucket counts');
  for (const subset of [undefined, new Set<RollupColumn>(['sum', 'count']), new Set<RollupColumn>(['min', 'count'])]) {
    for (let pass = 0; pass < 3; pass++) {
      const order = rows.map((_, i) => i);
      if (pass > 0) order.sort(() => rnd() - 0.5);
      for (const i of order) {
        const want = rows[i]!;
        const n = want.startsMs.length;
        const into: Rollup = { startsMs: new Float64Array(n + 2), min: new Float64Array(n + 2), max: new Float64Array(n + 2), sum: new Float64Array(n + 2), count: new Float64Array(n + 2), last: new Float64Array(n + 2) };
        assert.equal(decodeRollupInto(encoded[i]!, subset, into, 1), n);
        for (const c of ROLLUP_COLUMNS) {
          if (subset && c !== 'count' && !subset.has(c)) continue;
          assert.deepEqual(wordsOf(into[c].subarray(1, 1 + n)), wordsOf(want[c]), `row ${i} ${c}`);
        }
        const d = decodeRollup(encoded[i]!, subset);
        assert.deepEqual(wordsOf(d.count), wordsOf(want.count), `row ${i} count, decodeRollup`);
      }
    }
  }
});

test('a short column decoded once is filled again only for the same bytes, bucket count and bit pattern', () => {
  // A crafted count column: frame of reference over [12, 13] (1 bit a value), every value 12. Under
  // 24 buckets it decodes; under 8 the same bytes leave 16 bits unread, refused as they would be alone.
  const column = (n: number) => {
    const w = new BitWriter();
    w.writeBits((3 << 1) | 0, 3); // frame of reference, no exceptions
    w.writeBits(0, 4); // k = 0
    w.writeBits(5, 6); // var(zigzag(12) = 24): 5 bits
    w.writeBits(24, 5);
    w.writeBits(1, 5); // range 1 in 1 bit
    w.writeBits(1, 1);
    w.writeBits(0, 2); // form 0
    for (let i = 0; i < n; i++) w.writeBits(0, 1);
    w.padToByte();
    const out = new Uint8Array(w.byteLength);
    w.copyTo(out, 0);
    return out;
  };
  const col = column(24);
  assert.ok(col.length <= 8);
  const row = (n: number) => {
    const w = new BitWriter();
    const t0 = 20_000 * 86_400_000;
    const u = 2 * t0;
    const bits = Math.floor(Math.log2(u)) + 1;
    w.writeBits(bits, 6); // var(zigzag(t0))
    w.writeBits(Math.floor(u / 2 ** 32), bits - 32);
    w.writeBits(u % 2 ** 32, 32);
    w.writeBits(22, 6); // var(H − 1): 22 bits
    w.writeBits(H - 1, 22);
    w.writeBits(0, 8); // one bucket of width 0: regular starts
    w.padToByte();
    const ts = new Uint8Array(w.byteLength);
    w.copyTo(ts, 0);
    return Uint8Array.from([ROLLUP_VERSION, n, ...ts, ...[0, 1, 2, 3, 4].flatMap(() => [col.length, ...col])]);
  };
  const into = (n: number): Rollup => ({ startsMs: new Float64Array(n), min: new Float64Array(n), max: new Float64Array(n), sum: new Float64Array(n), count: new Float64Array(n), last: new Float64Array(n) });
  for (let k = 0; k < 3; k++) {
    assert.throws(() => decodeRollupInto(row(8), new Set<RollupColumn>(['sum', 'count']), into(8), 0), RangeError);
    const r = into(24);
    assert.equal(decodeRollupInto(row(24), new Set<RollupColumn>(['sum', 'count']), r, 0), 24);
    assert.deepEqual([...r.count], new Array(24).fill(12));
    assert.deepEqual([...r.sum], new Array(24).fill(12));
    assert.deepEqual([...r.startsMs], Array.from({ length: 24 }, (_, i) => 20_000 * 86_400_000 + i * H));
  }
  // A short column holding both zeros is no constant: its −0 survives a second decode.
  const zeros: Rollup = { startsMs: Float64Array.of(0, H), min: Float64Array.of(0, -0), max: Float64Array.of(0, -0), sum: Float64Array.of(0, -0), count: Float64Array.of(1, 1), last: Float64Array.of(-0, 0) };
  for (let k = 0; k < 3; k++) {
    const back = decodeRollup(encodeRollup(zeros));
    for (const c of ROLLUP_COLUMNS) assert.deepEqual(wordsOf(back[c]), wordsOf(zeros[c]), `${c}, decode ${k}`);
  }
});

/** computeRollup as it was written first: a floor division a point, a bucket per change of it. */
function plainRollup(ts: Float64Array, vs: Float64Array, res: number): Rollup {
  const starts: number[] = [];
  const min: number[] = [];
  const max: number[] = [];
  const sum: number[] = [];
  const count: number[] = [];
  const last: number[] = [];
  let prev = Number.NaN;
  for (let i = 0; i < ts.length; i++) {
    const b = Math.floor(ts[i]! / res);
    const v = vs[i]!;
    if (b !== prev) {
      prev = b;
      starts.push(b * res);
      min.push(v);
      max.push(v);
      sum.push(v);
      count.push(1);
      last.push(v);
      continue;
    }
    const j = starts.length - 1;
    if (v < min[j]!) min[j] = v;
    if (v > max[j]!) max[j] = v;
    sum[j]! += v;
    count[j]! += 1;
    last[j] = v;
  }
  return { startsMs: Float64Array.from(starts), min: Float64Array.from(min), max: Float64Array.from(max), sum: Float64Array.from(sum), count: Float64Array.from(count), last: Float64Array.from(last) };
}

/** Asserts two rollups hold the same bits in every column (−0 and NaN payloads included). */
function assertSameRollup(actual: Rollup, expected: Rollup, label: string): void {
  for (const c of ['startsMs', ...ROLLUP_COLUMNS] as const) {
    const a = new BigUint64Array(Float64Array.from(actual[c]).buffer);
    const e = new BigUint64Array(Float64Array.from(expected[c]).buffer);
    assert.equal(a.length, e.length, `${label} ${c}: length`);
    for (let i = 0; i < e.length; i++) if (a[i] !== e[i]) assert.fail(`${label} ${c}[${i}]: ${actual[c][i]} ≠ ${expected[c][i]}`);
  }
}

test('property: computeRollup buckets exactly as a floor division a point, also for fractional, unsorted, huge or NaN times and odd resolutions', () => {
  const rnd = seededRandom(20261207);
  for (let c = 0; c < 400; c++) {
    const n = 1 + Math.floor(rnd() ** 2 * 3000);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    const kind = c % 6;
    let t = kind === 5 ? -(2 ** 51) : 1.7e12 + Math.floor(rnd() * 1e9);
    for (let i = 0; i < n; i++) {
      t += kind === 0 ? 15_000 : 1 + Math.floor(rnd() ** 3 * 2e6);
      ts[i] = t;
      if (kind === 1 && rnd() < 0.3) ts[i] = t + rnd() * 2 - 1; // fractional, also just below a bound
      if (kind === 2 && rnd() < 0.1) ts[i] = ts[Math.floor(rnd() * (i + 1))]!; // out of order
      if (kind === 3 && rnd() < 0.05) ts[i] = [Number.NaN, Infinity, -Infinity, -0, 2 ** 53, 2 ** 60, -(2 ** 55)][Math.floor(rnd() * 7)]!;
      if (kind === 4) ts[i] = (i - n / 2) * 299_999.5;
      vs[i] = rnd() < 0.05 ? -0 : Math.round((rnd() - 0.5) * 1e6) / 100;
    }
    for (const res of [M5, H, 1, 7, 86_400_000, 0.5, 300_000.25, 2 ** 52, 2 ** 53, -5, 0, Number.NaN]) {
      assertSameRollup(computeRollup(ts, vs, res), plainRollup(ts, vs, res), `case ${c} res ${res}`);
    }
  }
  // Bounds exactly: the last millisecond of a bucket and the first of the next.
  const edge = Float64Array.from([M5 - 1, M5 - 0.5, M5 - 2 ** -40, M5, 2 * M5 - 1, 2 * M5]);
  assertSameRollup(computeRollup(edge, Float64Array.from(edge, (_, i) => i), M5), plainRollup(edge, Float64Array.from(edge, (_, i) => i), M5), 'edges');
});

test('the rollup encoder writes the pinned bytes (digest: unchanged by the 2026-12-07 speed-ups, changed by the sparse corrections), and they round-trip', () => {
  const rnd = seededRandom(5);
  const h = createHash('sha256');
  const valueOf = (k: number, s: number) => Math.round(Math.sin(k / 97) * 1e4) / 100 + s / 100;
  for (let c = 0; c < 300; c++) {
    const n = 1 + Math.floor(rnd() * 5000);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    const step = [1000, 15_000, 60_000][c % 3]!;
    let t = Date.UTC(2026, 11, 6) + Math.floor(rnd() * 1e6);
    let x = 0;
    const p = 10 ** (c % 5);
    for (let i = 0; i < n; i++) {
      ts[i] = t;
      t += c % 4 === 0 ? 1 + Math.floor(rnd() * 3 * step) : step;
      const k = c % 7;
      vs[i] = k === 0 ? valueOf(i * 1000 + c, c) : k === 1 ? (x += Math.round((rnd() - 0.5) * 40) / p) : k === 2 ? Math.round(rnd() * 1e6) : k === 3 ? (rnd() < 0.05 ? -0 : Math.round(rnd() * 1e4) / p) : k === 4 ? (rnd() - 0.5) * 1e200 : k === 5 ? i : Math.round(rnd() * 1e4) / 100 + 5e-324;
    }
    for (const res of [M5, H]) {
      const r = computeRollup(ts, vs, res);
      const bytes = encodeRollup(r);
      h.update(bytes);
      assertSameRollup(decodeRollup(bytes), r, `case ${c} res ${res}`);
    }
  }
  // Computed with the encoder as of commit 44886a1 (before the speed-ups) it was 216c3b15…; the sparse
  // corrections of 2026-12-08 changed the columns they make smaller (float-artefact columns: valueOf's
  // min, max, sum and last, the walks' sums): any changed byte changes it.
  assert.equal(h.digest('hex'), 'b64cdef1ed9883d0588474a9e618c88f7e7c542fd8ca1d0285468cd02d9c8207');
});

test('version 2 rollups made before the sparse corrections still decode; valueOf rows now take them and are smaller', () => {
  const bits = (hex: string[]) => new Float64Array(new BigUint64Array(hex.map((h) => BigInt(`0x${h}`))).buffer);
  for (const f of v2Rollups) {
    const bytes = Uint8Array.from(Buffer.from(f.bytes, 'hex'));
    assert.equal(bytes[0], ROLLUP_VERSION);
    const expected: Rollup = { startsMs: Float64Array.from(f.startsMs), min: bits(f.min), max: bits(f.max), sum: bits(f.sum), count: Float64Array.from(f.count), last: bits(f.last) };
    assertSameRollup(decodeRollup(bytes), expected, `fixture ${f.resolutionMs}`);
    const n = rollupCount(bytes);
    const into: Rollup = { startsMs: new Float64Array(n), min: new Float64Array(n), max: new Float64Array(n), sum: new Float64Array(n), count: new Float64Array(n), last: new Float64Array(n) };
    decodeRollupInto(bytes, new Set(['sum', 'count']), into, 0);
    assert.deepEqual(wordsOf(into.sum), wordsOf(expected.sum));
    for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeRollup(bytes.subarray(0, cut)), RangeError, `fixture ${f.resolutionMs} cut at ${cut}`);
    const now = encodeRollup(expected);
    assertSameRollup(decodeRollup(now), expected, `fixture ${f.resolutionMs} re-encoded`);
    assert.ok(now.length <= bytes.length, `${f.resolutionMs}: ${now.length} B, before ${bytes.length} B`);
    if (f.resolutionMs === M5) assert.ok(now.length < bytes.length - 5, `5 min: ${now.length} B, before ${bytes.length} B`);
  }
});

test('rows with sparse corrections refuse every truncation and survive random corruption with a RangeError', () => {
  const valueOf = (k: number, s: number) => Math.round(Math.sin(k / 97) * 1e4) / 100 + s / 100;
  const start = Date.UTC(2026, 11, 6);
  const samples: Uint8Array[] = [];
  for (const s of [3, 58, 901]) {
    const ts = Float64Array.from({ length: 1000 }, (_, i) => start + i * 15_000);
    const vs = Float64Array.from({ length: 1000 }, (_, i) => valueOf(i * 1000 + s, s));
    const r = computeRollup(ts, vs, M5);
    const bytes = encodeRollup(r);
    assertSameRollup(decodeRollup(bytes), r, `series ${s}`);
    samples.push(bytes);
    for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeRollup(bytes.subarray(0, cut)), RangeError, `series ${s} cut at ${cut}`);
  }
  const rnd = seededRandom(1208);
  flipBits(samples, rnd);
});
