import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleNotification } from '../../../test/helpers/receivers.js';
import type { AlertNotification, NotificationGroup } from '../notifier.js';
import { alertmanagerAnnotations, alertmanagerKV, alertmanagerLabels, alertmanagerName, goTime, goZeroTime, labelsFingerprint } from './alert.js';
import { firingValidityMs, postableAlerts } from './postable.js';
import { alertmanagerWebhookMessage, commonOf } from './webhook-message.js';

type Alert = AlertNotification['alert'];
const now = new Date('2024-05-01T12:00:00.000Z');

describe('Alertmanager fingerprints', () => {
  // prometheus/common model/metric_test.go and signature_test.go: the fingerprints Alertmanager shows.
  const vectors: [Record<string, string>, bigint][] = [
    [{}, 14695981039346656037n],
    [{ first_name: 'electro', occupation: 'robot', manufacturer: 'westinghouse' }, 5911716720268894962n],
    [{ x: 'y' }, 8241431561484471700n],
    [{ a: 'bb', b: 'c' }, 3016285359649981711n],
    [{ a: 'b', bb: 'c' }, 7122421792099404749n],
    [{ name: 'garland, briggs', fear: 'love is not enough' }, 5799056148416392346n],
  ];
  for (const [labels, expected] of vectors) {
    test(`labelsFingerprint(${JSON.stringify(labels)}) is Prometheus' ${expected}`, () => {
      const fp = labelsFingerprint(labels);
      assert.match(fp, /^[0-9a-f]{16}$/);
      assert.equal(BigInt(`0x${fp}`), expected);
    });
  }

  test('insertion order does not matter; values do', () => {
    assert.equal(labelsFingerprint({ b: 'c', a: 'bb' }), labelsFingerprint({ a: 'bb', b: 'c' }));
    assert.notEqual(labelsFingerprint({ a: 'b' }), labelsFingerprint({ a: 'c' }));
  });
});

describe('names and times as Alertmanager writes them', () => {
  const names: [string, string][] = [
    ['host', 'host'],
    ['__name__', '__name__'],
    ['http.status', 'http_status'],
    ['rack:slot-2', 'rack_slot_2'],
    ['9lives', '_9lives'],
  ];
  for (const [name, expected] of names) test(`name ${name} → ${expected}`, () => assert.equal(alertmanagerName(name), expected));

  test('a valid name wins over one that becomes it; empty label values are dropped, empty annotations kept', () => {
    assert.deepEqual(alertmanagerKV({ 'a.b': 'dotted', a_b: 'plain', 'a-b': 'dashed' }, true), { a_b: 'plain' });
    assert.deepEqual(alertmanagerKV({ 'a.b': 'dotted', 'a-b': 'dashed' }, true), { a_b: 'dashed' }); // the first by name: '-' < '.'
    assert.deepEqual(alertmanagerKV({ x: '', y: '1' }, true), { y: '1' });
    assert.deepEqual(alertmanagerKV({ x: '', y: '1' }, false), { x: '', y: '1' });
  });

  const times: [string, string][] = [
    ['2024-05-01T12:00:00.000Z', '2024-05-01T12:00:00Z'],
    ['2024-05-01T12:00:00.500Z', '2024-05-01T12:00:00.5Z'],
    ['2024-05-01T12:00:00.123Z', '2024-05-01T12:00:00.123Z'],
    ['2024-05-01T14:00:00.120+02:00', '2024-05-01T12:00:00.12Z'],
  ];
  for (const [iso, expected] of times) test(`goTime(${iso}) = ${expected}`, () => assert.equal(goTime(iso), expected));

  test('labels: sanitised, empty ones dropped; annotations: the summary and the acknowledgement added', () => {
    const a = sampleNotification({ alert: { labels: { __name__: 'cpu.usage', 'dc.zone': 'a', empty: '', alertname: 'High CPU', severity: 'critical' } } }).alert;
    assert.deepEqual(alertmanagerLabels(a), { __name__: 'cpu.usage', alertname: 'High CPU', dc_zone: 'a', severity: 'critical' });
    assert.deepEqual(alertmanagerAnnotations(a), { description: 'CPU on web-1 is saturated', summary: a.summary });
    assert.deepEqual(alertmanagerAnnotations({ ...a, annotations: { summary: 'own' }, state: 'acknowledged' }), { acknowledged: 'true', summary: 'own' });
  });
});

const alertA: Partial<Alert> = { labels: { alertname: 'High CPU', severity: 'critical', host: 'web-1', team: 'web' }, annotations: { runbook: 'https://wiki/cpu' } };
const alertB: Partial<Alert> = {
  id: 'alr_2',
  fingerprint: 'fp_2',
  labels: { alertname: 'High CPU', severity: 'critical', host: 'web-2', team: 'web' },
  annotations: { runbook: 'https://wiki/cpu' },
  state: 'resolved',
  startsAt: '2024-05-01T11:50:00.000Z',
  endsAt: '2024-05-01T11:58:30.250Z',
  url: null,
  summary: 'web-2 is fine again',
};

function grouped(): AlertNotification {
  const base = sampleNotification({ alert: alertA, externalUrl: 'https://iv.example.com' });
  const second = sampleNotification({ alert: alertB }).alert;
  const group: NotificationGroup = { key: '{}:{alertname="High CPU"}', labels: { alertname: 'High CPU' }, receiver: 'ops', status: 'firing', alerts: [base.alert, second], truncatedAlerts: 3 };
  return { ...base, group };
}

