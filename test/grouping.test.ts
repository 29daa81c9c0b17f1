// Alertmanager-style grouping end to end, on both stores: real passes (POST …/evaluate and the
// evaluator job), the real delivery job (its handler from the job registry, which flushes due groups
// then delivers), and real local receivers (a Slack-like webhook, an SMTP server). The clock is
// injected; time passes by setting it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupsOfChannel } from '../src/alert/grouping/store.js';
import { createLogger } from '../src/core/logger.js';
import type { JobContext } from '../src/jobs/queue.js';
import { jobDefinitions, notificationDeliveryJob } from '../src/jobs/registry.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { assertError, type Injected } from './helpers/ingest.js';
import { loopbackOutbound, startSlackReceiver, startSmtpReceiver, type SlackReceiver, type SmtpReceiver } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 2);
const S = 1000;
const grouping = { groupBy: ['alertname'], groupWaitSeconds: 30, groupIntervalSeconds: 300, repeatIntervalSeconds: 3600 };

type Json = Record<string, any>;

/** The text of a Slack message: its header and every section, one string. */
const slackText = (m: Json): string => (m.blocks as Json[]).map((b) => b.text?.text ?? '').join('\n');

for (const kind of storeKinds) {
  describe(`notification grouping (${kind.name})`, () => {
    let clock = T0;
    const now = () => new Date(clock);
    const at = (seconds: number) => (clock = T0 + seconds * S);
    let t: TestApp;
    let slack: SlackReceiver;
    let smtp: SmtpReceiver;
    const sent: { name: string; data?: object; startAfterSeconds?: number }[] = [];
    let jobs: ReturnType<typeof jobDefinitions>;

    before(async () => {
      [slack, smtp] = await Promise.all([startSlackReceiver(), startSmtpReceiver()]);
      t = await startTestApp({ kind, now, alerting: { sleep: async () => undefined, outbound: loopbackOutbound } });
      jobs = jobDefinitions(testDeps({ sql: t.sql, now, alerting: { publicUrl: 'https://iv.example.com', sleep: async () => undefined, outbound: loopbackOutbound } }));
    });
    after(async () => {
      await t.close();
      await Promise.all([slack.close(), smtp.close()]);
    });

    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = t.adminKey): Promise<Injected> =>
      t.app.inject({ method, url, headers: bearer(key), ...(payload !== undefined ? { payload: payload as object } : {}) });
    const ok = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = t.adminKey): Promise<Json> => {
      const r = await call(method, url, payload, key);
      assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
      return r.json();
    };
    /** Runs a job of the registry in this process; what it sends is recorded in `sent`. */
    const runJob = async (name: string, data: object = {}): Promise<Json> => {
      const def = jobs.find((d) => d.name === name)!;
      const ctx: JobContext = {
        jobId: 'test',
        retryCount: 0,
        retryLimit: 0,
        log: createLogger({ level: 'silent' }),
        send: async (n, sentData, options) => {
          sent.push({ name: n, ...(Object.keys(sentData).length && { data: sentData }), ...(options?.startAfterSeconds !== undefined && { startAfterSeconds: options.startAfterSeconds }) });
          return 'job';
        },
      };
      return (await def.handler(data, ctx)) as Json;
    };
    const deliver = () => runJob(notificationDeliveryJob);
    const slackChannel = (name: string, g: object | null, key = t.adminKey) =>
      ok('POST', '/api/v1/channels', { name, type: 'slack', config: { url: `${slack.url}/services/${name}/B0/slacksecretpath` }, ...(g && { grouping: g }) }, key);
    const messagesTo = (name: string) => slack.received.filter((r) => r.path.startsWith(`/services/${name}/`)).map((r) => r.json as Json);
    const ingest = (key: string, values: Record<string, number>, dims: Record<string, string> = {}, apiKey = t.adminKey) =>
      ok('POST', '/api/v1/ingest', { metrics: Object.entries(values).map(([host, value]) => ({ key, value, timestamp: clock - S, dimensions: { host, ...dims } })) }, apiKey);
    const rule = (name: string, key: string, channels: string[], apiKey = t.adminKey) =>
      ok('POST', '/api/v1/alert-rules', { name, key, severity: 'critical', labels: { team: 'web' }, channels, condition: { kind: 'threshold', operator: 'gt', value: 0.9 } }, apiKey);
    const evaluate = (ruleId: string, apiKey = t.adminKey) => ok('POST', `/api/v1/alert-rules/${ruleId}/evaluate`, undefined, apiKey);

    test('grouping is set, validated and shown on channels', async () => {
      const c = await slackChannel('shown', { groupBy: ['alertname', 'env'] });
      assert.deepEqual(c.grouping, { groupBy: ['alertname', 'env'], groupWaitSeconds: 30, groupIntervalSeconds: 300, repeatIntervalSeconds: 14400 });
      assert.deepEqual((await ok('GET', `/api/v1/channels/${c.id}`)).grouping, c.grouping);
      const patched = await ok('PATCH', `/api/v1/channels/${c.id}`, { grouping: { groupWaitSeconds: 5 } });
      assert.deepEqual(patched.grouping, { ...c.grouping, groupWaitSeconds: 5 });
      assert.equal((await ok('PATCH', `/api/v1/channels/${c.id}`, { grouping: null })).grouping, null);
      assert.equal((await slackChannel('plain', null)).grouping, null);
      for (const [g, field] of [
        [{ groupBy: [] }, 'body.grouping.groupBy'],
        [{ groupBy: ['alertname', '...'] }, 'body.grouping.groupBy[1]'],
        [{ groupBy: ['bad name'] }, 'body.grouping.groupBy[0]'],
        [{ groupBy: ['a'], groupIntervalSeconds: 0 }, 'body.grouping.groupIntervalSeconds'],
        [{ groupBy: ['a'], wait: 3 }, 'body.grouping'],
        ['all', 'body.grouping'],
      ] as const) {
        const r = await call('POST', '/api/v1/channels', { name: 'bad', type: 'slack', config: { url: 'https://hooks.slack.com/services/T/B/x' }, grouping: g });
        const e = assertError(r, 400, 'validation_failed');
        assert.ok((e.details as { field: string }[]).some((d) => d.field.startsWith(field)), `${JSON.stringify(g)}: ${JSON.stringify(e)}`);
      }
      assertError(await call('PATCH', `/api/v1/channels/${c.id}`, { grouping: { groupWaitSeconds: 5 } }), 400, 'validation_failed'); // no groupBy to merge into
    });

    test('alerts of a group go out together: group wait, interval, resolution once, removal; ungrouped channels unchanged', async () => {
      at(0);
      const grouped = await slackChannel('grouped', grouping);
      const single = await slackChannel('single', null);
      const mail = await ok('POST', '/api/v1/channels', {
        name: 'mail',
        type: 'email',
        config: { host: smtp.host, port: smtp.port, ignoreTLS: true, from: 'alerts@iv.example.com', to: ['oncall@example.com'] },
        grouping,
      });
      const r = await rule('High CPU', 'grp.cpu', [grouped.id, single.id, mail.id]);

      // 0 s: web-1 breaches. The ungrouped channel gets its message at once; the group waits.
      await ingest('grp.cpu', { 'web-1': 0.95, 'web-2': 0.2, 'web-3': 0.1 }, { env: 'prod' });
      assert.equal((await evaluate(r.id)).notifications, 1, 'only the ungrouped channel has a delivery of its own');
      assert.deepEqual(await deliver(), { groups: 0, delivered: 1, dead: 0, requeued: 0 });
      assert.equal(messagesTo('single').length, 1);
      assert.equal(messagesTo('grouped').length, 0);

      // 20 s: web-2 breaches within the group wait. 29 s: still waiting.
      at(20);
      await ingest('grp.cpu', { 'web-1': 0.96, 'web-2': 0.97, 'web-3': 0.1 }, { env: 'prod' });
      await evaluate(r.id);
      at(29);
      await deliver();
      assert.equal(messagesTo('grouped').length, 0);
      assert.equal(smtp.received.length, 0);

      // 30 s: the group is due: ONE message per grouped channel with both alerts.
      at(30);
      assert.deepEqual(await deliver(), { groups: 2, delivered: 2, dead: 0, requeued: 0 });
      const [first] = messagesTo('grouped');
      assert.equal(messagesTo('grouped').length, 1);
      assert.equal(first!.blocks[0].text.text, '🔴 [FIRING:2] High CPU (grp.cpu prod critical web)');
      assert.match(slackText(first!), /host=web-1/);
      assert.match(slackText(first!), /host=web-2/);
      assert.equal(smtp.received.length, 1);
      assert.equal(smtp.received[0]!.subject, '[FIRING:2] High CPU (grp.cpu prod critical web)');
      assert.match(smtp.received[0]!.text!, /host=web-1/);
      assert.match(smtp.received[0]!.text!, /host=web-2/);
      assert.equal(messagesTo('single').length, 2, 'the ungrouped channel got one message per alert');

      // 60 s: web-3 joins; it waits for the group's next look (30 s + 300 s).
      at(60);
      await ingest('grp.cpu', { 'web-1': 0.96, 'web-2': 0.97, 'web-3': 0.99 }, { env: 'prod' });
      await evaluate(r.id);
      await deliver();
      at(329);
      await deliver();
      assert.equal(messagesTo('grouped').length, 1);
      at(330);
      await deliver();
      assert.equal(messagesTo('grouped').length, 2);
      const third = messagesTo('grouped')[1]!;
      assert.equal(third.blocks[0].text.text, '🔴 [FIRING:3] High CPU (grp.cpu prod critical web)');
      for (const h of ['web-1', 'web-2', 'web-3']) assert.match(slackText(third), new RegExp(`host=${h}`));

      // Nothing new at the next look: nothing sent.
      at(630);
      await deliver();
      assert.equal(messagesTo('grouped').length, 2);

      // 700 s: everything recovers. The next look (930 s) sends one resolved message, then the group is gone.
      at(700);
      await ingest('grp.cpu', { 'web-1': 0.1, 'web-2': 0.1, 'web-3': 0.1 }, { env: 'prod' });
      await evaluate(r.id);
      await deliver();
      assert.equal(messagesTo('single').length, 6, 'three firing and three resolved messages on the ungrouped channel');
      assert.equal(messagesTo('grouped').length, 2);
      at(930);
      await deliver();
      assert.equal(messagesTo('grouped').length, 3);
      const resolved = messagesTo('grouped')[2]!;
      assert.equal(resolved.blocks[0].text.text, '✅ [RESOLVED] High CPU (grp.cpu prod critical web)');
      assert.match(slackText(resolved), /0 firing, 3 resolved/);
      assert.equal(smtp.received.at(-1)!.subject, '[RESOLVED] High CPU (grp.cpu prod critical web)');
      assert.deepEqual(await groupsOfChannel(t.sql, t.org.id, grouped.id), []);
      at(1230);
      await deliver();
      assert.equal(messagesTo('grouped').length, 3, 'a resolution is sent once');
    });

    test('the delivery job runs when a group is due within the minute: its wait and a short interval are kept', async () => {
      at(2000);
      const c = await slackChannel('scheduled', { ...grouping, groupWaitSeconds: 20, groupIntervalSeconds: 30 });
      await rule('Queue depth', 'grp.queue', [c.id]);
      await ingest('grp.queue', { 'worker-1': 5 });
      sent.length = 0;
      const totals = await runJob('alert-evaluator');
      assert.equal(totals.notifications, 0);
      assert.deepEqual(sent, [{ name: notificationDeliveryJob }], 'the evaluator sends the delivery job at once');
      sent.length = 0;
      await deliver();
      assert.deepEqual(sent, [{ name: notificationDeliveryJob, data: { look: true }, startAfterSeconds: 20 }], 'which schedules a look when the group wait ends');
      assert.equal(messagesTo('scheduled').length, 0);
      at(2020);
      sent.length = 0;
      await runJob(notificationDeliveryJob, { look: true });
      assert.equal(messagesTo('scheduled').length, 1);
      assert.equal(messagesTo('scheduled')[0]!.blocks[0].text.text, '🔴 [FIRING:1] Queue depth (grp.queue worker-1 critical web)');
      assert.deepEqual(sent, [], 'a look schedules no further run');
      // The minute's run schedules the next look, 30 s (the interval) after the flush.
      at(2040);
      await deliver();
      assert.deepEqual(sent, [{ name: notificationDeliveryJob, data: { look: true }, startAfterSeconds: 10 }]);
    });

    test('repeat interval: a group that keeps firing is notified again after it; acknowledgements go out at once, alone', async () => {
      at(10_000);
      const c = await slackChannel('repeat', grouping);
      const r = await rule('Disk full', 'grp.disk', [c.id]);
      await ingest('grp.disk', { 'db-1': 0.99 });
      await evaluate(r.id);
      at(10_030);
      await deliver();
      assert.equal(messagesTo('repeat').length, 1);
      at(11_830);
      await deliver();
      assert.equal(messagesTo('repeat').length, 1, 'nothing new, repeat interval not over');

      const [alert] = (await ok('GET', `/api/v1/alerts?ruleId=${r.id}`)).items;
      await ok('POST', `/api/v1/alerts/${alert.id}/acknowledge`, { comment: 'on it' });
      await deliver();
      assert.equal(messagesTo('repeat').length, 2);
      assert.equal(messagesTo('repeat')[1]!.blocks[0].text.text, '👀 ACKNOWLEDGED: Disk full', 'an acknowledgement is a message of its own');

      at(13_630);
      await deliver();
      assert.equal(messagesTo('repeat').length, 3);
      assert.equal(messagesTo('repeat')[2]!.blocks[0].text.text, '🔴 [FIRING:1] Disk full (grp.disk db-1 critical web)');
    });

    test('groupBy splits alerts into one message per value set', async () => {
      at(20_000);
      const c = await slackChannel('split', { ...grouping, groupBy: ['env'] });
      const r = await rule('Latency', 'grp.latency', [c.id]);
      await ok('POST', '/api/v1/ingest', {
        metrics: [
          { key: 'grp.latency', value: 2, timestamp: clock - S, dimensions: { host: 'a', env: 'prod' } },
          { key: 'grp.latency', value: 2, timestamp: clock - S, dimensions: { host: 'b', env: 'prod' } },
          { key: 'grp.latency', value: 2, timestamp: clock - S, dimensions: { host: 'c', env: 'staging' } },
        ],
      });
      await evaluate(r.id);
      at(20_030);
      await deliver();
      const headers = messagesTo('split').map((m) => m.blocks[0].text.text as string).sort();
      assert.deepEqual(headers, ['🔴 [FIRING:1] staging (grp.latency Latency c critical web)', '🔴 [FIRING:2] prod (grp.latency Latency critical web)']);
      assert.deepEqual((await groupsOfChannel(t.sql, t.org.id, c.id)).map((g) => [g.labels, g.alerts]), [
        [{ env: 'prod' }, 2],
        [{ env: 'staging' }, 1],
      ]);
    });

    test('two delivery job runs at once flush a group once', async () => {
      at(40_000);
      await deliver(); // the groups of earlier tests have their look now, so only this one is due at 40 030 s
      const c = await slackChannel('race', grouping);
      const r = await rule('Race', 'grp.race', [c.id]);
      await ingest('grp.race', { 'r-1': 5, 'r-2': 5 });
      await evaluate(r.id);
      at(40_030);
      // On PostgreSQL the second run has connections of its own, so both really run at once.
      const other = kind.name === 'postgres' ? await t.store.connectAgain!() : t.sql;
      const second = jobDefinitions(testDeps({ sql: other, now, alerting: { sleep: async () => undefined, outbound: loopbackOutbound } })).find((d) => d.name === notificationDeliveryJob)!;
      const ctx: JobContext = { jobId: 'second', retryCount: 0, retryLimit: 0, log: createLogger({ level: 'silent' }), send: async () => 'job' };
      const [x, y] = (await Promise.all([deliver(), second.handler({}, ctx)])) as Json[];
      assert.equal(x!.groups + y!.groups, 1);
      assert.equal(x!.delivered + y!.delivered, 1);
      assert.equal(messagesTo('race').length, 1);
    });

    test('a manual resolution joins the group; silenced alerts are left out; a disabled channel ends its groups', async () => {
      at(50_000);
      const c = await slackChannel('manual', grouping);
      const r = await rule('Manual', 'grp.manual', [c.id]);
      await ingest('grp.manual', { 'm-1': 5, 'm-2': 5, 'm-3': 5 });
      await evaluate(r.id);
      at(50_030);
      await deliver();
      assert.equal(messagesTo('manual')[0]!.blocks[0].text.text, '🔴 [FIRING:3] Manual (grp.manual critical web)');

      // m-1 resolved by hand, m-2 silenced: the next look lists m-1 resolved and m-3 firing, not m-2.
      const alerts = (await ok('GET', `/api/v1/alerts?ruleId=${r.id}`)).items as Json[];
      const byHost = (h: string) => alerts.find((a) => a.dimensions.host === h)!;
      await ok('POST', `/api/v1/alerts/${byHost('m-1').id}/resolve`, { comment: 'fixed' });
      await ok('POST', '/api/v1/silences', { matchers: ['host="m-2"'], endsAt: new Date(clock + 86_400_000).toISOString(), comment: 'maintenance' });
      at(50_100);
      await ingest('grp.manual', { 'm-1': 0.1, 'm-2': 5, 'm-3': 5 });
      await evaluate(r.id);
      assert.equal((await ok('GET', `/api/v1/alerts/${byHost('m-2').id}`)).state, 'suppressed');
      at(50_330);
      await deliver();
      assert.equal(messagesTo('manual').length, 2);
      const next = messagesTo('manual')[1]!;
      assert.equal(next.blocks[0].text.text, '🔴 [FIRING:1] Manual (grp.manual critical web)');
      assert.match(slackText(next), /1 firing, 1 resolved/);
      assert.match(slackText(next), /host=m-1/);
      assert.match(slackText(next), /host=m-3/);
      assert.doesNotMatch(slackText(next), /host=m-2/);

      // Disabled: the group ends at its next look without a message.
      await ok('PATCH', `/api/v1/channels/${c.id}`, { enabled: false });
      at(50_630);
      await ingest('grp.manual', { 'm-1': 0.1, 'm-2': 5, 'm-3': 0.1 });
      await evaluate(r.id);
      await deliver();
      assert.equal(messagesTo('manual').length, 2);
      assert.deepEqual(await groupsOfChannel(t.sql, t.org.id, c.id), []);
    });

    test("groups are per organisation: another org's alerts with the same labels never join them", async () => {
      at(30_000);
      const other = await t.newOrg('Grouping Other');
      const mine = await slackChannel('iso-a', grouping);
      const theirs = await slackChannel('iso-b', grouping, other.key);
      const ra = await rule('Shared name', 'grp.iso', [mine.id]);
      const rb = await rule('Shared name', 'grp.iso', [theirs.id], other.key);
      await ingest('grp.iso', { 'a-1': 5, 'a-2': 5 });
      await ingest('grp.iso', { 'b-1': 5 }, {}, other.key);
      await evaluate(ra.id);
      await evaluate(rb.id, other.key);
      at(30_030);
      await deliver();
      const [a] = messagesTo('iso-a');
      const [b] = messagesTo('iso-b');
      assert.equal(messagesTo('iso-a').length, 1);
      assert.equal(messagesTo('iso-b').length, 1);
      assert.match(a!.blocks[0].text.text, /^🔴 \[FIRING:2\] Shared name/);
      assert.match(b!.blocks[0].text.text, /^🔴 \[FIRING:1\] Shared name/);
      assert.doesNotMatch(slackText(a!), /b-1/);
      assert.doesNotMatch(slackText(b!), /a-\d/);
      assert.deepEqual(await groupsOfChannel(t.sql, other.org.id, mine.id), [], "one org cannot see another's groups");
    });
  });
}
