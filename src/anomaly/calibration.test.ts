import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confidence, robustZ, thresholdFor, Z_HALF, zForConfidence } from './calibration.js';
import { severityOf } from './severity.js';

test('confidence: 0 at 0, ½ at Z_HALF, increasing, 1 at infinity, inverted by zForConfidence', () => {
  assert.equal(confidence(0), 0);
  assert.equal(confidence(Z_HALF), 0.5);
  assert.equal(confidence(Infinity), 1);
  let prev = -1;
  for (let z = 0; z <= 20; z += 0.25) {
    const s = confidence(z);
    assert.ok(s > prev || (s === 0 && prev === -1));
    assert.ok(Math.abs(zForConfidence(s) - z) < 1e-9);
    prev = s;
  }
});

test('robustZ handles a zero scale: no departure is 0, any departure is infinite', () => {
  assert.equal(robustZ(-6, 2), 3);
  assert.equal(robustZ(0, 0), 0);
  assert.equal(robustZ(1e-9, 0), Infinity);
});

test('thresholdFor is strictly decreasing, above every score at 0, reachable at 1', () => {
  assert.ok(thresholdFor(0) > 1);
  assert.ok(thresholdFor(1) < 1);
  assert.equal(thresholdFor(0.5), 0.56);
  for (let i = 0; i < 100; i++) assert.ok(thresholdFor((i + 1) / 100) < thresholdFor(i / 100), `at ${i / 100}`);
});

test('severity bands: fixed on the score, the default threshold falls in "low"', () => {
  assert.equal(severityOf(thresholdFor(0.5)), 'low');
  assert.equal(severityOf(0.849), 'low');
  assert.equal(severityOf(0.85), 'medium');
  assert.equal(severityOf(0.92), 'high');
  assert.equal(severityOf(0.969), 'high');
  assert.equal(severityOf(0.97), 'critical');
  assert.equal(severityOf(1), 'critical');
});
