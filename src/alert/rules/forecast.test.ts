import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ForecastCondition, ForecastSample, Operator, SeriesState } from '../rule.js';
import { assertNoNaN, makeRule, makeSeries, NOW } from '../../../test/helpers/alert-rules.js';
import { boundFor, forecast } from './forecast.js';

const H = 3_600_000;
const cond = (o: Partial<ForecastCondition> = {}): ForecastCondition => ({ kind: 'forecast', horizonHours: 24, operator: 'gt', value: 0.9, level: 95, ...o });
/** Steps [offset ms from now, mean, lower, upper]. */
const fc = (steps: [number, number, number, number][]): ForecastSample => ({
  timestampsMs: Float64Array.from(steps, (s) => NOW + s[0]),
  mean: Float64Array.from(steps, (s) => s[1]),
  lower: Float64Array.from(steps, (s) => s[2]),
  upper: Float64Array.from(steps, (s) => s[3]),
  level: 95,
  model: 'ets',
});
// Hourly steps for 48 h: the mean climbs 10 an hour from 50, the interval is mean ± 10.
const rising = fc(Array.from({ length: 48 }, (_, i) => [(i + 1) * H, 50 + 10 * (i + 1), 40 + 10 * (i + 1), 60 + 10 * (i + 1)]));

interface Case {
  name: string;
  f: ForecastSample | null | undefined;
  c?: Partial<ForecastCondition>;
  prev?: SeriesState;
  status: SeriesState['status'];
  breachAt?: number;
  predicted?: number;
  reason?: string;
}

const cases: Case[] = [
  { name: 'no forecast given', f: undefined, status: 'inactive', reason: 'no_forecast' },
  { name: 'too little history (null)', f: null, status: 'inactive', reason: 'insufficient_history' },
  { name: 'gt tests the upper bound, which crosses before the mean', f: fc([[H, 0.6, 0.5, 0.7], [2 * H, 0.8, 0.7, 0.95], [3 * H, 0.95, 0.85, 1.05]]), status: 'firing', breachAt: NOW + 2 * H, predicted: 0.8 },
  { name: 'breach beyond the horizon', f: fc([[3 * H, 1, 0.9, 1.1]]), c: { horizonHours: 2 }, status: 'inactive', reason: 'no_breach' },
  { name: 'breach exactly at the horizon end', f: fc([[2 * H, 1, 0.9, 1.1]]), c: { horizonHours: 2 }, status: 'firing', breachAt: NOW + 2 * H },
  { name: 'breach 1 ms after the horizon end', f: fc([[2 * H + 1, 1, 0.9, 1.1]]), c: { horizonHours: 2 }, status: 'inactive' },
  { name: 'steps before now are ignored', f: fc([[-H, 2, 2, 2], [H, 0.5, 0.4, 0.6]]), status: 'inactive' },
  { name: 'a step exactly at now counts', f: fc([[0, 1, 1, 1]]), status: 'firing', breachAt: NOW },
  { name: 'gt: an upper bound equal to the value does not breach', f: fc([[H, 0.8, 0.7, 0.9]]), status: 'inactive' },
  { name: 'gte: an upper bound equal to the value breaches', f: fc([[H, 0.8, 0.7, 0.9]]), c: { operator: 'gte' }, status: 'firing', predicted: 0.8 },
  { name: 'lt tests the lower bound', f: fc([[H, 0.3, 0.05, 0.5]]), c: { operator: 'lt', value: 0.1 }, status: 'firing', predicted: 0.3 },
  { name: 'lte: lower equal breaches', f: fc([[H, 0.3, 0.1, 0.5]]), c: { operator: 'lte', value: 0.1 }, status: 'firing' },
  { name: 'lt: the upper bound below does not matter', f: fc([[H, 0.3, 0.2, 0.05]]), c: { operator: 'lt', value: 0.1 }, status: 'inactive' },
  { name: 'eq tests the mean', f: fc([[H, 0.5, 1, 1], [2 * H, 1, 0, 2]]), c: { operator: 'eq', value: 1 }, status: 'firing', breachAt: NOW + 2 * H },
  { name: 'neq tests the mean', f: fc([[H, 1, 0, 0], [2 * H, 1.5, 1, 1]]), c: { operator: 'neq', value: 1 }, status: 'firing', breachAt: NOW + 2 * H },
  { name: 'non-finite steps are skipped', f: fc([[H, Number.NaN, 0, 5], [2 * H, 0.8, 0.7, Number.POSITIVE_INFINITY], [3 * H, 0.9, 0.8, 1]]), status: 'firing', breachAt: NOW + 3 * H },
  { name: 'an empty forecast', f: fc([]), status: 'inactive', reason: 'no_breach' },
];

for (const k of cases) {
  test(`forecast: ${k.name}`, () => {
    const r = forecast.evaluate(makeRule(cond(k.c)), k.prev, makeSeries([], { forecast: k.f }), NOW);
    assert.equal(r.state.status, k.status);
    if (k.breachAt !== undefined) assert.equal(r.details.predictedBreachAt, new Date(k.breachAt).toISOString());
    if (k.predicted !== undefined) assert.equal(r.value, k.predicted);
    if (k.reason !== undefined) assert.equal(r.details.reason, k.reason);
    if (k.status === 'inactive') assert.equal(r.value, null);
    assertNoNaN(r);
  });
}

test('forecast: the firing payload, summary and a kept start', () => {
  const rule = makeRule(cond({ value: 90 }));
  const r = forecast.evaluate(rule, undefined, makeSeries([], { forecast: rising }), NOW);
  assert.equal(r.state.activeSinceMs, NOW);
  assert.equal(r.value, 90);
  assert.equal(r.details.predictedBreachAt, new Date(NOW + 4 * H).toISOString());
  assert.equal(r.details.model, 'ets');
  assert.equal(r.details.bound, 'upper');
  assert.deepEqual(r.details.interval, { level: 95, lower: 80, upper: 100 });
  assert.equal(r.summary, 'cpu.usage{host=web-1} forecast > 90 at 2024-01-01T16:00:00.000Z (in 4h, upper 95% bound 100, mean 90)');
  const again = forecast.evaluate(rule, r.state, makeSeries([], { forecast: rising }), NOW + H);
  assert.equal(again.state.activeSinceMs, NOW);
  const quiet = forecast.evaluate(makeRule(cond({ value: 1000 })), r.state, makeSeries([], { forecast: rising }), NOW);
  assert.equal(quiet.state.status, 'inactive');
  assert.equal(quiet.summary, 'cpu.usage{host=web-1}: no forecast breach of > 1000 within 1d (upper 95% bound max 300)');
  assert.equal(forecast.evaluate(rule, undefined, makeSeries([], { forecast: null }), NOW).summary, 'cpu.usage{host=web-1}: too little history to forecast');
});

test('forecast: which bound each operator tests', () => {
  const expected: Record<Operator, string> = { gt: 'upper', gte: 'upper', lt: 'lower', lte: 'lower', eq: 'mean', neq: 'mean' };
  for (const [op, b] of Object.entries(expected)) assert.equal(boundFor(op as Operator), b);
});
