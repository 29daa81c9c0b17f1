// Authorisation over every route of the built app, table-driven: each route (as the app registered it,
// so a new route is covered without being listed here) × each role (a session) and each key scope.
// A caller is refused with 403 insufficient_scope exactly when its role or key lacks the route's
// declared scope, and never refused for authorisation otherwise (any other reply — 400, 404, 201 — is
// the route's business). Explicit must-hold facts keep the matrix from passing vacuously: a route
// that declared a weaker scope than the issue asks for fails there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTable, type RouteEntry } from '../src/api/plugins/auth.js';
import { roles, scopesOfRole, type Role } from '../src/auth/roles.js';
import { hasScope, type Scope } from '../src/auth/scopes.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { signedInUser } from './helpers/people.js';
import { storeKinds } from './helpers/stores.js';

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;
type OrgScope = 'read' | 'write' | 'admin' | 'owner';
const orgScopes: readonly OrgScope[] = ['read', 'write', 'admin', 'owner'];
const keyScopeSets: readonly Scope[][] = [['read'], ['write'], ['admin'], ['owner'], ['*']];

/** Every code that means "refused by authentication or authorisation" (anything else is the route's own reply). */
const authCodes = new Set(['missing_api_key', 'invalid_api_key', 'expired_api_key', 'revoked_api_key', 'insufficient_scope', 'not_signed_in', 'session_expired', 'csrf_failed', 'email_unverified', 'not_a_member', 'no_organization', 'user_required']);

