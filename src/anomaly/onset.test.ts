import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeOnset, encodeOnset, EPISODE_LEVEL, ONSET_WINDOW, onsetScores } from './onset.js';

test('an episode scores in full at its onset, then damped until ONSET_WINDOW quieter points have passed', () => {
  const s = new Float64Array(300).fill(0.1);
  for (let t = 100; t < 140; t++) s[t] = 0.9;
  const out = s.slice();
  onsetScores(out);
  assert.equal(out[100], 0.9);
  for (let t = 101; t < 140; t++) assert.ok(out[t]! < 0.9 * 0.05, `${t}: ${out[t]}`);
  // Damping fades linearly after the last high point, and is gone after the window.
  assert.ok(out[150]! < out[180]! && out[180]! < 0.1);
  assert.equal(out[139 + ONSET_WINDOW], 0.1);
  // Scores below the episode level never start an episode.
  const low = new Float64Array(50).fill(EPISODE_LEVEL - 0.01);
  const copy = low.slice();
  onsetScores(copy);
  assert.deepEqual(copy, low);
});

test('damping continues across runs from the saved last high point', () => {
  const s = Float64Array.from({ length: 400 }, (_, t) => (t % 97 < 5 ? 0.95 : (t % 7) / 10));
  const whole = s.slice();
  const last = onsetScores(whole);
  assert.ok(Number.isFinite(last));
  for (const cut of [0, 98, 100, 250]) {
    const first = s.slice(0, cut);
    const saved = encodeOnset(onsetScores(first), cut);
    const second = s.slice();
    onsetScores(second, cut, decodeOnset(saved, cut));
    assert.deepEqual(Array.from(second.subarray(cut)), Array.from(whole.subarray(cut)), `cut ${cut}`);
  }
  assert.equal(decodeOnset(undefined, 10), -Infinity);
});
