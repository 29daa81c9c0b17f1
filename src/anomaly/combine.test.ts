import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineScores } from './combine.js';

const combine = (scores: number[], weights: number[]) => combineScores(scores, weights, weights.reduce((a, b) => a + b, 0), new Int32Array(scores.length));
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

test('the weighted mean of the highest scores holding half the weight', () => {
  near(combine([0.9, 0.1, 0.7, 0.3], [1, 1, 1, 1]), 0.8); // mean of the top two
  near(combine([0.4], [3]), 0.4); // one method is its own score
  near(combine([0.2, 0.9], [1, 1]), 0.9); // two equal weights: the higher
  // Budget 2.25 of 4.5: 1 × 0.9, then 1 × 0.8, then 0.25 of the 0.5-weight method at 0.6.
  near(combine([0.8, 0.9, 0.6, 0.1, 0.2], [1, 1, 0.5, 1, 1]), (0.9 + 0.8 + 0.25 * 0.6) / 2.25);
  near(combine([0.9, 0.9, 0.9], [0, 1, 0]), 0.9);
  // A method with weight 0 adds nothing even when it scores highest.
  near(combine([1, 0.2], [0, 1]), 0.2);
});

test('monotone in every method score (a higher part never lowers the whole)', () => {
  const base = [0.3, 0.6, 0.1, 0.8];
  const w = [1, 2, 1, 0.5];
  for (let k = 0; k < base.length; k++) {
    let prev = -1;
    for (let v = 0; v <= 1; v += 0.05) {
      const s = [...base];
      s[k] = v;
      const c = combine(s, w);
      assert.ok(c >= prev - 1e-12);
      prev = c;
    }
  }
});
