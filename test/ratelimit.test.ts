import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiter, type RateLimitStore } from '../src/ratelimit/limiter.js';
import { MemoryRateLimitStore } from '../src/ratelimit/memory-store.js';
import { RedisRateLimitStore } from '../src/ratelimit/redis-store.js';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/core/logger.js';
import type { Sql } from '../src/store/sql.js';
import { bearer, LogCapture, startTestApp, testDeps, type TestApp } from './helpers/app.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;

function rl(r: Injected): { limit: number; remaining: number; reset: number } {
  for (const h of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) assert.ok(r.headers[h] !== undefined, `missing ${h} on ${r.statusCode} ${r.body}`);
  return { limit: Number(r.headers['ratelimit-limit']), remaining: Number(r.headers['ratelimit-remaining']), reset: Number(r.headers['ratelimit-reset']) };
}

function assertLimited(r: Injected, limit: number, windowSeconds: number): void {
  assert.equal(r.statusCode, 429, r.body);
  const err = r.json().error;
  assert.equal(err.code, 'rate_limited');
  assert.equal(typeof err.message, 'string');
  const retryAfter = Number(r.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds, `retry-after ${r.headers['retry-after']}`);
  assert.equal(err.details.retryAfterSeconds, retryAfter);
  assert.equal(err.details.limit, limit);
  assert.equal(rl(r).remaining, 0);
  assert.equal(rl(r).limit, limit);
}

describe('rate limiting over HTTP (memory store)', () => {
  let t: TestApp;
  let clockMs = Date.parse('2030-01-01T00:00:00Z');
  before(async () => {
    t = await startTestApp({ config: { rateLimitMax: 2, rateLimitAnonMax: 2, rateLimitWindowSeconds: 60 }, rateLimitStore: new MemoryRateLimitStore(() => new Date(clockMs)) });
  });
  after(async () => t.close());

  const current = (key: string, remoteAddress?: string) => t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: bearer(key), remoteAddress });

  test("a key's own limit: headers count down, then 429 with retry-after", async () => {
    const k = await t.newKey(['read'], undefined, { rateLimit: { max: 3, windowSeconds: 60 } });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await current(k.secret);
      assert.equal(r.statusCode, 200, r.body);
      const h = rl(r);
      assert.equal(h.limit, 3);
      assert.ok(Number.isInteger(h.reset) && h.reset >= 1 && h.reset <= 60, `reset ${h.reset}`);
      seen.push(h.remaining);
    }
    assert.deepEqual(seen, [2, 1, 0]);
    assertLimited(await current(k.secret), 3, 60);
    // Still limited on the next try; the key is not otherwise affected (a valid key, so not a 401).
    assertLimited(await current(k.secret), 3, 60);
  });

  test('another key of the same org has its own budget', async () => {
    const a = await t.newKey(['read'], undefined, { rateLimit: { max: 3, windowSeconds: 60 } });
    const b = await t.newKey(['read'], undefined, { rateLimit: { max: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) assert.equal((await current(a.secret)).statusCode, 200);
    assertLimited(await current(a.secret), 3, 60);
    const rb = await current(b.secret);
    assert.equal(rb.statusCode, 200);
    assert.equal(rl(rb).remaining, 2);
  });

  test('a key without its own limit uses the configured default', async () => {
    const k = await t.newKey(['read']);
    const r1 = await current(k.secret);
    assert.equal(r1.statusCode, 200);
    assert.deepEqual([rl(r1).limit, rl(r1).remaining], [2, 1]);
    const r2 = await current(k.secret);
    assert.deepEqual([r2.statusCode, rl(r2).remaining], [200, 0]);
    assertLimited(await current(k.secret), 2, 60);
  });

  test('the window resets: a limited key is allowed again once the window has passed', async () => {
    const k = await t.newKey(['read'], undefined, { rateLimit: { max: 1, windowSeconds: 30 } });
    assert.equal((await current(k.secret)).statusCode, 200);
    clockMs += 10_000;
    const limited = await current(k.secret);
    assertLimited(limited, 1, 30);
    assert.equal(Number(limited.headers['retry-after']), 20);
    clockMs += 20_000;
    const again = await current(k.secret);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(rl(again).remaining, 0);
    assert.equal(rl(again).reset, 30);
  });

  test('requests with bad keys are limited per client address: the third is 429, not 401', async () => {
    const ip = '10.1.0.1';
    const bad = [`iv_${'B'.repeat(32)}`, 'iv_short', `iv_${'C'.repeat(32)}`];
    const r1 = await current(bad[0]!, ip);
    assert.equal(r1.statusCode, 401);
    assert.equal(r1.json().error.code, 'invalid_api_key');
    assert.deepEqual([rl(r1).limit, rl(r1).remaining], [2, 1]);
    const r2 = await t.app.inject({ method: 'GET', url: '/api/v1/keys', remoteAddress: ip }); // no key at all
    assert.equal(r2.statusCode, 401);
    assert.equal(r2.json().error.code, 'missing_api_key');
    assert.equal(rl(r2).remaining, 0);
    assertLimited(await current(bad[2]!, ip), 2, 60);
    // Another address has its own budget …
    const other = await current(bad[0]!, '10.1.0.2');
    assert.equal(other.statusCode, 401);
    assert.equal(rl(other).remaining, 1);
    // … and a valid key from the limited address is not blocked by the anonymous limit.
    const good = await t.newKey(['read']);
    assert.equal((await current(good.secret, ip)).statusCode, 200);
    // Public routes are not limited at all.
    const health = await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: ip });
    assert.equal(health.statusCode, 200);
    assert.equal(health.headers['ratelimit-limit'], undefined);
  });

  test('revoked and expired keys count against the client address, not the key', async () => {
    const ip = '10.1.0.3';
    const revoked = await t.newKey(['read']);
    await t.sql.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [revoked.id]);
    const expired = await t.newKey(['read'], undefined, { expiresAt: new Date(Date.now() - 1000) });
    assert.equal((await current(revoked.secret, ip)).json().error.code, 'revoked_api_key');
    assert.equal((await current(expired.secret, ip)).json().error.code, 'expired_api_key');
    assertLimited(await current(revoked.secret, ip), 2, 60);
  });

  test('rate limit headers are on 403 insufficient_scope responses too', async () => {
    const k = await t.newKey(['read'], undefined, { rateLimit: { max: 5, windowSeconds: 60 } });
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/keys', headers: bearer(k.secret) });
    assert.equal(r.statusCode, 403);
    assert.equal(r.json().error.code, 'insufficient_scope');
    assert.deepEqual([rl(r).limit, rl(r).remaining], [5, 4]);
    assert.equal(r.headers['retry-after'], undefined);
  });
});

