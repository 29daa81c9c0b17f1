// Issue 11, outbound requests: channels cannot be pointed at internal addresses, and what a receiver
// answers never comes back through the API or into the store. Two apps share each store: one as
// production runs (no allow list), one with 127.0.0.0/8 allowed as tests and on-premises setups
// configure it. Every connection made goes to a receiver on 127.0.0.1; refusals of other ranges are
// shown before anything connects.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { enqueueDeliveries } from '../src/alert/deliveries-store.js';
import { OutboundGuard } from '../src/net/outbound.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, type Injected } from './helpers/ingest.js';
import { sampleNotification, startHttpReceiver, type HttpReceiver } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';

const now = () => new Date(Date.UTC(2026, 10, 20, 10, 0));
const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const routingKey = 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12';

/** A resolver where `rebind.example` is 127.0.0.1: a public-looking name pointing inside, without DNS. */
const resolve = async (host: string): Promise<LookupAddress[]> => {
  if (host === 'rebind.example') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

/** Literal internal hosts as they appear in a URL, every numeric spelling. */
const internalHosts = [
  '127.0.0.1:5432',
  '127.1',
  '2130706433',
  '0x7f.1',
  '017700000001',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[::1]',
  '[::]',
  '0.0.0.0',
  'localhost',
  '169.254.169.254',
  '[fe80::1]',
  '[fd00::1]',
  '100.64.0.1',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  '224.0.0.1',
  '255.255.255.255',
  '[64:ff9b::a00:1]',
  '[2002:7f00:1::]',
];

/** The configuration of `type` pointing at `host`, and the field that names it. */
function configFor(type: string, host: string): [Record<string, unknown>, string] {
  switch (type) {
    case 'webhook':
      return [{ url: `https://${host}/hook`, secret }, 'body.config.url'];
    case 'slack':
      return [{ url: `https://${host}/services/T000/B000/XXXXSECRETXXXX` }, 'body.config.url'];
    case 'pagerduty':
      return [{ routingKey, eventsUrl: `https://${host}/v2/enqueue` }, 'body.config.eventsUrl'];
    default:
      return [{ host: host.replace(/^\[|\]$/g, ''), port: 587, from: 'alerts@example.com', to: ['ops@example.com'] }, 'body.config.host'];
  }
}

for (const kind of storeKinds) {
  describe(`outbound guard through the API (${kind.name})`, () => {
    let strict: TestApp;
    let allowed: TestApp;
    let receiver: HttpReceiver;
    const strictGuard = new OutboundGuard({ resolve });
    const allowGuard = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8'], resolve });

    before(async () => {
      strict = await startTestApp({ kind, now, alerting: { outbound: strictGuard } });
      allowed = await startTestApp({ kind, store: strict.store, now, alerting: { outbound: allowGuard } });
      receiver = await startHttpReceiver();
    });
    after(async () => {
      await receiver.close();
      await allowed.app.close();
      await strict.close();
      await Promise.all([strictGuard.close(), allowGuard.close()]);
    });

    const call = (t: TestApp, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = t.adminKey): Promise<Injected> =>
      t.app.inject({ method, url, headers: bearer(key), ...(payload !== undefined ? { payload: payload as object } : {}) });
    let n = 0;
    const create = (t: TestApp, type: string, config: unknown) => call(t, 'POST', '/api/v1/channels', { name: `c${++n}`, type, config });

    test('a literal internal host is a 400 at creation, in every spelling and for every channel type', async () => {
      for (const type of ['webhook', 'slack', 'pagerduty', 'email']) {
        for (const host of internalHosts) {
          if (type === 'email' && host.includes(':5432')) continue; // a port is not part of an SMTP host
          const [config, field] = configFor(type, host);
          const e = assertError(await create(strict, type, config), 400, 'validation_failed');
          const details = e.details as { field: string; message: string }[];
          assert.deepEqual(details.map((d) => d.field), [field], `${type} ${host}: ${JSON.stringify(e)}`);
          assert.match(details[0]!.message, /^must not point to an internal address: .+ is (a|an|the) .*address.*OUTBOUND_ALLOWED_CIDRS/, `${type} ${host}`);
        }
      }
    });

    test('names are accepted at creation: they are checked when connecting', async () => {
      const r = await create(strict, 'webhook', { url: 'https://hooks.example.com/in', secret });
      assert.equal(r.statusCode, 201, r.body);
    });

    test('with 127.0.0.0/8 allowed, loopback in any spelling is accepted and the other ranges are still refused', async () => {
      for (const host of ['127.0.0.1:8080', '127.1', '2130706433', '[::ffff:127.0.0.1]', 'localhost']) {
        const r = await create(allowed, 'webhook', { url: `http://${host}/hook`, secret });
        assert.equal(r.statusCode, 201, `${host}: ${r.body}`);
      }
      for (const host of ['[::1]', '10.0.0.1', '169.254.169.254', '[fd00::1]']) {
        assertError(await create(allowed, 'webhook', { url: `https://${host}/hook`, secret }), 400, 'validation_failed');
      }
    });

    test('PATCH to an internal address is a 400', async () => {
      const c = (await create(strict, 'pagerduty', { routingKey })).json() as { id: string };
      const e = assertError(await call(strict, 'PATCH', `/api/v1/channels/${c.id}`, { config: { eventsUrl: 'https://[::ffff:a9fe:a9fe]/v2/enqueue' } }), 400, 'validation_failed');
      assert.deepEqual((e.details as { field: string }[]).map((d) => d.field), ['body.config.eventsUrl']);
    });

    test('testing a stored channel whose literal host the guard refuses is a 400, and nothing connects', async () => {
      receiver.reset();
      const c = (await create(allowed, 'webhook', { url: `${receiver.url}/hook`, secret })).json() as { id: string };
      // The same channel seen by a server without the allow list.
      const e = assertError(await call(strict, 'POST', `/api/v1/channels/${c.id}/test`, undefined, allowed.adminKey), 400, 'validation_failed');
      assert.deepEqual((e.details as { field: string }[]).map((d) => d.field), ['config.url']);
      assert.equal(receiver.connections, 0);
    });

    test('a name resolving to an internal address is refused when connecting: the test says so, and nothing connects', async () => {
      receiver.reset();
      const c = (await create(strict, 'webhook', { url: `https://rebind.example:${receiver.port}/hook`, secret })).json() as { id: string };
      const r = await call(strict, 'POST', `/api/v1/channels/${c.id}/test`);
      assert.equal(r.statusCode, 200, r.body);
      const result = r.json() as Record<string, unknown>;
      assert.deepEqual(
        { ok: result.ok, status: result.status, classification: result.classification },
        { ok: false, status: null, classification: 'refused_by_outbound_guard' },
      );
      assert.match(String(result.error), /^refused by the outbound guard: rebind\.example resolves only to addresses that are not public/);
      assert.ok(!String(result.error).includes('127.0.0.1'), String(result.error));
      assert.equal(receiver.connections, 0);
      const d = (await call(strict, 'GET', `/api/v1/deliveries/${result.deliveryId}`)).json() as { status: string; attemptLog: Record<string, unknown>[] };
      assert.equal(d.status, 'dead');
      assert.equal(d.attemptLog[0]!.classification, 'refused_by_outbound_guard');
    });

    test("the receiver's answer is never returned nor stored: status and classification only", async () => {
      receiver.reset();
      const banner = 'SECRET-INTERNAL-BANNER redis_version:7.2.4';
      receiver.script({ status: 500, body: banner }, { status: 200, body: `${banner} (ok)` });
      const c = (await create(allowed, 'webhook', { url: `${receiver.url}/hook`, secret })).json() as { id: string };
      const failed = await call(allowed, 'POST', `/api/v1/channels/${c.id}/test`);
      const passed = await call(allowed, 'POST', `/api/v1/channels/${c.id}/test`);
      assert.equal(receiver.received.length, 2);
      const [f, p] = [failed.json(), passed.json()] as Record<string, unknown>[];
      assert.deepEqual(Object.keys(f!).sort(), ['classification', 'deliveryId', 'durationMs', 'error', 'ok', 'status']);
      assert.deepEqual([f!.ok, f!.status, f!.classification, f!.error], [false, 500, 'http_5xx', 'HTTP 500']);
      assert.deepEqual([p!.ok, p!.status, p!.classification, p!.error], [true, 200, 'http_2xx', null]);
      // A read-scope key sees the delivery records: status and classification, nothing of the answer.
      const reader = await allowed.newKey(['read']);
      for (const id of [f!.deliveryId, p!.deliveryId]) {
        const r = await call(allowed, 'GET', `/api/v1/deliveries/${id}`, undefined, reader.secret);
        assert.equal(r.statusCode, 200, r.body);
        assert.ok(!r.body.includes('SECRET') && !r.body.includes('redis'), r.body);
        const attempt = (r.json() as { attemptLog: Record<string, unknown>[] }).attemptLog[0]!;
        assert.ok(!('response' in attempt));
        assert.equal(typeof attempt.classification, 'string');
      }
      const list = await call(allowed, 'GET', `/api/v1/deliveries?channelId=${c.id}`, undefined, reader.secret);
      assert.ok(!list.body.includes('SECRET'), list.body);
      // And the store holds no column for it.
      const stored = await allowed.sql.query('SELECT * FROM notification_attempts WHERE org_id = $1', [allowed.org.id]);
      assert.ok(!JSON.stringify(stored.rows).includes('SECRET'));
      assert.ok(stored.rows.length > 0 && !('response' in stored.rows[0]!));
    });
  });

  describe(`migration 0007 removes stored answers (${kind.name})`, () => {
    test('attempts lose the answer column, error texts are cut to the status, old attempts get a classification', async () => {
      const store = await kind.open();
      try {
        const sql = store.sql;
        await migrate(sql, loadMigrations().filter((m) => m.version <= 6));
        const org = await createOrg(sql, { name: 'Before 0007', slug: `before-0007-${Math.random().toString(36).slice(2, 8)}` });
        const at = now();
        // Channels as the schema of 0006 holds them (today's createChannel writes later columns).
        const channel = async (name: string, type: string, config: object) =>
          (await sql.query<{ id: string }>(`INSERT INTO channels (org_id, name, type, config, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, true, $5, $5) RETURNING id`, [org.id, name, type, JSON.stringify(config), at])).rows[0];
        const hook = await channel('hook', 'webhook', { url: 'https://hooks.example.com/x', secret });
        const mail = await channel('mail', 'email', { host: 'smtp.example.com', from: 'a@example.com', to: ['b@example.com'] });
        const payload = (({ deliveryId: _, ...rest }) => rest)(sampleNotification());
        const [d1, d2] = await enqueueDeliveries(sql, org.id, [
          { alertId: null, channelId: hook!.id, event: 'test', payload, maxAttempts: 5 },
          { alertId: null, channelId: mail!.id, event: 'test', payload, maxAttempts: 5 },
        ], at);
        const rows: [string, number, boolean, number | null, boolean, string | null, string | null][] = [
          [d1!, 1, false, 404, false, 'HTTP 404: SECRET first line', 'SECRET first line\nmore'],
          [d1!, 2, false, 302, false, 'HTTP 302 (redirects are not followed): SECRET', 'SECRET'],
          [d1!, 3, false, 503, true, 'resolve after the test trigger: HTTP 503: SECRET', null],
          [d1!, 4, false, null, true, 'timed out after 10000 ms', null],
          [d1!, 5, false, null, true, 'network error: ECONNREFUSED', null],
          [d1!, 6, true, 200, false, null, 'SECRET ok'],
          [d2!, 1, false, 550, false, 'SMTP 550: Can\'t send mail - all recipients were rejected: 550 SECRET', '550 SECRET'],
          [d2!, 2, false, null, true, 'EPROTOCOL: Invalid greeting. response=SECRET banner', null],
          [d2!, 3, true, 250, false, null, '250 Message queued SECRET'],
        ];
        for (const [delivery, attempt, ok, status, retryable, error, response] of rows) {
          await sql.query(
            `INSERT INTO notification_attempts (org_id, delivery_id, attempt, at, ok, status, retryable, error, response, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)`,
            [org.id, delivery, attempt, at, ok, status, retryable, error, response],
          );
        }
        await sql.query(`UPDATE notification_deliveries SET last_error = 'HTTP 404: SECRET first line' WHERE id = $1`, [d1]);
        await sql.query(`UPDATE notification_deliveries SET last_error = 'EPROTOCOL: Invalid greeting. response=SECRET' WHERE id = $1`, [d2]);

        await migrate(sql, loadMigrations());

        const after = await sql.query<{ delivery_id: string; attempt: number; error: string | null; classification: string }>(
          'SELECT * FROM notification_attempts WHERE org_id = $1 ORDER BY delivery_id = $2 DESC, attempt',
          [org.id, d1],
        );
        assert.ok(!JSON.stringify(after.rows).includes('SECRET'), JSON.stringify(after.rows));
        assert.ok(!('response' in after.rows[0]!));
        assert.deepEqual(
          after.rows.map((r) => [r.error, r.classification]),
          [
            ['HTTP 404', 'http_4xx'],
            ['HTTP 302 (redirects are not followed)', 'http_3xx'],
            ['resolve after the test trigger: HTTP 503', 'http_5xx'],
            ['timed out after 10000 ms', 'timeout'],
            ['network error: ECONNREFUSED', 'connection_refused'],
            [null, 'http_2xx'],
            ['SMTP 550', 'smtp_5xx'],
            ['EPROTOCOL', 'smtp_error'],
            [null, 'smtp_2xx'],
          ],
        );
        const deliveries = await sql.query<{ id: string; last_error: string }>('SELECT id, last_error FROM notification_deliveries WHERE org_id = $1', [org.id]);
        assert.deepEqual(new Map(deliveries.rows.map((r) => [r.id, r.last_error])), new Map([[d1!, 'HTTP 404'], [d2!, 'EPROTOCOL']]));
      } finally {
        await store.drop();
      }
    });
  });
}
