// The scheduled evaluator ('alert-evaluator' job): claims the rules due now and runs a pass of each.
// Claiming uses UPDATE … SKIP LOCKED, so several servers evaluate each rule once per interval.
import { listOrgs } from '../../tenancy/orgs.js';
import { claimDueRules } from '../store.js';
import type { AlertingDeps } from './deps.js';
import { readOrgContext } from './read.js';
import { evaluateRuleNow } from './run.js';

/** Most rules one org's tick claims; the rest stay due for the next tick. */
export const maxRulesPerTick = 1000;

/**
 * One tick: every enabled rule due at `now` (any org) is claimed and evaluated. Claiming moves the
 * rule to its next time first, so a failing rule is retried at its next interval, not in a loop.
 */
export async function tickAlertRules(deps: AlertingDeps): Promise<{ rules: number; failed: number; transitions: number; notifications: number }> {
  const totals = { rules: 0, failed: 0, transitions: 0, notifications: 0 };
  for (const org of await listOrgs(deps.sql)) {
    const due = await claimDueRules(deps.sql, org.id, deps.now(), maxRulesPerTick);
    const context = due.length ? await readOrgContext(deps.sql, org.id, deps.now()) : undefined;
    for (const rule of due) {
      totals.rules++;
      try {
        const r = await evaluateRuleNow(deps, rule, context);
        totals.transitions += r.transitions.length;
        totals.notifications += r.notifications;
      } catch (err) {
        totals.failed++;
        deps.log?.warn({ err, ruleId: rule.id, orgId: org.id }, 'alert rule evaluation failed');
      }
    }
  }
  return totals;
}
