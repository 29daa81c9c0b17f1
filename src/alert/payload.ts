// The notification payload of an alert event, as stored with each queued delivery (the delivery adds its id).
import type { AlertEvent } from '../notify/notifier.js';
import type { NewAlert, StoredAlert } from './alerts-store.js';
import type { StoredPayload } from './deliveries-store.js';
import type { Actor } from './lifecycle.js';

/** Link to an alert in the API (`{publicUrl}/api/v1/alerts/{id}`); null without a public URL. */
export function alertUrl(publicUrl: string | null | undefined, id: string): string | null {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}/api/v1/alerts/${id}` : null;
}

/** The notification of `event` for an alert as it is now; `actor` is told for acknowledgements and resolutions. */
export function payloadOf(publicUrl: string | null | undefined, org: { id: string; name: string }, a: StoredAlert | (NewAlert & { id: string }), event: AlertEvent, actor?: Actor): StoredPayload {
  return {
    event,
    org,
    externalUrl: publicUrl ? publicUrl.replace(/\/+$/, '') : null,
    alert: {
      id: a.id,
      fingerprint: a.fingerprint,
      ruleId: a.ruleId ?? '',
      ruleName: a.ruleName,
      ruleKind: a.ruleKind,
      severity: a.severity,
      state: a.state,
      summary: a.summary,
      labels: a.labels,
      annotations: a.annotations,
      value: a.value,
      startsAt: (a.firedAt ?? a.startedAt).toISOString(),
      endsAt: a.endedAt ? a.endedAt.toISOString() : null,
      url: alertUrl(publicUrl, a.id),
      details: a.details,
      ...(actor && (event === 'acknowledged' || event === 'resolved') ? { actor: { kind: actor.kind, id: actor.id, comment: actor.comment } } : {}),
    },
  };
}
