import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MissingDataCondition, SeriesState } from '../rule.js';
import { assertNoNaN, makeRule, makeSeries, MIN, NOW } from '../../../test/helpers/alert-rules.js';
import { missingData } from './missing-data.js';

const cond: MissingDataCondition = { kind: 'missing_data', expectedIntervalMs: 5 * MIN };

interface Case {
  name: string;
  lastSeenMs: number | null;
  points?: [number, number][];
  prev?: SeriesState;
  status: SeriesState['status'];
  missingForMs?: number | null;
  activeSinceMs?: number | null;
}

const cases: Case[] = [
  { name: 'never seen: not evaluated', lastSeenMs: null, status: 'inactive', missingForMs: null },
  { name: 'seen just now', lastSeenMs: NOW, status: 'inactive', missingForMs: 0 },
  { name: 'missing exactly the expected interval: on time', lastSeenMs: NOW - 5 * MIN, status: 'inactive', missingForMs: 5 * MIN },
  { name: 'missing 1 ms more than the interval: fires', lastSeenMs: NOW - 5 * MIN - 1, status: 'firing', missingForMs: 5 * MIN + 1, activeSinceMs: NOW - 1 },
  { name: 'long gone: fires from when the next point was due', lastSeenMs: NOW - 60 * MIN, status: 'firing', missingForMs: 60 * MIN, activeSinceMs: NOW - 55 * MIN },
  { name: 'data arrived: resolves', lastSeenMs: NOW - MIN, prev: { status: 'firing', activeSinceMs: NOW - 30 * MIN }, status: 'inactive', activeSinceMs: null },
  { name: 'a point stamped in the future counts as just seen', lastSeenMs: NOW + MIN, status: 'inactive', missingForMs: 0 },
  { name: 'a sample newer than lastSeenMs wins', lastSeenMs: NOW - 60 * MIN, points: [[NOW - MIN, 1]], status: 'inactive', missingForMs: MIN },
  { name: 'samples in the future do not count as seen', lastSeenMs: NOW - 60 * MIN, points: [[NOW + 1, 1]], status: 'firing', missingForMs: 60 * MIN },
  { name: 'samples alone (lastSeenMs null) count', lastSeenMs: null, points: [[NOW - 10 * MIN, 1]], status: 'firing', missingForMs: 10 * MIN },
];

for (const k of cases) {
  test(`missing_data: ${k.name}`, () => {
    const r = missingData.evaluate(makeRule(cond), k.prev, makeSeries(k.points ?? [], { lastSeenMs: k.lastSeenMs }), NOW);
    assert.equal(r.state.status, k.status);
    if (k.missingForMs !== undefined) {
      assert.equal(r.details.missingForMs, k.missingForMs);
      assert.equal(r.value, k.missingForMs);
    }
    if (k.activeSinceMs !== undefined) assert.equal(r.state.activeSinceMs, k.activeSinceMs);
    assertNoNaN(r);
  });
}

test('missing_data: details and summaries', () => {
  const r = missingData.evaluate(makeRule(cond), undefined, makeSeries([], { lastSeenMs: NOW - 12 * MIN }), NOW);
  assert.deepEqual(r.details, { expectedIntervalMs: 5 * MIN, lastSeenAt: '2024-01-01T11:48:00.000Z', missingForMs: 12 * MIN });
  assert.equal(r.summary, 'cpu.usage{host=web-1}: no data for 12m (expected every 5m, last at 2024-01-01T11:48:00.000Z)');
  const never = missingData.evaluate(makeRule(cond), undefined, makeSeries([], { lastSeenMs: null }), NOW);
  assert.equal(never.details.reason, 'never_seen');
  assert.equal(missingData.lookbackMs(cond, makeRule(cond)), 0);
});
