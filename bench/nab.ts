// `npm run bench:nab`: the anomaly ensemble in online mode (causal, as a stream would see it) over the
// 58 files of the Numenta Anomaly Benchmark v1.1, scored by bench/nab (which first has to
// reproduce NAB's published numenta and windowedGaussian scores), in all three profiles, at the
// default sensitivity and at the best sensitivity of a sweep; plus the detector's throughput on one
// core (this process, files one after another, detection only — no file I/O).
//
// What is scored is what the detector reports: the points `detectAnomalies` returns online (one per
// episode, src/anomaly/refractory.ts) carry their score, every other row 0. The reports depend on the
// threshold, so NAB's own threshold optimiser (which sweeps one fixed score stream) is replaced by a
// sweep over sensitivities, each scored on its own reports.
//
// NAB_DIR overrides the corpus folder (default ../shared/datasets/nab beside the repo);
// NAB_RESULTS_DIR keeps the NAB-format result files there (default: a temporary folder, removed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { thresholdFor } from '../src/anomaly/calibration.js';
import { reportedPoints } from '../src/anomaly/refractory.js';
import { ensembleScores } from '../src/anomaly/ensemble.js';
import { defaultNabDir, loadCorpus, loadDetectorResults, loadThresholds, NAB_PROFILES, PROFILE_NAMES, referenceResultsDir, scoreCorpus, writeAllDetectorResults, type ProfileName } from './nab/index.js';
import { defaultMethods } from '../src/anomaly/registry.js';
import { machine, onCleanup, round, runBench, writeResult } from './lib.js';

const DETECTOR = 'intentvision';
const SENSITIVITY = 0.5;
/** NAB's published standard-profile scores (final_results.json / the NAB README scoreboard). */
const SCOREBOARD: Record<string, number> = {
  ARTime: 74.9,
  'Numenta HTM': 70.1,
  'CAD OSE': 69.9,
  'earthgecko Skyline': 58.2,
  'KNN CAD': 58.0,
  'Relative Entropy': 54.6,
  'Random Cut Forest': 51.7,
  'Twitter ADVec': 47.1,
  'Windowed Gaussian': 39.6,
};

/** Fails unless the scorer reproduces NAB's published results for its reference detectors. */
function checkScorer(dir: string): void {
  const corpus = loadCorpus(dir);
  const ref = referenceResultsDir(dir);
  const shipped = loadThresholds(join(ref, 'thresholds.json'));
  for (const [detector, expected] of [['numenta', 70.1], ['windowedGaussian', 39.65]] as const) {
    const got = scoreCorpus(corpus, loadDetectorResults(ref, detector, corpus), NAB_PROFILES.standard, shipped[detector]!.standard!.threshold).normalised;
    if (Math.abs(got - expected) > 0.01) throw new Error(`the NAB scorer gives ${detector} ${got.toFixed(2)}, published ${expected}`);
  }
}

