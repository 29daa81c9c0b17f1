import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationFactors, widenIntervals } from './calibrate.js';
import type { Prediction } from './model.js';

const flat = (h: number, mean: number, half: number): Prediction => ({
  mean: new Float64Array(h).fill(mean),
  intervals: [{ level: 80, lower: new Float64Array(h).fill(mean - half), upper: new Float64Array(h).fill(mean + half) }],
});

test('factors: √ of the conformal quantile of error / reach, within [0.5, 2]', () => {
  // Errors 1..9 (alternating sign) around 0 against a reach of 1: the ⌈10·0.8⌉ = 8th smallest ratio is 8.
  const y = Float64Array.from([0, 1, -2, 3, -4, 5, -6, 7, -8, 9]);
  const plan = { horizon: 9, origins: [1] };
  assert.deepEqual(calibrationFactors(y, plan, [flat(9, 0, 1)]), [2], 'bounded at 2');
  const [f] = calibrationFactors(y, plan, [flat(9, 0, 4)]);
  assert.ok(Math.abs(f! - Math.sqrt(2)) < 1e-12, `got ${f}`);
  assert.deepEqual(calibrationFactors(y, plan, [flat(9, 0, 0)]), [1], 'nothing to scale');
  assert.deepEqual(calibrationFactors(y, plan, []), []);
});

test('widening scales the distance of each bound from the mean', () => {
  const p: Prediction = { mean: Float64Array.of(10), intervals: [{ level: 50, lower: Float64Array.of(9), upper: Float64Array.of(13) }] };
  const w = widenIntervals(p, [2]);
  assert.deepEqual([w.intervals[0]!.lower[0], w.intervals[0]!.upper[0]], [8, 16]);
  assert.equal(widenIntervals(p, []).intervals[0]!.upper[0], 13, 'no factor: unchanged');
});

test('levels stay nested when their factors differ', () => {
  const p: Prediction = {
    mean: Float64Array.of(0),
    intervals: [
      { level: 95, lower: Float64Array.of(-2), upper: Float64Array.of(2) },
      { level: 80, lower: Float64Array.of(-1.5), upper: Float64Array.of(1.5) },
    ],
  };
  const w = widenIntervals(p, [0.5, 2]);
  assert.deepEqual(w.intervals.map((i) => i.level), [95, 80], 'order kept');
  assert.deepEqual([w.intervals[1]!.lower[0], w.intervals[1]!.upper[0]], [-3, 3]);
  assert.deepEqual([w.intervals[0]!.lower[0], w.intervals[0]!.upper[0]], [-3, 3], '95% widened to hold the 80%');
});
