// Session-authenticated requests through the real server: which organisation a session acts in, the
// refusals of unverified and organisation-less people, the CSRF defence, keys beside cookies, and
// expiry (sliding, absolute cap, deleted users).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { csrfTokenFor } from '../src/api/session-cookie.js';
import { defaultSessionPolicy } from '../src/auth/sessions.js';
import { addMembership } from '../src/tenancy/memberships.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { signedInUser } from './helpers/people.js';
import { storeKinds } from './helpers/stores.js';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;
const day = 86_400_000;

function assertError(r: Injected, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(r.statusCode, status, r.body);
  const body = r.json();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code, r.body);
  assert.ok(typeof body.error.message === 'string' && body.error.message.length > 0);
  return body.error;
}

/** The Set-Cookie headers of a reply, as an array. */
function setCookies(r: Injected): string[] {
  const h = r.headers['set-cookie'];
  return h === undefined ? [] : [h].flat().map(String);
}

/** True when the reply tells the browser to drop `name` (empty value, expiry in the past or Max-Age=0). */
function clears(r: Injected, name: string): boolean {
  return setCookies(r).some((c) => c.startsWith(`${name}=;`) && (/Max-Age=0/i.test(c) || /Expires=Thu, 01 Jan 1970/i.test(c)));
}

/** One ingest body: a point at `at`. */
const ingestBody = (at: Date) => ({ metrics: [{ key: 'session.test', value: 1, timestamp: at.toISOString() }] });

