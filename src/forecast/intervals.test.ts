import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLevels, mapIntervals, normalIntervals, sampleIntervals } from './intervals.js';

test('normal intervals: mean ± z·sd in the order of the levels', () => {
  const iv = normalIntervals(Float64Array.of(0, 10), Float64Array.of(1, 0), [95, 50]);
  assert.deepEqual(iv.map((i) => i.level), [95, 50]);
  assert.ok(Math.abs(iv[0]!.upper[0]! - 1.959964) < 1e-6);
  assert.ok(Math.abs(iv[1]!.lower[0]! + 0.674490) < 1e-6);
  assert.deepEqual([iv[0]!.lower[1], iv[0]!.upper[1]], [10, 10], 'zero spread');
});

test('sample intervals: quantiles of the draws', () => {
  const draws = [Float64Array.from({ length: 101 }, (_, i) => 100 - i)];
  const [iv] = sampleIntervals(draws, [90]);
  assert.ok(Math.abs(iv!.lower[0]! - 5) < 1e-9 && Math.abs(iv!.upper[0]! - 95) < 1e-9, `${iv!.lower[0]}, ${iv!.upper[0]}`);
});

test('levels outside (0, 100) are refused; mapping applies to both bounds', () => {
  assert.throws(() => checkLevels([0]), RangeError);
  assert.throws(() => checkLevels([100]), RangeError);
  assert.throws(() => checkLevels([Number.NaN]), RangeError);
  checkLevels([0.5, 50, 99.9]);
  const [m] = mapIntervals([{ level: 80, lower: Float64Array.of(1), upper: Float64Array.of(2) }], (v, i) => v * 10 + i);
  assert.deepEqual([m!.lower[0], m!.upper[0]], [10, 20]);
});
