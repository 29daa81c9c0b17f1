import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaussianSource, seededRandom } from '../forecast/stats.js';
import { confidence } from './calibration.js';
import { setGuardEnabled } from './guard.js';
import { calibratedScores } from './tail.js';

const absGauss = (n: number, seed: number) => {
  const g = gaussianSource(seededRandom(seed));
  return Float64Array.from({ length: n }, () => Math.abs(g()));
};

test('the history only ever lowers a score, and leaves Gaussian extremes nearly as they are', () => {
  const z = absGauss(3000, 1);
  z[2500] = 5;
  for (const mode of ['online', 'batch'] as const) {
    const s = calibratedScores(z, mode);
    for (let t = 0; t < z.length; t++) assert.ok(s[t]! <= confidence(z[t]!) + 1e-15, `${mode} ${t}`);
    // A 5σ point among Gaussian z's is still far beyond the 4σ mark.
    assert.ok(s[2500]! > confidence(4), `${mode}: ${s[2500]}`);
  }
});

test('a deviation the series shows every day is not surprising; a larger one still is', () => {
  const z = absGauss(3000, 2);
  for (let t = 100; t < 3000; t += 40) z[t] = 6 + (t % 3); // frequent "6σ" blips
  z[2900] = 30;
  const s = calibratedScores(z, 'online');
  assert.ok(s[2820]! < 0.6, `routine blip scored ${s[2820]}`);
  assert.ok(s[2900]! > 0.9, `new extreme scored ${s[2900]}`);
});

test('a sustained episode does not excuse itself: its later points still score high', () => {
  const z = absGauss(2000, 3);
  for (let t = 1500; t < 1540; t++) z[t] = 8;
  for (const mode of ['online', 'batch'] as const) {
    const s = calibratedScores(z, mode);
    assert.ok(s[1539]! > 0.9, `${mode}: last point of the episode scored ${s[1539]}`);
  }
});

test('NaN z (warm-up) scores 0 and stays out of the history; online scores are causal', () => {
  const z = absGauss(1500, 4);
  for (let t = 0; t < 100; t++) z[t] = NaN;
  const whole = calibratedScores(z, 'online');
  for (let t = 0; t < 100; t++) assert.equal(whole[t], 0);
  for (const cut of [150, 777, 1234]) assert.deepEqual(Array.from(calibratedScores(z.subarray(0, cut), 'online')), Array.from(whole.subarray(0, cut)));
});

test('online, a long episode never becomes its own history: with the guard it stays rare, without it it is soon routine', () => {
  const z = absGauss(5000, 5);
  const g = gaussianSource(seededRandom(6));
  for (let t = 2500; t < 4000; t++) z[t] = 8 + Math.abs(g());
  const guarded = calibratedScores(z, 'online');
  setGuardEnabled(false);
  let plain: Float64Array;
  try {
    plain = calibratedScores(z, 'online');
  } finally {
    setGuardEnabled(true);
  }
  for (const t of [2700, 3000, 3500, 3999]) assert.ok(guarded[t]! > 0.8, `guarded, ${t}: ${guarded[t]}`);
  assert.ok(plain[3999]! < 0.5, `without the guard the episode's end scored ${plain[3999]}`);
  // After it, normal z's score as normal again.
  for (let t = 4100; t < 5000; t++) assert.ok(guarded[t]! <= confidence(z[t]!) + 1e-15);
});

test('online, a burst that keeps coming back is learnt from its onsets and becomes routine', () => {
  const z = absGauss(6000, 7);
  for (let s = 200; s < 6000; s += 150) for (let k = 0; k < 6; k++) z[s + k] = 7;
  const s = calibratedScores(z, 'online');
  assert.ok(s[200]! > 0.8, `first burst scored ${s[200]}`);
  assert.ok(s[5900]! < 0.5, `a late burst still scored ${s[5900]}`);
});
