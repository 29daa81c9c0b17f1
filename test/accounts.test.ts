// Accounts end to end through the real server on both stores, with a real SMTP server receiving the
// emails: the tests read each email, take the link from it and follow it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword } from '../src/auth/passwords.js';
import { createUser } from '../src/auth/users.js';
import { csrfTokenFor } from '../src/api/session-cookie.js';
import { runMaintenance } from '../src/jobs/maintenance.js';
import { smtpMailer } from '../src/mail/smtp.js';
import { bootstrapAdminUser } from '../src/tenancy/bootstrap.js';
import { getMembership } from '../src/tenancy/memberships.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError } from './helpers/ingest.js';
import { signedInUser } from './helpers/people.js';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;

const publicUrl = 'https://iv.example.test';
const password = 'violet tractor sunrise';
let seq = 0;
const newEmail = (tag: string) => `${tag.toLowerCase()}-${++seq}-${Math.random().toString(36).slice(2, 8)}@example.test`;

/** The cookies a browser would now hold, from a reply's Set-Cookie headers. */
function setCookies(r: Injected): Map<string, string> {
  const raw = r.headers['set-cookie'];
  const lines = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return new Map(lines.map((l) => [l.split('=')[0]!, l]));
}

function sessionTokenOf(r: Injected): string {
  const line = setCookies(r).get('iv_session');
  assert.ok(line, `no session cookie in ${JSON.stringify(r.headers['set-cookie'])}`);
  return line.split(';')[0]!.slice('iv_session='.length);
}

const read = (token: string) => ({ cookie: `iv_session=${token}` });
const write = (token: string) => ({ cookie: `iv_session=${token}`, 'x-csrf-token': csrfTokenFor(token) });

