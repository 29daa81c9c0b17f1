import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxAbsDiff, synthetic } from '../../../test/helpers/forecast-series.js';
import { naiveModel, seasonalNaiveFit, seasonalNaiveModel } from './naive.js';

test('seasonal naive repeats the last cycle exactly on a pure seasonal series', () => {
  const y = synthetic({ n: 24 * 5, level: 10, seasons: [{ amplitude: 3, period: 24 }] });
  const p = seasonalNaiveModel.fit(y, { periods: [24, 168] }).predict(60, [80, 95]);
  const truth = synthetic({ n: 24 * 5 + 60, level: 10, seasons: [{ amplitude: 3, period: 24 }] }).subarray(24 * 5);
  assert.ok(maxAbsDiff(p.mean, truth) < 1e-12);
  // No error in-sample: the intervals collapse onto the forecast, without NaN.
  assert.ok(maxAbsDiff(p.intervals[1]!.lower, p.mean) < 1e-9 && maxAbsDiff(p.intervals[1]!.upper, p.mean) < 1e-9);
});

test('seasonal naive intervals widen with each whole cycle ahead, and 95% contains 80%', () => {
  const y = Float64Array.from([1, 5, 2, 6, 1, 4, 3, 6, 2, 5]);
  const f = seasonalNaiveFit(y, 2);
  assert.equal(f.name, 'SNaive[2]');
  const p = f.predict(6, [80, 95]);
  assert.deepEqual(Array.from(p.mean), [2, 5, 2, 5, 2, 5]);
  // Residuals y_t − y_{t−2}: 1, 1, −1, −2, 2, 2, −1, −1 → σ = √(17/8).
  const sigma = Math.sqrt(17 / 8);
  const half95 = (i: number) => (p.intervals[1]!.upper[i]! - p.intervals[1]!.lower[i]!) / 2;
  assert.ok(Math.abs(half95(0) - 1.959964 * sigma) < 1e-5);
  assert.ok(Math.abs(half95(2) - 1.959964 * sigma * Math.SQRT2) < 1e-5, 'second cycle: √2');
  assert.ok(Math.abs(half95(4) - 1.959964 * sigma * Math.sqrt(3)) < 1e-5, 'third cycle: √3');
  for (let i = 0; i < 6; i++) assert.ok(p.intervals[1]!.lower[i]! < p.intervals[0]!.lower[i]! && p.intervals[0]!.upper[i]! < p.intervals[1]!.upper[i]!);
});

test('naive: the last value; one point gives zero-width intervals, not NaN', () => {
  const p = naiveModel.fit(Float64Array.from([3, 4, 8]), { periods: [24] }).predict(3, [50, 99]);
  assert.deepEqual(Array.from(p.mean), [8, 8, 8]);
  const one = naiveModel.fit(Float64Array.from([7]), { periods: [] }).predict(2, [95]);
  assert.deepEqual(Array.from(one.mean), [7, 7]);
  assert.deepEqual(Array.from(one.intervals[0]!.lower), [7, 7]);
  assert.equal(seasonalNaiveModel.fit(Float64Array.from([1, 2, 3]), { periods: [24] }).name, 'Naive', 'shorter than a cycle');
});

test('bad horizon and levels are refused', () => {
  const f = seasonalNaiveFit(Float64Array.from([1, 2]), 1);
  assert.throws(() => f.predict(0, [80]), RangeError);
  assert.throws(() => f.predict(2, [100]), RangeError);
  assert.throws(() => f.predict(2, [0]), RangeError);
  assert.throws(() => seasonalNaiveFit(new Float64Array(0), 1), RangeError);
});
