// Which notification (if any) an alert instance needs now, from its state and what was last sent.
// Pure: the caller sends the event and stores `next`.
//
//   firing, nothing sent yet (or last sent 'resolved')   → 'firing'
//   firing, already notified, within dedupWindowSeconds   → nothing, counted (countAsRepeat)
//   firing, repeatIntervalSeconds > 0 and due             → 'firing' again (never inside the dedup window)
//   acknowledged, 'firing' was sent                       → 'acknowledged' once; no repeats after that
//   resolved, 'firing' or 'acknowledged' was sent         → 'resolved' once (resets: a later firing is new)
//   pending, suppressed                                   → nothing
// An instance nobody was told about (pending only, silenced throughout) resolves silently.
import type { AlertState } from './lifecycle.js';
import type { AlertRule } from './rule.js';

export type NotifiedEvent = 'firing' | 'acknowledged' | 'resolved';

/** The notification bookkeeping of one alert instance. */
export interface NotificationRecord {
  state: AlertState;
  /** When the last notification was sent, ms; null if none. */
  lastNotifiedAtMs: number | null;
  lastNotifiedEvent: NotifiedEvent | null;
  /** Notifications sent plus firing passes swallowed by the dedup window. */
  notificationCount: number;
}

export type NotificationPolicy = Pick<AlertRule, 'dedupWindowSeconds' | 'repeatIntervalSeconds'>;

export type DecisionReason =
  | 'first_firing'
  | 'repeat'
  | 'deduplicated'
  | 'already_notified'
  | 'acknowledged'
  | 'resolved'
  | 'pending'
  | 'suppressed'
  | 'never_notified';

export interface NotificationDecision {
  /** The event to send now, or null. */
  send: NotifiedEvent | null;
  /** A firing pass inside the dedup window: nothing sent, but the count increases. */
  countAsRepeat: boolean;
  reason: DecisionReason;
  /** The bookkeeping to store after this pass (equal to the input's when nothing happened). */
  next: Omit<NotificationRecord, 'state'>;
}

export function decideNotification(record: NotificationRecord, policy: NotificationPolicy, nowMs: number): NotificationDecision {
  const last = record.lastNotifiedEvent;
  const same = (reason: DecisionReason): NotificationDecision => ({ send: null, countAsRepeat: false, reason, next: bookkeeping(record) });
  const send = (event: NotifiedEvent, reason: DecisionReason): NotificationDecision => ({
    send: event,
    countAsRepeat: false,
    reason,
    next: { lastNotifiedAtMs: nowMs, lastNotifiedEvent: event, notificationCount: record.notificationCount + 1 },
  });

  switch (record.state) {
    case 'pending':
      return same('pending');
    case 'suppressed':
      return same('suppressed');
    case 'acknowledged':
      return last === 'firing' ? send('acknowledged', 'acknowledged') : same(last === null ? 'never_notified' : 'already_notified');
    case 'resolved':
      return last === 'firing' || last === 'acknowledged' ? send('resolved', 'resolved') : same(last === null ? 'never_notified' : 'already_notified');
    case 'firing': {
      if (last === null || last === 'resolved' || record.lastNotifiedAtMs === null) return send('firing', 'first_firing');
      const elapsed = nowMs - record.lastNotifiedAtMs;
      if (elapsed < policy.dedupWindowSeconds * 1000) {
        return { send: null, countAsRepeat: true, reason: 'deduplicated', next: { ...bookkeeping(record), notificationCount: record.notificationCount + 1 } };
      }
      if (policy.repeatIntervalSeconds > 0 && elapsed >= policy.repeatIntervalSeconds * 1000) return send('firing', 'repeat');
      return same('already_notified');
    }
  }
}

function bookkeeping(r: NotificationRecord): Omit<NotificationRecord, 'state'> {
  return { lastNotifiedAtMs: r.lastNotifiedAtMs, lastNotifiedEvent: r.lastNotifiedEvent, notificationCount: r.notificationCount };
}
