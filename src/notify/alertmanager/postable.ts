// The alerts a notification posts to an Alertmanager's `POST /api/v2/alerts` (its `postableAlerts`),
// timed as Prometheus' notifier times them: a firing alert is valid for four resend intervals and is
// re-sent every minute while it fires (src/alert/forward.ts), so Alertmanager resolves it by itself
// only when the platform stops speaking; a resolved alert carries its resolution time.
import type { AlertNotification } from '../notifier.js';
import { alertmanagerAnnotations, alertmanagerLabels, alertsOf, alertStatus, resolvedAt, type KV } from './alert.js';

/** How often firing alerts are re-sent (the `alertmanager-resend` job's period), ms. */
export const resendIntervalMs = 60_000;

/** How long a firing alert stays valid past the message: 4 × max(1 min, resend interval), as Prometheus sets `endsAt`. */
export const firingValidityMs = 4 * Math.max(60_000, resendIntervalMs);

/** One alert of the posted array (Alertmanager API v2 `postableAlert`). */
export interface PostableAlert {
  labels: KV;
  annotations: KV;
  startsAt: string;
  endsAt: string;
  /** Left out when the platform has no public URL. */
  generatorURL?: string;
}

/**
 * The alerts to post for `n` at `now`: every alert of its group, else its one alert. Firing and
 * acknowledged alerts end at now + {@link firingValidityMs}; resolved ones at their resolution time.
 * A `test` event posts no alert: the empty array proves the URL, the credentials and the API version
 * without raising an alert that Alertmanager would route to people.
 */
export function postableAlerts(n: AlertNotification, now: Date): PostableAlert[] {
  if (n.event === 'test') return [];
  const validUntil = new Date(now.getTime() + firingValidityMs).toISOString();
  return alertsOf(n).map((a) => ({
    labels: alertmanagerLabels(a),
    annotations: alertmanagerAnnotations(a),
    startsAt: a.startsAt,
    endsAt: alertStatus(n, a) === 'resolved' ? resolvedAt(a, now) : validUntil,
    ...(a.url && { generatorURL: a.url }),
  }));
}
