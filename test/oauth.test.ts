// Google and GitHub sign-in through the real server on both stores, against local providers that
// speak the real endpoints (test/helpers/oauth-providers.ts): start → the provider's authorize
// (fetched over HTTP) → callback, as a browser would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { findIdentity, listIdentities } from '../src/auth/identities.js';
import { createSession, defaultSessionPolicy, listSessions } from '../src/auth/sessions.js';
import { createUser, findUserByEmail, getUser } from '../src/auth/users.js';
import { oauthStartPolicy } from '../src/api/routes/oauth.js';
import { addMembership } from '../src/tenancy/memberships.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { startGithubServer, startGoogleServer, type LocalProvider, type ProviderAccount } from './helpers/oauth-providers.js';
import { sessionHeaders, signedInUser } from './helpers/people.js';
import { storeKinds } from './helpers/stores.js';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;

function assertError(r: Injected, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(r.statusCode, status, r.body);
  assert.match(r.headers['content-type'] as string, /application\/json/);
  const body = r.json();
  assert.equal(body.error.code, code, r.body);
  assert.ok(body.error.message.length > 0);
  return body.error;
}

/** A browser's cookie jar over app.inject (paths ignored: every cookie goes everywhere). */
class Browser {
  readonly jar = new Map<string, string>();
  /** Each browser is its own client address (sign-in starts are limited per address). */
  readonly address = `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250) + 1).join('.')}`;
  constructor(private readonly t: () => TestApp) {}

  async get(url: string): Promise<Injected> {
    const res = await this.t().app.inject({ method: 'GET', url, headers: this.headers(), remoteAddress: this.address });
    this.absorb(res);
    return res;
  }

