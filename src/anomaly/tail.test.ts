import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gaussianSource, seededRandom } from '../forecast/stats.js';
import { confidence } from './calibration.js';
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
