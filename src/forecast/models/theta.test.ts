import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearFit } from '../stats.js';
import { maxAbsDiff, synthetic } from '../../../test/helpers/forecast-series.js';
import { thetaFit, thetaModel } from './theta.js';

test('Theta extrapolates half the regression slope (SES with drift b/2)', () => {
  const y = synthetic({ n: 100, level: 20, slope: 0.6, noise: 0.4, seed: 3 });
  const p = thetaModel.fit(y, { periods: [] }).predict(30, [80, 95]);
  const b = linearFit(y).slope;
  const step = (p.mean[29]! - p.mean[0]!) / 29;
  assert.ok(Math.abs(step - b / 2) < 1e-9, `step ${step}, half slope ${b / 2}`);
  assert.ok(Math.abs(p.mean[0]! - (20 + 0.6 * 100)) < 2, `starts near the line's next value: ${p.mean[0]}`);
});

test('seasonal Theta puts the multiplicative pattern back on the forecast', () => {
  const period = 12;
  const full = synthetic({ n: 12 * 12, level: 100, seasons: [{ amplitude: 0.25, period }], multiplicative: true, noise: 0.5, seed: 4 });
  const fit = thetaFit(full.subarray(0, 12 * 10), [period]);
  assert.equal(fit.name, 'Theta[12]');
  const p = fit.predict(24, [95]);
  const err = maxAbsDiff(p.mean, full.subarray(12 * 10));
  assert.ok(err < 3, `max error ${err} on a ±25 pattern`);
  const flat = thetaFit(full.subarray(0, 12 * 10), []).predict(24, []);
  assert.ok(maxAbsDiff(flat.mean, full.subarray(12 * 10)) > 15, 'without the pattern the error is the pattern');
});

test('the M4 test gates deseasonalisation unless told otherwise', () => {
  const y = synthetic({ n: 30, level: 10, seasons: [{ amplitude: 0.2, period: 12 }], multiplicative: true });
  assert.equal(thetaFit(y, [12]).name, 'Theta', 'fewer than 3 cycles: the M4 test says no');
  assert.equal(thetaFit(y, [12], { seasonalityTest: false }).name, 'Theta[12]');
});

test('Theta intervals widen with h and nest; negative series deseasonalise additively', () => {
  const y = synthetic({ n: 96, level: -50, seasons: [{ amplitude: 8, period: 12 }], noise: 1, seed: 8 });
  const f = thetaFit(y, [12]);
  const p = f.predict(24, [80, 95]);
  const w = (i: number) => p.intervals[1]!.upper[i]! - p.intervals[1]!.lower[i]!;
  assert.ok(w(23) > w(0));
  for (let i = 0; i < 24; i++) assert.ok(p.intervals[1]!.lower[i]! < p.intervals[0]!.lower[i]! && p.intervals[0]!.upper[i]! < p.intervals[1]!.upper[i]!);
  assert.ok(p.mean.every(Number.isFinite));
  assert.throws(() => thetaFit(Float64Array.from([1, 2]), []), RangeError);
});
