// Forwarding to a real Alertmanager (Debian's prometheus-alertmanager 0.25), on both stores, through
// the real job queue: a rule fires, the `alertmanager` channel posts the alert, Alertmanager's own API
// shows it active with the platform's labels and annotations, the minute re-send keeps it valid, and
// the resolution reaches it. Alertmanager's own webhook (routed to a local receiver) is the reference
// for the platform's `format: "alertmanager"` webhook body: same keys, same value types, same alerts.
//
// Alertmanager judges `endsAt` by its real clock, so the injected clock runs almost three minutes
// behind the real one: a firing alert (valid until clock + 4 min) is then active there, and a
// resolution time (two injected minutes later) is already past, as it is in production.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../src/core/logger.js';
import { JobQueue } from '../src/jobs/queue.js';
import { jobDefinitions, notificationDeliveryJob } from '../src/jobs/registry.js';
import { insertAlerts, type NewAlert } from '../src/alert/alerts-store.js';
import { createChannel } from '../src/alert/channels-store.js';
import { listDeliveries } from '../src/alert/deliveries-store.js';
import { maxResendAlerts, resendGroupKey, resendToAlertmanagers } from '../src/alert/forward.js';
import { createRule } from '../src/alert/store.js';
import { labelsFingerprint } from '../src/notify/alertmanager/alert.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { makeRule } from './helpers/alert-rules.js';
import { startAlertmanager, webhookRouteConfig, type RunningAlertmanager } from './helpers/alertmanager.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { minute } from './helpers/ingest.js';
import { loopbackOutbound, startHttpReceiver, startWebhookReceiver, type HttpReceiver, type WebhookReceiver } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';
import { runJobOn, until } from './helpers/jobs.js';

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const publicUrl = 'https://iv.example.com';

/** An alert as Alertmanager's `GET /api/v2/alerts` shows it. */
interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  fingerprint: string;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
  receivers: { name: string }[];
}

/** An Alertmanager webhook message (version 4), as the receivers got it. */
interface Message {
  status: string;
  receiver: string;
  groupKey: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string; generatorURL: string; fingerprint: string }[];
  [key: string]: unknown;
}

const maps = new Set(['labels', 'annotations', 'groupLabels', 'commonLabels', 'commonAnnotations']);

/** The shape of a JSON value: keys and value types, string maps as `map<string>`, arrays by their elements. */
function shape(v: unknown, key = ''): unknown {
  if (maps.has(key)) {
    assert.ok(v && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string'), `${key} is a map of strings`);
    return 'map<string>';
  }
  if (Array.isArray(v)) return [...new Set(v.map((x) => JSON.stringify(shape(x))))].map((s) => JSON.parse(s) as unknown);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k], k)]));
  return v === null ? 'null' : typeof v;
}

/** The alert of a message without what only says who sent it. */
const alertPart = (m: Message) => m.alerts.map(({ status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint }) => ({ status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint }));

