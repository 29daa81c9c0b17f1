import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../forecast/stats.js';
import { reportedPoints } from './refractory.js';

test('an episode is reported once at its start, and again once the refractory window has passed', () => {
  const s = new Float64Array(300);
  for (let t = 50; t < 80; t++) s[t] = 0.9; // an episode of 30 points: its start, and 20 points on
  s[60] = 0.99; // worse within the window: still the same report
  for (let t = 150; t < 240; t++) s[t] = 0.7; // a long one: again after the window
  s[290] = 0.5; // below the threshold
  assert.deepEqual(reportedPoints(s, 0.6, 20), [50, 70, 150, 170, 190, 210, 230]);
  assert.deepEqual(reportedPoints(s, 0.8, 20), [50, 70]);
  assert.deepEqual(reportedPoints(s, 1.01, 20), []);
});

test('lowering the threshold never reports fewer, and every earlier report stays covered (property)', () => {
  const rnd = seededRandom(17);
  for (let trial = 0; trial < 50; trial++) {
    const s = Float64Array.from({ length: 400 }, () => rnd() ** 3);
    const w = 1 + Math.floor(rnd() * 40);
    let prev: number[] = [];
    for (let thr = 1; thr >= 0; thr -= 0.05) {
      const now = reportedPoints(s, thr, w);
      assert.ok(now.length >= prev.length, `trial ${trial}: ${now.length} < ${prev.length} at ${thr}`);
      for (const t of prev) assert.ok(now.some((r) => r <= t && t - r < w), `trial ${trial}: ${t} no longer covered at ${thr}`);
      prev = now;
    }
  }
});

test('causal: the reports of a prefix are the first reports of the whole', () => {
  const rnd = seededRandom(5);
  const s = Float64Array.from({ length: 500 }, () => rnd());
  const whole = reportedPoints(s, 0.9, 10);
  for (const cut of [1, 37, 250, 499]) assert.deepEqual(reportedPoints(s.subarray(0, cut), 0.9, 10), whole.filter((t) => t < cut));
});
