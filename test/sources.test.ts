// Sources API: configuration, validation, scrape targets kept in step, key binding, deletion,
// isolation between organisations, and the dead-letter queue's source — on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, countRows, daysAgo, minute, postIngest, storedPoints, type Injected } from './helpers/ingest.js';
import { signedInUser } from './helpers/people.js';
import { storeKinds } from './helpers/stores.js';

interface SourceReply {
  id: string;
  name: string;
  kind: string;
  enabled: boolean;
  description: string;
  defaultDimensions: Record<string, string>;
  mapping: Record<string, unknown>[];
  settings: Record<string, unknown>;
  stats: { pointsAccepted: number; pointsRejected: number; lastReceivedAt: string | null; lastError: string | null; lastErrorAt: string | null };
  createdAt: string;
  updatedAt: string;
  createdBy: { kind: string; id: string | null } | null;
  updatedBy: { kind: string; id: string | null } | null;
}
interface TargetReply {
  url: string;
  up: boolean | null;
  lastScrapeAt: string | null;
  lastDurationMs: number | null;
  samplesScraped: number | null;
  lastError: string | null;
  nextScrapeAt: string;
}
interface Letter {
  id: string;
  source: string;
  sourceId: string | null;
  item: unknown;
  error: { code: string };
  receivedAt: string;
}

const unknownId = '00000000-0000-4000-8000-000000000000';
const base = daysAgo(2);

