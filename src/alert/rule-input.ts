// A rule from an API body: the defaults a created rule gets for what it leaves out, and a change
// applied over a stored rule. The condition is normalised by its kind (./rules).
import { AppError } from '../core/errors.js';
import type { AlertRule } from './rule.js';
import { normaliseCondition, type ConditionInput } from './rules/index.js';
import type { RuleInput } from './store.js';
import { annotationProblems } from './template/index.js';

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

/**
 * Annotations are templates (./template): one that does not parse, names an unknown function or
 * variable, or calls a function with the wrong number of arguments is refused with a 400
 * `validation_failed` naming the annotation and the line and column of the problem.
 */
export function checkAnnotations(annotations: Readonly<Record<string, string>> | undefined): void {
  const problems = annotationProblems(annotations ?? {});
  if (!problems.length) return;
  throw new AppError(
    'validation_failed',
    problems.map((p) => `annotations.${p.key}: ${p.problem.message}`).join('; '),
    problems.map((p) => ({ field: `body.annotations.${p.key}`, message: p.problem.message, line: p.problem.line, column: p.problem.column })),
  );
}

/** The rule a create body describes: defaults for what it leaves out, its condition normalised; annotations checked. */
export function newRuleInput(b: RuleBody): RuleInput {
  checkAnnotations(b.annotations);
  return { ...ruleDefaults(), ...given(b), name: b.name, key: b.key, condition: normaliseCondition(b.condition) };
}

/** `old` with a patch body applied: fields given replace the stored ones (a condition is replaced whole); new annotations checked. */
export function changedRuleInput(old: AlertRule, b: Partial<RuleBody>): RuleInput {
  checkAnnotations(b.annotations);
  const kept = Object.fromEntries(ruleFieldNames.map((k) => [k, old[k]])) as unknown as Fields;
  return { ...kept, ...given(b), condition: b.condition ? normaliseCondition(b.condition) : old.condition };
}