/** The real store, counting API key lookups (the statement a guess would cost). */
function countingLookups(sql: Sql, counter: { lookups: number }): Sql {
  return {
    driver: sql.driver,
    query<R>(text: string, params?: readonly unknown[]) {
      if (/FROM api_keys WHERE key_hash/.test(text)) counter.lookups++;
      return sql.query<R>(text, params);
    },
    exec: (script) => sql.exec(script),
    transaction: (fn) => sql.transaction(fn),
    ping: () => sql.ping(),
    close: async () => undefined,
  };
}

describe('failed-authentication streaks (memory store)', () => {
  let t: TestApp;
  let app: TestApp['app'];
  let limiter: RateLimiter;
  let clockMs = Date.now();
  const counter = { lookups: 0 };

  before(async () => {
    t = await startTestApp();
    limiter = new RateLimiter(new MemoryRateLimitStore(() => new Date(clockMs)));
    app = await buildApp(
      testDeps({
        config: { authFailureMax: 3, authFailureWindowSeconds: 60 },
        sql: countingLookups(t.sql, counter),
        logger: createLogger({ level: 'info', destination: new LogCapture() }),
        limiter,
        now: () => new Date(clockMs),
      }),
    );
  });
  after(async () => {
    await app.close();
    await limiter.close();
    await t.close();
  });

  const current = (key: string | undefined, remoteAddress: string) => app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: key === undefined ? {} : bearer(key), remoteAddress });
  const code = async (key: string | undefined, ip: string) => {
    const r = await current(key, ip);
    return r.statusCode === 200 ? 200 : `${r.statusCode} ${r.json().error.code}`;
  };

  test('past N failures from an address: 429 with Retry-After before any key lookup; a success does not reset it; keys it verified still pass; the window ends it', async () => {
    const ip = '10.7.0.1';
    const used = await t.newKey(['read']); // verified from this address before the streak
    const fresh = await t.newKey(['read']); // never seen by this process
    const revoked = await t.newKey(['read']);
    await t.sql.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [revoked.id]);
    const unknown = `iv_${'U'.repeat(32)}`;

    assert.equal(await code(used.secret, ip), 200);
    const failures = [
      [unknown, '401 invalid_api_key'],
      ['iv_short', '401 invalid_api_key'],
      [revoked.secret, '401 revoked_api_key'],
    ] as const;
    for (const [key, want] of failures) assert.equal(await code(key, ip), want);
    assert.equal(counter.lookups, 3, 'the valid key, the unknown and the revoked one were looked up (the malformed one needs no lookup)');

    // The streak is full: a guess, a never-verified valid key and a request without a key are all
    // refused before the lookup.
    for (const key of [unknown, `iv_${'V'.repeat(32)}`, fresh.secret, undefined]) {
      const r = await current(key, ip);
      assertLimited(r, 3, 60);
      assert.equal(r.json().error.details.reason, 'failed_authentication');
      assert.match(r.json().error.message, /failed authentications/);
    }
    assert.equal(counter.lookups, 3, 'no lookup while the address is in its streak');

    // A key this process verified recently is not a guess: it passes (and is looked up as always) …
    assert.equal(await code(used.secret, ip), 200);
    assert.equal(counter.lookups, 4);
    // … but its success unlocks nothing for the guesses that follow.
    assertLimited(await current(unknown, ip), 3, 60);
    assert.equal(counter.lookups, 4);

    // Revoking the vouched key takes effect at once; afterwards it is treated as any other key.
    await t.sql.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [used.id]);
    assert.equal(await code(used.secret, ip), '401 revoked_api_key');
    assertLimited(await current(used.secret, ip), 3, 60);
    assert.equal(counter.lookups, 5);

    // Other addresses have their own count; public routes are never limited.
    assert.equal(await code(unknown, '10.7.0.2'), '401 invalid_api_key');
    assert.equal(await code(fresh.secret, '10.7.0.2'), 200);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: ip })).statusCode, 200);

    // Vouching is by key, not by address: the key just verified from elsewhere passes here too.
    assert.equal(await code(fresh.secret, ip), 200);

    // Retry-After counts down with the window; once it has passed the address starts afresh.
    const another = await t.newKey(['read']);
    clockMs += 45_000;
    const later = await current(another.secret, ip);
    assertLimited(later, 3, 60);
    assert.ok(Number(later.headers['retry-after']) <= 15, `retry-after ${later.headers['retry-after']}`);
    clockMs += 15_000;
    assert.equal(await code(another.secret, ip), 200);
    assert.equal(await code(unknown, ip), '401 invalid_api_key');
  });

  test('requests without a key do not add to a streak; every presented and refused credential does', async () => {
    const ip = '10.7.0.3';
    for (let i = 0; i < 5; i++) assert.equal(await code(undefined, ip), '401 missing_api_key');
    const k = await t.newKey(['read']);
    assert.equal(await code(k.secret, ip), 200);
    const expired = await t.newKey(['read'], undefined, { expiresAt: new Date(clockMs - 1000) });
    assert.equal(await code(expired.secret, ip), '401 expired_api_key');
    assert.equal(await code('Basic dXNlcjpwYXNz', ip), '401 invalid_api_key');
    assert.equal(await code(expired.secret, ip), '401 expired_api_key');
    assert.equal(await code(expired.secret, ip), '429 rate_limited');
  });
});

