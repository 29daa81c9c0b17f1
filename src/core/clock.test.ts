import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedClock, nowMs, systemClock } from './clock.js';

test('a fixed clock answers the same instant, as a fresh Date each time', () => {
  const at = Date.UTC(2026, 5, 15, 12);
  for (const clock of [fixedClock(at), fixedClock(new Date(at))]) {
    const a = clock();
    a.setTime(0); // a caller mutating its Date does not move the clock
    assert.equal(nowMs(clock), at);
    assert.notEqual(clock(), clock());
  }
});

test('the system clock is the wall clock', () => {
  const before = Date.now();
  const t = nowMs(systemClock);
  assert.ok(t >= before && t <= Date.now());
});
