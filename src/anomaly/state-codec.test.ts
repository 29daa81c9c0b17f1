import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeStates, encodeStates } from './state-codec.js';

test('method states round-trip through one byte string, 5 bytes of framing a method', () => {
  const states = { 'sequence-context': Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255), 'é-unicode': new Uint8Array(0), x: Uint8Array.of(1, 2, 3) };
  const bytes = encodeStates(states)!;
  const names = Object.keys(states).reduce((k, n) => k + new TextEncoder().encode(n).length, 0);
  assert.equal(bytes.length, 1 + names + 5 * 3 + 303);
  assert.deepEqual(decodeStates(bytes), states);
  // A view into a larger buffer (as drivers return bytea) decodes the same, and the states are copies.
  const padded = new Uint8Array(bytes.length + 8);
  padded.set(bytes, 4);
  const decoded = decodeStates(padded.subarray(4, 4 + bytes.length));
  assert.deepEqual(decoded, states);
  decoded.x![0] = 99;
  assert.equal(padded[4 + bytes.length - 3], 1);
});

test('no states: null, and null or empty bytes decode to none', () => {
  assert.equal(encodeStates({}), null);
  assert.deepEqual(decodeStates(null), {});
  assert.deepEqual(decodeStates(new Uint8Array(0)), {});
});

test('bytes it did not write are refused', () => {
  const bytes = encodeStates({ m: Uint8Array.of(1, 2, 3, 4) })!;
  assert.throws(() => decodeStates(bytes.subarray(0, bytes.length - 1)), /truncated/);
  assert.throws(() => decodeStates(bytes.subarray(0, 3)), /truncated/);
  assert.throws(() => decodeStates(Uint8Array.of(2, 0)), /version 2/);
  assert.throws(() => encodeStates({ ['n'.repeat(256)]: new Uint8Array(1) }), /255 bytes/);
});
