// Isolation between organisations and between people, through sessions: a person of organisation A
// can never act in B, read B's resources by id, see them in listings, touch B's members and
// invitations, or another person's sessions. Routes are taken from the app's route table, so new
// organisation routes are covered (and a new collection with ids must be given one of B's ids here).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { routeTable, type RouteEntry } from '../src/api/plugins/auth.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { signedInUser, type SignedIn } from './helpers/people.js';
import { storeKinds } from './helpers/stores.js';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const orgScopes = new Set(['read', 'write', 'admin', 'owner']);

/**
 * Collections whose by-id routes this file does not exercise, with the reason: their org comes from
 * req.auth exactly as for keys, and test/auth.test.ts' key isolation covers each of their routes.
 */
const coveredElsewhere = new Set(['forecasts', 'anomalies']);

const errorCode = (r: Injected): string | undefined => {
  try {
    return (r.json() as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

function assertError(r: Injected, status: number, code: string): void {
  assert.equal(r.statusCode, status, r.body);
  assert.equal(errorCode(r), code, r.body);
}

/** `/api/v1/<collection>/…` → collection (`auth/sessions` for the account's sessions). */
function collectionOf(url: string): string {
  const parts = url.split('/').slice(3);
  return parts[0] === 'auth' ? `auth/${parts[1]}` : parts[0]!;
}

for (const kind of storeKinds) {
  describe(`people isolation (${kind.name})`, () => {
    let t: TestApp;
    let routes: RouteEntry[];
    let b: { org: { id: string; name: string; slug: string }; key: string };
    /** Owner of A (the test app's org) and owner of B. */
    let alice: SignedIn;
    let bob: SignedIn;
    /** One of B's ids per collection. */
    const bIds = new Map<string, string>();
    /** Strings that would reveal B. */
    let bData: string[] = [];

    const as = (who: SignedIn, method: Method, url: string, payload?: object, extra: Record<string, string> = {}) =>
      t.app.inject({ method, url, headers: { ...(method === 'GET' ? who.read : who.write), ...extra }, ...(payload !== undefined && { payload }) });
    const bCall = async (method: Method, url: string, payload?: object) => {
      const r = await t.app.inject({ method, url, headers: bearer(b.key), ...(payload !== undefined && { payload }) });
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.statusCode === 204 ? undefined : r.json();
    };
    const assertNoB = (r: Injected, what: string, echoed?: string) => {
      const body = echoed ? r.body.split(echoed).join('') : r.body;
      for (const s of bData) assert.ok(!body.includes(s), `${what} reveals ${s}: ${r.body.slice(0, 500)}`);
    };

    before(async () => {
      t = await startTestApp({ kind, config: { passwordScryptLogN: 10 } });
      const seen = new Set<string>();
      routes = routeTable(t.app).filter((r) => r.method !== 'HEAD' && !seen.has(`${r.method} ${r.url}`) && seen.add(`${r.method} ${r.url}`));
      b = await t.newOrg('Beta People');
      alice = await signedInUser(t, { role: 'owner', email: `alice-${t.org.id.slice(0, 8)}@alpha.example.test`, name: 'Alice Alpha' });
      bob = await signedInUser(t, { role: 'owner', orgId: b.org.id, email: `bob-${b.org.id.slice(0, 8)}@beta.example.test`, name: 'Bob Beta' });

      // B's resources, made with B's key.
      const ts = Date.now() - 60_000;
      await bCall('POST', '/api/v1/ingest', { source: 'beta-source', metrics: [{ key: 'beta.people.metric', value: 987_654.321, timestamp: ts, dimensions: { host: 'beta-people-host' } }, { key: 'bad key beta', value: 1, timestamp: ts }] });
      const letter = (await bCall('GET', '/api/v1/dead-letters')).items[0];
      const channel = await bCall('POST', '/api/v1/channels', { name: 'beta-secret-channel', type: 'webhook', config: { url: 'https://beta-secret-host.example.com/hook' } });
      const rule = await bCall('POST', '/api/v1/alert-rules', { name: 'beta-secret-rule', key: 'beta.people.metric', channels: [channel.id], condition: { kind: 'threshold', operator: 'gt', value: 1 } });
      const pass = await bCall('POST', `/api/v1/alert-rules/${rule.id}/evaluate`);
      const alert = pass.transitions[0] as { alertId: string };
      const silence = await bCall('POST', '/api/v1/silences', { matchers: ['host="beta-other-host"'], endsAt: Date.now() + 3_600_000, comment: 'beta-secret-silence' });
      const delivery = (await bCall('GET', '/api/v1/deliveries')).items[0];
      const key = await bCall('POST', '/api/v1/keys', { name: 'beta-secret-key', scopes: ['read'] });
      const schedule = await bCall('POST', '/api/v1/forecast-schedules', { name: 'beta-secret-schedule', key: 'beta.people.metric', frequency: '1h', horizon: 1, schedule: 'hourly' });
      assert.ok(letter && alert && delivery, 'B has a dead letter, an alert and a delivery');
      bIds.set('dead-letters', letter.id);
      bIds.set('channels', channel.id);
      bIds.set('alert-rules', rule.id);
      bIds.set('alerts', alert.alertId);
      bIds.set('silences', silence.id);
      bIds.set('deliveries', delivery.id);
      bIds.set('keys', key.id);
      bIds.set('forecast-schedules', schedule.id);
      bIds.set('members', bob.user.id);
      const source = await bCall('POST', '/api/v1/sources', { name: 'beta-secret-source', kind: 'prometheus-scrape', settings: { targets: [{ url: 'http://beta-secret-target.example.test/metrics' }] } });
      bIds.set('sources', source.id);
      const detection = await bCall('POST', '/api/v1/detection-schedules', { name: 'beta-secret-detection', key: 'beta.people.metric' });
      bIds.set('detection-schedules', detection.id);
      bIds.set('auth/sessions', bob.sessionId);
      const inv = await as(bob, 'POST', '/api/v1/invitations', { email: 'carol-beta-invitee@beta.example.test', role: 'member' });
      assert.ok(inv.statusCode < 300, inv.body);
      const invitation = inv.json() as { id?: string; invitation?: { id: string } };
      bIds.set('invitations', invitation.id ?? invitation.invitation!.id);
      bData = [b.org.id, b.org.name, b.org.slug, b.key, key.key, bob.user.email, 'Bob Beta', bob.sessionId, 'beta-people-host', '987654.321', 'beta-secret', 'bad key beta', 'beta-source', 'carol-beta-invitee', ...bIds.values()];
    });
    after(async () => t.close());

    test('a person of A naming B in X-Org-Id: 403 not_a_member on every organisation route, and B is untouched', async () => {
      const bad: string[] = [];
      let n = 0;
      for (const r of routes.filter((x) => orgScopes.has(x.scope ?? ''))) {
        const url = r.url.replace(/:[A-Za-z0-9_]+/g, (p) => bIds.get(collectionOf(r.url)) ?? (p === ':userId' ? bob.user.id : '00000000-0000-4000-8000-000000000000'));
        const res = await as(alice, r.method as Method, url, ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined, { 'x-org-id': b.org.id });
        n++;
        if (res.statusCode !== 403 || errorCode(res) !== 'not_a_member') bad.push(`${r.method} ${r.url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        else assertNoB(res, `${r.method} ${url}`, b.org.id);
      }
      assert.deepEqual(bad, []);
      assert.ok(n >= 50, `only ${n} organisation routes`);
      // Everything of B is still there.
      assert.equal((await bCall('GET', `/api/v1/alert-rules/${bIds.get('alert-rules')}`)).name, 'beta-secret-rule');
      assert.equal((await bCall('GET', '/api/v1/orgs/current')).name, b.org.name);
    });

    test("B's resources by id through A's session: 404 for every by-id route (GET exactly 404; changes 404 or refused as invalid), nothing of B revealed", async () => {
      // The Prometheus API's one path parameter is a label name, not an id (its org isolation: test/prometheus-api.test.ts).
      const byId = routes.filter((r) => orgScopes.has(r.scope ?? '') && r.url.includes('/:') && !r.url.startsWith('/prometheus/'));
      const unmapped = [...new Set(byId.map((r) => collectionOf(r.url)))].filter((c) => !bIds.has(c) && !coveredElsewhere.has(c));
      assert.deepEqual(unmapped, [], 'a new collection with ids: create one of B\'s in before() and add it to bIds');
      const bad: string[] = [];
      for (const r of byId) {
        const id = bIds.get(collectionOf(r.url));
        if (!id) continue;
        const url = r.url.replace(/:[A-Za-z0-9_]+/, id);
        const res = await as(alice, r.method as Method, url, ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined);
        const code = errorCode(res);
        const ok = r.method === 'GET' ? res.statusCode === 404 && code === 'not_found' : (res.statusCode === 404 && code === 'not_found') || (res.statusCode === 400 && code === 'validation_failed');
        if (!ok) bad.push(`${r.method} ${url} (${r.url}): ${res.statusCode} ${res.body.slice(0, 200)}`);
        assertNoB(res, `${r.method} ${r.url}`, id);
      }
      assert.deepEqual(bad, []);
      // The changes did nothing to B.
      assert.equal((await bCall('GET', `/api/v1/channels/${bIds.get('channels')}`)).name, 'beta-secret-channel');
      assert.equal((await bCall('GET', `/api/v1/silences/${bIds.get('silences')}`)).comment, 'beta-secret-silence');
      assert.equal((await bCall('GET', `/api/v1/keys/${bIds.get('keys')}`)).revokedAt ?? null, null);
      assert.equal((await bCall('GET', `/api/v1/alerts/${bIds.get('alerts')}`)).state, 'firing');
      assert.equal((await bCall('GET', `/api/v1/forecast-schedules/${bIds.get('forecast-schedules')}`)).name, 'beta-secret-schedule');
      const detection = await bCall('GET', `/api/v1/detection-schedules/${bIds.get('detection-schedules')}`);
      assert.deepEqual([detection.name, detection.paused], ['beta-secret-detection', false]);
    });

    test("A's listings (every organisation GET without ids) show nothing of B", async () => {
      const lists = routes.filter((r) => r.method === 'GET' && orgScopes.has(r.scope ?? '') && !r.url.includes(':'));
      assert.ok(lists.length >= 10, `only ${lists.length} listings`);
      for (const r of lists) {
        const res = await as(alice, 'GET', r.url);
        assert.ok(res.statusCode < 500, `${r.url}: ${res.body}`);
        assert.ok(!['not_a_member', 'insufficient_scope'].includes(errorCode(res) ?? ''), `${r.url}: ${res.body}`);
        assertNoB(res, `GET ${r.url}`);
      }
    });

    test("retention through A's session: A's own settings only; B's stay as B set them", async () => {
      const defaults = { rawDays: 30, rollup5mDays: 400, rollup1hDays: 1825 };
      const bSettings = { rawDays: 12, rollup5mDays: 121, rollup1hDays: 1212 };
      await bCall('PUT', '/api/v1/retention', bSettings);
      const mine = await as(alice, 'GET', '/api/v1/retention');
      assert.deepEqual(mine.json(), { ...defaults, defaults, isDefault: true });
      assertNoB(mine, 'GET /api/v1/retention');
      const set = await as(alice, 'PUT', '/api/v1/retention', { rawDays: 3, rollup5mDays: 4, rollup1hDays: 5 });
      assert.equal(set.statusCode, 200, set.body);
      assert.deepEqual((await as(alice, 'GET', '/api/v1/metrics')).json().retention, { rawDays: 3, rollup5mDays: 4, rollup1hDays: 5 });
      assertError(await as(alice, 'PUT', '/api/v1/retention', defaults, { 'x-org-id': b.org.id }), 403, 'not_a_member');
      assertError(await as(alice, 'DELETE', '/api/v1/retention', undefined, { 'x-org-id': b.org.id }), 403, 'not_a_member');
      assert.equal((await as(alice, 'DELETE', '/api/v1/retention')).statusCode, 200);
      assert.deepEqual(await bCall('GET', '/api/v1/retention'), { ...bSettings, defaults, isDefault: false });
      assert.deepEqual((await as(bob, 'GET', '/api/v1/metrics')).json().retention, bSettings);
    });

    test("another user's sessions: not listed, and DELETE /api/v1/auth/sessions/:id of one is 404", async () => {
      const mine = await as(alice, 'GET', '/api/v1/auth/sessions');
      assert.equal(mine.statusCode, 200, mine.body);
      const ids = (mine.json() as { sessions: { id: string }[] }).sessions.map((s) => s.id);
      assert.deepEqual(ids, [alice.sessionId]);
      assertNoB(mine, 'GET /api/v1/auth/sessions');
      // Another person of the same organisation is no different.
      const colleague = await signedInUser(t, { role: 'admin' });
      for (const victim of [bob, colleague]) {
        const del = await as(alice, 'DELETE', `/api/v1/auth/sessions/${victim.sessionId}`);
        assertError(del, 404, 'not_found');
        assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/orgs/current', headers: victim.read })).statusCode, 200, "the victim's session still works");
      }
      assert.deepEqual((await as(bob, 'GET', '/api/v1/auth/sessions')).json().sessions.map((s: { id: string }) => s.id), [bob.sessionId]);
    });

    test("members of another organisation: not listed, not changeable, not removable", async () => {
      const list = await as(alice, 'GET', '/api/v1/members');
      assert.equal(list.statusCode, 200, list.body);
      assert.ok(list.body.includes(alice.user.email));
      assertNoB(list, 'GET /api/v1/members');
      assertError(await as(alice, 'PATCH', `/api/v1/members/${bob.user.id}`, { role: 'viewer' }), 404, 'not_found');
      assertError(await as(alice, 'DELETE', `/api/v1/members/${bob.user.id}`), 404, 'not_found');
      assertError(await as(alice, 'GET', '/api/v1/members', undefined, { 'x-org-id': b.org.id }), 403, 'not_a_member');
      // Bob is still B's owner.
      const bMembers = await as(bob, 'GET', '/api/v1/members');
      assert.ok(bMembers.body.includes(bob.user.email) && /"owner"/.test(bMembers.body), bMembers.body);
      assert.ok(!bMembers.body.includes(alice.user.email));
    });

    test("invitations of another organisation: not listed, not revocable, not resendable", async () => {
      const id = bIds.get('invitations')!;
      const list = await as(alice, 'GET', '/api/v1/invitations');
      assert.equal(list.statusCode, 200, list.body);
      assertNoB(list, 'GET /api/v1/invitations');
      assertError(await as(alice, 'DELETE', `/api/v1/invitations/${id}`), 404, 'not_found');
      assertError(await as(alice, 'POST', `/api/v1/invitations/${id}/resend`, {}), 404, 'not_found');
      const bList = await as(bob, 'GET', '/api/v1/invitations');
      assert.ok(bList.body.includes(id), 'B still has its pending invitation');
    });
  });
}
