import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdTable } from './id-table.js';

test('IdTable: ids numbered in first-seen order, found again, absent ones −1; ids past 2^32 kept apart', () => {
  const big = 2 ** 40 + 7;
  const t = new IdTable(5);
  assert.equal(t.add(42), 0);
  assert.equal(t.add(7), 1);
  assert.equal(t.add(42), 0, 'seen: the same number, nothing added');
  assert.equal(t.add(big), 2);
  assert.equal(t.add(7 + 2 ** 32), 3, 'the same low 32 bits as 7, another id');
  assert.equal(t.size, 4);
  assert.deepEqual([...t.ids.subarray(0, t.size)], [42, 7, big, 7 + 2 ** 32]);
  assert.equal(t.find(7), 1);
  assert.equal(t.find(big), 2);
  assert.equal(t.find(8), -1);
  assert.equal(t.size, 4, 'find adds nothing');
});

test('IdTable: thousands of ids, colliding and not, each once; more distinct ids than its capacity throw', () => {
  const t = new IdTable(3000);
  // Multiples of the table size collide in the low bits the hash mixes.
  const ids = Array.from({ length: 3000 }, (_, i) => (i % 2 ? (i + 1) * 8192 : i + 1));
  ids.forEach((id, i) => assert.equal(t.add(id), i));
  ids.forEach((id, i) => assert.equal(t.find(id), i));
  assert.equal(t.size, 3000);
  assert.throws(() => t.add(10 ** 9), RangeError);
});