runBench(async () => {
  const dir = process.env.NAB_DIR ?? defaultNabDir;
  checkScorer(dir);
  const corpus = loadCorpus(dir);
  const rows = corpus.files.reduce((s, f) => s + f.rows, 0);
  console.log(`NAB v1.1: ${corpus.files.length} files, ${rows} rows; scorer reproduces numenta 70.10 and windowedGaussian 39.65`);

  const results = new Map<string, Float64Array>();
  let detectMs = 0;
  for (const file of corpus.files) {
    const t0 = performance.now();
    const { scores } = ensembleScores(file.values, file.epochMs, { mode: 'online' });
    detectMs += performance.now() - t0;
    results.set(file.name, scores);
  }
  const pointsPerSecond = rows / (detectMs / 1000);
  console.log(`online ensemble (${defaultMethods.map((m) => `${m.name}×${m.weight}`).join(', ')}): ${(detectMs / 1000).toFixed(2)} s, ${Math.round(pointsPerSecond).toLocaleString('en')} points/s on one core`);

  /** The detector's reports at a threshold as a NAB score stream (reported rows keep their score). */
  const reportsAt = (threshold: number) => {
    const out = new Map<string, Float64Array>();
    for (const [name, s] of results) {
      const r = new Float64Array(s.length);
      for (const t of reportedPoints(s, threshold)) r[t] = s[t]!;
      out.set(name, r);
    }
    return out;
  };
  const threshold = thresholdFor(SENSITIVITY);
  const atDefault = reportsAt(threshold);
  const keep = process.env.NAB_RESULTS_DIR;
  const resultsDir = keep ?? mkdtempSync(join(tmpdir(), 'iv-nab-'));
  if (!keep) onCleanup('NAB results folder', () => rmSync(resultsDir, { recursive: true, force: true }));
  writeAllDetectorResults(resultsDir, DETECTOR, corpus, atDefault);
  console.log(`NAB-format results (sensitivity ${SENSITIVITY}) in ${resultsDir}/${DETECTOR}/${keep ? '' : ' (temporary; set NAB_RESULTS_DIR to keep them)'}`);

  // Every sensitivity from 0.20 to 0.80 by 0.01, each scored on its own reports.
  const bySensitivity: Record<string, { threshold: number } & Record<ProfileName, number>> = {};
  for (let i = 20; i <= 80; i++) {
    const t = thresholdFor(i / 100);
    const reports = reportsAt(t);
    const row = { threshold: round(t, 4) } as { threshold: number } & Record<ProfileName, number>;
    for (const p of PROFILE_NAMES) row[p] = round(scoreCorpus(corpus, reports, NAB_PROFILES[p], t).normalised, 2);
    bySensitivity[(i / 100).toFixed(2)] = row;
  }
  const scores = {} as Record<ProfileName, { defaultSensitivity: { sensitivity: number; threshold: number; score: number }; best: { sensitivity: number; threshold: number; score: number } }>;
  for (const p of PROFILE_NAMES) {
    const [bestS, bestRow] = Object.entries(bySensitivity).reduce((a, b) => (b[1][p] > a[1][p] ? b : a));
    scores[p] = {
      defaultSensitivity: { sensitivity: SENSITIVITY, threshold: round(threshold, 4), score: round(scoreCorpus(corpus, atDefault, NAB_PROFILES[p], threshold).normalised, 2) },
      best: { sensitivity: Number(bestS), threshold: bestRow.threshold, score: bestRow[p] },
    };
  }
  console.log('\nprofile              at sensitivity 0.5 (threshold)   at the best sensitivity of 0.20–0.80 (threshold)');
  for (const p of PROFILE_NAMES) {
    const s = scores[p];
    console.log(`${p.padEnd(20)} ${s.defaultSensitivity.score.toFixed(1).padStart(6)} (${s.defaultSensitivity.threshold})${' '.repeat(17)}${s.best.score.toFixed(1).padStart(6)} at ${s.best.sensitivity.toFixed(2)} (${s.best.threshold})`);
  }
  console.log(`
standard profile by sensitivity: ${['0.25', '0.40', '0.45', '0.50', '0.55', '0.60', '0.70', '0.80'].map((s) => `${s} → ${bySensitivity[s]!.standard.toFixed(1)}`).join(', ')}`);

  // Per category, standard profile, both thresholds: where the points are won and lost.
  const categories = [...new Set(corpus.files.map((f) => f.category))];
  const byCategory: Record<string, { windows: number; rawAtDefault: number; rawBest: number }> = {};
  const std = NAB_PROFILES.standard;
  const perFileDefault = scoreCorpus(corpus, atDefault, std, threshold).perFile;
  const perFileBest = scoreCorpus(corpus, reportsAt(scores.standard.best.threshold), std, scores.standard.best.threshold).perFile;
  for (const c of categories) {
    const idx = corpus.files.map((f, i) => (f.category === c ? i : -1)).filter((i) => i >= 0);
    byCategory[c] = {
      windows: idx.reduce((s, i) => s + corpus.files[i]!.windows.length, 0),
      rawAtDefault: round(idx.reduce((s, i) => s + perFileDefault[i]!.raw, 0), 2),
      rawBest: round(idx.reduce((s, i) => s + perFileBest[i]!.raw, 0), 2),
    };
  }

  const board = Object.entries({
    ...SCOREBOARD,
    [`IntentVision (this run, sensitivity ${SENSITIVITY})`]: scores.standard.defaultSensitivity.score,
    [`IntentVision (this run, best sensitivity ${scores.standard.best.sensitivity.toFixed(2)})`]: scores.standard.best.score,
  }).sort((a, b) => b[1] - a[1]);
  console.log('\nNAB scoreboard, standard profile:');
  board.forEach(([name, s], i) => console.log(`${String(i + 1).padStart(3)}. ${name.padEnd(42)} ${s.toFixed(1)}`));

  const file = writeResult('nab', {
    bench: 'nab',
    machine: await machine(),
    note: 'Online (causal) ensemble over NAB v1.1, scored on its reports (one per episode); best = the best sensitivity of a 0.20–0.80 sweep, one for the whole corpus per profile. Throughput: detection only, one core, one pass (JIT warm-up included).',
    settings: { mode: 'online', sensitivity: SENSITIVITY, threshold: round(threshold, 4), methods: defaultMethods },
    corpus: { files: corpus.files.length, rows },
    throughput: { seconds: round(detectMs / 1000, 2), pointsPerSecond: Math.round(pointsPerSecond) },
    scores,
    standardBySensitivity: bySensitivity,
    standardByCategory: byCategory,
    scoreboard: Object.fromEntries(board.map(([n, s], i) => [n, { rank: i + 1, standard: s }])),
  });
  console.log(`\nwrote ${file}`);
});