const errorCode = (r: Injected): string | undefined => {
  try {
    return (r.json() as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

/** The routes to check: one row per method and path (HEAD mirrors GET). */
function routesOf(t: TestApp): RouteEntry[] {
  const seen = new Set<string>();
  const out: RouteEntry[] = [];
  for (const r of routeTable(t.app)) {
    const id = `${r.method} ${r.url}`;
    if (r.method === 'HEAD' || seen.has(id)) continue;
    seen.add(id);
    out.push(r);
  }
  return out;
}

/** The URL with every path parameter a fresh random UUID (and a wildcard a plain segment). */
const filled = (url: string) => url.replace(/:[A-Za-z0-9_]+/g, () => randomUUID()).replace(/\*/g, 'x');

/** A caller: fresh credentials in an organisation of its own, renewed after any request that may have changed state. */
interface Caller {
  label: string;
  headers(): Promise<Record<string, string>>;
  /** The last request succeeded and was not a read: it may have ended the session or deleted the organisation. */
  spent(): void;
}

function caller(label: string, make: () => Promise<Record<string, string>>): Caller {
  let current: Promise<Record<string, string>> | undefined;
  return {
    label,
    headers: () => (current ??= make()),
    spent: () => (current = undefined),
  };
}

/** Sends `route` as `c` (or with no credential) with random ids and an empty body; renews `c` if it may have changed something. */
async function send(t: TestApp, route: RouteEntry, c: Caller | null): Promise<Injected> {
  const headers = c ? await c.headers() : {};
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
  const r = await t.app.inject({ method: route.method as 'GET', url: filled(route.url), headers, ...(hasBody && { payload: {} }) });
  if (c && route.method !== 'GET' && r.statusCode < 300) c.spent();
  return r;
}

interface Mismatch {
  route: string;
  caller: string;
  expected: string;
  got: string;
}

for (const kind of storeKinds) {
  describe(`roles and scopes over every route (${kind.name})`, () => {
    let t: TestApp;
    let routes: RouteEntry[];
    const byScope = (s: string) => routes.filter((r) => r.scope === s);

    before(async () => {
      t = await startTestApp({ kind, config: { passwordScryptLogN: 10 } });
      routes = routesOf(t);
    });
    after(async () => t.close());

    /** A verified user with `role` in an organisation of their own. */
    const roleCaller = (role: Role) =>
      caller(`session of ${role}`, async () => {
        const { org } = await t.newOrg(`Role ${role}`);
        return (await signedInUser(t, { role, orgId: org.id })).write;
      });
    const keyCaller = (scopes: Scope[]) =>
      caller(`key [${scopes.join(',')}]`, async () => {
        const { org } = await t.newOrg(`Key ${scopes.join(' ')}`);
        return bearer((await t.newKey(scopes, org.id)).secret);
      });

    /** Checks `expectRefused(route)` for `c` over `rows`; returns the mismatches and counts. */
    async function matrix(rows: RouteEntry[], c: Caller, expect: (r: RouteEntry) => { refusedWith: string | null }) {
      const mismatches: Mismatch[] = [];
      let refused = 0;
      let passed = 0;
      for (const route of rows) {
        const r = await send(t, route, c);
        const code = errorCode(r);
        const { refusedWith } = expect(route);
        const got = `${r.statusCode} ${code ?? ''}`.trim();
        if (r.statusCode >= 500) mismatches.push({ route: `${route.method} ${route.url}`, caller: c.label, expected: refusedWith ?? 'not refused', got: `${got}: ${r.body.slice(0, 200)}` });
        else if (refusedWith) {
          if (r.statusCode !== 403 || code !== refusedWith) mismatches.push({ route: `${route.method} ${route.url}`, caller: c.label, expected: `403 ${refusedWith}`, got });
          else refused++;
        } else if (code !== undefined && authCodes.has(code)) mismatches.push({ route: `${route.method} ${route.url}`, caller: c.label, expected: 'not refused', got });
        else passed++;
      }
      return { mismatches, refused, passed };
    }

    const report = (m: Mismatch[]) => m.map((x) => `${x.route} as ${x.caller}: expected ${x.expected}, got ${x.got}`).join('\n');

    test('the route table covers the app: every /api route declares a scope, and the matrix has rows of every org scope', () => {
      assert.ok(routes.length >= 50, `only ${routes.length} routes found`);
      for (const r of routes) if (r.url.startsWith('/api/')) assert.ok(r.scope, `${r.method} ${r.url} declares no scope`);
      for (const s of ['read', 'write', 'admin'] as const) assert.ok(byScope(s).length > 0, `no route requires ${s}`);
      assert.ok(byScope('public').length > 0, 'no public route');
    });

    test('every /api operation of the OpenAPI document is in the route table (nothing registered around the hook)', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(doc.paths)
        .filter(([p]) => p.startsWith('/api/'))
        .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{([^}]+)\}/g, ':$1')}`));
      const table = new Set(routes.map((r) => `${r.method} ${r.url}`));
      assert.ok(documented.length >= 50);
      assert.deepEqual(documented.filter((d) => !table.has(d)), []);
    });

    test('organisation routes without a credential: 401 missing_api_key', async () => {
      const bad: string[] = [];
      for (const route of routes.filter((r) => orgScopes.includes(r.scope as OrgScope))) {
        const r = await send(t, route, null);
        if (r.statusCode !== 401 || errorCode(r) !== 'missing_api_key') bad.push(`${route.method} ${route.url}: ${r.statusCode} ${errorCode(r)}`);
      }
      assert.deepEqual(bad, []);
    });

    for (const role of roles) {
      test(`every organisation route × session of a ${role}: refused exactly when ${role} lacks the route's scope`, async () => {
        const granted = scopesOfRole(role);
        const rows = routes.filter((r) => orgScopes.includes(r.scope as OrgScope));
        const { mismatches, refused, passed } = await matrix(rows, roleCaller(role), (r) => ({ refusedWith: granted.includes(r.scope as Scope) ? null : 'insufficient_scope' }));
        assert.equal(mismatches.length, 0, report(mismatches));
        const expectedRefused = rows.filter((r) => !granted.includes(r.scope as Scope)).length;
        assert.equal(refused, expectedRefused);
        assert.equal(passed, rows.length - expectedRefused);
        if (role === 'viewer') assert.ok(refused > 0 && passed > 0, 'a viewer is both refused and let through somewhere');
        if (role === 'owner') assert.equal(refused, 0, 'an owner is refused nowhere');
      });
    }

    test('the refusal names the required scope and the role', async () => {
      const route = byScope('admin')[0]!;
      const r = await send(t, route, roleCaller('viewer'));
      assert.equal(r.statusCode, 403, r.body);
      const err = (r.json() as { error: { code: string; message: string; details: { required: string; role: string; granted: string[] } } }).error;
      assert.equal(err.code, 'insufficient_scope');
      assert.deepEqual(err.details, { required: 'admin', role: 'viewer', granted: ['read'] });
      assert.match(err.message, /"admin".*viewer/);
    });

    for (const scopes of keyScopeSets) {
      test(`every organisation route × key [${scopes.join(',')}]: refused exactly when the key lacks the route's scope`, async () => {
        const rows = routes.filter((r) => orgScopes.includes(r.scope as OrgScope));
        const { mismatches } = await matrix(rows, keyCaller(scopes), (r) => ({ refusedWith: hasScope(scopes, r.scope as Exclude<Scope, '*'>) ? null : 'insufficient_scope' }));
        assert.equal(mismatches.length, 0, report(mismatches));
      });
    }

    describe('user routes (a signed-in person, no organisation needed)', () => {
      test('without a credential: 401 not_signed_in', async () => {
        const rows = byScope('user');
        assert.ok(rows.length > 0, 'user routes are registered');
        const bad: string[] = [];
        for (const route of rows) {
          const r = await send(t, route, null);
          if (r.statusCode !== 401 || errorCode(r) !== 'not_signed_in') bad.push(`${route.method} ${route.url}: ${r.statusCode} ${errorCode(r)}`);
        }
        assert.deepEqual(bad, []);
      });

      test('sessions with no organisation, unverified, or of any role are never refused for authorisation', async () => {
        const rows = byScope('user');
        assert.ok(rows.length > 0, 'user routes are registered');
        const callers = [
          caller('session with no organisation', async () => (await signedInUser(t, { role: null })).write),
          caller('unverified session with no organisation', async () => (await signedInUser(t, { role: null, verified: false })).write),
          ...roles.map(roleCaller),
        ];
        const all: Mismatch[] = [];
        for (const c of callers) all.push(...(await matrix(rows, c, () => ({ refusedWith: null }))).mismatches);
        assert.equal(all.length, 0, report(all));
      });

      test('keys: 403 user_required, unless the route names a keyScope the key holds', async () => {
        const rows = byScope('user');
        assert.ok(rows.length > 0, 'user routes are registered');
        const all: Mismatch[] = [];
        for (const scopes of keyScopeSets) {
          const res = await matrix(rows, keyCaller(scopes), (r) => ({ refusedWith: !r.keyScope ? 'user_required' : hasScope(scopes, r.keyScope) ? null : 'insufficient_scope' }));
          all.push(...res.mismatches);
        }
        assert.equal(all.length, 0, report(all));
      });
    });

    test('public routes need no credential', async () => {
      const bad: string[] = [];
      for (const route of byScope('public')) {
        const r = await send(t, route, null);
        const code = errorCode(r);
        if (r.statusCode >= 500 || (code !== undefined && authCodes.has(code))) bad.push(`${route.method} ${route.url}: ${r.statusCode} ${code}`);
      }
      assert.deepEqual(bad, []);
    });

    describe('must-hold facts (the issue’s role definitions, independent of what routes declare)', () => {
      /** [role, method, url, allowed]. */
      const facts: { role: Role; method: string; url: string; allowed: boolean }[] = [
        { role: 'viewer', method: 'GET', url: '/api/v1/orgs/current', allowed: true },
        { role: 'viewer', method: 'GET', url: '/api/v1/alerts', allowed: true },
        { role: 'viewer', method: 'POST', url: '/api/v1/ingest', allowed: false },
        { role: 'viewer', method: 'POST', url: '/api/v1/alerts/:id/acknowledge', allowed: false },
        { role: 'member', method: 'POST', url: '/api/v1/ingest', allowed: true },
        { role: 'member', method: 'POST', url: '/api/v1/alerts/:id/acknowledge', allowed: true },
        { role: 'member', method: 'POST', url: '/api/v1/alerts/:id/resolve', allowed: true },
        { role: 'member', method: 'POST', url: '/api/v1/alert-rules', allowed: false },
        { role: 'member', method: 'POST', url: '/api/v1/channels', allowed: false },
        { role: 'member', method: 'POST', url: '/api/v1/silences', allowed: false },
        { role: 'member', method: 'POST', url: '/api/v1/keys', allowed: false },
        { role: 'member', method: 'POST', url: '/api/v1/invitations', allowed: false },
        { role: 'member', method: 'PATCH', url: '/api/v1/members/:userId', allowed: false },
        { role: 'admin', method: 'POST', url: '/api/v1/alert-rules', allowed: true },
        { role: 'admin', method: 'POST', url: '/api/v1/channels', allowed: true },
        { role: 'admin', method: 'POST', url: '/api/v1/keys', allowed: true },
        { role: 'admin', method: 'POST', url: '/api/v1/invitations', allowed: true },
        { role: 'admin', method: 'PATCH', url: '/api/v1/orgs/current', allowed: false },
        { role: 'admin', method: 'DELETE', url: '/api/v1/orgs/current', allowed: false },
        { role: 'owner', method: 'PATCH', url: '/api/v1/orgs/current', allowed: true },
        { role: 'owner', method: 'DELETE', url: '/api/v1/orgs/current', allowed: true },
      ];

      for (const f of facts) {
        test(`${f.role} ${f.allowed ? 'can' : 'cannot'} ${f.method} ${f.url}`, async () => {
          const exists = t.app.hasRoute({ method: f.method as 'GET', url: f.url });
          assert.ok(exists, `${f.method} ${f.url} must exist`);
          const route = routes.find((r) => r.method === f.method && r.url === f.url)!;
          const r = await send(t, route, roleCaller(f.role));
          const code = errorCode(r);
          if (f.allowed) assert.ok(r.statusCode < 500 && !(code && authCodes.has(code)), `expected to pass authorisation, got ${r.statusCode} ${r.body}`);
          else {
            assert.equal(r.statusCode, 403, r.body);
            assert.equal(code, 'insufficient_scope');
          }
        });
      }
    });
  });
}
