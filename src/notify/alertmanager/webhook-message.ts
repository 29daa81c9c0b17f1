// The body Alertmanager's webhook receiver sends (notify/webhook/webhook.go `Message` over
// template/template.go `Data`, protocol version 4), built from a platform notification, for webhook
// channels with `format: "alertmanager"`: receivers written for Alertmanager read it unchanged.
import type { AlertNotification } from '../notifier.js';
import { alertmanagerAnnotations, alertmanagerKV, alertmanagerLabels, alertsOf, alertStatus, goTime, goZeroTime, labelsFingerprint, notificationStatus, resolvedAt, type KV } from './alert.js';

/** One alert of the message (Alertmanager's template.Alert). */
export interface AlertmanagerWebhookAlert {
  status: 'firing' | 'resolved';
  labels: KV;
  annotations: KV;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339; {@link goZeroTime} while firing. */
  endsAt: string;
  /** Link to the alert; "" when the platform has no public URL. */
  generatorURL: string;
  /** 16 hex digits over the labels, as Alertmanager computes it. */
  fingerprint: string;
}

/** Alertmanager's webhook body, version 4, keys in its order. */
export interface AlertmanagerWebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AlertmanagerWebhookAlert[];
  groupLabels: KV;
  commonLabels: KV;
  commonAnnotations: KV;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** The receiver name of a notification without a group (the platform does not tell a channel its own name then). */
export const defaultReceiver = 'intentvision';

/** The pairs `maps` all share (Alertmanager's commonLabels / commonAnnotations); {} for no maps. */
export function commonOf(maps: readonly KV[]): KV {
  if (!maps.length) return {};
  const out: KV = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/**
 * The message for `n`: its group (key, labels, receiver, status, alerts, truncated count), or a group
 * of its one alert (groupKey the platform's fingerprint of the alert, groupLabels {}). `acknowledged`
 * and `test` events are sent as firing messages: an acknowledged alert carries the annotation
 * `acknowledged: "true"` (Alertmanager itself has no acknowledgement, only silences).
 */
export function alertmanagerWebhookMessage(n: AlertNotification, now: Date): AlertmanagerWebhookMessage {
  const alerts: AlertmanagerWebhookAlert[] = alertsOf(n).map((a) => {
    const status = alertStatus(n, a);
    const labels = alertmanagerLabels(a);
    return {
      status,
      labels,
      annotations: alertmanagerAnnotations(a),
      startsAt: goTime(a.startsAt),
      endsAt: status === 'resolved' ? goTime(resolvedAt(a, now)) : goZeroTime,
      generatorURL: a.url ?? '',
      fingerprint: labelsFingerprint(labels),
    };
  });
  return {
    receiver: n.group?.receiver ?? defaultReceiver,
    status: notificationStatus(n),
    alerts,
    groupLabels: n.group ? alertmanagerKV(n.group.labels, true) : {},
    commonLabels: commonOf(alerts.map((a) => a.labels)),
    commonAnnotations: commonOf(alerts.map((a) => a.annotations)),
    externalURL: n.externalUrl ?? '',
    version: '4',
    groupKey: n.group?.key ?? n.alert.fingerprint,
    truncatedAlerts: n.group?.truncatedAlerts ?? 0,
  };
}
