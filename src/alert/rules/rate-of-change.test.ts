import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RateOfChangeCondition, SeriesState } from '../rule.js';
import { assertNoNaN, makeRule, makeSeries, MIN, NOW } from '../../../test/helpers/alert-rules.js';
import { exceeds, rateBetween, rateOfChange } from './rate-of-change.js';

const cond = (o: Partial<RateOfChangeCondition> = {}): RateOfChangeCondition => ({ kind: 'rate_of_change', maxRate: 1, unit: 'per_minute', windowSeconds: 600, direction: 'both', ...o });

interface Case {
  name: string;
  points: [number, number][];
  c?: Partial<RateOfChangeCondition>;
  prev?: SeriesState;
  status: SeriesState['status'];
  rate?: number | null;
  activeSinceMs?: number | null;
}

const cases: Case[] = [
  { name: 'no samples', points: [], status: 'inactive', rate: null },
  { name: 'one sample', points: [[NOW, 5]], status: 'inactive', rate: null },
  { name: 'two samples at the same time span 0 ms', points: [[NOW, 5], [NOW, 9]], status: 'inactive', rate: null },
  { name: 'rising 2/min over the window', points: [[NOW - 10 * MIN, 0], [NOW - 5 * MIN, 3], [NOW, 20]], status: 'firing', rate: 2, activeSinceMs: NOW },
  { name: 'a sample exactly at the window start is inside', points: [[NOW - 10 * MIN, 10], [NOW, 0]], status: 'inactive', rate: -1 },
  { name: 'a sample 1 ms before the window start is outside', points: [[NOW - 10 * MIN - 1, 100], [NOW - 5 * MIN, 0], [NOW, 10]], status: 'firing', rate: 2 },
  { name: 'samples in the future are ignored; exactly maxRate does not fire', points: [[NOW - 5 * MIN, 0], [NOW, 5], [NOW + 1, 1000]], status: 'inactive', rate: 1 },
  { name: 'up: falling fast does not fire', points: [[NOW - 5 * MIN, 20], [NOW, 0]], c: { direction: 'up' }, status: 'inactive', rate: -4 },
  { name: 'down: falling fast fires', points: [[NOW - 5 * MIN, 20], [NOW, 0]], c: { direction: 'down' }, status: 'firing', rate: -4 },
  { name: 'down: rising fast does not fire', points: [[NOW - 5 * MIN, 0], [NOW, 20]], c: { direction: 'down' }, status: 'inactive', rate: 4 },
  { name: 'both: falling fast fires', points: [[NOW - 5 * MIN, 20], [NOW, 0]], status: 'firing', rate: -4 },
  { name: 'per_hour scales the rate', points: [[NOW - 10 * MIN, 0], [NOW, 20]], c: { unit: 'per_hour', maxRate: 100 }, status: 'firing', rate: 120 },
  { name: 'per_hour below the limit', points: [[NOW - 10 * MIN, 0], [NOW, 20]], c: { unit: 'per_hour', maxRate: 120 }, status: 'inactive', rate: 120 },
  { name: 'a firing series keeps its start', points: [[NOW - 5 * MIN, 0], [NOW, 20]], prev: { status: 'firing', activeSinceMs: NOW - 3 * MIN }, status: 'firing', activeSinceMs: NOW - 3 * MIN },
  { name: 'a NaN sample is skipped', points: [[NOW - 5 * MIN, 0], [NOW, Number.NaN]], status: 'inactive', rate: null },
  { name: 'flat', points: [[NOW - 5 * MIN, 7], [NOW, 7]], status: 'inactive', rate: 0 },
];

