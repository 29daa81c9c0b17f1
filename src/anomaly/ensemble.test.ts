// The ensemble's contract: planted anomalies found at the default sensitivity, clean series quiet at
// the conservative one and nearly so at the default, monotone in the sensitivity, nothing at 0, causal
// online, typed errors, and the parts of an anomaly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../forecast/stats.js';
import { CONSERVATIVE_SENSITIVITY, thresholdFor } from './calibration.js';
import { REFRACTORY } from './refractory.js';
import type { DetectionMode } from './detector.js';
import { detectAnomalies, ensembleScores } from './ensemble.js';
import { AnomalyError } from './errors.js';
import { severityOf } from './severity.js';
import { hourly, noise, randomWalk, synthetic, withShift, withSkippedBeat, withSpike } from '../../test/helpers/anomaly-series.js';

const N = 720; // a month of hourly points: the daily cycle is found online by day 3 (72 points)
const ts = hourly(N);
const modes: DetectionMode[] = ['batch', 'online'];
const daily = (seed: number, amplitude = 10) => synthetic({ n: N, level: 100, seasons: [{ amplitude, period: 24 }], noise: 1, seed });

test('planted anomalies are found near where they were planted, in both modes', () => {
  const cases: { name: string; y: Float64Array; at: number }[] = [
    { name: 'spike on noise', y: withSpike(noise(N, 1, 31), 500, 10), at: 500 },
    { name: 'dip within the daily cycle', y: withSpike(daily(32), 600, -10), at: 600 },
    { name: 'level shift', y: withShift(noise(N, 1, 33), 400, 8), at: 400 },
    { name: 'a day that skips its beat', y: withSkippedBeat(daily(34), 550, 12, 24), at: 550 },
  ];
  for (const mode of modes) {
    for (const { name, y, at } of cases) {
      const { anomalies } = detectAnomalies(y, ts, { mode });
      assert.ok(anomalies.some((a) => a.index >= at - 2 && a.index <= at + 8), `${mode}, ${name}: none near ${at}; found ${anomalies.map((a) => a.index).join(',')}`);
    }
  }
});

const clean: [string, Float64Array][] = [
  ['white noise', noise(N, 1, 41)],
  ['daily cycle', daily(42)],
  ['trend', synthetic({ n: N, level: 100, slope: 0.05, noise: 1, seed: 43 })],
  ['trend, daily and weekly cycles', synthetic({ n: N, level: 100, slope: -0.02, seasons: [{ amplitude: 8, period: 24 }, { amplitude: 4, period: 168 }], noise: 1, seed: 44 })],
  ['random walk', randomWalk(N, 0.5, 45)],
];

test('clean series raise nothing at the conservative sensitivity, in both modes', () => {
  for (const mode of modes) {
    for (const [name, y] of clean) {
      const { anomalies } = detectAnomalies(y, ts, { mode, sensitivity: CONSERVATIVE_SENSITIVITY });
      assert.deepEqual(anomalies.map((a) => `${a.index}:${a.score.toFixed(2)}`), [], `${mode}, ${name}`);
    }
  }
});

test('clean series raise at most a couple of low-severity anomalies at the default sensitivity', () => {
  // ≈ 3.2σ: Gaussian noise crosses it about once in a thousand points, so a month of hourly clean
  // data may show one or two (a random walk's drift too); never a medium or worse.
  for (const mode of modes) {
    let total = 0;
    for (const [name, y] of clean) {
      const { anomalies } = detectAnomalies(y, ts, { mode });
      assert.ok(anomalies.length <= 2, `${mode}, ${name}: ${anomalies.map((a) => `${a.index}:${a.score.toFixed(2)}`).join(' ')}`);
      for (const a of anomalies) assert.equal(a.severity, 'low', `${mode}, ${name}: ${a.index} scores ${a.score}`);
      total += anomalies.length;
    }
    assert.ok(total <= 3, `${mode}: ${total} anomalies over ${clean.length} clean series`);
  }
});

