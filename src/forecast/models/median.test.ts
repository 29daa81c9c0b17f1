import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { medianFit } from './median.js';
import { coverage } from '../../../test/helpers/forecast-series.js';
import { gaussianSource, seededRandom } from '../stats.js';

/** An idle level of 5 with unit noise and a spike of +80 one step in ten (at random). */
function spiky(n: number, seed: number): Float64Array {
  const u = seededRandom(seed);
  const g = gaussianSource(u);
  return Float64Array.from({ length: n }, () => 5 + g() + (u() < 0.1 ? 80 : 0));
}

describe('seasonal median', () => {
  test('without a cycle: the median of the latest 25 values, whatever spikes they hold', () => {
    const y = Float64Array.from({ length: 40 }, (_, t) => (t % 4 === 0 ? 1000 : t));
    const f = medianFit(y, 1);
    assert.equal(f.name, 'Median');
    const last25 = Array.from(y.subarray(15)).sort((a, b) => a - b);
    assert.deepEqual(Array.from(f.predict(3, []).mean), [last25[12], last25[12], last25[12]]);
  });

  test('with a cycle: each phase gets the median of its latest 5 values', () => {
    // Period 4; phase 1 holds 100 once among 5 cycles (a spike the median ignores).
    const y = Float64Array.from({ length: 24 }, (_, t) => [10, 20, 30, 40][t % 4]! + (t === 21 ? 100 : 0));
    const f = medianFit(y, 4);
    assert.equal(f.name, 'Median[4]');
    assert.deepEqual(Array.from(f.predict(6, []).mean), [10, 20, 30, 40, 10, 20]);
  });

  test('spiky data: better than the mean in absolute error, intervals from its own past errors hold', () => {
    let covered95 = 0;
    let medErr = 0;
    let meanErr = 0;
    const runs = 30;
    for (let s = 1; s <= runs; s++) {
      const y = spiky(548, s);
      const train = y.subarray(0, 500);
      const test_ = y.subarray(500);
      const p = medianFit(train, 1).predict(48, [95]);
      covered95 += coverage(test_, p.intervals[0]!.lower, p.intervals[0]!.upper) / runs;
      const mean = train.reduce((a, b) => a + b, 0) / train.length;
      for (const v of test_) {
        medErr += Math.abs(v - p.mean[0]!);
        meanErr += Math.abs(v - mean);
      }
    }
    assert.ok(medErr < 0.7 * meanErr, `median ${medErr} vs mean ${meanErr}`);
    assert.ok(Math.abs(covered95 - 0.95) < 0.04, `95% coverage ${covered95}`);
  });

  test('wandering data: the intervals widen with the lead', () => {
    const g = gaussianSource(seededRandom(3));
    let x = 0;
    const y = Float64Array.from({ length: 400 }, () => (x += g()));
    const iv = medianFit(y, 1).predict(64, [80]).intervals[0]!;
    assert.ok(iv.upper[63]! - iv.lower[63]! > 1.5 * (iv.upper[0]! - iv.lower[0]!));
  });

  test('one value: a zero-width interval around it; refuses an empty series', () => {
    const p = medianFit(Float64Array.from([7]), 24).predict(2, [80]);
    assert.deepEqual(Array.from(p.mean), [7, 7]);
    assert.deepEqual(Array.from(p.intervals[0]!.lower), [7, 7]);
    assert.throws(() => medianFit(new Float64Array(0), 1), RangeError);
  });
});
