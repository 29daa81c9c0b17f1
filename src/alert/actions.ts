// Manual actions on alerts (acknowledge, resolve) and deleting a rule with its open alerts. Each
// action locks the rule, then the alert (the order a pass takes), moves the alert, records the
// transition and queues the notification the rule's policy asks for.
import { AppError } from '../core/errors.js';
import { getAlert, insertTransitions, openAlertsOfRule, updateAlerts, type AlertChange, type StoredAlert } from './alerts-store.js';
import { getChannels } from './channels-store.js';
import { decideNotification, type NotificationPolicy } from './dedup.js';
import { channelsToldOf, enqueueDeliveries } from './deliveries-store.js';
import { routeEvent } from './grouping/route.js';
import { addToGroups } from './grouping/store.js';
import { acknowledge, resolve, type Actor, type ActorRef } from './lifecycle.js';
import { deliverySettings, type AlertingDeps } from './pass/deps.js';
import { changeOf, instanceOf, toDate, toMs } from './pass/stored-alert.js';
import { payloadOf } from './payload.js';
import { deleteRule, getRule, lockRule } from './store.js';
import { getOrg } from '../tenancy/orgs.js';

const noPolicy: NotificationPolicy = { dedupWindowSeconds: 0, repeatIntervalSeconds: 0 };

async function manualAction(deps: AlertingDeps, orgId: string, alertId: string, action: 'acknowledge' | 'resolve', actor: ActorRef, comment: string | null): Promise<StoredAlert> {
  const now = deps.now();
  const nowMs = now.getTime();
  const org = (await getOrg(deps.sql, orgId)) ?? { id: orgId, name: '' };
  const out = await deps.sql.transaction(async (tx) => {
    const before = await getAlert(tx, orgId, alertId);
    if (!before) throw new AppError('not_found', 'No such alert');
    // Lock order as in a pass: the rule, then the alert.
    const rule = before.ruleId ? await lockRule(tx, orgId, before.ruleId) : undefined;
    const a = (await getAlert(tx, orgId, alertId, true))!;
    const moved = action === 'acknowledge' ? acknowledge(instanceOf(a), actor, comment, nowMs) : resolve(instanceOf(a), actor, comment, nowMs);
    const inst = moved.instance;
    const decision = decideNotification({ state: inst.state, lastNotifiedAtMs: toMs(a.lastNotifiedAt), lastNotifiedEvent: a.lastEvent, notificationCount: a.notificationCount }, rule ?? noPolicy, nowMs);
    const who: Actor = { kind: actor.kind, id: actor.id, comment };
    const change: AlertChange = {
      ...changeOf(a),
      state: inst.state,
      acknowledgedAt: toDate(inst.acknowledgedAtMs),
      acknowledgedBy: action === 'acknowledge' ? who : a.acknowledgedBy,
      endedAt: toDate(inst.resolvedAtMs),
      resolvedBy: action === 'resolve' ? who : a.resolvedBy,
      silenceId: inst.silenceId,
      notificationCount: decision.next.notificationCount,
      lastNotifiedAt: toDate(decision.next.lastNotifiedAtMs),
      lastEvent: decision.next.lastNotifiedEvent,
    };
    await updateAlerts(tx, orgId, [{ id: a.id, change }], now);
    await insertTransitions(tx, orgId, [{ alertId: a.id, at: new Date(moved.transition.at), from: moved.transition.from, to: moved.transition.to, actor: moved.transition.actor, value: a.value }]);
    if (!decision.send) return { queued: 0 };
    // The rule's channels and any other told of the firing (the rule may have changed, or be gone).
    const told = (await channelsToldOf(tx, orgId, [a.id])).get(a.id) ?? [];
    const channels = await getChannels(tx, orgId, [...new Set([...(rule?.channels ?? []), ...told])]);
    // A resolution joins the alert's group on grouped channels; an acknowledgement goes out at once.
    const routed = routeEvent(channels, a.id, decision.send, payloadOf(deps.publicUrl, org, { ...a, ...change }, decision.send, who), deliverySettings(deps).maxAttempts);
    await enqueueDeliveries(tx, orgId, routed.deliveries, now);
    return { queued: routed.deliveries.length + (await addToGroups(tx, orgId, routed.grouped, now)) };
  });
  if (out.queued) deps.onDeliveriesQueued?.();
  return (await getAlert(deps.sql, orgId, alertId))!;
}

/** Acknowledges a firing alert (409 from any other state); the acknowledgement is notified (PagerDuty: acknowledge). */
export function acknowledgeAlert(deps: AlertingDeps, orgId: string, alertId: string, actor: ActorRef, comment: string | null): Promise<StoredAlert> {
  return manualAction(deps, orgId, alertId, 'acknowledge', actor, comment);
}

/** Resolves an open alert (409 when resolved already); the resolution is notified to every channel told of it. */
export function resolveAlert(deps: AlertingDeps, orgId: string, alertId: string, actor: ActorRef, comment: string | null): Promise<StoredAlert> {
  return manualAction(deps, orgId, alertId, 'resolve', actor, comment);
}

/**
 * Deletes a rule: its open alerts are resolved first (by `actor`) and the resolutions queued, since
 * their channels would otherwise keep them open forever; history stays with the rule's name.
 */
export async function removeRule(deps: AlertingDeps, orgId: string, ruleId: string, actor: Actor): Promise<boolean> {
  const rule = await getRule(deps.sql, orgId, ruleId);
  if (!rule) return false;
  for (const a of (await openAlertsOfRule(deps.sql, orgId, ruleId)).values()) {
    try {
      await resolveAlert(deps, orgId, a.id, actor, actor.comment);
    } catch (err) {
      if (!(err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found'))) throw err;
    }
  }
  return deleteRule(deps.sql, orgId, ruleId);
}
