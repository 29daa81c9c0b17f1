import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, requestFingerprint } from './idempotency.js';

test('canonicalJson: keys sorted at every depth, arrays in order, JSON spelling of values', () => {
  const table: [unknown, string][] = [
    [null, 'null'],
    [1.5, '1.5'],
    ['a"b\n', '"a\\"b\\n"'],
    [[3, 1, 2], '[3,1,2]'],
    [{ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}'],
    [{ é: 1, z: 2, Z: 3, '10': 4, '9': 5 }, '{"10":4,"9":5,"Z":3,"z":2,"é":1}'], // code-unit order, numeric-looking keys too
    [JSON.parse('{"__proto__": {"x": 1}, "a": 2}'), '{"__proto__":{"x":1},"a":2}'],
    [{ a: undefined, b: [undefined] }, '{"b":[null]}'],
  ];
  for (const [value, want] of table) assert.equal(canonicalJson(value), want, JSON.stringify(value));
});

test('requestFingerprint: equal for reordered keys and respelled numbers, different for another route, order of items or value', () => {
  const a = requestFingerprint('POST /x', JSON.parse('{"m":[{"k":"a","v":1.0}],"s":"w"}'));
  assert.equal(requestFingerprint('POST /x', JSON.parse('{ "s": "w", "m": [ { "v": 1, "k": "a" } ] }')), a);
  assert.notEqual(requestFingerprint('POST /y', JSON.parse('{"m":[{"k":"a","v":1}],"s":"w"}')), a);
  assert.notEqual(requestFingerprint('POST /x', JSON.parse('{"m":[{"k":"a","v":1.01}],"s":"w"}')), a);
  assert.notEqual(requestFingerprint('POST /x', { m: [1, 2] }), requestFingerprint('POST /x', { m: [2, 1] }));
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('canonicalJson: the spelling of the map/sort/join definition, for holes, escaped and repeated keys too', () => {
  // The definition the fingerprints stored so far were made with.
  const reference = (value: unknown): string => {
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
    if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  };
  const values: unknown[] = [
    [1, , 2], // a hole
    [undefined, null, Number.NaN, -0, 1e21, 5e-324, Number.NEGATIVE_INFINITY],
    { 'a"b': 1, 'a\\b': { '\n': 'x', '\u2028': '\ud800' }, '': [] },
    JSON.parse('{"metrics":[{"key":"a","value":1.25,"timestamp":1765000000000,"dimensions":{"host":"h1"}},{"value":2,"key":"a","dimensions":{"b":"2","a":"1"}}],"source":"s"}'),
    Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i])), // more keys than are remembered
    { b: { d: 1, c: 2 }, a: [{ z: true, y: false }] },
  ];
  for (const v of values) assert.equal(canonicalJson(v), reference(v));
});
