// The episode guard and the reference period, method by method (../guard.ts, MethodOptions.reference):
// a sustained anomaly stays anomalous far longer than it did without the guard, a genuine change and
// a burst that keeps coming back still become normal, a reference period holds its judgement for as
// long as the anomaly lasts, and none of it looks ahead. Series are seeded, so outcomes are deterministic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { thresholdFor } from '../calibration.js';
import type { DetectionMode, MethodOptions } from '../detector.js';
import { setGuardEnabled } from '../guard.js';
import { methods } from '../registry.js';
import { noise, synthetic, withNoiseBurst, withShift, withSpike } from '../../../test/helpers/anomaly-series.js';

const threshold = thresholdFor(0.5);
const modes: DetectionMode[] = ['online', 'batch'];
/** The five statistical methods (others in the registry have tests of their own). */
const statistical = ['robust-zscore', 'forecast-interval', 'level-shift', 'rolling-iqr', 'volatility'];
/** Those that see a level shift while it lasts (volatility sees changes of movement, not of level). */
const seeShift = ['robust-zscore', 'forecast-interval', 'level-shift', 'rolling-iqr'];

const flagged = (scores: Float64Array, from: number, to: number) => {
  let c = 0;
  for (let t = from; t < to; t++) if (scores[t]! >= threshold) c++;
  return c;
};

function withoutGuard<T>(fn: () => T): T {
  setGuardEnabled(false);
  try {
    return fn();
  } finally {
    setGuardEnabled(true);
  }
}

test('online, a level shift stays anomalous at least 3× as long with the guard as without it', () => {
  const y = withShift(noise(1500, 1, 31), 500, 10);
  const options: MethodOptions = { mode: 'online', periods: [] };
  // rolling-iqr's window has no guard (its history of z's has): it is not held to 3×.
  for (const name of ['robust-zscore', 'forecast-interval', 'level-shift']) {
    const guarded = flagged(methods[name]!.score(y, options).scores, 500, 1500);
    const plain = flagged(withoutGuard(() => methods[name]!.score(y, options).scores), 500, 1500);
    assert.ok(plain > 0 && guarded >= 3 * plain, `${name}: ${guarded} points flagged with the guard, ${plain} without`);
  }
});

test('online, a genuine permanent change is accepted within a few reference windows', () => {
  const y = withShift(noise(5000, 1, 32), 500, 10);
  for (const name of statistical) {
    const s = methods[name]!.score(y, { mode: 'online', periods: [] }).scores;
    // The last 2000 points are the new normal: at most a stray noise point or two reaches the threshold.
    assert.ok(flagged(s, 3000, 5000) <= 4, `${name}: ${flagged(s, 3000, 5000)} of the last 2000 points flagged`);
  }
});

test('online, a burst that keeps coming back becomes normal', () => {
  const width = 8;
  const every = 200;
  const y = noise(6000, 1, 33);
  for (let s = 300; s < 6000; s += every) for (let k = 0; k < width; k++) y[s + k] = y[s + k]! + 8;
  for (const name of ['robust-zscore', 'forecast-interval', 'level-shift', 'rolling-iqr']) {
    const s = methods[name]!.score(y, { mode: 'online', periods: [] }).scores;
    const first = flagged(s, 300, 300 + every);
    // Bursts 15.. (of 28): together fewer flagged points than the first burst alone had.
    const late = flagged(s, 300 + 14 * every, 300 + 28 * every);
    assert.ok(first >= width / 2, `${name}: the first burst is not seen (${first} points flagged)`);
    assert.ok(late < width, `${name}: ${late} points of the last 14 bursts still flagged`);
  }
});

const reference = { start: 100, end: 900 };
const referenceCases: { kind: string; y: Float64Array; periods: number[]; methods: string[] }[] = [
  { kind: 'shift', y: withShift(noise(4000, 1, 51), 1000, 8), periods: [], methods: seeShift },
  {
    kind: 'shift in a daily cycle',
    y: withShift(synthetic({ n: 4000, level: 100, seasons: [{ amplitude: 10, period: 24 }], noise: 1, seed: 52 }), 1000, 8),
    periods: [24],
    // Within the cycle's range: the quartile fences cannot see it.
    methods: ['robust-zscore', 'forecast-interval', 'level-shift'],
  },
  { kind: 'noise burst', y: withNoiseBurst(noise(4000, 1, 53), 1000, 3000, 5), periods: [], methods: ['volatility'] },
];

for (const mode of modes) {
  test(`${mode}: after a reference period an anomaly stays anomalous for its whole length; without one it is adapted to`, () => {
    for (const c of referenceCases) {
      for (const name of c.methods) {
        const m = methods[name]!;
        const judged = m.score(c.y, { mode, periods: c.periods, reference }).scores;
        const adapted = m.score(c.y, { mode, periods: c.periods }).scores;
        // A few points' delay for the methods that judge a recent window.
        assert.ok(flagged(judged, 1020, 4000) === 2980, `${name}, ${c.kind}: ${flagged(judged, 1020, 4000)} of 2980 points flagged against the reference`);
        assert.ok(flagged(adapted, 3000, 4000) <= 4, `${name}, ${c.kind}: ${flagged(adapted, 3000, 4000)} of the last 1000 flagged without a reference`);
      }
    }
  });

  test(`${mode}: points before the reference's end are judged as without a reference`, () => {
    const { y, periods } = referenceCases[1]!;
    for (const name of statistical) {
      const m = methods[name]!;
      const a = m.score(y, { mode, periods, reference });
      const b = m.score(y, { mode, periods });
      assert.deepEqual(Array.from(a.scores.subarray(0, reference.end)), Array.from(b.scores.subarray(0, reference.end)), name);
      for (let t = reference.end; t < y.length; t++) assert.ok(a.scores[t]! >= 0 && a.scores[t]! <= 1, `${name}: score ${a.scores[t]} at ${t}`);
    }
  });
}

test('online, with the guard and a reference: a prefix scores like the start of the whole', () => {
  let y = withShift(synthetic({ n: 2600, level: 100, seasons: [{ amplitude: 10, period: 24 }], noise: 1, seed: 61 }), 1200, 9);
  y = withSpike(withSpike(y, 700, 12), 1800, -15);
  for (const name of statistical) {
    const m = methods[name]!;
    for (const ref of [null, reference]) {
      const whole = m.score(y, { mode: 'online', periods: [24], reference: ref });
      for (const cut of [500, 900, 901, 1300, 2000]) {
        const part = m.score(y.subarray(0, cut), { mode: 'online', periods: [24], reference: ref });
        assert.deepEqual(Array.from(part.scores), Array.from(whole.scores.subarray(0, cut)), `${name}, reference ${ref ? 'yes' : 'no'}, cut ${cut}`);
        assert.deepEqual(Array.from(part.expected), Array.from(whole.expected.subarray(0, cut)), `${name}, reference ${ref ? 'yes' : 'no'}, cut ${cut}: expected`);
      }
    }
  }
});
