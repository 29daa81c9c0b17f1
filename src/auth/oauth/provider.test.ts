// The code exchange's reading of token endpoint replies, against a local HTTP server answering as
// each provider does: a refused code is the person's 400, a refused client registration or a broken
// provider the operator's 502, a slow one a 502 after the timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../core/errors.js';
import { exchangeCode } from './provider.js';
import { github } from './github.js';
import { google } from './google.js';

type Reply = { status: number; type?: string; body: string; delayMs?: number };
let reply: Reply;
let server: Server;
let base: string;

before(async () => {
  server = createServer((_req, res) => {
    const r = reply;
    setTimeout(() => res.writeHead(r.status, { 'content-type': r.type ?? 'application/json' }).end(r.body), r.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const call = (timeoutMs = 2000) => ({ settings: { clientId: 'id', clientSecret: 'secret', authUrl: `${base}/auth`, tokenUrl: `${base}/token`, apiUrl: `${base}/api` }, timeoutMs });
const req = { code: 'c', codeVerifier: 'v'.repeat(43), redirectUri: 'http://localhost/cb' };

const cases: { name: string; provider: typeof google; reply: Reply; timeoutMs?: number; code?: string; message?: RegExp; token?: string }[] = [
  { name: 'Google success', provider: google, reply: { status: 200, body: '{"access_token":"ya29.x","token_type":"Bearer"}' }, token: 'ya29.x' },
  { name: 'GitHub success', provider: github, reply: { status: 200, body: '{"access_token":"gho_x","token_type":"bearer"}' }, token: 'gho_x' },
  { name: 'Google invalid_grant (used, expired, wrong verifier)', provider: google, reply: { status: 400, body: '{"error":"invalid_grant","error_description":"Bad Request"}' }, code: 'oauth_failed' },
  { name: 'GitHub bad_verification_code (200)', provider: github, reply: { status: 200, body: '{"error":"bad_verification_code"}' }, code: 'oauth_failed' },
  { name: 'Google invalid_client', provider: google, reply: { status: 401, body: '{"error":"invalid_client"}' }, code: 'oauth_provider_error', message: /OAUTH_GOOGLE_/ },
  { name: 'GitHub incorrect_client_credentials (200)', provider: github, reply: { status: 200, body: '{"error":"incorrect_client_credentials"}' }, code: 'oauth_provider_error', message: /OAUTH_GITHUB_/ },
  { name: 'GitHub form-encoded reply', provider: github, reply: { status: 200, type: 'application/x-www-form-urlencoded', body: 'access_token=gho_x&token_type=bearer' }, code: 'oauth_provider_error', message: /not JSON/ },
  { name: 'HTML error page', provider: google, reply: { status: 503, type: 'text/html', body: '<html>down</html>' }, code: 'oauth_provider_error', message: /503/ },
  { name: '200 without a token', provider: google, reply: { status: 200, body: '{}' }, code: 'oauth_provider_error', message: /without an access token/ },
  { name: 'empty 200', provider: google, reply: { status: 200, body: '' }, code: 'oauth_provider_error' },
  { name: 'a redirect is not followed', provider: google, reply: { status: 302, body: '' }, code: 'oauth_provider_error', message: /302/ },
  { name: 'too slow', provider: google, reply: { status: 200, body: '{"access_token":"late"}', delayMs: 500 }, timeoutMs: 100, code: 'oauth_provider_error', message: /did not answer within 100 ms/ },
];

for (const c of cases) {
  test(`token endpoint: ${c.name}`, async () => {
    reply = c.reply;
    const p = exchangeCode(c.provider, call(c.timeoutMs), req);
    if (c.token) return assert.equal(await p, c.token);
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, c.code, e.message);
      if (c.message) assert.match(e.message, c.message);
      assert.doesNotMatch(e.message, /secret/, 'the client secret never appears in errors');
      return true;
    });
  });
}
