import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { magnitudeScale, scaleDown, scaleUp } from './rescale.js';

describe('rescaling extreme magnitudes', () => {
  test('ordinary magnitudes (and zeros) are left alone', () => {
    for (const y of [[1, 2, 3], [-1e20, 5e25], [1e-20, 3e-25], [0, 0]]) assert.equal(magnitudeScale(y), 1, String(y));
    const y = Float64Array.from([1, 2]);
    assert.equal(scaleDown(y, 1), y);
  });

  test('extreme ones get the power of two that brings them into [1, 2)', () => {
    assert.equal(magnitudeScale([1e308, -1e308]), 2 ** 1023);
    // log2(Number.MAX_VALUE) rounds to 1024; the scale must stay finite.
    assert.equal(magnitudeScale([Number.MAX_VALUE]), 2 ** 1023);
    assert.equal(magnitudeScale([5e-324]), 2 ** -1074);
    const s = magnitudeScale([3e-300, 1e-300]);
    const z = scaleDown(Float64Array.from([3e-300, 1e-300]), s);
    assert.ok(z[0]! >= 1 && z[0]! < 2);
    // Exact: only the exponent changes.
    assert.equal(z[1]! * s, 1e-300);
  });

  test('scaling back clamps to the finite range', () => {
    const p = scaleUp({ mean: Float64Array.from([1.5, -3]), intervals: [{ level: 95, lower: Float64Array.from([-4, -5]), upper: Float64Array.from([4, 0]) }] }, 2 ** 1023);
    assert.deepEqual(Array.from(p.mean), [1.5 * 2 ** 1023, -Number.MAX_VALUE]);
    assert.deepEqual(Array.from(p.intervals[0]!.upper), [Number.MAX_VALUE, 0]);
    assert.ok([...p.intervals[0]!.lower].every(Number.isFinite));
  });
});
