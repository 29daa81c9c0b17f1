// The alerting story end to end, on both stores, through the real job queue (pg-boss) and real local
// receivers: an SMTP server, a Slack-like webhook, a Standard Webhooks consumer that verifies the
// signature, and a PagerDuty Events API v2 receiver. The clock is injected; nothing sleeps for time
// to pass, only for the queue's workers to pick jobs up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../src/core/logger.js';
import { JobQueue } from '../src/jobs/queue.js';
import { jobDefinitions, notificationDeliveryJob } from '../src/jobs/registry.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { minute } from './helpers/ingest.js';
import {
  loopbackOutbound,
  startPagerDutyReceiver,
  startSlackReceiver,
  startSmtpReceiver,
  startWebhookReceiver,
  type PagerDutyReceiver,
  type SlackReceiver,
  type SmtpReceiver,
  type WebhookReceiver,
} from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';
import { runJobOn, until } from './helpers/jobs.js';

const T0 = Date.UTC(2026, 10, 24, 9, 0, 2); // two seconds into a minute, as a cron tick runs
const secret = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const routingKey = 'E2ER0UT1NGKEYE2ER0UT1NGKEYE2E123';
const slackPath = '/services/T0E2E/B0E2E/slacksecretpath';

for (const kind of storeKinds) {
  describe(`alerting end to end (${kind.name})`, () => {
    let clock = T0;
    const now = () => new Date(clock);
    let t: TestApp;
    let queue: JobQueue;
    let app: TestApp; // the API with the queue: actions enqueue delivery jobs
    let smtp: SmtpReceiver;
    let slack: SlackReceiver;
    let hook: WebhookReceiver;
    let pd: PagerDutyReceiver;

    before(async () => {
      [smtp, slack, hook, pd] = await Promise.all([startSmtpReceiver(), startSlackReceiver({ path: slackPath }), startWebhookReceiver(secret, { now }), startPagerDutyReceiver({ routingKey })]);
      t = await startTestApp({ kind, now });
      queue = await JobQueue.start({
        sql: t.sql,
        logger: createLogger({ level: 'silent' }),
        schema: kind.name === 'postgres' ? `${t.store.namespace}_boss` : undefined,
        definitions: jobDefinitions(testDeps({ sql: t.sql, now, alerting: { publicUrl: 'https://iv.example.com', sleep: async () => undefined, outbound: loopbackOutbound } })),
        pollingIntervalSeconds: 0.5,
        schedule: false,
      });
      app = await startTestApp({ kind, store: t.store, now, jobs: queue, alerting: { publicUrl: 'https://iv.example.com', outbound: loopbackOutbound } });
    });
    after(async () => {
      await app.app.close();
      await queue.stop();
      await t.close();
      await Promise.all([smtp.close(), slack.close(), hook.close(), pd.close()]);
    });

    const api = async (method: 'GET' | 'POST', url: string, payload?: object) => {
      const r = await app.app.inject({ method, url, headers: bearer(t.adminKey), ...(payload ? { payload } : {}) });
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json();
    };
    const runJob = (name: string) => runJobOn(queue, name);
    const ingest = (value: number) =>
      api('POST', '/api/v1/ingest', {
        metrics: [
          { key: 'e2e.cpu', value, timestamp: clock - 1000, dimensions: { host: 'web-1' } },
          { key: 'e2e.cpu', value: 0.2, timestamp: clock - 1000, dimensions: { host: 'web-2' } },
        ],
      });
    const counts = () => [smtp.received.length, slack.messages.length, hook.verified.length, pd.events.length];

    test('ingest → pending → firing → notified once → acknowledged → back to normal → resolved everywhere', async () => {
      const channels = await Promise.all([
        api('POST', '/api/v1/channels', { name: 'mail', type: 'email', config: { host: smtp.host, port: smtp.port, ignoreTLS: true, from: 'IntentVision <alerts@iv.example.com>', to: ['oncall@example.com'] } }),
        api('POST', '/api/v1/channels', { name: 'slack', type: 'slack', config: { url: `${slack.url}${slackPath}` } }),
        api('POST', '/api/v1/channels', { name: 'hook', type: 'webhook', config: { url: `${hook.url}/alerts`, secret } }),
        api('POST', '/api/v1/channels', { name: 'pagerduty', type: 'pagerduty', config: { routingKey, eventsUrl: `${pd.url}/v2/enqueue` } }),
      ]);
      const rule = await api('POST', '/api/v1/alert-rules', {
        name: 'CPU saturated',
        key: 'e2e.cpu',
        severity: 'critical',
        labels: { team: 'web' },
        annotations: { runbook: 'https://wiki.example.com/cpu' },
        channels: channels.map((c: { id: string }) => c.id),
        dedupWindowSeconds: 300,
        condition: { kind: 'threshold', operator: 'gt', value: 0.9, forSeconds: 120 },
      });

      // 09:00 the value crosses: pending, nobody told.
      await ingest(0.95);
      assert.deepEqual(await runJob('alert-evaluator'), { rules: 1, failed: 0, transitions: 1, notifications: 0 });
      let [alert] = (await api('GET', `/api/v1/alerts?ruleId=${rule.id}`)).items;
      assert.deepEqual([alert.state, alert.dimensions], ['pending', { host: 'web-1' }]);

      // 09:01 still pending; 09:02 it has held for 2 minutes: firing, one notification per channel.
      clock += minute;
      await ingest(0.96);
      assert.equal((await runJob('alert-evaluator')).transitions, 0);
      clock += minute;
      await ingest(0.97);
      assert.deepEqual(await runJob('alert-evaluator'), { rules: 1, failed: 0, transitions: 1, notifications: 4 });
      await until('the firing notifications', () => counts().every((n) => n === 1));

      // Repeated passes while it stays firing: nothing more.
      for (let i = 0; i < 3; i++) {
        clock += minute;
        await ingest(0.98);
        assert.equal((await runJob('alert-evaluator')).notifications, 0);
      }
      await runJob(notificationDeliveryJob);
      assert.deepEqual(counts(), [1, 1, 1, 1]);
      [alert] = (await api('GET', `/api/v1/alerts?ruleId=${rule.id}`)).items;
      assert.equal(alert.state, 'firing');

      const mail = smtp.received[0]!;
      assert.match(mail.subject, /FIRING/);
      assert.match(mail.subject, /CPU saturated/);
      assert.deepEqual(mail.envelope.to, ['oncall@example.com']);
      assert.match(mail.text ?? '', /e2e\.cpu\{host=web-1\} > 0\.9/);
      assert.match(JSON.stringify(slack.messages[0]), /CPU saturated/);
      const signed = hook.verified[0]!.body as { type: string; data: { alert: { id: string; fingerprint: string; url: string; labels: Record<string, string>; annotations: Record<string, string> } } };
      assert.deepEqual([signed.type, signed.data.alert.id, signed.data.alert.url], ['alert.firing', alert.id, `https://iv.example.com/api/v1/alerts/${alert.id}`]);
      assert.deepEqual(signed.data.alert.labels, { host: 'web-1', team: 'web', __name__: 'e2e.cpu', alertname: 'CPU saturated', severity: 'critical' });
      assert.deepEqual(hook.refused, []);
      const trigger = pd.events[0]!;
      assert.deepEqual([trigger.event_action, trigger.dedup_key, (trigger.payload as { severity: string }).severity], ['trigger', alert.fingerprint, 'critical']);

      // 09:06 the on-call engineer acknowledges: PagerDuty gets acknowledge on the same incident.
      clock += minute;
      const acked = await api('POST', `/api/v1/alerts/${alert.id}/acknowledge`, { comment: 'investigating' });
      assert.equal(acked.state, 'acknowledged');
      await until('the acknowledgements', () => counts().every((n) => n === 2));
      assert.deepEqual([pd.events[1]!.event_action, pd.events[1]!.dedup_key], ['acknowledge', alert.fingerprint]);
      assert.equal((hook.verified[1]!.body as { type: string }).type, 'alert.acknowledged');
      assert.match(smtp.received[1]!.subject, /ACKNOWLEDGED/);

      // Still high while acknowledged: quiet.
      await ingest(0.99);
      assert.equal((await runJob('alert-evaluator')).notifications, 0);

      // 09:08 back to normal: resolved by the evaluator, and every channel is told.
      clock += 2 * minute;
      await ingest(0.4);
      assert.deepEqual(await runJob('alert-evaluator'), { rules: 1, failed: 0, transitions: 1, notifications: 4 });
      await until('the resolutions', () => counts().every((n) => n === 3));
      assert.deepEqual([pd.events[2]!.event_action, pd.events[2]!.dedup_key], ['resolve', alert.fingerprint]);
      const resolved = hook.verified[2]!.body as { type: string; data: { alert: { state: string; endsAt: string; value: number } } };
      assert.deepEqual([resolved.type, resolved.data.alert.state, resolved.data.alert.endsAt, resolved.data.alert.value], ['alert.resolved', 'resolved', new Date(clock).toISOString(), 0.4]);
      assert.match(smtp.received[2]!.subject, /RESOLVED/);
      assert.match(JSON.stringify(slack.messages[2]), /RESOLVED|resolved/i);
      assert.deepEqual(hook.refused, []);
      // The webhook id is the delivery's, distinct per event.
      assert.equal(new Set(hook.verified.map((v) => v.id)).size, 3);

      // A receiver has the message a moment before the worker records the attempt.
      await until('the deliveries recorded', async () => {
        const d = await api('GET', `/api/v1/alerts/${alert.id}`);
        return d.notifications.length === 12 && d.notifications.every((n: { status: string }) => n.status === 'delivered');
      });
      const detail = await api('GET', `/api/v1/alerts/${alert.id}`);
      assert.equal(detail.state, 'resolved');
      assert.deepEqual(
        detail.transitions.map((x: { from: string | null; to: string; actor: { kind: string; comment: string | null } }) => [x.from, x.to, x.actor.kind]),
        [[null, 'pending', 'system'], ['pending', 'firing', 'system'], ['firing', 'acknowledged', 'key'], ['acknowledged', 'resolved', 'system']],
      );
      assert.equal(detail.notifications.length, 12);
      for (const n of detail.notifications as { status: string; attempts: number; attemptLog: { ok: boolean }[] }[]) {
        assert.deepEqual([n.status, n.attempts, n.attemptLog.map((a) => a.ok)], ['delivered', 1, [true]]);
      }
      assert.deepEqual((await api('GET', '/api/v1/deliveries?status=dead')).items, []);
      // The healthy host never had an alert.
      assert.equal((await api('GET', `/api/v1/alerts?ruleId=${rule.id}`)).items.length, 1);
    });
  });
}
