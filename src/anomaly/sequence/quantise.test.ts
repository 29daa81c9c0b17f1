import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BITS, fixedRange, learntRange, levelMask, levelOf, observe, WARM_UP } from './quantise.js';

test('a level is BITS facts, one of each pair, and neighbouring levels share most of them', () => {
  const top = (1 << BITS) - 1;
  const masks = Array.from({ length: top + 1 }, (_, l) => levelMask(l));
  assert.equal(new Set(masks).size, top + 1);
  for (const m of masks) {
    for (let i = 0; i < BITS; i++) assert.equal(((m >> (2 * i)) & 1) + ((m >> (2 * i + 1)) & 1), 1);
  }
  // 0 → 1 changes one bit: the masks share BITS − 1 facts.
  const shared = (a: number, b: number) => [...(a & b).toString(2)].filter((c) => c === '1').length;
  assert.equal(shared(masks[0]!, masks[1]!), BITS - 1);
});

test('levels divide the range as CAD OSE does: the top level holds the maximum only; outside clamps', () => {
  assert.equal(levelOf(0, 0, 7), 0);
  assert.equal(levelOf(6.99, 0, 7), 6);
  assert.equal(levelOf(7, 0, 7), 7);
  assert.equal(levelOf(-5, 0, 7), 0);
  assert.equal(levelOf(100, 0, 7), 7);
  // Other bounds, other levels for the same value.
  assert.notEqual(levelOf(50, 0, 100), levelOf(50, 0, 1000));
});

test('a learnt range is set by the first WARM_UP values, then widened past a new extreme with a margin', () => {
  const r = learntRange();
  for (let i = 0; i < WARM_UP - 1; i++) assert.equal(observe(r, i % 10), false);
  assert.equal(observe(r, 5), true);
  assert.deepEqual([r.lo, r.hi], [0, 9]);
  observe(r, 5);
  assert.deepEqual([r.lo, r.hi], [0, 9]);
  observe(r, 13);
  assert.ok(r.hi > 13 && r.lo === 0, `widened to ${r.hi}`);
  const f = fixedRange(0, 1);
  assert.equal(observe(f, 50), true);
  assert.deepEqual([f.lo, f.hi], [0, 1]);
});
