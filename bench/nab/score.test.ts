import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { defaultNabDir, loadCorpus, loadDetectorResults, loadFinalResults, loadProfiles, loadThresholds, referenceResultsDir, type NabCorpus } from './corpus.js';
import type { DetectorScores, LabelledCorpus, LabelledFile } from './labelled.js';
import { optimiseThreshold, START_THRESHOLD } from './optimise.js';
import { NAB_PROFILES, PROFILE_NAMES, REWARD_LOW_FN_RATE, REWARD_LOW_FP_RATE, STANDARD, type Profile } from './profiles.js';
import { normalise, nullScore, perfectScore, scoreCorpus, scoreFile } from './score.js';
import { probationLength, scaledSigmoid } from './sweep.js';

const close = (actual: number, expected: number, eps: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= eps, `${what} ${actual} ≠ ${expected} ± ${eps}`);

/** S(y) written independently of the implementation: 2/(1 + e^{5y}) − 1 = tanh(−5y/2). */
const S = (y: number) => Math.tanh((-5 * y) / 2);
const maxTp = S(-1); // 0.98661

/** A file of `rows` rows whose anomaly score is 1 on the `hits` rows and 0 elsewhere. */
function detector(rows: number, hits: number[]): Float64Array {
  const s = new Float64Array(rows);
  for (const i of hits) s[i] = 1;
  return s;
}

// 40 rows: rows 0–5 are probationary (floor(0.15·40) = 6); one window over rows 10–14 (width 5).
const one: LabelledFile = { name: 'one.csv', rows: 40, windows: [{ start: 10, end: 14 }] };

describe('one file, hand-computed (standard: tp 1, fp 0.11, fn 1)', () => {
  const cases: { name: string; hits: number[]; raw: number; counts?: { tp: number; fp: number } }[] = [
    { name: 'no detection: the window costs fnWeight', hits: [], raw: -1, counts: { tp: 0, fp: 0 } },
    { name: 'detection at the left edge earns exactly tpWeight', hits: [10], raw: 1 },
    // y = −(14 − 14 + 1)/5 = −0.2 → S = tanh(0.5) = 0.46212, over S(−1) = 0.98661
    { name: 'detection at the right edge earns S(−1/W)/S(−1)', hits: [14], raw: S(-0.2) / maxTp },
    { name: 'only the earliest detection in a window counts', hits: [14, 12, 11], raw: S(-0.8) / maxTp, counts: { tp: 3, fp: 0 } },
    // y = |15 − 14|/(5 − 1) = 0.25 → S = tanh(−0.625) = −0.55460
    { name: 'false positive right after the window', hits: [15], raw: -1 + 0.11 * S(0.25), counts: { tp: 0, fp: 1 } },
    // y = 12/4 = 3 is not yet "far" (NAB's test is y > 3): S(3) = −0.9999994, not −1
    { name: 'false positive exactly 3 widths after', hits: [26], raw: -1 + 0.11 * S(3) },
    { name: 'false positive more than 3 widths after costs fpWeight', hits: [27], raw: -1 - 0.11 },
    { name: 'false positive before any window costs fpWeight', hits: [8], raw: -1 - 0.11 },
    { name: 'probationary rows are ignored', hits: [0, 3, 5], raw: -1, counts: { tp: 0, fp: 0 } },
    { name: 'TP and FPs add up', hits: [7, 10, 15, 30], raw: 1 - 0.11 + 0.11 * S(0.25) - 0.11 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = scoreFile(one, detector(one.rows, c.hits), STANDARD, 0.5);
      close(r.raw, c.raw, 1e-12, 'raw');
      assert.equal(r.total, 34, 'probationary rows are not counted');
      if (c.counts) assert.deepEqual({ tp: r.tp, fp: r.fp }, c.counts);
    });
  }

  test('literal values of the scaled sigmoid (NAB docstring)', () => {
    close(scaledSigmoid(-1), 0.98661, 1e-5);
    close(scaledSigmoid(-0.5), 0.84828, 1e-5);
    assert.equal(scaledSigmoid(0), 0);
    close(scaledSigmoid(1), -0.98661, 1e-5);
    assert.equal(scaledSigmoid(3.0000001), -1);
    close(scoreFile(one, detector(40, [14]), STANDARD, 0.5).raw, 0.46839, 1e-5);
  });

  test('a row is a detection when its score ≥ threshold', () => {
    const scores = new Float64Array(40);
    scores[10] = 0.7;
    assert.equal(scoreFile(one, scores, STANDARD, 0.7).raw, 1);
    assert.equal(scoreFile(one, scores, STANDARD, 0.7000001).raw, -1);
  });

  test('profiles weight each part', () => {
    const hits = detector(40, [15, 30]); // window missed, two FPs
    close(scoreFile(one, hits, REWARD_LOW_FP_RATE, 0.5).raw, -1 + 0.22 * S(0.25) - 0.22, 1e-12);
    close(scoreFile(one, hits, REWARD_LOW_FN_RATE, 0.5).raw, -2 + 0.11 * S(0.25) - 0.11, 1e-12);
  });

  test('a window wholly inside the probation is not scored, yet false positives are measured from it', () => {
    const early: LabelledFile = { name: 'early.csv', rows: 40, windows: [{ start: 1, end: 4 }] };
    assert.equal(probationLength(40), 6);
    assert.equal(nullScore({ files: [early] }, STANDARD), 0);
    assert.equal(perfectScore({ files: [early] }, STANDARD), 1, 'NAB counts every labelled window as attainable');
    // y = |7 − 4|/(4 − 1) = 1
    close(scoreFile(early, detector(40, [3, 7]), STANDARD, 0.5).raw, 0.11 * S(1), 1e-12);
  });

  test('probation is floor(0.15 · rows), at most 750 rows', () => {
    for (const [rows, expected] of [[40, 6], [46, 6], [4032, 604], [5000, 750], [15831, 750]] as const) {
      assert.equal(probationLength(rows), expected, `${rows} rows`);
    }
    // 46 rows: 0.15 · 46 = 6.9, so row 6 is already scored (a false positive before any window)
    const r = scoreFile({ name: 'x.csv', rows: 46, windows: [] }, detector(46, [5, 6]), STANDARD, 0.5);
    assert.deepEqual({ raw: r.raw, fp: r.fp, total: r.total }, { raw: -0.11, fp: 1, total: 40 });
  });

  test('scores of the wrong length are refused', () => {
    assert.throws(() => scoreFile(one, new Float64Array(39), STANDARD, 0.5), /39 scores for 40 rows/);
  });
});

