import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { confine, historyRange, implausibility, intervalReach, meanReach } from './envelope.js';
import type { Prediction } from './model.js';

const pred = (mean: number[], lower: number[], upper: number[]): Prediction => ({
  mean: Float64Array.from(mean),
  intervals: [{ level: 80, lower: Float64Array.from(lower), upper: Float64Array.from(upper) }],
});

describe('forecast envelope', () => {
  // History 10..20 over 40 points: spread 10; 2 steps ahead the mean may reach 0.5 + 2/40 = 0.55 spreads.
  const history = Float64Array.from({ length: 40 }, (_, t) => 10 + (t % 11));
  const r = historyRange(history);

  test('range and reaches', () => {
    assert.deepEqual(r, { min: 10, max: 20, n: 40 });
    assert.equal(meanReach(2, 40), 0.55);
    assert.equal(intervalReach(2, 40), 1.1);
  });

  test('a member within the band passes; beyond it, above or below, or non-finite, it fails with the reason', () => {
    assert.equal(implausibility(pred([25, 25.5], [0, 0], [40, 40]), r), null);
    assert.match(implausibility(pred([20, 26], [0, 0], [40, 40]), r)!, /^forecast reaches 26, 0.6 ranges above the history's maximum 20 \(at most 0.55 allowed\)$/);
    assert.match(implausibility(pred([4, 10], [0, 0], [40, 40]), r)!, /reaches 4, 0.6 ranges below the history's minimum 10/);
    assert.equal(implausibility(pred([15, 15], [0, NaN], [40, 40]), r), 'non-finite forecast');
  });

  test('confine: mean and bounds clamped to their bands, order and nesting kept, input untouched', () => {
    const p: Prediction = {
      mean: Float64Array.from([30, 15]),
      intervals: [
        { level: 95, lower: Float64Array.from([-50, 14]), upper: Float64Array.from([90, 16]) },
        { level: 80, lower: Float64Array.from([28, 14.5]), upper: Float64Array.from([70, 15.5]) },
      ],
    };
    const { prediction: c, changed } = confine(p, r);
    assert.deepEqual(Array.from(c.mean), [25.5, 15]);
    // Bounds band: [10 − 11, 20 + 11] = [−1, 31], then ≥ 0 since the history is; the 80% lower bound 28 > the new mean.
    assert.deepEqual(Array.from(c.intervals[0]!.lower), [0, 14]);
    assert.deepEqual(Array.from(c.intervals[0]!.upper), [31, 16]);
    assert.deepEqual(Array.from(c.intervals[1]!.lower), [25.5, 14.5]);
    assert.deepEqual(Array.from(c.intervals[1]!.upper), [31, 15.5]);
    assert.deepEqual(changed, { mean: 1, bounds: 2, atZero: 1 });
    assert.equal(p.mean[0], 30);
  });

  test('confine: a history with negative values keeps negative bounds; one that never was negative never gets one', () => {
    const p = pred([1, 1], [-3, -3], [5, 5]);
    const signed = confine(p, historyRange(Float64Array.from([-1, 2, 0, 1]))).prediction;
    assert.deepEqual(Array.from(signed.intervals[0]!.lower), [-3, -3]);
    const positive = confine(p, historyRange(Float64Array.from([0, 2, 0.5, 1]))).prediction;
    assert.deepEqual(Array.from(positive.intervals[0]!.lower), [0, 0]);
  });
});