for (const kind of storeKinds) {
  describe(`sessions over HTTP (${kind.name})`, () => {
    let t: TestApp;
    /** Added to the app's wall clock; tests that move time put it back. */
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);

    before(async () => {
      t = await startTestApp({ kind, now: clock });
    });
    after(async () => t.close());

    const current = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers });
    const ingest = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload: ingestBody(clock()) });

    /** Waits until the fire-and-forget session touch of a request has landed. */
    async function expiryOf(sessionId: string, changedFrom?: number): Promise<{ expiresAt: number; absoluteExpiresAt: number; lastSeenAt: number }> {
      const deadline = Date.now() + 3000;
      for (;;) {
        const r = await t.sql.query<{ expires_at: Date; absolute_expires_at: Date; last_seen_at: Date }>(`SELECT expires_at, absolute_expires_at, last_seen_at FROM sessions WHERE id = $1`, [sessionId]);
        const row = r.rows[0];
        assert.ok(row, 'the session row exists');
        const v = { expiresAt: row.expires_at.getTime(), absoluteExpiresAt: row.absolute_expires_at.getTime(), lastSeenAt: row.last_seen_at.getTime() };
        if (changedFrom === undefined || v.expiresAt !== changedFrom) return v;
        if (Date.now() > deadline) assert.fail('the session use was not recorded');
        await sleep(20);
      }
    }

    describe('the organisation a session acts in', () => {
      test('a session reads GET /api/v1/orgs/current of its membership', async () => {
        const u = await signedInUser(t, { role: 'viewer' });
        const r = await current(u.read);
        assert.equal(r.statusCode, 200, r.body);
        assert.equal(r.json().id, t.org.id);
      });

      test('X-Org-Id of an organisation the user is not in: 403 not_a_member naming it', async () => {
        const u = await signedInUser(t);
        const other = await t.newOrg('Not Mine');
        const err = assertError(await current({ ...u.read, 'x-org-id': other.org.id }), 403, 'not_a_member');
        assert.deepEqual(err.details, { orgId: other.org.id });
        // An id no organisation has is refused the same way (nothing tells the two apart).
        const unknown = '00000000-0000-4000-8000-000000000000';
        assert.deepEqual(assertError(await current({ ...u.read, 'x-org-id': unknown }), 403, 'not_a_member').details, { orgId: unknown });
      });

      test('a malformed X-Org-Id: 400 bad_request naming the header', async () => {
        const u = await signedInUser(t);
        for (const bad of ['nope', '1234', `${t.org.id}x`, "' OR 1=1 --"]) {
          const err = assertError(await current({ ...u.read, 'x-org-id': bad }), 400, 'bad_request');
          assert.match(err.message, /X-Org-Id/);
        }
      });

      test('acting in a second organisation by header, with the role held there', async () => {
        const u = await signedInUser(t, { role: 'member' });
        const second = await t.newOrg('Second Home');
        await addMembership(t.sql, second.org.id, u.user.id, 'viewer', new Date());
        // Without the header: the oldest membership (the first org).
        assert.equal((await current(u.read)).json().id, t.org.id);
        const there = await current({ ...u.read, 'x-org-id': second.org.id });
        assert.equal(there.statusCode, 200, there.body);
        assert.equal(there.json().id, second.org.id);
        // Upper case is the same id.
        assert.equal((await current({ ...u.read, 'x-org-id': second.org.id.toUpperCase() })).json().id, second.org.id);
        // A member in the first org ingests; a viewer in the second cannot.
        assert.equal((await ingest(u.write)).statusCode, 200);
        const refused = assertError(await ingest({ ...u.write, 'x-org-id': second.org.id }), 403, 'insufficient_scope');
        assert.deepEqual((refused.details as { role: string }).role, 'viewer');
        // What was written landed in the first org only.
        const counts = await t.sql.query<{ org_id: string }>(`SELECT DISTINCT org_id FROM series WHERE key = 'session.test' AND org_id = ANY($1::uuid[])`, [[t.org.id, second.org.id]]);
        assert.deepEqual(counts.rows.map((r) => r.org_id), [t.org.id]);
      });

      test('the default organisation, else the session’s chosen one, decides without a header', async () => {
        const u = await signedInUser(t, { role: 'viewer' });
        const second = await t.newOrg('Default Home');
        await addMembership(t.sql, second.org.id, u.user.id, 'viewer', new Date());
        await t.sql.query(`UPDATE users SET default_org_id = $2 WHERE id = $1`, [u.user.id, second.org.id]);
        assert.equal((await current(u.read)).json().id, second.org.id);
        await t.sql.query(`UPDATE sessions SET org_id = $2 WHERE id = $1`, [u.sessionId, t.org.id]);
        assert.equal((await current(u.read)).json().id, t.org.id);
      });

      test('a chosen or default organisation the user has left: the default, else the oldest membership', async () => {
        const u = await signedInUser(t, { role: 'viewer' });
        const second = await t.newOrg('Left Chosen');
        const third = await t.newOrg('Left Default');
        for (const o of [second, third]) await addMembership(t.sql, o.org.id, u.user.id, 'viewer', new Date());
        await t.sql.query(`UPDATE users SET default_org_id = $2 WHERE id = $1`, [u.user.id, third.org.id]);
        await t.sql.query(`UPDATE sessions SET org_id = $2 WHERE id = $1`, [u.sessionId, second.org.id]);
        assert.equal((await current(u.read)).json().id, second.org.id, 'the chosen one');
        await t.sql.query(`DELETE FROM memberships WHERE user_id = $1 AND org_id = $2`, [u.user.id, second.org.id]);
        assert.equal((await current(u.read)).json().id, third.org.id, 'left the chosen one: the default');
        assertError(await current({ ...u.read, 'x-org-id': second.org.id }), 403, 'not_a_member');
        await t.sql.query(`DELETE FROM memberships WHERE user_id = $1 AND org_id = $2`, [u.user.id, third.org.id]);
        assert.equal((await current(u.read)).json().id, t.org.id, 'left the default too: the oldest membership');
      });

      test('an unverified user: 403 email_unverified on organisation routes', async () => {
        const u = await signedInUser(t, { verified: false, role: 'owner' });
        const err = assertError(await current(u.read), 403, 'email_unverified');
        assert.match(err.message, /[Vv]erify/);
        assertError(await ingest(u.write), 403, 'email_unverified');
      });

      test('a user with no membership: 403 no_organization', async () => {
        const u = await signedInUser(t, { role: null });
        const err = assertError(await current(u.read), 403, 'no_organization');
        assert.match(err.message, /POST \/api\/v1\/orgs|invitation/);
      });

      test('a session without a cookie value or with a malformed or unknown token: 401', async () => {
        assertError(await current({ cookie: 'iv_session=' }), 401, 'missing_api_key');
        for (const token of ['short', 'x'.repeat(43) + '!', 'A'.repeat(43)]) {
          const r = await current({ cookie: `iv_session=${encodeURIComponent(token)}` });
          assertError(r, 401, 'session_expired');
          assert.ok(clears(r, 'iv_session') && clears(r, 'iv_csrf'), `cookies cleared: ${setCookies(r).join(' | ')}`);
        }
      });
    });

    describe('CSRF', () => {
      test('a state-changing request without X-CSRF-Token: 403 csrf_failed', async () => {
        const u = await signedInUser(t);
        const err = assertError(await ingest(u.read), 403, 'csrf_failed');
        assert.match(err.message, /X-CSRF-Token/);
      });

      test('with a wrong token (another session’s, or garbage): 403 csrf_failed', async () => {
        const u = await signedInUser(t);
        const other = await signedInUser(t);
        assertError(await ingest({ ...u.read, 'x-csrf-token': csrfTokenFor(other.token) }), 403, 'csrf_failed');
        assertError(await ingest({ ...u.read, 'x-csrf-token': 'garbage' }), 403, 'csrf_failed');
        assertError(await ingest({ ...u.read, 'x-csrf-token': '' }), 403, 'csrf_failed');
      });

      test('with the right token but a foreign Origin or Referer: 403 csrf_failed naming the origin', async () => {
        const u = await signedInUser(t);
        const host = { host: 'iv.example.test' };
        const err = assertError(await ingest({ ...u.write, ...host, origin: 'https://evil.example' }), 403, 'csrf_failed');
        assert.deepEqual(err.details, { origin: 'https://evil.example' });
        assertError(await ingest({ ...u.write, ...host, referer: 'https://evil.example/page' }), 403, 'csrf_failed');
        assertError(await ingest({ ...u.write, ...host, origin: 'https://iv.example.test' }), 403, 'csrf_failed'); // another scheme
        assertError(await ingest({ ...u.write, ...host, origin: 'null' }), 403, 'csrf_failed'); // sandboxed frames send "null"
      });

      test('with the right token and the platform’s own Origin: passes', async () => {
        const u = await signedInUser(t);
        assert.equal((await ingest(u.write)).statusCode, 200, 'no Origin (a non-browser client)');
        const own = await ingest({ ...u.write, host: 'iv.example.test', origin: 'http://iv.example.test' });
        assert.equal(own.statusCode, 200, own.body);
        const referer = await ingest({ ...u.write, host: 'iv.example.test', referer: 'http://iv.example.test/dashboard?x=1' });
        assert.equal(referer.statusCode, 200, referer.body);
        // The default port is the same origin whether or not the Host header spells it.
        const port = await ingest({ ...u.write, host: 'localhost:80', origin: 'http://localhost' });
        assert.equal(port.statusCode, 200, port.body);
      });

      test('GET needs no token and ignores Origin', async () => {
        const u = await signedInUser(t);
        assert.equal((await current(u.read)).statusCode, 200);
        assert.equal((await current({ ...u.read, origin: 'https://evil.example' })).statusCode, 200);
      });

      test('a key needs no CSRF token (not a browser credential)', async () => {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { ...bearer(t.adminKey), origin: 'https://elsewhere.example' }, payload: ingestBody(clock()) });
        assert.equal(r.statusCode, 200, r.body);
      });
    });

    describe('keys beside cookies', () => {
      test('a key and a cookie both sent: the key decides', async () => {
        const u = await signedInUser(t, { role: 'viewer' });
        const other = await t.newOrg('Key Decides');
        const both = await current({ ...u.read, ...bearer(other.key) });
        assert.equal(both.statusCode, 200, both.body);
        assert.equal(both.json().id, other.org.id);
        // The key's scopes, not the viewer's role, and no CSRF token is asked for.
        assert.equal((await ingest({ ...u.read, ...bearer(other.key) })).statusCode, 200);
        // A bad key is not rescued by a good cookie.
        assertError(await current({ ...u.read, ...bearer(`iv_${'A'.repeat(32)}`) }), 401, 'invalid_api_key');
        // A read key stays a read key beside an owner's cookie.
        const owner = await signedInUser(t, { role: 'owner' });
        const reader = await t.newKey(['read']);
        assertError(await ingest({ ...owner.write, ...bearer(reader.secret) }), 403, 'insufficient_scope');
      });

      test("a key with X-Org-Id of another organisation: 403, never the key's own org silently", async () => {
        const other = await t.newOrg('Named Elsewhere');
        assertError(await current({ ...bearer(t.adminKey), 'x-org-id': other.org.id }), 403, 'forbidden');
        const before = await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM points WHERE series_id IN (SELECT id FROM series WHERE org_id = $1)', [t.org.id]);
        assertError(await ingest({ ...bearer(t.adminKey), 'x-org-id': other.org.id }), 403, 'forbidden');
        const afterRefusal = await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM points WHERE series_id IN (SELECT id FROM series WHERE org_id = $1)', [t.org.id]);
        assert.equal(afterRefusal.rows[0]!.n, before.rows[0]!.n, 'nothing was written into the key\'s own org');
        // Naming the key's own org is fine.
        const own = await current({ ...bearer(t.adminKey), 'x-org-id': t.org.id });
        assert.equal(own.statusCode, 200, own.body);
      });
    });

    describe('expiry', () => {
      test('a session unused past SESSION_TTL: 401 session_expired and its cookies cleared', async () => {
        const u = await signedInUser(t);
        const u2 = await signedInUser(t);
        try {
          offsetMs = defaultSessionPolicy.ttlMs - 60_000;
          assert.equal((await current(u.read)).statusCode, 200, 'still alive just before the TTL');
          offsetMs = defaultSessionPolicy.ttlMs + 60_000;
          const r = await current(u2.read);
          const err = assertError(r, 401, 'session_expired');
          assert.match(err.message, /sign in/i);
          assert.ok(clears(r, 'iv_session'), `iv_session cleared: ${setCookies(r).join(' | ')}`);
          assert.ok(clears(r, 'iv_csrf'), `iv_csrf cleared: ${setCookies(r).join(' | ')}`);
          assert.ok(setCookies(r).every((c) => /Path=\//.test(c)), 'cleared on the path they were set on');
          // State-changing requests are refused for expiry before any CSRF question.
          assertError(await ingest(u2.write), 401, 'session_expired');
        } finally {
          offsetMs = 0;
        }
      });

      test('sliding expiry renews on use but never past the absolute cap', async () => {
        const { ttlMs, maxMs } = defaultSessionPolicy;
        const u = await signedInUser(t);
        const start = await expiryOf(u.sessionId);
        assert.equal(start.absoluteExpiresAt - start.lastSeenAt, maxMs);
        assert.equal(start.expiresAt - start.lastSeenAt, ttlMs);
        try {
          let last = start.expiresAt;
          // Used every 29 days: each use moves the expiry to 30 days after it, until the cap.
          for (const atDays of [29, 58, 87]) {
            offsetMs = atDays * day;
            const r = await current(u.read);
            assert.equal(r.statusCode, 200, `day ${atDays}: ${r.body}`);
            const seen = await expiryOf(u.sessionId, last);
            assert.ok(seen.lastSeenAt >= start.lastSeenAt + atDays * day, `day ${atDays}: last seen recorded`);
            assert.equal(seen.expiresAt, Math.min(seen.lastSeenAt + ttlMs, start.absoluteExpiresAt), `day ${atDays}: expiry slid, capped`);
            assert.equal(seen.absoluteExpiresAt, start.absoluteExpiresAt, 'the cap never moves');
            last = seen.expiresAt;
          }
          assert.equal(last, start.absoluteExpiresAt, 'at day 87 the sliding expiry reached the cap');
          // Past the original 30 days thanks to sliding, but not past the cap however recently used.
          offsetMs = 89 * day;
          assert.equal((await current(u.read)).statusCode, 200);
          offsetMs = maxMs + 60_000;
          assertError(await current(u.read), 401, 'session_expired');
        } finally {
          offsetMs = 0;
        }
      });

      test('a session not used in time is not renewed by a late request', async () => {
        const u = await signedInUser(t);
        try {
          offsetMs = defaultSessionPolicy.ttlMs + 60_000;
          assertError(await current(u.read), 401, 'session_expired');
          offsetMs = 0;
          // The refused request wrote nothing: the expiry is where it was (30 days after sign-in).
          const s = await expiryOf(u.sessionId);
          assert.equal(s.expiresAt - s.lastSeenAt, defaultSessionPolicy.ttlMs);
        } finally {
          offsetMs = 0;
        }
      });

      test('a deleted user’s session stops working at once', async () => {
        const u = await signedInUser(t);
        assert.equal((await current(u.read)).statusCode, 200);
        await t.sql.query(`DELETE FROM users WHERE id = $1`, [u.user.id]);
        assertError(await current(u.read), 401, 'session_expired');
        assertError(await ingest(u.write), 401, 'session_expired');
      });

      test('a deleted session (signed out elsewhere) stops working at once', async () => {
        const u = await signedInUser(t);
        assert.equal((await current(u.read)).statusCode, 200);
        await t.sql.query(`DELETE FROM sessions WHERE id = $1`, [u.sessionId]);
        assertError(await current(u.read), 401, 'session_expired');
      });

      test('a removed membership stops the session acting in that organisation at once', async () => {
        const u = await signedInUser(t, { role: 'admin' });
        assert.equal((await current(u.read)).statusCode, 200);
        await t.sql.query(`DELETE FROM memberships WHERE user_id = $1`, [u.user.id]);
        assertError(await current(u.read), 403, 'no_organization');
        assertError(await current({ ...u.read, 'x-org-id': t.org.id }), 403, 'not_a_member');
      });
    });
  });
}
