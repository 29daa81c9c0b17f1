import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../src/app.js';
import { hashApiKey, touchApiKey } from '../src/auth/api-keys.js';
import { createLogger } from '../src/core/logger.js';
import { RateLimiter } from '../src/ratelimit/limiter.js';
import { MemoryRateLimitStore } from '../src/ratelimit/memory-store.js';
import type { Sql } from '../src/store/sql.js';
import { storeKinds } from './helpers/stores.js';
import { bearer, LogCapture, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { snappyBlock, writeRequestV1 } from './helpers/prometheus.js';

const keyFormat = /^iv_[A-Za-z0-9_-]{32}$/;
/** Well formed, but no such key exists. */
const unknownKey = `iv_${'A'.repeat(32)}`;
const randomUuid = '00000000-0000-4000-8000-000000000000';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;

/** Asserts a `{error: {code, message}}` body with this status and code; returns the error object. */
function assertError(r: Injected, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(r.statusCode, status, r.body);
  assert.match(r.headers['content-type'] as string, /application\/json/);
  const body = r.json();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code, r.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  for (const k of Object.keys(body.error)) assert.ok(['code', 'message', 'details'].includes(k), `unexpected error field ${k}`);
  return body.error;
}

/** Polls `fn` until it returns a defined value (fire-and-forget writes land shortly after the response). */
async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The real store, recording the text of every statement sent through it. */
function recording(sql: Sql, seen: string[]): Sql {
  return {
    driver: sql.driver,
    query<R>(text: string, params?: readonly unknown[]) {
      seen.push(text);
      return sql.query<R>(text, params);
    },
    exec: (script) => sql.exec(script),
    transaction: (fn) => sql.transaction(fn),
    ping: () => sql.ping(),
    close: async () => undefined,
  };
}

for (const kind of storeKinds) {
  describe(`API keys and scopes over HTTP (${kind.name})`, () => {
    let t: TestApp;
    /** Added to the app's wall clock; tests that move time reset it. */
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);

    before(async () => {
      t = await startTestApp({ kind, now: clock });
    });
    after(async () => t.close());

    const get = (url: string, key: string, app = t) => app.app.inject({ method: 'GET', url, headers: bearer(key) });

    describe('presenting a key', () => {
      test('accepted as Authorization: Bearer and as X-API-Key', async () => {
        const viaBearer = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { authorization: `Bearer ${t.adminKey}` } });
        assert.equal(viaBearer.statusCode, 200, viaBearer.body);
        assert.equal(viaBearer.json().id, t.org.id);
        const lowerScheme = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { authorization: `bearer ${t.adminKey}` } });
        assert.equal(lowerScheme.statusCode, 200, lowerScheme.body);
        const viaHeader = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { 'x-api-key': t.adminKey } });
        assert.equal(viaHeader.statusCode, 200, viaHeader.body);
        assert.equal(viaHeader.json().id, t.org.id);
      });

      test('no key: 401 missing_api_key', async () => {
        for (const headers of [{}, { authorization: '' }, { 'x-api-key': '   ' }]) {
          const r = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers });
          const err = assertError(r, 401, 'missing_api_key');
          assert.match(err.message, /Bearer/);
        }
      });

      test('malformed or unknown key: 401 invalid_api_key', async () => {
        const variants: Record<string, string>[] = [
          { authorization: 'Bearer nope' },
          { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
          { authorization: `Bearer ${t.adminKey}x` },
          { authorization: `Bearer ${t.adminKey.slice(0, -1)}` },
          { authorization: 'Bearer ' },
          { authorization: `Bearer ${unknownKey}` },
          { 'x-api-key': unknownKey },
          { 'x-api-key': 'iv_short' },
          // A malformed Authorization header is not silently ignored in favour of X-API-Key.
          { authorization: 'Token abc', 'x-api-key': t.adminKey },
        ];
        for (const headers of variants) {
          const r = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers });
          assertError(r, 401, 'invalid_api_key');
          assert.ok(!r.body.includes(t.org.id), 'an invalid key learns nothing about any org');
        }
      });

      test('expired key: 401 expired_api_key (created expired, or expiring as time passes)', async () => {
        const expired = await t.newKey(['*'], undefined, { expiresAt: new Date(Date.now() - 1000) });
        const r = await get('/api/v1/orgs/current', expired.secret);
        const err = assertError(r, 401, 'expired_api_key');
        assert.match(err.message, /expired/);

        const soon = await t.newKey(['*'], undefined, { expiresAt: new Date(Date.now() + 3600_000) });
        assert.equal((await get('/api/v1/orgs/current', soon.secret)).statusCode, 200);
        offsetMs = 2 * 3600_000;
        try {
          assertError(await get('/api/v1/orgs/current', soon.secret), 401, 'expired_api_key');
          // Listings show it as expired too.
          const listed = await get(`/api/v1/keys/${soon.id}`, t.adminKey);
          assert.equal(listed.json().status, 'expired');
        } finally {
          offsetMs = 0;
        }
        assert.equal((await get('/api/v1/orgs/current', soon.secret)).statusCode, 200);
      });

      test('revoked key: 401 revoked_api_key', async () => {
        const k = await t.newKey(['read']);
        assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
        await t.sql.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [k.id]);
        const err = assertError(await get('/api/v1/orgs/current', k.secret), 401, 'revoked_api_key');
        assert.match(err.message, /revoked/);
        // Also when sent as X-API-Key.
        assertError(await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { 'x-api-key': k.secret } }), 401, 'revoked_api_key');
      });
    });

    describe('scopes', () => {
      test('a read key on an admin route: 403 insufficient_scope naming "admin"', async () => {
        const k = await t.newKey(['read']);
        for (const [method, url, payload] of [
          ['GET', '/api/v1/keys', undefined],
          ['POST', '/api/v1/keys', { name: 'x', scopes: ['read'] }],
          ['GET', `/api/v1/keys/${k.id}`, undefined],
          ['DELETE', `/api/v1/keys/${k.id}`, undefined],
          ['POST', '/api/v1/orgs', { name: 'X' }],
        ] as const) {
          const r = await t.app.inject({ method, url, headers: bearer(k.secret), payload });
          const err = assertError(r, 403, 'insufficient_scope');
          assert.match(err.message, /"admin"/, `${method} ${url}`);
          assert.deepEqual(err.details, { required: 'admin', granted: ['read'] });
        }
        // Nothing happened: the key is not revoked and no key was created.
        assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
        const names = (await get('/api/v1/keys', t.adminKey)).json().keys.map((x: { name: string }) => x.name);
        assert.ok(!names.includes('x'));
      });

      test('the read key passes read routes', async () => {
        const k = await t.newKey(['read']);
        const r = await get('/api/v1/orgs/current', k.secret);
        assert.equal(r.statusCode, 200, r.body);
      });

      test('a write key cannot list keys', async () => {
        const k = await t.newKey(['write']);
        const err = assertError(await get('/api/v1/keys', k.secret), 403, 'insufficient_scope');
        assert.match(err.message, /"admin"/);
        assert.match(err.message, /"write"/);
      });

      test('an admin key passes admin routes', async () => {
        const k = await t.newKey(['admin']);
        assert.equal((await get('/api/v1/keys', k.secret)).statusCode, 200);
      });

      test('a key can grant only the scopes it holds', async () => {
        const k = await t.newKey(['admin', 'read']);
        const ok = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(k.secret), payload: { name: 'reader', scopes: ['read'] } });
        assert.equal(ok.statusCode, 201, ok.body);
        for (const scopes of [['write'], ['*'], ['read', 'write']]) {
          const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(k.secret), payload: { name: 'stronger', scopes } });
          const err = assertError(r, 403, 'insufficient_scope');
          assert.ok(!(err.details as { required: string[] }).required.includes('read'));
        }
        const star = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name: 'all', scopes: ['*'] } });
        assert.equal(star.statusCode, 201);
      });

      test('a * key passes every route', async () => {
        const k = await t.newKey(['*']);
        assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
        assert.equal((await get('/api/v1/keys', k.secret)).statusCode, 200);
        const created = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(k.secret), payload: { name: 'by star', scopes: ['read'] } });
        assert.equal(created.statusCode, 201, created.body);
        assert.equal((await get(`/api/v1/keys/${created.json().id}`, k.secret)).statusCode, 200);
        assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${created.json().id}`, headers: bearer(k.secret) })).statusCode, 200);
        // Non-platform org: past the scope check, refused by the org rule instead.
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: bearer(k.secret), payload: { name: 'Nope' } }), 403, 'forbidden');
      });
    });

    describe('key management', () => {
      test('POST /api/v1/keys: 201 with the secret once; the new key works', async () => {
        const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
        const r = await t.app.inject({
          method: 'POST',
          url: '/api/v1/keys',
          headers: bearer(t.adminKey),
          payload: { name: 'ingest bot', scopes: ['read', 'write'], rateLimit: { max: 100, windowSeconds: 60 }, expiresAt },
        });
        assert.equal(r.statusCode, 201, r.body);
        const body = r.json();
        assert.match(body.key, keyFormat);
        assert.equal(typeof body.prefix, 'string');
        assert.ok(body.prefix.length >= 4 && body.prefix.length < body.key.length);
        assert.ok(body.key.startsWith(body.prefix));
        assert.match(body.id, /^[0-9a-f-]{36}$/);
        assert.equal(body.name, 'ingest bot');
        assert.deepEqual(body.scopes, ['read', 'write']);
        assert.deepEqual(body.rateLimit, { max: 100, windowSeconds: 60 });
        assert.equal(new Date(body.expiresAt).getTime(), new Date(expiresAt).getTime());
        assert.equal(body.status, 'active');
        assert.equal(body.revokedAt, null);
        assert.equal(body.lastUsedAt, null);

        const use = await get('/api/v1/orgs/current', body.key);
        assert.equal(use.statusCode, 200, use.body);
        assert.equal(use.json().id, t.org.id);
        // Its scopes hold: no admin.
        assertError(await get('/api/v1/keys', body.key), 403, 'insufficient_scope');

        // The secret is only in the creation response: reading the key back never shows it.
        const again = await get(`/api/v1/keys/${body.id}`, t.adminKey);
        assert.equal(again.statusCode, 200);
        assert.ok(!again.body.includes(body.key));
        assert.equal(again.json().key, undefined);
        // Nor is it stored: the row holds a hash, not the key.
        const row = await t.sql.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [body.id]);
        assert.ok(!JSON.stringify(row.rows[0]).includes(body.key));
      });

      test('POST /api/v1/keys without optional fields: no expiry, no own limit', async () => {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name: 'plain', scopes: ['read'] } });
        assert.equal(r.statusCode, 201, r.body);
        assert.equal(r.json().expiresAt, null);
        assert.equal(r.json().rateLimit, null);
        assert.match(r.json().key, keyFormat);
      });

      test('two created keys never share a secret', async () => {
        const a = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name: 'a', scopes: ['read'] } });
        const b = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name: 'b', scopes: ['read'] } });
        assert.notEqual(a.json().key, b.json().key);
        assert.notEqual(a.json().id, b.json().id);
      });

      test('expiresAt in the past: 400 validation_failed naming the field', async () => {
        for (const expiresAt of [new Date(Date.now() - 60_000).toISOString(), '2001-01-01T00:00:00Z']) {
          const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name: 'late', scopes: ['read'], expiresAt } });
          const err = assertError(r, 400, 'validation_failed');
          assert.ok(JSON.stringify(err.details).includes('body.expiresAt'), JSON.stringify(err));
        }
        const names = (await get('/api/v1/keys', t.adminKey)).json().keys.map((k: { name: string }) => k.name);
        assert.ok(!names.includes('late'), 'no key was created');
      });

      test('GET /api/v1/keys lists the keys without any secret', async () => {
        const secrets = [t.adminKey];
        for (const name of ['list-1', 'list-2']) {
          const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { name, scopes: ['read'] } });
          secrets.push(r.json().key);
        }
        secrets.push((await t.newKey(['write'])).secret);
        const r = await get('/api/v1/keys', t.adminKey);
        assert.equal(r.statusCode, 200);
        const keys = r.json().keys as Record<string, unknown>[];
        const names = keys.map((k) => k.name);
        assert.ok(names.includes('list-1') && names.includes('list-2') && names.includes('test admin'), names.join());
        for (const k of keys) {
          assert.equal(k.key, undefined, 'no key field');
          assert.ok(!('keyHash' in k) && !('key_hash' in k), 'no hash field');
          assert.deepEqual(Object.keys(k).sort(), ['createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'rateLimit', 'revokedAt', 'scopes', 'sourceId', 'status']);
        }
        for (const s of secrets) {
          assert.ok(!r.body.includes(s), 'a secret appears in the listing');
          assert.ok(!r.body.includes(s.slice(3)), 'a secret (without iv_) appears in the listing');
          assert.ok(!r.body.includes(hashApiKey(s)), 'a key hash appears in the listing');
        }
      });

      test('GET /api/v1/keys/:id returns one key; an unknown id is 404 not_found', async () => {
        const k = await t.newKey(['write']);
        const r = await get(`/api/v1/keys/${k.id}`, t.adminKey);
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(r.json().id, k.id);
        assert.deepEqual(r.json().scopes, ['write']);
        assert.equal(r.json().status, 'active');
        assert.equal(r.json().prefix, k.secret.slice(0, r.json().prefix.length));
        assert.ok(!r.body.includes(k.secret));
        const missing = assertError(await get(`/api/v1/keys/${randomUuid}`, t.adminKey), 404, 'not_found');
        assert.match(missing.message, new RegExp(randomUuid));
      });

      test('DELETE /api/v1/keys/:id revokes: the very next request with the key is 401 revoked_api_key', async () => {
        const k = await t.newKey(['read']);
        assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
        const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${k.id}`, headers: bearer(t.adminKey) });
        assert.equal(del.statusCode, 200, del.body);
        assert.equal(del.json().status, 'revoked');
        assert.ok(del.json().revokedAt);
        assertError(await get('/api/v1/orgs/current', k.secret), 401, 'revoked_api_key');
        // Revoking again is harmless and keeps the first revocation time.
        await sleep(5);
        const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${k.id}`, headers: bearer(t.adminKey) });
        assert.equal(again.statusCode, 200);
        assert.equal(again.json().revokedAt, del.json().revokedAt);
        assert.equal((await get(`/api/v1/keys/${k.id}`, t.adminKey)).json().status, 'revoked');
        assertError(
          await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${randomUuid}`, headers: bearer(t.adminKey) }),
          404,
          'not_found',
        );
      });

      test('a key can revoke itself; its next request is refused', async () => {
        const k = await t.newKey(['admin']);
        const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${k.id}`, headers: bearer(k.secret) });
        assert.equal(del.statusCode, 200, del.body);
        assertError(await get('/api/v1/keys', k.secret), 401, 'revoked_api_key');
      });

      test('revocation takes effect on a second app instance sharing the database', async () => {
        const other = await startTestApp({ store: t.store, now: clock });
        try {
          const k = await t.newKey(['read']);
          // Both instances have seen (and accepted) the key before it is revoked.
          assert.equal((await get('/api/v1/orgs/current', k.secret, other)).statusCode, 200);
          assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
          const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/keys/${k.id}`, headers: bearer(t.adminKey) });
          assert.equal(del.statusCode, 200);
          assertError(await get('/api/v1/orgs/current', k.secret, other), 401, 'revoked_api_key');
          // And the other way round: revoked on the second instance, refused on the first.
          const k2 = await t.newKey(['read']);
          assert.equal((await get('/api/v1/orgs/current', k2.secret)).statusCode, 200);
          const del2 = await other.app.inject({ method: 'DELETE', url: `/api/v1/keys/${k2.id}`, headers: bearer(t.adminKey) });
          assert.equal(del2.statusCode, 200, del2.body);
          assertError(await get('/api/v1/orgs/current', k2.secret), 401, 'revoked_api_key');
        } finally {
          await other.close();
        }
      });

      test('last_used_at is written on use, at most once a minute', async () => {
        const k = await t.newKey(['read']);
        const lastUsed = async () => (await get(`/api/v1/keys/${k.id}`, t.adminKey)).json().lastUsedAt as string | null;
        assert.equal(await lastUsed(), null);

        const before1 = Date.now();
        assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
        const first = await eventually(async () => (await lastUsed()) ?? undefined, 'last_used_at to be set');
        const firstMs = new Date(first).getTime();
        assert.ok(firstMs >= before1 - 5 && firstMs <= Date.now() + 5, `lastUsedAt ${first} is not the time of use`);

        // A second use within the minute leaves it unchanged, on this instance …
        assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
        await sleep(150);
        assert.equal(await lastUsed(), first);
        // … and on another instance, which has no memory of the first write.
        const other = await startTestApp({ store: t.store, now: clock });
        try {
          assert.equal((await get('/api/v1/orgs/current', k.secret, other)).statusCode, 200);
          await sleep(150);
          assert.equal(await lastUsed(), first);
        } finally {
          await other.close();
        }

        // More than a minute later the next use is recorded.
        offsetMs = 61_000;
        try {
          assert.equal((await get('/api/v1/orgs/current', k.secret)).statusCode, 200);
          const second = await eventually(async () => {
            const v = await lastUsed();
            return v !== first ? v ?? undefined : undefined;
          }, 'last_used_at to advance');
          assert.ok(new Date(second).getTime() - firstMs >= 60_000, `${first} → ${second}`);
        } finally {
          offsetMs = 0;
        }
      });

      test('touchApiKey writes only when the stored time is over a minute old (the guard shared by all processes)', async () => {
        const k = await t.newKey(['read']);
        const t0 = new Date(Date.now() + 10 * 60_000);
        assert.equal(await touchApiKey(t.sql, t.org.id, k.id, t0), true);
        assert.equal(await touchApiKey(t.sql, t.org.id, k.id, new Date(t0.getTime() + 30_000)), false);
        assert.equal(await touchApiKey(t.sql, t.org.id, k.id, new Date(t0.getTime() + 59_999)), false);
        const stored = await t.sql.query<{ last_used_at: Date }>('SELECT last_used_at FROM api_keys WHERE id = $1', [k.id]);
        assert.equal(stored.rows[0]!.last_used_at.getTime(), t0.getTime());
        assert.equal(await touchApiKey(t.sql, t.org.id, k.id, new Date(t0.getTime() + 61_000)), true);
        // Scoped by org: another org's id never touches the row.
        const b = await t.newOrg('Touch Other');
        assert.equal(await touchApiKey(t.sql, b.org.id, k.id, new Date(t0.getTime() + 10 * 60_000)), false);
      });

      test('concurrent requests with one key send one last_used_at write', async () => {
        const statements: string[] = [];
        const limiter = new RateLimiter(new MemoryRateLimitStore());
        const app = await buildApp(testDeps({ sql: recording(t.sql, statements), logger: createLogger({ level: 'info', destination: new LogCapture() }), limiter }));
        try {
          const k = await t.newKey(['read']);
          const rs = await Promise.all(Array.from({ length: 8 }, () => app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: bearer(k.secret) })));
          assert.deepEqual(rs.map((r) => r.statusCode), Array(8).fill(200));
          for (let i = 0; i < 3; i++) assert.equal((await app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: bearer(k.secret) })).statusCode, 200);
          await sleep(100);
          const touches = statements.filter((q) => /UPDATE api_keys SET last_used_at/.test(q));
          assert.equal(touches.length, 1, `${touches.length} writes for 11 uses`);
        } finally {
          await app.close();
          await limiter.close();
        }
      });

      test('failed authentication does not mark a key used', async () => {
        const k = await t.newKey(['read'], undefined, { expiresAt: new Date(Date.now() - 1000) });
        assertError(await get('/api/v1/orgs/current', k.secret), 401, 'expired_api_key');
        await sleep(100);
        assert.equal((await get(`/api/v1/keys/${k.id}`, t.adminKey)).json().lastUsedAt, null);
      });
    });

    describe('organisations', () => {
      test("GET /api/v1/orgs/current returns the caller's org", async () => {
        const r = await get('/api/v1/orgs/current', t.adminKey);
        assert.equal(r.statusCode, 200);
        assert.deepEqual(r.json(), { id: t.org.id, name: t.org.name, slug: t.org.slug, createdAt: t.org.createdAt.toISOString() });
      });

      test("POST /api/v1/orgs with a non-platform org's admin key: 403 forbidden", async () => {
        const err = assertError(
          await t.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: bearer(t.adminKey), payload: { name: 'Rogue', slug: 'rogue-org' } }),
          403,
          'forbidden',
        );
        assert.match(err.message, /platform/);
        const row = await t.sql.query('SELECT 1 FROM organizations WHERE slug = $1', ['rogue-org']);
        assert.equal(row.rows.length, 0, 'no org was created');
      });

      test('the platform org creates an org with a working admin key scoped to it; duplicate slug is 409', async () => {
        const platform = await startTestApp({ store: t.store, platformOrg: true, now: clock });
        try {
          const slug = `acme-${Math.random().toString(36).slice(2, 8)}`;
          const r = await platform.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: bearer(platform.adminKey), payload: { name: 'Acme Corp', slug } });
          assert.equal(r.statusCode, 201, r.body);
          const { organization, apiKey } = r.json();
          assert.equal(organization.name, 'Acme Corp');
          assert.equal(organization.slug, slug);
          assert.match(organization.id, /^[0-9a-f-]{36}$/);
          assert.notEqual(organization.id, platform.org.id);
          assert.match(apiKey.key, keyFormat);
          assert.deepEqual(apiKey.scopes, ['*']);
          assert.equal(apiKey.status, 'active');

          // The new key works and belongs to the new org only.
          const current = await get('/api/v1/orgs/current', apiKey.key, platform);
          assert.equal(current.statusCode, 200);
          assert.deepEqual(current.json(), organization);
          const listed = await get('/api/v1/keys', apiKey.key, platform);
          assert.deepEqual(listed.json().keys.map((k: { id: string }) => k.id), [apiKey.id]);
          // The platform's own listing does not include it.
          const platformKeys = await get('/api/v1/keys', platform.adminKey, platform);
          assert.ok(!platformKeys.json().keys.some((k: { id: string }) => k.id === apiKey.id));
          // The new org is not a platform org.
          assertError(await platform.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: bearer(apiKey.key), payload: { name: 'Grandchild' } }), 403, 'forbidden');

          // Duplicate slug: of the org just created, and of an existing one.
          for (const dup of [slug, t.org.slug]) {
            const d = await platform.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: bearer(platform.adminKey), payload: { name: 'Again', slug: dup } });
            assertError(d, 409, 'conflict');
          }
          // No org or key was left behind by the refused creations.
          const count = await platform.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM organizations WHERE name = 'Again'");
          assert.equal(count.rows[0]!.n, 0);

          // Without a slug, one is derived from the name.
          const name = `Beta Works ${Math.random().toString(36).slice(2, 6)}`;
          const derived = await platform.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: bearer(platform.adminKey), payload: { name } });
          assert.equal(derived.statusCode, 201, derived.body);
          assert.equal(derived.json().organization.slug, name.toLowerCase().replace(/ /g, '-'));

          // A platform key without the admin scope cannot create orgs.
          const reader = await platform.newKey(['read']);
          assertError(await platform.app.inject({ method: 'POST', url: '/api/v1/orgs', headers: bearer(reader.secret), payload: { name: 'X' } }), 403, 'insufficient_scope');
        } finally {
          await platform.close();
        }
      });
    });

    describe('cross-org isolation', () => {
      /** Every /api route; a new route must be added here (and to the isolation test) to pass. */
      const apiRoutes = [
        'DELETE /api/v1/alert-rules/{id}',
        'DELETE /api/v1/channels/{id}',
        'DELETE /api/v1/dead-letters/{id}',
        'DELETE /api/v1/detection-schedules/{id}',
        'DELETE /api/v1/forecast-schedules/{id}',
        'DELETE /api/v1/keys/{id}',
        'DELETE /api/v1/retention',
        'DELETE /api/v1/silences/{id}',
        'DELETE /api/v1/sources/{id}',
        'GET /api/v1/accuracy',
        'GET /api/v1/alert-rules',
        'GET /api/v1/alert-rules/{id}',
        'GET /api/v1/alerts',
        'GET /api/v1/alerts/{id}',
        'GET /api/v1/anomalies',
        'GET /api/v1/anomalies/{id}',
        'GET /api/v1/channels',
        'GET /api/v1/channels/{id}',
        'GET /api/v1/dead-letters',
        'GET /api/v1/dead-letters/{id}',
        'GET /api/v1/deliveries',
        'GET /api/v1/deliveries/{id}',
        'GET /api/v1/detection-schedules',
        'GET /api/v1/detection-schedules/{id}',
        'GET /api/v1/detection-schedules/{id}/series',
        'GET /api/v1/forecast-schedules',
        'GET /api/v1/forecast-schedules/{id}',
        'GET /api/v1/forecast-schedules/{id}/runs',
        'GET /api/v1/forecast/backends',
        'GET /api/v1/forecasts',
        'GET /api/v1/forecasts/{id}',
        'GET /api/v1/forecasts/{id}/evaluation',
        'GET /api/v1/keys',
        'GET /api/v1/keys/{id}',
        'GET /api/v1/metrics',
        'GET /api/v1/orgs/current',
        'GET /api/v1/retention',
        'GET /api/v1/series/settings',
        'GET /api/v1/silences',
        'GET /api/v1/silences/{id}',
        'GET /api/v1/sources',
        'GET /api/v1/sources/{id}',
        'GET /api/v1/sources/{id}/targets',
        'PATCH /api/v1/alert-rules/{id}',
        'PATCH /api/v1/channels/{id}',
        'PATCH /api/v1/detection-schedules/{id}',
        'PATCH /api/v1/sources/{id}',
        'POST /api/v1/alert-rules',
        'POST /api/v1/alert-rules/{id}/evaluate',
        'POST /api/v1/alerts/{id}/acknowledge',
        'POST /api/v1/alerts/{id}/resolve',
        'POST /api/v1/anomalies/detect',
        'POST /api/v1/backtest',
        'POST /api/v1/channels',
        'POST /api/v1/channels/{id}/test',
        'POST /api/v1/dead-letters/reprocess',
        'POST /api/v1/deliveries/{id}/retry',
        'POST /api/v1/detection-schedules',
        'POST /api/v1/detection-schedules/{id}/run',
        'POST /api/v1/forecast',
        'POST /api/v1/forecast-schedules',
        'POST /api/v1/forecast-schedules/{id}/pause',
        'POST /api/v1/forecast-schedules/{id}/resume',
        'POST /api/v1/forecast-schedules/{id}/run',
        'POST /api/v1/ingest',
        'POST /api/v1/keys',
        'POST /api/v1/orgs',
        'POST /api/v1/query',
        'POST /api/v1/silences',
        'POST /api/v1/silences/{id}/expire',
        'POST /api/v1/sources',
        'POST /api/v1/write',
        'POST /api/v2/write',
        'PUT /api/v1/retention',
        'PUT /api/v1/series/settings',
      ];
      /**
       * Routes of people: accounts, sessions and sign-in providers (a user's own, not an
       * organisation's), and members, invitations and the organisation itself. Their cross-user and
       * cross-organisation isolation is tested in test/people-isolation.test.ts, test/accounts.test.ts
       * and test/oauth.test.ts. A new route must be added to one of the two lists.
       */
      const peopleRoutes = [
        'DELETE /api/v1/auth/identities/{provider}',
        'DELETE /api/v1/auth/sessions/{id}',
        'DELETE /api/v1/invitations/{id}',
        'DELETE /api/v1/members/{userId}',
        'DELETE /api/v1/orgs/current',
        'GET /api/v1/auth/oauth/{provider}/callback',
        'GET /api/v1/auth/oauth/{provider}/start',
        'GET /api/v1/auth/providers',
        'GET /api/v1/auth/sessions',
        'GET /api/v1/invitations',
        'GET /api/v1/me',
        'GET /api/v1/members',
        'PATCH /api/v1/me',
        'PATCH /api/v1/members/{userId}',
        'PATCH /api/v1/orgs/current',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/password',
        'POST /api/v1/auth/password-reset/confirm',
        'POST /api/v1/auth/password-reset/request',
        'POST /api/v1/auth/register',
        'POST /api/v1/auth/verify-email',
        'POST /api/v1/auth/verify-email/resend',
        'POST /api/v1/invitations',
        'POST /api/v1/invitations/accept',
        'POST /api/v1/invitations/{id}/resend',
        'PUT /api/v1/me/current-org',
      ];
      /** Routes the isolation tests below exercised. */
      const seen = new Set<string>();
      /** Calls routes with `key`, records each as exercised, and fails when a reply shows one of `secrets` (`echoed`: what the request itself sent back). */
      const callerAs =
        (key: string, secrets: string[]) =>
        async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, route: string, payload?: object, echoed?: string) => {
          seen.add(route);
          const r = await t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
          const body = echoed ? r.body.split(echoed).join('') : r.body;
          for (const x of secrets) assert.ok(!body.includes(x), `${method} ${url} reveals ${x}: ${r.body}`);
          return r;
        };

      test('the route lists cover every /api route', async () => {
        const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
        const found = Object.entries(doc.paths)
          .filter(([p]) => p.startsWith('/api/'))
          .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
          .sort();
        assert.deepEqual(found, [...apiRoutes, ...peopleRoutes].sort());
      });

      test("org A's key can never read, revoke or learn about org B", async () => {
        const b = await t.newOrg('Beta Isolated');
        const bReader = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(b.key), payload: { name: 'beta-secret-reader', scopes: ['read'] } });
        assert.equal(bReader.statusCode, 201);
        const bKeys = (await get('/api/v1/keys', b.key)).json().keys as { id: string; prefix: string; name: string }[];
        assert.equal(bKeys.length, 2);
        /** Strings that would reveal B. */
        const bData = [b.org.id, b.org.name, b.org.slug, b.key, bReader.json().key, 'beta-secret-reader', ...bKeys.flatMap((k) => [k.id, k.prefix])];
        const assertNoB = (r: Injected, what: string, echoed?: string) => {
          // An id the caller sent may be echoed back in a message; nothing else of B may appear.
          const body = echoed ? r.body.split(echoed).join('') : r.body;
          for (const s of bData) assert.ok(!body.includes(s), `${what} reveals ${s}: ${r.body}`);
        };
        const a = t.adminKey;
        const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, route: string, payload?: object, echoed?: string) => {
          seen.add(route);
          const r = await t.app.inject({ method, url, headers: bearer(a), payload });
          assertNoB(r, `${method} ${url}`, echoed);
          return r;
        };

        // GET /api/v1/keys: only A's keys.
        const list = await call('GET', '/api/v1/keys', 'GET /api/v1/keys');
        assert.equal(list.statusCode, 200);
        const aIds = new Set((await t.sql.query<{ id: string }>('SELECT id FROM api_keys WHERE org_id = $1', [t.org.id])).rows.map((r) => r.id));
        for (const k of list.json().keys as { id: string }[]) assert.ok(aIds.has(k.id), `listed key ${k.id} is not A's`);

        // POST /api/v1/keys: the key is A's, whatever the body says.
        const created = await call('POST', '/api/v1/keys', 'POST /api/v1/keys', { name: 'a-made', scopes: ['read'] });
        assert.equal(created.statusCode, 201);
        assert.equal((await get('/api/v1/orgs/current', created.json().key)).json().id, t.org.id);
        const smuggled = await call('POST', '/api/v1/keys', 'POST /api/v1/keys', { name: 'a-made', scopes: ['read'], orgId: b.org.id });
        assertError(smuggled, 400, 'validation_failed');

        for (const bk of bKeys) {
          // GET /api/v1/keys/:id with B's key id: 404, exactly as for an id that does not exist.
          const r = await call('GET', `/api/v1/keys/${bk.id}`, 'GET /api/v1/keys/{id}', undefined, bk.id);
          assertError(r, 404, 'not_found');
          const none = await t.app.inject({ method: 'GET', url: `/api/v1/keys/${randomUuid}`, headers: bearer(a) });
          assert.equal(r.body.replace(bk.id, 'ID'), none.body.replace(randomUuid, 'ID'), 'B’s keys are told apart from missing ones');

          // DELETE /api/v1/keys/:id with B's key id: 404, and B's key stays active.
          const d = await call('DELETE', `/api/v1/keys/${bk.id}`, 'DELETE /api/v1/keys/{id}', undefined, bk.id);
          assertError(d, 404, 'not_found');
        }
        const bAfter = (await get('/api/v1/keys', b.key)).json().keys as { status: string; revokedAt: string | null }[];
        assert.deepEqual(bAfter.map((k) => [k.status, k.revokedAt]), [['active', null], ['active', null]]);
        assert.equal((await get('/api/v1/orgs/current', bReader.json().key)).statusCode, 200);

        // GET /api/v1/orgs/current: A only.
        const current = await call('GET', '/api/v1/orgs/current', 'GET /api/v1/orgs/current');
        assert.equal(current.json().id, t.org.id);

        // POST /api/v1/orgs: A is not the platform; refused before the slug is looked at, so B's slug
        // cannot be probed (403, not 409).
        const probe = await call('POST', '/api/v1/orgs', 'POST /api/v1/orgs', { name: 'probe', slug: b.org.slug });
        assertError(probe, 403, 'forbidden');
        const probe2 = await call('POST', '/api/v1/orgs', 'POST /api/v1/orgs', { name: 'probe', slug: `free-${Math.random().toString(36).slice(2, 8)}` });
        assert.equal(probe2.body, probe.body);


        // And the other way round: B's key sees none of A's keys.
        const bList = await get('/api/v1/keys', b.key);
        for (const id of aIds) assert.ok(!bList.body.includes(id));
        assertError(await get(`/api/v1/keys/${[...aIds][0]}`, b.key), 404, 'not_found');
      });

      test("org A's key can never read, change or learn of org B's series, points and dead letters", async () => {
        const b = await t.newOrg('Beta Metrics');
        const a = t.adminKey;
        const ts = '2026-11-26T10:00:00Z';
        const bIngest = await t.app.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: { ...bearer(b.key), 'idempotency-key': 'shared-key' },
          payload: { source: 'beta-source', metrics: [{ key: 'beta.secret.metric', value: 42.4242, timestamp: ts, dimensions: { host: 'beta-host' } }, { key: 'bad key beta', value: 1, timestamp: ts }] },
        });
        assert.equal(bIngest.statusCode, 200, bIngest.body);
        const bLetter = (await get('/api/v1/dead-letters', b.key)).json().items[0] as { id: string };
        // A uses the same metric key on purpose; B's dimensions, values and items must stay invisible.
        const bData = [b.org.id, 'beta-host', '42.4242', 'bad key beta', 'beta-source', bLetter.id];
        const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, route: string, payload?: object, headers: Record<string, string> = {}, echoed?: string) => {
          seen.add(route);
          const r = await t.app.inject({ method, url, headers: { ...bearer(a), ...headers }, payload });
          const body = echoed ? r.body.split(echoed).join('') : r.body;
          for (const s of bData) assert.ok(!body.includes(s), `${method} ${url} reveals ${s}: ${r.body}`);
          return r;
        };

        // Ingest with the same key name and idempotency key: A's own, not a replay of B's.
        const ai = await call('POST', '/api/v1/ingest', 'POST /api/v1/ingest', { metrics: [{ key: 'beta.secret.metric', value: 1, timestamp: ts, dimensions: { host: 'alpha' } }] }, { 'idempotency-key': 'shared-key' });
        assert.equal(ai.statusCode, 200);
        assert.equal(ai.headers['idempotent-replayed'], undefined);
        assert.deepEqual(ai.json(), { accepted: 1, rejected: 0, duplicates: 0, dropped: 0, errors: [] });

        const catalog = await call('GET', '/api/v1/metrics?prefix=beta', 'GET /api/v1/metrics');
        assert.equal(catalog.statusCode, 200);
        assert.deepEqual((catalog.json().series as { dimensions: unknown }[]).map((x) => x.dimensions), [{ host: 'alpha' }]);

        const q = await call('POST', '/api/v1/query', 'POST /api/v1/query', { key: 'beta.secret.metric', from: 0, to: '2030-01-01T00:00:00Z' });
        assert.equal(q.statusCode, 200);
        assert.deepEqual((q.json().series as { points: { value: number }[] }[]).flatMap((x) => x.points.map((p) => p.value)), [1]);
        const qs = await call('POST', '/api/v1/query', 'POST /api/v1/query', { key: 'beta.secret.metric', from: 0, to: '2030-01-01T00:00:00Z', step: '1h', aggregation: 'max' });
        assert.deepEqual((qs.json().series as { points: { value: number }[] }[]).flatMap((x) => x.points.map((p) => p.value)), [1]);

        const dl = await call('GET', '/api/v1/dead-letters', 'GET /api/v1/dead-letters');
        assert.equal(dl.statusCode, 200);
        assertError(await call('GET', `/api/v1/dead-letters/${bLetter.id}`, 'GET /api/v1/dead-letters/{id}', undefined, {}, bLetter.id), 404, 'not_found');
        const rp = await call('POST', '/api/v1/dead-letters/reprocess', 'POST /api/v1/dead-letters/reprocess', { ids: [bLetter.id], corrections: { [bLetter.id]: { key: 'hijack', value: 1, timestamp: ts } } }, {}, bLetter.id);
        assert.equal(rp.statusCode, 200);
        assert.deepEqual(rp.json(), { stored: 0, duplicates: 0, failed: [], notFound: [bLetter.id] });
        assertError(await call('DELETE', `/api/v1/dead-letters/${bLetter.id}`, 'DELETE /api/v1/dead-letters/{id}', undefined, {}, bLetter.id), 404, 'not_found');

        // B's data is intact.
        const bl = (await get('/api/v1/dead-letters', b.key)).json().items as { id: string; attempts: number }[];
        assert.deepEqual(bl.map((l) => [l.id, l.attempts]), [[bLetter.id, 1]]);
        const bq = await t.app.inject({ method: 'POST', url: '/api/v1/query', headers: bearer(b.key), payload: { key: 'beta.secret.metric', from: 0, to: '2030-01-01T00:00:00Z' } });
        assert.deepEqual((bq.json().series as { points: { value: number }[] }[]).flatMap((x) => x.points.map((p) => p.value)), [42.4242]);
      });

      test("org A's key can never forecast, read or evaluate org B's series and forecasts", async () => {
        const b = await t.newOrg('Beta Forecasts');
        const a = t.adminKey;
        const hourMs = 3_600_000;
        const t0 = Math.floor(Date.now() / hourMs) * hourMs - 60 * hourMs;
        const metrics = (value: (i: number) => number, host: string) =>
          Array.from({ length: 48 }, (_, i) => ({ key: 'beta.forecast.metric', value: value(i), timestamp: t0 + i * hourMs, dimensions: { host } }));
        const bi = await t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: bearer(b.key), payload: { metrics: metrics((i) => 777_000.0625 + i, 'beta-fc-host') } });
        assert.equal(bi.json().accepted, 48, bi.body);
        const bf = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', headers: bearer(b.key), payload: { key: 'beta.forecast.metric', dimensions: { host: 'beta-fc-host' }, frequency: '1h', horizon: 3, backend: 'stub', to: t0 + 40 * hourMs } });
        assert.equal(bf.statusCode, 200, bf.body);
        const bForecast = bf.json() as { id: string };
        // B's values are 777000.0625…777047.0625 (a bare '777' also occurs in random ids).
        const bData: (string | RegExp)[] = [b.org.id, 'beta-fc-host', /7770\d\d\.0625/, bForecast.id];
        const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, route: string, payload?: object, echoed?: string) => {
          seen.add(route);
          const r = await t.app.inject({ method, url, headers: bearer(a), payload });
          const body = echoed ? r.body.split(echoed).join('') : r.body;
          for (const x of bData) assert.ok(typeof x === 'string' ? !body.includes(x) : !x.test(body), `${method} ${url} reveals ${x}: ${r.body}`);
          return r;
        };

        // A's forecast of the same key and dimensions finds no series (B's is invisible).
        assertError(await call('POST', '/api/v1/forecast', 'POST /api/v1/forecast', { key: 'beta.forecast.metric', dimensions: { host: 'beta-fc-host' }, frequency: '1h', horizon: 3 }, 'beta-fc-host'), 404, 'not_found');
        assertError(await call('POST', '/api/v1/backtest', 'POST /api/v1/backtest', { key: 'beta.forecast.metric', frequency: '1h', horizon: 3 }), 404, 'not_found');
        // With a series of its own under the same key, A forecasts only its own values.
        const ai = await t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: bearer(a), payload: { metrics: metrics(() => 5, 'alpha-fc') } });
        assert.equal(ai.json().accepted, 48);
        const af = await call('POST', '/api/v1/forecast', 'POST /api/v1/forecast', { key: 'beta.forecast.metric', frequency: '1h', horizon: 3, backend: 'stub' });
        assert.equal(af.statusCode, 200, af.body);
        assert.deepEqual((af.json().points as { value: number }[]).map((p) => p.value), [5, 5, 5]);
        const bt = await call('POST', '/api/v1/backtest', 'POST /api/v1/backtest', { key: 'beta.forecast.metric', frequency: '1h', horizon: 3, backends: ['stub'] });
        assert.equal(bt.statusCode, 200, bt.body);
        assert.equal(bt.json().backends[0].mean.mae, 0);

        assertError(await call('GET', `/api/v1/forecasts/${bForecast.id}`, 'GET /api/v1/forecasts/{id}', undefined, bForecast.id), 404, 'not_found');
        assertError(await call('GET', `/api/v1/forecasts/${bForecast.id}/evaluation`, 'GET /api/v1/forecasts/{id}/evaluation', undefined, bForecast.id), 404, 'not_found');
        const list = await call('GET', '/api/v1/forecasts?key=beta.forecast.metric', 'GET /api/v1/forecasts');
        assert.deepEqual((list.json().items as { id: string }[]).map((f) => f.id), [af.json().id]);
        const acc = await call('GET', '/api/v1/accuracy?key=beta.forecast.metric', 'GET /api/v1/accuracy');
        assert.deepEqual((acc.json().runs as { forecastId: string }[]).map((r) => r.forecastId), [af.json().id]);
        const backends = await call('GET', '/api/v1/forecast/backends', 'GET /api/v1/forecast/backends');
        assert.equal(backends.statusCode, 200);

        // Schedules: B's cannot be seen, changed, run or deleted by A; A's new one is A's.
        const bs = await t.app.inject({ method: 'POST', url: '/api/v1/forecast-schedules', headers: bearer(b.key), payload: { name: 'beta-secret-schedule', key: 'beta.forecast.metric', frequency: '1h', horizon: 3, schedule: 'hourly' } });
        assert.equal(bs.statusCode, 201, bs.body);
        const bSchedule = bs.json() as { id: string; nextRunAt: string };
        bData.push(bSchedule.id, 'beta-secret-schedule');
        for (const [method, suffix, route] of [
          ['GET', '', 'GET /api/v1/forecast-schedules/{id}'],
          ['GET', '/runs', 'GET /api/v1/forecast-schedules/{id}/runs'],
          ['POST', '/pause', 'POST /api/v1/forecast-schedules/{id}/pause'],
          ['POST', '/resume', 'POST /api/v1/forecast-schedules/{id}/resume'],
          ['POST', '/run', 'POST /api/v1/forecast-schedules/{id}/run'],
          ['DELETE', '', 'DELETE /api/v1/forecast-schedules/{id}'],
        ] as const) {
          assertError(await call(method, `/api/v1/forecast-schedules/${bSchedule.id}${suffix}`, route, undefined, bSchedule.id), 404, 'not_found');
        }
        const as = await call('POST', '/api/v1/forecast-schedules', 'POST /api/v1/forecast-schedules', { name: 'alpha', key: 'beta.forecast.metric', frequency: '1h', horizon: 3, schedule: 'daily' });
        assert.equal(as.statusCode, 201, as.body);
        const schedules = await call('GET', '/api/v1/forecast-schedules', 'GET /api/v1/forecast-schedules');
        assert.deepEqual((schedules.json().items as { id: string }[]).map((x) => x.id), [as.json().id]);
        const bAfter = (await get(`/api/v1/forecast-schedules/${bSchedule.id}`, b.key)).json() as { paused: boolean; nextRunAt: string };
        assert.deepEqual([bAfter.paused, bAfter.nextRunAt], [false, bSchedule.nextRunAt]);

        // B's forecast is intact and still B's.
        assert.equal((await get(`/api/v1/forecasts/${bForecast.id}`, b.key)).statusCode, 200);
      });

      test("org A's key can never detect in, read or learn of org B's anomalies", async () => {
        const b = await t.newOrg('Beta Anomalies');
        const a = t.adminKey;
        const minuteMs = 60_000;
        const t0 = Math.floor(Date.now() / minuteMs) * minuteMs - 600 * minuteMs;
        const series = (host: string, spike: number) =>
          Array.from({ length: 500 }, (_, i) => ({ key: 'beta.anomaly.metric', value: i === 400 ? spike : 10 + Math.sin(i * 3.3) * 0.2, timestamp: t0 + i * minuteMs, dimensions: { host } }));
        assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: bearer(b.key), payload: { metrics: series('beta-an-host', 98_765) } })).json().accepted, 500);
        const bd = await t.app.inject({ method: 'POST', url: '/api/v1/anomalies/detect', headers: bearer(b.key), payload: { key: 'beta.anomaly.metric', dimensions: { host: 'beta-an-host' }, from: t0 } });
        assert.equal(bd.statusCode, 200, bd.body);
        const bAnomaly = (bd.json().anomalies as { id: string; value: number }[]).find((x) => x.value === 98_765)!;
        assert.ok(bAnomaly, bd.body);
        const bData = [b.org.id, 'beta-an-host', '98765', bAnomaly.id];
        const call = async (method: 'GET' | 'POST', url: string, route: string, payload?: object, echoed?: string) => {
          seen.add(route);
          const r = await t.app.inject({ method, url, headers: bearer(a), payload });
          const body = echoed ? r.body.split(echoed).join('') : r.body;
          for (const x of bData) assert.ok(!body.includes(x), `${method} ${url} reveals ${x}: ${r.body}`);
          return r;
        };
        assertError(await call('POST', '/api/v1/anomalies/detect', 'POST /api/v1/anomalies/detect', { key: 'beta.anomaly.metric', dimensions: { host: 'beta-an-host' } }, 'beta-an-host'), 404, 'not_found');
        assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: bearer(a), payload: { metrics: series('alpha-an', 55) } })).json().accepted, 500);
        const ad = await call('POST', '/api/v1/anomalies/detect', 'POST /api/v1/anomalies/detect', { key: 'beta.anomaly.metric', from: t0 });
        assert.equal(ad.statusCode, 200, ad.body);
        assert.ok((ad.json().anomalies as { value: number }[]).some((x) => x.value === 55));
        const list = await call('GET', '/api/v1/anomalies?key=beta.anomaly.metric', 'GET /api/v1/anomalies');
        assert.ok((list.json().items as { dimensions: { host: string } }[]).every((x) => x.dimensions.host === 'alpha-an'));
        assertError(await call('GET', `/api/v1/anomalies/${bAnomaly.id}`, 'GET /api/v1/anomalies/{id}', undefined, bAnomaly.id), 404, 'not_found');
        assert.equal((await get(`/api/v1/anomalies/${bAnomaly.id}`, b.key)).statusCode, 200);
      });

      test("org A's key can never read, change, evaluate or learn of org B's alert rules, alerts, silences, channels and deliveries", async () => {
        const b = await t.newOrg('Beta Alerting');
        const a = t.adminKey;
        const bCall = async (method: 'GET' | 'POST', url: string, payload?: object) => {
          const r = await t.app.inject({ method, url, headers: bearer(b.key), ...(payload ? { payload } : {}) });
          assert.ok(r.statusCode < 300, `${method} ${url}: ${r.body}`);
          return r.json();
        };
        const ts = Date.now() - 60_000;
        await bCall('POST', '/api/v1/ingest', { metrics: [{ key: 'beta.alert.metric', value: 987_654, timestamp: ts, dimensions: { host: 'beta-al-host' } }] });
        const bChannel = await bCall('POST', '/api/v1/channels', { name: 'beta-secret-channel', type: 'webhook', config: { url: 'https://beta-secret-host.example.com/hook' } });
        const bRule = await bCall('POST', '/api/v1/alert-rules', { name: 'beta-secret-rule', key: 'beta.alert.metric', channels: [bChannel.id], condition: { kind: 'threshold', operator: 'gt', value: 1 } });
        const bPass = await bCall('POST', `/api/v1/alert-rules/${bRule.id}/evaluate`);
        const bAlert = bPass.transitions[0] as { alertId: string };
        const bSilence = await bCall('POST', '/api/v1/silences', { matchers: ['host="beta-other-host"'], endsAt: Date.now() + 3_600_000, comment: 'beta-secret-silence' });
        const bDelivery = (await bCall('GET', '/api/v1/deliveries')).items[0] as { id: string };
        assert.ok(bAlert && bDelivery, JSON.stringify(bPass));
        const bData = [b.org.id, 'beta-al-host', '987654', 'beta-secret', bChannel.id, bRule.id, bAlert.alertId, bSilence.id, bDelivery.id, bChannel.generatedSecret];
        const call = callerAs(a, bData);

        // Rules: B's cannot be read, changed, evaluated or deleted; A's own rule of the same key sees only A's series.
        for (const [method, suffix, route, payload] of [
          ['GET', '', 'GET /api/v1/alert-rules/{id}', undefined],
          ['PATCH', '', 'PATCH /api/v1/alert-rules/{id}', { enabled: false }],
          ['POST', '/evaluate', 'POST /api/v1/alert-rules/{id}/evaluate', undefined],
          ['DELETE', '', 'DELETE /api/v1/alert-rules/{id}', undefined],
        ] as const) {
          assertError(await call(method, `/api/v1/alert-rules/${bRule.id}${suffix}`, route, payload, bRule.id), 404, 'not_found');
        }
        // B's channel cannot be named in A's rule.
        assertError(await call('POST', '/api/v1/alert-rules', 'POST /api/v1/alert-rules', { name: 'alpha-rule', key: 'beta.alert.metric', channels: [bChannel.id], condition: { kind: 'threshold', operator: 'gt', value: 1 } }, bChannel.id), 400, 'validation_failed');
        const aRule = (await call('POST', '/api/v1/alert-rules', 'POST /api/v1/alert-rules', { name: 'alpha-rule', key: 'beta.alert.metric', condition: { kind: 'threshold', operator: 'gt', value: 1 } })).json();
        const rules = await call('GET', '/api/v1/alert-rules', 'GET /api/v1/alert-rules');
        assert.deepEqual(rules.json().items.map((r: { id: string }) => r.id), [aRule.id]);
        const aPass = await call('POST', `/api/v1/alert-rules/${aRule.id}/evaluate`, 'POST /api/v1/alert-rules/{id}/evaluate');
        assert.deepEqual([aPass.json().seriesCount, aPass.json().transitions], [0, []]);
        assert.equal((await call('PATCH', `/api/v1/alert-rules/${aRule.id}`, 'PATCH /api/v1/alert-rules/{id}', { enabled: false })).statusCode, 200);

        // Alerts: invisible, and acknowledging or resolving B's is 404 (B's stays firing).
        const alerts = await call('GET', '/api/v1/alerts', 'GET /api/v1/alerts');
        assert.deepEqual(alerts.json().items, []);
        assertError(await call('GET', `/api/v1/alerts/${bAlert.alertId}`, 'GET /api/v1/alerts/{id}', undefined, bAlert.alertId), 404, 'not_found');
        assertError(await call('POST', `/api/v1/alerts/${bAlert.alertId}/acknowledge`, 'POST /api/v1/alerts/{id}/acknowledge', {}, bAlert.alertId), 404, 'not_found');
        assertError(await call('POST', `/api/v1/alerts/${bAlert.alertId}/resolve`, 'POST /api/v1/alerts/{id}/resolve', {}, bAlert.alertId), 404, 'not_found');

        // Silences: B's invisible; A's silence matching B's labels does not touch B's alert.
        assertError(await call('GET', `/api/v1/silences/${bSilence.id}`, 'GET /api/v1/silences/{id}', undefined, bSilence.id), 404, 'not_found');
        assertError(await call('DELETE', `/api/v1/silences/${bSilence.id}`, 'DELETE /api/v1/silences/{id}', undefined, bSilence.id), 404, 'not_found');
        assertError(await call('POST', `/api/v1/silences/${bSilence.id}/expire`, 'POST /api/v1/silences/{id}/expire', undefined, bSilence.id), 404, 'not_found');
        const aSilence = await call('POST', '/api/v1/silences', 'POST /api/v1/silences', { matchers: ['host="beta-al-host"'], endsAt: Date.now() + 3_600_000 }, 'beta-al-host');
        assert.equal(aSilence.statusCode, 201, aSilence.body);
        const silences = await call('GET', '/api/v1/silences', 'GET /api/v1/silences', undefined, 'beta-al-host');
        assert.deepEqual(silences.json().items.map((x: { id: string }) => x.id), [aSilence.json().id]);
        await bCall('POST', `/api/v1/alert-rules/${bRule.id}/evaluate`);
        assert.equal((await bCall('GET', `/api/v1/alerts/${bAlert.alertId}`)).state, 'firing');

        // Channels: B's invisible, unchangeable, untestable, undeletable.
        for (const [method, suffix, route, payload] of [
          ['GET', '', 'GET /api/v1/channels/{id}', undefined],
          ['PATCH', '', 'PATCH /api/v1/channels/{id}', { name: 'hijacked' }],
          ['POST', '/test', 'POST /api/v1/channels/{id}/test', undefined],
          ['DELETE', '', 'DELETE /api/v1/channels/{id}', undefined],
        ] as const) {
          assertError(await call(method, `/api/v1/channels/${bChannel.id}${suffix}`, route, payload, bChannel.id), 404, 'not_found');
        }
        const aChannel = await call('POST', '/api/v1/channels', 'POST /api/v1/channels', { name: 'alpha-channel', type: 'slack', config: { url: 'https://hooks.slack.com/services/alpha' } });
        assert.equal(aChannel.statusCode, 201);
        const channelList = await call('GET', '/api/v1/channels', 'GET /api/v1/channels');
        assert.deepEqual(channelList.json().items.map((x: { id: string }) => x.id), [aChannel.json().id]);

        // Deliveries: B's invisible and not retryable by A.
        const deliveries = await call('GET', '/api/v1/deliveries', 'GET /api/v1/deliveries');
        assert.deepEqual(deliveries.json().items, []);
        assertError(await call('GET', `/api/v1/deliveries/${bDelivery.id}`, 'GET /api/v1/deliveries/{id}', undefined, bDelivery.id), 404, 'not_found');
        assertError(await call('POST', `/api/v1/deliveries/${bDelivery.id}/retry`, 'POST /api/v1/deliveries/{id}/retry', undefined, bDelivery.id), 404, 'not_found');

        // B's own view is intact.
        assert.equal((await bCall('GET', `/api/v1/alert-rules/${bRule.id}`)).enabled, true);
        assert.equal((await bCall('GET', `/api/v1/channels/${bChannel.id}`)).name, 'beta-secret-channel');
        assert.equal((await bCall('GET', `/api/v1/silences/${bSilence.id}`)).comment, 'beta-secret-silence');
        assert.equal((await bCall('GET', `/api/v1/silences/${bSilence.id}`)).status, 'active');
        assert.equal((await bCall('GET', `/api/v1/deliveries/${bDelivery.id}`)).status, 'pending');
      });

      test("org A's key can never read, change, delete, bind or name org B's sources", async () => {
        const b = await t.newOrg('Beta Sources');
        const a = t.adminKey;
        const made = await t.app.inject({
          method: 'POST',
          url: '/api/v1/sources',
          headers: bearer(b.key),
          payload: { name: 'beta-secret-source', kind: 'prometheus-scrape', defaultDimensions: { team: 'beta-secret-team' }, settings: { targets: [{ url: 'http://beta-secret-target.example.test/metrics' }] } },
        });
        assert.equal(made.statusCode, 201, made.body);
        const bSource = made.json() as { id: string };
        const bData = [b.org.id, 'beta-secret', bSource.id];
        const call = callerAs(a, bData);
        for (const [method, suffix, route, payload] of [
          ['GET', '', 'GET /api/v1/sources/{id}', undefined],
          ['GET', '/targets', 'GET /api/v1/sources/{id}/targets', undefined],
          ['PATCH', '', 'PATCH /api/v1/sources/{id}', { enabled: false }],
          ['DELETE', '', 'DELETE /api/v1/sources/{id}', undefined],
        ] as const) {
          assertError(await call(method, `/api/v1/sources/${bSource.id}${suffix}`, route, payload, bSource.id), 404, 'not_found');
        }
        // B's source can be neither bound to A's keys nor named by A's requests.
        assertError(await call('POST', '/api/v1/keys', 'POST /api/v1/keys', { name: 'alpha-bound', scopes: ['write'], sourceId: bSource.id }, bSource.id), 400, 'validation_failed');
        assertError(await call('POST', '/api/v1/ingest?source=beta-secret-source', 'POST /api/v1/ingest', { metrics: [] }, 'beta-secret-source'), 404, 'source_not_found');
        const aSource = await call('POST', '/api/v1/sources', 'POST /api/v1/sources', { name: 'alpha-source', kind: 'webhook' });
        assert.equal(aSource.statusCode, 201, aSource.body);
        const list = await call('GET', '/api/v1/sources', 'GET /api/v1/sources');
        assert.deepEqual(list.json().items.map((x: { id: string }) => x.id), [aSource.json().id]);
        // B's source is intact.
        const bAfter = (await t.app.inject({ method: 'GET', url: `/api/v1/sources/${bSource.id}`, headers: bearer(b.key) })).json() as { enabled: boolean; defaultDimensions: Record<string, string> };
        assert.deepEqual([bAfter.enabled, bAfter.defaultDimensions], [true, { team: 'beta-secret-team' }]);
      });

      test("org A's key writes through every protocol into its own organisation only, and cannot name B's sources", async () => {
        const b = await t.newOrg('Beta Protocols');
        const a = t.adminKey;
        const made = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(b.key), payload: { name: 'beta-proto-source', kind: 'influx' } });
        assert.equal(made.statusCode, 201, made.body);
        const rwMade = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(b.key), payload: { name: 'beta-rw-source', kind: 'prometheus-remote-write' } });
        assert.equal(rwMade.statusCode, 201, rwMade.body);
        const ts = Date.now() - 60_000;
        const rwBody = () => snappyBlock(writeRequestV1([{ labels: { __name__: 'proto_iso', via: 'rw' }, samples: [[7, ts]] }]));
        const rwHeaders = { ...bearer(a), 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
        const lineHeaders = { ...bearer(a), 'content-type': 'text/plain' };
        const send = (url: string, route: string, headers: Record<string, string>, payload: Buffer | string) => {
          seen.add(route);
          return t.app.inject({ method: 'POST', url, headers, payload });
        };
        // Naming B's sources by name finds nothing in A's organisation.
        assertError(await send('/api/v1/write?source=beta-rw-source', 'POST /api/v1/write', rwHeaders, rwBody()), 404, 'source_not_found');
        assertError(await send('/api/v2/write?bucket=x&source=beta-proto-source', 'POST /api/v2/write', lineHeaders, `proto_iso value=1 ${ts}000000`), 404, 'source_not_found');
        // Without a source, both land in A's organisation.
        assert.equal((await send('/api/v1/write', 'POST /api/v1/write', rwHeaders, rwBody())).statusCode, 204);
        const lp = await send('/api/v2/write?bucket=beta-proto-source&precision=ms', 'POST /api/v2/write', lineHeaders, `proto_iso,via=influx value=1 ${ts}`);
        assert.equal(lp.statusCode, 204, lp.body);
        const catalog = (key: string) => t.app.inject({ method: 'GET', url: '/api/v1/metrics?prefix=proto_iso', headers: bearer(key) });
        const aSeries = ((await catalog(a)).json().series as { key: string; dimensions: Record<string, string> }[]).map((x) => `${x.key}${JSON.stringify(x.dimensions)}`).sort();
        assert.deepEqual(aSeries, ['proto_iso.value{"via":"influx"}', 'proto_iso{"via":"rw"}']);
        assert.deepEqual((await catalog(b.key)).json().series, []);
        // B's sources counted nothing of A's.
        for (const id of [made.json().id, rwMade.json().id]) {
          const src = (await t.app.inject({ method: 'GET', url: `/api/v1/sources/${id}`, headers: bearer(b.key) })).json() as { stats: { pointsAccepted: number; lastReceivedAt: string | null } };
          assert.deepEqual([src.stats.pointsAccepted, src.stats.lastReceivedAt], [0, null]);
        }
      });

      test("org A's key can never read, change, run or learn of org B's detection schedules and series settings", async () => {
        const b = await t.newOrg('Beta Detection');
        const a = t.adminKey;
        const ingest = (key: string, dims: Record<string, string>) =>
          t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: bearer(key), payload: { metrics: [{ key: 'beta.detect.metric', dimensions: dims, value: 5, timestamp: new Date(Date.now() - 60_000).toISOString() }] } });
        assert.equal((await ingest(b.key, { host: 'beta-secret-host' })).statusCode, 200);
        const setB = await t.app.inject({ method: 'PUT', url: '/api/v1/series/settings', headers: bearer(b.key), payload: { key: 'beta.detect.metric', dimensions: { host: 'beta-secret-host' }, bounds: { min: 0, max: 100 } } });
        assert.equal(setB.statusCode, 200, setB.body);
        const made = await t.app.inject({ method: 'POST', url: '/api/v1/detection-schedules', headers: bearer(b.key), payload: { name: 'beta-secret-detection', key: 'beta.detect.metric' } });
        assert.equal(made.statusCode, 201, made.body);
        const bSchedule = made.json() as { id: string };
        const bData = [b.org.id, 'beta-secret', bSchedule.id];
        const call = callerAs(a, bData);
        for (const [method, suffix, route, payload] of [
          ['GET', '', 'GET /api/v1/detection-schedules/{id}', undefined],
          ['GET', '/series', 'GET /api/v1/detection-schedules/{id}/series', undefined],
          ['PATCH', '', 'PATCH /api/v1/detection-schedules/{id}', { paused: true }],
          ['POST', '/run', 'POST /api/v1/detection-schedules/{id}/run', undefined],
          ['DELETE', '', 'DELETE /api/v1/detection-schedules/{id}', undefined],
        ] as const) {
          assertError(await call(method, `/api/v1/detection-schedules/${bSchedule.id}${suffix}`, route, payload, bSchedule.id), 404, 'not_found');
        }
        // B's series settings are neither readable nor settable by A (the same key and dimensions name nothing in A's organisation).
        const q = `key=beta.detect.metric&dimensions=${encodeURIComponent(JSON.stringify({ host: 'beta-secret-host' }))}`;
        assertError(await call('GET', `/api/v1/series/settings?${q}`, 'GET /api/v1/series/settings', undefined, 'beta-secret-host'), 404, 'not_found');
        assertError(await call('PUT', '/api/v1/series/settings', 'PUT /api/v1/series/settings', { key: 'beta.detect.metric', dimensions: { host: 'beta-secret-host' }, bounds: { min: 1, max: 2 } }, 'beta-secret-host'), 404, 'not_found');
        // A's own schedule and list show nothing of B; A's schedule selects only A's series.
        const aMade = await call('POST', '/api/v1/detection-schedules', 'POST /api/v1/detection-schedules', { name: 'alpha-detection', key: 'beta.detect.metric' });
        assert.equal(aMade.statusCode, 201, aMade.body);
        const list = await call('GET', '/api/v1/detection-schedules', 'GET /api/v1/detection-schedules');
        assert.deepEqual(list.json().items.map((x: { id: string }) => x.id), [aMade.json().id]);
        // B's schedule and settings are intact.
        const bAfter = (await t.app.inject({ method: 'GET', url: `/api/v1/detection-schedules/${bSchedule.id}`, headers: bearer(b.key) })).json() as { paused: boolean };
        assert.equal(bAfter.paused, false);
        const bSettings = (await t.app.inject({ method: 'GET', url: `/api/v1/series/settings?${q}`, headers: bearer(b.key) })).json() as { bounds: unknown };
        assert.deepEqual(bSettings.bounds, { min: 0, max: 100 });
      });

      test("org A's key can never read or change org B's retention", async () => {
        const b = await t.newOrg('Beta Retention');
        const bSettings = { rawDays: 11, rollup5mDays: 111, rollup1hDays: 1111 };
        const setB = await t.app.inject({ method: 'PUT', url: '/api/v1/retention', headers: bearer(b.key), payload: bSettings });
        assert.equal(setB.statusCode, 200, setB.body);
        const call = callerAs(t.adminKey, [b.org.id, b.org.slug]);
        const defaults = { rawDays: 30, rollup5mDays: 400, rollup1hDays: 1825 };
        // A reads its own (the defaults), in the retention route and in the catalogue.
        const mine = await call('GET', '/api/v1/retention', 'GET /api/v1/retention');
        assert.deepEqual(mine.json(), { ...defaults, defaults, isDefault: true });
        assert.deepEqual((await t.app.inject({ method: 'GET', url: '/api/v1/metrics', headers: bearer(t.adminKey) })).json().retention, defaults);
        // A's changes are A's alone; a body naming B's organisation is refused.
        assertError(await call('PUT', '/api/v1/retention', 'PUT /api/v1/retention', { ...defaults, orgId: b.org.id }, b.org.id), 400, 'validation_failed');
        const put = await call('PUT', '/api/v1/retention', 'PUT /api/v1/retention', { rawDays: 2, rollup5mDays: 2, rollup1hDays: 2 });
        assert.equal(put.statusCode, 200, put.body);
        const reset = await call('DELETE', '/api/v1/retention', 'DELETE /api/v1/retention');
        assert.deepEqual(reset.json(), { ...defaults, defaults, isDefault: true });
        // B's settings are intact.
        const bAfter = await t.app.inject({ method: 'GET', url: '/api/v1/retention', headers: bearer(b.key) });
        assert.deepEqual(bAfter.json(), { ...bSettings, defaults, isDefault: false });
      });

      test('the isolation tests exercised every /api route', () => {
        assert.deepEqual([...seen].sort(), apiRoutes);
      });
    });
  });
}
