import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { App } from '../types.js';
import { BodyFlag, bodyFlags, jsonBodies, maxJsonDepth, nonFinitePaths, scanJson } from './json-body.js';

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

test('bodyFlags: one walk of the parsed body finds nesting past the limit, __proto__ and constructor keys, non-finite numbers', () => {
  const cases: [string, unknown, number][] = [
    ['an ingest body', JSON.parse('{"metrics":[{"key":"a","value":1.5,"timestamp":1765000000000,"dimensions":{"host":"h1"}}]}'), 0],
    ['scalars', JSON.parse('"x"'), 0],
    ['null', null, 0],
    ['the limit in objects', JSON.parse(objects(maxJsonDepth)), 0],
    ['the limit in arrays', JSON.parse(arrays(maxJsonDepth)), 0],
    ['one past it', JSON.parse(objects(maxJsonDepth + 1)), BodyFlag.tooDeep],
    ['mixed, one past it', JSON.parse(`[${objects(maxJsonDepth)}]`), BodyFlag.tooDeep],
    // JSON.parse builds any nesting without a deep stack; the walk stops at the first level past the limit.
    ['10,000 deep', JSON.parse(arrays(10_000)), BodyFlag.tooDeep],
    ['a __proto__ key', JSON.parse('{"a":[{"__proto__":{"x":1}}]}'), BodyFlag.suspectKey],
    ['a constructor key', JSON.parse('{"constructor":"x"}'), BodyFlag.suspectKey],
    ['an escaped __proto__ key', JSON.parse('{"\\u005f_proto__":1}'), BodyFlag.suspectKey],
    ['a __proto__ string value is no key', JSON.parse('{"a":"__proto__","b":["constructor"]}'), 0],
    ['1e999 in an object', JSON.parse('{"a":{"b":1e999}}'), BodyFlag.nonFinite],
    ['-1e999 in an array', JSON.parse('[1,[2,-1e999]]'), BodyFlag.nonFinite],
    ['1e999 at the top', JSON.parse('1e999'), BodyFlag.nonFinite],
    ['several at once', JSON.parse('{"constructor":1e999}'), BodyFlag.suspectKey | BodyFlag.nonFinite],
  ];
  for (const [name, value, flags] of cases) assert.equal(bodyFlags(value), flags, name);
});

test('bodyFlags finds nothing only where the scan and secure-json-parse accept the text as it parses', () => {
  const texts = [
    '{"metrics":[{"key":"a","value":1,"timestamp":1765000000000,"dimensions":{"host":"h1","__x":"y"}}]}',
    '[1, -2.5, 1e308, -1.7976931348623157e308, 1e-400, 5e-324, -0, 1e99]',
    objects(maxJsonDepth),
    arrays(maxJsonDepth),
    JSON.stringify({ a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{', b: '"__proto__":' }),
    `[0.${'0'.repeat(300)}1e310]`,
    '{"e": true, "E": false, "x": null, "s": "1e999"}',
  ];
  for (const text of texts) {
    const parsed: unknown = JSON.parse(text);
    assert.equal(bodyFlags(parsed), 0, text.slice(0, 60));
    const scan = scanJson(text);
    assert.equal(scan.tooDeepAt, 0, text.slice(0, 60));
    assert.ok(!scan.overflow || nonFinitePaths(parsed).length === 0, text.slice(0, 60));
  }
});

/** What the app's JSON parser makes of `text`: the parsed body, or the error's code. */
async function parsedBy(text: string): Promise<{ status: number; body: unknown }> {
  const app = Fastify({ logger: false });
  jsonBodies(app as unknown as App);
  app.post('/x', async (req) => ({ body: req.body }));
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => reply.status(err.statusCode ?? 400).send({ code: err.code }));
  const r = await app.inject({ method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: text });
  await app.close();
  return { status: r.statusCode, body: r.json() };
}

test('the parser: bodies the walk flags take the full path and are answered as before', async () => {
  assert.deepEqual(await parsedBy('{"a":[1,{"b":"c"}]}'), { status: 200, body: { body: { a: [1, { b: 'c' }] } } });
  assert.deepEqual(await parsedBy(objects(maxJsonDepth + 1)), { status: 400, body: { code: 'json_too_deep' } });
  // Too deep and invalid: the scan of the text answers first, as it did before the parse.
  assert.deepEqual(await parsedBy(arrays(10_000).slice(0, -1)), { status: 400, body: { code: 'json_too_deep' } });
  assert.deepEqual(await parsedBy('{"a":1e999}'), { status: 400, body: { code: 'validation_failed' } });
  assert.deepEqual(await parsedBy('{"a":"__proto__"}'), { status: 200, body: { body: { a: '__proto__' } } });
  assert.deepEqual((await parsedBy('{"__proto__":{"x":1}}')).body, { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
  assert.deepEqual((await parsedBy('{"constructor":{"prototype":{"x":1}}}')).body, { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
  // A constructor key without an own prototype is no poisoning: accepted, as secure-json-parse accepts it.
  assert.deepEqual(await parsedBy('{"constructor":{"name":"x"}}'), { status: 200, body: { body: { constructor: { name: 'x' } } } });
  assert.deepEqual(await parsedBy('\ufeff{"a":1}'), { status: 200, body: { body: { a: 1 } } }); // a leading BOM, as Fastify's parser allows
  assert.deepEqual((await parsedBy('{"a":')).body, { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
});

test('the parser judges the value JSON.parse builds: nesting under a key that a later duplicate replaces is gone', async () => {
  assert.deepEqual(await parsedBy(`{"a":${arrays(maxJsonDepth + 5)},"a":1}`), { status: 200, body: { body: { a: 1 } } });
});