describe("Alertmanager's webhook message", () => {
  test('a notification without a group is a group of one', () => {
    const n = sampleNotification({ alert: alertA, externalUrl: 'https://iv.example.com' });
    const labels = { alertname: 'High CPU', host: 'web-1', severity: 'critical', team: 'web' };
    const annotations = { runbook: 'https://wiki/cpu', summary: n.alert.summary };
    assert.deepEqual(alertmanagerWebhookMessage(n, now), {
      receiver: 'intentvision',
      status: 'firing',
      alerts: [{ status: 'firing', labels, annotations, startsAt: '2024-05-01T11:55:00Z', endsAt: goZeroTime, generatorURL: 'https://iv.example.com/alerts/alr_1', fingerprint: labelsFingerprint(labels) }],
      groupLabels: {},
      commonLabels: labels,
      commonAnnotations: annotations,
      externalURL: 'https://iv.example.com',
      version: '4',
      groupKey: 'fp_3f9a2c7d1e',
      truncatedAlerts: 0,
    });
  });

  test('a resolved event: resolved, endsAt its resolution (the time of the message when the alert has none)', () => {
    const n = sampleNotification({ event: 'resolved', alert: { ...alertA, state: 'resolved', endsAt: '2024-05-01T11:59:00.000Z' } });
    const m = alertmanagerWebhookMessage(n, now);
    assert.deepEqual([m.status, m.alerts[0]!.status, m.alerts[0]!.endsAt, m.externalURL], ['resolved', 'resolved', '2024-05-01T11:59:00Z', '']);
    const noEnd = alertmanagerWebhookMessage(sampleNotification({ event: 'resolved', alert: alertA }), now);
    assert.equal(noEnd.alerts[0]!.endsAt, '2024-05-01T12:00:00Z');
  });

  test('acknowledged and test events are firing messages; an acknowledged alert says so in an annotation', () => {
    const ack = alertmanagerWebhookMessage(sampleNotification({ event: 'acknowledged', alert: { ...alertA, state: 'acknowledged' } }), now);
    assert.deepEqual([ack.status, ack.alerts[0]!.status, ack.alerts[0]!.annotations.acknowledged, ack.commonAnnotations.acknowledged], ['firing', 'firing', 'true', 'true']);
    const t = alertmanagerWebhookMessage(sampleNotification({ event: 'test', alert: { ...alertA, ruleKind: 'test' } }), now);
    assert.deepEqual([t.status, t.alerts.length, t.alerts[0]!.endsAt], ['firing', 1, goZeroTime]);
  });

  test('a group: its key, labels, receiver and truncation; each alert its own status; common = shared by all', () => {
    const m = alertmanagerWebhookMessage(grouped(), now);
    assert.deepEqual([m.receiver, m.status, m.groupKey, m.groupLabels, m.truncatedAlerts], ['ops', 'firing', '{}:{alertname="High CPU"}', { alertname: 'High CPU' }, 3]);
    assert.deepEqual(
      m.alerts.map((a) => [a.status, a.labels.host, a.endsAt, a.generatorURL]),
      [
        ['firing', 'web-1', goZeroTime, 'https://iv.example.com/alerts/alr_1'],
        ['resolved', 'web-2', '2024-05-01T11:58:30.25Z', ''],
      ],
    );
    assert.deepEqual(m.commonLabels, { alertname: 'High CPU', severity: 'critical', team: 'web' });
    assert.deepEqual(m.commonAnnotations, { runbook: 'https://wiki/cpu' });
    assert.notEqual(m.alerts[0]!.fingerprint, m.alerts[1]!.fingerprint);
  });

  test('commonOf: the pairs every map has', () => {
    assert.deepEqual(commonOf([]), {});
    assert.deepEqual(commonOf([{ a: '1', b: '2' }, { a: '1', b: '3' }, { a: '1' }]), { a: '1' });
  });
});

describe('alerts posted to the API v2', () => {
  test('firing: valid for 4 minutes from now; no generatorURL without a link', () => {
    const n = sampleNotification({ alert: { ...alertA, url: null } });
    assert.equal(firingValidityMs, 240_000);
    assert.deepEqual(postableAlerts(n, now), [
      {
        labels: { alertname: 'High CPU', host: 'web-1', severity: 'critical', team: 'web' },
        annotations: { runbook: 'https://wiki/cpu', summary: n.alert.summary },
        startsAt: '2024-05-01T11:55:00.000Z',
        endsAt: '2024-05-01T12:04:00.000Z',
      },
    ]);
  });

  test('a group posts every alert, resolved ones with their end; acknowledged posts as firing; test posts nothing', () => {
    const posted = postableAlerts(grouped(), now);
    assert.deepEqual(
      posted.map((a) => [a.labels.host, a.endsAt, a.generatorURL]),
      [
        ['web-1', '2024-05-01T12:04:00.000Z', 'https://iv.example.com/alerts/alr_1'],
        ['web-2', '2024-05-01T11:58:30.250Z', undefined],
      ],
    );
    const ack = postableAlerts(sampleNotification({ event: 'acknowledged', alert: { ...alertA, state: 'acknowledged' } }), now);
    assert.deepEqual([ack[0]!.endsAt, ack[0]!.annotations.acknowledged], ['2024-05-01T12:04:00.000Z', 'true']);
    assert.deepEqual(postableAlerts(sampleNotification({ event: 'test' }), now), []);
    const resolved = postableAlerts(sampleNotification({ event: 'resolved', alert: { ...alertA, state: 'resolved', endsAt: '2024-05-01T11:59:00.000Z' } }), now);
    assert.equal(resolved[0]!.endsAt, '2024-05-01T11:59:00.000Z');
  });
});
