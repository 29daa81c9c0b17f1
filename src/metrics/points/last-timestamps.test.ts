import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LastTimestamps } from './last-timestamps.js';

test('remember only raises a series\' newest time, never lowers it', () => {
  const m = new LastTimestamps();
  assert.equal(m.get(1), undefined);
  m.remember(new Map([[1, 1000], [2, -Infinity]]));
  assert.equal(m.get(1), 1000);
  assert.equal(m.get(2), -Infinity);
  m.remember(new Map([[1, 500], [2, 7]]));
  assert.equal(m.get(1), 1000);
  assert.equal(m.get(2), 7);
  m.remember(new Map([[1, 1001]]));
  assert.equal(m.get(1), 1001);
  assert.equal(m.size, 2);
});

test('bounded: when full, the oldest half of the series is forgotten and the newest kept', () => {
  const m = new LastTimestamps(4);
  for (let id = 1; id <= 4; id++) m.remember(new Map([[id, id * 10]]));
  assert.equal(m.size, 4);
  // Raising a known series adds nothing.
  m.remember(new Map([[4, 41]]));
  assert.equal(m.size, 4);
  m.remember(new Map([[5, 50]]));
  assert.equal(m.size, 3);
  assert.deepEqual([1, 2, 3, 4, 5].map((id) => m.get(id)), [undefined, undefined, 30, 41, 50]);
});
