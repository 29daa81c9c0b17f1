// Alerting through the API on both stores: channels, rules, silences (CRUD and validation: every bad
// input a clear 4xx), the alert lifecycle with notifications to real local receivers, dead deliveries
// and their retry, the scheduled evaluator, and the rule kinds that need detection or a forecast.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverDue } from '../src/alert/delivery.js';
import type { AlertingDeps } from '../src/alert/pass/deps.js';
import { tickAlertRules } from '../src/alert/pass/evaluator.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { alertingDeps as testAlertingDeps } from './helpers/alerting.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { assertError, minute, type Injected } from './helpers/ingest.js';
import { loopbackOutbound, startHttpReceiver, startWebhookReceiver, type HttpReceiver, type WebhookReceiver } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0);
const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const randomUuid = '00000000-0000-4000-8000-000000000000';

interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  channels: string[];
  condition: Record<string, unknown>;
  nextEvaluationAt: string | null;
  lastEvaluatedAt: string | null;
  [k: string]: unknown;
}
interface Alert {
  id: string;
  state: string;
  fingerprint: string;
  key: string;
  dimensions: Record<string, string>;
  value: number | null;
  summary: string;
  notificationCount: number;
  lastEvent: string | null;
  anomalyId: string | null;
  silenceId: string | null;
  acknowledgedBy: { kind: string; id: string | null; comment: string | null } | null;
  details: Record<string, unknown>;
  transitions?: { at: string; from: string | null; to: string; actor: { kind: string; id: string | null; comment: string | null } }[];
  notifications?: { id: string; event: string; status: string; attempts: number; attemptLog: { attempt: number; ok: boolean; status: number | null }[] }[];
}
interface Pass {
  seriesCount: number;
  transitions: { alertId: string; from: string | null; to: string; dimensions: Record<string, string> }[];
  notifications: number;
  series: { status: string; alertId: string | null; alertState: string | null; dimensions: Record<string, string> }[];
  errors: string[];
}

