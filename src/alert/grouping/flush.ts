// Alertmanager-style grouping of notifications: flushes the groups whose time has come (issue 17,
// part C). Each look at a group decides (./timing.ts) whether the group has news; if so, one delivery
// carries the whole group (./payload.ts), and the delivery engine sends it with its retries.
import { getOrg, listOrgs } from '../../tenancy/orgs.js';
import type { Sql } from '../../store/sql.js';
import type { DeliveryDeps } from '../delivery.js';
import { enqueueDeliveries, type NewDelivery } from '../deliveries-store.js';
import { groupingDefaults } from './config.js';
import { groupPayload } from './payload.js';
import { claimDueGroups, membersOf, orgsWithDueGroups, saveLook, upcomingFlushes } from './store.js';
import { decideFlush } from './timing.js';

/** Groups looked at per transaction. */
const groupsPerRound = 100;

/** Looks at the due groups of one org (one transaction per round); returns the deliveries queued. */
async function flushOrg(deps: DeliveryDeps, orgId: string): Promise<number> {
  let queued = 0;
  for (let round = 0; round < 1000 && !deps.signal?.aborted; round++) {
    const n = await deps.sql.transaction(async (tx) => {
      const now = deps.now();
      const groups = await claimDueGroups(tx, orgId, now, groupsPerRound);
      if (!groups.length) return -1;
      const members = await membersOf(tx, orgId, groups.map((g) => g.id));
      const org = (await getOrg(tx, orgId)) ?? { id: orgId, name: '' };
      const deliveries: NewDelivery[] = [];
      for (const g of groups) {
        const ms = members.get(g.id) ?? [];
        // A disabled channel sends nothing (as ungrouped events skip it): its groups end.
        const decision = g.enabled ? decideFlush(g.state, ms, g.grouping ?? groupingDefaults, now.getTime()) : { ...decideFlush(g.state, [], groupingDefaults, now.getTime()), remove: true };
        const shown = ms.filter((m) => !m.muted);
        if (decision.send && shown.length) {
          const payload = groupPayload({ key: g.key, labels: g.labels, receiver: g.receiver }, shown, { id: org.id, name: org.name });
          deliveries.push({ alertId: payload.alert.id, channelId: g.channelId, event: payload.event, payload, maxAttempts: g.maxAttempts });
        }
        await saveLook(tx, orgId, g.id, decision, now);
      }
      await enqueueDeliveries(tx, orgId, deliveries, now);
      return deliveries.length;
    });
    if (n < 0) break;
    queued += n;
  }
  return queued;
}

/** Sends every group due by now as one delivery per group; returns the number of group notifications queued. */
export async function flushDueGroups(deps: DeliveryDeps): Promise<number> {
  const orgIds = (await listOrgs(deps.sql)).map((o) => o.id);
  let queued = 0;
  for (const orgId of await orgsWithDueGroups(deps.sql, orgIds, deps.now())) {
    try {
      queued += await flushOrg(deps, orgId);
    } catch (err) {
      // A store error: the groups stay due for the next run, and the deliveries of this run still go out.
      deps.log?.error({ err, orgId }, 'notification group flush failed');
    }
  }
  return queued;
}

/**
 * Seconds from `now` until groups (any org) become due within the next `withinSeconds`, at most five:
 * the evaluator sends a delivery job for each, so a group wait shorter than the job's minute schedule
 * is kept.
 */
export async function groupFlushDelays(sql: Sql, now: Date, withinSeconds: number): Promise<number[]> {
  const orgIds = (await listOrgs(sql)).map((o) => o.id);
  const limitMs = now.getTime() + withinSeconds * 1000;
  return (await upcomingFlushes(sql, orgIds, now, 5)).filter((at) => at.getTime() <= limitMs).map((at) => (at.getTime() - now.getTime()) / 1000);
}
