import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VouchedKeys } from './vouched-keys.js';

test('VouchedKeys: a verification vouches for ttl ms, renewed by the next; delete ends it; the oldest go past the cap', () => {
  const v = new VouchedKeys(1000, 3);
  const [a, b, c, d] = ['iv_a', 'iv_b', 'iv_c', 'iv_d'].map((p) => p.padEnd(35, 'x'));
  assert.equal(v.has(a!, 0), false);
  v.add(a!, 0);
  assert.equal(v.has(a!, 999), true);
  assert.equal(v.has(a!, 1000), false);
  v.add(a!, 900);
  assert.equal(v.has(a!, 1899), true);
  v.delete(a!);
  assert.equal(v.has(a!, 901), false);
  for (const k of [a, b, c]) v.add(k!, 10);
  v.add(a!, 20); // renewed: now the newest
  v.add(d!, 30); // over the cap of 3: b, the oldest, goes
  assert.deepEqual([a, b, c, d].map((k) => v.has(k!, 40)), [true, false, true, true]);
});
