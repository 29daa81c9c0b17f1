import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../core/random.js';
import { computeRollup, rollupWorthKeeping } from '../../store/chunks/rollup.js';
import { earnsRollup } from './rollup-worth.js';

const M5 = 300_000;
const H = 3_600_000;

test('earnsRollup: the same answer as computing the rollup and judging it, on dense, sparse, bursty and edge inputs', () => {
  const rnd = seededRandom(4711);
  let earned = 0;
  let cases = 0;
  for (let c = 0; c < 3000; c++) {
    const res = [M5, H, 1, 7, 0.5][c % 5]!;
    const n = Math.floor(rnd() * 400);
    // Spacing around the threshold of 10 points a bucket, with bursts and gaps, sometimes negative times.
    const step = res / [1, 9, 10, 11, 12, 20, 40][Math.floor(rnd() * 7)]!;
    let t = Math.floor((rnd() - 0.3) * 1e6) * (res >= 1 ? res : 1);
    const ts = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const burst = rnd() < 0.1 ? 0.01 : rnd() < 0.05 ? 50 : 1;
      const d = step * burst * (0.5 + rnd());
      // Whole milliseconds mostly; fractional ones too, some just below a bucket's end.
      t += c % 7 === 0 ? Math.max(0.001, d) : Math.max(1, Math.round(d));
      if (c % 11 === 0 && rnd() < 0.2 && res >= 1) t = Math.max(t, (Math.floor(t / res) + 1) * res - 1e-7 * Math.abs(t));
      ts[i] = t;
    }
    const expected = rollupWorthKeeping(computeRollup(ts, new Float64Array(n), res));
    assert.equal(earnsRollup(ts, res), expected, `case ${c}: res ${res}, ${n} points`);
    if (expected) earned++;
    cases++;
  }
  // Both answers occur often enough to mean something.
  assert.ok(earned > cases / 20 && earned < (19 * cases) / 20, `${earned} of ${cases} earned`);
});

test('earnsRollup: exactly 10 points a bucket earns, 9 do not; no points never earn', () => {
  const mk = (perBucket: number) => Float64Array.from({ length: perBucket * 12 }, (_, i) => Math.floor(i / perBucket) * H + (i % perBucket));
  assert.equal(earnsRollup(mk(10), H), true);
  assert.equal(earnsRollup(mk(9), H), false);
  assert.equal(earnsRollup(new Float64Array(0), H), false);
  // A day at 5 minutes: one point a 5-minute bucket, twelve an hour.
  const day = Float64Array.from({ length: 288 }, (_, i) => 1_700_000_000_000 + i * M5);
  assert.equal(earnsRollup(day, M5), false);
  assert.equal(earnsRollup(day, H), true);
  // A point at a bucket's very start opens a bucket of its own: ten buckets of ten points earn, and
  // one more point at the next hour's first millisecond (eleven buckets, 101 points) does not; one at
  // the last millisecond or a fraction before it stays in the tenth bucket.
  const tens = Array.from({ length: 10 }, (_, k) => [...Array.from({ length: 9 }, (_, i) => k * H + 1 + i), (k + 1) * H - 1]).flat();
  assert.equal(earnsRollup(Float64Array.from(tens), H), true);
  assert.equal(earnsRollup(Float64Array.from([...tens, 10 * H]), H), false);
  assert.equal(earnsRollup(Float64Array.from([...tens.slice(0, -1), 10 * H - 1.5, 10 * H - 0.5]), H), true);
  // Far timestamps, beyond the exact-bound shortcut.
  const far = Float64Array.from({ length: 20 }, (_, i) => 2 ** 53 - 40 * H + i);
  assert.equal(earnsRollup(far, H), rollupWorthKeeping(computeRollup(far, new Float64Array(20), H)));
});