test('sensitivity is monotone: more sensitivity never finds fewer (property, seeded)', () => {
  const rnd = seededRandom(2024);
  const grid = Array.from({ length: 21 }, (_, i) => i / 20);
  for (let trial = 0; trial < 6; trial++) {
    // Random mixes of noise, cycle, trend, spikes and shifts.
    const n = 300 + Math.floor(rnd() * 300);
    let y = synthetic({ n, level: 50, slope: (rnd() - 0.5) * 0.1, seasons: rnd() < 0.5 ? [{ amplitude: 10 * rnd(), period: 24 }] : [], noise: 0.5 + rnd(), seed: 100 + trial });
    for (let k = 0; k < 3; k++) y = withSpike(y, Math.floor(rnd() * n), (rnd() - 0.5) * 20);
    if (rnd() < 0.5) y = withShift(y, Math.floor(n / 2 + rnd() * (n / 3)), (rnd() - 0.5) * 10);
    for (const mode of modes) {
      let prev: number[] = [];
      for (const sensitivity of grid) {
        const found = detectAnomalies(y, hourly(n), { mode, sensitivity }).anomalies.map((a) => a.index);
        assert.ok(found.length >= prev.length, `trial ${trial} ${mode}: ${found.length} < ${prev.length} at ${sensitivity}`);
        // One report per episode: a point found at a lower sensitivity is found again, or lies in the
        // episode of one found earlier.
        for (const i of prev) assert.ok(found.some((f) => f <= i && i - f < REFRACTORY), `trial ${trial} ${mode}: point ${i} found at a lower sensitivity, not covered at ${sensitivity}`);
        prev = found;
      }
      if (trial === 0) assert.ok(prev.length > 0, 'sensitivity 1 finds the planted spikes');
    }
  }
});

test('sensitivity 0 finds nothing, even in a series that is all anomaly', () => {
  let y = noise(400, 1, 51);
  for (let i = 100; i < 400; i += 10) y = withSpike(y, i, 1000);
  for (const mode of modes) assert.equal(detectAnomalies(y, hourly(400), { mode, sensitivity: 0 }).anomalies.length, 0);
  assert.ok(thresholdFor(0) > 1);
});

test('online mode is causal: scoring a prefix gives the first scores of the whole', () => {
  // Long enough for the daily cycle to be found (day 3) and the weekly candidate to be tested (day 21).
  const y = withSkippedBeat(withSpike(daily(61), 300, 9), 600, 12, 24);
  const whole = ensembleScores(y, ts, { mode: 'online' });
  assert.ok(whole.segments.length > 1, 'the daily period is picked up part-way');
  for (const cut of [61, 72, 73, 200, 504, 505, 650]) {
    const part = ensembleScores(y.subarray(0, cut), ts.subarray(0, cut), { mode: 'online' });
    assert.deepEqual(Array.from(part.scores), Array.from(whole.scores.subarray(0, cut)), `prefix ${cut}`);
  }
  // And so are the reports: a stream sees the same anomalies as a later look at the whole.
  const all = detectAnomalies(y, ts, { mode: 'online' }).anomalies.map((a) => a.index);
  assert.ok(all.length > 0);
  for (const cut of [301, 605, 650]) {
    const part = detectAnomalies(y.subarray(0, cut), ts.subarray(0, cut), { mode: 'online' }).anomalies.map((a) => a.index);
    assert.deepEqual(part, all.filter((i) => i < cut), `prefix ${cut}`);
  }
});

test('an anomaly reports its score, severity, expected value, methods, consensus and context', () => {
  const y = withSpike(noise(N, 1, 71), 500, 12);
  const { anomalies, threshold, parts } = detectAnomalies(y, ts, { context: { before: 3, after: 2 } });
  const a = anomalies.find((x) => x.index === 500);
  assert.ok(a, 'the spike is found');
  assert.equal(a.timestampMs, ts[500]);
  assert.equal(a.value, y[500]);
  assert.ok(a.score >= threshold && a.score <= 1);
  assert.equal(a.severity, severityOf(a.score));
  assert.ok(Math.abs(a.expected - 100) < 1, `expected ${a.expected}`);
  assert.deepEqual(a.methods.map((m) => m.name), parts.map((p) => p.method.name));
  const total = a.methods.reduce((s, m) => s + m.weight, 0);
  const agreeing = a.methods.filter((m) => m.flagged).reduce((s, m) => s + m.weight, 0);
  assert.ok(Math.abs(a.consensus - agreeing / total) < 1e-12);
  for (const m of a.methods) assert.equal(m.flagged, m.score >= threshold);
  assert.ok(a.methods.find((m) => m.name === 'robust-zscore')!.flagged);
  assert.deepEqual(a.context.before.map((p) => p.timestampMs), [ts[497], ts[498], ts[499]]);
  assert.deepEqual(a.context.after.map((p) => p.value), [y[501], y[502]]);
  const around = [y[497]!, y[498]!, y[499]!, y[501]!, y[502]!];
  assert.ok(Math.abs(a.context.stats!.mean - around.reduce((s, v) => s + v, 0) / 5) < 1e-9);
  assert.equal(a.context.stats!.max, Math.max(...around));
});

