import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { groupNotification, loopbackOutbound, type PagerDutyReceiver, sampleNotification, startPagerDutyReceiver } from '../../../test/helpers/receivers.js';
import { AppError } from '../../core/errors.js';
import { groupDedupKey, pagerDutyEvents } from './event.js';
import type { AlertNotification } from '../notifier.js';
import { defaultEventsUrl, pagerDutyNotifier, type PagerDutyConfig } from './notifier.js';

const routingKey = 'R0UT1NGKEY0123456789ABCDEFGHIJKL';
const now = new Date('2024-05-01T12:00:00.000Z');

describe('pagerduty configuration', () => {
  test('defaults the events URL', () => {
    assert.deepEqual(pagerDutyNotifier.parseConfig({ routingKey }), { routingKey, eventsUrl: defaultEventsUrl });
  });

  const cases: { name: string; raw: unknown; fields: string[] }[] = [
    { name: 'no routing key', raw: {}, fields: ['config.routingKey'] },
    { name: 'a short routing key', raw: { routingKey: 'abc123' }, fields: ['config.routingKey'] },
    { name: 'a routing key with symbols', raw: { routingKey: `${routingKey.slice(0, 31)}!` }, fields: ['config.routingKey'] },
    { name: 'a routing key that is not a string', raw: { routingKey: 42 }, fields: ['config.routingKey'] },
    { name: 'plain http events URL', raw: { routingKey, eventsUrl: 'http://events.pagerduty.com/v2/enqueue' }, fields: ['config.eventsUrl'] },
    { name: 'snake_case key name', raw: { routing_key: routingKey }, fields: ['config.routingKey', 'config.routing_key'] },
  ];
  for (const c of cases) {
    test(`rejects ${c.name}`, () => {
      assert.throws(
        () => pagerDutyNotifier.parseConfig(c.raw),
        (e: unknown) =>
          e instanceof AppError &&
          e.code === 'validation_failed' &&
          JSON.stringify((e.details as { field: string }[]).map((d) => d.field)) === JSON.stringify(c.fields),
      );
    });
  }

  test('redact hides the routing key', () => {
    const shown = pagerDutyNotifier.redact(pagerDutyNotifier.parseConfig({ routingKey }));
    assert.deepEqual(shown, { routingKey: '********', eventsUrl: defaultEventsUrl });
  });
});

describe('pagerduty events', () => {
  test('firing is a trigger keyed by the fingerprint with the documented payload', () => {
    const n = sampleNotification();
    const [event, ...rest] = pagerDutyEvents(routingKey, n, now);
    assert.equal(rest.length, 0);
    assert.deepEqual(event, {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: n.alert.fingerprint,
      payload: {
        summary: 'High CPU: cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)',
        source: 'web-1',
        severity: 'critical',
        timestamp: n.alert.startsAt,
        class: 'threshold',
        custom_details: {
          event: 'firing',
          org: 'Acme Ops',
          rule: { id: 'rul_1', name: 'High CPU', kind: 'threshold' },
          state: 'firing',
          value: 0.97,
          labels: n.alert.labels,
          annotations: n.alert.annotations,
          details: n.alert.details,
          alert_id: 'alr_1',
          fingerprint: n.alert.fingerprint,
          starts_at: n.alert.startsAt,
        },
      },
      links: [{ href: 'https://iv.example.com/alerts/alr_1', text: 'Alert in IntentVision' }],
      client: 'IntentVision',
      client_url: 'https://iv.example.com/alerts/alr_1',
    });
  });

  const table: { event: 'acknowledged' | 'resolved'; action: string }[] = [
    { event: 'acknowledged', action: 'acknowledge' },
    { event: 'resolved', action: 'resolve' },
  ];
  for (const { event, action } of table) {
    test(`${event} is ${action} with the same dedup_key and no payload`, () => {
      const n = sampleNotification({ event });
      assert.deepEqual(pagerDutyEvents(routingKey, n, now), [{ routing_key: routingKey, event_action: action, dedup_key: n.alert.fingerprint, client: 'IntentVision' }]);
    });
  }

  test('a test is an info trigger under its own dedup_key, then its resolve', () => {
    const n = sampleNotification({ event: 'test' });
    const [trigger, resolve] = pagerDutyEvents(routingKey, n, now);
    assert.equal(trigger!.event_action, 'trigger');
    assert.notEqual(trigger!.dedup_key, n.alert.fingerprint);
    assert.equal(trigger!.payload!.severity, 'info');
    assert.equal(trigger!.payload!.timestamp, now.toISOString());
    assert.match(trigger!.payload!.summary, /^\[TEST\] /);
    assert.deepEqual(resolve, { routing_key: routingKey, event_action: 'resolve', dedup_key: trigger!.dedup_key, client: 'IntentVision' });
  });

  test('the summary is cut to 1024 characters and source falls back to the org', () => {
    const n = sampleNotification({ alert: { summary: 'x'.repeat(5000), labels: {}, url: null } });
    const [event] = pagerDutyEvents(routingKey, n, now);
    assert.equal(event!.payload!.summary.length, 1024);
    assert.equal(event!.payload!.source, 'intentvision/Acme Ops');
    assert.equal(event!.links, undefined);
    assert.equal(event!.client_url, undefined);
  });
});

