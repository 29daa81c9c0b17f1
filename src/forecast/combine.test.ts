import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combinePredictions, inverseSquaredErrorWeights } from './combine.js';

const close = (a: readonly number[], b: readonly number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12, `${a} vs ${b}`));

test('weights ∝ 1/error², summing to 1', () => {
  close(inverseSquaredErrorWeights([1, 2]), [0.8, 0.2]);
  close(inverseSquaredErrorWeights([1, NaN, 1]), [0.5, 0, 0.5]);
  close(inverseSquaredErrorWeights([0, 3, 0]), [0.5, 0, 0.5]);
  close(inverseSquaredErrorWeights([NaN, Infinity]), [0.5, 0.5]);
  // Errors whose squares overflow still weigh as their ratios say.
  close(inverseSquaredErrorWeights([1e200, 2e200]), [0.8, 0.2]);
});

test('combination averages means and interval bounds with the weights', () => {
  const p = (m: number, lo: number, hi: number) => ({ mean: Float64Array.of(m, m), intervals: [{ level: 90, lower: Float64Array.of(lo, lo), upper: Float64Array.of(hi, hi) }] });
  const c = combinePredictions([p(10, 8, 12), p(20, 10, 40)], [0.75, 0.25]);
  close(Array.from(c.mean), [12.5, 12.5]);
  close(Array.from(c.intervals[0]!.lower), [8.5, 8.5]);
  close(Array.from(c.intervals[0]!.upper), [19, 19]);
  assert.equal(c.intervals[0]!.level, 90);
  assert.throws(() => combinePredictions([], []), RangeError);
});
