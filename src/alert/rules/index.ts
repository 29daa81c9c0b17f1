// Every rule kind, registered here and only here (index.test.ts fails if a kind or a file in this
// folder is missing). The API's condition schema, normalisation and evaluation all come from here.
import { Type, type Static } from 'typebox';
import { anomaly } from './anomaly.js';
import { forecast } from './forecast.js';
import type { RuleKindSpec } from './kind.js';
import { missingData } from './missing-data.js';
import { rateOfChange } from './rate-of-change.js';
import { threshold } from './threshold.js';

export type { RuleKindSpec } from './kind.js';

// One line per kind.
const specs = { threshold, anomaly, forecast, rate_of_change: rateOfChange, missing_data: missingData };

type Specs = typeof specs;
/** A rule kind's name. */
export type RuleKind = keyof Specs;
/** A rule's condition: one of the kinds' (each declared in its file). */
export type RuleCondition = { [K in RuleKind]: Specs[K] extends RuleKindSpec<infer C> ? C : never }[RuleKind];
/** The condition type of a rule kind. */
export type ConditionOf<K extends RuleKind> = Extract<RuleCondition, { kind: K }>;

/** Every rule kind, in registration order. */
export const ruleKinds = Object.freeze(Object.keys(specs)) as readonly RuleKind[];

/** Each rule kind's spec, by kind. */
export const ruleKindSpecs: { readonly [K in RuleKind]: RuleKindSpec<ConditionOf<K>> } = Object.freeze(specs);

/** A condition as the API accepts it: one of the kinds' schemas. */
export type ConditionInput = { [K in keyof typeof specs]: Static<(typeof specs)[K]['schema']> }[keyof typeof specs];

/** The spec of a condition's kind; throws on a kind no spec has (a corrupt stored rule). */
export function specOf(condition: Pick<RuleCondition, 'kind'>): RuleKindSpec<RuleCondition> {
  const spec = (ruleKindSpecs as Record<string, RuleKindSpec<RuleCondition> | undefined>)[condition.kind];
  if (!spec) throw new Error(`unknown rule kind "${String(condition.kind)}"`);
  return spec;
}

/** One of the rule kinds, told apart by `kind` (validated against that kind's schema only). */
export const Condition = Type.Unsafe<ConditionInput>({
  type: 'object',
  oneOf: ruleKinds.map((k) => ruleKindSpecs[k].schema),
  discriminator: { propertyName: 'kind' },
  description: `One of the kinds ${ruleKinds.join(', ')}, told apart by "kind"`,
});

/** The condition with every optional field filled in (what is stored and evaluated). */
export function normaliseCondition(c: ConditionInput): RuleCondition {
  return specOf(c).normalise(c as never);
}
