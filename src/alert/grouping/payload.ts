// The one notification of a group flush: the group's status as the event, its first alert as
// `alert`, and every alert (bounded) in `group.alerts`, firing ones first. Pure.
import type { Labels } from '../../core/labels.js';
import type { AlertNotification, NotificationGroup } from '../../notify/notifier.js';
import type { StoredPayload } from '../deliveries-store.js';

/** Most alerts one group message lists; the rest are counted in `truncatedAlerts`. */
export const maxAlertsPerMessage = 50;

/** A member as the flush reads it: its status and the payload of its latest event. */
export interface MemberPayload {
  status: 'firing' | 'resolved';
  payload: StoredPayload;
}

type Alert = AlertNotification['alert'];

/** Firing alerts first, then resolved ones, each by start time, then fingerprint (a stable order). */
export function orderAlerts(members: readonly MemberPayload[]): Alert[] {
  const rank = (m: MemberPayload) => (m.status === 'firing' ? 0 : 1);
  return [...members]
    .sort((x, y) => rank(x) - rank(y) || Date.parse(x.payload.alert.startsAt) - Date.parse(y.payload.alert.startsAt) || (x.payload.alert.fingerprint < y.payload.alert.fingerprint ? -1 : 1))
    .map((m) => ({ ...m.payload.alert, state: m.status === 'resolved' ? 'resolved' : m.payload.alert.state }));
}

/** The notification of a group; `members` is not empty. */
export function groupPayload(group: { key: string; labels: Labels; receiver: string }, members: readonly MemberPayload[], org: { id: string; name: string }): StoredPayload {
  const alerts = orderAlerts(members);
  const status: NotificationGroup['status'] = members.some((m) => m.status === 'firing') ? 'firing' : 'resolved';
  const first = members.find((m) => m.payload.alert.id === alerts[0]!.id) ?? members[0]!;
  return {
    event: status,
    org,
    externalUrl: first.payload.externalUrl ?? null,
    alert: alerts[0]!,
    group: {
      key: group.key,
      labels: group.labels,
      receiver: group.receiver,
      status,
      alerts: alerts.slice(0, maxAlertsPerMessage),
      truncatedAlerts: Math.max(0, alerts.length - maxAlertsPerMessage),
    },
  };
}