for (const kind of storeKinds) {
  describe(`sources API (${kind.name})`, () => {
    let t: TestApp;
    /** The app's clock: the wall clock, or a fixed instant while a test sets one. */
    let fixedNow: number | null = null;
    const clock = () => new Date(fixedNow ?? Date.now());

    before(async () => {
      t = await startTestApp({ kind, now: clock });
    });
    after(async () => t.close());

    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, key: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Injected> =>
      t.app.inject({ method, url, headers: { ...bearer(key), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
    const create = (key: string, body: unknown) => call('POST', '/api/v1/sources', key, body);
    const createOk = async (key: string, body: unknown): Promise<SourceReply> => {
      const r = await create(key, body);
      assert.equal(r.statusCode, 201, r.body);
      return r.json() as SourceReply;
    };
    const getOk = async (key: string, id: string): Promise<SourceReply> => {
      const r = await call('GET', `/api/v1/sources/${id}`, key);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as SourceReply;
    };
    const patchOk = async (key: string, id: string, body: unknown): Promise<SourceReply> => {
      const r = await call('PATCH', `/api/v1/sources/${id}`, key, body);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as SourceReply;
    };
    const targetsOk = async (key: string, id: string): Promise<TargetReply[]> => {
      const r = await call('GET', `/api/v1/sources/${id}/targets`, key);
      assert.equal(r.statusCode, 200, r.body);
      return (r.json() as { targets: TargetReply[] }).targets;
    };
    const org = async (name: string) => {
      const o = await t.newOrg(name);
      return { orgId: o.org.id, key: o.key };
    };
    const sourceCount = async (orgId: string) => (await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM sources WHERE org_id = $1', [orgId])).rows[0]!.n;
    const targetRows = async (sourceId: string) =>
      (await t.sql.query<{ url: string; next_scrape_at: Date; up: boolean | null }>('SELECT url, next_scrape_at, up FROM scrape_targets WHERE source_id = $1 ORDER BY url', [sourceId])).rows;
    const createKey = async (key: string, body: Record<string, unknown>) => call('POST', '/api/v1/keys', key, { name: 'bound', scopes: ['write', 'read'], ...body });

    describe('configuration', () => {
      test('create fills defaults, records the actor; get, list, patch (merge) and delete', async () => {
        const { orgId } = await org('crud');
        const admin = await t.newKey(['admin', 'read'], orgId);
        const s = await createOk(admin.secret, { name: 'edge-agents', kind: 'webhook' });
        assert.deepEqual(
          { ...s, id: undefined, createdAt: undefined, updatedAt: undefined },
          {
            id: undefined,
            name: 'edge-agents',
            kind: 'webhook',
            enabled: true,
            description: '',
            defaultDimensions: {},
            mapping: [],
            settings: {},
            stats: { pointsAccepted: 0, pointsRejected: 0, lastReceivedAt: null, lastError: null, lastErrorAt: null },
            createdAt: undefined,
            updatedAt: undefined,
            createdBy: { kind: 'key', id: admin.id },
            updatedBy: { kind: 'key', id: admin.id },
          },
        );
        assert.equal(s.createdAt, s.updatedAt);
        assert.deepEqual(await getOk(admin.secret, s.id), s);

        const second = await createOk(admin.secret, { name: 'a-first', kind: 'otlp', description: 'collectors', defaultDimensions: { env: 'prod', team: 'core' } });
        const list = (await call('GET', '/api/v1/sources', admin.secret)).json() as { items: SourceReply[] };
        assert.deepEqual(
          list.items.map((x) => x.name),
          ['a-first', 'edge-agents'],
          'by name',
        );

        // A signed-in admin changes it: the person is recorded as the last to change it.
        const person = await signedInUser(t, { role: 'admin', orgId });
        const r = await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/sources/${second.id}`,
          headers: { ...person.write, 'x-org-id': orgId },
          payload: { defaultDimensions: { team: null, region: 'eu' }, description: 'OTel collectors', enabled: false },
        });
        assert.equal(r.statusCode, 200, r.body);
        const changed = r.json() as SourceReply;
        assert.deepEqual(changed.defaultDimensions, { env: 'prod', region: 'eu' }, 'merge patch: null removes, others set, the rest kept');
        assert.equal(changed.description, 'OTel collectors');
        assert.equal(changed.enabled, false);
        assert.equal(changed.kind, 'otlp');
        assert.deepEqual(changed.createdBy, { kind: 'key', id: admin.id });
        assert.deepEqual(changed.updatedBy, { kind: 'user', id: person.user.id });
        assert.ok(changed.updatedAt > second.updatedAt);

        const del = await call('DELETE', `/api/v1/sources/${second.id}`, admin.secret);
        assert.equal(del.statusCode, 204, del.body);
        assertError(await call('GET', `/api/v1/sources/${second.id}`, admin.secret), 404, 'not_found');
        assertError(await call('DELETE', `/api/v1/sources/${second.id}`, admin.secret), 404, 'not_found');
        assertError(await call('PATCH', `/api/v1/sources/${second.id}`, admin.secret, { enabled: true }), 404, 'not_found');
        assert.equal(await sourceCount(orgId), 1);
      });

      test('scopes: read lists and reads; only admin creates, changes and deletes', async () => {
        const { orgId, key } = await org('scopes');
        const s = await createOk(key, { name: 'w', kind: 'webhook' });
        const reader = await t.newKey(['read'], orgId);
        const writer = await t.newKey(['write'], orgId);
        assert.equal((await call('GET', '/api/v1/sources', reader.secret)).statusCode, 200);
        assert.equal((await call('GET', `/api/v1/sources/${s.id}`, reader.secret)).statusCode, 200);
        assert.equal((await call('GET', `/api/v1/sources/${s.id}/targets`, reader.secret)).statusCode, 200);
        for (const k of [reader.secret, writer.secret]) {
          assertError(await create(k, { name: 'x', kind: 'webhook' }), 403, 'insufficient_scope');
          assertError(await call('PATCH', `/api/v1/sources/${s.id}`, k, { enabled: false }), 403, 'insufficient_scope');
          assertError(await call('DELETE', `/api/v1/sources/${s.id}`, k), 403, 'insufficient_scope');
        }
        assertError(await call('GET', '/api/v1/sources', writer.secret), 403, 'insufficient_scope');
        assert.equal((await getOk(key, s.id)).enabled, true);
      });

      test('names: pattern and uniqueness (409 on create and on rename)', async () => {
        const { orgId, key } = await org('names');
        await createOk(key, { name: 'taken', kind: 'webhook' });
        const other = await createOk(key, { name: 'other', kind: 'influx' });
        for (const name of ['', 'has space', 'x'.repeat(65), 'é']) {
          const e = assertError(await create(key, { name, kind: 'webhook' }), 400, 'validation_failed');
          assert.match(JSON.stringify(e.details), /body\.name|name/);
        }
        assertError(await create(key, { name: 'taken', kind: 'otlp' }), 409, 'conflict');
        assertError(await call('PATCH', `/api/v1/sources/${other.id}`, key, { name: 'taken' }), 409, 'conflict');
        assert.equal((await getOk(key, other.id)).name, 'other');
        // Another organisation may use the same name.
        const b = await org('names-b');
        await createOk(b.key, { name: 'taken', kind: 'webhook' });
        assert.equal(await sourceCount(orgId), 2);
      });

      test('the kind is one of five and cannot change', async () => {
        const { key } = await org('kinds');
        for (const k of ['webhook', 'prometheus-remote-write', 'otlp', 'influx']) assert.equal((await createOk(key, { name: `k-${k}`, kind: k })).kind, k);
        assertError(await create(key, { name: 'x', kind: 'statsd' }), 400, 'validation_failed');
        assertError(await create(key, { name: 'x' }), 400, 'validation_failed');
        const s = await createOk(key, { name: 'fixed', kind: 'influx' });
        const e = assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, { kind: 'otlp', description: 'x' }), 400, 'validation_failed');
        assert.deepEqual(e.details, [{ field: 'body.kind', message: 'is influx and cannot change' }]);
        assert.equal((await getOk(key, s.id)).description, '', 'nothing else changed either');
        assert.equal((await patchOk(key, s.id, { kind: 'influx', description: 'same kind is fine' })).description, 'same kind is fine');
        assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, {}), 400, 'validation_failed');
        assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, { orgId: unknownId }), 400, 'validation_failed');
      });

      test('default dimensions follow the point rules; bad ones are refused with their path and nothing is stored', async () => {
        const { orgId, key } = await org('defaults');
        const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`d${i}`, 'v']));
        const bad: [unknown, string][] = [
          [{ '9x': 'a' }, 'body.defaultDimensions'],
          [{ 'a b': 'a' }, 'body.defaultDimensions'],
          [{ a: 1 }, 'body.defaultDimensions.a'],
          [{ a: 'x'.repeat(257) }, 'body.defaultDimensions.a'],
          [{ a: 'nul\u0000' }, 'body.defaultDimensions.a'],
          [many, 'body.defaultDimensions'],
        ];
        for (const [defaultDimensions, field] of bad) {
          const e = assertError(await create(key, { name: 'd', kind: 'webhook', defaultDimensions }), 400, 'validation_failed');
          assert.ok(JSON.stringify(e.details).includes(field), `${JSON.stringify(defaultDimensions).slice(0, 60)}: ${JSON.stringify(e.details)}`);
        }
        // Text PostgreSQL cannot store (NUL) is refused like any invalid field, not a 500.
        assertError(await create(key, { name: 'd', kind: 'webhook', description: 'a\u0000b' }), 400, 'validation_failed');
        assertError(await create(key, { name: 'd', kind: 'webhook', description: 'x'.repeat(1001) }), 400, 'validation_failed');
        const ok = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`d${i}`, 'v'.repeat(256)]));
        const s = await createOk(key, { name: 'd', kind: 'webhook', defaultDimensions: ok });
        assert.equal(Object.keys(s.defaultDimensions).length, 32);
        // A patch that would make 33 is refused as a whole.
        assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, { defaultDimensions: { extra: 'v' } }), 400, 'validation_failed');
        assert.equal(Object.keys((await getOk(key, s.id)).defaultDimensions).length, 32);
        assert.equal(await sourceCount(orgId), 1);
      });

      test('mapping rules are checked: each problem named by its path, the whole configuration refused', async () => {
        const { orgId, key } = await org('mapping');
        const r = await create(key, {
          name: 'm',
          kind: 'prometheus-remote-write',
          description: 'x',
          mapping: [{ action: 'labeldrop', regex: 'ok' }, { action: 'rename', pattern: '(a', to: 'b' }, { action: 'replace', sourceLabels: ['x'], targetLabel: 'y', regex: 'z', replacement: '$1_total' }, { action: 'teleport' }],
        });
        const e = assertError(r, 400, 'validation_failed');
        const details = e.details as { field: string; message: string }[];
        assert.deepEqual(
          details.map((d) => d.field),
          ['body.mapping[1].pattern', 'body.mapping[2].replacement', 'body.mapping[3].action'],
        );
        assert.match(details[0]!.message, /not a valid RE2 pattern/);
        assert.match(details[1]!.message, /group "1_total"/);
        assert.match(e.message, /mapping\[1\]\.pattern/);
        assertError(await create(key, { name: 'm', kind: 'webhook', mapping: Array.from({ length: 65 }, () => ({ action: 'labeldrop', regex: 'a' })) }), 400, 'validation_failed');
        assertError(await create(key, { name: 'm', kind: 'webhook', mapping: [{ action: 'labeldrop', regex: 'a\u0000' }] }), 400, 'validation_failed');
        assert.equal(await sourceCount(orgId), 0);

        const rules = [
          { action: 'rename', pattern: 'node_(.*)', to: 'node.$1' },
          { action: 'replace', sourceLabels: ['instance'], regex: '([^:]+):.*', targetLabel: 'host' },
        ];
        const s = await createOk(key, { name: 'm', kind: 'prometheus-remote-write', mapping: rules });
        assert.deepEqual(s.mapping, rules, 'stored as given');
        const bad = assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, { mapping: [{ action: 'keep' }] }), 400, 'validation_failed');
        assert.equal((bad.details as { field: string }[])[0]!.field, 'body.mapping[0]');
        assert.deepEqual((await getOk(key, s.id)).mapping, rules);
        assert.deepEqual((await patchOk(key, s.id, { mapping: [] })).mapping, [], 'a patch replaces the rules whole');
      });

      test('settings: none for push kinds', async () => {
        const { key } = await org('settings');
        const e = assertError(await create(key, { name: 's', kind: 'webhook', settings: { targets: [] } }), 400, 'validation_failed');
        assert.deepEqual(e.details, [{ field: 'body.settings.targets', message: 'is not a setting: a webhook source takes no settings ({})' }]);
        const s = await createOk(key, { name: 's', kind: 'otlp', settings: {} });
        assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, { settings: { intervalSeconds: 10 } }), 400, 'validation_failed');
        assert.deepEqual(await targetsOk(key, s.id), [], 'a push source has no targets');
      });
    });

    describe('prometheus-scrape sources', () => {
      test('settings are checked and completed with their defaults', async () => {
        const { orgId, key } = await org('scrape settings');
        const url = (i: number) => `http://10.0.0.${i % 250}:${9000 + i}/metrics`;
        const bad: [unknown, string, RegExp][] = [
          [{}, 'body.settings.targets', /required/],
          [{ targets: 'http://a' }, 'body.settings.targets', /required/],
          [{ targets: Array.from({ length: 101 }, (_, i) => ({ url: url(i) })) }, 'body.settings.targets', /at most 100/],
          [{ targets: [{ url: 'ftp://host/metrics' }] }, 'body.settings.targets[0].url', /http or https/],
          [{ targets: [{ url: '/metrics' }] }, 'body.settings.targets[0].url', /absolute/],
          [{ targets: [{}] }, 'body.settings.targets[0].url', /required/],
          [{ targets: [{ url: 'http://u:p@host/metrics' }] }, 'body.settings.targets[0].url', /credentials/],
          [{ targets: [{ url: url(1) }, { url: url(1) }] }, 'body.settings.targets[1].url', /twice/],
          [{ targets: [{ url: url(1), labels: { '1x': 'a' } }] }, 'body.settings.targets[0].labels', /dimension name/],
          [{ targets: [{ url: url(1), weight: 2 }] }, 'body.settings.targets[0].weight', /not a field/],
          [{ targets: [], intervalSeconds: 4 }, 'body.settings.intervalSeconds', /5 to 3600/],
          [{ targets: [], intervalSeconds: 3601 }, 'body.settings.intervalSeconds', /5 to 3600/],
          [{ targets: [], intervalSeconds: 7.5 }, 'body.settings.intervalSeconds', /whole number/],
          [{ targets: [], intervalSeconds: 30, timeoutSeconds: 31 }, 'body.settings.timeoutSeconds', /1 to the interval \(30\)/],
          [{ targets: [], timeoutSeconds: 0 }, 'body.settings.timeoutSeconds', /1 to the interval/],
          [{ targets: [], job: '' }, 'body.settings.job', /non-empty/],
          [{ targets: [], honorLabels: true }, 'body.settings.honorLabels', /not a setting/],
        ];
        for (const [settings, field, message] of bad) {
          const e = assertError(await create(key, { name: 'sc', kind: 'prometheus-scrape', settings }), 400, 'validation_failed');
          const d = (e.details as { field: string; message: string }[]).find((x) => x.field.startsWith(field));
          assert.ok(d, `${JSON.stringify(settings).slice(0, 80)}: ${JSON.stringify(e.details)}`);
          assert.match(d.message, message);
        }
        assertError(await create(key, { name: 'sc', kind: 'prometheus-scrape' }), 400, 'validation_failed');
        assert.equal(await sourceCount(orgId), 0);

        const full = await createOk(key, { name: 'sc', kind: 'prometheus-scrape', settings: { targets: Array.from({ length: 100 }, (_, i) => ({ url: url(i) })) } });
        assert.equal((full.settings.targets as unknown[]).length, 100);
        assert.equal(full.settings.intervalSeconds, 60);
        assert.equal(full.settings.timeoutSeconds, 10);
        const fast = await createOk(key, { name: 'fast', kind: 'prometheus-scrape', settings: { targets: [{ url: 'https://example.test/metrics', labels: { env: 'prod' } }], intervalSeconds: 5, job: 'edge' } });
        assert.deepEqual(fast.settings, { targets: [{ url: 'https://example.test/metrics', labels: { env: 'prod' } }], intervalSeconds: 5, timeoutSeconds: 5, job: 'edge' });
      });

      test('scrape_targets follow the targets in the same transaction; health is listed per target', async () => {
        const { orgId, key } = await org('scrape targets');
        fixedNow = Date.UTC(2026, 5, 1, 12, 0, 0);
        try {
          const a = 'http://127.0.0.1:9100/metrics';
          const b = 'http://127.0.0.1:9200/metrics';
          const c = 'http://127.0.0.1:9300/metrics';
          const s = await createOk(key, { name: 'nodes', kind: 'prometheus-scrape', settings: { targets: [{ url: a }, { url: b }], intervalSeconds: 30 } });
          assert.deepEqual(
            (await targetRows(s.id)).map((r) => [r.url, r.next_scrape_at.getTime(), r.up]),
            [
              [a, fixedNow, null],
              [b, fixedNow, null],
            ],
            'new targets are due at once',
          );
          assert.deepEqual(await targetsOk(key, s.id), [
            { url: a, up: null, lastScrapeAt: null, lastDurationMs: null, samplesScraped: null, lastError: null, nextScrapeAt: new Date(fixedNow).toISOString() },
            { url: b, up: null, lastScrapeAt: null, lastDurationMs: null, samplesScraped: null, lastError: null, nextScrapeAt: new Date(fixedNow).toISOString() },
          ]);

          // The scraper records a's health (as the scrape job does); b is removed, c added.
          const scrapedAt = new Date(fixedNow + 1000);
          const next = new Date(fixedNow + 31_000);
          await t.sql.query(
            `UPDATE scrape_targets SET up = false, last_scrape_at = $3, last_duration_ms = 12.5, samples_scraped = 0, last_error = 'connection refused', next_scrape_at = $4
             WHERE source_id = $1 AND url = $2`,
            [s.id, a, scrapedAt, next],
          );
          fixedNow += 60_000;
          const changed = await patchOk(key, s.id, { settings: { targets: [{ url: a }, { url: c }] } });
          assert.equal(changed.settings.intervalSeconds, 30, 'a settings patch merges: the interval stays');
          const targets = await targetsOk(key, s.id);
          assert.deepEqual(targets, [
            { url: a, up: false, lastScrapeAt: scrapedAt.toISOString(), lastDurationMs: 12.5, samplesScraped: 0, lastError: 'connection refused', nextScrapeAt: next.toISOString() },
            { url: c, up: null, lastScrapeAt: null, lastDurationMs: null, samplesScraped: null, lastError: null, nextScrapeAt: new Date(fixedNow).toISOString() },
          ]);

          // A refused change leaves targets and rows as they were.
          assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, { settings: { targets: [{ url: 'gopher://x' }] } }), 400, 'validation_failed');
          assert.deepEqual(
            (await targetRows(s.id)).map((r) => r.url),
            [a, c],
          );
          // A shorter interval brings the next scrapes forward.
          fixedNow += 1000;
          // The stored timeout (10 s) must fit the new interval: the error says so rather than changing it unasked.
          const e = assertError(await call('PATCH', `/api/v1/sources/${s.id}`, key, { settings: { intervalSeconds: 5 } }), 400, 'validation_failed');
          assert.match(e.message, /timeoutSeconds must be a whole number of seconds from 1 to the interval \(5\)/);
          await patchOk(key, s.id, { settings: { intervalSeconds: 5, timeoutSeconds: 5 } });
          const rows = await targetRows(s.id);
          assert.equal(rows[0]!.next_scrape_at.getTime(), Math.min(next.getTime(), fixedNow + 5000));

          assert.equal((await call('DELETE', `/api/v1/sources/${s.id}`, key)).statusCode, 204);
          assert.deepEqual(await targetRows(s.id), []);
          assert.equal((await t.sql.query('SELECT 1 FROM scrape_targets WHERE org_id = $1', [orgId])).rows.length, 0);
        } finally {
          fixedNow = null;
        }
      });
    });

    describe('key binding', () => {
      test('a key is bound to a source of its organisation only; replies show sourceId', async () => {
        const { key } = await org('bind');
        const s = await createOk(key, { name: 'agents', kind: 'webhook' });
        const r = await createKey(key, { sourceId: s.id });
        assert.equal(r.statusCode, 201, r.body);
        const created = r.json() as { id: string; sourceId: string | null; key: string };
        assert.equal(created.sourceId, s.id);
        assert.equal(((await call('GET', `/api/v1/keys/${created.id}`, key)).json() as { sourceId: string }).sourceId, s.id);
        const listed = (await call('GET', '/api/v1/keys', key)).json() as { keys: { id: string; sourceId: string | null }[] };
        assert.equal(listed.keys.find((k) => k.id === created.id)!.sourceId, s.id);
        assert.ok(listed.keys.filter((k) => k.id !== created.id).every((k) => k.sourceId === null));

        const unbound = await createKey(key, {});
        assert.equal((unbound.json() as { sourceId: null }).sourceId, null);
        assertError(await createKey(key, { sourceId: unknownId }), 400, 'validation_failed');
        assertError(await createKey(key, { sourceId: 'not-a-uuid' }), 400, 'validation_failed');
        const b = await org('bind-b');
        const theirs = await createOk(b.key, { name: 'theirs', kind: 'webhook' });
        const e = assertError(await createKey(key, { sourceId: theirs.id }), 400, 'validation_failed');
        assert.deepEqual(e.details, [{ field: 'body.sourceId', message: 'is not a source of this organisation' }]);
      });

      test('a bound key sends through its source: others refused (403 source_mismatch), disabled refused (403 source_disabled), nothing stored', async () => {
        const { orgId, key } = await org('bound ingest');
        const own = await createOk(key, { name: 'own', kind: 'webhook', defaultDimensions: { via: 'own' } });
        await createOk(key, { name: 'other', kind: 'webhook' });
        const bound = (await createKey(key, { sourceId: own.id })).json() as { key: string };
        const metric = (v: number) => ({ key: 'bound.metric', value: v, timestamp: base + v * minute });

        const r1 = await postIngest(t, { metrics: [metric(1)] }, { key: bound.key });
        assert.equal(r1.statusCode, 200, r1.body);
        const r2 = await t.app.inject({ method: 'POST', url: '/api/v1/ingest?source=own', headers: bearer(bound.key), payload: { metrics: [metric(2)] } });
        assert.equal(r2.statusCode, 200, r2.body);
        const r3 = await t.app.inject({ method: 'POST', url: `/api/v1/ingest?source=${own.id}`, headers: bearer(bound.key), payload: { metrics: [metric(3)] } });
        assert.equal(r3.statusCode, 200, 'its own source by id too');

        const mismatch = [
          await t.app.inject({ method: 'POST', url: '/api/v1/ingest?source=other', headers: bearer(bound.key), payload: { metrics: [metric(4)] } }),
          await t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { ...bearer(bound.key), 'x-source': 'other' }, payload: { metrics: [metric(5)] } }),
          await postIngest(t, { metrics: [metric(6)], source: 'other' }, { key: bound.key }),
          await postIngest(t, { metrics: [metric(7)], source: 'no-such-source' }, { key: bound.key }),
        ];
        for (const r of mismatch) {
          const e = assertError(r, 403, 'source_mismatch');
          assert.match(e.message, /bound to source "own"/);
        }

        await patchOk(key, own.id, { enabled: false });
        const e = assertError(await postIngest(t, { metrics: [metric(8)] }, { key: bound.key }), 403, 'source_disabled');
        assert.match(e.message, /"own" is disabled/);
        const kept = await getOk(key, own.id);
        assert.equal(kept.enabled, false);
        assert.deepEqual(kept.defaultDimensions, { via: 'own' }, 'the configuration is kept');
        assert.equal(kept.stats.pointsAccepted, 3, 'and its counters');

        assert.deepEqual(
          (await storedPoints(t.sql, orgId)).map((p) => [p.value, p.dimensions]),
          [
            [1, { via: 'own' }],
            [2, { via: 'own' }],
            [3, { via: 'own' }],
          ],
        );
        assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);
        await patchOk(key, own.id, { enabled: true });
        assert.equal((await postIngest(t, { metrics: [metric(9)] }, { key: bound.key })).statusCode, 200, 'enabled again: accepted');
      });

      test('a source with bound keys (revoked ones too) cannot be deleted: 409 naming them', async () => {
        const { key } = await org('in use');
        const s = await createOk(key, { name: 'busy', kind: 'webhook' });
        const k1 = (await createKey(key, { name: 'agent-1', sourceId: s.id })).json() as { id: string };
        const k2 = (await createKey(key, { name: 'agent-2', sourceId: s.id })).json() as { id: string };
        const e = assertError(await call('DELETE', `/api/v1/sources/${s.id}`, key), 409, 'source_in_use');
        assert.deepEqual(e.details, {
          keys: [
            { id: k1.id, name: 'agent-1' },
            { id: k2.id, name: 'agent-2' },
          ],
        });
        assert.match(e.message, /"agent-1" \(.+\), "agent-2"/);
        assert.equal((await call('DELETE', `/api/v1/keys/${k1.id}`, key)).statusCode, 200);
        assert.equal((await call('DELETE', `/api/v1/keys/${k2.id}`, key)).statusCode, 200);
        assertError(await call('DELETE', `/api/v1/sources/${s.id}`, key), 409, 'source_in_use');
        assert.equal((await getOk(key, s.id)).name, 'busy');
      });
    });

    describe('isolation', () => {
      test("another organisation's source is not found by id or name; lists hold only one's own", async () => {
        const a = await org('iso-a');
        const b = await org('iso-b');
        const theirs = await createOk(b.key, { name: 'theirs', kind: 'prometheus-scrape', settings: { targets: [{ url: 'http://127.0.0.1:1/metrics' }] } });
        await createOk(a.key, { name: 'mine', kind: 'webhook' });
        for (const [method, url, body] of [
          ['GET', `/api/v1/sources/${theirs.id}`, undefined],
          ['GET', `/api/v1/sources/${theirs.id}/targets`, undefined],
          ['PATCH', `/api/v1/sources/${theirs.id}`, { enabled: false }],
          ['DELETE', `/api/v1/sources/${theirs.id}`, undefined],
        ] as const) {
          assertError(await call(method, url, a.key, body), 404, 'not_found');
        }
        const list = (await call('GET', '/api/v1/sources', a.key)).json() as { items: SourceReply[] };
        assert.deepEqual(
          list.items.map((x) => x.name),
          ['mine'],
        );
        const after = await getOk(b.key, theirs.id);
        assert.equal(after.enabled, true);
        assert.equal((await targetsOk(b.key, theirs.id)).length, 1);
        // Naming it from the other organisation: no such source there.
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/ingest?source=theirs', headers: bearer(a.key), payload: { metrics: [] } }), 404, 'source_not_found');
        // Their dead letters stay theirs, even filtered by their source's id.
        const hook = await createOk(b.key, { name: 'theirs-hook', kind: 'webhook' });
        const sent = await t.app.inject({ method: 'POST', url: '/api/v1/ingest?source=theirs-hook', headers: bearer(b.key), payload: { metrics: [{ key: 'bad key', value: 1 }] } });
        assert.equal((sent.json() as { rejected: number }).rejected, 1);
        const r = await call('GET', `/api/v1/dead-letters?sourceId=${hook.id}`, a.key);
        assert.equal(r.statusCode, 200, r.body);
        assert.deepEqual((r.json() as { items: unknown[] }).items, []);
        assert.equal(((await call('GET', `/api/v1/dead-letters?sourceId=${hook.id}`, b.key)).json() as { items: unknown[] }).items.length, 1);
      });
    });

    describe('dead letters', () => {
      test('rejected items keep their source; the list filters by sourceId', async () => {
        const { key } = await org('letters');
        const s = await createOk(key, { name: 'agents', kind: 'webhook' });
        const bad = { key: 'bad key', value: 1, timestamp: base };
        for (const url of ['/api/v1/ingest?source=agents', '/api/v1/ingest']) {
          const r = await t.app.inject({ method: 'POST', url, headers: bearer(key), payload: { metrics: [bad] } });
          assert.equal(r.statusCode, 200, r.body);
        }
        await postIngest(t, { metrics: [bad], source: 'free-label' }, { key });
        const all = ((await call('GET', '/api/v1/dead-letters', key)).json() as { items: Letter[] }).items;
        assert.deepEqual(all.map((l) => [l.source, l.sourceId]).sort(), [
          ['agents', s.id],
          ['api', null],
          ['free-label', null],
        ]);
        const filtered = ((await call('GET', `/api/v1/dead-letters?sourceId=${s.id}`, key)).json() as { items: Letter[] }).items;
        assert.deepEqual(
          filtered.map((l) => l.sourceId),
          [s.id],
        );
        assert.deepEqual(((await call('GET', `/api/v1/dead-letters?sourceId=${unknownId}`, key)).json() as { items: Letter[] }).items, []);
        assertError(await call('GET', '/api/v1/dead-letters?sourceId=nope', key), 400, 'validation_failed');
        const one = (await call('GET', `/api/v1/dead-letters/${filtered[0]!.id}`, key)).json() as Letter;
        assert.equal(one.sourceId, s.id);
      });

      test("reprocessing applies the source's current defaults and mapping; a deleted source's items are taken as they are", async () => {
        const { orgId, key } = await org('reprocess');
        fixedNow = Math.floor(Date.now() / 1000) * 1000 - 2 * 3_600_000;
        try {
          const s = await createOk(key, { name: 'agents', kind: 'webhook' });
          const items = [
            { key: 'legacy name', value: 1, dimensions: { host: 'h1' } }, // no timestamp: the time received
            { key: 'keep.me', value: 2, timestamp: base, dimensions: { env: 'x'.repeat(300) } },
          ];
          const r = await t.app.inject({ method: 'POST', url: '/api/v1/ingest?source=agents', headers: bearer(key), payload: { metrics: items } });
          assert.equal((r.json() as { rejected: number }).rejected, 2);
          const letters = ((await call('GET', `/api/v1/dead-letters?sourceId=${s.id}`, key)).json() as { items: Letter[] }).items;
          assert.equal(letters.length, 2);
          const receivedAt = fixedNow;

          // The source learns to fix both: a rename for the bad key, defaults, a labeldrop for the long value.
          fixedNow += 3_600_000;
          await patchOk(key, s.id, {
            defaultDimensions: { team: 'core', host: 'default-host' },
            mapping: [
              { action: 'rename', key: 'legacy name', to: 'legacy.name' },
              { action: 'labeldrop', regex: 'env' },
            ],
          });
          const rp = await call('POST', '/api/v1/dead-letters/reprocess', key, { ids: letters.map((l) => l.id) });
          assert.equal(rp.statusCode, 200, rp.body);
          assert.deepEqual(rp.json(), { stored: 2, duplicates: 0, failed: [], notFound: [] });
          assert.deepEqual(await storedPoints(t.sql, orgId), [
            { key: 'keep.me', dimensions: { team: 'core', host: 'default-host' }, ts: base, value: 2 },
            { key: 'legacy.name', dimensions: { team: 'core', host: 'h1' }, ts: receivedAt, value: 1 },
          ]);
          assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);

          // A deleted source: its letters lose the id and are validated as sent.
          await t.app.inject({ method: 'POST', url: '/api/v1/ingest?source=agents', headers: bearer(key), payload: { metrics: [{ key: 'other name', value: 3, timestamp: base }] } });
          assert.equal((await call('DELETE', `/api/v1/sources/${s.id}`, key)).statusCode, 204);
          const [orphan] = ((await call('GET', '/api/v1/dead-letters', key)).json() as { items: Letter[] }).items;
          assert.equal(orphan!.sourceId, null);
          assert.equal(orphan!.source, 'agents', 'the name at the time stays');
          const again = (await call('POST', '/api/v1/dead-letters/reprocess', key, { ids: [orphan!.id] })).json() as { failed: { code: string }[] };
          assert.deepEqual(
            again.failed.map((f) => f.code),
            ['invalid_key'],
          );
        } finally {
          fixedNow = null;
        }
      });
    });
  });
}
