// The interface every rule kind implements; one file per kind in this folder, registered in ./index.ts.
import type { AlertRule, EvaluationResult, RuleCondition, RuleKind, SeriesInput, SeriesState } from '../rule.js';

/** The condition type of a rule kind. */
export type ConditionOf<K extends RuleKind> = Extract<RuleCondition, { kind: K }>;

export interface RuleEvaluator<C extends RuleCondition = RuleCondition> {
  readonly kind: C['kind'];
  /**
   * The condition's status for one series at `nowMs` (epoch ms), given what the previous pass
   * remembered (`prev`, undefined on the first pass). Pure: no I/O, no clock; samples and anomalies
   * newer than `nowMs` are ignored. Every number in the result is finite or null.
   */
  evaluate(rule: AlertRule & { condition: C }, prev: SeriesState | undefined, input: SeriesInput, nowMs: number): EvaluationResult;
  /**
   * How far back (ms) the manager must read samples (and, for anomaly rules, anomalies) before `nowMs`
   * so that `evaluate` sees everything it uses. 0 = the kind reads no samples.
   */
  lookbackMs(condition: C, rule: AlertRule): number;
}

/**
 * A condition's number, checked before use: the API accepts only finite numbers, but a rule stored
 * before it did may hold null (JSON's rendering of 1e999), which compares as 0. Throws, so the pass
 * reports the rule as broken for that series instead of firing on it.
 */
export function finiteSetting(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`condition.${name} is not a finite number (${String(value)}): change the rule`);
  return value;
}
