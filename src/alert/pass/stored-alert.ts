// Between the store's alert record and the lifecycle's instance (./lifecycle.ts works in epoch ms).
import { alertEntity, type AlertChange, type StoredAlert } from '../alerts-store.js';
import { pick } from '../../store/entity.js';
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
export const changeOf = (a: StoredAlert): AlertChange => pick(a, alertEntity.writable);
