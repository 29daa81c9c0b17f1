import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { autoForecast, minLength, seasonalMinLength, type AutoForecastResult } from './auto.js';
import { gaussianSource, seededRandom } from './stats.js';
import { ar1, coverage, generated, maxAbsDiff, synthetic } from '../../test/helpers/forecast-series.js';

const hourly = { candidatePeriods: [24, 168], horizon: 48, levels: [80, 95] };

function assertNested(r: AutoForecastResult): void {
  const byLevel = [...r.intervals].sort((a, b) => a.level - b.level);
  for (let i = 0; i < r.mean.length; i++) {
    for (let k = 0; k < byLevel.length; k++) {
      const iv = byLevel[k]!;
      assert.ok(Number.isFinite(iv.lower[i]!) && Number.isFinite(iv.upper[i]!), `finite at ${i}`);
      assert.ok(iv.lower[i]! <= r.mean[i]! && r.mean[i]! <= iv.upper[i]!, `level ${iv.level} holds the mean at ${i}`);
      const wider = byLevel[k + 1];
      if (wider) assert.ok(wider.lower[i]! <= iv.lower[i]! && iv.upper[i]! <= wider.upper[i]!, `${wider.level} ⊇ ${iv.level} at ${i}`);
    }
  }
}

describe('autoForecast', () => {
  test('one or two points: naive', () => {
    const one = autoForecast(Float64Array.from([4]), hourly);
    assert.equal(one.model, 'Naive');
    assert.deepEqual(Array.from(one.mean), new Array(48).fill(4));
    const two = autoForecast(Float64Array.from([4, 6]), { ...hourly, levels: [50, 99] });
    assert.equal(two.model, 'Naive');
    assert.equal(two.mean[0], 6);
    assertNested(two);
    assert.ok(two.intervals[1]!.upper[47]! > two.intervals[1]!.upper[0]!, 'widens with h');
  });

  test('constant series: the constant, no NaN, zero-width intervals', () => {
    const r = autoForecast(new Float64Array(500).fill(3.5), { ...hourly, levels: [50, 99] });
    assert.deepEqual(Array.from(r.mean), new Array(48).fill(3.5));
    assertNested(r);
  });

  test('daily and weekly seasonality: detected, combined, accurate', () => {
    const spec = { level: 300, slope: 0.05, seasons: [{ amplitude: 40, period: 24 }, { amplitude: 20, period: 168 }], noise: 4, seed: 31 };
    const full = synthetic({ n: 168 * 5 + 48, ...spec });
    const r = autoForecast(full.subarray(0, 168 * 5), hourly);
    assert.deepEqual(r.params.periods, [24, 168]);
    assert.match(r.model, /^combination\(\d+% /);
    assert.match(r.model, /MSTL\[24,168\]/);
    const truth = full.subarray(168 * 5);
    const mae = r.mean.reduce((a, v, i) => a + Math.abs(v - truth[i]!), 0) / 48;
    // The noise alone gives a mean absolute error of 0.8σ = 3.2.
    assert.ok(mae < 6, `mean absolute error ${mae} (noise σ = 4, patterns ±40 and ±20)`);
    assertNested(r);
  });

  test('negative values: works, and nothing on the log scale', () => {
    const y = synthetic({ n: 24 * 10, level: -20, seasons: [{ amplitude: 5, period: 24 }], noise: 0.5, seed: 32 });
    const r = autoForecast(y, { ...hourly, levels: [50, 99] });
    assert.doesNotMatch(r.model, /log/);
    assert.ok(maxAbsDiff(r.mean, synthetic({ n: 24 * 12, level: -20, seasons: [{ amplitude: 5, period: 24 }] }).subarray(240)) < 2.5);
    assertNested(r);
  });

  test('short series with a long horizon, and zeros', () => {
    const y = Float64Array.from({ length: 30 }, (_, t) => (t % 3 === 0 ? 0 : t));
    const r = autoForecast(y, { candidatePeriods: [1440], horizon: 720, levels: [95] });
    assert.equal(r.mean.length, 720);
    assertNested(r);
  });

  test('deterministic', () => {
    const y = ar1(400, 0.8, 1, 33, 50);
    const a = autoForecast(y, hourly);
    const b = autoForecast(y, hourly);
    assert.equal(a.model, b.model);
    assert.deepEqual(Array.from(a.mean), Array.from(b.mean));
    assert.deepEqual(Array.from(a.intervals[1]!.upper), Array.from(b.intervals[1]!.upper));
  });

  const processes: [string, number][] = [
    ['random walks', 1],
    ['AR(1) φ = 0.7', 0.7],
  ];
  for (const [name, phi] of processes) {
    test(`coverage on simulated ${name} is near nominal`, () => {
      let c80 = 0;
      let c95 = 0;
      const runs = 40;
      for (let seed = 1; seed <= runs; seed++) {
        const path = ar1(324, phi, 1, 1000 * phi + seed, 100);
        const r = autoForecast(path.subarray(0, 300), { candidatePeriods: [24], horizon: 24, levels: [80, 95] });
        c80 += coverage(path.subarray(300), r.intervals[0]!.lower, r.intervals[0]!.upper) / runs;
        c95 += coverage(path.subarray(300), r.intervals[1]!.lower, r.intervals[1]!.upper) / runs;
      }
      assert.ok(Math.abs(c80 - 0.8) < 0.08, `80%: ${c80}`);
      assert.ok(Math.abs(c95 - 0.95) < 0.05, `95%: ${c95}`);
    });
  }

  test('a CPU series ending in a burst: implausible members are dropped, and the reply says which and why', () => {
    // Idle with bursts, clipped to [0, 100], ending in a five-step climb: the seasonal Theta and the
    // log-scale MSTL read the climb as growth and reached 450 and 337 (the combination 279).
    const y = generated('bounded with bursts', 295, 15);
    const g = gaussianSource(seededRandom(7));
    for (let i = 0; i < 5; i++) y[290 + i] = Math.min(100, 10 + 16 * (i + 1) + g());
    const max = Math.max(...y);
    const min = Math.min(...y);
    const r = autoForecast(y, hourly);
    const dropped = r.params.dropped as { model: string; reason: string }[];
    assert.ok(dropped.length >= 1, r.model);
    for (const d of dropped) {
      assert.match(d.reason, /forecast reaches .* ranges above the history's maximum/);
      assert.ok(r.model.includes(`; dropped ${d.model} (${d.reason})`), r.model);
    }
    assert.ok(Math.max(...r.mean) <= max + (0.5 + 48 / 295) * (max - min), `mean up to ${Math.max(...r.mean)}`);
    assert.ok(Math.min(...r.intervals[1]!.lower) >= 0, 'no negative bound for a history ≥ 0');
    assertNested(r);
  });

  test('values alternating ±1e308: rescaled internally, every value finite', () => {
    const y = Float64Array.from({ length: 200 }, (_, t) => (t % 2 === 0 ? 1e308 : -1e308));
    const r = autoForecast(y, hourly);
    assert.equal(r.params.rescaledBy, 2 ** 1023);
    assertNested(r);
    for (const v of [...r.mean, ...r.intervals.flatMap((iv) => [...iv.lower, ...iv.upper])]) assert.ok(Math.abs(v) <= Number.MAX_VALUE);
    assert.doesNotThrow(() => JSON.stringify(r.params));
  });

  test('one extreme spike among ordinary values (found by the fuzz suite): finite, nested, never a throw', () => {
    for (const spike of [1e200, 1e308, -1e308, Number.MAX_VALUE, -Number.MAX_VALUE]) {
      for (const n of [48, 200]) {
        const y = Float64Array.from({ length: n }, (_, t) => 10 + Math.sin(t / 3));
        y[n >> 1] = spike;
        const r = autoForecast(y, hourly);
        assertNested(r);
        for (const v of [...r.mean, ...r.intervals.flatMap((iv) => [...iv.lower, ...iv.upper])]) assert.ok(Number.isFinite(v), `${spike} n=${n}: ${r.model}`);
      }
    }
  });

  test('values near 1e-300 are forecast at their own scale (not as a flat line of underflowed noise)', () => {
    const spec = { level: 300, seasons: [{ amplitude: 40, period: 24 }], noise: 4, seed: 5 };
    const big = synthetic({ n: 24 * 14, ...spec });
    const tiny = big.map((v) => v * 2 ** -1000);
    const a = autoForecast(big, hourly);
    const b = autoForecast(tiny, hourly);
    assert.ok((b.params.rescaledBy as number) < 1e-290);
    // The same model and, but for where the optimiser stops, the same forecast.
    assert.equal(b.model, a.model);
    assert.ok(maxAbsDiff(b.mean.map((v) => v * 2 ** 1000), a.mean) < 1e-4 * 300);
  });

  test('refuses bad input', () => {
    assert.throws(() => autoForecast(new Float64Array(0), hourly), RangeError);
    assert.throws(() => autoForecast(Float64Array.from([1, NaN, 2]), hourly), RangeError);
    assert.throws(() => autoForecast(Float64Array.from([1, 2, 3]), { ...hourly, horizon: 0 }), RangeError);
    assert.throws(() => autoForecast(Float64Array.from([1, 2, 3]), { ...hourly, levels: [100] }), RangeError);
  });

  test('minimum lengths', () => {
    assert.equal(minLength(), 1);
    assert.equal(seasonalMinLength(24), 48);
  });
});
