import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Operator, SeriesState, ThresholdCondition } from '../rule.js';
import { assertNoNaN, makeRule, makeSeries, MIN, NOW } from '../../../test/helpers/alert-rules.js';
import { staleAfterMs, threshold } from './threshold.js';

const cond = (o: Partial<ThresholdCondition> = {}): ThresholdCondition => ({ kind: 'threshold', operator: 'gt', value: 0.9, forSeconds: 300, ...o });
/** One sample a minute from `fromMin` minutes ago up to now, all with value v. */
const run = (fromMin: number, v = 0.97): [number, number][] => Array.from({ length: fromMin + 1 }, (_, i) => [NOW - (fromMin - i) * MIN, v]);

interface Case {
  name: string;
  points: [number, number][];
  c?: Partial<ThresholdCondition>;
  prev?: SeriesState;
  status: SeriesState['status'];
  activeSinceMs?: number | null;
  value?: number | null;
  stale?: boolean;
}

const cases: Case[] = [
  { name: 'no samples: stale, condition false', points: [], status: 'inactive', activeSinceMs: null, value: null, stale: true },
  { name: 'newest sample older than the stale limit', points: [[NOW - 5 * MIN - 1, 0.97]], status: 'inactive', value: null, stale: true },
  { name: 'newest sample exactly at the stale limit still counts', points: [[NOW - 5 * MIN, 0.97]], c: { forSeconds: 0 }, status: 'firing', activeSinceMs: NOW - 5 * MIN },
  { name: 'stale while firing resolves', points: [[NOW - 6 * MIN, 0.97]], prev: { status: 'firing', activeSinceMs: NOW - 20 * MIN }, status: 'inactive', stale: true },
  { name: 'samples in the future are ignored', points: [[NOW - MIN, 0.5], [NOW + 1, 0.97]], c: { forSeconds: 0 }, status: 'inactive', value: 0.5 },
  { name: 'condition false', points: run(10, 0.5), status: 'inactive', activeSinceMs: null, value: 0.5 },
  { name: 'run began 4m ago: pending since its first sample', points: [[NOW - 5 * MIN, 0.5], ...run(4)], status: 'pending', activeSinceMs: NOW - 4 * MIN, value: 0.97 },
  { name: 'run began exactly forSeconds ago: firing', points: [[NOW - 6 * MIN, 0.5], ...run(5)], status: 'firing', activeSinceMs: NOW - 5 * MIN },
  { name: 'run began forSeconds − 1 ms ago: pending', points: [[NOW - 5 * MIN, 0.5], [NOW - 5 * MIN + 1, 0.97], [NOW, 0.97]], status: 'pending', activeSinceMs: NOW - 5 * MIN + 1 },
  { name: 'a restart (no prev) with a long run fires at once', points: run(10), status: 'firing', activeSinceMs: NOW - 10 * MIN },
  { name: 'prev pending keeps its clock and fires when due', points: run(2), prev: { status: 'pending', activeSinceMs: NOW - 5 * MIN }, status: 'firing', activeSinceMs: NOW - 5 * MIN },
  { name: 'prev pending keeps its clock even if the run looks longer', points: run(10), prev: { status: 'pending', activeSinceMs: NOW - MIN }, status: 'pending', activeSinceMs: NOW - MIN },
  { name: 'prev inactive: the clock comes from the samples', points: run(3), prev: { status: 'inactive', activeSinceMs: null }, status: 'pending', activeSinceMs: NOW - 3 * MIN },
  { name: 'firing turns inactive when the condition fails', points: [...run(10).slice(0, -1), [NOW, 0.2]], prev: { status: 'firing', activeSinceMs: NOW - 10 * MIN }, status: 'inactive', activeSinceMs: null, value: 0.2 },
  { name: 'forSeconds 0 fires at once', points: [[NOW - MIN, 0.5], [NOW, 0.97]], c: { forSeconds: 0 }, status: 'firing', activeSinceMs: NOW },
  { name: 'a gap longer than the stale limit breaks the run', points: [[NOW - 10 * MIN, 0.97], ...run(3)], status: 'pending', activeSinceMs: NOW - 3 * MIN },
  { name: 'a gap of exactly the stale limit does not', points: [[NOW - 9 * MIN, 0.97], ...run(4)], status: 'firing', activeSinceMs: NOW - 9 * MIN },
  { name: 'a NaN sample is skipped, not compared', points: [[NOW - MIN, 0.97], [NOW, Number.NaN]], c: { forSeconds: 0, operator: 'neq', value: 0 }, status: 'firing', activeSinceMs: NOW - MIN, value: 0.97 },
];