describe('corpus score, null and perfect detectors (two small files)', () => {
  const corpus: LabelledCorpus = {
    files: [one, { name: 'two.csv', rows: 100, windows: [{ start: 30, end: 39 }, { start: 70, end: 79 }] }],
  };
  const results = (hits: Record<string, number[]>): DetectorScores =>
    new Map(corpus.files.map((f) => [f.name, detector(f.rows, hits[f.name] ?? [])]));

  test('null detector scores 0, perfect detector 100, for every profile', () => {
    for (const name of PROFILE_NAMES) {
      const p = NAB_PROFILES[name];
      const none = scoreCorpus(corpus, results({}), p, 0.5);
      assert.equal(none.raw, -3 * p.fnWeight);
      assert.equal(none.normalised, 0);
      const perfect = scoreCorpus(corpus, results({ 'one.csv': [10], 'two.csv': [30, 70] }), p, 0.5);
      assert.equal(perfect.raw, 3 * p.tpWeight);
      assert.equal(perfect.normalised, 100);
    }
  });

  test('normalised score sits between the null and perfect raw scores', () => {
    const r = scoreCorpus(corpus, results({ 'one.csv': [14], 'two.csv': [30, 85] }), STANDARD, 0.5);
    // two.csv: y = |85 − 79|/9 for the FP
    const raw = S(-0.2) / maxTp + (1 - 1 + 0.11 * S(6 / 9));
    close(r.raw, raw, 1e-12);
    close(r.normalised, (100 * (raw + 3)) / 6, 1e-10);
    assert.deepEqual(r.perFile.map((f) => f.name), ['one.csv', 'two.csv']);
    close(normalise(-116, -116, 116), 0, 0);
  });

  test('a missing file is refused', () => {
    assert.throws(() => scoreCorpus(corpus, new Map([['one.csv', new Float64Array(40)]]), STANDARD, 0.5), /no detector scores for two.csv/);
  });
});

