// The one entry point for evaluating a rule against one series: dispatches to the rule kind's spec
// (./rules) and guarantees the result carries no NaN or infinity.
import type { AlertRule, EvaluationResult, SeriesInput, SeriesState } from './rule.js';
import { specOf } from './rules/index.js';

/**
 * The condition's status for one series at `nowMs` (epoch ms). `prev` is what the previous pass
 * returned in `result.state` for this (rule, series), undefined on the first pass. Pure.
 */
export function evaluateRule(rule: AlertRule, prev: SeriesState | undefined, input: SeriesInput, nowMs: number): EvaluationResult {
  const result = specOf(rule.condition).evaluate(rule, prev, input, nowMs);
  return result.value !== null && !Number.isFinite(result.value) ? { ...result, value: null } : result;
}

/** How far back (ms) before now a pass must read samples and anomalies for this rule; 0 = none. */
export function ruleLookbackMs(rule: AlertRule): number {
  return specOf(rule.condition).lookbackMs(rule.condition, rule);
}
