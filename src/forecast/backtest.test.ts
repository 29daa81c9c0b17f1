import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backtest, backtestMase, naiveScale, planBacktest } from './backtest.js';
import type { FittedModel } from './model.js';
import { seasonalNaiveFit } from './models/naive.js';

test('plans origins at the end, spaced by the backtest horizon', () => {
  assert.deepEqual(planBacktest(700, 48, 100, 2), { horizon: 48, origins: [652, 604] });
  assert.deepEqual(planBacktest(100, 48, 10, 3), { horizon: 25, origins: [75, 50, 25] }, 'a quarter of a short series');
  assert.deepEqual(planBacktest(100, 48, 10, 3, 40), { horizon: 40, origins: [60, 20] }, 'not below a seasonal period');
  assert.deepEqual(planBacktest(30, 10, 28, 2).origins, [], 'not enough history');
});

test('naive scale is the in-sample mean absolute lag-m difference', () => {
  assert.equal(naiveScale(Float64Array.from([1, 3, 2, 6]), 1), (2 + 1 + 4) / 3);
  assert.equal(naiveScale(Float64Array.from([1, 3, 2, 6]), 2), (1 + 3) / 2);
  assert.equal(naiveScale(Float64Array.from([5]), 1), 0);
});

test('backtest refits at each origin and scores MASE; failures give NaN', () => {
  const y = Float64Array.from([1, 2, 1, 2, 1, 2, 1, 4]);
  const plan = { horizon: 2, origins: [6, 4] };
  const runs = backtest(y, plan, (x) => seasonalNaiveFit(x, 2), [80]);
  assert.ok(runs);
  assert.deepEqual(Array.from(runs[0]!.mean), [1, 2]);
  // Origin 6: errors 0 and 2, scale 0 (a perfectly regular history) → raw MAE 1. Origin 4: errors 0, 0.
  assert.equal(backtestMase(y, plan, runs, 2), 0.5);
  const broken = (): FittedModel => {
    throw new Error('no');
  };
  assert.equal(backtest(y, plan, broken, []), null);
  assert.ok(Number.isNaN(backtestMase(y, plan, null, 2)));
});
