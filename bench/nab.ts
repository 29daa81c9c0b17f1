// `npm run bench:nab`: the anomaly ensemble in online mode (causal, as a stream would see it) over the
// 58 files of the Numenta Anomaly Benchmark v1.1, scored by bench/nab (which first has to
// reproduce NAB's published numenta and windowedGaussian scores), in all three profiles, at the
// default sensitivity and at the best sensitivity of a sweep, in two runs: under NAB's rules (each
// file's min and max passed as `bounds`, as NAB gives them to every detector) and strictly causal (no
// bounds). Also the raw `scores` stream scored as NAB scores any detector (its threshold optimised per
// profile), the detector's throughput on one core (this process, files one after another, detection
// only — no file I/O) and the bytes of saved state per series after 100k points.
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
import { ensembleScores } from '../src/anomaly/ensemble.js';
import { defaultNabDir, loadCorpus, loadDetectorResults, loadThresholds, NAB_PROFILES, optimiseThreshold, PROFILE_NAMES, referenceResultsDir, scoreCorpus, writeAllDetectorResults, type NabCorpus, type ProfileName } from './nab/index.js';
import { fileBounds, reportsAt, runCorpus, type RunKind } from './nab/ensemble-run.js';
import { sequenceContext } from '../src/anomaly/methods/sequence-context.js';
import { defaultMethods } from '../src/anomaly/registry.js';
import { machine, onCleanup, round, runBench, writeResult } from './lib.js';

const DETECTOR = 'intentvision';
const SENSITIVITY = 0.5;
/** The figures before issue 16 (strictly causal, no bounds run existed): standard, low-FP, low-FN at 0.5, raw scores. */
const BEFORE = { standard: 54.86, reward_low_FP_rate: 41.08, reward_low_FN_rate: 61.29, raw: 42.1 };
const RUNS: { kind: RunKind; label: string }[] = [
  { kind: 'bounds', label: "under NAB's rules (bounds)" },
  { kind: 'causal', label: 'strictly causal' },
];
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

type Figure = { sensitivity: number; threshold: number; score: number };
interface RunFigures {
  defaultSensitivity: Record<ProfileName, Figure>;
  best: Record<ProfileName, Figure>;
  /** The raw scores stream with NAB's optimised threshold, per profile. */
  rawScores: Record<ProfileName, { threshold: number; score: number }>;
  bySensitivity: Record<string, { threshold: number } & Record<ProfileName, number>>;
  byCategory: Record<string, { windows: number; rawAtDefault: number }>;
  seconds: number;
  pointsPerSecond: number;
}

/** Scores one run's reports at every sensitivity of the sweep and its raw scores stream. */
function figures(corpus: NabCorpus, results: Map<string, Float64Array>, ms: number, rows: number): RunFigures {
  const threshold = thresholdFor(SENSITIVITY);
  const bySensitivity: RunFigures['bySensitivity'] = {};
  for (let i = 20; i <= 80; i++) {
    const t = thresholdFor(i / 100);
    const reports = reportsAt(results, t);
    const row = { threshold: round(t, 4) } as { threshold: number } & Record<ProfileName, number>;
    for (const p of PROFILE_NAMES) row[p] = round(scoreCorpus(corpus, reports, NAB_PROFILES[p], t).normalised, 2);
    bySensitivity[(i / 100).toFixed(2)] = row;
  }
  const atDefault = reportsAt(results, threshold);
  const defaultSensitivity = {} as Record<ProfileName, Figure>;
  const best = {} as Record<ProfileName, Figure>;
  const rawScores = {} as Record<ProfileName, { threshold: number; score: number }>;
  for (const p of PROFILE_NAMES) {
    defaultSensitivity[p] = { sensitivity: SENSITIVITY, threshold: round(threshold, 4), score: round(scoreCorpus(corpus, atDefault, NAB_PROFILES[p], threshold).normalised, 2) };
    const [bestS, bestRow] = Object.entries(bySensitivity).reduce((a, b) => (b[1][p] > a[1][p] ? b : a));
    best[p] = { sensitivity: Number(bestS), threshold: bestRow.threshold, score: bestRow[p] };
    const opt = optimiseThreshold(corpus, results, NAB_PROFILES[p]);
    rawScores[p] = { threshold: round(opt.threshold, 4), score: round(scoreCorpus(corpus, results, NAB_PROFILES[p], opt.threshold).normalised, 2) };
  }
  const perFile = scoreCorpus(corpus, atDefault, NAB_PROFILES.standard, threshold).perFile;
  const byCategory: RunFigures['byCategory'] = {};
  for (const c of new Set(corpus.files.map((f) => f.category))) {
    const idx = corpus.files.map((f, i) => (f.category === c ? i : -1)).filter((i) => i >= 0);
    byCategory[c] = { windows: idx.reduce((s, i) => s + corpus.files[i]!.windows.length, 0), rawAtDefault: round(idx.reduce((s, i) => s + perFile[i]!.raw, 0), 2) };
  }
  return { defaultSensitivity, best, rawScores, bySensitivity, byCategory, seconds: round(ms / 1000, 2), pointsPerSecond: Math.round(rows / (ms / 1000)) };
}

