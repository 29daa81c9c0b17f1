// Every registered method, table-driven: planted anomalies of the kinds it is meant to see are flagged
// near where they were planted at the default sensitivity, and clean series raise no alarm at the
// conservative one, in both modes. Series are seeded, so the outcome is deterministic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSERVATIVE_SENSITIVITY, thresholdFor } from '../calibration.js';
import type { DetectionMode } from '../detector.js';
import { methods } from '../registry.js';
import { noise, synthetic, withFlatline, withNoiseBurst, withShift, withSkippedBeat, withSpike } from '../../../test/helpers/anomaly-series.js';

const N = 600;
const AT = 450;
const P = 24;
const threshold = thresholdFor(0.5);
const quiet = thresholdFor(CONSERVATIVE_SENSITIVITY);
const modes: DetectionMode[] = ['batch', 'online'];

const seasonal = (seed: number) => synthetic({ n: N, level: 100, seasons: [{ amplitude: 10, period: P }], noise: 1, seed });
const clean: { name: string; y: Float64Array; periods: number[] }[] = [
  { name: 'white noise', y: noise(N, 1, 11), periods: [] },
  { name: 'daily cycle', y: seasonal(12), periods: [P] },
  { name: 'trend', y: synthetic({ n: N, level: 100, slope: 0.05, noise: 1, seed: 13 }), periods: [] },
  { name: 'trend and cycle', y: synthetic({ n: N, level: 100, slope: -0.03, seasons: [{ amplitude: 5, period: P }], noise: 1, seed: 14 }), periods: [P] },
];

type Kind = 'spike' | 'dip' | 'dip in cycle' | 'shift' | 'skipped beat' | 'noise burst' | 'flatline';
const planted: Record<Kind, { y: Float64Array; periods: number[] }> = {
  spike: { y: withSpike(noise(N, 1, 21), AT, 9), periods: [] },
  dip: { y: withSpike(noise(N, 1, 25), AT, -9), periods: [] },
  // Within the cycle's range: only a method that knows the cycle can see it.
  'dip in cycle': { y: withSpike(seasonal(22), AT, -9), periods: [P] },
  shift: { y: withShift(noise(N, 1, 23), AT, 8), periods: [] },
  'skipped beat': { y: withSkippedBeat(seasonal(24), AT, 12, P), periods: [P] },
  'noise burst': { y: withNoiseBurst(noise(N, 1, 26), AT, 40, 5), periods: [] },
  flatline: { y: withFlatline(noise(N, 1, 27), AT, 40), periods: [] },
};

/**
 * The kinds each method is built to see, per mode (a level-shift test ignores spikes by design; in
 * batch the quartile fences span the whole series, so a shift lasting its last quarter is in range).
 */
const sees: Record<string, Record<DetectionMode, Kind[]>> = {
  'robust-zscore': { batch: ['spike', 'dip', 'dip in cycle', 'skipped beat'], online: ['spike', 'dip', 'dip in cycle', 'skipped beat'] },
  'forecast-interval': { batch: ['spike', 'dip', 'dip in cycle', 'shift', 'skipped beat'], online: ['spike', 'dip', 'dip in cycle', 'shift', 'skipped beat'] },
  'level-shift': { batch: ['shift'], online: ['shift'] },
  'rolling-iqr': { batch: ['spike', 'dip'], online: ['spike', 'dip', 'shift'] },
  volatility: { batch: ['noise burst', 'flatline'], online: ['noise burst', 'flatline'] },
  // Learns the sequences itself (no periods needed); batch is its online run.
  'sequence-context': { batch: ['skipped beat'], online: ['skipped beat'] },
};

test('the table covers every registered method', () => {
  assert.deepEqual(Object.keys(sees).sort(), Object.keys(methods).sort());
});

for (const method of Object.values(methods)) {
  for (const mode of modes) {
    test(`${method.name} (${mode}): planted anomalies are flagged where they were planted`, () => {
      for (const kind of sees[method.name]![mode]) {
        const { y, periods } = planted[kind];
        const r = method.score(y, { mode, periods });
        assert.equal(r.scores.length, N);
        // A point anomaly shows at once; a sustained one once a method's recent window has filled.
        const lag = kind === 'noise burst' || kind === 'flatline' ? 20 : 8;
        let best = 0;
        let at = -1;
        for (let t = AT - 2; t <= AT + lag; t++) if (r.scores[t]! > best) [best, at] = [r.scores[t]!, t];
        assert.ok(best >= threshold, `${kind}: best score near ${AT} is ${best.toFixed(3)} (at ${at}), below ${threshold}`);
      }
    });

    test(`${method.name} (${mode}): no alarm on clean series`, () => {
      for (const { name, y, periods } of clean) {
        const r = method.score(y, { mode, periods });
        let worst = 0;
        let at = -1;
        for (let t = 0; t < N; t++) {
          const s = r.scores[t]!;
          assert.ok(s >= 0 && s <= 1, `${name}: score ${s} at ${t} outside [0, 1]`);
          if (s > worst) [worst, at] = [s, t];
        }
        assert.ok(worst < quiet, `${name}: score ${worst.toFixed(3)} at ${at} reaches the conservative threshold ${quiet}`);
      }
    });

    test(`${method.name} (${mode}): expected values track the series`, () => {
      const { y, periods } = planted.spike;
      const r = method.score(y, { mode, periods });
      // Where the method has an opinion, it is within a few noise σ of the truth (100), spike included.
      for (let t = 100; t < N; t++) if (Number.isFinite(r.expected[t])) assert.ok(Math.abs(r.expected[t]! - 100) < 3, `expected[${t}] = ${r.expected[t]}`);
    });
  }

  test(`${method.name} (online): causal — a prefix scores like the start of the whole`, () => {
    const { y, periods } = planted['skipped beat'];
    const whole = method.score(y, { mode: 'online', periods });
    for (const cut of [60, 300, AT + 1]) {
      const part = method.score(y.subarray(0, cut), { mode: 'online', periods });
      assert.deepEqual(Array.from(part.scores), Array.from(whole.scores.subarray(0, cut)));
      assert.deepEqual(Array.from(part.expected), Array.from(whole.expected.subarray(0, cut)));
    }
  });
}
