import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { App } from '../src/api/types.js';
import { authentication } from '../src/api/plugins/auth.js';
import { errorHandling } from '../src/api/plugins/errors.js';
import { requestContext, requestIdFor } from '../src/api/plugins/request-context.js';
import { hashApiKey } from '../src/auth/api-keys.js';
import { currentContext, rawContext, runWithContext, type RequestContext } from '../src/core/context.js';
import { createLogger } from '../src/core/logger.js';
import { RateLimiter } from '../src/ratelimit/limiter.js';
import { MemoryRateLimitStore } from '../src/ratelimit/memory-store.js';
import { bearer, LogCapture, startTestApp, type TestApp } from './helpers/app.js';

type Line = Record<string, unknown>;

async function keyIdOf(t: TestApp, secret: string): Promise<string> {
  const r = await t.sql.query<{ id: string }>('SELECT id FROM api_keys WHERE key_hash = $1', [hashApiKey(secret)]);
  return r.rows[0]!.id;
}

describe('tenant context and logging', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  describe('log lines of a request carry its request id and org id', () => {
    test('POST /api/v1/keys: every line of the request, including "request completed"', async () => {
      const requestId = `ctx-${Math.random().toString(36).slice(2, 10)}`;
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...bearer(t.adminKey), 'x-request-id': requestId }, payload: { name: 'logged', scopes: ['read'] } });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.headers['x-request-id'], requestId);
      const adminKeyId = await keyIdOf(t, t.adminKey);

      // Fastify's request logger binds reqId; the tenant context adds requestId/orgId/keyId.
      const ofRequest = t.logs.lines.filter((l) => l.reqId === requestId || l.requestId === requestId);
      const msgs = ofRequest.map((l) => l.msg);
      assert.ok(msgs.includes('api key created'), msgs.join());
      assert.ok(msgs.includes('request completed'), msgs.join());
      for (const l of ofRequest) {
        assert.equal(l.requestId, requestId, JSON.stringify(l));
        assert.equal(l.orgId, t.org.id, JSON.stringify(l));
        assert.equal(l.keyId, adminKeyId, JSON.stringify(l));
      }
      const created = ofRequest.find((l) => l.msg === 'api key created')!;
      assert.equal(created.apiKeyId, r.json().id);
      const done = ofRequest.find((l) => l.msg === 'request completed')!;
      assert.equal(done.statusCode, 201);
      assert.equal(done.route, '/api/v1/keys');
      assert.equal(done.method, 'POST');
      assert.equal(typeof done.responseTimeMs, 'number');
      assert.equal(done.level, 30);
    });

    test('a generated request id is the one in the logs; concurrent requests of two orgs do not mix', async () => {
      const b = await t.newOrg('Ctx Beta');
      const before = t.logs.lines.length;
      const rs = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          t.app.inject({ method: i % 2 ? 'DELETE' : 'GET', url: i % 2 ? '/api/v1/keys/00000000-0000-4000-8000-000000000000' : '/api/v1/keys', headers: bearer(i % 3 ? t.adminKey : b.key) }),
        ),
      );
      const lines = t.logs.lines.slice(before);
      rs.forEach((r, i) => {
        const id = r.headers['x-request-id'] as string;
        assert.match(id, /^[0-9a-f-]{36}$/);
        const mine = lines.filter((l) => l.reqId === id);
        assert.ok(mine.some((l) => l.msg === 'request completed'), `no completion line for request ${i}`);
        for (const l of mine) {
          assert.equal(l.requestId, id);
          assert.equal(l.orgId, i % 3 ? t.org.id : b.org.id, `request ${i}: ${JSON.stringify(l)}`);
        }
      });
    });

    test('an unauthenticated request logs its request id and no org', async () => {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/keys', headers: { 'x-request-id': 'anon-req-1' } });
      assert.equal(r.statusCode, 401);
      const mine = t.logs.lines.filter((l) => l.reqId === 'anon-req-1');
      assert.ok(mine.some((l) => l.msg === 'request completed' && l.statusCode === 401));
      for (const l of mine) {
        assert.equal(l.requestId, 'anon-req-1');
        assert.equal(l.orgId, undefined);
        assert.equal(l.keyId, undefined);
      }
    });

    test('lines written outside any request carry no request fields', async () => {
      const before = t.logs.lines.length;
      t.logger.child({ component: 'jobs' }).info('background work');
      const line = t.logs.lines.slice(before).find((l) => l.msg === 'background work')!;
      assert.ok(line);
      assert.equal(line.requestId, undefined);
      assert.equal(line.orgId, undefined);
    });
  });

  describe('currentContext()', () => {
    test('is undefined outside a request and after one', async () => {
      assert.equal(currentContext(), undefined);
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: bearer(t.adminKey) });
      assert.equal(r.statusCode, 200);
      assert.equal(currentContext(), undefined);
      assert.equal(rawContext(), undefined);
    });

    test('runWithContext: the context reaches awaited and scheduled code, with defaults', async () => {
      const seen = await runWithContext({ requestId: 'r-1', orgId: 'o-1' }, async () => {
        const first = currentContext();
        await sleep(5);
        const afterAwait = currentContext();
        const inTimer = await new Promise<RequestContext | undefined>((resolve) => setTimeout(() => resolve(currentContext()), 5));
        const inImmediate = await new Promise<RequestContext | undefined>((resolve) => setImmediate(() => resolve(currentContext())));
        return { first, afterAwait, inTimer, inImmediate };
      });
      assert.deepEqual(seen.first, { requestId: 'r-1', orgId: 'o-1', metadata: {}, ended: false });
      assert.equal(seen.afterAwait, seen.first);
      assert.equal(seen.inTimer, seen.first);
      assert.equal(seen.inImmediate, seen.first);
      assert.equal(currentContext(), undefined, 'nothing leaks out of runWithContext');
    });

    test('concurrent contexts never see each other', async () => {
      const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
      let active = 0;
      let maxActive = 0;
      const results = await Promise.all(
        ids.map((id, i) =>
          runWithContext({ requestId: `req-${id}` }, async () => {
            active++;
            maxActive = Math.max(maxActive, active);
            const seen: (string | undefined)[] = [];
            for (let step = 0; step < 5; step++) {
              // Different delays per task and step, so the tasks interleave.
              await sleep(((i * 7 + step * 3) % 11) + 1);
              const ctx = currentContext();
              seen.push(ctx?.requestId);
              if (ctx) {
                ctx.orgId = `org-${id}`;
                ctx.metadata[`step${step}`] = id;
              }
              await new Promise((resolve) => setImmediate(resolve));
              seen.push(currentContext()?.orgId === `org-${id}` ? `req-${id}` : `wrong org ${currentContext()?.orgId}`);
            }
            active--;
            return { seen, metadata: currentContext()?.metadata };
          }),
        ),
      );
      assert.ok(maxActive > 1, 'the tasks overlapped');
      results.forEach((r, i) => {
        const id = ids[i]!;
        assert.deepEqual(r.seen, Array(10).fill(`req-${id}`));
        assert.deepEqual(r.metadata, { step0: id, step1: id, step2: id, step3: id, step4: id });
      });
    });

    test('nested runWithContext shadows, then restores the outer context', async () => {
      await runWithContext({ requestId: 'outer' }, async () => {
        await runWithContext({ requestId: 'inner' }, async () => {
          await sleep(1);
          assert.equal(currentContext()?.requestId, 'inner');
        });
        assert.equal(currentContext()?.requestId, 'outer');
      });
    });

    test('a context marked ended is not returned (rawContext still is)', async () => {
      await runWithContext({ requestId: 'ending' }, async () => {
        const ctx = currentContext()!;
        assert.equal(ctx.requestId, 'ending');
        const later = new Promise<[RequestContext | undefined, RequestContext | undefined]>((resolve) => setTimeout(() => resolve([currentContext(), rawContext()]), 10));
        rawContext()!.ended = true;
        assert.equal(currentContext(), undefined);
        assert.equal(rawContext(), ctx);
        const [cur, raw] = await later;
        assert.equal(cur, undefined);
        assert.equal(raw, ctx);
      });
    });

    test('log lines written in an ended context carry no request fields', async () => {
      const logs = new LogCapture();
      const log = createLogger({ level: 'info', destination: logs });
      runWithContext({ requestId: 'r-x', orgId: 'o-x', keyId: 'k-x', userId: 'u-x' }, () => {
        log.info('live');
        rawContext()!.ended = true;
        log.info('ended');
      });
      await sleep(10);
      const live = logs.lines.find((l) => l.msg === 'live')!;
      assert.deepEqual([live.requestId, live.orgId, live.keyId, live.userId], ['r-x', 'o-x', 'k-x', 'u-x']);
      const ended = logs.lines.find((l) => l.msg === 'ended')!;
      assert.deepEqual([ended.requestId, ended.orgId, ended.keyId, ended.userId], [undefined, undefined, undefined, undefined]);
    });
  });

  describe('the request-context plugin on a plain Fastify app', () => {
    let bare: App;
    let logs: LogCapture;
    const responded = new Set<string>();
    const captured = new Map<string, { inHandler?: RequestContext; afterAwait?: RequestContext; afterQuery?: RequestContext; late: Promise<RequestContext | undefined> }>();

    before(async () => {
      logs = new LogCapture();
      const logger = createLogger({ level: 'debug', destination: logs });
      const ingestLog = logger.child({ component: 'ingest' });
      bare = Fastify({ loggerInstance: logger as FastifyBaseLogger, genReqId: requestIdFor }) as unknown as App;
      errorHandling(bare);
      requestContext(bare);
      authentication(bare, {
        sql: t.sql,
        limiter: new RateLimiter(new MemoryRateLimitStore()),
        logger,
        defaultPolicy: { max: 1000, windowSeconds: 60 },
        anonymousPolicy: { max: 1000, windowSeconds: 60 },
      });
      // Registered after requestContext, so it runs after the context is closed.
      bare.addHook('onResponse', async (req) => {
        responded.add(req.id);
      });
      const handler = async (req: { id: string }) => {
        const entry: { inHandler?: RequestContext; afterAwait?: RequestContext; afterQuery?: RequestContext; late: Promise<RequestContext | undefined> } = {
          inHandler: currentContext(),
          late: undefined as never,
        };
        ingestLog.info('in handler');
        await sleep(2);
        entry.afterAwait = currentContext();
        await t.sql.query('SELECT 1');
        entry.afterQuery = currentContext();
        ingestLog.info('after query');
        // A timer scheduled by the handler that fires only once the response has been sent.
        entry.late = new Promise((resolve) => {
          const poll = () => {
            if (!responded.has(req.id)) return void setTimeout(poll, 2);
            ingestLog.info('late callback');
            resolve(currentContext());
          };
          setTimeout(poll, 2);
        });
        captured.set(req.id, entry);
        return { ok: true };
      };
      bare.get('/probe', { config: { scope: 'public' } }, handler);
      bare.post('/api/probe', { config: { scope: 'read' } }, handler);
      await bare.ready();
    });
    after(async () => bare.close());

    test('public route: the handler sees the request id; a callback after the response sees undefined', async () => {
      const r = await bare.inject({ method: 'GET', url: '/probe', headers: { 'x-request-id': 'bare-1' } });
      assert.equal(r.statusCode, 200);
      assert.equal(r.headers['x-request-id'], 'bare-1');
      const c = captured.get('bare-1')!;
      assert.equal(c.inHandler?.requestId, 'bare-1');
      assert.equal(c.inHandler?.metadata.method, 'GET');
      assert.equal(c.afterAwait?.requestId, 'bare-1');
      assert.equal(c.afterQuery?.requestId, 'bare-1');
      assert.equal(await c.late, undefined);
      assert.equal(c.inHandler?.ended, true, 'the context is marked ended once the response is sent');
    });

    test('authenticated route with a JSON body over a real socket: the context survives body parsing and carries the org', async () => {
      // Over a socket the body arrives in the connection's async scope, not the request's (inject
      // would hide that), so this goes through a listening server.
      const address = await bare.listen({ port: 0, host: '127.0.0.1' });
      const r = await fetch(`${address}/api/probe`, {
        method: 'POST',
        headers: { ...bearer(t.adminKey), 'x-request-id': 'bare-2', 'content-type': 'application/json' },
        body: JSON.stringify({ some: 'body', n: [1, 2, 3], pad: 'x'.repeat(100_000) }),
      });
      assert.equal(r.status, 200, await r.text());
      assert.equal(r.headers.get('x-request-id'), 'bare-2');
      const keyId = await keyIdOf(t, t.adminKey);
      const c = captured.get('bare-2')!;
      for (const ctx of [c.inHandler, c.afterAwait, c.afterQuery]) {
        assert.equal(ctx?.requestId, 'bare-2');
        assert.equal(ctx?.orgId, t.org.id);
        assert.equal(ctx?.keyId, keyId);
      }
      assert.equal(await c.late, undefined);

      // A body streamed slowly in chunks: still the request's context when the handler runs.
      const { port } = bare.server.address() as { port: number };
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, method: 'POST', path: '/api/probe', headers: { ...bearer(t.adminKey), 'x-request-id': 'bare-3', 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.write('{"a":');
        setTimeout(() => {
          req.write('"slow');
          setTimeout(() => req.end('"}'), 20);
        }, 20);
      });
      assert.equal(status, 200);
      const slow = captured.get('bare-3')!;
      assert.equal(slow.inHandler?.requestId, 'bare-3');
      assert.equal(slow.afterQuery?.orgId, t.org.id);

      // Component loggers (not req.log) get the tenant fields while the request runs, not after.
      await sleep(5);
      const inHandler = logs.lines.find((l) => l.msg === 'in handler' && l.requestId === 'bare-2')!;
      assert.ok(inHandler, 'in-handler line');
      assert.equal(inHandler.component, 'ingest');
      assert.equal(inHandler.orgId, t.org.id);
      assert.equal(inHandler.keyId, keyId);
      const afterQuery = logs.lines.find((l) => l.msg === 'after query' && l.requestId === 'bare-2')!;
      assert.equal(afterQuery.orgId, t.org.id);
      await slow.late;
      const late = logs.lines.filter((l) => l.msg === 'late callback');
      assert.equal(late.length, 3, 'one late line per request so far (bare-1, bare-2, bare-3)');
      for (const l of late) {
        assert.equal(l.requestId, undefined, JSON.stringify(l));
        assert.equal(l.orgId, undefined);
        assert.equal(l.component, 'ingest');
      }
    });

    test('overlapping requests each see their own context', async () => {
      const ids = Array.from({ length: 5 }, (_, i) => `bare-par-${i}`);
      const rs = await Promise.all(ids.map((id, i) => bare.inject({ method: i % 2 ? 'POST' : 'GET', url: i % 2 ? '/api/probe' : '/probe', headers: { ...bearer(t.adminKey), 'x-request-id': id }, payload: i % 2 ? { i } : undefined })));
      rs.forEach((r) => assert.equal(r.statusCode, 200, r.body));
      for (const id of ids) {
        const c = captured.get(id)!;
        assert.equal(c.inHandler?.requestId, id);
        assert.equal(c.afterQuery?.requestId, id);
        assert.equal(await c.late, undefined);
      }
    });
  });

  describe('redaction', () => {
    test('secrets in headers, fields and messages never reach a log line', async () => {
      const other = await t.newKey(['read']);
      const unknown = `iv_${'Q'.repeat(32)}`;
      const before = t.logs.raw.length;
      const rs = [
        await t.app.inject({ method: 'GET', url: '/api/v1/keys', headers: { authorization: `Bearer ${t.adminKey}` } }),
        await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { 'x-api-key': other.secret } }),
        await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { authorization: `Bearer ${unknown}` } }),
        await t.app.inject({ method: 'GET', url: '/api/v1/keys', headers: { 'x-api-key': other.secret } }),
      ];
      assert.deepEqual(rs.map((r) => r.statusCode), [200, 200, 401, 403]);

      const log = t.logger.child({ component: 'x' });
      const password = 'hunter2-correct-horse';
      const secret = 'shh-very-secret-value';
      const token = 'tok-0123456789';
      log.info(
        {
          apiKey: t.adminKey,
          password,
          secret,
          token,
          headers: { authorization: `Bearer ${other.secret}`, 'x-api-key': unknown, cookie: 'session=cookie-secret' },
          req: { headers: { authorization: `Bearer ${t.adminKey}`, 'x-api-key': other.secret } },
          user: { name: 'ann', password, apiKey: other.secret },
          authorization: `Bearer ${unknown}`,
        },
        `client used ${t.adminKey} and ${other.secret}`,
      );
      log.warn('formatted %s and %s', unknown, other.secret);
      log.child({ apiKey: other.secret, component: 'y' }).info('child bound with a key');
      await sleep(10);

      const raw = t.logs.raw.slice(before);
      assert.ok(raw.length >= 8, `expected request and test lines, got ${raw.length}`);
      for (const line of raw) {
        for (const s of [t.adminKey, other.secret, unknown, password, secret, token, 'cookie-secret']) {
          assert.ok(!line.includes(s), `log line contains a secret: ${line}`);
        }
        // Not even the random part of a key.
        for (const s of [t.adminKey, other.secret]) assert.ok(!line.includes(s.slice(3)), `log line contains a key body: ${line}`);
      }

      const lines = t.logs.lines.slice(before);
      const main = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('client used'))!;
      assert.ok(main, 'the test line was written');
      assert.equal(main.component, 'x');
      assert.equal(main.apiKey, '[REDACTED]');
      assert.equal(main.password, '[REDACTED]');
      assert.equal(main.secret, '[REDACTED]');
      assert.equal(main.token, '[REDACTED]');
      assert.equal(main.authorization, '[REDACTED]');
      assert.deepEqual(main.headers, { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', cookie: '[REDACTED]' });
      assert.deepEqual(main.req, { headers: { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' } });
      assert.deepEqual(main.user, { name: 'ann', password: '[REDACTED]', apiKey: '[REDACTED]' });
      assert.equal(main.msg, 'client used iv_[REDACTED] and iv_[REDACTED]');
      const formatted = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('formatted'))!;
      assert.equal(formatted.msg, 'formatted iv_[REDACTED] and iv_[REDACTED]');
      const bound = lines.find((l) => l.msg === 'child bound with a key')!;
      assert.equal(bound.apiKey, '[REDACTED]');
      assert.equal(bound.component, 'y');
    });

    test('keys in errors, stacks and nested strings, and secret fields at any depth, are redacted', async () => {
      const logs = new LogCapture();
      const log = createLogger({ level: 'info', destination: logs });
      const key = `iv_${'Z'.repeat(32)}`;
      log.error(new Error(`upstream rejected ${key}`));
      log.warn({ err: new Error(`bad ${key}`), a: { b: { c: { token: 'deep-token-value', note: `saw ${key}` } } }, list: [{ password: 'pw-in-array' }] }, 'nested');
      await sleep(10);
      for (const line of logs.raw) {
        for (const s of [key, 'deep-token-value', 'pw-in-array']) assert.ok(!line.includes(s), `log line contains a secret: ${line}`);
      }
      const [first, second] = logs.lines;
      assert.equal(first!.msg, 'upstream rejected iv_[REDACTED]');
      assert.equal((first!.err as { type: string }).type, 'Error');
      assert.match((first!.err as { stack: string }).stack, /^Error: upstream rejected iv_\[REDACTED\]/);
      assert.deepEqual((second!.a as Record<string, unknown>), { b: { c: { token: '[REDACTED]', note: 'saw iv_[REDACTED]' } } });
      assert.deepEqual(second!.list, [{ password: '[REDACTED]' }]);
    });

    test('redaction leaves ordinary fields alone', async () => {
      const logs = new LogCapture();
      const log = createLogger({ level: 'info', destination: logs });
      log.info({ name: 'iv_ingest', count: 3, tokens: 5, note: 'no secrets' }, 'prefix iv_abc is short');
      await sleep(10);
      const l = logs.lines[0]!;
      assert.equal(l.name, 'iv_ingest');
      assert.equal(l.count, 3);
      assert.equal(l.tokens, 5);
      assert.equal(l.msg, 'prefix iv_abc is short');
    });
  });

  describe('request ids that would carry a secret', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

    test('an X-Request-Id shaped like a key, or holding a credential the request presents, is replaced before Fastify or pino log it', async () => {
      const other = await t.newKey(['read']);
      const unknown = `iv_${'R'.repeat(32)}`;
      const cases: { name: string; id: string; headers: Record<string, string>; status: number; secrets: string[] }[] = [
        { name: 'the valid key it authenticates with', id: t.adminKey, headers: bearer(t.adminKey), status: 200, secrets: [t.adminKey, t.adminKey.slice(3)] },
        { name: 'another valid key', id: other.secret, headers: bearer(t.adminKey), status: 200, secrets: [other.secret, other.secret.slice(3)] },
        { name: 'an unknown key-shaped value, no credentials', id: unknown, headers: {}, status: 401, secrets: [unknown, unknown.slice(3)] },
        { name: 'a key inside a longer id', id: `trace-${other.secret}-1`, headers: { 'x-api-key': other.secret }, status: 200, secrets: [other.secret.slice(3)] },
        { name: 'a bearer credential not shaped like a key', id: 'opaque-bearer-credential-0042', headers: { authorization: 'Bearer opaque-bearer-credential-0042' }, status: 401, secrets: ['opaque-bearer-credential-0042'] },
        { name: 'a long piece of the credential', id: 'bearer-credential-00', headers: { authorization: 'Bearer opaque-bearer-credential-0042' }, status: 401, secrets: ['bearer-credential-00'] },
        { name: 'a cookie value', id: 'sess.0123456789abcdef', headers: { ...bearer(t.adminKey), cookie: 'theme=dark; session=sess.0123456789abcdef' }, status: 200, secrets: ['sess.0123456789abcdef'] },
      ];
      for (const c of cases) {
        const before = t.logs.raw.length;
        const r = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { ...c.headers, 'x-request-id': c.id } });
        assert.equal(r.statusCode, c.status, `${c.name}: ${r.body}`);
        const echoed = r.headers['x-request-id'] as string;
        assert.match(echoed, uuid, c.name);
        await sleep(10);
        const lines = t.logs.lines.slice(before);
        const done = lines.find((l) => l.msg === 'request completed' && l.reqId === echoed);
        assert.ok(done, `${c.name}: the request is logged under the replacement id`);
        assert.equal(done.requestId, echoed);
        for (const line of t.logs.raw.slice(before)) for (const s of c.secrets) assert.ok(!line.includes(s), `${c.name}: log line contains a secret: ${line}`);
      }
    });

    test('ordinary ids are kept, including ones that merely start like a key or share a short piece of the credential', async () => {
      for (const id of ['iv_short-1', 'order-12345678', 'iv_', 'abc', `${t.adminKey.slice(0, 11)}`]) {
        const r = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: { ...bearer(t.adminKey), 'x-request-id': id } });
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(r.headers['x-request-id'], id);
      }
    });

    test('a key bound to a child logger as reqId (as Fastify binds it) is scrubbed, though bindings bypass the log formatter', async () => {
      const logs = new LogCapture();
      const key = `iv_${'K'.repeat(32)}`;
      const log = createLogger({ level: 'info', destination: logs });
      log.child({ reqId: key }).info('bound');
      log.child({ reqId: `req-${key}` }, { level: 'debug' }).debug('bound with options');
      log.info({ requestId: key }, 'field');
      await sleep(10);
      assert.equal(logs.raw.length, 3);
      for (const line of logs.raw) assert.ok(!line.includes(key.slice(3)), line);
      assert.deepEqual(logs.lines.map((l) => l.reqId ?? l.requestId), ['iv_[REDACTED]', 'req-iv_[REDACTED]', 'iv_[REDACTED]']);
    });
  });

  describe('component loggers and levels', () => {
    test("a component child logger's lines carry the component", async () => {
      const before = t.logs.lines.length;
      const ingest = t.logger.child({ component: 'ingest' });
      ingest.info({ rows: 3 }, 'ingested');
      ingest.child({ batch: 7 }).warn('slow batch');
      await sleep(10);
      const lines = t.logs.lines.slice(before);
      const a = lines.find((l) => l.msg === 'ingested')!;
      assert.deepEqual([a.component, a.rows, a.level, a.service], ['ingest', 3, 30, 'intentvision']);
      assert.match(a.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const b = lines.find((l) => l.msg === 'slow batch')!;
      assert.deepEqual([b.component, b.batch, b.level], ['ingest', 7, 40]);
      // The parent logger is unaffected.
      t.logger.info('root line');
      await sleep(5);
      assert.equal(t.logs.lines.find((l) => l.msg === 'root line')!.component, undefined);
    });

    test('levels: debug lines appear at level 20 only when the level is debug', async () => {
      const write = async (level: 'debug' | 'info') => {
        const logs = new LogCapture();
        const log = createLogger({ level, destination: logs }).child({ component: 'lvl' });
        log.trace('trace line');
        log.debug({ n: 1 }, 'debug line');
        log.info('info line');
        log.error('error line');
        await sleep(10);
        return logs.lines as Line[];
      };
      const debug = await write('debug');
      assert.deepEqual(debug.map((l) => [l.msg, l.level]), [['debug line', 20], ['info line', 30], ['error line', 50]]);
      assert.equal(debug[0]!.component, 'lvl');
      const info = await write('info');
      assert.deepEqual(info.map((l) => [l.msg, l.level]), [['info line', 30], ['error line', 50]]);
    });

    test('the app logs request failures at debug only when the level is debug', async () => {
      const quiet = await startTestApp({ store: t.store, logLevel: 'info' });
      try {
        const r = await quiet.app.inject({ method: 'GET', url: '/api/v1/keys', headers: { 'x-request-id': 'quiet-1' } });
        assert.equal(r.statusCode, 401);
        const mine = quiet.logs.lines.filter((l) => l.reqId === 'quiet-1');
        assert.deepEqual(mine.map((l) => l.msg), ['request completed']);
        const loud = await t.app.inject({ method: 'GET', url: '/api/v1/keys', headers: { 'x-request-id': 'loud-1' } });
        assert.equal(loud.statusCode, 401);
        const loudLines = t.logs.lines.filter((l) => l.reqId === 'loud-1');
        assert.ok(loudLines.some((l) => l.level === 20 && l.code === 'missing_api_key'), JSON.stringify(loudLines));
      } finally {
        await quiet.close();
      }
    });
  });
});
