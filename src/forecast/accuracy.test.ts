import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracy, maseScale } from './accuracy.js';

const close = (a: number | null, b: number, eps = 1e-9) => assert.ok(a !== null && Math.abs(a - b) < eps, `${a} ≈ ${b}`);

test('MAE, RMSE, MAPE, sMAPE and MASE match hand-computed values', () => {
  // errors: 1, -2, 0, 3 → |e| = 1, 2, 0, 3
  const r = accuracy({ actual: [10, 20, 5, 30], forecast: [11, 18, 5, 27], maseScale: 2 });
  assert.equal(r.pointsCompared, 4);
  close(r.mae, 6 / 4);
  close(r.rmse, Math.sqrt((1 + 4 + 0 + 9) / 4));
  close(r.mape, (100 * (1 / 10 + 2 / 20 + 0 + 3 / 30)) / 4);
  close(r.smape, (100 * (2 / 21 + 4 / 38 + 0 + 6 / 57)) / 4);
  close(r.mase, 1.5 / 2);
  assert.equal(r.mapeSkippedZeroActuals, 0);
});

test('zero actuals are skipped by MAPE and counted; steps without actuals are skipped by all', () => {
  const r = accuracy({ actual: [0, 10, Number.NaN], forecast: [1, 12, 100] });
  assert.equal(r.pointsCompared, 2);
  close(r.mape, 20);
  assert.equal(r.mapeSkippedZeroActuals, 1);
  close(r.mae, 1.5);
  assert.equal(r.mase, null); // no scale
});

test('interval coverage is the share of actuals inside each interval, bounds inclusive', () => {
  const r = accuracy({
    actual: [1, 2, 3, 4],
    forecast: [1, 2, 3, 4],
    intervals: [
      { level: 80, lower: [0, 2.5, 3, 0], upper: [2, 3, 3, 3] },
      { level: 95, lower: [0, 0, 0, 0], upper: [9, 9, 9, 9] },
    ],
  });
  assert.deepEqual(r.coverage, { '80': 0.5, '95': 1 });
});

test('no actuals: every figure is null', () => {
  const r = accuracy({ actual: [Number.NaN], forecast: [1] });
  assert.deepEqual([r.pointsCompared, r.mae, r.rmse, r.mape, r.smape, r.mase], [0, null, null, null, null, null]);
});

test('the MASE scale is the in-sample seasonal naive MAE', () => {
  close(maseScale([1, 2, 4, 7], 1), (1 + 2 + 3) / 3);
  close(maseScale([1, 2, 3, 5, 2, 9], 3), (4 + 0 + 6) / 3);
  assert.equal(maseScale([1, 2], 2), null);
});

test('values near ±1e308: every figure is finite, or null with the reason when the figure itself exceeds a double', () => {
  // Errors of 2e308 (alternating signs): a plain |y − f| or sum of squares would be Infinity.
  const r = accuracy({ actual: [1e308, -1e308, 0], forecast: [-1e308, 1e308, 0], maseScale: 2 });
  assert.equal(r.pointsCompared, 3);
  close(r.mae! / 1e308, 4 / 3);
  close(r.rmse! / 1e308, Math.sqrt(8 / 3));
  close(r.smape, (100 * (2 + 2 + 0)) / 3);
  close(r.mape, 200);
  close(r.mase! / 1e308, 2 / 3);
  assert.equal(r.nullReasons, undefined);
  const tiny = accuracy({ actual: [1e308, -1e308], forecast: [-1e308, 1e308], maseScale: 0.5 });
  assert.equal(tiny.mase, null);
  assert.match(tiny.nullReasons!.mase!, /beyond the range of a double/);
  // An MAE beyond a double (every error ~3.6e308) is null with its reason; sMAPE stays within 0–200.
  const beyond = accuracy({ actual: [1.7e308, -1.7e308], forecast: [-1.7e308, 1.7e308] });
  assert.equal(beyond.mae, null);
  assert.deepEqual(Object.keys(beyond.nullReasons!).sort(), ['mae', 'rmse']);
  close(beyond.smape, 200);
  assert.equal(accuracy({ actual: [1, 2], forecast: [1, 2] }).nullReasons, undefined, 'no reasons when nothing is null');
});

test('a forecast step that is not finite is not compared', () => {
  const r = accuracy({ actual: [1, 2, 3], forecast: [1, Number.NaN, Infinity] });
  assert.equal(r.pointsCompared, 1);
  assert.equal(r.mae, 0);
});

test('the MASE scale of a history near ±1e308 is finite, or null when it exceeds a double', () => {
  close(maseScale([1e308, -0.5e308, 1e308], 1)! / 1e308, 1.5);
  assert.equal(maseScale([1.7e308, -1.7e308], 1), null);
});
