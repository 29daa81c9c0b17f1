import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredPayload } from '../deliveries-store.js';
import { groupingDefaults } from './config.js';
import { groupPayload, maxAlertsPerMessage, type MemberPayload } from './payload.js';
import { routeEvent } from './route.js';

const org = { id: 'org-1', name: 'Acme' };

function payload(i: number, startsAt: string, event: 'firing' | 'resolved' = 'firing'): StoredPayload {
  return {
    event,
    org,
    externalUrl: 'https://iv.example.com',
    alert: {
      id: `a-${i}`,
      fingerprint: `fp-${String(i).padStart(3, '0')}`,
      ruleId: 'r-1',
      ruleName: 'High CPU',
      ruleKind: 'threshold',
      severity: 'critical',
      state: event === 'resolved' ? 'resolved' : 'firing',
      summary: `cpu{host=web-${i}} > 0.9`,
      labels: { alertname: 'High CPU', host: `web-${i}`, env: 'prod' },
      annotations: {},
      value: 0.95,
      startsAt,
      endsAt: null,
      url: null,
      details: {},
    },
  };
}

test('a group message: firing alerts first, each by start time; status from the firing ones; bounded with a count', () => {
  const members: MemberPayload[] = [
    { status: 'resolved', payload: payload(1, '2026-01-01T00:00:00Z', 'resolved') },
    { status: 'firing', payload: payload(2, '2026-01-01T00:05:00Z') },
    { status: 'firing', payload: payload(3, '2026-01-01T00:01:00Z') },
  ];
  const p = groupPayload({ key: 'c:{alertname="High CPU"}', labels: { alertname: 'High CPU' }, receiver: 'ops' }, members, org);
  assert.equal(p.event, 'firing');
  assert.equal(p.alert.id, 'a-3');
  assert.equal(p.externalUrl, 'https://iv.example.com');
  assert.deepEqual(p.group!.alerts.map((a) => [a.id, a.state]), [['a-3', 'firing'], ['a-2', 'firing'], ['a-1', 'resolved']]);
  assert.deepEqual([p.group!.status, p.group!.receiver, p.group!.truncatedAlerts], ['firing', 'ops', 0]);

  const resolved = groupPayload({ key: 'k', labels: {}, receiver: 'ops' }, [members[0]!], org);
  assert.deepEqual([resolved.event, resolved.group!.status], ['resolved', 'resolved']);

  const many = Array.from({ length: maxAlertsPerMessage + 7 }, (_, i): MemberPayload => ({ status: 'firing', payload: payload(i, '2026-01-01T00:00:00Z') }));
  const big = groupPayload({ key: 'k', labels: {}, receiver: 'ops' }, many, org);
  assert.deepEqual([big.group!.alerts.length, big.group!.truncatedAlerts], [maxAlertsPerMessage, 7]);
});

test('routing: grouped channels take firing and resolved events into their group; acknowledgements, tests and ungrouped channels get deliveries', () => {
  const grouping = { groupBy: ['env'], ...groupingDefaults };
  const channels = [
    { id: 'plain', enabled: true, grouping: null },
    { id: 'grouped', enabled: true, grouping },
    { id: 'off', enabled: false, grouping },
  ];
  const firing = routeEvent(channels, 'a-1', 'firing', payload(1, '2026-01-01T00:00:00Z'), 5);
  assert.deepEqual(firing.deliveries.map((d) => d.channelId), ['plain']);
  assert.deepEqual(firing.grouped.map((g) => [g.channelId, g.key, g.labels, g.fingerprint, g.status, g.startsAtMs]), [
    ['grouped', 'grouped:{env="prod"}', { env: 'prod' }, 'fp-001', 'firing', Date.parse('2026-01-01T00:00:00Z')],
  ]);
  const ack = routeEvent(channels, 'a-1', 'acknowledged', { ...payload(1, '2026-01-01T00:00:00Z'), event: 'acknowledged' }, 5);
  assert.deepEqual([ack.deliveries.map((d) => d.channelId), ack.grouped.length], [['plain', 'grouped'], 0]);
});
