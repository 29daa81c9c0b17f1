import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../forecast/stats.js';
import { onsetScores } from './onset.js';

test('a score stands only when it beats every score in the window before it', () => {
  const rnd = seededRandom(9);
  const s = Float64Array.from({ length: 500 }, () => rnd());
  const out = onsetScores(s, 7);
  for (let t = 0; t < s.length; t++) {
    let max = -Infinity;
    for (let j = Math.max(0, t - 7); j < t; j++) max = Math.max(max, s[j]!);
    assert.equal(out[t], s[t]! > max ? s[t] : 0, `at ${t}`);
  }
});

test('an episode alerts once at its onset, again when it worsens, and again after the window', () => {
  const s = new Float64Array(200);
  for (let t = 50; t < 80; t++) s[t] = 0.9;
  s[60] = 0.95;
  for (let t = 150; t < 160; t++) s[t] = 0.9;
  const out = onsetScores(s, 20);
  const alerts = [...out.keys()].filter((t) => out[t]! > 0);
  assert.deepEqual(alerts, [50, 60, 150]);
});