  headers(): Record<string, string> {
    return this.jar.size ? { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  absorb(res: Injected): void {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const gone = c.value === '' || c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now());
      if (gone) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
  }
}

const setCookieNames = (r: Injected) => (r.cookies as { name: string; value: string }[]).filter((c) => c.value !== '').map((c) => c.name);

/** Start in `browser`, authorize at the local provider over HTTP; the callback path the provider sent the browser to. */
async function authorize(browser: Browser, provider: LocalProvider, opts: { returnTo?: string } = {}): Promise<{ start: Injected; callbackUrl: string; state: string }> {
  const qs = opts.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(opts.returnTo)}`;
  const start = await browser.get(`/api/v1/auth/oauth/${provider.kind}/start${qs}`);
  assert.equal(start.statusCode, 302, start.body);
  const location = start.headers.location as string;
  assert.ok(location.startsWith(provider.settings.authUrl), location);
  const atProvider = await fetch(location, { redirect: 'manual' });
  assert.equal(atProvider.status, 302, await atProvider.text());
  const back = new URL(atProvider.headers.get('location')!);
  assert.equal(back.pathname, `/api/v1/auth/oauth/${provider.kind}/callback`);
  return { start, callbackUrl: back.pathname + back.search, state: back.searchParams.get('state')! };
}

/** The whole flow in `browser`: the callback's reply. */
async function signInWith(browser: Browser, provider: LocalProvider, account: ProviderAccount | null, opts: { returnTo?: string } = {}): Promise<Injected> {
  if (account) provider.signIn(account);
  const { callbackUrl } = await authorize(browser, provider, opts);
  return browser.get(callbackUrl);
}

const unique = () => Math.random().toString(36).slice(2, 10);

for (const kind of storeKinds) {
  describe(`sign-in with Google and GitHub (${kind.name})`, () => {
    let t: TestApp;
    let google: LocalProvider;
    let github: LocalProvider;
    const app = () => t;

    before(async () => {
      [google, github] = await Promise.all([startGoogleServer(), startGithubServer()]);
      t = await startTestApp({ kind, config: { passwordScryptLogN: 10 }, people: { oauth: { google: google.settings, github: github.settings } } });
    });
    after(async () => {
      await t?.close();
      await Promise.all([google?.close(), github?.close()]);
    });

    test('GET /auth/providers lists the configured providers', async () => {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/auth/providers' });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), {
        providers: [
          { id: 'google', name: 'Google', startUrl: '/api/v1/auth/oauth/google/start' },
          { id: 'github', name: 'GitHub', startUrl: '/api/v1/auth/oauth/github/start' },
        ],
      });
    });

    test('start redirects to the authorize URL with PKCE S256 and a state stored only hashed', async () => {
      for (const [p, scope] of [
        [google, 'openid email profile'],
        [github, 'read:user user:email'],
      ] as const) {
        const browser = new Browser(app);
        const r = await browser.get(`/api/v1/auth/oauth/${p.kind}/start?returnTo=%2Falerts%3Fstate%3Dopen`);
        assert.equal(r.statusCode, 302, r.body);
        const url = new URL(r.headers.location as string);
        const q = url.searchParams;
        assert.equal(`${url.origin}${url.pathname}`, p.settings.authUrl);
        assert.equal(q.get('client_id'), p.settings.clientId);
        assert.equal(q.get('redirect_uri'), `http://localhost/api/v1/auth/oauth/${p.kind}/callback`);
        assert.equal(q.get('response_type'), 'code');
        assert.equal(q.get('scope'), scope);
        assert.equal(q.get('code_challenge_method'), 'S256');
        const state = q.get('state')!;
        assert.match(state, /^[A-Za-z0-9_-]{43}$/);
        // The browser is bound to the state: HttpOnly, Lax, scoped to this provider's callback.
        const cookie = (r.cookies as { name: string; value: string; httpOnly?: boolean; sameSite?: string; path?: string }[]).find((c) => c.name === 'iv_oauth_state')!;
        assert.equal(cookie.value, state);
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, 'Lax');
        assert.equal(cookie.path, `/api/v1/auth/oauth/${p.kind}/`);
        const rows = await t.sql.query<{ state_hash: string; code_verifier: string; return_to: string; link_user_id: string | null; ttl: number }>(
          `SELECT state_hash, code_verifier, return_to, link_user_id, extract(epoch FROM expires_at - created_at)::int AS ttl FROM oauth_states WHERE state_hash = $1`,
          [createHash('sha256').update(state).digest('hex')],
        );
        const row = rows.rows[0]!;
        assert.ok(row, 'the state is stored as its SHA-256');
        assert.equal(createHash('sha256').update(row.code_verifier).digest('base64url'), q.get('code_challenge'));
        assert.equal(row.return_to, '/alerts?state=open');
        assert.equal(row.link_user_id, null);
        assert.equal(row.ttl, 600);
        const raw = await t.sql.query(`SELECT 1 FROM oauth_states WHERE state_hash = $1`, [state]);
        assert.equal(raw.rows.length, 0);
      }
    });

    test('returnTo must be a path on this platform (no open redirect)', async () => {
      for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', 'evil.example']) {
        const r = await t.app.inject({ method: 'GET', url: `/api/v1/auth/oauth/google/start?returnTo=${encodeURIComponent(bad)}` });
        assertError(r, 400, 'bad_request');
      }
    });

    test('a new Google user is created verified, signed in, redirected to returnTo; the cookie works on org routes', async () => {
      const browser = new Browser(app);
      const sub = `g-${unique()}`;
      const email = `Ada.${unique()}@Example.test`;
      const r = await signInWith(browser, google, { id: sub, email, emailVerified: true, name: 'Ada Lovelace' }, { returnTo: '/dashboard?x=1' });
      assert.equal(r.statusCode, 302, r.body);
      assert.equal(r.headers.location, '/dashboard?x=1');
      assert.deepEqual(setCookieNames(r).sort(), ['iv_csrf', 'iv_session']);
      assert.equal(browser.jar.has('iv_oauth_state'), false, 'the state cookie is cleared');

      const user = (await findUserByEmail(t.sql, email))!;
      assert.equal(user.email, email.toLowerCase());
      assert.equal(user.name, 'Ada Lovelace');
      assert.equal(user.passwordHash, null);
      assert.ok(user.emailVerifiedAt);
      assert.deepEqual((await listIdentities(t.sql, user.id)).map((i) => [i.provider, i.subject, i.email]), [['google', sub, email.toLowerCase()]]);

      // Signed in, but in no organisation yet; with a membership the same cookie reads the org.
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: browser.headers() }), 403, 'no_organization');
      await addMembership(t.sql, t.org.id, user.id, 'viewer', new Date());
      const org = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: browser.headers() });
      assert.equal(org.statusCode, 200, org.body);
      assert.equal(org.json().id, t.org.id);

      // The same Google account again (another browser): the same user, no second account.
      const again = await signInWith(new Browser(app), google, null);
      assert.equal(again.statusCode, 302, again.body);
      assert.equal(again.headers.location, '/');
      assert.equal((await t.sql.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email.toLowerCase()])).rows[0]!.n, 1);
      assert.equal((await listSessions(t.sql, user.id, new Date())).length, 2);
    });

    test('a new GitHub user takes the primary verified address; the platform sent Accept: application/json and a User-Agent', async () => {
      const browser = new Browser(app);
      const id = 100_000 + Math.floor(Math.random() * 1e6);
      const email = `grace-${unique()}@example.test`;
      const r = await signInWith(browser, github, { id, email, emailVerified: true, name: null, login: 'grace', otherEmails: [{ email: `old-${unique()}@example.test`, verified: true }] });
      assert.equal(r.statusCode, 302, r.body);
      const user = (await findUserByEmail(t.sql, email))!;
      assert.ok(user.emailVerifiedAt);
      assert.equal(user.name, 'grace', 'the login when GitHub has no display name');
      assert.equal((await findIdentity(t.sql, 'github', String(id)))?.userId, user.id);
      const token = github.requests.filter((q) => q.path === '/login/oauth/access_token').at(-1)!;
      assert.match(token.headers.accept ?? '', /application\/json/);
      assert.equal(token.form?.get('client_secret'), github.settings.clientSecret);
      assert.match(token.form?.get('code_verifier') ?? '', /^[A-Za-z0-9_-]{43}$/);
      for (const path of ['/api/user', '/api/user/emails']) {
        const q = github.requests.filter((x) => x.path === path).at(-1)!;
        assert.ok(q.headers['user-agent'], `${path} has a User-Agent`);
        assert.match(q.headers.authorization ?? '', /^Bearer gho_/);
      }

      // A primary address GitHub has not verified: the new account is unverified (it signs in, but cannot act in organisations).
      const unverifiedEmail = `unverified-${unique()}@example.test`;
      const u = await signInWith(new Browser(app), github, { id: id + 1, email: unverifiedEmail, emailVerified: false, name: 'Unverified' });
      assert.equal(u.statusCode, 302, u.body);
      const created = (await findUserByEmail(t.sql, unverifiedEmail))!;
      assert.equal(created.emailVerifiedAt, null);

      // No address at all (none shared): no account can be made.
      assertError(await signInWith(new Browser(app), github, { id: id + 2, email: null, emailVerified: false }), 400, 'oauth_no_email');
    });

    test('an existing user is linked by an email the provider verified; an unverified account loses its password first', async () => {
      const now = new Date();
      const email = `linda-${unique()}@example.test`;
      const existing = await createUser(t.sql, { email, name: 'Linda', passwordHash: 'scrypt$placeholder', emailVerifiedAt: now }, now);
      const r = await signInWith(new Browser(app), google, { id: `g-${unique()}`, email: email.toUpperCase(), emailVerified: true, name: 'Someone Else' });
      assert.equal(r.statusCode, 302, r.body);
      const after = (await getUser(t.sql, existing.id))!;
      assert.equal(after.passwordHash, 'scrypt$placeholder', 'a verified account keeps its password');
      assert.equal(after.name, 'Linda');
      assert.deepEqual((await listIdentities(t.sql, existing.id)).map((i) => i.provider), ['google']);

      // Someone registered the address without ever verifying it: the mailbox's owner (proved by
      // the provider) takes the account over, the registrant's password and sessions end.
      const squatted = await createUser(t.sql, { email: `squat-${unique()}@example.test`, name: 'Squatter', passwordHash: 'scrypt$squatter', emailVerifiedAt: null }, now);
      const squatterSession = await createSession(t.sql, { userId: squatted.id }, now, defaultSessionPolicy);
      const s = await signInWith(new Browser(app), github, { id: 900_000 + Math.floor(Math.random() * 1e5), email: squatted.email, emailVerified: true, name: 'Owner' });
      assert.equal(s.statusCode, 302, s.body);
      const taken = (await getUser(t.sql, squatted.id))!;
      assert.equal(taken.passwordHash, null);
      assert.ok(taken.emailVerifiedAt);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: sessionHeaders(squatterSession.token, false) }), 401, 'session_expired');
    });

    test('an existing user is NOT linked by an email the provider has not verified (409)', async () => {
      const now = new Date();
      const email = `vera-${unique()}@example.test`;
      const existing = await createUser(t.sql, { email, name: 'Vera', passwordHash: 'scrypt$placeholder', emailVerifiedAt: now }, now);
      const githubId = 700_000 + Math.floor(Math.random() * 1e5);
      const r = await signInWith(new Browser(app), github, { id: githubId, email, emailVerified: false, name: 'Impostor' });
      const err = assertError(r, 409, 'oauth_email_unverified');
      assert.match(err.message, /password/);
      assert.deepEqual(setCookieNames(r).filter((n) => n === 'iv_session'), []);
      assert.equal(await findIdentity(t.sql, 'github', String(githubId)), undefined);
      assert.deepEqual(await listIdentities(t.sql, existing.id), []);
    });

    test('signed in, start links the provider account to the signed-in user (any email); another user cannot take it', async () => {
      const me = await signedInUser(t, { role: null });
      const browser = new Browser(app);
      browser.jar.set('iv_session', me.token);
      const sub = `g-${unique()}`;
      const r = await signInWith(browser, google, { id: sub, email: `personal-${unique()}@gmail.test`, emailVerified: false, name: 'Me' }, { returnTo: '/settings' });
      assert.equal(r.statusCode, 302, r.body);
      assert.equal(r.headers.location, '/settings');
      assert.deepEqual(setCookieNames(r).filter((n) => n === 'iv_session'), [], 'linking keeps the session');
      assert.equal(browser.jar.get('iv_session'), me.token);
      assert.equal((await findIdentity(t.sql, 'google', sub))?.userId, me.user.id);
      assert.equal((await listSessions(t.sql, me.user.id, new Date())).length, 1);

      // The same Google account, linked while another user is signed in: refused.
      const other = await signedInUser(t, { role: null });
      const b2 = new Browser(app);
      b2.jar.set('iv_session', other.token);
      assertError(await signInWith(b2, google, null), 409, 'identity_in_use');
      assert.equal((await findIdentity(t.sql, 'google', sub))?.userId, me.user.id);

      // A link started in one user's session does not finish without it (e.g. the link URL sent to someone else).
      const b3 = new Browser(app);
      b3.jar.set('iv_session', me.token);
      google.signIn({ id: `g-${unique()}`, email: null, emailVerified: false });
      const { callbackUrl } = await authorize(b3, google);
      b3.jar.delete('iv_session');
      assertError(await b3.get(callbackUrl), 400, 'oauth_state_invalid');
    });

    test('a state is single-use, bound to the browser that started, and expires', async () => {
      const browser = new Browser(app);
      google.signIn({ id: `g-${unique()}`, email: `replay-${unique()}@example.test`, emailVerified: true, name: 'R' });
      const { callbackUrl, state } = await authorize(browser, google);

      // Another browser (no state cookie: a callback URL planted by an attacker) is refused, and the state survives it.
      assertError(await new Browser(app).get(callbackUrl), 400, 'oauth_state_invalid');
      const ok = await browser.get(callbackUrl);
      assert.equal(ok.statusCode, 302, ok.body);

      // Replayed, even with the state cookie put back: refused.
      const replay = new Browser(app);
      replay.jar.set('iv_oauth_state', state);
      assertError(await replay.get(callbackUrl), 400, 'oauth_state_invalid');
      assert.equal(replay.jar.has('iv_oauth_state'), false, 'the state cookie is cleared on failure too');

      // Expired after 10 minutes.
      const late = new Browser(app);
      const second = await authorize(late, google);
      await t.sql.query(`UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1`, [createHash('sha256').update(second.state).digest('hex')]);
      assertError(await late.get(second.callbackUrl), 400, 'oauth_state_invalid');

      // A Google state at the GitHub callback: refused.
      const cross = new Browser(app);
      const g = await authorize(cross, google);
      cross.jar.set('iv_oauth_state', g.state);
      assertError(await cross.get(g.callbackUrl.replace('/google/', '/github/')), 400, 'oauth_state_invalid');

      // No state at all.
      assertError(await new Browser(app).get('/api/v1/auth/oauth/google/callback?code=abc'), 400, 'oauth_state_invalid');
    });

    test('a wrong PKCE verifier is refused by the provider: 400 oauth_failed, no session', async () => {
      for (const [p, providerError] of [
        [google, 'invalid_grant'],
        [github, 'bad_verification_code'],
      ] as const) {
        const browser = new Browser(app);
        p.signIn({ id: p.kind === 'google' ? `g-${unique()}` : 600_000 + Math.floor(Math.random() * 1e5), email: `pkce-${unique()}@example.test`, emailVerified: true });
        const { callbackUrl, state } = await authorize(browser, p);
        // As if the code were intercepted and redeemed with someone else's verifier.
        await t.sql.query(`UPDATE oauth_states SET code_verifier = $2 WHERE state_hash = $1`, [createHash('sha256').update(state).digest('hex'), 'x'.repeat(43)]);
        const r = await browser.get(callbackUrl);
        const err = assertError(r, 400, 'oauth_failed');
        assert.deepEqual(err.details, { provider: p.kind, error: providerError, description: 'Invalid code verifier.' });
        assert.equal(browser.jar.has('iv_session'), false);
      }
    });

    test('the person declining at the provider, or the provider failing, gives a clear error (never 500)', async () => {
      google.declineNext();
      const declined = await signInWith(new Browser(app), google, null);
      assert.match(assertError(declined, 400, 'oauth_failed').message, /cancelled/);

      google.signIn({ id: `g-${unique()}`, email: `down-${unique()}@example.test`, emailVerified: true });
      google.failTokenEndpoint(503);
      try {
        assertError(await signInWith(new Browser(app), google, null), 502, 'oauth_provider_error');
      } finally {
        google.failTokenEndpoint(null);
      }
    });

    test('session fixation: a session cookie present at the callback ends when another sign-in happens', async () => {
      const planted = await signedInUser(t, { role: null });
      const browser = new Browser(app);
      google.signIn({ id: `g-${unique()}`, email: `victim-${unique()}@example.test`, emailVerified: true, name: 'Victim' });
      const { callbackUrl } = await authorize(browser, google);
      browser.jar.set('iv_session', planted.token); // planted between start and callback
      const r = await browser.get(callbackUrl);
      assert.equal(r.statusCode, 302, r.body);
      const fresh = browser.jar.get('iv_session')!;
      assert.notEqual(fresh, planted.token);
      assert.equal((await listSessions(t.sql, planted.user.id, new Date())).length, 0);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: sessionHeaders(planted.token, false) }), 401, 'session_expired');
    });

    test('unlink keeps at least one way to sign in', async () => {
      const browser = new Browser(app);
      const email = `unlink-${unique()}@example.test`;
      const r = await signInWith(browser, google, { id: `g-${unique()}`, email, emailVerified: true, name: 'U' });
      assert.equal(r.statusCode, 302, r.body);
      const user = (await findUserByEmail(t.sql, email))!;
      const token = browser.jar.get('iv_session')!;
      const del = (provider: string, headers = sessionHeaders(token)) => t.app.inject({ method: 'DELETE', url: `/api/v1/auth/identities/${provider}`, headers });

      assertError(await del('google'), 409, 'last_sign_in_method');
      assertError(await del('github'), 404, 'not_found');
      assertError(await del('facebook'), 404, 'not_found');
      assertError(await del('google', sessionHeaders(token, false)), 403, 'csrf_failed');
      assertError(await del('google', bearer(t.adminKey)), 403, 'user_required');
      assertError(await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/identities/google' }), 401, 'not_signed_in');

      // Link GitHub (signed in: linking mode), then either one can go, not both.
      const linked = await signInWith(browser, github, { id: 800_000 + Math.floor(Math.random() * 1e5), email: null, emailVerified: false, name: null, login: 'u' });
      assert.equal(linked.statusCode, 302, linked.body);
      assert.deepEqual((await listIdentities(t.sql, user.id)).map((i) => i.provider).sort(), ['github', 'google']);
      assert.equal((await del('google')).statusCode, 204);
      assertError(await del('github'), 409, 'last_sign_in_method');
      assert.deepEqual((await listIdentities(t.sql, user.id)).map((i) => i.provider), ['github']);

      // With a password the last provider can go.
      await t.sql.query(`UPDATE users SET password_hash = 'scrypt$placeholder' WHERE id = $1`, [user.id]);
      assert.equal((await del('github')).statusCode, 204);
      assert.deepEqual(await listIdentities(t.sql, user.id), []);
    });

    test('an unknown or unconfigured provider is 404 provider_not_configured; an unreachable one 502', async () => {
      // Another server on the same database: Google only, its token endpoint on a closed port.
      const only = await startTestApp({ store: t.store, people: { oauth: { google: { ...google.settings, tokenUrl: 'http://127.0.0.1:9/token' } } } });
      try {
        const list = await only.app.inject({ method: 'GET', url: '/api/v1/auth/providers' });
        assert.deepEqual(list.json().providers.map((p: { id: string }) => p.id), ['google']);
        for (const url of ['/api/v1/auth/oauth/github/start', '/api/v1/auth/oauth/github/callback?code=a&state=b', '/api/v1/auth/oauth/facebook/start']) {
          const err = assertError(await only.app.inject({ method: 'GET', url }), 404, 'provider_not_configured');
          assert.deepEqual((err.details as { configured: string[] }).configured, ['google']);
        }
        google.signIn({ id: `g-${unique()}`, email: `unreachable-${unique()}@example.test`, emailVerified: true });
        const r = await signInWith(new Browser(() => only), google, null);
        assert.match(assertError(r, 502, 'oauth_provider_error').message, /could not be reached/);
      } finally {
        await only.close();
      }
    });

    test('sign-in starts are limited per client address (429 with Retry-After)', async () => {
      const browser = new Browser(app);
      for (let i = 0; i < oauthStartPolicy.max; i++) assert.equal((await browser.get('/api/v1/auth/oauth/github/start')).statusCode, 302);
      const r = await browser.get('/api/v1/auth/oauth/github/start');
      assertError(r, 429, 'rate_limited');
      assert.ok(Number(r.headers['retry-after']) > 0);
      assert.equal((await new Browser(app).get('/api/v1/auth/oauth/github/start')).statusCode, 302, 'another address is not limited');
    });

    test('the OpenAPI document lists the sign-in routes', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      for (const path of ['/api/v1/auth/providers', '/api/v1/auth/oauth/{provider}/start', '/api/v1/auth/oauth/{provider}/callback', '/api/v1/auth/identities/{provider}']) {
        assert.ok(doc.paths[path], `${path} documented`);
      }
    });
  });
}