for (const kind of storeKinds) {
  describe(`forwarding to a real Alertmanager (${kind.name})`, () => {
    // 170 s behind the real clock: the first post is valid until about 70 s from now (real time), and
    // the resolution two minutes on is 50 s in the past.
    let clock = Math.floor(Date.now() / 1000) * 1000 - 170_000;
    const now = () => new Date(clock);
    let am: RunningAlertmanager;
    let amHook: HttpReceiver; // where Alertmanager sends its notifications
    let ivHook: WebhookReceiver; // the platform's webhook channel in Alertmanager's format
    let t: TestApp;
    let app: TestApp;
    let queue: JobQueue;

    before(async () => {
      amHook = await startHttpReceiver();
      ivHook = await startWebhookReceiver(secret, { now });
      am = await startAlertmanager(webhookRouteConfig('team-web', `${amHook.url}/from-alertmanager`));
      t = await startTestApp({ kind, now });
      queue = await JobQueue.start({
        sql: t.sql,
        logger: createLogger({ level: 'silent' }),
        schema: kind.name === 'postgres' ? `${t.store.namespace}_boss` : undefined,
        definitions: jobDefinitions(testDeps({ sql: t.sql, now, alerting: { publicUrl, sleep: async () => undefined, outbound: loopbackOutbound } })),
        pollingIntervalSeconds: 0.5,
        schedule: false,
      });
      app = await startTestApp({ kind, store: t.store, now, jobs: queue, alerting: { publicUrl, outbound: loopbackOutbound } });
    });
    after(async () => {
      await app?.app.close();
      await queue?.stop();
      await t?.close();
      await am?.stop();
      await Promise.all([amHook?.close(), ivHook?.close()]);
    });

    const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
      const r = await app.app.inject({ method, url, headers: bearer(t.adminKey), ...(payload ? { payload } : {}) });
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json();
    };
    const runJob = (name: string) => runJobOn(queue, name);
    const ingest = (value: number) => api('POST', '/api/v1/ingest', { metrics: [{ key: 'am.cpu', value, timestamp: clock - 1000, dimensions: { host: 'web-1', 'dc.zone': 'eu-1' } }] });
    const amAlerts = () => am.get<GettableAlert[]>('/api/v2/alerts');
    /** Every delivery so far is delivered. */
    const allDelivered = async () => {
      const d = await api('GET', '/api/v1/deliveries?limit=100');
      return d.items.every((x: { status: string }) => x.status === 'delivered');
    };

    test('firing → active in Alertmanager (kept by the re-send) → resolved there; its webhook and ours agree', async () => {
      const amChannel = await api('POST', '/api/v1/channels', { name: 'team-am', type: 'alertmanager', config: { url: am.url } });
      assert.deepEqual(amChannel.config, { url: `${am.url}/` });
      const hookChannel = await api('POST', '/api/v1/channels', { name: 'am-format-hook', type: 'webhook', config: { url: `${ivHook.url}/hook`, secret, format: 'alertmanager' } });
      assert.equal(hookChannel.config.format, 'alertmanager');

      // The channel test posts an empty list, which the real Alertmanager accepts, and raises nothing.
      const tested = await api('POST', `/api/v1/channels/${amChannel.id}/test`);
      assert.deepEqual([tested.ok, tested.status], [true, 200]);
      assert.deepEqual(await amAlerts(), []);

      const rule = await api('POST', '/api/v1/alert-rules', {
        name: `CPU high ${kind.name}`,
        key: 'am.cpu',
        severity: 'critical',
        labels: { team: 'web' },
        annotations: { runbook: 'https://wiki.example.com/cpu' },
        channels: [amChannel.id, hookChannel.id],
        condition: { kind: 'threshold', operator: 'gt', value: 0.9, forSeconds: 0 },
      });

      // The value crosses: firing at once, told to both channels.
      await ingest(0.97);
      assert.deepEqual(await runJob('alert-evaluator'), { rules: 1, failed: 0, transitions: 1, notifications: 2 });
      const [alert] = (await api('GET', `/api/v1/alerts?ruleId=${rule.id}`)).items;
      assert.equal(alert.state, 'firing');
      await until('Alertmanager has the alert', async () => (await amAlerts()).length === 1);
      const labels = { __name__: 'am.cpu', alertname: `CPU high ${kind.name}`, dc_zone: 'eu-1', host: 'web-1', severity: 'critical', team: 'web' };
      let [active] = await amAlerts();
      assert.deepEqual(active!.labels, labels);
      assert.deepEqual(active!.annotations, { runbook: 'https://wiki.example.com/cpu', summary: alert.summary });
      assert.deepEqual([active!.status.state, active!.receivers.map((r) => r.name), active!.generatorURL], ['active', ['team-web'], `${publicUrl}/api/v1/alerts/${alert.id}`]);
      assert.equal(Date.parse(active!.startsAt), clock);
      assert.equal(Date.parse(active!.endsAt), clock + 4 * minute);
      // The platform computes Alertmanager's own fingerprint of the labels.
      assert.equal(active!.fingerprint, labelsFingerprint(labels));

      // Alertmanager notifies its receiver after group_wait; the platform's webhook in its format got the same event.
      await until("Alertmanager's firing notification", () => amHook.received.length === 1);
      await until("the platform's webhook", () => ivHook.verified.length === 1);
      const theirs = amHook.received[0]!.json as Message;
      const ours = ivHook.verified[0]!.body as Message;
      assert.deepEqual(shape(ours), shape(theirs));
      assert.deepEqual(Object.keys(ours), Object.keys(theirs));
      assert.deepEqual(alertPart(ours), alertPart(theirs));
      assert.deepEqual([ours.status, theirs.status, ours.alerts[0]!.endsAt], ['firing', 'firing', '0001-01-01T00:00:00Z']);
      assert.deepEqual([theirs.receiver, theirs.version, ours.version, ours.externalURL], ['team-web', '4', '4', publicUrl]);
      assert.deepEqual(ours.commonLabels, theirs.commonLabels);
      assert.deepEqual(ours.commonAnnotations, theirs.commonAnnotations);
      await until('the deliveries recorded', allDelivered);

      // A minute later the re-send job posts the firing alert again, valid four minutes from then.
      clock += minute;
      assert.deepEqual(await runJob('alertmanager-resend'), { queued: 1 });
      await runJob(notificationDeliveryJob);
      await until('Alertmanager has the re-sent alert', async () => Date.parse((await amAlerts())[0]!.endsAt) === clock + 4 * minute);
      [active] = await amAlerts();
      assert.equal(active!.status.state, 'active');
      assert.equal(Date.parse(active!.startsAt), clock - minute);
      const resend = (await api('GET', `/api/v1/deliveries?channelId=${amChannel.id}&limit=10`)).items[0];
      assert.deepEqual([resend.event, resend.status, resend.alertId], ['firing', 'delivered', null]);

      // Back to normal: the resolved event carries the resolution time, and Alertmanager no longer lists it as active.
      clock += minute;
      await ingest(0.3);
      assert.deepEqual(await runJob('alert-evaluator'), { rules: 1, failed: 0, transitions: 1, notifications: 2 });
      await until('Alertmanager resolved the alert', async () => (await amAlerts()).length === 0);
      const resolvedAt = new Date(clock).toISOString();
      await until("Alertmanager's resolved notification", () => amHook.received.some((r) => (r.json as Message).status === 'resolved'));
      await until("the platform's resolved webhook", () => ivHook.verified.length === 2);
      const theirResolved = amHook.received.find((r) => (r.json as Message).status === 'resolved')!.json as Message;
      const ourResolved = ivHook.verified[1]!.body as Message;
      assert.deepEqual(shape(ourResolved), shape(theirResolved));
      assert.deepEqual(alertPart(ourResolved), alertPart(theirResolved));
      assert.deepEqual([theirResolved.alerts[0]!.status, Date.parse(theirResolved.alerts[0]!.endsAt)], ['resolved', Date.parse(resolvedAt)]);
      await until('the deliveries recorded', allDelivered);

      // Nothing active: the re-send has nothing to send.
      clock += minute;
      assert.deepEqual(await runJob('alertmanager-resend'), { queued: 0 });
    });
  });
}