for (const kind of storeKinds) {
  describe(`alerting (${kind.name})`, () => {
    let t: TestApp;
    let clock = T0;
    const now = () => new Date(clock);
    const instant = async () => undefined;
    let hook: WebhookReceiver;
    let hookChannel: string;

    before(async () => {
      t = await startTestApp({ kind, now, alerting: { sleep: instant, outbound: loopbackOutbound } });
      hook = await startWebhookReceiver(secret, { now });
      hookChannel = (await created('/api/v1/channels', { name: 'hook', type: 'webhook', config: { url: `${hook.url}/hook`, secret } })).id as string;
    });
    after(async () => {
      await hook.close();
      await t.close();
    });

    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, key = t.adminKey): Promise<Injected> =>
      t.app.inject({ method, url, headers: bearer(key), ...(payload !== undefined ? { payload: payload as object } : {}) });
    const created = async (url: string, body: unknown): Promise<Record<string, unknown>> => {
      const r = await call('POST', url, body);
      assert.equal(r.statusCode, 201, r.body);
      return r.json();
    };
    const ok = async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<T> => {
      const r = await call(method, url, payload);
      assert.ok(r.statusCode >= 200 && r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return (r.body ? r.json() : undefined) as T;
    };
    const ingest = async (key: string, points: { value: number; at: number; dims?: Record<string, string> }[]) => {
      const r = await call('POST', '/api/v1/ingest', { metrics: points.map((p) => ({ key, value: p.value, timestamp: p.at, dimensions: p.dims ?? {} })) });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().rejected, 0, r.body);
    };
    const evaluate = (ruleId: string) => ok<Pass>('POST', `/api/v1/alert-rules/${ruleId}/evaluate`);
    const alertOf = (id: string) => ok<Alert>('GET', `/api/v1/alerts/${id}`);
    const deliveryDeps = () => ({ sql: t.sql, now, sleep: instant, outbound: loopbackOutbound });
    const alertingDeps = (): AlertingDeps => testAlertingDeps(t.sql, now);

    describe('channels', () => {
      test('create each type; secrets never come back; the configuration is validated by its notifier', async () => {
        clock = T0;
        const slack = await created('/api/v1/channels', { name: 'slack-ops', type: 'slack', config: { url: 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX' } });
        assert.deepEqual(slack.config, { url: 'https://hooks.slack.com/********' });
        const pd = await created('/api/v1/channels', { name: 'pd', type: 'pagerduty', config: { routingKey: 'R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12' } });
        assert.equal((pd.config as { routingKey: string }).routingKey, '********');
        const mail = await created('/api/v1/channels', { name: 'mail', type: 'email', config: { host: 'smtp.example.com', port: 587, auth: { user: 'u', pass: 'hunter2-secret' }, from: 'alerts@example.com', to: ['ops@example.com'] } });
        assert.ok(!JSON.stringify(mail).includes('hunter2-secret'));
        // A webhook without a secret gets one, shown once.
        const generated = await created('/api/v1/channels', { name: 'hook-gen', type: 'webhook', config: { url: 'https://example.com/hook' } });
        assert.match(generated.generatedSecret as string, /^whsec_/);
        const again = await ok<Record<string, unknown>>('GET', `/api/v1/channels/${generated.id}`);
        assert.equal(again.generatedSecret, undefined);
        assert.equal((again.config as { secret: string }).secret, '********');
        const list = await ok<{ items: Record<string, unknown>[] }>('GET', '/api/v1/channels?limit=100');
        for (const s of ['XXXXSECRETXXXX', 'R0UT1NGKEY', 'hunter2-secret', generated.generatedSecret as string, secret]) assert.ok(!JSON.stringify(list).includes(s), s);
        for (const id of [slack.id, pd.id, mail.id, generated.id]) assert.equal((await call('DELETE', `/api/v1/channels/${id}`)).statusCode, 204);
      });

      test('bad channels: 400 naming the field; duplicate name 409; unknown ids 404; read key 403', async () => {
        for (const [body, field] of [
          [{ name: 'x', type: 'sms', config: {} }, 'body.type'],
          [{ name: 'x', type: 'slack', config: { url: 'not a url' } }, 'body.config.url'],
          [{ name: 'x', type: 'slack', config: { url: 'https://hooks.slack.com/x', extra: 1 } }, 'body.config.extra'],
          [{ name: 'x', type: 'pagerduty', config: { routingKey: 'short' } }, 'body.config.routingKey'],
          [{ name: 'x', type: 'email', config: { host: 'h', from: 'a@b.c' } }, 'body.config.to'],
          [{ name: 'x', type: 'webhook', config: { url: 'https://e.com/h', secret: 'plain' } }, 'body.config.secret'],
          [{ name: '', type: 'slack', config: { url: 'https://hooks.slack.com/x' } }, 'body.name'],
          [{ name: 'x', type: 'slack', config: 'url' }, 'body.config'],
          [{ name: 'x', type: 'slack' }, 'body.config'],
        ] as const) {
          const e = assertError(await call('POST', '/api/v1/channels', body), 400, 'validation_failed');
          assert.ok((e.details as { field: string }[]).some((d) => d.field === field), `${JSON.stringify(body)}: ${JSON.stringify(e)}`);
        }
        assertError(await call('POST', '/api/v1/channels', { name: 'hook', type: 'slack', config: { url: 'https://hooks.slack.com/x' } }), 409, 'conflict');
        assertError(await call('GET', `/api/v1/channels/${randomUuid}`), 404, 'not_found');
        assertError(await call('PATCH', `/api/v1/channels/${randomUuid}`, { name: 'y' }), 404, 'not_found');
        assertError(await call('DELETE', `/api/v1/channels/${randomUuid}`), 404, 'not_found');
        assertError(await call('POST', `/api/v1/channels/${randomUuid}/test`), 404, 'not_found');
        assertError(await call('GET', '/api/v1/channels/not-a-uuid'), 400, 'validation_failed');
        const reader = await t.newKey(['read']);
        assertError(await call('POST', '/api/v1/channels', { name: 'r', type: 'slack', config: { url: 'https://hooks.slack.com/x' } }, reader.secret), 403, 'insufficient_scope');
        assert.equal((await call('GET', '/api/v1/channels', undefined, reader.secret)).statusCode, 200);
      });

      test('PATCH merges the configuration (secrets not given stay); test sends one signed event', async () => {
        clock = T0;
        const c = await created('/api/v1/channels', { name: 'patchable', type: 'webhook', config: { url: `${hook.url}/old`, secret } });
        const p = await ok<Record<string, unknown>>('PATCH', `/api/v1/channels/${c.id}`, { name: 'patched', config: { url: `${hook.url}/new` } });
        assert.deepEqual([p.name, (p.config as { url: string }).url], ['patched', `${hook.url}/new`]);
        assertError(await call('PATCH', `/api/v1/channels/${c.id}`, { config: { url: 'ftp://x' } }), 400, 'validation_failed');
        assertError(await call('PATCH', `/api/v1/channels/${c.id}`, { name: 'hook' }), 409, 'conflict');
        assertError(await call('PATCH', `/api/v1/channels/${c.id}`, {}), 400, 'validation_failed');
        hook.reset();
        const r = await ok<{ ok: boolean; status: number; deliveryId: string }>('POST', `/api/v1/channels/${c.id}/test`);
        assert.deepEqual([r.ok, r.status], [true, 204]);
        assert.equal(hook.verified.length, 1, JSON.stringify(hook.refused));
        assert.equal(hook.received[0]!.path, '/new');
        assert.equal((hook.verified[0]!.body as { type: string }).type, 'alert.test');
        const d = await ok<{ event: string; status: string; attemptLog: unknown[] }>('GET', `/api/v1/deliveries/${r.deliveryId}`);
        assert.deepEqual([d.event, d.status, d.attemptLog.length], ['test', 'delivered', 1]);
        // A receiver that refuses: the answer says so.
        const down = await startHttpReceiver([500]);
        try {
          await ok('PATCH', `/api/v1/channels/${c.id}`, { config: { url: `${down.url}/x` } });
          const bad = await ok<{ ok: boolean; status: number; classification: string; error: string }>('POST', `/api/v1/channels/${c.id}/test`);
          assert.deepEqual([bad.ok, bad.status, bad.classification, bad.error], [false, 500, 'http_5xx', 'HTTP 500']);
        } finally {
          await down.close();
        }
        assert.equal((await call('DELETE', `/api/v1/channels/${c.id}`)).statusCode, 204);
      });
    });

    describe('rules', () => {
      const base = { name: 'r', key: 'rules.cpu', condition: { kind: 'threshold', operator: 'gt', value: 1 } };

      test('create with defaults, read, list by page, patch, delete', async () => {
        clock = T0;
        const r = (await created('/api/v1/alert-rules', { ...base, name: 'defaults' })) as unknown as Rule;
        assert.deepEqual(
          [r.severity, r.dimensions, r.labels, r.annotations, r.evaluationIntervalSeconds, r.channels, r.dedupWindowSeconds, r.repeatIntervalSeconds, r.enabled, r.condition, r.nextEvaluationAt],
          ['warning', {}, {}, {}, 60, [], 300, 0, true, { kind: 'threshold', operator: 'gt', value: 1, forSeconds: 0 }, new Date(T0).toISOString()],
        );
        const full = (await created('/api/v1/alert-rules', {
          name: 'full',
          key: 'rules.cpu',
          dimensions: { host: 'a' },
          severity: 'critical',
          labels: { team: 'core' },
          annotations: { runbook: 'https://wiki/cpu' },
          evaluationIntervalSeconds: 300,
          channels: [hookChannel],
          dedupWindowSeconds: 0,
          repeatIntervalSeconds: 3600,
          enabled: false,
          condition: { kind: 'rate_of_change', maxRate: 5, windowSeconds: 600 },
        })) as unknown as Rule;
        assert.deepEqual(full.condition, { kind: 'rate_of_change', maxRate: 5, windowSeconds: 600, unit: 'per_minute', direction: 'both' });
        assert.equal(full.nextEvaluationAt, null);
        for (const [condition, expected] of [
          [{ kind: 'anomaly' }, { kind: 'anomaly', minSeverity: 'medium', sensitivity: 0.5 }],
          [{ kind: 'forecast', horizonHours: 2, operator: 'lt', value: 0 }, { kind: 'forecast', horizonHours: 2, operator: 'lt', value: 0, level: 95 }],
          [{ kind: 'missing_data', expectedIntervalMs: 300_000 }, { kind: 'missing_data', expectedIntervalMs: 300_000 }],
        ] as const) {
          const k = (await created('/api/v1/alert-rules', { ...base, name: `kind-${condition.kind}`, condition })) as unknown as Rule;
          assert.deepEqual(k.condition, expected);
          assert.equal((await call('DELETE', `/api/v1/alert-rules/${k.id}`)).statusCode, 204);
        }
        assert.deepEqual(await ok('GET', `/api/v1/alert-rules/${full.id}`), full);

        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { items: Rule[]; nextCursor: string | null } = await ok('GET', `/api/v1/alert-rules?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          ids.push(...page.items.map((x) => x.id));
          cursor = page.nextCursor;
        } while (cursor);
        assert.ok(ids.includes(r.id) && ids.includes(full.id));
        assert.deepEqual((await ok<{ items: Rule[] }>('GET', '/api/v1/alert-rules?enabled=false')).items.map((x) => x.id), [full.id]);
        assertError(await call('GET', `/api/v1/alert-rules?limit=2&cursor=${encodeURIComponent(cursor ?? 'eyJ0IjoxfQ')}`), 400, 'invalid_cursor');

        clock = T0 + minute;
        const patched = await ok<Rule>('PATCH', `/api/v1/alert-rules/${full.id}`, { enabled: true, condition: { kind: 'threshold', operator: 'lte', value: 3 } });
        assert.deepEqual([patched.enabled, patched.condition, patched.nextEvaluationAt, patched.name, patched.severity], [true, { kind: 'threshold', operator: 'lte', value: 3, forSeconds: 0 }, new Date(clock).toISOString(), 'full', 'critical']);
        assertError(await call('PATCH', `/api/v1/alert-rules/${full.id}`, { name: 'defaults' }), 409, 'conflict');
        for (const id of [r.id, full.id]) assert.equal((await call('DELETE', `/api/v1/alert-rules/${id}`)).statusCode, 204);
        assertError(await call('GET', `/api/v1/alert-rules/${r.id}`), 404, 'not_found');
        assertError(await call('DELETE', `/api/v1/alert-rules/${r.id}`), 404, 'not_found');
        assertError(await call('PATCH', `/api/v1/alert-rules/${r.id}`, { enabled: false }), 404, 'not_found');
        assertError(await call('POST', `/api/v1/alert-rules/${r.id}/evaluate`), 404, 'not_found');
      });

      test('every bad rule is a 400 naming the field, never a 500', async () => {
        const cases: [unknown, string][] = [
          [{ ...base, name: undefined }, 'body.name'],
          [{ ...base, key: 'bad key' }, 'body.key'],
          [{ ...base, dimensions: { host: 1 } }, 'body.dimensions.host'],
          [{ ...base, severity: 'fatal' }, 'body.severity'],
          [{ ...base, labels: { 'bad name': 'x' } }, 'body.labels'],
          [{ ...base, evaluationIntervalSeconds: 10 }, 'body.evaluationIntervalSeconds'],
          [{ ...base, evaluationIntervalSeconds: 1.5 }, 'body.evaluationIntervalSeconds'],
          [{ ...base, channels: ['nope'] }, 'body.channels[0]'],
          [{ ...base, channels: [randomUuid] }, 'body.channels[0]'],
          [{ ...base, channels: [hookChannel, hookChannel] }, 'body.channels'],
          [{ ...base, dedupWindowSeconds: -1 }, 'body.dedupWindowSeconds'],
          [{ ...base, repeatIntervalSeconds: 'soon' }, 'body.repeatIntervalSeconds'],
          [{ ...base, enabled: 'yes' }, 'body.enabled'],
          [{ ...base, extra: 1 }, 'body.extra'],
          [{ ...base, condition: undefined }, 'body.condition'],
          [{ ...base, condition: 'gt 1' }, 'body.condition'],
          [{ ...base, condition: {} }, 'body.condition.kind'],
          [{ ...base, condition: { kind: 'sometimes' } }, 'body.condition.kind'],
          [{ ...base, condition: { kind: 'threshold', operator: 'gt' } }, 'body.condition.value'],
          [{ ...base, condition: { kind: 'threshold', operator: 'above', value: 1 } }, 'body.condition.operator'],
          [{ ...base, condition: { kind: 'threshold', operator: 'gt', value: 1, forSeconds: -5 } }, 'body.condition.forSeconds'],
          [{ ...base, condition: { kind: 'threshold', operator: 'gt', value: 1, minSeverity: 'low' } }, 'body.condition.minSeverity'],
          [{ ...base, condition: { kind: 'anomaly', sensitivity: 2 } }, 'body.condition.sensitivity'],
          [{ ...base, condition: { kind: 'anomaly', minSeverity: 'huge' } }, 'body.condition.minSeverity'],
          [{ ...base, condition: { kind: 'forecast', horizonHours: 0, operator: 'gt', value: 1 } }, 'body.condition.horizonHours'],
          [{ ...base, condition: { kind: 'forecast', horizonHours: 1, operator: 'gt', value: 1, level: 90 } }, 'body.condition.level'],
          [{ ...base, condition: { kind: 'rate_of_change', maxRate: 1 } }, 'body.condition.windowSeconds'],
          [{ ...base, condition: { kind: 'rate_of_change', maxRate: 1, windowSeconds: 60, unit: 'per_day' } }, 'body.condition.unit'],
          [{ ...base, condition: { kind: 'missing_data', expectedIntervalMs: 10 } }, 'body.condition.expectedIntervalMs'],
        ];
        for (const [body, field] of cases) {
          const e = assertError(await call('POST', '/api/v1/alert-rules', body), 400, 'validation_failed');
          assert.ok((e.details as { field: string }[]).some((d) => d.field === field || d.field.startsWith(`${field}.`)), `${JSON.stringify(body)} → ${JSON.stringify(e)}`);
        }
        assertError(await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: { ...bearer(t.adminKey), 'content-type': 'application/json' }, payload: '{"name":' }), 400, 'invalid_json');
        const r = (await created('/api/v1/alert-rules', { ...base, name: 'taken' })) as unknown as Rule;
        assertError(await call('POST', '/api/v1/alert-rules', { ...base, name: 'taken' }), 409, 'conflict');
        for (const [body, field] of [
          [{}, 'body'],
          [{ condition: { kind: 'missing_data' } }, 'body.condition.expectedIntervalMs'],
          [{ channels: [randomUuid] }, 'body.channels[0]'],
          [{ id: randomUuid }, 'body.id'],
        ] as const) {
          const e = assertError(await call('PATCH', `/api/v1/alert-rules/${r.id}`, body), 400, 'validation_failed');
          assert.ok((e.details as { field: string }[]).some((d) => d.field === field), `${JSON.stringify(body)} → ${JSON.stringify(e)}`);
        }
        const reader = await t.newKey(['read']);
        assertError(await call('POST', '/api/v1/alert-rules', { ...base, name: 'by reader' }, reader.secret), 403, 'insufficient_scope');
        assertError(await call('POST', `/api/v1/alert-rules/${r.id}/evaluate`, undefined, reader.secret), 403, 'insufficient_scope');
        assert.equal((await call('GET', '/api/v1/alert-rules', undefined, reader.secret)).statusCode, 200);
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${r.id}`)).statusCode, 204);
      });

      test('a channel in use cannot be deleted (409 naming the rule)', async () => {
        const r = (await created('/api/v1/alert-rules', { ...base, name: 'uses-hook', channels: [hookChannel] })) as unknown as Rule;
        const e = assertError(await call('DELETE', `/api/v1/channels/${hookChannel}`), 409, 'conflict');
        assert.match(e.message, /uses-hook/);
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${r.id}`)).statusCode, 204);
      });
    });

    describe('silences', () => {
      test('create (string and object matchers), read, list by status, delete; bad ones 400', async () => {
        clock = T0;
        const s = await created('/api/v1/silences', { matchers: ['host=~"web-.*"', { name: 'env', value: 'dev', isEqual: false }], endsAt: new Date(T0 + 3_600_000).toISOString(), comment: 'deploy' });
        assert.deepEqual(
          (s.matchers as { text: string }[]).map((m) => m.text),
          ['host=~"web-.*"', 'env!="dev"'],
        );
        assert.deepEqual([s.status, s.startsAt, s.comment], ['active', new Date(T0).toISOString(), 'deploy']);
        const later = await created('/api/v1/silences', { matchers: ['host="db"'], startsAt: T0 + 7_200_000, endsAt: T0 + 10_800_000 });
        assert.equal(later.status, 'pending');
        assert.deepEqual((await ok<{ items: { id: string }[] }>('GET', '/api/v1/silences?status=pending')).items.map((x) => x.id), [later.id]);
        assert.ok((await ok<{ items: { id: string }[] }>('GET', '/api/v1/silences?status=active')).items.some((x) => x.id === s.id));
        clock = T0 + 4 * 3_600_000;
        assert.equal((await ok<{ status: string }>('GET', `/api/v1/silences/${s.id}`)).status, 'expired');
        for (const [body, field] of [
          [{ matchers: [], endsAt: T0 + 9e6 }, 'body.matchers'],
          [{ matchers: ['host'], endsAt: T0 + 9e6 }, 'body.matchers[0]'],
          [{ matchers: ['host=~".*"'], endsAt: T0 + 9e6 }, 'body.matchers'],
          [{ matchers: [{ name: 1, value: 'x' }], endsAt: T0 + 9e6 }, 'body.matchers[0].name'],
          [{ matchers: ['a="b"'] }, 'body.endsAt'],
          [{ matchers: ['a="b"'], endsAt: 'tomorrow' }, 'body.endsAt'],
          [{ matchers: ['a="b"'], startsAt: T0 + 9e6, endsAt: T0 + 8e6 }, 'body.endsAt'],
          [{ matchers: ['a="b"'], endsAt: T0 }, 'body.endsAt'],
        ] as const) {
          const e = assertError(await call('POST', '/api/v1/silences', body), 400, 'validation_failed');
          assert.ok((e.details as { field: string }[]).some((d) => d.field === field), `${JSON.stringify(body)} → ${JSON.stringify(e)}`);
        }
        const bad = assertError(await call('POST', '/api/v1/silences', { matchers: ['host=~"("'], endsAt: T0 + 9e6 }), 400, 'invalid_pattern');
        assert.deepEqual((bad.details as { field: string }[]).map((d) => d.field), ['body.matchers[0].value']);
        // Expiring ends it now and keeps it listed (Alertmanager's expire); a pending one ends before it began.
        const current = await created('/api/v1/silences', { matchers: ['host="x"'], endsAt: clock + 3_600_000 });
        const expired = await ok<{ status: string; endsAt: string; startsAt: string }>('POST', `/api/v1/silences/${current.id}/expire`);
        assert.deepEqual([expired.status, expired.endsAt], ['expired', new Date(clock).toISOString()]);
        const pending = await created('/api/v1/silences', { matchers: ['host="y"'], startsAt: clock + 3_600_000, endsAt: clock + 7_200_000 });
        const ended = await ok<{ status: string; endsAt: string; startsAt: string }>('POST', `/api/v1/silences/${pending.id}/expire`);
        assert.equal(ended.status, 'expired');
        assert.ok(Date.parse(ended.startsAt) < Date.parse(ended.endsAt) && Date.parse(ended.endsAt) === clock, JSON.stringify(ended));
        assert.deepEqual(await ok('POST', `/api/v1/silences/${current.id}/expire`), expired, 'expiring twice changes nothing');
        assert.ok((await ok<{ items: { id: string }[] }>('GET', '/api/v1/silences?status=expired')).items.some((x) => x.id === current.id));
        assertError(await call('POST', '/api/v1/silences/00000000-0000-4000-8000-000000000000/expire'), 404, 'not_found');
        for (const id of [s.id, later.id, current.id, pending.id]) assert.equal((await call('DELETE', `/api/v1/silences/${id}`)).statusCode, 204);
        assertError(await call('GET', `/api/v1/silences/${s.id}`), 404, 'not_found');
        assertError(await call('DELETE', `/api/v1/silences/${s.id}`), 404, 'not_found');
        const reader = await t.newKey(['read']);
        assertError(await call('POST', '/api/v1/silences', { matchers: ['a="b"'], endsAt: clock + 9e6 }, reader.secret), 403, 'insufficient_scope');
      });
    });

    describe('lifecycle', () => {
      test('threshold: pending → firing → notified once despite repeated passes → acknowledged → resolved; history and attempts recorded', async () => {
        clock = T0;
        hook.reset();
        const rule = (await created('/api/v1/alert-rules', {
          name: 'cpu high',
          key: 'life.cpu',
          severity: 'critical',
          labels: { team: 'core' },
          channels: [hookChannel],
          condition: { kind: 'threshold', operator: 'gt', value: 0.9, forSeconds: 120 },
        })) as unknown as Rule;
        const tick = async (value: number) => {
          await ingest('life.cpu', [
            { value, at: clock - 1000, dims: { host: 'a' } },
            { value: 0.1, at: clock - 1000, dims: { host: 'b' } },
          ]);
          const p = await evaluate(rule.id);
          await deliverDue(deliveryDeps());
          clock += minute;
          return p;
        };
        let p = await tick(0.95);
        assert.equal(p.seriesCount, 2);
        assert.deepEqual(p.transitions.map((x) => [x.dimensions.host, x.from, x.to]), [['a', null, 'pending']]);
        assert.equal(p.notifications, 0);
        p = await tick(0.96);
        assert.deepEqual(p.transitions, []);
        p = await tick(0.97);
        assert.deepEqual(p.transitions.map((x) => [x.from, x.to]), [['pending', 'firing']]);
        assert.equal(p.notifications, 1);
        const alertId = p.transitions[0]!.alertId;
        for (let i = 0; i < 8; i++) assert.equal((await tick(0.98)).notifications, 0); // repeated passes: deduplicated, then already notified
        assert.equal(hook.verified.length, 1);
        const firing = hook.verified[0]!.body as { type: string; data: { alert: { id: string; state: string; severity: string; labels: Record<string, string>; summary: string } } };
        assert.deepEqual([firing.type, firing.data.alert.id, firing.data.alert.state, firing.data.alert.severity], ['alert.firing', alertId, 'firing', 'critical']);
        assert.deepEqual(firing.data.alert.labels, { host: 'a', team: 'core', __name__: 'life.cpu', alertname: 'cpu high', severity: 'critical' });

        const listed = await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?state=firing&ruleId=${rule.id}`);
        assert.deepEqual(listed.items.map((a) => a.id), [alertId]);
        assert.deepEqual((await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?state=resolved&ruleId=${rule.id}`)).items, []);
        assert.deepEqual((await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?state=open&severity=critical&ruleId=${rule.id}`)).items.length, 1);
        assertError(await call('GET', '/api/v1/alerts?state=burning'), 400, 'validation_failed');

        const ack = await ok<Alert>('POST', `/api/v1/alerts/${alertId}/acknowledge`, { comment: 'looking' });
        assert.deepEqual([ack.state, ack.acknowledgedBy?.kind, ack.acknowledgedBy?.comment], ['acknowledged', 'key', 'looking']);
        assertError(await call('POST', `/api/v1/alerts/${alertId}/acknowledge`), 409, 'conflict');
        await deliverDue(deliveryDeps());
        assert.deepEqual(hook.verified.map((v) => (v.body as { type: string }).type), ['alert.firing', 'alert.acknowledged']);
        assert.equal(((hook.verified[1]!.body as { data: { alert: { actor: { comment: string } } } }).data.alert.actor.comment), 'looking');
        assert.equal((await tick(0.99)).notifications, 0); // acknowledged stays quiet

        // Back to normal: resolved by the evaluator, notified.
        p = await tick(0.5);
        assert.deepEqual(p.transitions.map((x) => [x.from, x.to]), [['acknowledged', 'resolved']]);
        assert.deepEqual(hook.verified.map((v) => (v.body as { type: string }).type), ['alert.firing', 'alert.acknowledged', 'alert.resolved']);
        assertError(await call('POST', `/api/v1/alerts/${alertId}/resolve`), 409, 'conflict');

        const detail = await alertOf(alertId);
        assert.equal(detail.state, 'resolved');
        assert.deepEqual(detail.transitions!.map((x) => [x.from, x.to, x.actor.kind]), [[null, 'pending', 'system'], ['pending', 'firing', 'system'], ['firing', 'acknowledged', 'key'], ['acknowledged', 'resolved', 'system']]);
        assert.deepEqual(detail.notifications!.map((n) => [n.event, n.status, n.attempts, n.attemptLog.map((a) => [a.attempt, a.ok, a.status])]), [
          ['firing', 'delivered', 1, [[1, true, 204]]],
          ['acknowledged', 'delivered', 1, [[1, true, 204]]],
          ['resolved', 'delivered', 1, [[1, true, 204]]],
        ]);
        // The condition again: a new alert with the same fingerprint.
        await tick(0.95);
        const again = await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?ruleId=${rule.id}`);
        assert.equal(again.items.length, 2);
        assert.equal(again.items[0]!.fingerprint, detail.fingerprint);
        assert.equal(again.items[0]!.state, 'pending');
        // Manual resolution of the open one; deleting the rule keeps the history.
        const resolved = await ok<Alert>('POST', `/api/v1/alerts/${again.items[0]!.id}/resolve`);
        assert.equal(resolved.state, 'resolved');
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
        assert.equal((await alertOf(alertId)).state, 'resolved');
        assertError(await call('GET', `/api/v1/alerts/${randomUuid}`), 404, 'not_found');
        assertError(await call('POST', `/api/v1/alerts/${randomUuid}/acknowledge`), 404, 'not_found');
      });

      test('retention: maintenance deletes alerts resolved and silences ended long ago, with their history; open alerts stay', async () => {
        clock = T0 + 8 * 86_400_000;
        const rule = (await created('/api/v1/alert-rules', { name: 'retained', key: 'ret.cpu', condition: { kind: 'threshold', operator: 'gt', value: 1 } })) as unknown as Rule;
        await ingest('ret.cpu', [{ value: 5, at: clock - 1000, dims: { host: 'old' } }, { value: 5, at: clock - 1000, dims: { host: 'open' } }]);
        const fired = await evaluate(rule.id);
        const byHost = new Map(fired.transitions.map((x) => [x.dimensions.host, x.alertId]));
        await ok('POST', `/api/v1/alerts/${byHost.get('old')}/resolve`, { comment: 'done' });
        const silence = await created('/api/v1/silences', { matchers: ['host="old"'], endsAt: clock + 3_600_000 });
        const { runMaintenance } = await import('../src/jobs/maintenance.js');
        // 89 days on: everything kept.
        let r = await runMaintenance(t.sql, new Date(clock + 89 * 86_400_000), { deadLetterRetentionDays: 7, alertRetentionDays: 90 });
        assert.equal((await alertOf(byHost.get('old')!)).state, 'resolved');
        // 91 days on: the resolved alert (transitions and all) and the ended silence are gone.
        r = await runMaintenance(t.sql, new Date(clock + 91 * 86_400_000), { deadLetterRetentionDays: 7, alertRetentionDays: 90 });
        assert.ok(r.deletedAlerts >= 1 && r.deletedSilences >= 1, JSON.stringify(r));
        assertError(await call('GET', `/api/v1/alerts/${byHost.get('old')}`), 404, 'not_found');
        assertError(await call('GET', `/api/v1/silences/${silence.id}`), 404, 'not_found');
        assert.equal((await t.sql.query('SELECT 1 FROM alert_transitions WHERE alert_id = $1', [byHost.get('old')])).rows.length, 0);
        assert.equal((await alertOf(byHost.get('open')!)).state, 'firing');
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
      });

      test('a silence suppresses matching alerts (nothing sent); when it is deleted the alert fires and is notified', async () => {
        clock = T0 + 86_400_000;
        hook.reset();
        const rule = (await created('/api/v1/alert-rules', { name: 'quiet', key: 'sil.cpu', channels: [hookChannel], condition: { kind: 'threshold', operator: 'gt', value: 1 } })) as unknown as Rule;
        const s = await created('/api/v1/silences', { matchers: ['host="a"', 'alertname="quiet"'], endsAt: clock + 3_600_000 });
        await ingest('sil.cpu', [{ value: 5, at: clock - 1000, dims: { host: 'a' } }, { value: 5, at: clock - 1000, dims: { host: 'b' } }]);
        const p = await evaluate(rule.id);
        assert.deepEqual(p.transitions.map((x) => [x.dimensions.host, x.to]).sort(), [['a', 'suppressed'], ['b', 'firing']]);
        await deliverDue(deliveryDeps());
        assert.deepEqual(hook.verified.map((v) => (v.body as { data: { alert: { labels: { host: string } } } }).data.alert.labels.host), ['b']);
        const suppressed = (await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?state=suppressed&ruleId=${rule.id}`)).items;
        assert.equal(suppressed[0]!.silenceId, s.id);
        assert.equal((await call('DELETE', `/api/v1/silences/${s.id}`)).statusCode, 204);
        clock += minute;
        await ingest('sil.cpu', [{ value: 5, at: clock - 1000, dims: { host: 'a' } }]);
        const p2 = await evaluate(rule.id);
        assert.deepEqual(p2.transitions.map((x) => [x.dimensions.host, x.from, x.to]), [['a', 'suppressed', 'firing']]);
        await deliverDue(deliveryDeps());
        assert.deepEqual(hook.verified.map((v) => (v.body as { data: { alert: { labels: { host: string } } } }).data.alert.labels.host), ['b', 'a']);
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
        // Deleting the rule resolved its open alerts and told the channel.
        await deliverDue(deliveryDeps());
        assert.deepEqual(hook.verified.slice(2).map((v) => (v.body as { type: string }).type), ['alert.resolved', 'alert.resolved']);
      });

      test('changing the rule so a series no longer matches resolves its open alert', async () => {
        clock = T0 + 7 * 86_400_000;
        const rule = (await created('/api/v1/alert-rules', { name: 'moving', key: 'mv.a', channels: [hookChannel], condition: { kind: 'threshold', operator: 'gt', value: 1 } })) as unknown as Rule;
        hook.reset();
        await ingest('mv.a', [{ value: 5, at: clock - 1000, dims: { host: 'x' } }]);
        const p = await evaluate(rule.id);
        assert.deepEqual(p.transitions.map((x) => x.to), ['firing']);
        await deliverDue(deliveryDeps());
        // The rule no longer names the channel either: the channel told of the firing still hears of the resolution.
        await ok('PATCH', `/api/v1/alert-rules/${rule.id}`, { key: 'mv.b', channels: [] });
        clock += minute;
        const p2 = await evaluate(rule.id);
        assert.equal(p2.seriesCount, 0);
        assert.deepEqual(p2.transitions.map((x) => [x.alertId, x.from, x.to, x.dimensions]), [[p.transitions[0]!.alertId, 'firing', 'resolved', { host: 'x' }]]);
        assert.equal(p2.notifications, 1);
        const a = await alertOf(p.transitions[0]!.alertId);
        assert.equal(a.transitions!.at(-1)!.actor.comment, 'the series no longer matches the rule');
        await deliverDue(deliveryDeps());
        assert.deepEqual(hook.verified.map((v) => (v.body as { type: string }).type), ['alert.firing', 'alert.resolved']);
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
      });

      test('missing data: a series that stops reporting fires; data arriving resolves it', async () => {
        clock = T0 + 2 * 86_400_000;
        const rule = (await created('/api/v1/alert-rules', { name: 'heartbeat', key: 'md.beat', condition: { kind: 'missing_data', expectedIntervalMs: 5 * minute } })) as unknown as Rule;
        await ingest('md.beat', [{ value: 1, at: clock - minute, dims: { job: 'a' } }, { value: 1, at: clock - minute, dims: { job: 'b' } }]);
        let p = await evaluate(rule.id);
        assert.deepEqual(p.transitions, []);
        clock += 10 * minute;
        await ingest('md.beat', [{ value: 1, at: clock - minute, dims: { job: 'b' } }]); // b keeps reporting, a stopped
        p = await evaluate(rule.id);
        assert.deepEqual(p.transitions.map((x) => [x.dimensions.job, x.to]), [['a', 'firing']]);
        const a = await alertOf(p.transitions[0]!.alertId);
        assert.match(a.summary, /md\.beat\{job=a\}/);
        clock += minute;
        await ingest('md.beat', [{ value: 1, at: clock - 1000, dims: { job: 'a' } }]);
        p = await evaluate(rule.id);
        assert.deepEqual(p.transitions.map((x) => [x.dimensions.job, x.from, x.to]), [['a', 'firing', 'resolved']]);
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
      });

      test('anomaly rule: detection stores the anomaly and the alert links to it', async () => {
        clock = T0 + 3 * 86_400_000;
        const start = clock - 600 * minute;
        const points = Array.from({ length: 600 }, (_, i) => ({ value: i === 597 ? 500 : 10 + Math.sin(i * 3.3) * 0.2, at: start + i * minute, dims: { host: 'a' } }));
        await ingest('an.latency', points);
        const rule = (await created('/api/v1/alert-rules', { name: 'latency anomaly', key: 'an.latency', condition: { kind: 'anomaly', minSeverity: 'low' } })) as unknown as Rule;
        const p = await evaluate(rule.id);
        assert.deepEqual(p.errors, []);
        assert.deepEqual(p.transitions.map((x) => x.to), ['firing']);
        const a = await alertOf(p.transitions[0]!.alertId);
        assert.ok(a.anomalyId);
        const stored = await ok<{ value: number; timestamp: string }>('GET', `/api/v1/anomalies/${a.anomalyId}`);
        assert.deepEqual([stored.value, stored.timestamp], [500, new Date(start + 597 * minute).toISOString()]);
        assert.equal(a.details.anomalyId, a.anomalyId);
        // The same anomaly does not open a second alert at the next pass.
        clock += minute;
        assert.deepEqual((await evaluate(rule.id)).transitions, []);
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
      });

      test('forecast rule: fires when the forecast crosses the value within the horizon', async () => {
        clock = T0 + 4 * 86_400_000;
        const start = clock - 48 * 12 * 5 * minute;
        // A steady climb at 5-minute steps: the forecast keeps climbing past 1000 within 6 hours.
        const points = Array.from({ length: 48 * 12 }, (_, i) => ({ value: 100 + i, at: start + i * 5 * minute }));
        await ingest('fc.disk', points);
        const rule = (await created('/api/v1/alert-rules', { name: 'disk full soon', key: 'fc.disk', condition: { kind: 'forecast', horizonHours: 6, operator: 'gt', value: 700 } })) as unknown as Rule;
        const p = await evaluate(rule.id);
        assert.deepEqual(p.errors, []);
        assert.deepEqual(p.transitions.map((x) => x.to), ['firing']);
        const a = await alertOf(p.transitions[0]!.alertId);
        assert.ok(typeof a.details.predictedBreachAt === 'string', JSON.stringify(a.details));
        const stored = await ok<{ items: unknown[] }>('GET', '/api/v1/forecasts?key=fc.disk');
        assert.equal(stored.items.length, 1);
        // Within the same 5-minute step the stored forecast is reused, not made again.
        clock += minute;
        await evaluate(rule.id);
        assert.equal((await ok<{ items: unknown[] }>('GET', '/api/v1/forecasts?key=fc.disk')).items.length, 1);
        assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
      });
    });

    describe('deliveries', () => {
      test('retryable failures use up the attempts: dead, listed, every attempt recorded; a retry by hand delivers', async () => {
        clock = T0 + 5 * 86_400_000;
        const flaky = await startHttpReceiver([503, 503, 503, 503, 503]);
        try {
          const ch = await created('/api/v1/channels', { name: 'flaky', type: 'webhook', config: { url: `${flaky.url}/x`, secret } });
          const rule = (await created('/api/v1/alert-rules', { name: 'flaky rule', key: 'dl.cpu', channels: [ch.id], condition: { kind: 'threshold', operator: 'gt', value: 1 } })) as unknown as Rule;
          await ingest('dl.cpu', [{ value: 5, at: clock - 1000 }]);
          assert.equal((await evaluate(rule.id)).notifications, 1);
          assert.deepEqual(await deliverDue(deliveryDeps()), { delivered: 0, dead: 1, requeued: 0 });
          assert.equal(flaky.received.length, 5);
          const dead = await ok<{ items: { id: string; status: string; attempts: number; lastError: string; channelId: string }[] }>('GET', '/api/v1/deliveries?status=dead&event=firing');
          const d = dead.items.find((x) => x.channelId === ch.id)!;
          assert.deepEqual([d.status, d.attempts], ['dead', 5]);
          assert.match(d.lastError, /503/);
          const full = await ok<{ attemptLog: { attempt: number; status: number; retryable: boolean }[] }>('GET', `/api/v1/deliveries/${d.id}`);
          assert.deepEqual(full.attemptLog.map((a) => [a.attempt, a.status, a.retryable]), [1, 2, 3, 4, 5].map((n) => [n, 503, true]));
          assertError(await call('POST', `/api/v1/deliveries/${randomUuid}/retry`), 404, 'not_found');
          const retried = await call('POST', `/api/v1/deliveries/${d.id}/retry`);
          assert.equal(retried.statusCode, 202, retried.body);
          assert.deepEqual([retried.json().status, retried.json().maxAttempts], ['pending', 10]);
          assertError(await call('POST', `/api/v1/deliveries/${d.id}/retry`), 409, 'conflict');
          assert.deepEqual(await deliverDue(deliveryDeps()), { delivered: 1, dead: 0, requeued: 0 });
          const after = await ok<{ status: string; attempts: number; attemptLog: { attempt: number; ok: boolean }[] }>('GET', `/api/v1/deliveries/${d.id}`);
          assert.deepEqual([after.status, after.attempts, after.attemptLog.at(-1)], ['delivered', 6, { ...after.attemptLog.at(-1)!, attempt: 6, ok: true }]);
          // A permanent failure (400) is dead at once.
          flaky.script(400);
          await ok('POST', `/api/v1/alerts/${(await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?ruleId=${rule.id}`)).items[0]!.id}/resolve`);
          assert.deepEqual(await deliverDue(deliveryDeps()), { delivered: 0, dead: 1, requeued: 0 });
          // A worker that died mid-delivery: once its lease runs out, another claims the delivery.
          flaky.reset();
          await t.sql.query(`UPDATE notification_deliveries SET status = 'delivering', lease_until = $2 WHERE id = $1`, [d.id, new Date(clock - 1000)]);
          assert.deepEqual(await deliverDue(deliveryDeps()), { delivered: 1, dead: 0, requeued: 0 });
          assert.equal(flaky.received.length, 1);
          await t.sql.query(`UPDATE notification_deliveries SET status = 'delivering', lease_until = $2 WHERE id = $1`, [d.id, new Date(clock + 60_000)]);
          assert.deepEqual(await deliverDue(deliveryDeps()), { delivered: 0, dead: 0, requeued: 0 }); // still leased: left alone
          const reader = await t.newKey(['read']);
          assertError(await call('POST', `/api/v1/deliveries/${d.id}/retry`, undefined, reader.secret), 403, 'insufficient_scope');
          assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
        } finally {
          await flaky.close();
        }
      });
    });

    describe('scheduled evaluation', () => {
      test('due rules are evaluated once per interval however many evaluators tick; disabled rules never', async () => {
        clock = T0 + 6 * 86_400_000 + 3000; // 3 s past the minute, as a cron tick runs
        const rule = (await created('/api/v1/alert-rules', { name: 'scheduled', key: 'sch.cpu', evaluationIntervalSeconds: 120, condition: { kind: 'threshold', operator: 'gt', value: 1 } })) as unknown as Rule;
        const off = (await created('/api/v1/alert-rules', { name: 'scheduled off', key: 'sch.cpu', enabled: false, condition: { kind: 'threshold', operator: 'gt', value: 1 } })) as unknown as Rule;
        await ingest('sch.cpu', [{ value: 5, at: clock - 1000 }]);
        await Promise.all([tickAlertRules(alertingDeps()), tickAlertRules(alertingDeps())]);
        // Claimed once: one alert with one transition.
        const [only] = (await ok<{ items: Alert[] }>('GET', `/api/v1/alerts?ruleId=${rule.id}`)).items;
        assert.deepEqual((await alertOf(only!.id)).transitions!.map((x) => x.to), ['firing']);
        const after1 = await ok<Rule>('GET', `/api/v1/alert-rules/${rule.id}`);
        // Next time: the minute of the claim + the interval, so a tick a few seconds late still finds it due.
        assert.deepEqual([after1.lastEvaluatedAt, after1.nextEvaluationAt], [new Date(clock).toISOString(), new Date(clock - 3000 + 120_000).toISOString()]);
        const evaluatedAt = async () => (await ok<Rule>('GET', `/api/v1/alert-rules/${rule.id}`)).lastEvaluatedAt;
        clock += minute;
        await tickAlertRules(alertingDeps());
        assert.equal(await evaluatedAt(), new Date(clock - minute).toISOString());
        clock += minute;
        await tickAlertRules(alertingDeps());
        assert.equal(await evaluatedAt(), new Date(clock).toISOString());
        assert.equal((await ok<Rule>('GET', `/api/v1/alert-rules/${off.id}`)).lastEvaluatedAt, null);
        for (const id of [rule.id, off.id]) assert.equal((await call('DELETE', `/api/v1/alert-rules/${id}`)).statusCode, 204);
      });

      test('the job registry runs alert-evaluator and notification-delivery every minute', () => {
        const defs = jobDefinitions(testDeps({ sql: t.sql, now }));
        const byName = new Map(defs.map((d) => [d.name, d]));
        assert.equal(byName.get('alert-evaluator')?.cron, '* * * * *');
        assert.equal(byName.get('notification-delivery')?.cron, '* * * * *');
      });
    });
  });
}
