import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mstl, stl } from './stl.js';
import { maxAbsDiff, synthetic } from '../../test/helpers/forecast-series.js';

const wave = (n: number, amplitude: number, period: number) => Float64Array.from({ length: n }, (_, t) => amplitude * Math.sin((2 * Math.PI * t) / period));

test('STL separates a daily wave from a linear trend, and the parts add up', () => {
  const n = 24 * 20;
  const y = synthetic({ n, level: 10, slope: 0.05, seasons: [{ amplitude: 3, period: 24 }] });
  const r = stl(y, 24);
  assert.ok(maxAbsDiff(r.seasonal, wave(n, 3, 24)) < 0.05, 'seasonal');
  const line = Float64Array.from({ length: n }, (_, t) => 10 + 0.05 * t);
  assert.ok(maxAbsDiff(r.trend, line) < 0.05, 'trend');
  const sum = r.seasonal.map((s, t) => s + r.trend[t]! + r.remainder[t]!);
  assert.ok(maxAbsDiff(sum, y) < 1e-9, 'seasonal + trend + remainder = y');
});

test('STL robustness iterations keep a spike out of the seasonal component', () => {
  const n = 24 * 10;
  const y = synthetic({ n, level: 5, seasons: [{ amplitude: 2, period: 24 }] });
  y[100] = y[100]! + 50;
  const plain = stl(y, 24);
  const robust = stl(y, 24, { robustIterations: 5 });
  const truth = wave(n, 2, 24);
  assert.ok(maxAbsDiff(robust.seasonal, truth) < 0.2, `robust ${maxAbsDiff(robust.seasonal, truth)}`);
  assert.ok(maxAbsDiff(plain.seasonal, truth) > maxAbsDiff(robust.seasonal, truth) * 3, 'the plain fit is pulled by the spike');
});

test('MSTL separates daily and weekly waves', () => {
  const n = 24 * 7 * 5;
  const y = synthetic({ n, level: 50, slope: 0.01, seasons: [{ amplitude: 4, period: 24 }, { amplitude: 2, period: 168 }], noise: 0.1, seed: 3 });
  const r = mstl(y, [168, 24]);
  assert.deepEqual(r.periods, [24, 168]);
  assert.ok(maxAbsDiff(r.seasonals[0]!, wave(n, 4, 24)) < 0.35, `daily ${maxAbsDiff(r.seasonals[0]!, wave(n, 4, 24))}`);
  assert.ok(maxAbsDiff(r.seasonals[1]!, wave(n, 2, 168)) < 0.35, `weekly ${maxAbsDiff(r.seasonals[1]!, wave(n, 2, 168))}`);
});

test('MSTL drops periods without two full cycles', () => {
  const y = synthetic({ n: 100, level: 1, seasons: [{ amplitude: 1, period: 24 }] });
  const r = mstl(y, [24, 168]);
  assert.deepEqual(r.periods, [24]);
  assert.deepEqual(mstl(y, []).periods, []);
  assert.ok(maxAbsDiff(mstl(y, []).trend, y) === 0, 'no period: the trend is y');
});