for (const kind of storeKinds) {
  describe(`accounts (${kind.name})`, () => {
    let t: TestApp;
    let smtp: SmtpReceiver;
    let mailer: ReturnType<typeof smtpMailer>;
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);

    before(async () => {
      smtp = await startSmtpReceiver();
      mailer = smtpMailer(`smtp://${smtp.host}:${smtp.port}`, 'IntentVision <accounts@iv.example.test>');
      t = await startTestApp({ kind, now: clock, platformOrg: true, config: { passwordScryptLogN: 10, publicUrl }, people: { sendMail: mailer.send } });
    });
    after(async () => {
      await t?.close();
      mailer?.close();
      await smtp?.close();
    });

    const post = (url: string, body: unknown, headers: Record<string, string> = {}, remoteAddress?: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/auth${url}`, payload: body as object, headers, remoteAddress });
    const login = (email: string, pw = password, headers: Record<string, string> = {}, remoteAddress?: string) => post('/login', { email, password: pw }, headers, remoteAddress);

    /** The next email to `to` whose subject matches, waiting for it (emails are sent after the reply). */
    async function mailTo(to: string, subject: RegExp, timeoutMs = 5000): Promise<ReceivedMail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = smtp.received.find((x) => x.envelope.to.includes(to) && subject.test(x.subject));
        if (m) {
          smtp.received.splice(smtp.received.indexOf(m), 1);
          return m;
        }
        if (Date.now() > deadline) assert.fail(`no email to ${to} matching ${subject}; got ${smtp.received.map((x) => `${x.envelope.to}: ${x.subject}`).join(' | ')}`);
        await sleep(20);
      }
    }

    /** The link on a line of its own in the text part, and its token. */
    function linkIn(mail: ReceivedMail, path: string): { link: string; token: string } {
      const line = mail.text!.split(/\r?\n/).find((l) => l.startsWith(`${publicUrl}${path}?token=`));
      assert.ok(line, `no ${path} link on its own line in:\n${mail.text}`);
      const token = new URL(line).searchParams.get('token')!;
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(mail.html?.includes(`href="${line}"`), 'the HTML part links it too');
      return { link: line, token };
    }

    /** Registers and verifies a user through the emails; returns its email. */
    async function verifiedUser(tag: string, pw = password): Promise<string> {
      const email = newEmail(tag);
      assert.equal((await post('/register', { email, password: pw, name: tag })).statusCode, 202);
      const { token } = linkIn(await mailTo(email, /Verify your email/), '/verify-email');
      assert.equal((await post('/verify-email', { token })).statusCode, 200);
      return email;
    }

    test('register → email → verify → sign in → cookies → sessions → sign out → the cookie is refused', async () => {
      const email = newEmail('Ada');
      const reg = await post('/register', { email: email.toUpperCase(), password, name: '  Ada Lovelace ' });
      assert.equal(reg.statusCode, 202, reg.body);
      assert.equal(reg.json().status, 'accepted');
      assert.equal(reg.headers['set-cookie'], undefined, 'registering does not sign in');

      const mail = await mailTo(email, /Verify your email address/);
      assert.equal(mail.envelope.from, 'accounts@iv.example.test');
      assert.match(mail.text!, /Hello Ada Lovelace,/);
      assert.match(mail.text!, /expires in 24 hours/);
      const { token } = linkIn(mail, '/verify-email');

      // Unverified: signing in works, acting in an organisation does not.
      const early = await login(email);
      assert.equal(early.statusCode, 200, early.body);
      assert.equal(early.json().user.emailVerified, false);
      const earlyToken = sessionTokenOf(early);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: read(earlyToken) }), 403, 'email_unverified');

      const verified = await post('/verify-email', { token });
      assert.equal(verified.statusCode, 200, verified.body);
      assert.deepEqual({ ...verified.json().user, id: undefined, createdAt: undefined }, { id: undefined, createdAt: undefined, email, name: 'Ada Lovelace', emailVerified: true, hasPassword: true });
      assertError(await post('/verify-email', { token }), 400, 'token_used');

      const r = await login(` ${email.toUpperCase()} `, password, { 'user-agent': 'Firefox/135 test' }, '192.0.2.10');
      assert.equal(r.statusCode, 200, r.body);
      const body = r.json();
      assert.equal(body.user.email, email);
      assert.equal(body.user.emailVerified, true);
      const cookies = setCookies(r);
      const session = cookies.get('iv_session')!;
      const csrf = cookies.get('iv_csrf')!;
      assert.match(session, /; HttpOnly/);
      assert.match(session, /; SameSite=Lax/);
      assert.match(session, /; Secure/, 'PUBLIC_URL is https');
      assert.match(session, /; Path=\//);
      assert.match(session, new RegExp(`; Max-Age=${90 * 86_400}(;|$)`));
      assert.doesNotMatch(csrf, /HttpOnly/, 'the dashboard reads the CSRF token');
      const tok = sessionTokenOf(r);
      assert.equal(body.csrfToken, csrfTokenFor(tok));
      assert.equal(csrf.split(';')[0], `iv_csrf=${body.csrfToken}`);

      const list = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(tok) });
      assert.equal(list.statusCode, 200, list.body);
      const sessions = list.json().sessions as { id: string; current: boolean; userAgent: string | null; address: string | null; createdAt: string; lastSeenAt: string; expiresAt: string }[];
      assert.equal(sessions.length, 2);
      const current = sessions.find((s) => s.current)!;
      assert.equal(current.userAgent, 'Firefox/135 test');
      assert.equal(current.address, '192.0.2.10');
      assert.ok(Date.parse(current.expiresAt) > Date.parse(current.createdAt) + 29 * 86_400_000);
      const other = sessions.find((s) => !s.current)!;

      // Another user's session id is not found; one's own other session ends.
      const stranger = await signedInUser(t);
      assertError(await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${stranger.sessionId}`, headers: write(tok) }), 404, 'not_found');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: stranger.read })).json().sessions.length, 1, "the stranger's session lives on");
      assertError(await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${stranger.sessionId}`, headers: stranger.read }), 403, 'csrf_failed');
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${other.id}`, headers: write(tok) })).statusCode, 204);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: read(earlyToken) }), 401, 'session_expired');
      assert.deepEqual((await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(tok) })).json().sessions.map((s: { id: string }) => s.id), [current.id]);

      // Sign out: the CSRF header is required; then the session is gone and the cookies cleared.
      assertError(await post('/logout', undefined, read(tok)), 403, 'csrf_failed');
      const out = await post('/logout', undefined, write(tok));
      assert.equal(out.statusCode, 204, out.body);
      const cleared = setCookies(out);
      assert.match(cleared.get('iv_session')!, /^iv_session=;/);
      assert.match(cleared.get('iv_session')!, /Expires=Thu, 01 Jan 1970|Max-Age=0/);
      assert.match(cleared.get('iv_csrf')!, /^iv_csrf=;/);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(tok) }), 401, 'session_expired');
      assertError(await post('/logout', undefined, write(tok)), 401, 'session_expired');
      // Keys are not people.
      assertError(await post('/logout', undefined, bearer(t.adminKey)), 403, 'user_required');
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions' }), 401, 'not_signed_in');
    });

    test('registration with a taken address: the same reply, nothing changed, and the owner is told', async () => {
      const email = await verifiedUser('Taken');
      const fresh = await post('/register', { email: newEmail('Fresh'), password, name: 'Fresh' });
      const again = await post('/register', { email: email.toUpperCase(), password: 'another good passphrase', name: 'Mallory' });
      assert.equal(again.statusCode, fresh.statusCode);
      assert.equal(again.body, fresh.body);
      assert.equal(again.headers['content-type'], fresh.headers['content-type']);
      const notice = await mailTo(email, /Someone tried to create an IntentVision account/);
      assert.match(notice.text!, /already have one\. Nothing was changed\./);
      assert.ok(notice.text!.split(/\r?\n/).includes(`${publicUrl}/reset-password`), notice.text);
      assert.equal((await t.sql.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount, 1);
      assert.equal((await login(email)).statusCode, 200, 'the password is unchanged');
      assertError(await login(email, 'another good passphrase'), 401, 'invalid_credentials');
    });

    test('password rules: 400 weak_password naming the rule; invalid input is 400, never 500', async () => {
      const email = newEmail('weak');
      const cases: [string, string][] = [
        ['short', 'min_length'],
        ['x'.repeat(257), 'max_length'],
        ['password123', 'common_password'],
        [email.split('@')[0]!, 'matches_email'],
      ];
      for (const [pw, rule] of cases) {
        const e = assertError(await post('/register', { email, password: pw, name: 'W' }), 400, 'weak_password');
        assert.equal((e.details as { rule: string }).rule, rule);
      }
      assertError(await post('/register', { email: 'not-an-email', password, name: 'W' }), 400, 'validation_failed');
      assertError(await post('/register', { email, password, name: '   ' }), 400, 'validation_failed');
      assertError(await post('/register', { email, password }), 400, 'validation_failed');
      assertError(await post('/login', { email, password: 'x'.repeat(5000) }), 400, 'validation_failed');
      assert.equal((await t.sql.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount, 0);
    });

    test('sign-in: unknown email and wrong password are the same 401; throttled per account and per address with 429', async () => {
      const email = await verifiedUser('Throttle');
      const unknown = assertError(await login(newEmail('nobody'), password, {}, '198.51.100.1'), 401, 'invalid_credentials');
      const wrong = assertError(await login(email, 'wrong password here', {}, '198.51.100.1'), 401, 'invalid_credentials');
      assert.deepEqual(unknown, wrong);
      // Per account: 5 failures (from several addresses), then even the right password waits.
      for (let i = 0; i < 4; i++) assertError(await login(email, `wrong ${i} password`, {}, `198.51.100.${i + 2}`), 401, 'invalid_credentials');
      const limited = await login(email, password, {}, '198.51.100.50');
      const e = assertError(limited, 429, 'rate_limited');
      assert.equal((e.details as { reason: string }).reason, 'account');
      const retry = Number(limited.headers['retry-after']);
      assert.ok(retry > 0 && retry <= 900, `Retry-After ${limited.headers['retry-after']}`);
      assert.equal(limited.headers['set-cookie'], undefined);

      // Per address: 20 failures over many accounts, then every sign-in from there waits; other addresses do not.
      const other = await verifiedUser('Bystander');
      const ip = '203.0.113.9';
      for (let i = 0; i < 20; i++) assertError(await login(newEmail(`guess${i}`), 'some guessed password', {}, ip), 401, 'invalid_credentials');
      const blocked = await login(other, password, {}, ip);
      assert.equal((assertError(blocked, 429, 'rate_limited').details as { reason: string }).reason, 'address');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.equal((await login(other, password, {}, '203.0.113.10')).statusCode, 200);
      // Successes are not counted.
      for (let i = 0; i < 6; i++) assert.equal((await login(other, password, {}, '203.0.113.11')).statusCode, 200);
    });

    test('sign-in from another site is refused (login CSRF)', async () => {
      const email = await verifiedUser('Origin');
      assertError(await login(email, password, { origin: 'https://evil.example' }), 403, 'csrf_failed');
      assert.equal((await login(email, password, { origin: publicUrl })).statusCode, 200);
    });

    test('session fixation: a cookie presented at sign-in is not reused and is ended', async () => {
      const email = await verifiedUser('Fixation');
      const planted = sessionTokenOf(await login(await verifiedUser('Attacker')));
      const r = await login(email, password, read(planted));
      assert.equal(r.statusCode, 200, r.body);
      const fresh = sessionTokenOf(r);
      assert.notEqual(fresh, planted);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(planted) }), 401, 'session_expired');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(fresh) })).statusCode, 200);
      // Signing in again over one's own session replaces it too.
      const again = sessionTokenOf(await login(email, password, read(fresh)));
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(fresh) }), 401, 'session_expired');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(again) })).json().sessions.length, 1);
      // A failed sign-in leaves the presented session alone.
      assertError(await login(email, 'not my password', read(again)), 401, 'invalid_credentials');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(again) })).statusCode, 200);
    });

    test('password reset: same reply for unknown addresses; the link sets the password, verifies the address and ends every session', async () => {
      // An unverified account: the reset proves the mailbox.
      const email = newEmail('Reset');
      await post('/register', { email, password, name: 'Reset' });
      await mailTo(email, /Verify your email/);
      const s1 = sessionTokenOf(await login(email));
      const s2 = sessionTokenOf(await login(email));

      const known = await post('/password-reset/request', { email });
      const nobody = newEmail('nobody');
      const unknown = await post('/password-reset/request', { email: nobody });
      assert.equal(known.statusCode, 202);
      assert.equal(unknown.statusCode, known.statusCode);
      assert.equal(unknown.body, known.body);
      const mail = await mailTo(email, /Reset your IntentVision password/);
      assert.match(mail.text!, /expires in 1 hour/);
      const { token } = linkIn(mail, '/reset-password');

      const weak = assertError(await post('/password-reset/confirm', { token, password: 'qwertyuiop' }), 400, 'weak_password');
      assert.equal((weak.details as { rule: string }).rule, 'common_password');
      const done = await post('/password-reset/confirm', { token, password: 'a brand new passphrase' });
      assert.equal(done.statusCode, 200, 'a weak password did not spend the link: ' + done.body);
      assert.equal(done.json().user.emailVerified, true);
      for (const s of [s1, s2]) assertError(await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(s) }), 401, 'session_expired');
      assertError(await login(email), 401, 'invalid_credentials');
      assert.equal((await login(email, 'a brand new passphrase')).statusCode, 200);

      assertError(await post('/password-reset/confirm', { token, password: 'yet another passphrase' }), 400, 'token_used');
      assertError(await post('/password-reset/confirm', { token: 'A'.repeat(43), password: 'yet another passphrase' }), 400, 'invalid_token');
      assertError(await post('/password-reset/confirm', { token: 'not a token', password: 'yet another passphrase' }), 400, 'invalid_token');
      // Two requests with one link at once: exactly one sets the password.
      await post('/password-reset/request', { email });
      const race = linkIn(await mailTo(email, /Reset your IntentVision password/), '/reset-password');
      const both = await Promise.all(['first racing passphrase', 'second racing passphrase'].map((pw) => post('/password-reset/confirm', { token: race.token, password: pw })));
      assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 400]);
      assert.equal(both.find((r) => r.statusCode === 400)!.json().error.code, 'token_used');
      await sleep(300);
      assert.ok(!smtp.received.some((m) => m.envelope.to.includes(nobody)), 'no email to an address without an account');
    });

    test('change password: the current one is checked; other sessions end, this one stays; provider-only accounts set a first one', async () => {
      const email = await verifiedUser('Change');
      const here = sessionTokenOf(await login(email));
      const elsewhere = sessionTokenOf(await login(email));
      const change = (tok: string, body: object) => post('/password', body, write(tok));
      assertError(await change(here, { currentPassword: 'not the password', newPassword: 'a fresh passphrase' }), 403, 'wrong_password');
      assertError(await change(here, { newPassword: 'a fresh passphrase' }), 400, 'validation_failed');
      assertError(await change(here, { currentPassword: password, newPassword: 'abc' }), 400, 'weak_password');
      assertError(await post('/password', { currentPassword: password, newPassword: 'a fresh passphrase' }, read(here)), 403, 'csrf_failed');
      assert.equal((await change(here, { currentPassword: password, newPassword: 'a fresh passphrase' })).statusCode, 204);
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(elsewhere) }), 401, 'session_expired');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: read(here) })).json().sessions.length, 1);
      await mailTo(email, /password was changed/);
      assert.equal((await login(email, 'a fresh passphrase')).statusCode, 200);

      const provider = await signedInUser(t); // no password
      assert.equal((await post('/password', { newPassword: 'my first passphrase' }, provider.write)).statusCode, 204);
      assertError(await post('/password', { newPassword: 'my second passphrase' }, provider.write), 400, 'validation_failed');
      assert.equal((await login(provider.user.email, 'my first passphrase')).statusCode, 200);
    });

    test('resending the verification email: signed-in and unverified only, 3 an hour', async () => {
      const email = newEmail('Resend');
      await post('/register', { email, password, name: 'Resend' });
      const first = linkIn(await mailTo(email, /Verify your email/), '/verify-email');
      const tok = sessionTokenOf(await login(email));
      for (let i = 0; i < 3; i++) {
        const r = await post('/verify-email/resend', undefined, write(tok));
        assert.equal(r.statusCode, 202, r.body);
        assert.deepEqual(r.json(), { status: 'sent', to: email });
      }
      const limited = await post('/verify-email/resend', undefined, write(tok));
      assert.equal((assertError(limited, 429, 'rate_limited').details as { reason: string }).reason, 'verification_resend');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      const latest = linkIn(await mailTo(email, /Verify your email/), '/verify-email');
      assert.notEqual(latest.token, first.token);
      assert.equal((await post('/verify-email', { token: latest.token })).statusCode, 200);
      assertError(await post('/verify-email', { token: first.token }), 400, 'token_used');
      assertError(await post('/verify-email/resend', undefined, write(tok)), 409, 'already_verified');
      assertError(await post('/verify-email/resend', undefined, bearer(t.adminKey)), 403, 'user_required');
      assertError(await post('/verify-email/resend', undefined), 401, 'not_signed_in');
    });

    test('a stored hash of another cost is replaced at the next sign-in', async () => {
      const email = newEmail('rehash');
      await createUser(t.sql, { email, name: 'Old', passwordHash: await hashPassword(password, 11), emailVerifiedAt: clock() }, clock());
      assert.equal((await login(email)).statusCode, 200);
      const deadline = Date.now() + 5000;
      let stored = '';
      while (Date.now() < deadline && !stored.startsWith('scrypt$ln=10,')) {
        stored = (await t.sql.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [email])).rows[0]!.password_hash;
        await sleep(20);
      }
      assert.match(stored, /^scrypt\$ln=10,r=8,p=1\$/);
      assert.equal((await login(email)).statusCode, 200);
    });

    test('BOOTSTRAP_ADMIN_EMAIL: the owner of the platform organisation, with a password or a reset link; once', async () => {
      const print: string[] = [];
      const email = newEmail('admin');
      await assert.rejects(bootstrapAdminUser(t.sql, { email, password: 'password1234', scryptLogN: 10, linkBase: publicUrl }), /BOOTSTRAP_ADMIN_PASSWORD is not accepted: .*common/);
      const r = await bootstrapAdminUser(t.sql, { email, scryptLogN: 10, linkBase: `${publicUrl}/`, now: clock() }, (l) => print.push(l));
      assert.ok(r.created);
      assert.equal(r.org.id, t.org.id, 'the platform organisation');
      assert.equal((await getMembership(t.sql, t.org.id, r.user.id))?.role, 'owner');
      assert.ok(r.resetLink);
      assert.ok(print.some((l) => l.trim() === r.resetLink), print.join('\n'));
      const token = new URL(r.resetLink).searchParams.get('token')!;
      assert.ok(r.resetLink.startsWith(`${publicUrl}/reset-password?token=`));
      assert.equal((await post('/password-reset/confirm', { token, password: 'the admin passphrase' })).statusCode, 200);
      const s = sessionTokenOf(await login(email, 'the admin passphrase'));
      const org = await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: read(s) });
      assert.equal(org.statusCode, 200, org.body);
      assert.equal(org.json().id, t.org.id);
      assert.deepEqual(await bootstrapAdminUser(t.sql, { email, scryptLogN: 10, linkBase: publicUrl }), { created: false });

      const withPassword = newEmail('admin2');
      const r2 = await bootstrapAdminUser(t.sql, { email: withPassword, password: 'the second admin passphrase', scryptLogN: 10, linkBase: publicUrl });
      assert.ok(r2.created && !r2.resetLink);
      assert.equal((await login(withPassword, 'the second admin passphrase')).json().user.emailVerified, true);
    });

    test('expired links: verification after 24 h, reset after 1 h; the maintenance job purges what expired', async () => {
      const email = newEmail('Late');
      await post('/register', { email, password, name: 'Late' });
      const verify = linkIn(await mailTo(email, /Verify your email/), '/verify-email');
      await post('/password-reset/request', { email });
      const reset = linkIn(await mailTo(email, /Reset your/), '/reset-password');
      const session = sessionTokenOf(await login(email));
      offsetMs += 61 * 60_000;
      assertError(await post('/password-reset/confirm', { token: reset.token, password: 'a late passphrase' }), 400, 'token_expired');
      assert.equal((await post('/verify-email', { token: verify.token })).statusCode, 200, 'the verification link lasts a day');
      const verify2 = await (async () => {
        await post('/verify-email/resend', undefined, write(session)).then((r) => assert.equal(r.statusCode, 409, 'already verified'));
        const e2 = newEmail('Later');
        await post('/register', { email: e2, password, name: 'Later' });
        return linkIn(await mailTo(e2, /Verify your email/), '/verify-email');
      })();
      offsetMs += 24 * 3_600_000 + 60_000;
      assertError(await post('/verify-email', { token: verify2.token }), 400, 'token_expired');

      // Past every expiry (90 days) and the tokens' week of grace, the hourly job deletes them.
      const result = await runMaintenance(t.sql, new Date(clock().getTime() + 91 * 86_400_000));
      assert.ok(result.deletedSessions >= 1, JSON.stringify(result));
      assert.ok(result.deletedUserTokens >= 2, JSON.stringify(result));
      assert.equal(result.deletedOAuthStates, 0);
      assert.equal((await t.sql.query('SELECT 1 FROM user_tokens')).rowCount, 0);
      assertError(await post('/verify-email', { token: verify2.token }), 400, 'invalid_token');
    });

    test('without PUBLIC_URL links use the request origin, and cookies are not Secure over http', async () => {
      const plain = await startTestApp({ store: t.store, config: { passwordScryptLogN: 10 }, people: { sendMail: mailer.send } });
      try {
        const email = newEmail('origin');
        const r = await plain.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { host: 'dash.example.test:8080' }, payload: { email, password, name: 'O' } });
        assert.equal(r.statusCode, 202, r.body);
        const mail = await mailTo(email, /Verify your email/);
        assert.ok(mail.text!.split(/\r?\n/).some((l) => l.startsWith('http://dash.example.test:8080/verify-email?token=')), mail.text);
        const signIn = await plain.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
        assert.equal(signIn.statusCode, 200, signIn.body);
        assert.match(String(signIn.headers['set-cookie']), /HttpOnly/);
        assert.doesNotMatch(String(signIn.headers['set-cookie']), /Secure/);
      } finally {
        await plain.close();
      }
    });
  });
}
