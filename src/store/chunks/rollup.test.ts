import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../core/random.js';
import { computeRollup, decodeRollup, encodeRollup, rollupWorthKeeping, type Rollup } from './rollup.js';

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
  assert.ok(bytes.length < 288 * 5 * 3, `${bytes.length} bytes`);
});

test('decodeRollup refuses truncated, trailing and inconsistent bytes', () => {
  const r = computeRollup(Float64Array.from([0, 60_000, 400_000]), Float64Array.from([1, 2, 3]), M5);
  const bytes = encodeRollup(r);
  for (let cut = 0; cut < bytes.length; cut++) assert.throws(() => decodeRollup(bytes.subarray(0, cut)), RangeError, `cut at ${cut}`);
  assert.throws(() => decodeRollup(Uint8Array.from([...bytes, 0])), /trailing/);
  assert.throws(() => decodeRollup(Uint8Array.from([9, ...bytes.subarray(1)])), /version/);
  // Columns that disagree on their buckets: splice another rollup's last column in.
  const other = encodeRollup(computeRollup(Float64Array.from([0, 900_000]), Float64Array.from([1, 2]), M5));
  assert.throws(() => decodeRollup(Uint8Array.from([...bytes.subarray(0, bytes.length - lastColumnLength(bytes)), ...other.subarray(other.length - lastColumnLength(other))])), RangeError);
});

/** Byte length of the last column including its length varint (one byte: these are tiny). */
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

test('rollupWorthKeeping: at least 10 points a bucket on average', () => {
  const mk = (perBucket: number) => {
    const ts = Float64Array.from({ length: perBucket * 12 }, (_, i) => Math.floor(i / perBucket) * H + (i % perBucket));
    return computeRollup(ts, new Float64Array(ts.length), H);
  };
  assert.equal(rollupWorthKeeping(mk(10)), true);
  assert.equal(rollupWorthKeeping(mk(9)), false);
  assert.equal(rollupWorthKeeping(computeRollup(new Float64Array(0), new Float64Array(0), H)), false);
});