describe('rate limiting shared through Redis', () => {
  const prefix = `iv:test:rl:${process.pid}:${randomBytes(4).toString('hex')}:`;
  let redis: Redis;
  const apps: TestApp[] = [];

  before(async () => {
    redis = new Redis(redisUrl);
  });
  after(async () => {
    for (const a of apps.reverse()) await a.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    assert.deepEqual(await redis.keys(`${prefix}*`), []);
    await redis.quit();
  });

  test('two app instances on one Redis share one limit', async () => {
    const t1 = await startTestApp({ config: { rateLimitMax: 4 }, rateLimitStore: await RedisRateLimitStore.connect(redisUrl, prefix) });
    apps.push(t1);
    const t2 = await startTestApp({ store: t1.store, config: { rateLimitMax: 4 }, rateLimitStore: await RedisRateLimitStore.connect(redisUrl, prefix) });
    apps.push(t2);
    const k = await t1.newKey(['read']);
    const on = (t: TestApp) => t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: bearer(k.secret) });

    const remaining: number[] = [];
    for (const t of [t1, t1, t2, t2]) {
      const r = await on(t);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(rl(r).limit, 4);
      remaining.push(rl(r).remaining);
    }
    assert.deepEqual(remaining, [3, 2, 1, 0]);
    assertLimited(await on(t1), 4, 60);
    assertLimited(await on(t2), 4, 60);

    // The count lives in Redis under the prefix, with the window as its expiry.
    const keys = await redis.keys(`${prefix}*`);
    assert.ok(keys.some((x) => x.includes(k.id)), keys.join());
    const ttl = await redis.pttl(keys.find((x) => x.includes(k.id))!);
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
    assert.equal(await redis.get(keys.find((x) => x.includes(k.id))!), '6');
  });

  test('anonymous limits are shared across instances too', async () => {
    const store1 = await RedisRateLimitStore.connect(redisUrl, prefix);
    const t1 = await startTestApp({ config: { rateLimitAnonMax: 2 }, rateLimitStore: store1 });
    apps.push(t1);
    const t2 = await startTestApp({ store: t1.store, config: { rateLimitAnonMax: 2 }, rateLimitStore: await RedisRateLimitStore.connect(redisUrl, prefix) });
    apps.push(t2);
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const bad = { method: 'GET' as const, url: '/api/v1/orgs/current', headers: bearer(`iv_${'Z'.repeat(32)}`), remoteAddress: ip };
    assert.equal((await t1.app.inject(bad)).statusCode, 401);
    assert.equal((await t2.app.inject(bad)).statusCode, 401);
    assertLimited(await t1.app.inject(bad), 2, 60);
  });

  test('failed-authentication streaks are shared across instances; peek adds nothing', async () => {
    const t1 = await startTestApp({ config: { authFailureMax: 2, authFailureWindowSeconds: 60 }, rateLimitStore: await RedisRateLimitStore.connect(redisUrl, prefix) });
    apps.push(t1);
    const t2 = await startTestApp({ store: t1.store, config: { authFailureMax: 2, authFailureWindowSeconds: 60 }, rateLimitStore: await RedisRateLimitStore.connect(redisUrl, prefix) });
    apps.push(t2);
    const ip = `10.8.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const bad = { method: 'GET' as const, url: '/api/v1/orgs/current', headers: bearer(`iv_${'Y'.repeat(32)}`), remoteAddress: ip };
    assert.equal((await t1.app.inject(bad)).statusCode, 401);
    assert.equal((await t2.app.inject(bad)).statusCode, 401);
    const r = await t1.app.inject(bad);
    assertLimited(r, 2, 60);
    assert.equal(r.json().error.details.reason, 'failed_authentication');
    assertLimited(await t2.app.inject({ ...bad, headers: bearer(t2.adminKey) }), 2, 60); // never verified by t2 from here
    const key = (await redis.keys(`${prefix}authfail:${ip}:*`))[0]!;
    assert.equal(await redis.get(key), '2', 'refused requests in a streak are not counted again');
    const store = await RedisRateLimitStore.connect(redisUrl, prefix);
    try {
      const peeked = await store.peek(key.slice(prefix.length));
      assert.equal(peeked.count, 2);
      assert.ok(peeked.resetMs > 0 && peeked.resetMs <= 60_000);
      assert.deepEqual(await store.peek('authfail:nobody:60'), { count: 0, resetMs: 0 });
    } finally {
      await store.close();
    }
  });

  test('when Redis is unreachable, requests are let through', async () => {
    const store = await RedisRateLimitStore.connect(redisUrl, prefix);
    const t = await startTestApp({ config: { rateLimitMax: 1 }, rateLimitStore: store });
    apps.push(t);
    await store.close(); // the limiter now fails on every call
    for (let i = 0; i < 3; i++) {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: bearer(t.adminKey) });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(rl(r).limit, 1);
    }
  });

  test('connect fails with a clear error when Redis does not answer', async () => {
    await assert.rejects(RedisRateLimitStore.connect('redis://127.0.0.1:1', prefix), /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});

describe('RateLimiter and MemoryRateLimitStore (unit)', () => {
  test('a store that throws lets the request through and reports the error', async () => {
    const boom = new Error('redis down');
    const failing: RateLimitStore = { hit: () => Promise.reject(boom), peek: () => Promise.reject(boom), close: async () => undefined };
    const errors: Error[] = [];
    const limiter = new RateLimiter(failing, (e) => errors.push(e));
    const d = await limiter.check('key:x', { max: 5, windowSeconds: 30 });
    assert.equal(d.allowed, true);
    assert.equal(d.limit, 5);
    assert.equal(d.remaining, 5);
    assert.equal(d.resetSeconds, 30);
    assert.deepEqual(errors, [boom]);
    // Without a handler it still lets requests through.
    assert.equal((await new RateLimiter(failing).check('key:x', { max: 1, windowSeconds: 1 })).allowed, true);
    // peek fails open the same way.
    assert.deepEqual(await limiter.peek('authfail:x', { max: 5, windowSeconds: 30 }), { allowed: true, limit: 5, remaining: 5, resetSeconds: 30 });
    assert.deepEqual(errors, [boom, boom]);
  });

  test('a store that throws synchronously is handled the same way', async () => {
    const failing: RateLimitStore = {
      hit: () => {
        throw new Error('sync');
      },
      peek: () => {
        throw new Error('sync');
      },
      close: async () => undefined,
    };
    let called = 0;
    const d = await new RateLimiter(failing, () => called++).check('b', { max: 1, windowSeconds: 1 });
    assert.equal(d.allowed, true);
    assert.equal(called, 1);
    assert.equal((await new RateLimiter(failing, () => called++).peek('b', { max: 1, windowSeconds: 1 })).allowed, true);
    assert.equal(called, 2);
  });

  test('MemoryRateLimitStore: fixed windows reset on an injected clock', async () => {
    let now = 1_000_000;
    const store = new MemoryRateLimitStore(() => new Date(now));
    try {
      assert.deepEqual(await store.hit('a', 1000), { count: 1, resetMs: 1000 });
      now += 400;
      assert.deepEqual(await store.hit('a', 1000), { count: 2, resetMs: 600 });
      assert.deepEqual(await store.hit('b', 1000), { count: 1, resetMs: 1000 }, 'buckets are independent');
      now += 599;
      assert.deepEqual(await store.hit('a', 1000), { count: 3, resetMs: 1 });
      now += 1; // exactly at the window's end: a new window
      assert.deepEqual(await store.hit('a', 1000), { count: 1, resetMs: 1000 });
      now += 5000;
      assert.deepEqual(await store.hit('b', 1000), { count: 1, resetMs: 1000 });
    } finally {
      await store.close();
    }
  });

  test('peek reads the count without adding to it (memory store); the limiter denies at max', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => new Date(now));
    const limiter = new RateLimiter(store);
    try {
      const policy = { max: 2, windowSeconds: 10 };
      assert.deepEqual(await store.peek('f:10'), { count: 0, resetMs: 0 });
      assert.deepEqual(await limiter.peek('f', policy), { allowed: true, limit: 2, remaining: 2, resetSeconds: 10 });
      await limiter.check('f', policy);
      now += 3000;
      for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.peek('f', policy), { allowed: true, limit: 2, remaining: 1, resetSeconds: 7 });
      await limiter.check('f', policy);
      assert.deepEqual(await limiter.peek('f', policy), { allowed: false, limit: 2, remaining: 0, resetSeconds: 7 });
      assert.deepEqual(await store.peek('f:10'), { count: 2, resetMs: 7000 });
      now += 7000;
      assert.deepEqual(await limiter.peek('f', policy), { allowed: true, limit: 2, remaining: 2, resetSeconds: 10 });
    } finally {
      await limiter.close();
    }
  });

  test('RateLimiter over the memory store: allows max, then denies until the window passes', async () => {
    let now = 0;
    const limiter = new RateLimiter(new MemoryRateLimitStore(() => new Date(now)));
    try {
      const policy = { max: 2, windowSeconds: 10 };
      const d1 = await limiter.check('k', policy);
      assert.deepEqual(d1, { allowed: true, limit: 2, remaining: 1, resetSeconds: 10 });
      now += 2500;
      assert.deepEqual(await limiter.check('k', policy), { allowed: true, limit: 2, remaining: 0, resetSeconds: 8 });
      assert.deepEqual(await limiter.check('k', policy), { allowed: false, limit: 2, remaining: 0, resetSeconds: 8 });
      // Another policy window for the same bucket counts separately.
      assert.equal((await limiter.check('k', { max: 2, windowSeconds: 20 })).allowed, true);
      now += 7499;
      const last = await limiter.check('k', policy);
      assert.equal(last.allowed, false);
      assert.equal(last.resetSeconds, 1, 'rounded up, at least 1');
      now += 1;
      assert.equal((await limiter.check('k', policy)).allowed, true);
    } finally {
      await limiter.close();
    }
  });
});