for (const k of cases) {
  test(`rate_of_change: ${k.name}`, () => {
    const r = rateOfChange.evaluate(makeRule(cond(k.c)), k.prev, makeSeries(k.points), NOW);
    assert.equal(r.state.status, k.status);
    if (k.rate !== undefined) {
      assert.equal(r.value, k.rate);
      assert.equal(r.details.rate, k.rate);
    }
    if (k.activeSinceMs !== undefined) assert.equal(r.state.activeSinceMs, k.activeSinceMs);
    if (k.status === 'inactive') assert.equal(r.state.activeSinceMs, null);
    assertNoNaN(r);
  });
}

test('rate_of_change: details and summaries', () => {
  const r = rateOfChange.evaluate(makeRule(cond()), undefined, makeSeries([[NOW - 10 * MIN, 0], [NOW, 25]]), NOW);
  assert.deepEqual(r.details, {
    unit: 'per_minute',
    windowSeconds: 600,
    direction: 'both',
    maxRate: 1,
    rate: 2.5,
    first: { at: new Date(NOW - 10 * MIN).toISOString(), value: 0 },
    last: { at: new Date(NOW).toISOString(), value: 25 },
    points: 2,
  });
  assert.equal(r.summary, 'cpu.usage{host=web-1} rising at 2.5/min over 10m (limit 1/min)');
  const down = rateOfChange.evaluate(makeRule(cond({ direction: 'down', unit: 'per_hour' })), undefined, makeSeries([[NOW - 10 * MIN, 1], [NOW, 0]]), NOW);
  assert.equal(down.summary, 'cpu.usage{host=web-1} falling at 6/h over 10m (limit 1/h down)');
  assert.equal(rateOfChange.evaluate(makeRule(cond()), undefined, makeSeries([]), NOW).summary, 'cpu.usage{host=web-1}: too few points in the last 10m to measure a rate');
  assert.equal(rateOfChange.lookbackMs(cond(), makeRule(cond())), 600_000);
});

test('rate_of_change: exceeds is strict in every direction', () => {
  const table: [number, RateOfChangeCondition['direction'], boolean][] = [
    [1, 'up', false], [1.01, 'up', true], [-5, 'up', false],
    [-1, 'down', false], [-1.01, 'down', true], [5, 'down', false],
    [1, 'both', false], [-1, 'both', false], [1.01, 'both', true], [-1.01, 'both', true],
  ];
  for (const [rate, direction, want] of table) assert.equal(exceeds(rate, { maxRate: 1, direction }), want, `${rate} ${direction}`);
});

test('values near ±1e308: the rate is taken at half scale; beyond a double it fires in its direction and is reported as null', () => {
  assert.equal(rateBetween({ t: 0, v: -1e308 }, { t: 60_000, v: 1e308 }, 60_000), Infinity); // 2e308 a minute
  const finite = rateBetween({ t: 0, v: -1e308 }, { t: 10 * 60_000, v: 1e308 }, 60_000);
  assert.ok(Math.abs(finite / 2e307 - 1) < 1e-12, String(finite));
  const up = rateOfChange.evaluate(makeRule(cond({ maxRate: 1e300 })), undefined, makeSeries([[NOW - 2 * MIN, -1e308], [NOW - MIN, 1e308]]), NOW);
  assert.equal(up.state.status, 'firing');
  assert.equal(up.value, null);
  assert.equal(up.details.rate, null);
  assert.equal(up.details.reason, 'rate_beyond_double_range');
  assertNoNaN(up);
  const down = rateOfChange.evaluate(makeRule(cond({ maxRate: 1e300, direction: 'up' })), undefined, makeSeries([[NOW - 2 * MIN, 1e308], [NOW - MIN, -1e308]]), NOW);
  assert.equal(down.state.status, 'inactive', 'falling infinitely fast is not a rise');
});

test('a condition number that is not finite (stored before the API refused it) throws instead of comparing as 0', () => {
  const broken = cond({ maxRate: null as unknown as number });
  assert.throws(() => rateOfChange.evaluate(makeRule(broken), undefined, makeSeries([[NOW - MIN, 1]]), NOW), /condition\.maxRate is not a finite number/);
});