describe('pagerduty notifier against an Events API v2 receiver', () => {
  let pd: PagerDutyReceiver;
  let config: PagerDutyConfig;
  before(async () => {
    pd = await startPagerDutyReceiver({ routingKey });
    config = pagerDutyNotifier.parseConfig({ routingKey, eventsUrl: `${pd.url}/v2/enqueue` });
  });
  afterEach(() => pd.reset());
  after(() => pd.close());

  test('firing, acknowledged and resolved reach PagerDuty as one incident', async () => {
    for (const event of ['firing', 'acknowledged', 'resolved'] as const) {
      const result = await pagerDutyNotifier.send(config, sampleNotification({ event }), { now, timeoutMs: 2000, outbound: loopbackOutbound });
      assert.equal(result.ok, true, result.error);
      assert.equal(result.status, 202);
      assert.equal(result.classification, 'http_2xx');
    }
    assert.deepEqual(
      pd.events.map((e) => [e.event_action, e.dedup_key]),
      [
        ['trigger', 'fp_3f9a2c7d1e'],
        ['acknowledge', 'fp_3f9a2c7d1e'],
        ['resolve', 'fp_3f9a2c7d1e'],
      ],
    );
  });

  test('a test sends a trigger and its resolve', async () => {
    const result = await pagerDutyNotifier.send(config, sampleNotification({ event: 'test' }), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.equal(result.ok, true);
    assert.deepEqual(
      pd.events.map((e) => e.event_action),
      ['trigger', 'resolve'],
    );
  });

  test('a failed resolve after a test trigger fails the delivery, retryably', async () => {
    pd.script(202, 503);
    const result = await pagerDutyNotifier.send(config, sampleNotification({ event: 'test' }), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.equal(result.ok, false);
    assert.equal(result.retryable, true);
    assert.equal(result.error, 'resolve after the test trigger: HTTP 503');
    assert.equal(result.classification, 'http_5xx');
  });

  test('an invalid event gets 400: not retryable, the answer and the key not kept', async () => {
    const other = pagerDutyNotifier.parseConfig({ routingKey: 'OTHERKEY0123456789ABCDEFGHIJKLMN', eventsUrl: `${pd.url}/v2/enqueue` });
    const result = await pagerDutyNotifier.send(other, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.equal(result.ok, false);
    assert.equal(result.status, 400);
    assert.equal(result.retryable, false);
    assert.equal(result.classification, 'http_4xx');
    const text = JSON.stringify(result);
    assert.ok(!text.includes('invalid') && !text.includes('OTHERKEY0123456789ABCDEFGHIJKLMN'), text);
  });

  test('the routing key never shows in results, even when echoed', async () => {
    pd.script({ status: 429, headers: { 'retry-after': '7' }, body: { message: `slow down, ${routingKey}` } });
    const result = await pagerDutyNotifier.send(config, sampleNotification(), { now, timeoutMs: 2000, outbound: loopbackOutbound });
    assert.deepEqual(
      { ok: result.ok, status: result.status, retryable: result.retryable, retryAfterMs: result.retryAfterMs },
      { ok: false, status: 429, retryable: true, retryAfterMs: 7000 },
    );
    assert.ok(!JSON.stringify(result).includes(routingKey));
  });
});

describe('pagerduty events of a group', () => {
  test('one trigger per group: dedup_key from the group key, the most severe firing alert, every alert in custom_details', () => {
    const n = groupNotification([{ severity: 'warning', labels: { host: 'web-1' } }, { severity: 'critical', labels: { host: 'web-2' } }, { state: 'resolved', labels: { host: 'web-3' } }]);
    const [event, ...rest] = pagerDutyEvents(routingKey, n, now);
    assert.equal(rest.length, 0);
    assert.equal(event!.event_action, 'trigger');
    assert.equal(event!.dedup_key, groupDedupKey('ch_1:{alertname="High CPU"}'));
    assert.match(event!.dedup_key, /^intentvision-group-[0-9a-f]{32}$/);
    assert.equal(event!.payload!.summary, '[FIRING:2] High CPU (cpu.usage eu-west-1)');
    assert.equal(event!.payload!.severity, 'critical');
    assert.equal(event!.payload!.source, 'web-1');
    const details = event!.payload!.custom_details as { firing: { labels: Record<string, string> }[]; resolved: unknown[]; receiver: string; group_labels: unknown };
    assert.deepEqual(details.firing.map((a) => a.labels.host), ['web-1', 'web-2']);
    assert.equal(details.resolved.length, 1);
    assert.equal(details.receiver, 'ops');
    assert.deepEqual(details.group_labels, { alertname: 'High CPU' });
  });

  test('a resolved group resolves the same incident; the receiver accepts both', async () => {
    const pd = await startPagerDutyReceiver({ routingKey });
    try {
      const config = pagerDutyNotifier.parseConfig({ routingKey, eventsUrl: `${pd.url}/v2/enqueue` });
      for (const n of [groupNotification([{}]), groupNotification([{ state: 'resolved' }], 'resolved')]) {
        const result = await pagerDutyNotifier.send(config, n, { now, timeoutMs: 2000, outbound: loopbackOutbound });
        assert.equal(result.ok, true, result.error);
      }
      const key = groupDedupKey('ch_1:{alertname="High CPU"}');
      assert.deepEqual(pd.events.map((e) => [e.event_action, e.dedup_key]), [['trigger', key], ['resolve', key]]);
    } finally {
      await pd.close();
    }
  });
});
