// The one entry point for evaluating a rule against one series: dispatches to the rule kind's
// evaluator (./rules) and guarantees the result carries no NaN or infinity.
import type { AlertRule, EvaluationResult, RuleCondition, SeriesInput, SeriesState } from './rule.js';
import { ruleEvaluators, type RuleEvaluator } from './rules/index.js';

function evaluatorOf(rule: Pick<AlertRule, 'condition'>): RuleEvaluator<RuleCondition> {
  const ev = (ruleEvaluators as Record<string, RuleEvaluator<RuleCondition> | undefined>)[rule.condition.kind];
  if (!ev) throw new Error(`unknown rule kind "${String(rule.condition.kind)}"`);
  return ev;
}

/**
 * The condition's status for one series at `nowMs` (epoch ms). `prev` is what the previous pass
 * returned in `result.state` for this (rule, series), undefined on the first pass. Pure.
 */
export function evaluateRule(rule: AlertRule, prev: SeriesState | undefined, input: SeriesInput, nowMs: number): EvaluationResult {
  const result = evaluatorOf(rule).evaluate(rule, prev, input, nowMs);
  return result.value !== null && !Number.isFinite(result.value) ? { ...result, value: null } : result;
}

/** How far back (ms) before now the manager must read samples and anomalies for this rule; 0 = none. */
export function ruleLookbackMs(rule: AlertRule): number {
  return evaluatorOf(rule).lookbackMs(rule.condition, rule);
}
