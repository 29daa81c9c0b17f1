import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { evaluateRule, ruleLookbackMs } from '../evaluate.js';
import type { RuleCondition } from '../rule.js';
import { makeRule, makeSeries, NOW } from '../../../test/helpers/alert-rules.js';
import { Condition, normaliseCondition, ruleKinds, ruleKindSpecs } from './index.js';

test('every rule kind has a spec under its name, and every file here is a registered kind', () => {
  for (const kind of ruleKinds) {
    assert.ok(ruleKindSpecs[kind], `no spec for ${kind}`);
    assert.equal(ruleKindSpecs[kind].kind, kind);
  }
  assert.deepEqual(Object.keys(ruleKindSpecs).sort(), [...ruleKinds].sort());
  const files = readdirSync(new URL('./', import.meta.url))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts' && f !== 'kind.ts')
    .map((f) => f.replace(/\.ts$/, '').replaceAll('-', '_'));
  assert.deepEqual(files.sort(), [...ruleKinds].sort());
});

const conditions: RuleCondition[] = [
  { kind: 'threshold', operator: 'gt', value: 0.9, forSeconds: 300 },
  { kind: 'anomaly', minSeverity: 'high', sensitivity: 0.5 },
  { kind: 'forecast', horizonHours: 24, operator: 'gt', value: 100, level: 95 },
  { kind: 'rate_of_change', maxRate: 1, unit: 'per_minute', windowSeconds: 600, direction: 'both' },
  { kind: 'missing_data', expectedIntervalMs: 120_000 },
];

test('evaluateRule dispatches by kind; ruleLookbackMs is finite and ≥ 0', () => {
  const input = makeSeries([[NOW - 60_000, 0.5]]);
  assert.deepEqual(conditions.map((c) => c.kind).sort(), [...ruleKinds].sort());
  for (const c of conditions) {
    const rule = makeRule(c);
    const r = evaluateRule(rule, undefined, input, NOW);
    assert.ok(['inactive', 'pending', 'firing'].includes(r.state.status), c.kind);
    assert.equal(typeof r.summary, 'string');
    const lb = ruleLookbackMs(rule);
    assert.ok(Number.isFinite(lb) && lb >= 0, `${c.kind} lookback ${lb}`);
  }
  assert.equal(ruleLookbackMs(makeRule(conditions[0]!)), 300_000 + 300_000);
  assert.equal(ruleLookbackMs(makeRule(conditions[3]!)), 600_000);
});

test('evaluateRule refuses an unknown kind (a corrupt stored rule) loudly', () => {
  const rule = makeRule({ kind: 'nope' } as unknown as RuleCondition);
  assert.throws(() => evaluateRule(rule, undefined, makeSeries([]), NOW), /unknown rule kind "nope"/);
});

test('each kind\'s schema is a branch of Condition, with its kind as a literal', () => {
  const branches = (Condition as unknown as { oneOf: { properties: { kind: { const: string } } }[] }).oneOf;
  assert.deepEqual(
    branches.map((b) => b.properties.kind.const),
    [...ruleKinds],
  );
});

test('normalisation fills every default in and keeps what was given', () => {
  assert.deepEqual(normaliseCondition({ kind: 'threshold', operator: 'gt', value: 1 } as never), { kind: 'threshold', operator: 'gt', value: 1, forSeconds: 0 });
  assert.deepEqual(normaliseCondition({ kind: 'anomaly' } as never), { kind: 'anomaly', minSeverity: 'medium', sensitivity: 0.5 });
  assert.deepEqual(normaliseCondition({ kind: 'forecast', horizonHours: 2, operator: 'lt', value: 3 } as never), { kind: 'forecast', horizonHours: 2, operator: 'lt', value: 3, level: 95 });
  assert.deepEqual(normaliseCondition({ kind: 'rate_of_change', maxRate: 1, windowSeconds: 60 } as never), { kind: 'rate_of_change', maxRate: 1, unit: 'per_minute', windowSeconds: 60, direction: 'both' });
  assert.deepEqual(normaliseCondition({ kind: 'missing_data', expectedIntervalMs: 5000 } as never), { kind: 'missing_data', expectedIntervalMs: 5000 });
  for (const c of conditions) assert.deepEqual(normaliseCondition(c as never), c, c.kind);
});
