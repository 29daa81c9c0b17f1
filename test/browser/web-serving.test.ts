// How the server hands out the dashboard (src/api/routes/web.ts), without a browser: the page for
// every browser path, hashed assets cached for good, security headers, 503 before a build, and the
// API's JSON 404 kept for its own paths. Over a small fixture build, so Vite need not run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorHandling } from '../../src/api/plugins/errors.js';
import { webRoutes } from '../../src/api/routes/web.js';
import type { App } from '../../src/api/types.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const indexHtml = '<!doctype html><html lang="en"><head><script type="module" src="/assets/index-a1b2c3.js"></script></head><body><div id="root"></div></body></html>';

async function appOver(root: string): Promise<App> {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  errorHandling(app);
  webRoutes(app, { root });
  await app.ready();
  return app;
}

describe('serving the dashboard', () => {
  let dir: string;
  let app: App;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iv-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), indexHtml);
    writeFileSync(join(dir, 'assets', 'index-a1b2c3.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-a1b2c3.css'), 'body{}');
    writeFileSync(join(dir, 'secret.txt'), 'not an asset');
    app = await appOver(dir);
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/ and every page path a browser asks for get index.html, not cached, with the security headers', async () => {
    for (const url of ['/', '/sign-in', '/explore?s=cpu.load&range=7d', '/settings/keys', '/verify-email?token=abc']) {
      const r = await app.inject({ method: 'GET', url, headers: html });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.body, indexHtml, url);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache');
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/, 'scripts only from files of this origin: no inline script');
      assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'same-origin');
      assert.equal(r.headers['x-frame-options'], 'DENY');
    }
    const head = await app.inject({ method: 'HEAD', url: '/explore', headers: html });
    assert.equal(head.statusCode, 200);
  });

  test('hashed assets are cached for a year, typed by extension; missing ones and paths outside assets/ are 404', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-a1b2c3.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, 'console.log(1)');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await app.inject({ method: 'GET', url: '/assets/index-a1b2c3.css' })).headers['content-type'], 'text/css; charset=utf-8');
    for (const url of ['/assets/missing.js', '/assets/..%2fsecret.txt', '/assets/%2e%2e/secret.txt', '/assets/']) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.json().error.code, 'not_found', url);
      assert.doesNotMatch(r.body, /not an asset/);
    }
  });

  test('API, docs and operator paths, and requests that do not ask for HTML, keep the JSON 404', async () => {
    for (const url of ['/api/v1/nope', '/api', '/docs/nope', '/metrics/x', '/healthz/x', '/readyz/x']) {
      const r = await app.inject({ method: 'GET', url, headers: html });
      assert.equal(r.statusCode, 404, url);
      assert.deepEqual(r.json().error.code, 'not_found', url);
    }
    const json = await app.inject({ method: 'GET', url: '/explore', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 404);
    assert.equal(json.json().error.message, 'No route for GET /explore');
  });

  test('before a build, / answers 503 saying to run npm run build; a build later, and a rebuild, are served without a restart', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'iv-web-empty-'));
    const bare = await appOver(empty);
    try {
      const r = await bare.inject({ method: 'GET', url: '/', headers: html });
      assert.equal(r.statusCode, 503);
      assert.match(r.headers['content-type'] as string, /^text\/plain/);
      assert.match(r.body, /npm run build/);
      writeFileSync(join(empty, 'index.html'), indexHtml);
      assert.equal((await bare.inject({ method: 'GET', url: '/', headers: html })).body, indexHtml);
      // A rebuild (new asset names) while the server runs: the next page load gets the new index.
      writeFileSync(join(empty, 'index.html'), indexHtml.replace('a1b2c3', 'd4e5f6'));
      utimesSync(join(empty, 'index.html'), new Date(), new Date(Date.now() + 5000));
      assert.match((await bare.inject({ method: 'GET', url: '/sign-in', headers: html })).body, /index-d4e5f6\.js/);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the dashboard routes in the real app', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t?.close());

  test('come after the API: API routes answer as before, unknown /api paths keep their JSON 404 even for a browser', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/healthz', headers: html });
    assert.equal(health.statusCode, 200);
    const nope = await t.app.inject({ method: 'GET', url: '/api/v1/no-such-thing', headers: html });
    assert.equal(nope.statusCode, 404);
    assert.deepEqual(nope.json(), { error: { code: 'not_found', message: 'No route for GET /api/v1/no-such-thing' } });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: html });
    assert.equal(me.statusCode, 401, 'an API route, not the page');
    const page = await t.app.inject({ method: 'GET', url: '/alerts', headers: html });
    assert.ok([200, 503].includes(page.statusCode), 'the page, or 503 before a build');
  });
});
