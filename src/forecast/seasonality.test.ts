import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detectSeasonalities, hasSeasonality, m4SeasonalityTest } from './seasonality.js';
import { ar1, synthetic } from '../../test/helpers/forecast-series.js';

describe('seasonality detection', () => {
  test('finds 24 and 168 on a synthetic hourly series with a trend', () => {
    const y = synthetic({ n: 24 * 7 * 4, level: 100, slope: 0.05, seasons: [{ amplitude: 10, period: 24 }, { amplitude: 5, period: 168 }], noise: 3, seed: 11 });
    assert.deepEqual(detectSeasonalities(y, [24, 168]), [24, 168]);
  });

  test('finds only 24 when there is no weekly pattern (168 is a multiple of 24)', () => {
    const y = synthetic({ n: 24 * 7 * 4, level: 100, seasons: [{ amplitude: 10, period: 24 }], noise: 3, seed: 12 });
    assert.deepEqual(detectSeasonalities(y, [24, 168]), [24]);
  });

  test('finds only 168 when only the weekly pattern is there', () => {
    const y = synthetic({ n: 24 * 7 * 4, level: 100, seasons: [{ amplitude: 10, period: 168 }], noise: 3, seed: 13 });
    assert.deepEqual(detectSeasonalities(y, [24, 168]), [168]);
  });

  const nulls: [string, (seed: number) => Float64Array][] = [
    ['white noise', (seed) => ar1(24 * 7 * 4, 0, 1, seed, 10)],
    ['a random walk', (seed) => ar1(24 * 7 * 4, 1, 1, seed, 10)],
    ['an AR(1) with φ = 0.8', (seed) => ar1(24 * 7 * 4, 0.8, 1, seed, 10)],
  ];
  for (const [name, make] of nulls) {
    test(`finds nothing in ${name} (at most 1 false alarm in 20 series)`, () => {
      let alarms = 0;
      for (let seed = 1; seed <= 20; seed++) alarms += detectSeasonalities(make(seed), [24, 168]).length;
      assert.ok(alarms <= 1, `${alarms} false alarms`);
    });
  }

  test('needs two cycles; constant series are not seasonal', () => {
    const y = synthetic({ n: 47, seasons: [{ amplitude: 1, period: 24 }] });
    assert.equal(hasSeasonality(y, 24), false);
    assert.equal(hasSeasonality(new Float64Array(200).fill(3), 24), false);
  });

  test('the M4 test: n ≥ 3m and |ACF(m)| beyond the Bartlett band', () => {
    const seasonal = synthetic({ n: 24 * 5, level: 10, seasons: [{ amplitude: 3, period: 12 }], noise: 0.5 });
    assert.equal(m4SeasonalityTest(seasonal, 12), true);
    assert.equal(m4SeasonalityTest(seasonal.subarray(0, 35), 12), false, 'fewer than 3 cycles');
    assert.equal(m4SeasonalityTest(ar1(120, 0, 1, 5), 12), false);
  });
});