/** Bytes of saved state (every stateful method's, and the ensemble's) after an online run over 100k points of a noisy daily cycle. */
function stateBytesAfter100k(): number {
  const n = 100_000;
  const values = new Float64Array(n);
  const ts = new Float64Array(n);
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let t = 0; t < n; t++) {
    ts[t] = t * 60_000;
    values[t] = 50 + 20 * Math.sin((2 * Math.PI * t) / 1440) + 5 * (rnd() - 0.5) + (rnd() < 0.001 ? 40 : 0);
  }
  const { states } = ensembleScores(values, ts, { mode: 'online', candidatePeriods: [] });
  return Object.values(states).reduce((s, b) => s + b.byteLength, 0);
}

runBench(async () => {
  const dir = process.env.NAB_DIR ?? defaultNabDir;
  checkScorer(dir);
  const corpus = loadCorpus(dir);
  const rows = corpus.files.reduce((s, f) => s + f.rows, 0);
  console.log(`NAB v1.1: ${corpus.files.length} files, ${rows} rows; scorer reproduces numenta 70.10 and windowedGaussian 39.65`);
  console.log(`ensemble: ${defaultMethods.map((m) => `${m.name}×${m.weight}`).join(', ')}; online; sensitivity ${SENSITIVITY} → threshold ${round(thresholdFor(SENSITIVITY), 4)}`);

  const out = {} as Record<RunKind, RunFigures>;
  let boundsScores: Map<string, Float64Array> | undefined;
  for (const { kind } of RUNS) {
    const run = runCorpus(corpus, kind, defaultMethods);
    if (kind === 'bounds') boundsScores = run.scores;
    out[kind] = figures(corpus, run.scores, run.ms, rows);
  }
  const stateBytes = stateBytesAfter100k();
  // The sequence method's own share of the time (under NAB's rules), one more pass.
  let seqMs = 0;
  for (const f of corpus.files) {
    const t0 = performance.now();
    sequenceContext.score(f.values, { mode: 'online', periods: [], bounds: fileBounds(f) });
    seqMs += performance.now() - t0;
  }
  const seqMicros = (seqMs * 1000) / rows;

  const keep = process.env.NAB_RESULTS_DIR;
  const resultsDir = keep ?? mkdtempSync(join(tmpdir(), 'iv-nab-'));
  if (!keep) onCleanup('NAB results folder', () => rmSync(resultsDir, { recursive: true, force: true }));
  writeAllDetectorResults(resultsDir, DETECTOR, corpus, reportsAt(boundsScores!, thresholdFor(SENSITIVITY)));
  console.log(`NAB-format results (under NAB's rules, sensitivity ${SENSITIVITY}) in ${resultsDir}/${DETECTOR}/${keep ? '' : ' (temporary; set NAB_RESULTS_DIR to keep them)'}`);

  const col = (x: string) => x.padStart(16);
  console.log(`\n${''.padEnd(44)}${col('before (causal)')}${RUNS.map((r) => col(r.kind === 'bounds' ? "NAB's rules" : 'strictly causal')).join('')}`);
  for (const p of PROFILE_NAMES) {
    console.log(`reports at sensitivity 0.5, ${p.padEnd(18)}${col(BEFORE[p].toFixed(2))}${RUNS.map((r) => col(out[r.kind].defaultSensitivity[p].score.toFixed(2))).join('')}`);
  }
  for (const p of PROFILE_NAMES) {
    console.log(`best sensitivity (0.20–0.80), ${p.padEnd(15)}${col('')}${RUNS.map((r) => col(`${out[r.kind].best[p].score.toFixed(2)} at ${out[r.kind].best[p].sensitivity.toFixed(2)}`)).join('')}`);
  }
  for (const p of PROFILE_NAMES) {
    console.log(`raw scores, NAB-optimised, ${p.padEnd(17)}${col(p === 'standard' ? BEFORE.raw.toFixed(2) : '')}${RUNS.map((r) => col(`${out[r.kind].rawScores[p].score.toFixed(2)} @${out[r.kind].rawScores[p].threshold.toFixed(3)}`)).join('')}`);
  }
  console.log(`throughput, whole ensemble, one core${' '.repeat(8)}${col('~60,000')}${RUNS.map((r) => col(`${out[r.kind].pointsPerSecond.toLocaleString('en')}/s`)).join('')}`);
  console.log(`  of which sequence-context alone (NAB's rules): ${seqMicros.toFixed(2)} µs/point; whole ensemble ${RUNS.map((r) => `${(1e6 / out[r.kind].pointsPerSecond).toFixed(2)}`).join(' / ')} µs/point (a shared machine: noisy)`);
  console.log(`state per series after 100k points: ${stateBytes.toLocaleString('en')} bytes`);
  for (const { kind, label } of RUNS) {
    console.log(`\n${label}, standard profile by sensitivity: ${['0.25', '0.40', '0.45', '0.50', '0.55', '0.60', '0.70', '0.80'].map((s) => `${s} → ${out[kind].bySensitivity[s]!.standard.toFixed(1)}`).join(', ')}`);
    console.log(`  raw score by category at 0.5: ${Object.entries(out[kind].byCategory).map(([c, v]) => `${c} ${v.rawAtDefault}`).join(', ')}`);
  }

  const board = Object.entries({
    ...SCOREBOARD,
    [`IntentVision, NAB's rules (sensitivity ${SENSITIVITY})`]: out.bounds.defaultSensitivity.standard.score,
    [`IntentVision, strictly causal (sensitivity ${SENSITIVITY})`]: out.causal.defaultSensitivity.standard.score,
  }).sort((a, b) => b[1] - a[1]);
  console.log('\nNAB scoreboard, standard profile:');
  board.forEach(([name, s], i) => console.log(`${String(i + 1).padStart(3)}. ${name.padEnd(48)} ${s.toFixed(1)}`));

  const file = writeResult('nab', {
    bench: 'nab',
    machine: await machine(),
    note: "Online ensemble over NAB v1.1, scored on its reports (one per episode) in two runs: under NAB's rules (each file's min and max as bounds) and strictly causal; best = the best sensitivity of a 0.20–0.80 sweep, one for the whole corpus per profile; rawScores = the score stream with NAB's optimised threshold. Throughput: detection only, one core, one pass (JIT warm-up included), on a machine shared with other work (noisy).",
    settings: { mode: 'online', sensitivity: SENSITIVITY, threshold: round(thresholdFor(SENSITIVITY), 4), methods: defaultMethods },
    corpus: { files: corpus.files.length, rows },
    before: BEFORE,
    runs: out,
    stateBytesPer100kPoints: stateBytes,
    sequenceContextMicrosPerPoint: round(seqMicros, 2),
    scoreboard: Object.fromEntries(board.map(([n, s], i) => [n, { rank: i + 1, standard: s }])),
  });
  console.log(`\nwrote ${file}`);
});
