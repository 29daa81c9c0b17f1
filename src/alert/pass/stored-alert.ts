// Between the store's alert record and the lifecycle's instance (./lifecycle.ts works in epoch ms).
import type { AlertChange, StoredAlert } from '../alerts-store.js';
import type { AlertInstance } from '../lifecycle.js';

export const toMs = (d: Date | null): number | null => (d ? d.getTime() : null);
export const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** The lifecycle part of a stored alert. */
export function instanceOf(a: StoredAlert): AlertInstance {
  return {
    state: a.state,
    startedAtMs: a.startedAt.getTime(),
    firedAtMs: toMs(a.firedAt),
    acknowledgedAtMs: toMs(a.acknowledgedAt),
    resolvedAtMs: toMs(a.endedAt),
    silenceId: a.silenceId,
  };
}

/** Every changeable field of a stored alert as it is (a change starts from this). */
export function changeOf(a: StoredAlert): AlertChange {
  return {
    state: a.state,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value,
    summary: a.summary,
    details: a.details,
    anomalyId: a.anomalyId,
    firedAt: a.firedAt,
    endedAt: a.endedAt,
    silenceId: a.silenceId,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedBy: a.acknowledgedBy,
    resolvedBy: a.resolvedBy,
    notificationCount: a.notificationCount,
    lastNotifiedAt: a.lastNotifiedAt,
    lastEvent: a.lastEvent,
    ruleName: a.ruleName,
  };
}
