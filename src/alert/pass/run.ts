// One pass of one rule: read → derive (detection, forecasts) → in one transaction: lock the rule,
// read its prior state → pure step → dedup stage → write (with the enqueue stage). Deliveries go out
// separately (../delivery.ts, the 'notification-delivery' job).
//
// Concurrency: a pass and a manual action on the same rule lock the rule row first, so they take turns.
import { loadSeriesStates, lockRuleForPass, recordPass, type StoredRule } from '../store.js';
import { openAlertsOfRule } from '../alerts-store.js';
import { deliverySettings, type AlertingDeps } from './deps.js';
import { deriveInputs } from './derive.js';
import { readOrgContext, readRuleSeries, type OrgContext } from './read.js';
import type { PassResult } from './result.js';
import { dedup } from './stages/dedup.js';
import { muteBy } from './stages/silence.js';
import { step } from './step.js';
import { writePass } from './write.js';

/** Evaluates a rule now over every matching series (the scheduled evaluator and "evaluate now" both come here). */
export async function evaluateRuleNow(deps: AlertingDeps, rule: StoredRule, context?: OrgContext): Promise<PassResult> {
  const now = deps.now();
  try {
    return await runPass(deps, rule, now, context ?? (await readOrgContext(deps.sql, rule.orgId, now)));
  } catch (err) {
    await recordPass(deps.sql, rule.orgId, rule.id, { at: now, error: (err as Error).message, seriesCount: null }).catch(() => undefined);
    throw err;
  }
}

const errorText = (errors: readonly string[]) => (errors.length ? errors.slice(0, 5).join('; ') : null);

async function runPass(deps: AlertingDeps, rule: StoredRule, now: Date, context: OrgContext): Promise<PassResult> {
  const nowMs = now.getTime();
  const orgId = rule.orgId;
  const { series, truncated } = await readRuleSeries(deps.samples, rule, nowMs);
  // Detection and forecasts (the slow parts) run before the transaction.
  const derived = await deriveInputs(deps, rule, series, now);

  const out = await deps.sql.transaction(async (tx) => {
    // The rule as it is now, locked, and the pass recorded; evaluation errors are added at the end.
    const current = await lockRuleForPass(tx, orgId, rule.id, { at: now, error: errorText(derived.errors), seriesCount: series.length });
    if (!current) return undefined;
    const prior = { states: await loadSeriesStates(tx, orgId, rule.id), open: await openAlertsOfRule(tx, orgId, rule.id) };
    const stepped = step(orgId, current, prior, derived.inputs, muteBy(context.silences, nowMs), nowMs, !truncated);
    const moves = dedup(stepped.moves, current, nowMs);
    const written = await writePass(tx, orgId, rule.id, now, { states: stepped.states, moves, series: stepped.series }, {
      org: context.org,
      publicUrl: deps.publicUrl,
      ruleChannels: current.channels,
      channels: context.channels,
      maxAttempts: deliverySettings(deps).maxAttempts,
    });
    if (stepped.errors.length) await recordPass(tx, orgId, rule.id, { at: now, error: errorText([...derived.errors, ...stepped.errors]), seriesCount: series.length });
    return { series: stepped.series, errors: stepped.errors, ...written };
  });

  // Alerts added to groups count too: the evaluator then schedules the delivery job for when they are due.
  if (out?.notifications || out?.grouped) deps.onDeliveriesQueued?.();
  return {
    ruleId: rule.id,
    evaluatedAt: now,
    seriesCount: series.length,
    truncated,
    series: out?.series ?? [],
    transitions: out?.transitions ?? [],
    notifications: out?.notifications ?? 0,
    errors: [...derived.errors, ...(out?.errors ?? [])],
  };
}
