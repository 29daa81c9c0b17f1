import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { App } from '../types.js';
import { finiteReplies, serializerOptions, withoutNaN } from './finite-replies.js';

test('withoutNaN copies only what leads to a NaN and names each one', () => {
  const untouched = { a: [1, 2], b: { c: 'x' } };
  const found: string[] = [];
  assert.equal(withoutNaN(untouched, found), untouched);
  assert.deepEqual(found, []);
  const input = { a: [1, Number.NaN], b: { c: Number.NaN, d: { e: 1 } }, f: new Float64Array([Number.NaN, 2]) };
  const out = withoutNaN(input, found) as typeof input;
  assert.deepEqual(found, ['a[1]', 'b.c', 'f[0]']);
  assert.deepEqual(out.a, [1, Infinity]);
  assert.equal(out.b.c, Infinity);
  assert.equal(out.b.d, input.b.d, 'a branch without NaN is shared, not copied');
  assert.ok(Number.isNaN(input.a[1]!), 'the input is not modified');
});

test('a reply holding NaN or ±Infinity in number, nullable-number, integer-free and free-form fields serialises with nulls, not a 500', async () => {
  const app = Fastify({ serializerOpts: serializerOptions });
  finiteReplies(app as unknown as App);
  let payload: unknown;
  app.get(
    '/x',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            properties: {
              n: { type: 'number' },
              nullable: { anyOf: [{ type: 'number' }, { type: 'null' }] },
              list: { type: 'array', items: { type: 'number' } },
              free: {},
            },
          },
        },
      },
    },
    async () => payload,
  );
  await app.ready();
  for (const bad of [Number.NaN, Infinity, -Infinity]) {
    payload = { n: bad, nullable: bad, list: [1, bad], free: { deep: [bad] } };
    const r = await app.inject({ method: 'GET', url: '/x' });
    assert.equal(r.statusCode, 200, `${bad}: ${r.body}`);
    assert.deepEqual(r.json(), { n: null, nullable: null, list: [1, null], free: { deep: [null] } });
  }
  payload = { n: 1e308, nullable: -1e308, list: [5e-324], free: 0 };
  assert.deepEqual((await app.inject({ method: 'GET', url: '/x' })).json(), payload);
  await app.close();
});
