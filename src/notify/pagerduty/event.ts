// PagerDuty Events API v2 events for an alert event. The alert's fingerprint is the dedup_key, so
// firing, acknowledged and resolved land on the same PagerDuty incident. Pure: no I/O, no clock.
import { alertSeverities, type AlertNotification, type AlertSeverity } from '../notifier.js';
import { clip } from '../secrets.js';
import { groupTitle, groupToken, oneLine, safeLink } from '../format.js';

/** PagerDuty's limits: summary 1024 characters, dedup_key 255. */
export const pagerDutyLimits = { summary: 1024, dedupKey: 255, source: 255 } as const;

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  /** Trigger only: PagerDuty ignores a payload on acknowledge and resolve. */
  payload?: {
    summary: string;
    source: string;
    severity: AlertSeverity;
    timestamp: string;
    component?: string;
    group?: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
  client: string;
  client_url?: string;
}

/** The first of these labels names the affected system (PagerDuty's `source`). */
const sourceLabels = ['host', 'hostname', 'instance', 'node', 'pod', 'service'];

/**
 * The dedup_key of a test event: never the alert's fingerprint, which would attach the test to (and
 * then resolve) the real incident of that alert; unique per delivery, the same on its retries.
 */
export function testDedupKey(n: AlertNotification): string {
  return clip(`intentvision-test-${n.deliveryId}`, pagerDutyLimits.dedupKey);
}

function trigger(routingKey: string, n: AlertNotification, dedupKey: string, now: Date): PagerDutyEvent {
  const a = n.alert;
  const isTest = n.event === 'test';
  const summary = isTest ? `[TEST] IntentVision test notification: ${a.ruleName} — ${a.summary}` : `${a.ruleName}: ${a.summary}`;
  const source = sourceLabels.map((k) => a.labels[k]).find((v) => v) ?? `intentvision/${n.org.name}`;
  const link = safeLink(a.url);
  const component = a.labels.component ?? a.labels.service;
  const group = a.labels.group ?? a.labels.cluster ?? a.labels.env;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: clip(oneLine(summary), pagerDutyLimits.summary),
      source: clip(source, pagerDutyLimits.source),
      // A test pages as little as PagerDuty allows: urgency rules commonly treat info as low urgency.
      severity: isTest ? 'info' : a.severity,
      timestamp: isTest ? now.toISOString() : a.startsAt,
      ...(component && { component }),
      ...(group && { group }),
      class: a.ruleKind,
      custom_details: {
        event: n.event,
        org: n.org.name,
        rule: { id: a.ruleId, name: a.ruleName, kind: a.ruleKind },
        state: a.state,
        value: a.value,
        labels: a.labels,
        annotations: a.annotations,
        details: a.details,
        alert_id: a.id,
        fingerprint: a.fingerprint,
        starts_at: a.startsAt,
      },
    },
    ...(link && { links: [{ href: link, text: 'Alert in IntentVision' }] }),
    client: 'IntentVision',
    ...(link && { client_url: link }),
  };
}

/** The dedup_key of a group: a hash of its key (keys can pass PagerDuty's 255 characters), the same on every flush. */
export function groupDedupKey(groupKey: string): string {
  return `intentvision-group-${groupToken(groupKey)}`;
}

/**
 * One event per group (Alertmanager's PagerDuty integration): a trigger while any alert fires, with
 * the group's title as summary, the most severe firing alert's severity and every listed alert in
 * custom_details; a resolve once the group is resolved. The dedup_key follows the group.
 */
function groupEvents(routingKey: string, n: AlertNotification, g: NonNullable<AlertNotification['group']>): PagerDutyEvent[] {
  const dedupKey = groupDedupKey(g.key);
  if (g.status === 'resolved') return [{ routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey, client: 'IntentVision' }];
  const firing = g.alerts.filter((a) => a.state !== 'resolved');
  const first = firing[0] ?? n.alert;
  const severity = alertSeverities.find((s) => firing.some((a) => a.severity === s)) ?? first.severity;
  const source = sourceLabels.map((k) => first.labels[k]).find((v) => v) ?? `intentvision/${n.org.name}`;
  const link = safeLink(n.externalUrl ?? null) ?? safeLink(first.url);
  const listed = (a: (typeof g.alerts)[number]) => ({ summary: a.summary, state: a.state, severity: a.severity, value: a.value, labels: a.labels, annotations: a.annotations, starts_at: a.startsAt, ends_at: a.endsAt, alert_id: a.id, fingerprint: a.fingerprint });
  return [
    {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: dedupKey,
      payload: {
        summary: clip(groupTitle(g), pagerDutyLimits.summary),
        source: clip(source, pagerDutyLimits.source),
        severity,
        timestamp: first.startsAt,
        class: first.ruleKind,
        custom_details: {
          org: n.org.name,
          receiver: g.receiver,
          group_key: g.key,
          group_labels: g.labels,
          firing: firing.map(listed),
          resolved: g.alerts.filter((a) => a.state === 'resolved').map(listed),
          truncated_alerts: g.truncatedAlerts,
        },
      },
      ...(link && { links: [{ href: link, text: 'IntentVision' }] }),
      client: 'IntentVision',
      ...(link && { client_url: link }),
    },
  ];
}

/**
 * The events to send, in order. firing → trigger, acknowledged → acknowledge, resolved → resolve,
 * each with dedup_key = fingerprint. A test is a trigger (severity info, a summary that says it is a
 * test, its own dedup_key) followed at once by a resolve of it: the channel is proven end to end, and
 * no incident is left open for someone to close by hand. A group notification is one event for the
 * group ({@link groupDedupKey}).
 */
export function pagerDutyEvents(routingKey: string, n: AlertNotification, now: Date): PagerDutyEvent[] {
  if (n.group && n.event !== 'test') return groupEvents(routingKey, n, n.group);
  const dedupKey = clip(n.alert.fingerprint, pagerDutyLimits.dedupKey);
  const bare = (action: 'acknowledge' | 'resolve', key: string): PagerDutyEvent => ({ routing_key: routingKey, event_action: action, dedup_key: key, client: 'IntentVision' });
  switch (n.event) {
    case 'firing':
      return [trigger(routingKey, n, dedupKey, now)];
    case 'acknowledged':
      return [bare('acknowledge', dedupKey)];
    case 'resolved':
      return [bare('resolve', dedupKey)];
    case 'test': {
      const key = testDedupKey(n);
      return [trigger(routingKey, n, key, now), bare('resolve', key)];
    }
  }
}
