// The sequence-context method on whole series: causal, resumable bit for bit (with and without bounds,
// from inside the warm-up too), bounds change what it learns, and a reference period keeps a lasting
// change anomalous.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noise, synthetic, withShift } from '../../../test/helpers/anomaly-series.js';
import type { MethodOptions } from '../detector.js';
import { WARM_UP } from '../sequence/quantise.js';
import { sequenceContext } from './sequence-context.js';

const N = 1500;
const y = synthetic({ n: N, level: 100, seasons: [{ amplitude: 10, period: 24 }], noise: 1, seed: 5 });
const online = (extra: Partial<MethodOptions> = {}): MethodOptions => ({ mode: 'online', periods: [], ...extra });

test('causal: the scores of a prefix are the first scores of the whole', () => {
  const whole = sequenceContext.score(y, online()).scores;
  for (const cut of [WARM_UP + 2, 300, 1001]) {
    assert.deepEqual(Array.from(sequenceContext.score(y.subarray(0, cut), online()).scores), Array.from(whole.subarray(0, cut)), `prefix ${cut}`);
  }
});

test('a saved state resumes where it stopped: the same scores, bit for bit, with and without bounds', () => {
  for (const bounds of [null, { min: 80, max: 120 }]) {
    const whole = sequenceContext.score(y, online({ bounds })).scores;
    for (const cut of [10, WARM_UP, 700, N - 1]) {
      const first = sequenceContext.score(y.subarray(0, cut), online({ bounds }));
      assert.ok(first.state && first.state.byteLength > 0);
      const rest = sequenceContext.score(y, online({ bounds, resume: { from: cut, state: first.state } })).scores;
      assert.deepEqual(Array.from(rest.subarray(0, cut)), new Array(cut).fill(0), 'points before `from` score 0');
      assert.deepEqual(Array.from(rest.subarray(cut)), Array.from(whole.subarray(cut)), `${bounds ? 'bounds' : 'causal'}, cut at ${cut}`);
    }
  }
});

test('bounds set the levels: other bounds, other scores; batch is the online run', () => {
  const a = sequenceContext.score(y, online({ bounds: { min: 80, max: 120 } })).scores;
  const b = sequenceContext.score(y, online({ bounds: { min: 0, max: 1000 } })).scores;
  assert.notDeepEqual(Array.from(a), Array.from(b));
  assert.deepEqual(Array.from(sequenceContext.score(y, { mode: 'batch', periods: [] }).scores), Array.from(sequenceContext.score(y, online()).scores));
});

test('a level shift that lasts is learnt as normal without a reference, and stays anomalous with one', () => {
  const shifted = withShift(noise(N, 1, 8), 900, 12);
  const mean = (s: Float64Array, from: number, to: number) => s.subarray(from, to).reduce((x, v) => x + v, 0) / (to - from);
  const plain = sequenceContext.score(shifted, online()).scores;
  const guarded = sequenceContext.score(shifted, online({ reference: { start: 0, end: 800 } })).scores;
  // Long after the shift the plain run has learnt the new level's sequences; the reference run has not.
  assert.ok(mean(plain, 1300, N) < 0.1, `plain ${mean(plain, 1300, N)}`);
  assert.ok(mean(guarded, 1300, N) > 2 * mean(plain, 1300, N) + 0.05, `guarded ${mean(guarded, 1300, N)} vs plain ${mean(plain, 1300, N)}`);
  // Before the reference's end both runs are the same run.
  assert.deepEqual(Array.from(guarded.subarray(0, 800)), Array.from(plain.subarray(0, 800)));
});
