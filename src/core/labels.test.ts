import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seriesIdentity } from './labels.js';

describe('seriesIdentity', () => {
  test('ignores dimension order, distinguishes keys, names and values', () => {
    assert.equal(seriesIdentity('a', { x: '1', y: '2' }), seriesIdentity('a', { y: '2', x: '1' }));
    const distinct = [
      seriesIdentity('a', {}),
      seriesIdentity('b', {}),
      seriesIdentity('a', { x: '1' }),
      seriesIdentity('a', { x: '2' }),
      seriesIdentity('a', { y: '1' }),
      seriesIdentity('a', { x: '1', y: '2' }),
      // No concatenation ambiguity between name and value.
      seriesIdentity('a', { xy: '' }),
      seriesIdentity('a', { x: 'y' }),
    ];
    assert.equal(new Set(distinct).size, distinct.length);
  });
});
