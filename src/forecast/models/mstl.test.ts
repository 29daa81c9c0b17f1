import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxAbsDiff, synthetic } from '../../../test/helpers/forecast-series.js';
import { mstlFit, mstlLogModel, mstlModel } from './mstl.js';

const twoSeasons = { level: 200, slope: 0.02, seasons: [{ amplitude: 20, period: 24 }, { amplitude: 10, period: 168 }] };

test('MSTL forecasts a series with daily and weekly seasonality', () => {
  const full = synthetic({ n: 168 * 6, noise: 1, seed: 21, ...twoSeasons });
  const y = full.subarray(0, 168 * 5);
  const truth = full.subarray(168 * 5, 168 * 5 + 48);
  const week = full.subarray(168 * 5);
  const f = mstlModel.fit(y, { periods: [24, 168] });
  assert.match(f.name, /^MSTL\[24,168\]\+ETS\(A,/);
  const p = f.predict(48, [80, 95]);
  const err = maxAbsDiff(p.mean, truth);
  assert.ok(err < 5, `max error ${err} with noise σ = 1 and patterns of ±20, ±10`);
  const weekAhead = (periods: number[]) => maxAbsDiff(mstlFit(y, periods).predict(168, []).mean, week);
  assert.ok(weekAhead([24]) > 2 * weekAhead([24, 168]), `a week ahead the weekly component matters: ${weekAhead([24])} vs ${weekAhead([24, 168])}`);
  for (let i = 0; i < 48; i++) assert.ok(p.intervals[1]!.lower[i]! < p.intervals[0]!.lower[i]! && p.intervals[0]!.upper[i]! < p.intervals[1]!.upper[i]!);
});

test('log MSTL fits a pattern whose amplitude grows with the level', () => {
  const full = synthetic({ n: 24 * 30 + 48, level: 50, slope: 0.3, seasons: [{ amplitude: 0.4, period: 24 }], multiplicative: true, noise: 0.3, seed: 22 });
  const y = full.subarray(0, 24 * 30);
  const truth = full.subarray(24 * 30);
  const logFit = mstlLogModel.fit(y, { periods: [24] });
  assert.match(logFit.name, /\(log\)/);
  const logErr = maxAbsDiff(logFit.predict(48, []).mean, truth);
  const addErr = maxAbsDiff(mstlModel.fit(y, { periods: [24] }).predict(48, []).mean, truth);
  assert.ok(logErr < addErr, `log ${logErr} vs additive ${addErr}`);
  assert.ok(logErr < 8, `log error ${logErr} on a ±${0.4 * 270} pattern`);
});

test('log MSTL falls back to the original scale when values are not all positive', () => {
  const y = synthetic({ n: 24 * 6, level: 0, seasons: [{ amplitude: 5, period: 24 }], noise: 0.5, seed: 23 });
  const f = mstlLogModel.fit(y, { periods: [24] });
  assert.doesNotMatch(f.name, /log/);
  assert.ok(f.predict(24, [95]).mean.every(Number.isFinite));
});
