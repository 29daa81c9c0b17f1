import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dimensionsIdentity, seriesIdentity, type Labels } from './labels.js';

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

describe('dimensionsIdentity', () => {
  test('is the identity after the key: empty without dimensions, else starting with U+0000', () => {
    for (const dims of [{}, { host: 'h1' }, { b: '2', a: '1' }, { __proto__x: 'v', z: '\u0001' }] as Labels[]) {
      assert.equal(seriesIdentity('cpu.usage', dims), `cpu.usage${dimensionsIdentity(dims)}`);
    }
    assert.equal(dimensionsIdentity({}), '');
    assert.equal(dimensionsIdentity({ host: 'h1' }), '\u0000host\u0001h1');
    assert.equal(dimensionsIdentity({ y: '2', x: '1' }), '\u0000x\u00011\u0000y\u00012');
    // Many names (past the memory of name prefixes) still spell each one.
    for (let i = 0; i < 3000; i++) assert.equal(dimensionsIdentity({ [`n${i}`]: 'v' }), `\u0000n${i}\u0001v`);
  });
});
