import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Severity } from '../../anomaly/severity.js';
import type { AnomalyCondition, AnomalySample, SeriesState } from '../rule.js';
import { assertNoNaN, makeRule, makeSeries, MIN, NOW } from '../../../test/helpers/alert-rules.js';
import { anomaly, anomalyPath, quietMs } from './anomaly.js';

const cond = (minSeverity: Severity = 'high'): AnomalyCondition => ({ kind: 'anomaly', minSeverity, sensitivity: 0.5 });
const a = (id: string, atMs: number, severity: Severity = 'high', score = 0.95): AnomalySample => ({
  id,
  timestampMs: atMs,
  value: 9.5,
  expected: 1.2,
  score,
  severity,
  methods: [{ name: 'robust-zscore', score, weight: 1, flagged: true }],
  context: { before: [], after: [], stats: null },
});
const QUIET = 10 * MIN; // interval 60 s → max(5 min, 10 min)

interface Case {
  name: string;
  anomalies?: AnomalySample[];
  prev?: SeriesState;
  minSeverity?: Severity;
  status: SeriesState['status'];
  activeSinceMs?: number | null;
  lastAnomalyId?: string | null;
  lastAnomalyAtMs?: number | null;
  reported?: string;
}

const cases: Case[] = [
  { name: 'no anomalies in the input', status: 'inactive', lastAnomalyId: null },
  { name: 'below the minimum severity', anomalies: [a('x', NOW - MIN, 'medium', 0.9)], status: 'inactive' },
  { name: 'a new high anomaly fires', anomalies: [a('x', NOW - MIN)], status: 'firing', activeSinceMs: NOW - MIN, lastAnomalyId: 'x', lastAnomalyAtMs: NOW - MIN, reported: 'x' },
  { name: 'critical is at or above high', anomalies: [a('x', NOW - MIN, 'critical', 0.99)], status: 'firing', reported: 'x' },
  { name: 'an anomaly exactly one quiet period old no longer counts', anomalies: [a('x', NOW - QUIET)], status: 'inactive' },
  { name: 'one quiet period − 1 ms old still counts', anomalies: [a('x', NOW - QUIET + 1)], status: 'firing', reported: 'x' },
  { name: 'an anomaly in the future is ignored', anomalies: [a('x', NOW + 1)], status: 'inactive' },
  {
    name: 'the anomaly already alerted on does not fire again',
    anomalies: [a('x', NOW - 2 * MIN)],
    prev: { status: 'inactive', activeSinceMs: null, lastAnomalyId: 'x', lastAnomalyAtMs: NOW - 2 * MIN },
    status: 'inactive',
    lastAnomalyId: 'x',
    lastAnomalyAtMs: NOW - 2 * MIN,
  },
  {
    name: 'firing stays firing on the same anomaly within the quiet period',
    anomalies: [a('x', NOW - 9 * MIN)],
    prev: { status: 'firing', activeSinceMs: NOW - 9 * MIN, lastAnomalyId: 'x', lastAnomalyAtMs: NOW - 9 * MIN },
    status: 'firing',
    activeSinceMs: NOW - 9 * MIN,
    lastAnomalyId: 'x',
  },
  {
    name: 'a newer anomaly while firing moves the marker, not the start',
    anomalies: [a('x', NOW - 9 * MIN), a('y', NOW - MIN, 'critical', 0.98)],
    prev: { status: 'firing', activeSinceMs: NOW - 9 * MIN, lastAnomalyId: 'x', lastAnomalyAtMs: NOW - 9 * MIN },
    status: 'firing',
    activeSinceMs: NOW - 9 * MIN,
    lastAnomalyId: 'y',
    lastAnomalyAtMs: NOW - MIN,
    reported: 'y',
  },
  {
    name: 'resolves after a quiet period, remembering the last anomaly',
    anomalies: [a('x', NOW - QUIET - 1)],
    prev: { status: 'firing', activeSinceMs: NOW - 12 * MIN, lastAnomalyId: 'x', lastAnomalyAtMs: NOW - QUIET - 1 },
    status: 'inactive',
    activeSinceMs: null,
    lastAnomalyId: 'x',
    lastAnomalyAtMs: NOW - QUIET - 1,
  },
  {
    name: 'a remembered id without a time is looked up in the input',
    anomalies: [a('x', NOW - 3 * MIN), a('y', NOW - MIN)],
    prev: { status: 'inactive', activeSinceMs: null, lastAnomalyId: 'x' },
    status: 'firing',
    activeSinceMs: NOW - MIN,
    lastAnomalyId: 'y',
  },
  {
    name: 'a remembered id that left the window: everything in the window is newer',
    anomalies: [a('y', NOW - 2 * MIN)],
    prev: { status: 'inactive', activeSinceMs: null, lastAnomalyId: 'gone' },
    status: 'firing',
    lastAnomalyId: 'y',
  },
  {
    name: 'several new anomalies: the episode starts at the earliest, the newest is reported',
    anomalies: [a('p', NOW - 8 * MIN), a('q', NOW - 5 * MIN, 'low', 0.81), a('r', NOW - 2 * MIN)],
    status: 'firing',
    activeSinceMs: NOW - 8 * MIN,
    lastAnomalyId: 'r',
    reported: 'r',
  },
  {
    name: 'the marker never moves backwards (minimum severity raised while firing)',
    anomalies: [a('x', NOW - 5 * MIN, 'critical', 0.99), a('y', NOW - MIN, 'high')],
    minSeverity: 'critical',
    prev: { status: 'firing', activeSinceMs: NOW - 5 * MIN, lastAnomalyId: 'y', lastAnomalyAtMs: NOW - MIN },
    status: 'firing',
    lastAnomalyId: 'y',
    lastAnomalyAtMs: NOW - MIN,
    reported: 'x',
  },
  { name: 'an anomaly with a NaN score is skipped', anomalies: [a('x', NOW - MIN, 'high', Number.NaN)], status: 'inactive' },
];

