import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../core/random.js';
import { sortedUnique } from './sort-points.js';

/** The reference: a stable sort of index pairs, then the last point of each equal time. */
function reference(t: number[], v: number[]): { t: number[]; v: number[] } {
  const order = t.map((_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
  const ot: number[] = [];
  const ov: number[] = [];
  for (const i of order) {
    if (ot.length && ot[ot.length - 1] === t[i]) {
      ot.pop();
      ov.pop();
    }
    ot.push(t[i]!);
    ov.push(v[i]!);
  }
  return { t: ot, v: ov };
}

const sortedCopy = (a: Float64Array) => [...a].sort((x, y) => x - y);

/** Ascending times displaced by up to `reach` places, with `dupes` equal times put in. */
function shuffled(rand: () => number, n: number, reach: number, dupes: number): number[] {
  const t = Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000);
  for (let i = 0; i < n; i++) {
    const j = Math.min(n - 1, i + Math.floor(rand() * (reach + 1)));
    [t[i], t[j]] = [t[j]!, t[i]!];
  }
  for (let d = 0; d < dupes && n > 1; d++) t[Math.floor(rand() * n)] = t[Math.floor(rand() * n)]!;
  return t;
}

test('sortedUnique: ascending times, one point a time (the last written), on every kind of disorder', () => {
  const rand = seededRandom(42);
  let cases = 0;
  for (const n of [0, 1, 2, 3, 17, 480, 1000]) {
    // reach 0: already sorted; 1–3: concurrent commits; n: any order (past the insertion budget).
    for (const reach of [0, 1, 3, 40, n]) {
      for (const dupes of [0, 1, 5]) {
        const times = shuffled(rand, n, reach, dupes);
        const values = times.map((_, i) => i + 0.5);
        const t = Float64Array.from(times);
        const v = Float64Array.from(values);
        const got = sortedUnique(t, v);
        const want = reference(times, values);
        assert.deepEqual([...got.t], want.t, `n ${n} reach ${reach} dupes ${dupes}`);
        assert.deepEqual([...got.v], want.v, `n ${n} reach ${reach} dupes ${dupes}`);
        // The inputs, if sorted in place, still hold every point read (compaction counts them).
        assert.deepEqual(sortedCopy(t), [...times].sort((x, y) => x - y));
        cases++;
      }
    }
  }
  assert.equal(cases, 7 * 5 * 3);
});

test('sortedUnique: a sorted series is returned as it is, without a copy', () => {
  const t = Float64Array.from([1, 2, 3, 5]);
  const v = Float64Array.from([9, 8, 7, 6]);
  const got = sortedUnique(t, v);
  assert.equal(got.t, t);
  assert.equal(got.v, v);
});

test('sortedUnique: points committed out of order are sorted with their values', () => {
  const got = sortedUnique(Float64Array.from([10, 30, 20, 40, 35, 50]), Float64Array.from([1, 3, 2, 4, 3.5, 5]));
  assert.deepEqual([...got.t], [10, 20, 30, 35, 40, 50]);
  assert.deepEqual([...got.v], [1, 2, 3, 3.5, 4, 5]);
});
