// The dedup stage: for every alert the step moved, which event (if any) to send now, from its state
// and what was last sent (../../dedup.ts decides); the bookkeeping goes into the alert's change.
import type { AlertEvent } from '../../../notify/notifier.js';
import type { AlertChange } from '../../alerts-store.js';
import { decideNotification, type NotificationPolicy } from '../../dedup.js';
import type { AlertMove } from '../step.js';
import { toDate, toMs } from '../stored-alert.js';

/** An alert move with its complete change and the event to send (null: none). */
export type NotifiedMove = Omit<AlertMove, 'change'> & { change: AlertChange; send: AlertEvent | null };

/** Applies the rule's notification policy to each move at `nowMs` (pure). */
export function dedup(moves: readonly AlertMove[], policy: NotificationPolicy, nowMs: number): NotifiedMove[] {
  return moves.map((m) => {
    const s = m.stored;
    const decision = decideNotification(
      { state: m.instance.state, lastNotifiedAtMs: toMs(s?.lastNotifiedAt ?? null), lastNotifiedEvent: s?.lastEvent ?? null, notificationCount: s?.notificationCount ?? 0 },
      policy,
      nowMs,
    );
    const change: AlertChange = {
      ...m.change,
      notificationCount: decision.next.notificationCount,
      lastNotifiedAt: toDate(decision.next.lastNotifiedAtMs),
      lastEvent: decision.next.lastNotifiedEvent,
    };
    return { ...m, change, send: decision.send };
  });
}
