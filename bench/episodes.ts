// `npm run bench:episodes`: does the online ensemble keep calling a long failure anomalous, or does it
// adapt to it and call it normal? On NAB v1.1's realKnownCause files (real failures with known
// causes), every labelled window lasting at least MIN_HOURS: the share of the window's points the
// online default ensemble flags at sensitivity 0.5 (score ≥ threshold), and whether the window is
// detected at all (a report inside it). BEFORE is the code of BEFORE_COMMIT (the anomaly kernel of
// issue 16, before the adaptation guard), extracted with `git archive` into a temporary folder and
// imported from there; AFTER is this checkout. Both also get NAB's standard score over the whole
// corpus (strictly causal, scored on the reports at 0.5 as bench:nab scores them), so a gain on long
// episodes is shown not to cost NAB points elsewhere. A third run, this checkout with the guard
// switched off (setGuardEnabled), separates the guard's effect from everything else since BEFORE.
//
// NAB_DIR overrides the corpus folder; BEFORE_COMMIT the commit compared against (default 08dcd63);
// BEFORE_DIR a folder already holding that commit's tree (then nothing is extracted).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as after from '../src/anomaly/ensemble.js';
import { thresholdFor } from '../src/anomaly/calibration.js';
import { setGuardEnabled } from '../src/anomaly/guard.js';
import { reportedPoints } from '../src/anomaly/refractory.js';
import { defaultNabDir, loadCorpus, NAB_PROFILES, PROFILE_NAMES, scoreCorpus, type NabCorpus } from './nab/index.js';
import { machine, onCleanup, root, round, runBench, writeResult } from './lib.js';
import { longWindows, windowRecall, type EpisodeRecall } from './episodes/recall.js';

const SENSITIVITY = 0.5;
/** Windows at least this long (hours) count as long episodes. */
const MIN_HOURS = 24;
const CATEGORY = 'realKnownCause';

type Scorer = typeof after.ensembleScores;

/** The BEFORE ensemble: src/ at `commit`, extracted to a temporary folder (removed on exit). */
async function ensembleAt(commit: string): Promise<Scorer> {
  let dir = process.env.BEFORE_DIR;
  if (!dir) {
    const tmp = mkdtempSync(join(tmpdir(), 'iv-episodes-'));
    onCleanup('BEFORE source folder', () => rmSync(tmp, { recursive: true, force: true }));
    const tar = execFileSync('git', ['-C', root, 'archive', '--format=tar', commit, 'src'], { maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', tmp], { input: tar });
    dir = tmp;
  }
  const mod = (await import(pathToFileURL(join(dir, 'src', 'anomaly', 'ensemble.ts')).href)) as typeof after;
  return mod.ensembleScores;
}

interface Run {
  pointsPerSecond: number;
  nab: Record<string, number>;
  episodes: EpisodeRecall[];
  meanShareFlagged: number;
  detected: number;
}

function run(label: string, scorer: Scorer, corpus: NabCorpus, threshold: number): Run {
  const reports = new Map<string, Float64Array>();
  const scores = new Map<string, Float64Array>();
  let ms = 0;
  let rows = 0;
  for (const file of corpus.files) {
    const t0 = performance.now();
    const e = scorer(file.values, file.epochMs, { mode: 'online' }) as ReturnType<Scorer> & { levels?: Float64Array };
    ms += performance.now() - t0;
    rows += file.rows;
    // Shares flagged are of the level before the onset damping (the code before it had none: its
    // scores were that level); reports are what detectAnomalies reports, from the scores.
    scores.set(file.name, e.levels ?? e.scores);
    const s = e.scores;
    const r = new Float64Array(s.length);
    for (const t of reportedPoints(s, threshold)) r[t] = s[t]!;
    reports.set(file.name, r);
  }
  const nab: Record<string, number> = {};
  for (const p of PROFILE_NAMES) nab[p] = round(scoreCorpus(corpus, reports, NAB_PROFILES[p], threshold).normalised, 2);
  const episodes = longWindows(corpus, CATEGORY, MIN_HOURS).map((w) => windowRecall(w, scores.get(w.file)!, reports.get(w.file)!, threshold));
  const meanShareFlagged = round(episodes.reduce((a, e) => a + e.shareFlagged, 0) / episodes.length, 3);
  const detected = episodes.filter((e) => e.detected).length;
  const pointsPerSecond = Math.round(rows / (ms / 1000));
  console.log(`${label}: NAB standard ${nab.standard!.toFixed(2)} (low FP ${nab.reward_low_FP_rate!.toFixed(2)}, low FN ${nab.reward_low_FN_rate!.toFixed(2)}); long windows: mean share flagged ${meanShareFlagged.toFixed(3)}, detected ${detected}/${episodes.length}; ${pointsPerSecond.toLocaleString('en')} points/s`);
  return { pointsPerSecond, nab, episodes, meanShareFlagged, detected };
}

runBench(async () => {
  const corpus = loadCorpus(process.env.NAB_DIR ?? defaultNabDir);
  const commit = process.env.BEFORE_COMMIT ?? '08dcd63';
  const threshold = thresholdFor(SENSITIVITY);
  const before = run(`BEFORE (${commit})`, await ensembleAt(commit), corpus, threshold);
  const now = run('AFTER (this checkout)', after.ensembleScores, corpus, threshold);
  setGuardEnabled(false);
  const unguarded = run('AFTER, guard off', after.ensembleScores, corpus, threshold);
  setGuardEnabled(true);

  console.log(`\n${CATEGORY} windows of ≥ ${MIN_HOURS} h: share of points flagged at sensitivity ${SENSITIVITY} (detected?)`);
  console.log(`${'file'.padEnd(44)} ${'rows'.padStart(11)}   before        after         guard off`);
  before.episodes.forEach((b, i) => {
    const cell = (e: EpisodeRecall) => `${e.shareFlagged.toFixed(3)} (${e.detected ? 'yes' : 'no '})`;
    console.log(`${b.file.replace(`${CATEGORY}/`, '').padEnd(44)} ${`${b.start}–${b.end}`.padStart(11)}   ${cell(b)}   ${cell(now.episodes[i]!)}   ${cell(unguarded.episodes[i]!)}`);
  });
  console.log(`${'mean'.padEnd(56)} ${before.meanShareFlagged.toFixed(3)}         ${now.meanShareFlagged.toFixed(3)}         ${unguarded.meanShareFlagged.toFixed(3)}`);
  console.log('(throughput: one core shared with other work, so noisy)');

  const file = writeResult('episodes', {
    bench: 'episodes',
    machine: await machine(),
    note: `Online default ensemble, sensitivity ${SENSITIVITY}, over NAB v1.1. Long episodes: every ${CATEGORY} window of at least ${MIN_HOURS} h; shareFlagged = share of the window's points scoring at or above the threshold; detected = a report (one per episode, refractory rule) inside the window. NAB scores: the reports at ${SENSITIVITY}, strictly causal (no bounds). BEFORE = src/ at ${commit}; afterWithoutGuard = this checkout with the episode guard switched off.`,
    settings: { mode: 'online', sensitivity: SENSITIVITY, threshold: round(threshold, 4), minHours: MIN_HOURS, category: CATEGORY, beforeCommit: commit },
    before,
    after: now,
    afterWithoutGuard: unguarded,
  });
  console.log(`\nwrote ${file}`);
});
