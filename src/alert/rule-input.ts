// A rule from an API body: the defaults a created rule gets for what it leaves out, and a change
// applied over a stored rule. The condition is normalised by its kind (./rules).
import type { AlertRule } from './rule.js';
import { normaliseCondition, type ConditionInput } from './rules/index.js';
import type { RuleInput } from './store.js';

type Fields = Omit<RuleInput, 'condition'>;

/** A rule as the API takes it: name and key required on create, the rest optional. */
export type RuleBody = Pick<Fields, 'name' | 'key'> & Partial<Fields> & { condition: ConditionInput };

/** Every rule field but the condition, in the order the API lists them. */
export const ruleFieldNames = ['name', 'key', 'dimensions', 'severity', 'labels', 'annotations', 'evaluationIntervalSeconds', 'channels', 'dedupWindowSeconds', 'repeatIntervalSeconds', 'enabled'] as const satisfies readonly (keyof Fields)[];

/** What a created rule gets for each field its body leaves out (fresh objects each call). */
export function ruleDefaults(): Omit<Fields, 'name' | 'key'> {
  return { dimensions: {}, severity: 'warning', labels: {}, annotations: {}, evaluationIntervalSeconds: 60, channels: [], dedupWindowSeconds: 300, repeatIntervalSeconds: 0, enabled: true };
}

/** The fields of `b` that are present. */
function given(b: Partial<Fields>): Partial<Fields> {
  const out: Partial<Record<keyof Fields, unknown>> = {};
  for (const k of ruleFieldNames) if (b[k] !== undefined) out[k] = b[k];
  return out as Partial<Fields>;
}

/** The rule a create body describes: defaults for what it leaves out, its condition normalised. */
export function newRuleInput(b: RuleBody): RuleInput {
  return { ...ruleDefaults(), ...given(b), name: b.name, key: b.key, condition: normaliseCondition(b.condition) };
}

/** `old` with a patch body applied: fields given replace the stored ones (a condition is replaced whole). */
export function changedRuleInput(old: AlertRule, b: Partial<RuleBody>): RuleInput {
  const kept = Object.fromEntries(ruleFieldNames.map((k) => [k, old[k]])) as unknown as Fields;
  return { ...kept, ...given(b), condition: b.condition ? normaliseCondition(b.condition) : old.condition };
}