describe('threshold optimisation', () => {
  test('finds the best of the distinct scores, the higher one on a tie', () => {
    const scores = new Float64Array(40);
    scores[12] = 0.9; // TP: S(−0.6)/S(−1) = 0.9174
    scores[15] = 0.8; // FP: lowering to 0.8 only loses
    scores[10] = 0.6; // left-edge TP: 1 + 0.11·S(0.25) = 0.9390 beats 0.9 despite the FP
    scores[13] = 0.5; // later TP in a detected window: same raw as 0.6, so 0.6 is kept
    const r = optimiseThreshold({ files: [one] }, new Map([['one.csv', scores]]), STANDARD);
    assert.equal(r.threshold, 0.6);
    close(r.raw, 1 + 0.11 * S(0.25), 1e-12);
    close(scoreFile(one, scores, STANDARD, 0.9).raw, S(-0.6) / maxTp, 1e-12);
  });

  test('with no useful score the start threshold (nothing detected) wins', () => {
    const r = optimiseThreshold({ files: [one] }, new Map([['one.csv', detector(40, [8, 30])]]), STANDARD);
    assert.deepEqual(r, { threshold: START_THRESHOLD, raw: -1 });
  });

  test('agrees with scoring every candidate threshold (random corpora)', () => {
    let seed = 12345;
    const rand = () => {
      // mulberry32: a fixed sequence, so a failure reproduces
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let trial = 0; trial < 20; trial++) {
      const files: LabelledFile[] = [];
      const results = new Map<string, Float64Array>();
      for (let f = 0; f < 4; f++) {
        const rows = 60 + Math.floor(rand() * 240);
        const windows = [];
        for (let start = Math.floor(rand() * 40); start + 12 < rows; start += 15 + Math.floor(rand() * 80)) {
          windows.push({ start, end: start + 2 + Math.floor(rand() * 10) });
        }
        files.push({ name: `f${f}`, rows, windows });
        // Scores on a coarse grid so that many rows share a threshold.
        results.set(`f${f}`, Float64Array.from({ length: rows }, () => Math.round(rand() ** 3 * 40) / 40));
      }
      const corpus = { files };
      for (const profile of [STANDARD, REWARD_LOW_FP_RATE, REWARD_LOW_FN_RATE]) {
        const candidates = [START_THRESHOLD, ...new Set([...results.values()].flatMap((s) => [...s]))].sort((a, b) => b - a);
        let best = { threshold: Number.NaN, raw: Number.NEGATIVE_INFINITY };
        for (const t of candidates) {
          const raw = scoreCorpus(corpus, results, profile, t).raw;
          if (raw > best.raw + 1e-12) best = { threshold: t, raw };
        }
        const got = optimiseThreshold(corpus, results, profile);
        assert.equal(got.threshold, best.threshold, `trial ${trial}`);
        close(got.raw, best.raw, 1e-9);
      }
    }
  });
});

