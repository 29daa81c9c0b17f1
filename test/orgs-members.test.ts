// Organisations, members and /me through the real server, on both stores: a signed-in user creates
// an organisation and owns it, renames and deletes it; /me shows memberships, the default and the
// current organisation; members' roles change (owner rules, last owner, races) and take effect on
// the next request; keys made by people record them and stay within their role; rule changes name
// who made them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { csrfTokenFor } from '../src/api/session-cookie.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { signedInUser, type SignedIn } from './helpers/people.js';
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

for (const kind of storeKinds) {
  describe(`organisations, members and /me (${kind.name})`, () => {
    let t: TestApp;
    /** A second app on the same store whose organisation is the platform's. */
    let platform: TestApp;
    before(async () => {
      t = await startTestApp({ kind, logLevel: 'info' });
      platform = await startTestApp({ store: t.store, platformOrg: true });
    });
    after(async () => {
      await platform.close();
      await t.close();
    });

    const call = (method: string, url: string, who: Caller, payload?: unknown, extra: Record<string, string> = {}): Promise<Injected> =>
      t.app.inject({ method: method as 'GET', url, headers: { ...(isPerson(who) ? (method === 'GET' ? who.read : who.write) : who), ...extra }, ...(payload !== undefined && { payload: payload as object }) });
    const ok = async (method: string, url: string, who: Caller, payload?: unknown, extra?: Record<string, string>) => {
      const r = await call(method, url, who, payload, extra);
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.statusCode === 204 ? undefined : r.json();
    };
    /** A fresh organisation created by a new verified user through the API: its owner. */
    const newOwner = async () => {
      const owner = await signedInUser(t, { role: null });
      const { organization } = await ok('POST', '/api/v1/orgs', owner, { name: 'Team' });
      return { owner, orgId: organization.id as string };
    };

    describe('creating an organisation', () => {
      test('a verified user creates one, owns it, and acts in it; it becomes their default', async () => {
        const u = await signedInUser(t, { role: null, name: 'Ada' });
        assertError(await call('GET', '/api/v1/orgs/current', u), 403, 'no_organization');
        const r = await call('POST', '/api/v1/orgs', u, { name: '  Ada Labs ' });
        assert.equal(r.statusCode, 201, r.body);
        const body = r.json();
        assert.deepEqual(Object.keys(body), ['organization'], 'a person gets no key');
        assert.equal(body.organization.name, 'Ada Labs');
        assert.match(body.organization.slug, /^ada-labs/);

        const me = await ok('GET', '/api/v1/me', u);
        assert.deepEqual(me.memberships, [{ orgId: body.organization.id, name: 'Ada Labs', slug: body.organization.slug, role: 'owner' }]);
        assert.equal(me.defaultOrgId, body.organization.id);
        assert.equal(me.currentOrgId, body.organization.id);
        assert.equal((await ok('GET', '/api/v1/orgs/current', u)).id, body.organization.id);

        // A second organisation: the default stays; a taken derived slug gets a suffix.
        const again = await ok('POST', '/api/v1/orgs', u, { name: 'Ada Labs' });
        assert.notEqual(again.organization.slug, body.organization.slug);
        assert.match(again.organization.slug, /^ada-labs-[a-z0-9]+$/);
        const me2 = await ok('GET', '/api/v1/me', u);
        assert.equal(me2.defaultOrgId, body.organization.id);
        assert.deepEqual(me2.memberships.map((m: { role: string }) => m.role), ['owner', 'owner']);
        // An explicit slug that is taken is a conflict.
        assertError(await call('POST', '/api/v1/orgs', u, { name: 'X', slug: body.organization.slug }), 409, 'conflict');
      });

      test('an unverified user cannot; nor can someone signed out or a non-platform key', async () => {
        const u = await signedInUser(t, { role: null, verified: false });
        assertError(await call('POST', '/api/v1/orgs', u, { name: 'Nope' }), 403, 'email_unverified');
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/orgs', payload: { name: 'Nope' } }), 401, 'not_signed_in');
        assertError(await call('POST', '/api/v1/orgs', bearer(t.adminKey), { name: 'Nope' }), 403, 'forbidden');
        // Without the CSRF token a cookie request is refused.
        assertError(await call('POST', '/api/v1/orgs', u.read, { name: 'Nope' }), 403, 'csrf_failed');
      });

      test("the platform organisation's admin keys still create organisations with a first key", async () => {
        const r = await call('POST', '/api/v1/orgs', bearer(platform.adminKey), { name: `Key Made ${Math.random().toString(36).slice(2, 6)}` });
        assert.equal(r.statusCode, 201, r.body);
        assert.match(r.json().apiKey.key, /^iv_/);
        assert.equal(r.json().apiKey.createdBy, null);
      });
    });

    describe('/me', () => {
      test('GET: the user, memberships, default and current organisation, identities, the CSRF token', async () => {
        const u = await signedInUser(t, { role: 'viewer', name: 'Grace', email: `grace-${Math.random().toString(36).slice(2, 8)}@Example.test` });
        const me = await ok('GET', '/api/v1/me', u);
        assert.deepEqual(Object.keys(me).sort(), ['csrfToken', 'currentOrgId', 'defaultOrgId', 'identities', 'memberships', 'user']);
        assert.deepEqual(me.user, { id: u.user.id, email: u.user.email, name: 'Grace', emailVerified: true, hasPassword: false, createdAt: u.user.createdAt.toISOString() });
        assert.equal(me.user.email, me.user.email.toLowerCase());
        assert.deepEqual(me.memberships, [{ orgId: t.org.id, name: t.org.name, slug: t.org.slug, role: 'viewer' }]);
        assert.equal(me.defaultOrgId, null);
        assert.equal(me.currentOrgId, t.org.id);
        assert.deepEqual(me.identities, []);
        assert.equal(me.csrfToken, csrfTokenFor(u.token));

        // An unverified user sees their account too; keys cannot call it.
        const unverified = await signedInUser(t, { role: null, verified: false });
        assert.equal((await ok('GET', '/api/v1/me', unverified)).user.emailVerified, false);
        assertError(await call('GET', '/api/v1/me', bearer(t.adminKey)), 403, 'user_required');
        assertError(await t.app.inject({ method: 'GET', url: '/api/v1/me' }), 401, 'not_signed_in');
      });

      test('PATCH: name and default organisation (only one of theirs)', async () => {
        const { owner, orgId } = await newOwner();
        await ok('POST', '/api/v1/orgs', owner, { name: 'Second' });
        const second = (await ok('GET', '/api/v1/me', owner)).memberships[1].orgId as string;
        const me = await ok('PATCH', '/api/v1/me', owner, { name: ' Renamed ', defaultOrgId: second });
        assert.equal(me.user.name, 'Renamed');
        assert.equal(me.defaultOrgId, second);
        assert.equal((await ok('GET', '/api/v1/orgs/current', owner)).id, second, 'the default is what a session acts in');

        const err = assertError(await call('PATCH', '/api/v1/me', owner, { defaultOrgId: t.org.id }), 403, 'not_a_member');
        assert.deepEqual(err.details, { field: 'body.defaultOrgId', orgId: t.org.id });
        assert.equal((await ok('GET', '/api/v1/me', owner)).defaultOrgId, second, 'unchanged');
        assert.equal((await ok('PATCH', '/api/v1/me', owner, { defaultOrgId: null })).defaultOrgId, null);
        assert.equal((await ok('GET', '/api/v1/orgs/current', owner)).id, orgId, 'no default: the oldest membership');
        assertError(await call('PATCH', '/api/v1/me', owner, {}), 400, 'validation_failed');
        assertError(await call('PATCH', '/api/v1/me', owner, { name: '' }), 400, 'validation_failed');
        assertError(await call('PATCH', '/api/v1/me', owner, { email: 'x@y.z' }), 400, 'validation_failed');
      });

      test('PUT /me/current-org chooses the organisation the session acts in; X-Org-Id still wins per request', async () => {
        const { owner, orgId } = await newOwner();
        await ok('POST', '/api/v1/orgs', owner, { name: 'Other' });
        const other = (await ok('GET', '/api/v1/me', owner)).memberships[1].orgId as string;
        assert.equal((await ok('GET', '/api/v1/orgs/current', owner)).id, orgId);
        const me = await ok('PUT', '/api/v1/me/current-org', owner, { orgId: other });
        assert.equal(me.currentOrgId, other);
        assert.equal((await ok('GET', '/api/v1/orgs/current', owner)).id, other);
        assert.equal((await ok('GET', '/api/v1/me', owner)).currentOrgId, other);
        assert.equal((await ok('GET', '/api/v1/orgs/current', owner, undefined, { 'x-org-id': orgId })).id, orgId);

        assertError(await call('PUT', '/api/v1/me/current-org', owner, { orgId: t.org.id }), 403, 'not_a_member');
        assert.equal((await ok('GET', '/api/v1/orgs/current', owner)).id, other, 'unchanged by the refused choice');
        const back = await ok('PUT', '/api/v1/me/current-org', owner, { orgId: null });
        assert.equal(back.currentOrgId, orgId);
        assert.equal((await ok('GET', '/api/v1/orgs/current', owner)).id, orgId);
      });
    });

    describe('renaming and deleting the organisation', () => {
      test('owners rename; admins cannot', async () => {
        const { owner, orgId } = await newOwner();
        const admin = await signedInUser(t, { role: 'admin', orgId });
        assertError(await call('PATCH', '/api/v1/orgs/current', admin, { name: 'Hijacked' }), 403, 'insufficient_scope');
        const r = await ok('PATCH', '/api/v1/orgs/current', owner, { name: 'New Name' });
        assert.equal(r.name, 'New Name');
        assert.equal((await ok('GET', '/api/v1/orgs/current', admin)).name, 'New Name');
        assertError(await call('PATCH', '/api/v1/orgs/current', owner, { name: ' ' }), 400, 'validation_failed');
      });

      test('owners delete it with everything in it; members then belong to no organisation', async () => {
        const { owner, orgId } = await newOwner();
        const member = await signedInUser(t, { role: 'member', orgId });
        const key = await t.newKey(['read'], orgId);
        assertError(await call('DELETE', '/api/v1/orgs/current', member), 403, 'insufficient_scope');
        assert.equal((await call('DELETE', '/api/v1/orgs/current', owner)).statusCode, 204);
        assert.equal((await t.sql.query('SELECT 1 FROM organizations WHERE id = $1', [orgId])).rowCount, 0);
        assert.equal((await t.sql.query('SELECT 1 FROM memberships WHERE org_id = $1', [orgId])).rowCount, 0);
        assertError(await call('GET', '/api/v1/orgs/current', member), 403, 'no_organization');
        assertError(await call('GET', '/api/v1/orgs/current', bearer(key.secret)), 401, 'invalid_api_key');
        const me = await ok('GET', '/api/v1/me', owner);
        assert.deepEqual([me.memberships, me.defaultOrgId], [[], null]);
      });

      test('the platform organisation cannot be deleted', async () => {
        const owner = await signedInUser(platform, { role: 'owner' });
        assertError(await platform.app.inject({ method: 'DELETE', url: '/api/v1/orgs/current', headers: owner.write }), 403, 'forbidden');
        assertError(await platform.app.inject({ method: 'DELETE', url: '/api/v1/orgs/current', headers: bearer(platform.adminKey) }), 403, 'forbidden');
        assert.equal((await t.sql.query('SELECT 1 FROM organizations WHERE id = $1', [platform.org.id])).rowCount, 1);
      });
    });

    describe('members', () => {
      test('GET lists members with roles; viewers may read it', async () => {
        const { owner, orgId } = await newOwner();
        const viewer = await signedInUser(t, { role: 'viewer', orgId, name: 'Vee' });
        const { members } = await ok('GET', '/api/v1/members', viewer);
        assert.deepEqual(
          members.map((m: { userId: string; role: string; name: string; email: string }) => [m.userId, m.role, m.name, m.email]),
          [
            [owner.user.id, 'owner', owner.user.name, owner.user.email],
            [viewer.user.id, 'viewer', 'Vee', viewer.user.email],
          ],
        );
        assert.ok(members.every((m: { joinedAt: string }) => !Number.isNaN(Date.parse(m.joinedAt))));
      });

      test('a role change takes effect on the member\'s next request', async () => {
        const { owner, orgId } = await newOwner();
        const m = await signedInUser(t, { role: 'member', orgId });
        assertError(await call('GET', '/api/v1/keys', m), 403, 'insufficient_scope');
        const changed = await ok('PATCH', `/api/v1/members/${m.user.id}`, owner, { role: 'admin' });
        assert.equal(changed.role, 'admin');
        assert.equal((await call('GET', '/api/v1/keys', m)).statusCode, 200);
        await ok('PATCH', `/api/v1/members/${m.user.id}`, owner, { role: 'viewer' });
        assertError(await call('GET', '/api/v1/keys', m), 403, 'insufficient_scope');
        assertError(await call('POST', '/api/v1/ingest', m, { metrics: [] }), 403, 'insufficient_scope');
        assert.equal((await ok('GET', '/api/v1/me', m)).memberships[0].role, 'viewer');
      });

      test('owner rules: admins manage non-owners only; only owners grant or take away owner; the last owner stays', async () => {
        const { owner, orgId } = await newOwner();
        const admin = await signedInUser(t, { role: 'admin', orgId });
        const member = await signedInUser(t, { role: 'member', orgId });

        // Admins change non-owners, themselves included, but neither make nor unmake owners.
        assert.equal((await ok('PATCH', `/api/v1/members/${member.user.id}`, admin, { role: 'viewer' })).role, 'viewer');
        let err = assertError(await call('PATCH', `/api/v1/members/${member.user.id}`, admin, { role: 'owner' }), 403, 'insufficient_scope');
        assert.deepEqual(err.details, { required: 'owner', role: 'admin' });
        assertError(await call('PATCH', `/api/v1/members/${admin.user.id}`, admin, { role: 'owner' }), 403, 'insufficient_scope');
        err = assertError(await call('PATCH', `/api/v1/members/${owner.user.id}`, admin, { role: 'member' }), 403, 'insufficient_scope');
        assert.match(err.message, /owner/);
        assertError(await call('DELETE', `/api/v1/members/${owner.user.id}`, admin), 403, 'insufficient_scope');
        // Members and viewers manage no one.
        assertError(await call('PATCH', `/api/v1/members/${admin.user.id}`, member, { role: 'viewer' }), 403, 'insufficient_scope');
        assertError(await call('DELETE', `/api/v1/members/${admin.user.id}`, member), 403, 'insufficient_scope');

        // The last owner can be neither demoted nor removed, nor leave.
        err = assertError(await call('PATCH', `/api/v1/members/${owner.user.id}`, owner, { role: 'admin' }), 409, 'last_owner');
        assert.match(err.message, /last owner/);
        assertError(await call('DELETE', `/api/v1/members/${owner.user.id}`, owner), 409, 'last_owner');
        assertError(await call('DELETE', `/api/v1/members/${owner.user.id}`, bearer((await t.newKey(['*'], orgId)).secret)), 409, 'last_owner');

        // With a second owner, the first may step down.
        assert.equal((await ok('PATCH', `/api/v1/members/${admin.user.id}`, owner, { role: 'owner' })).role, 'owner');
        assert.equal((await ok('PATCH', `/api/v1/members/${owner.user.id}`, owner, { role: 'admin' })).role, 'admin');
        assertError(await call('PATCH', `/api/v1/members/${admin.user.id}`, owner, { role: 'admin' }), 403, 'insufficient_scope');
        const roles = (await ok('GET', '/api/v1/members', owner)).members.map((m: { userId: string; role: string }) => [m.userId, m.role]);
        assert.deepEqual(roles, [
          [owner.user.id, 'admin'],
          [admin.user.id, 'owner'],
          [member.user.id, 'viewer'],
        ]);

        // Unknown members and bad roles.
        assertError(await call('PATCH', '/api/v1/members/00000000-0000-4000-8000-000000000000', admin, { role: 'viewer' }), 404, 'not_found');
        assertError(await call('PATCH', `/api/v1/members/${member.user.id}`, admin, { role: 'god' }), 400, 'validation_failed');
        assertError(await call('DELETE', '/api/v1/members/not-a-uuid', admin), 400, 'validation_failed');
        // Someone in another organisation is not a member here.
        const stranger = await signedInUser(t, { role: 'member' });
        assertError(await call('PATCH', `/api/v1/members/${stranger.user.id}`, admin, { role: 'viewer' }), 404, 'not_found');
      });

      test('leaving and removing: anyone leaves; admins remove; the removed act nowhere in it', async () => {
        const { owner, orgId } = await newOwner();
        const viewer = await signedInUser(t, { role: 'viewer', orgId });
        const member = await signedInUser(t, { role: 'member', orgId });
        await ok('PUT', '/api/v1/me/current-org', viewer, { orgId });

        assert.equal((await call('DELETE', `/api/v1/members/${viewer.user.id}`, viewer)).statusCode, 204);
        assertError(await call('GET', '/api/v1/orgs/current', viewer), 403, 'no_organization');
        assertError(await call('GET', '/api/v1/orgs/current', viewer, undefined, { 'x-org-id': orgId }), 403, 'not_a_member');
        assert.deepEqual((await ok('GET', '/api/v1/me', viewer)).memberships, []);

        assert.equal((await call('DELETE', `/api/v1/members/${member.user.id}`, owner)).statusCode, 204);
        assertError(await call('GET', '/api/v1/members', member), 403, 'no_organization');
        assertError(await call('DELETE', `/api/v1/members/${member.user.id}`, owner), 404, 'not_found');
        assert.deepEqual((await ok('GET', '/api/v1/members', owner)).members.map((m: { userId: string }) => m.userId), [owner.user.id]);
      });

      test('two owners demoting each other at once: one succeeds, the other gets last_owner', async () => {
        const { owner: a, orgId } = await newOwner();
        const b = await signedInUser(t, { role: 'owner', orgId });
        for (let round = 0; round < 3; round++) {
          const [ra, rb] = await Promise.all([call('PATCH', `/api/v1/members/${b.user.id}`, a, { role: 'member' }), call('PATCH', `/api/v1/members/${a.user.id}`, b, { role: 'member' })]);
          const codes = [ra.statusCode, rb.statusCode].sort();
          // Either both see each other as owner (one wins, the loser is no longer an owner: 403 or 409), never both succeed.
          assert.equal(codes[0], 200, `${ra.body} ${rb.body}`);
          assert.ok(codes[1] === 409 || codes[1] === 403, `${ra.body} ${rb.body}`);
          const owners = await t.sql.query(`SELECT user_id FROM memberships WHERE org_id = $1 AND role = 'owner'`, [orgId]);
          assert.equal(owners.rowCount, 1);
          await t.sql.query(`UPDATE memberships SET role = 'owner' WHERE org_id = $1`, [orgId]);
        }
        // Two owners leaving at once: one stays.
        const [la, lb] = await Promise.all([call('DELETE', `/api/v1/members/${a.user.id}`, a), call('DELETE', `/api/v1/members/${b.user.id}`, b)]);
        assert.deepEqual([la.statusCode, lb.statusCode].sort(), [204, 409]);
        assert.equal((await t.sql.query(`SELECT 1 FROM memberships WHERE org_id = $1 AND role = 'owner'`, [orgId])).rowCount, 1);
      });
    });

    describe('API keys made by people', () => {
      test('record their creator and never exceed the creator\'s role', async () => {
        const { owner, orgId } = await newOwner();
        const admin = await signedInUser(t, { role: 'admin', orgId });
        const r = await ok('POST', '/api/v1/keys', admin, { name: 'bot', scopes: ['read', 'write', 'admin'] });
        assert.equal(r.createdBy, admin.user.id);
        assert.equal((await ok('GET', `/api/v1/keys/${r.id}`, admin)).createdBy, admin.user.id);
        for (const scopes of [['*'], ['owner'], ['read', 'owner']]) {
          const err = assertError(await call('POST', '/api/v1/keys', admin, { name: 'too strong', scopes }), 403, 'insufficient_scope');
          assert.deepEqual((err.details as { required: string[] }).required, scopes.filter((s) => s !== 'read'));
          assert.equal((err.details as { role: string }).role, 'admin');
        }
        const strong = await ok('POST', '/api/v1/keys', owner, { name: 'all', scopes: ['*'] });
        assert.equal(strong.createdBy, owner.user.id);
        // A key made by a key records no person, and keeps today's rule (only scopes it holds).
        const byKey = await ok('POST', '/api/v1/keys', bearer(strong.key), { name: 'child', scopes: ['read'] });
        assert.equal(byKey.createdBy, null);
        const adminKey = await ok('POST', '/api/v1/keys', admin, { name: 'admin-only', scopes: ['admin'] });
        assertError(await call('POST', '/api/v1/keys', bearer(adminKey.key), { name: 'x', scopes: ['read'] }), 403, 'insufficient_scope');
        const names = (await ok('GET', '/api/v1/keys', owner)).keys.map((k: { name: string; createdBy: string | null }) => [k.name, k.createdBy]);
        assert.deepEqual(names, [
          ['bot', admin.user.id],
          ['all', owner.user.id],
          ['child', null],
          ['admin-only', admin.user.id],
        ]);
      });
    });

    describe('alert rules record who changed them', () => {
      test('created by a person, changed by a key, deleted by a person', async () => {
        const { owner, orgId } = await newOwner();
        const key = await t.newKey(['admin', 'read'], orgId);
        const body = { name: 'cpu', key: 'cpu.usage', condition: { kind: 'threshold', operator: 'gt', value: 1 } };
        const created = await ok('POST', '/api/v1/alert-rules', owner, body);
        assert.deepEqual(created.createdBy, { kind: 'user', id: owner.user.id });
        assert.deepEqual(created.updatedBy, { kind: 'user', id: owner.user.id });
        const changed = await ok('PATCH', `/api/v1/alert-rules/${created.id}`, bearer(key.secret), { severity: 'critical' });
        assert.deepEqual(changed.createdBy, { kind: 'user', id: owner.user.id });
        assert.deepEqual(changed.updatedBy, { kind: 'key', id: key.id });
        assert.deepEqual((await ok('GET', `/api/v1/alert-rules/${created.id}`, owner)).updatedBy, { kind: 'key', id: key.id });
        const before = t.logs.lines.length;
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${created.id}`, owner)).statusCode, 204);
        const logged = t.logs.lines.slice(before).find((l) => l.msg === 'alert rule deleted');
        assert.deepEqual(logged?.actor, { kind: 'user', id: owner.user.id });
      });
    });
  });
}
