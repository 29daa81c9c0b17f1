import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesCache } from './series-cache.js';

test('series ids are kept per organisation: the same identity in two organisations is two series', () => {
  const c = new SeriesCache(10);
  c.set('org-a', 'cpu', 1);
  c.set('org-b', 'cpu', 2);
  c.set('org-a', 'cpu', 1);
  assert.equal(c.get('org-a', 'cpu'), 1);
  assert.equal(c.get('org-b', 'cpu'), 2);
  assert.equal(c.get('org-c', 'cpu'), undefined);
  assert.equal(c.size, 2);
});

test('when full, the oldest half is dropped and the size stays bounded', () => {
  const c = new SeriesCache(8);
  for (let i = 0; i < 8; i++) c.set(i % 2 ? 'org-a' : 'org-b', `s${i}`, i);
  assert.equal(c.size, 8);
  c.set('org-a', 's8', 8);
  assert.equal(c.size, 5);
  assert.equal(c.get('org-a', 's8'), 8);
  // The newest entries before the drop survive; the oldest went.
  assert.equal(c.get('org-b', 's0'), undefined);
  let kept = 0;
  for (let i = 0; i < 8; i++) if (c.get(i % 2 ? 'org-a' : 'org-b', `s${i}`) !== undefined) kept++;
  assert.equal(kept, 4);
  for (let i = 9; i < 100; i++) c.set('org-c', `s${i}`, i);
  assert.ok(c.size <= 8);
  assert.equal(c.get('org-c', 's99'), 99);
});
