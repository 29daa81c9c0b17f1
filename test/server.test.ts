import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';

describe('server basics (embedded store)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  test('GET /healthz answers ok', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: 'ok' });
  });

  test('GET /readyz reports the database and applied migrations', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(r.statusCode, 200);
    const body = r.json();
    assert.equal(body.status, 'ready');
    assert.equal(body.database, 'pglite');
    assert.ok(body.migrations.applied >= 1);
  });

  test('GET /metrics exposes request counts by route and status, and process metrics', async () => {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    await t.app.inject({ method: 'GET', url: '/no/such/route' });
    const r = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 200);
    assert.match(r.headers['content-type'] as string, /text\/plain/);
    assert.match(r.body, /http_requests_total\{method="GET",route="\/healthz",status_code="200"\} \d+/);
    assert.match(r.body, /http_requests_total\{method="GET",route="unmatched",status_code="404"\} \d+/);
    assert.match(r.body, /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz",status_code="200"\}/);
    assert.match(r.body, /intentvision_process_resident_memory_bytes \d+/);
  });

  test('OpenAPI document at /docs/json lists the routes with their security, UI at /docs', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(r.statusCode, 200);
    const doc = r.json();
    assert.equal(doc.openapi, '3.0.3');
    assert.ok(doc.paths['/api/v1/keys'].post);
    assert.deepEqual(doc.paths['/api/v1/keys'].post.security, [{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    assert.match(doc.paths['/api/v1/keys'].post.description, /scope `admin`/);
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  test('unknown route: 404 not_found', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, 'not_found');
    assert.match(r.json().error.message, /GET \/api\/v1\/nope/);
  });

  test('malformed JSON: 400 invalid_json', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...bearer(t.adminKey), 'content-type': 'application/json' }, payload: '{"name": ' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'invalid_json');
  });

  test('empty JSON body: 400 invalid_json', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...bearer(t.adminKey), 'content-type': 'application/json' }, payload: '' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'invalid_json');
  });

  test('schema violation: 400 validation_failed listing each field', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(t.adminKey), payload: { scopes: ['read', 'fly'], extra: 1 } });
    assert.equal(r.statusCode, 400);
    const err = r.json().error;
    assert.equal(err.code, 'validation_failed');
    const fields = (err.details as { field: string }[]).map((d) => d.field);
    assert.ok(fields.includes('body.name'), fields.join());
    assert.ok(fields.includes('body.extra'), fields.join());
    assert.ok(fields.some((f) => f.startsWith('body.scopes[1]')), fields.join());
  });

  test('invalid path parameter: 400, not a 500', async () => {
    const r = await t.app.inject({ method: 'DELETE', url: '/api/v1/keys/not-a-uuid', headers: bearer(t.adminKey) });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'validation_failed');
  });

  test('body too large: 413 payload_too_large', async () => {
    const payload = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), scopes: ['read'] });
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...bearer(t.adminKey), 'content-type': 'application/json' }, payload });
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error.code, 'payload_too_large');
  });

  test('unsupported content type: 415', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...bearer(t.adminKey), 'content-type': 'text/csv' }, payload: 'a,b' });
    assert.equal(r.statusCode, 415);
    assert.equal(r.json().error.code, 'unsupported_media_type');
  });

  test('hostile inputs never produce a 500', async () => {
    const cases: { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: string; headers?: Record<string, string> }[] = [
      { method: 'POST', url: '/api/v1/keys', payload: '[]' },
      { method: 'POST', url: '/api/v1/keys', payload: 'null' },
      { method: 'POST', url: '/api/v1/keys', payload: '"str"' },
      { method: 'POST', url: '/api/v1/keys', payload: '{"name":"a","scopes":["read"],"expiresAt":"yesterday"}' },
      { method: 'POST', url: '/api/v1/keys', payload: '{"name":"a","scopes":["read"],"expiresAt":"2001-01-01T00:00:00Z"}' },
      { method: 'POST', url: '/api/v1/keys', payload: '{"name":"a","scopes":["read"],"rateLimit":{"max":0,"windowSeconds":1}}' },
      { method: 'POST', url: '/api/v1/keys', payload: '{"name":"\\u0000","scopes":["read"]}' },
      { method: 'POST', url: '/api/v1/orgs', payload: '{"name":"x","slug":"BAD SLUG"}' },
      { method: 'GET', url: '/api/v1/keys/%00' },
      { method: 'GET', url: '/api/v1/keys/00000000-0000-0000-0000-000000000000' },
      { method: 'GET', url: '/api/v1/keys?x=%ZZ' },
      { method: 'POST', url: '/api/v1/keys', payload: '{"__proto__":{"admin":true},"name":"a","scopes":["read"]}' },
    ];
    for (const c of cases) {
      const r = await t.app.inject({ method: c.method, url: c.url, payload: c.payload, headers: { ...bearer(t.adminKey), 'content-type': 'application/json', ...c.headers } });
      assert.ok(r.statusCode >= 200 && r.statusCode < 500, `${c.method} ${c.url} ${c.payload ?? ''} → ${r.statusCode} ${r.body}`);
      if (r.statusCode >= 400) {
        const body = r.json();
        assert.equal(typeof body.error.code, 'string');
        assert.equal(typeof body.error.message, 'string');
      }
    }
  });

  test('request id: a well-formed X-Request-Id is echoed, a malformed one replaced', async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123.def:4' } });
    assert.equal(ok.headers['x-request-id'], 'abc-123.def:4');
    const bad = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'bad id with spaces <script>' } });
    assert.match(bad.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    const none = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.match(none.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    assert.notEqual(none.headers['x-request-id'], bad.headers['x-request-id']);
  });

  test('every /api route declares a scope; registering one without fails', async () => {
    const { default: Fastify } = await import('fastify');
    const { authentication } = await import('../src/api/plugins/auth.js');
    const bare = Fastify();
    authentication(bare as never, { sql: t.sql, limiter: {} as never, logger: t.logger, defaultPolicy: { max: 1, windowSeconds: 1 }, anonymousPolicy: { max: 1, windowSeconds: 1 } });
    assert.throws(() => bare.get('/api/v1/unscoped', async () => ({})), /declares no scope/);
    await bare.close();
  });
});
