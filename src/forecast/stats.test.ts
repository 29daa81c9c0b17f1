import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { acf, allPositive, gaussianSource, linearFit, mean, median, quantile, seededRandom, variance } from './stats.js';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} should be within ${tol} of ${b}`);

describe('stats', () => {
  test('mean, variance, quantile, median', () => {
    const x = [4, 1, 3, 2];
    assert.equal(mean(x), 2.5);
    close(variance(x), 5 / 3, 1e-12);
    assert.equal(variance([7]), 0);
    assert.equal(median(x), 2.5);
    assert.equal(quantile(x, 0), 1);
    assert.equal(quantile(x, 1), 4);
    close(quantile(x, 0.25), 1.75, 1e-12); // R type 7
    assert.deepEqual(x, [4, 1, 3, 2], 'input untouched');
  });

  test('acf as R computes it', () => {
    // R: acf(c(1, 3, 2, 5, 4), lag.max = 2, plot = FALSE) → 1.0, 0.0, 0.1 (the lag-k sum over n-k pairs / the lag-0 sum)
    const r = acf([1, 3, 2, 5, 4], 2);
    close(r[0]!, 1, 1e-12);
    close(r[1]!, 0, 1e-12);
    close(r[2]!, 0.1, 1e-12);
    assert.deepEqual(Array.from(acf([2, 2, 2], 2)), [1, 0, 0], 'constant series');
  });

  test('linearFit recovers a line', () => {
    const y = Array.from({ length: 10 }, (_, t) => 3 - 0.5 * t);
    const f = linearFit(y);
    close(f.intercept, 3, 1e-12);
    close(f.slope, -0.5, 1e-12);
    assert.deepEqual(linearFit([5]), { intercept: 5, slope: 0 });
  });

  test('allPositive', () => {
    assert.equal(allPositive([1, 2]), true);
    assert.equal(allPositive([1, 0]), false);
    assert.equal(allPositive([]), false);
  });

  test('seeded random is deterministic and standard normal', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 5; i++) assert.equal(a(), b());
    const g = gaussianSource(seededRandom(3));
    const x = Float64Array.from({ length: 20000 }, () => g());
    close(mean(x), 0, 0.03, 'mean');
    close(variance(x), 1, 0.05, 'variance');
  });
});