for (const k of cases) {
  test(`threshold: ${k.name}`, () => {
    const rule = makeRule(cond(k.c));
    const r = threshold.evaluate(rule, k.prev, makeSeries(k.points), NOW);
    assert.equal(r.state.status, k.status);
    if (k.activeSinceMs !== undefined) assert.equal(r.state.activeSinceMs, k.activeSinceMs);
    if (k.status === 'inactive') assert.equal(r.state.activeSinceMs, null);
    if (k.value !== undefined) assert.equal(r.value, k.value);
    if (k.stale !== undefined) assert.equal(r.details.stale, k.stale);
    assertNoNaN(r);
  });
}

test('threshold: every operator on the latest value, eq/neq exact', () => {
  const table: [Operator, number, boolean][] = [
    ['gt', 1, false], ['gt', 1.0000001, true], ['gte', 1, true], ['gte', 0.9999999, false],
    ['lt', 1, false], ['lt', 0.9999999, true], ['lte', 1, true], ['lte', 1.0000001, false],
    ['eq', 1, true], ['eq', 1 + Number.EPSILON, false], ['neq', 1, false], ['neq', 1 + Number.EPSILON, true],
  ];
  for (const [operator, v, fires] of table) {
    const r = threshold.evaluate(makeRule(cond({ operator, value: 1, forSeconds: 0 })), undefined, makeSeries([[NOW, v]]), NOW);
    assert.equal(r.state.status, fires ? 'firing' : 'inactive', `${v} ${operator} 1`);
  }
});

test('threshold: summaries', () => {
  const rule = makeRule(cond());
  assert.equal(threshold.evaluate(rule, undefined, makeSeries(run(6)), NOW).summary, 'cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)');
  assert.equal(threshold.evaluate(makeRule(cond({ forSeconds: 0, operator: 'lte' })), undefined, makeSeries(run(1, 0.5)), NOW).summary, 'cpu.usage{host=web-1} <= 0.9 (now 0.5)');
  assert.equal(threshold.evaluate(rule, undefined, makeSeries(run(1, 0.5)), NOW).summary, 'cpu.usage{host=web-1} not > 0.9 (now 0.5)');
  assert.equal(threshold.evaluate(rule, undefined, makeSeries([]), NOW).summary, 'cpu.usage{host=web-1}: no data in the last 5m, treated as not > 0.9');
});

test('threshold: stale limit and lookback follow the evaluation interval', () => {
  assert.equal(staleAfterMs({ evaluationIntervalSeconds: 60 }), 5 * MIN);
  assert.equal(staleAfterMs({ evaluationIntervalSeconds: 600 }), 20 * MIN);
  const rule = makeRule(cond({ forSeconds: 3600 }), { evaluationIntervalSeconds: 600 });
  assert.equal(threshold.lookbackMs(rule.condition, rule), 3600_000 + 20 * MIN);
});

test('a threshold that is not a finite number (null, stored before the API refused 1e999) throws instead of firing as "> 0"', () => {
  for (const value of [null, Number.NaN, Infinity]) {
    const c = cond({ value: value as unknown as number, forSeconds: 0 });
    assert.throws(() => threshold.evaluate(makeRule(c), undefined, makeSeries(run(2)), NOW), /condition\.value is not a finite number/);
  }
});