// NAB v1.1's published scores of two detectors, from the detectors' own output files.
const nabDir = defaultNabDir;
const refDir = referenceResultsDir(nabDir);
describe('reproduces NAB v1.1 final_results.json', { skip: !existsSync(refDir) && `NAB corpus not found at ${nabDir}` }, () => {
  let corpus: NabCorpus;
  const results = new Map<string, DetectorScores>();
  before(() => {
    corpus = loadCorpus(nabDir);
    for (const d of ['numenta', 'windowedGaussian']) results.set(d, loadDetectorResults(refDir, d, corpus));
  });
  const thresholds = () => loadThresholds(join(refDir, 'thresholds.json'));
  const published = () => loadFinalResults(join(refDir, 'final_results.json'));

  test("profiles.json holds the exported profiles' weights", () => {
    assert.deepEqual(loadProfiles(join(refDir, 'profiles.json')), { ...NAB_PROFILES });
  });

  // (a) With NAB's shipped thresholds our scores equal the published ones to ~1e-10; 1e-6 leaves
  // room only for summation order and the last bit of exp(), far below the 0.01 they are quoted to.
  const shipped: [string, string, number][] = [
    ['numenta', 'standard', 70.1],
    ['numenta', 'reward_low_FP_rate', 63.12],
    ['numenta', 'reward_low_FN_rate', 74.32],
    ['windowedGaussian', 'standard', 39.65],
    ['windowedGaussian', 'reward_low_FP_rate', 20.87],
    ['windowedGaussian', 'reward_low_FN_rate', 47.41],
  ];
  for (const [detectorName, profileName, rounded] of shipped) {
    test(`${detectorName} ${profileName} with the shipped threshold: ${rounded}`, () => {
      const profile = NAB_PROFILES[profileName as keyof typeof NAB_PROFILES];
      const shippedThreshold = thresholds()[detectorName]![profileName]!;
      const r = scoreCorpus(corpus, results.get(detectorName)!, profile, shippedThreshold.threshold);
      const expected = published()[detectorName]![profileName]!;
      close(r.normalised, expected, 1e-6, 'normalised');
      close(r.normalised, rounded, 0.005, 'rounded');
      assert.equal(r.nullRaw, -116 * profile.fnWeight);
      assert.equal(r.perfect, 116);
      // numenta's raw scores in thresholds.json are current; windowedGaussian's are left from an
      // earlier NAB (−44.75 standard against the −24.01 that its own final score implies).
      if (detectorName === 'numenta') close(r.raw, shippedThreshold.score, 1e-9, 'raw');
    });
  }

  // (b) Our optimiser tries every distinct score, as NAB's current Sweeper-based optimiser does.
  // NAB's shipped numenta thresholds (0.5421876907348634, …) are not scores the detector emits:
  // they come from NAB's older local-search optimiser. Where that search stopped short
  // (numenta reward_low_FP_rate) the exhaustive sweep finds a higher raw score, 30.6453 against
  // 30.4311: 63.209 instead of 63.117. Elsewhere the score is the published one.
  const optimised: [string, string, number, number][] = [
    ['numenta', 'standard', 0.543099145074, 70.10105611943965],
    ['numenta', 'reward_low_FP_rate', 0.543099145074, 63.20918500249927],
    ['numenta', 'reward_low_FN_rate', 0.543099145074, 74.3202443095115],
    ['windowedGaussian', 'standard', 1, 39.649523496077585],
    ['windowedGaussian', 'reward_low_FP_rate', 1, 20.86798582474138],
    ['windowedGaussian', 'reward_low_FN_rate', 1, 47.4100271583046],
  ];
  for (const [detectorName, profileName, threshold, expected] of optimised) {
    test(`${detectorName} ${profileName} with our optimised threshold: ${expected.toFixed(2)}`, () => {
      const profile: Profile = NAB_PROFILES[profileName as keyof typeof NAB_PROFILES];
      const scores = results.get(detectorName)!;
      const best = optimiseThreshold(corpus, scores, profile);
      assert.equal(best.threshold, threshold);
      const r = scoreCorpus(corpus, scores, profile);
      assert.equal(r.threshold, threshold);
      close(r.raw, best.raw, 1e-9, 'optimiser raw = scored raw');
      close(r.normalised, expected, 1e-6, 'normalised');
      const atShipped = scoreCorpus(corpus, scores, profile, thresholds()[detectorName]![profileName]!.threshold);
      assert.ok(r.raw >= atShipped.raw - 1e-9, 'never below the shipped threshold');
      assert.ok(r.normalised - published()[detectorName]![profileName]! < 0.1, 'at most marginally above the published score');
    });
  }

  test('null and perfect detectors on the whole corpus give 0 and 100', () => {
    const zeros = new Map(corpus.files.map((f) => [f.name, new Float64Array(f.rows)]));
    const edges = new Map(corpus.files.map((f) => [f.name, detector(f.rows, f.windows.map((w) => w.start))]));
    for (const name of PROFILE_NAMES) {
      const profile = NAB_PROFILES[name];
      assert.equal(scoreCorpus(corpus, zeros, profile).normalised, 0);
      assert.equal(scoreCorpus(corpus, edges, profile).normalised, 100);
    }
  });
});
