import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIT_EVERY, AdmittedFifo, CALM, EpisodeGuard, GUARD_Z, setGuardEnabled } from './guard.js';

test('an episode enters at its first point, then one point in ADMIT_EVERY; calm points always enter', () => {
  const g = new EpisodeGuard();
  assert.equal(g.admit(1), true);
  assert.equal(g.admit(NaN), true);
  const admitted: number[] = [];
  for (let k = 0; k < 3 * ADMIT_EVERY; k++) if (g.admit(GUARD_Z + 1)) admitted.push(k);
  assert.deepEqual(admitted, [0, ADMIT_EVERY, 2 * ADMIT_EVERY]);
  // A calm point inside the episode enters, and the episode goes on (fewer than CALM in a row)...
  assert.equal(g.admit(0), true);
  assert.equal(g.admit(GUARD_Z + 1), true); // its point 3·ADMIT_EVERY
  assert.equal(g.admit(0), true);
  assert.equal(g.admit(GUARD_Z + 1), false); // point 3·ADMIT_EVERY + 1: not a new episode's first
  // ...while CALM calm points end it: the next extreme point starts a new episode and enters.
  for (let k = 0; k < CALM; k++) g.admit(0);
  assert.equal(g.admit(GUARD_Z + 1), true);
  assert.equal(g.admit(GUARD_Z + 1), false);
});

test('switched off, the guard admits everything', () => {
  setGuardEnabled(false);
  try {
    const g = new EpisodeGuard();
    for (let k = 0; k < 50; k++) assert.equal(g.admit(100), true);
  } finally {
    setGuardEnabled(true);
  }
});

test('the admitted FIFO evicts its oldest index once full', () => {
  const f = new AdmittedFifo(3);
  assert.deepEqual([5, 7, 9].map((i) => f.push(i)), [-1, -1, -1]);
  assert.deepEqual([11, 12, 20, 21].map((i) => f.push(i)), [5, 7, 9, 11]);
  assert.equal(f.size, 3);
});
