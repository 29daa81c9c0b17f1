import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resample } from './resample.js';

const min = 60_000;

test('points are averaged per bucket and the grid starts on a step boundary', () => {
  const g = resample([10 * min + 5_000, 10 * min + 30_000, 11 * min, 12 * min + 59_999], [1, 3, 10, 20], min, 100);
  assert.equal(g.start, 10 * min);
  assert.deepEqual([...g.values], [2, 10, 20]);
  assert.equal(g.filled, 0);
});

test('gaps are filled by linear interpolation and counted', () => {
  const g = resample([0, 4 * min], [0, 8], min, 100);
  assert.deepEqual([...g.values], [0, 2, 4, 6, 8]);
  assert.equal(g.filled, 3);
});

test('order of the input does not matter', () => {
  const a = resample([3 * min, 0, min, 2 * min], [4, 1, 2, 3], min, 100);
  assert.deepEqual([...a.values], [1, 2, 3, 4]);
});

test('only the most recent maxSteps buckets are kept; older points are counted as truncated', () => {
  // A sparse series over a huge span must not allocate a huge grid.
  const g = resample([0, 1e12, 1e12 + min], [5, 6, 7], min, 10);
  assert.equal(g.values.length, 10);
  assert.equal(g.truncated, 1);
  assert.equal(g.values[9], 7);
  assert.equal(g.values[8], 6);
  assert.equal(g.start, Math.floor((1e12 + min) / min) * min - 9 * min);
});

test('no points give an empty grid; mismatched lengths throw', () => {
  assert.equal(resample([], [], min, 10).values.length, 0);
  assert.throws(() => resample([1], [], min, 10), RangeError);
});

test('values near ±1e308: bucket means and interpolation stay finite', () => {
  // Two points in bucket 0 whose sum overflows; a gap between +1e308 and -1.5e308 whose difference does.
  const g = resample([0, 1, 3 * 60_000], [1.5e308, 1.7e308, -1.5e308], 60_000, 100);
  assert.equal(g.values.length, 4);
  assert.ok(g.values.every(Number.isFinite), String(g.values));
  assert.equal(g.values[0], 1.6e308);
  assert.ok(Math.abs(g.values[1]! - (1.6e308 + (-1.5e308 / 3 - 1.6e308 / 3))) < 1e293, String(g.values[1]));
  assert.equal(g.values[3], -1.5e308);
});
