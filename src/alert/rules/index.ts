// Every rule kind's evaluator, registered here and only here (index.test.ts fails if a kind or a file
// in this folder is missing).
import type { RuleKind } from '../rule.js';
import { anomaly } from './anomaly.js';
import type { ConditionOf, RuleEvaluator } from './evaluator.js';
import { forecast } from './forecast.js';
import { missingData } from './missing-data.js';
import { rateOfChange } from './rate-of-change.js';
import { threshold } from './threshold.js';

export type { ConditionOf, RuleEvaluator } from './evaluator.js';

/** The evaluator of each rule kind. */
export const ruleEvaluators: { readonly [K in RuleKind]: RuleEvaluator<ConditionOf<K>> } = Object.freeze({
  threshold,
  anomaly,
  forecast,
  rate_of_change: rateOfChange,
  missing_data: missingData,
});
