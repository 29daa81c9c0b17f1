// Invitations end to end on both stores, with the emails through a real SMTP server: the test
// follows the link in the email it received. Single use, 7-day expiry, replaced and revoked links,
// resending, the invitee's verified address, and who may invite whom.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { smtpMailer } from '../src/mail/smtp.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { signedInUser, type SignedIn } from './helpers/people.js';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;
type Caller = SignedIn | Record<string, string>;
const isPerson = (who: Caller): who is SignedIn => typeof (who as SignedIn).write === 'object';

function assertError(r: Injected, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(r.statusCode, status, r.body);
  const body = r.json() as { error: { code: string; message: string; details?: unknown } };
  assert.equal(body.error.code, code, r.body);
  assert.ok(body.error.message.length > 0);
  return body.error;
}

const day = 86_400_000;
const publicUrl = 'https://iv.example.test/app';

for (const kind of storeKinds) {
  describe(`invitations (${kind.name})`, () => {
    let t: TestApp;
    let smtp: SmtpReceiver;
    let mailer: ReturnType<typeof smtpMailer>;
    let offsetMs = 0;
    const clock = () => new Date(Date.now() + offsetMs);
    let owner: SignedIn;
    let admin: SignedIn;

    before(async () => {
      smtp = await startSmtpReceiver();
      mailer = smtpMailer(`smtp://127.0.0.1:${smtp.port}`, 'IntentVision <no-reply@iv.example.test>');
      t = await startTestApp({ kind, now: clock, config: { publicUrl }, people: { sendMail: mailer.send } });
      owner = await signedInUser(t, { role: 'owner', name: 'Olive Owner' });
      admin = await signedInUser(t, { role: 'admin', name: 'Adam Admin' });
    });
    after(async () => {
      await t.close();
      mailer.close();
      await smtp.close();
    });
    beforeEach(() => {
      offsetMs = 0;
      smtp.reset();
    });

    const call = (method: string, url: string, who: Caller, payload?: unknown): Promise<Injected> =>
      t.app.inject({ method: method as 'GET', url, headers: isPerson(who) ? (method === 'GET' ? who.read : who.write) : who, ...(payload !== undefined && { payload: payload as object }) });
    const ok = async (method: string, url: string, who: Caller, payload?: unknown) => {
      const r = await call(method, url, who, payload);
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json();
    };
    const newEmail = (name = 'invitee') => `${name}-${Math.random().toString(36).slice(2, 8)}@example.test`;
    /** The one email received for `to`, and the token of the link in it. */
    const mailTo = (to: string): { mail: ReceivedMail; token: string; link: URL } => {
      const mails = smtp.received.filter((m) => m.envelope.to.includes(to));
      assert.equal(mails.length, 1, `one email to ${to}, got ${mails.length}`);
      const mail = mails[0]!;
      const href = /https?:\/\/\S+/.exec(mail.text ?? '')?.[0];
      assert.ok(href, mail.text);
      const link = new URL(href);
      return { mail, token: link.searchParams.get('token')!, link };
    };
    const invite = async (email: string, role = 'member', by: SignedIn | Record<string, string> = admin) => {
      const inv = await ok('POST', '/api/v1/invitations', by, { email, role });
      return { inv, ...mailTo(email) };
    };
    const accept = (who: SignedIn, token: string) => call('POST', '/api/v1/invitations/accept', who, { token });

    test('invite → email with a link → the invitee follows it and joins with the role', async () => {
      const email = newEmail();
      const r = await call('POST', '/api/v1/invitations', admin, { email: `  ${email.toUpperCase()} `.trim(), role: 'member' });
      assert.equal(r.statusCode, 201, r.body);
      const inv = r.json();
      assert.equal(inv.email, email, 'stored lower-cased');
      assert.equal(inv.role, 'member');
      assert.equal(inv.status, 'pending');
      assert.equal(inv.invitedBy, admin.user.id);
      assert.equal(Date.parse(inv.expiresAt) - Date.parse(inv.createdAt), 7 * day);
      assert.ok(!('token' in inv), 'the token goes only to the invitee');

      const { mail, token, link } = mailTo(email);
      assert.equal(`${link.origin}${link.pathname}`, `${publicUrl}/invitations/accept`);
      assert.match(mail.subject, new RegExp(t.org.name));
      assert.match(mail.text!, /Adam Admin/);
      assert.match(mail.text!, /as a member/);
      assert.equal(mail.envelope.from, 'no-reply@iv.example.test');
      // Stored only as a hash.
      const stored = await t.sql.query<{ token_hash: string }>('SELECT token_hash FROM invitations WHERE id = $1', [inv.id]);
      assert.notEqual(stored.rows[0]!.token_hash, token);
      assert.ok(!JSON.stringify(stored.rows).includes(token));

      const pending = await ok('GET', '/api/v1/invitations', admin);
      assert.ok(pending.invitations.some((i: { id: string }) => i.id === inv.id));

      const invitee = await signedInUser(t, { role: null, email });
      const joined = await accept(invitee, token);
      assert.equal(joined.statusCode, 200, joined.body);
      assert.deepEqual(joined.json(), { orgId: t.org.id, name: t.org.name, slug: t.org.slug, role: 'member' });
      // At once a member: acts in the organisation (their default now), listed among members.
      const me = await ok('GET', '/api/v1/me', invitee);
      assert.deepEqual(me.memberships.map((m: { orgId: string; role: string }) => [m.orgId, m.role]), [[t.org.id, 'member']]);
      assert.equal(me.defaultOrgId, t.org.id);
      assert.equal((await ok('GET', '/api/v1/orgs/current', invitee)).id, t.org.id);
      assert.ok((await ok('GET', '/api/v1/members', invitee)).members.some((m: { userId: string; role: string }) => m.userId === invitee.user.id && m.role === 'member'));
      assert.ok(!(await ok('GET', '/api/v1/invitations', admin)).invitations.some((i: { id: string }) => i.id === inv.id), 'no longer pending');

      // Single use.
      const err = assertError(await accept(invitee, token), 409, 'invitation_used');
      assert.match(err.message, /accepted/);
      // Inviting a member again: 409, nothing sent.
      smtp.reset();
      assertError(await call('POST', '/api/v1/invitations', admin, { email, role: 'admin' }), 409, 'already_member');
      assert.equal(smtp.received.length, 0);
    });

    test('the invitee must be signed in with the invited address, verified', async () => {
      const email = newEmail();
      const { token } = await invite(email, 'viewer');
      const other = await signedInUser(t, { role: null });
      assertError(await accept(other, token), 403, 'invitation_email_mismatch');
      const unverified = await signedInUser(t, { role: null, email, verified: false });
      assertError(await accept(unverified, token), 403, 'email_unverified');
      assertError(await t.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token } }), 401, 'not_signed_in');
      assertError(await call('POST', '/api/v1/invitations/accept', bearer(t.adminKey), { token }), 403, 'user_required');
      // Still usable by the right person once verified.
      await t.sql.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [unverified.user.id]);
      assert.equal((await accept(unverified, token)).json().role, 'viewer');
    });

    test('unknown, malformed, revoked, replaced and expired links get their own errors', async () => {
      const someone = await signedInUser(t, { role: null });
      assertError(await accept(someone, 'A'.repeat(43)), 400, 'invalid_token');
      assertError(await accept(someone, 'not a token'), 400, 'invalid_token');
      assertError(await call('POST', '/api/v1/invitations/accept', someone, {}), 400, 'validation_failed');

      // Revoked.
      const email = newEmail();
      const invitee = await signedInUser(t, { role: null, email });
      const first = await invite(email);
      const revoked = await ok('DELETE', `/api/v1/invitations/${first.inv.id}`, admin);
      assert.equal(revoked.status, 'revoked');
      assertError(await accept(invitee, first.token), 410, 'invitation_revoked');
      assert.equal((await ok('DELETE', `/api/v1/invitations/${first.inv.id}`, admin)).revokedAt, revoked.revokedAt, 'revoking twice keeps the first time');

      // Replaced: a new invitation of the same address revokes the pending one.
      smtp.reset();
      const second = await invite(email, 'viewer');
      smtp.reset();
      const third = await invite(email, 'admin');
      assertError(await accept(invitee, second.token), 410, 'invitation_revoked');
      const pendingForEmail = (await ok('GET', '/api/v1/invitations', admin)).invitations.filter((i: { email: string }) => i.email === email);
      assert.deepEqual(pendingForEmail.map((i: { id: string }) => i.id), [third.inv.id]);

      // Expired after 7 days (the invitee's session is still valid then).
      offsetMs = 7 * day + 60_000;
      assertError(await accept(invitee, third.token), 410, 'invitation_expired');
      assert.ok(!(await ok('GET', '/api/v1/invitations', admin)).invitations.some((i: { id: string }) => i.id === third.inv.id), 'expired ones are not pending');

      // Resend: a new link with a new expiry; the old link no longer works.
      smtp.reset();
      const sentAt = clock().getTime();
      const resent = await ok('POST', `/api/v1/invitations/${third.inv.id}/resend`, admin);
      assert.equal(resent.status, 'pending');
      const expiry = Date.parse(resent.expiresAt) - 7 * day;
      assert.ok(expiry >= sentAt && expiry <= clock().getTime(), 'a new 7-day expiry from the resend');
      const { token: fresh } = mailTo(email);
      assert.notEqual(fresh, third.token);
      assertError(await accept(invitee, third.token), 400, 'invalid_token');
      assert.equal((await accept(invitee, fresh)).json().role, 'admin');
      // Accepted invitations can be neither revoked nor resent.
      assertError(await call('DELETE', `/api/v1/invitations/${third.inv.id}`, admin), 409, 'invitation_used');
      assertError(await call('POST', `/api/v1/invitations/${third.inv.id}/resend`, admin), 409, 'invitation_used');
      assertError(await call('POST', `/api/v1/invitations/${first.inv.id}/resend`, admin), 410, 'invitation_revoked');
      assertError(await call('DELETE', '/api/v1/invitations/00000000-0000-4000-8000-000000000000', admin), 404, 'not_found');
    });

    test('who may invite: admins; owners also invite owners; members and viewers not', async () => {
      const member = await signedInUser(t, { role: 'member' });
      assertError(await call('POST', '/api/v1/invitations', member, { email: newEmail(), role: 'viewer' }), 403, 'insufficient_scope');
      assertError(await call('GET', '/api/v1/invitations', member), 403, 'insufficient_scope');
      const err = assertError(await call('POST', '/api/v1/invitations', admin, { email: newEmail(), role: 'owner' }), 403, 'insufficient_scope');
      assert.deepEqual(err.details, { required: 'owner', role: 'admin' });
      assert.equal(smtp.received.length, 0, 'nothing sent for refused invitations');

      const email = newEmail('co-owner');
      const { inv, token } = await invite(email, 'owner', owner);
      assert.equal(inv.invitedBy, owner.user.id);
      // An admin can neither revoke nor resend an owner invitation.
      assertError(await call('DELETE', `/api/v1/invitations/${inv.id}`, admin), 403, 'insufficient_scope');
      assertError(await call('POST', `/api/v1/invitations/${inv.id}/resend`, admin), 403, 'insufficient_scope');
      const coOwner = await signedInUser(t, { role: null, email });
      assert.equal((await accept(coOwner, token)).json().role, 'owner');
      assert.equal((await call('PATCH', '/api/v1/orgs/current', coOwner, { name: t.org.name })).statusCode, 200, 'acts as an owner at once');

      // Keys invite too (no person named as the inviter).
      smtp.reset();
      const byKey = await ok('POST', '/api/v1/invitations', bearer(t.adminKey), { email: newEmail('bykey'), role: 'viewer' });
      assert.equal(byKey.invitedBy, null);
      assert.match(smtp.received[0]!.text!, /An administrator invited you/);
      assertError(await call('POST', '/api/v1/invitations', admin, { email: 'not-an-email', role: 'viewer' }), 400, 'validation_failed');
    });

    test('accepting while the address is invited again: one wins, cleanly (no deadlock, no 500)', async () => {
      for (let round = 0; round < 3; round++) {
        const email = newEmail('race');
        const { token } = await invite(email);
        const invitee = await signedInUser(t, { role: null, email });
        const [accepted, reinvited] = await Promise.all([accept(invitee, token), call('POST', '/api/v1/invitations', admin, { email, role: 'viewer' })]);
        const outcome = `${accepted.statusCode} ${reinvited.statusCode}`;
        // Accepted first: the second invitation finds a member. Invited first: the first link was revoked.
        assert.ok(outcome === '200 409' || outcome === '410 201', `${outcome}: ${accepted.body} ${reinvited.body}`);
        if (outcome === '200 409') assert.equal(reinvited.json().error.code, 'already_member');
        else assert.equal(accepted.json().error.code, 'invitation_revoked');
      }
    });

    test('an email the SMTP server refuses: 503 and the invitation is withdrawn', async () => {
      const email = newEmail('bounce');
      smtp.script({ code: 550, message: 'mailbox unavailable' });
      const err = assertError(await call('POST', '/api/v1/invitations', admin, { email, role: 'viewer' }), 503, 'service_unavailable');
      const id = (err.details as { invitationId: string }).invitationId;
      const row = await t.sql.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM invitations WHERE id = $1', [id]);
      assert.ok(row.rows[0]!.revoked_at, 'no usable link left behind');
      assert.ok(!(await ok('GET', '/api/v1/invitations', admin)).invitations.some((i: { email: string }) => i.email === email));
    });

    test('invitation emails to one address are limited to 5 an hour', async () => {
      const email = newEmail('spam');
      const { inv } = await invite(email);
      for (let i = 0; i < 4; i++) await ok('POST', `/api/v1/invitations/${inv.id}/resend`, admin);
      const r = await call('POST', `/api/v1/invitations/${inv.id}/resend`, admin);
      assertError(r, 429, 'rate_limited');
      assert.ok(Number(r.headers['retry-after']) > 0);
      assert.equal(smtp.received.filter((m) => m.envelope.to.includes(email)).length, 5);
    });
  });
}
