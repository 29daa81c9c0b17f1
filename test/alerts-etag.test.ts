// GET /api/v1/alerts answers with a weak ETag of the page it shows and 304 (no body) on a matching
// If-None-Match: what the dashboard's Alerts page polls with. On both stores, through the real app.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { signedInUser } from './helpers/people.js';
import { storeKinds } from './helpers/stores.js';

for (const kind of storeKinds) {
  describe(`alerts list ETag (${kind.name})`, () => {
    let t: TestApp;
    let other: { org: { id: string }; key: string };
    before(async () => {
      t = await startTestApp({ kind });
      other = await t.newOrg('Elsewhere');
    });
    after(async () => t.close());

    const list = (key: string, etag?: string, query = '') =>
      t.app.inject({ method: 'GET', url: `/api/v1/alerts${query}`, headers: { ...bearer(key), ...(etag ? { 'if-none-match': etag } : {}) } });

    /** A threshold rule on `key` that fires at once, evaluated after one point: one new firing alert. */
    async function fire(apiKey: string, key: string): Promise<string> {
      const rule = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: bearer(apiKey), payload: { name: `${key} present`, key, severity: 'critical', condition: { kind: 'threshold', operator: 'gt', value: 0, forSeconds: 0 } } });
      assert.equal(rule.statusCode, 201, rule.body);
      const ing = await t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: bearer(apiKey), payload: { metrics: [{ key, value: 5, timestamp: new Date().toISOString() }] } });
      assert.equal(ing.statusCode, 200, ing.body);
      const ev = await t.app.inject({ method: 'POST', url: `/api/v1/alert-rules/${rule.json().id as string}/evaluate`, headers: bearer(apiKey) });
      assert.ok(ev.statusCode < 300, ev.body);
      return rule.json().id as string;
    }

    test('same list → 304 without a body; a new alert or a transition → 200 with a new tag; other orgs change nothing', async () => {
      const first = await list(t.adminKey);
      assert.equal(first.statusCode, 200, first.body);
      const etag = String(first.headers.etag);
      assert.match(etag, /^W\/"[\w-]{32}"$/);
      assert.equal(first.headers['cache-control'], 'private, no-cache');
      assert.match(String(first.headers.vary), /X-Org-Id/);

      const again = await list(t.adminKey, etag);
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, '');
      assert.equal(again.headers.etag, etag);
      // A list of tags, and the strong spelling of the same tag, match too (weak comparison).
      assert.equal((await list(t.adminKey, `W/"nope", ${etag.slice(2)}`)).statusCode, 304);
      assert.equal((await list(t.adminKey, 'W/"nope"')).statusCode, 200);

      // Another organisation's alert leaves this organisation's tag as it was.
      await fire(other.key, 'elsewhere.cpu');
      assert.equal((await list(other.key)).json().items.length, 1);
      assert.equal((await list(t.adminKey, etag)).statusCode, 304);

      // A new alert here: 200, the alert, a new tag.
      await fire(t.adminKey, 'here.cpu');
      const fired = await list(t.adminKey, etag);
      assert.equal(fired.statusCode, 200);
      const items = fired.json().items as { id: string; state: string }[];
      assert.deepEqual(items.map((a) => a.state), ['firing']);
      const etag2 = String(fired.headers.etag);
      assert.notEqual(etag2, etag);
      assert.equal((await list(t.adminKey, etag2)).statusCode, 304);

      // A transition (acknowledged): 200 and another tag; the filter is part of what the tag covers.
      const ack = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${items[0]!.id}/acknowledge`, headers: bearer(t.adminKey), payload: { comment: 'on it' } });
      assert.equal(ack.statusCode, 200, ack.body);
      const acked = await list(t.adminKey, etag2);
      assert.equal(acked.statusCode, 200);
      assert.equal(acked.json().items[0].state, 'acknowledged');
      const etag3 = String(acked.headers.etag);
      assert.notEqual(etag3, etag2);
      const firingOnly = await list(t.adminKey, etag3, '?state=firing');
      assert.equal(firingOnly.statusCode, 200);
      assert.deepEqual(firingOnly.json().items, []);
      // An empty page of this organisation is not an empty page of the other one.
      const emptyHere = String(firingOnly.headers.etag);
      const otherResolved = await list(other.key, undefined, '?state=resolved');
      assert.deepEqual(otherResolved.json().items, []);
      assert.notEqual(String(otherResolved.headers.etag), emptyHere);
    });

    test('a session (the dashboard) gets the same tags, per organisation acted in', async () => {
      const person = await signedInUser(t, { role: 'viewer' });
      const byKey = await list(t.adminKey);
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/alerts', headers: { ...person.read, 'if-none-match': String(byKey.headers.etag) } });
      assert.equal(r.statusCode, 304);
      // A bad header is refused clearly, never a 500.
      const long = await t.app.inject({ method: 'GET', url: '/api/v1/alerts', headers: { ...person.read, 'if-none-match': `W/"${'x'.repeat(2000)}"` } });
      assert.equal(long.statusCode, 400, long.body);
      assert.equal(long.json().error.code, 'validation_failed');
    });
  });
}
