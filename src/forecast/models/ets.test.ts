import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ar1, coverage, maxAbsDiff, synthetic } from '../../../test/helpers/forecast-series.js';
import { specName } from './ets-core.js';
import { autoEts, candidateSpecs, etsMean, etsModel, etsPredict, fitEtsSpec, type EtsSpec } from './ets.js';

const spec = (s: string, period = 1): EtsSpec => ({
  error: s[0] as 'A' | 'M',
  trend: s[1] as 'N' | 'A' | 'M',
  damped: s.length === 4,
  season: s[s.length - 1] as 'N' | 'A' | 'M',
  period,
});

describe('ETS', () => {
  test('recovers the slope of a linear trend', () => {
    const y = synthetic({ n: 120, level: 50, slope: 0.8, noise: 0.5, seed: 2 });
    const fit = autoEts(y, [])!;
    assert.match(specName(fit.spec), /^ETS\([AM],A,N\)$/);
    const f = etsMean(fit, 20);
    const slope = (f[19]! - f[0]!) / 19;
    assert.ok(Math.abs(slope - 0.8) < 0.05, `slope ${slope}`);
    assert.ok(Math.abs(f[0]! - (50 + 0.8 * 120)) < 2, `first step ${f[0]}`);
  });

  test('damped trend: increments shrink by φ each step, within φ ∈ [0.8, 0.98]', () => {
    const y = synthetic({ n: 100, level: 10, slope: 0.5, noise: 0.3, seed: 4 });
    const fit = fitEtsSpec(y, spec('AAdN'))!;
    const { phi } = fit.params;
    assert.ok(phi >= 0.8 && phi <= 0.98, `phi ${phi}`);
    const f = etsMean(fit, 30);
    const d1 = f[1]! - f[0]!;
    const d2 = f[2]! - f[1]!;
    assert.ok(Math.abs(d2 / d1 - phi) < 1e-9, `ratio ${d2 / d1}`);
    assert.ok(f[29]! - f[28]! < d1, 'flattens');
  });

  test('multiplicative seasonality: a multiplicative model fits a growing pattern better', () => {
    const period = 12;
    const full = synthetic({ n: 12 * 14, level: 100, slope: 2, seasons: [{ amplitude: 0.3, period }], multiplicative: true, noise: 1, seed: 5 });
    const y = full.subarray(0, 12 * 12);
    const truth = full.subarray(12 * 12);
    const auto = autoEts(y, [period], { requireSeason: true })!;
    assert.equal(auto.spec.season, 'M', `chose ${specName(auto.spec)}`);
    const mult = maxAbsDiff(etsMean(auto, 24), truth);
    const add = maxAbsDiff(etsMean(fitEtsSpec(y, spec('AAA', period))!, 24), truth);
    assert.ok(mult < add, `multiplicative ${mult} vs additive ${add}`);
    assert.ok(mult < 15, `max error ${mult} on a pattern of ±${0.3 * 400}`);
  });

  test('AICc prefers a seasonal model on clearly seasonal data', () => {
    const y = synthetic({ n: 24 * 8, level: 20, seasons: [{ amplitude: 5, period: 24 }], noise: 1, seed: 6 });
    const fit = autoEts(y, [24])!;
    assert.equal(fit.spec.season !== 'N', true, specName(fit.spec));
  });

  test('a multiplicative trend follows exponential growth', () => {
    const y = Float64Array.from({ length: 60 }, (_, t) => 10 * 1.03 ** t);
    const fit = fitEtsSpec(y, spec('MMN'))!;
    const f = etsMean(fit, 10);
    const truth = Float64Array.from({ length: 10 }, (_, i) => 10 * 1.03 ** (60 + i));
    assert.ok(maxAbsDiff(f, truth) / truth[9]! < 0.01, `relative error ${maxAbsDiff(f, truth) / truth[9]!}`);
    assert.ok(candidateSpecs(y, 1, { multiplicativeTrend: true }).some((s) => s.trend === 'M'));
    assert.ok(!candidateSpecs(y, 1).some((s) => s.trend === 'M'), 'not by default');
    assert.ok(candidateSpecs(y, 1).some((s) => s.trend === 'A' && !s.damped), 'undamped trends by default');
    const damped = candidateSpecs(y, 1, { undampedTrend: false });
    assert.ok(damped.some((s) => s.trend === 'A') && damped.every((s) => s.trend === 'N' || s.damped), 'damped only when asked');
  });

  test('intervals widen with h and the 95% interval contains the 80% one (analytic and simulated)', () => {
    const y = synthetic({ n: 24 * 6, level: 50, slope: 0.1, seasons: [{ amplitude: 0.2, period: 24 }], multiplicative: true, noise: 1, seed: 7 });
    for (const s of ['AAdA', 'MAdM', 'MNN']) {
      const p = etsPredict(fitEtsSpec(y, spec(s, s.endsWith('N') ? 1 : 24))!, 48, [80, 95]);
      const [i80, i95] = p.intervals;
      const width = (i: number) => i95!.upper[i]! - i95!.lower[i]!;
      assert.ok(width(47) > width(0), `${s}: ${width(0)} → ${width(47)}`);
      for (let i = 0; i < 48; i++) {
        assert.ok(i95!.lower[i]! <= i80!.lower[i]! && i80!.upper[i]! <= i95!.upper[i]!, `${s} step ${i}`);
        assert.ok(i80!.lower[i]! < p.mean[i]! && p.mean[i]! < i80!.upper[i]!, `${s} mean inside, step ${i}`);
      }
    }
  });

  test('empirical coverage on random walks is near nominal', () => {
    let inside80 = 0;
    let inside95 = 0;
    let total = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const path = ar1(110, 1, 1, seed, 100);
      const fit = fitEtsSpec(path.subarray(0, 100), spec('ANN'))!;
      const p = etsPredict(fit, 10, [80, 95]);
      const future = path.subarray(100);
      inside80 += coverage(future, p.intervals[0]!.lower, p.intervals[0]!.upper) * 10;
      inside95 += coverage(future, p.intervals[1]!.lower, p.intervals[1]!.upper) * 10;
      total += 10;
    }
    assert.ok(Math.abs(inside80 / total - 0.8) < 0.05, `80%: ${inside80 / total}`);
    assert.ok(Math.abs(inside95 / total - 0.95) < 0.03, `95%: ${inside95 / total}`);
  });

  test('constant, short and negative series', () => {
    const flat = etsModel.fit(new Float64Array(30).fill(5), { periods: [7] }).predict(5, [50, 99]);
    assert.ok(maxAbsDiff(flat.mean, new Float64Array(5).fill(5)) < 1e-6);
    for (const iv of flat.intervals) assert.ok(iv.lower.every(Number.isFinite) && iv.upper.every(Number.isFinite));
    const short = etsModel.fit(Float64Array.from([1, 2]), { periods: [] }).predict(3, [95]);
    assert.ok(short.mean.every(Number.isFinite));
    const negative = synthetic({ n: 60, level: -5, seasons: [{ amplitude: 3, period: 6 }], noise: 0.2, seed: 9 });
    assert.ok(candidateSpecs(negative, 6).every((s) => s.error === 'A' && s.season !== 'M'), 'no multiplicative forms');
    const fitted = etsModel.fit(negative, { periods: [6] });
    assert.match(fitted.name, /^ETS\(A,/);
    assert.ok(fitted.predict(12, [95]).mean.every(Number.isFinite));
  });
});