test('weights: a method with weight 0 takes no part in the score; one method alone is its own score', () => {
  const y = withShift(noise(N, 1, 81), 400, 8);
  const alone = ensembleScores(y, ts, { methods: [{ name: 'level-shift', weight: 2 }] });
  const withZero = ensembleScores(y, ts, { methods: [{ name: 'level-shift', weight: 2 }, { name: 'robust-zscore', weight: 0 }] });
  assert.deepEqual(Array.from(alone.scores), Array.from(alone.parts[0]!.result.scores));
  assert.deepEqual(Array.from(withZero.scores), Array.from(alone.scores));
});

test('invalid requests fail with a typed error naming the rule', () => {
  const y = noise(200, 1, 91);
  const t = hourly(200);
  const cases: [string, () => unknown, string, string][] = [
    ['too few points', () => detectAnomalies(y.subarray(0, 10), t.subarray(0, 10)), 'too_few_points', 'insufficient_data'],
    ['a NaN value', () => detectAnomalies(withSpike(y, 5, NaN), t), 'non_finite_value', 'validation_failed'],
    ['an infinite value', () => detectAnomalies(withSpike(y, 5, Infinity), t), 'non_finite_value', 'validation_failed'],
    ['lengths differ', () => detectAnomalies(y, t.subarray(1)), 'length_mismatch', 'validation_failed'],
    ['an unknown method', () => detectAnomalies(y, t, { methods: [{ name: 'prophet', weight: 1 }] }), 'unknown_method', 'validation_failed'],
    ['weights summing to zero', () => detectAnomalies(y, t, { methods: [{ name: 'robust-zscore', weight: 0 }] }), 'zero_weight_sum', 'validation_failed'],
    ['no methods', () => detectAnomalies(y, t, { methods: [] }), 'zero_weight_sum', 'validation_failed'],
    ['a negative weight', () => detectAnomalies(y, t, { methods: [{ name: 'robust-zscore', weight: -1 }] }), 'invalid_weight', 'validation_failed'],
    ['a method twice', () => detectAnomalies(y, t, { methods: [{ name: 'volatility', weight: 1 }, { name: 'volatility', weight: 1 }] }), 'invalid_option', 'validation_failed'],
    ['sensitivity above 1', () => detectAnomalies(y, t, { sensitivity: 1.5 }), 'invalid_option', 'validation_failed'],
    ['an unknown mode', () => detectAnomalies(y, t, { mode: 'live' as DetectionMode }), 'invalid_option', 'validation_failed'],
    ['a fractional context', () => detectAnomalies(y, t, { context: { before: 1.5, after: 0 } }), 'invalid_option', 'validation_failed'],
  ];
  for (const [name, run, reason, code] of cases) {
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof AnomalyError, `${name}: ${String(e)}`);
      assert.equal(e.reason, reason, name);
      assert.equal(e.code, code, name);
      assert.equal(e.status, 400, name);
      assert.ok(e.message.length > 10);
      return true;
    });
  }
});

test('online runs resume from their saved states: the resumed scores are the whole run’s, bit for bit', () => {
  const y = withShift(withSpike(daily(71), 300, 9), 500, 6);
  for (const bounds of [null, { min: 60, max: 140 }]) {
    const whole = ensembleScores(y, ts, { mode: 'online', bounds });
    assert.ok(whole.states['sequence-context'] && whole.states['@onset'], 'the sequence method and the onset damping save state');
    for (const cut of [100, 301, 650]) {
      const first = ensembleScores(y.subarray(0, cut), ts.subarray(0, cut), { mode: 'online', bounds });
      const resumed = ensembleScores(y, ts, { mode: 'online', bounds, resume: { from: cut, states: first.states } });
      assert.deepEqual(Array.from(resumed.scores.subarray(cut)), Array.from(whole.scores.subarray(cut)), `${bounds ? 'bounds' : 'causal'}, cut ${cut}`);
    }
  }
});
