import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fft, lagProducts } from './fft.js';
import { acf, acfAt } from './stats.js';
import { ar1 } from '../../test/helpers/forecast-series.js';

describe('FFT', () => {
  test('transform of an impulse is flat; inverse of the transform gives the input back (× n)', () => {
    const re = Float64Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
    const im = new Float64Array(8);
    fft(re, im);
    assert.deepEqual(Array.from(re), new Array(8).fill(1));
    const x = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
    const r2 = Float64Array.from(x);
    const i2 = new Float64Array(8);
    fft(r2, i2);
    fft(r2, i2, true);
    for (let i = 0; i < 8; i++) assert.ok(Math.abs(r2[i]! / 8 - x[i]!) < 1e-12);
    assert.throws(() => fft(new Float64Array(6), new Float64Array(6)), RangeError);
  });

  test('lag products equal the direct sums', () => {
    const x = ar1(300, 0.8, 1, 4);
    const p = lagProducts(x, 310);
    for (const k of [0, 1, 7, 150, 299]) {
      let s = 0;
      for (let i = 0; i + k < x.length; i++) s += x[i]! * x[i + k]!;
      assert.ok(Math.abs(p[k]! - s) < 1e-9 * Math.abs(p[0]!), `lag ${k}`);
    }
    assert.equal(p[300], 0);
  });

  test('acf on a long series at long lags (the FFT path) matches the direct computation', () => {
    const y = ar1(5000, 0.9, 1, 3, 10);
    const fast = acf(y, 400);
    const direct = new Float64Array(401);
    direct[0] = 1;
    let m = 0;
    for (const v of y) m += v / y.length;
    let c0 = 0;
    for (const v of y) c0 += (v - m) ** 2;
    for (let k = 1; k <= 400; k++) {
      let s = 0;
      for (let i = 0; i + k < y.length; i++) s += (y[i]! - m) * (y[i + k]! - m);
      direct[k] = s / c0;
    }
    for (let k = 0; k <= 400; k++) assert.ok(Math.abs(fast[k]! - direct[k]!) < 1e-10, `lag ${k}`);
  });
});

test('acfAt is acf at one lag', () => {
  const y = ar1(500, 0.7, 1, 9, 3);
  const all = acf(y, 30);
  for (const k of [1, 5, 30]) assert.ok(Math.abs(acfAt(y, k) - all[k]!) < 1e-12);
  assert.equal(acfAt(new Float64Array(5).fill(2), 1), 0);
});