for (const k of cases) {
  test(`anomaly: ${k.name}`, () => {
    const r = anomaly.evaluate(makeRule(cond(k.minSeverity)), k.prev, makeSeries([], { anomalies: k.anomalies }), NOW);
    assert.equal(r.state.status, k.status);
    if (k.activeSinceMs !== undefined) assert.equal(r.state.activeSinceMs, k.activeSinceMs);
    if (k.lastAnomalyId !== undefined) assert.equal(r.state.lastAnomalyId, k.lastAnomalyId);
    if (k.lastAnomalyAtMs !== undefined) assert.equal(r.state.lastAnomalyAtMs, k.lastAnomalyAtMs);
    if (k.reported) assert.equal(r.details.anomalyId, k.reported);
    if (k.status === 'inactive') assert.equal(r.value, null);
    assertNoNaN(r);
  });
}

test('anomaly: details carry the link, score, severity, expected, methods and context', () => {
  const x = a('0190-abc', NOW - MIN, 'critical', 0.98);
  const r = anomaly.evaluate(makeRule(cond()), undefined, makeSeries([], { anomalies: [x] }), NOW);
  assert.equal(r.value, 0.98);
  assert.deepEqual(
    { ...r.details },
    {
      anomalyId: '0190-abc',
      link: '/api/v1/anomalies/0190-abc',
      at: new Date(NOW - MIN).toISOString(),
      value: 9.5,
      expected: 1.2,
      score: 0.98,
      severity: 'critical',
      methods: x.methods,
      context: x.context,
      minSeverity: 'high',
      anomalyCount: 1,
      activeSince: new Date(NOW - MIN).toISOString(),
    },
  );
  assert.equal(r.summary, 'cpu.usage{host=web-1}: critical anomaly at 2024-01-01T11:59:00.000Z (value 9.5, expected 1.2, score 0.98)');
  assert.equal(anomalyPath('a/b'), '/api/v1/anomalies/a%2Fb');
});

test('anomaly: quiet period and lookback are max(5 intervals, 10 min)', () => {
  assert.equal(quietMs({ evaluationIntervalSeconds: 60 }), 10 * MIN);
  assert.equal(quietMs({ evaluationIntervalSeconds: 300 }), 25 * MIN);
  const rule = makeRule(cond(), { evaluationIntervalSeconds: 300 });
  assert.equal(anomaly.lookbackMs(rule.condition, rule), 25 * MIN);
});

test('a detection schedule: normalise keeps its id, and the rule reads no detection history', () => {
  const id = '0b7f2d4e-1c2a-4d6b-9e8f-0a1b2c3d4e5f';
  assert.deepEqual(anomaly.normalise({ kind: 'anomaly', sensitivity: 0.5 }), { kind: 'anomaly', minSeverity: 'medium', sensitivity: 0.5 });
  assert.deepEqual(anomaly.normalise({ kind: 'anomaly', sensitivity: 0.5, detectionScheduleId: id }), { kind: 'anomaly', minSeverity: 'medium', sensitivity: 0.5, detectionScheduleId: id });
  const detecting = anomaly.readWindow!(makeRule(cond()), NOW);
  const reading = anomaly.readWindow!(makeRule({ ...cond(), detectionScheduleId: id }), NOW);
  assert.ok(detecting.fromMs < reading.fromMs && detecting.maxPoints > reading.maxPoints, JSON.stringify({ detecting, reading }));
  assert.equal(reading.fromMs, NOW - QUIET);
});