for (const kind of storeKinds) {
  describe(`what the minute re-send forwards (${kind.name})`, () => {
    test('the firing and acknowledged alerts of enabled rules naming each enabled alertmanager channel, one bounded message per channel, per org', async () => {
      const store = await kind.open();
      try {
        const sql = store.sql;
        await migrate(sql, loadMigrations());
        const at = new Date(Date.UTC(2026, 11, 1, 12, 0, 0));
        const [acme, other] = [await createOrg(sql, { name: 'Acme' }), await createOrg(sql, { name: 'Other' })];
        const channel = async (orgId: string, name: string, type: string, enabled = true) =>
          (await createChannel(sql, orgId, { name, type, config: type === 'alertmanager' ? { url: 'https://am.example.com' } : { url: 'https://hooks.example.com/x', secret }, enabled }, at))!;
        const am = await channel(acme.id, 'am', 'alertmanager');
        const amOff = await channel(acme.id, 'am-off', 'alertmanager', false);
        const hook = await channel(acme.id, 'hook', 'webhook');
        const otherAm = await channel(other.id, 'am', 'alertmanager');
        const { id: _id, orgId: _org, ...base } = makeRule({ kind: 'threshold', operator: 'gt', value: 1, forSeconds: 0 });
        const rule = async (orgId: string, name: string, channels: string[], enabled = true) => (await createRule(sql, orgId, { ...base, name, channels, enabled }, at)).id;
        const cpu = await rule(acme.id, 'cpu', [am.id, amOff.id, hook.id]);
        const disk = await rule(acme.id, 'disk', [hook.id]);
        const paused = await rule(acme.id, 'paused', [am.id], false);
        const elsewhere = await rule(other.id, 'cpu', [otherAm.id]);
        let n = 0;
        const alert = (ruleId: string, state: NewAlert['state'], firedAtMs: number): NewAlert => ({
          ruleId, ruleName: 'cpu', ruleKind: 'threshold', seriesId: null, key: 'cpu', dimensions: { host: `h${++n}` }, fingerprint: `fp-${n}`, state, severity: 'critical',
          labels: { alertname: 'cpu', severity: 'critical', host: `h${n}` }, annotations: {}, value: 2, summary: `cpu h${n}`, details: {}, anomalyId: null,
          startedAt: new Date(firedAtMs), firedAt: state === 'pending' ? null : new Date(firedAtMs), endedAt: state === 'resolved' ? at : null, silenceId: null,
          acknowledgedAt: null, acknowledgedBy: null, resolvedBy: null, notificationCount: 0, lastNotifiedAt: null, lastEvent: null,
        });
        const t0 = at.getTime() - 3_600_000;
        await insertAlerts(sql, acme.id, [
          alert(cpu, 'acknowledged', t0 + 2000), // h1
          alert(cpu, 'firing', t0 + 1000), // h2: fired first
          ...(['pending', 'resolved', 'suppressed'] as const).map((s) => alert(cpu, s, t0)),
          alert(disk, 'firing', t0),
          alert(paused, 'firing', t0),
        ], at);
        await insertAlerts(sql, other.id, [alert(elsewhere, 'firing', t0)], at);

        assert.equal(await resendToAlertmanagers({ sql, now: () => at, publicUrl: 'https://iv.example.com/' }), 2);
        const [d] = (await listDeliveries(sql, acme.id, { limit: 10 })).items;
        assert.deepEqual([(await listDeliveries(sql, acme.id, { limit: 10 })).items.length, d!.channelId, d!.event, d!.alertId, d!.maxAttempts, d!.status], [1, am.id, 'firing', null, 1, 'pending']);
        const g = d!.payload.group!;
        assert.deepEqual([g.key, g.labels, g.receiver, g.status, g.truncatedAlerts], [resendGroupKey, {}, 'am', 'firing', 0]);
        assert.deepEqual(g.alerts.map((a) => [a.labels.host, a.state, a.url?.startsWith('https://iv.example.com/api/v1/alerts/')]), [['h2', 'firing', true], ['h1', 'acknowledged', true]]);
        assert.deepEqual([d!.payload.alert.labels.host, d!.payload.org, d!.payload.externalUrl], ['h2', { id: acme.id, name: 'Acme' }, 'https://iv.example.com']);
        const [od] = (await listDeliveries(sql, other.id, { limit: 10 })).items;
        assert.deepEqual([od!.channelId, od!.payload.group!.alerts.length, od!.payload.org.name], [otherAm.id, 1, 'Other']);

        // More than a message holds: the oldest are sent, the rest counted.
        await insertAlerts(sql, other.id, Array.from({ length: maxResendAlerts + 4 }, (_, i) => alert(elsewhere, 'firing', t0 + 1000 + i)), at);
        assert.equal(await resendToAlertmanagers({ sql, now: () => new Date(at.getTime() + 60_000) }), 2);
        const [big] = (await listDeliveries(sql, other.id, { limit: 1 })).items;
        assert.deepEqual([big!.payload.group!.alerts.length, big!.payload.group!.truncatedAlerts, big!.payload.externalUrl], [maxResendAlerts, 5, null]);
      } finally {
        await store.drop();
      }
    });
  });
}
