import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxJsonDepth, nonFinitePaths, scanJson } from './json-body.js';

const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

test('scanJson: nesting depth counts objects and arrays, not brackets inside strings', () => {
  const cases: [string, string, number][] = [
    ['a scalar', '1', 0],
    ['the limit in objects', objects(maxJsonDepth), 0],
    ['the limit in arrays', arrays(maxJsonDepth), 0],
    ['one past it', objects(maxJsonDepth + 1), maxJsonDepth + 1],
    ['mixed, one past it', `[${objects(maxJsonDepth)}]`, maxJsonDepth + 1],
    ['10,000 deep: stops at the first level past the limit', arrays(10_000), maxJsonDepth + 1],
    ['brackets in a string', JSON.stringify({ a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{' }), 0],
    ['an escaped quote does not end the string', `{"a":"\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}`, 0],
    ['siblings do not add up', `[${Array.from({ length: 100 }, () => arrays(30)).join(',')}]`, 0],
  ];
  for (const [name, text, tooDeepAt] of cases) assert.equal(scanJson(text).tooDeepAt, tooDeepAt, name);
});

test('an overflowing number literal is always flagged by the scan and found in the parsed body; finite ones are not reported', () => {
  const cases: [string, boolean][] = [
    ['[1, -2.5, 1e308, -1.7976931348623157e308, 1e-400, 5e-324, -0, 1e99]', false],
    ['{"a":1e999}', true],
    ['[-1E999]', true],
    ['[1.8e308]', true],
    ['[1e+0309]', true],
    [`[1${'0'.repeat(309)}]`, true], // 1e309 without an exponent
    [`[1${'0'.repeat(299)}e10]`, true], // 1e309 from a long mantissa and a short exponent
    [`[1${'0'.repeat(308)}]`, false], // 1e308
    [`[0.${'0'.repeat(300)}1e310]`, false], // 1e9: flagged by the scan, finite once parsed
    ['["1e999", "Infinity", "3e123-uuid"]', false], // text, not numbers
    ['{"e": true, "E": false, "x": null}', false],
  ];
  for (const [text, overflows] of cases) {
    const flagged = scanJson(text).overflow;
    if (overflows) assert.ok(flagged, `the scan misses ${text.slice(0, 60)}`);
    assert.equal(flagged && nonFinitePaths(JSON.parse(text)).length > 0, overflows, text.slice(0, 60));
  }
  assert.equal(scanJson('[1, 2.5e10, 123456789012345]').overflow, false, 'common numbers cost no walk');
});

test('nonFinitePaths names each non-finite number by its path in the body, at most 10', () => {
  assert.deepEqual(nonFinitePaths(JSON.parse('{"metrics":[{"value":1},{"value":1e999,"d":{"x":[0,-1e999]}}]}')), ['body.metrics[1].value', 'body.metrics[1].d.x[1]']);
  assert.deepEqual(nonFinitePaths(JSON.parse('1e999')), ['body']);
  assert.equal(nonFinitePaths(JSON.parse(`[${Array(50).fill('1e999').join(',')}]`)).length, 10);
  assert.deepEqual(nonFinitePaths({ ok: [1, 2, 'x'] }), []);
});
