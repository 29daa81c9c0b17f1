import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centredMovingAverage, deseasonalise, seasonalIndices } from './decompose.js';
import { maxAbsDiff } from '../../test/helpers/forecast-series.js';

test('centred moving average: 2×m for even m, NaN where the window does not fit', () => {
  const ma = centredMovingAverage([1, 2, 3, 4, 5, 6], 4);
  assert.ok(Number.isNaN(ma[0]!) && Number.isNaN(ma[1]!) && Number.isNaN(ma[4]!) && Number.isNaN(ma[5]!));
  // (0.5·1 + 2 + 3 + 4 + 0.5·5) / 4 = 3
  assert.equal(ma[2], 3);
  assert.equal(ma[3], 4);
  assert.deepEqual(Array.from(centredMovingAverage([1, 2, 3, 4], 3)).slice(1, 3), [2, 3]);
});

test('seasonal indices recover an exact multiplicative pattern on a trend', () => {
  const pattern = [0.8, 1.0, 1.4, 0.8];
  const y = Float64Array.from({ length: 40 }, (_, t) => (100 + 2 * t) * pattern[t % 4]!);
  const idx = seasonalIndices(y, 4, 'multiplicative');
  assert.ok(maxAbsDiff(idx, pattern) < 0.01, `indices ${Array.from(idx)}`);
  const add = seasonalIndices(Float64Array.from({ length: 40 }, (_, t) => 5 + t + [-1, 0, 3, -2][t % 4]!), 4, 'additive');
  assert.ok(maxAbsDiff(add, [-1, 0, 3, -2]) < 1e-9, `additive ${Array.from(add)}`);
});

test('deseasonalise then reseasonalise is the identity', () => {
  const y = Float64Array.from({ length: 30 }, (_, t) => 10 + (t % 5) + 0.1 * t);
  for (const form of ['additive', 'multiplicative'] as const) {
    const d = deseasonalise(y, 5, form);
    const back = d.adjusted.map((v, t) => d.reseasonalise(v, t));
    assert.ok(maxAbsDiff(back, y) < 1e-9, form);
  }
  assert.deepEqual(Array.from(deseasonalise(y, 1, 'multiplicative').adjusted), Array.from(y), 'period 1 leaves y');
});
