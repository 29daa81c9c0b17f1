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
