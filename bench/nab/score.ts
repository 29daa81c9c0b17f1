// NAB's score of a detector at a threshold, its null and perfect scores, and the 0–100 normalisation.
// Pure: the corpus and the detector's scores come in as arguments.
import { checkRows, scoresFor, type DetectorScores, type LabelledCorpus, type LabelledFile } from './labelled.js';
import { optimiseThreshold } from './optimise.js';
import type { Profile } from './profiles.js';
import { detectionScore, OUTSIDE, PROBATION, probationLength, scoredWindowCount, sweepRows } from './sweep.js';

/** One file's raw NAB score and row counts at a threshold (a row of NAB's `<detector>_<profile>_scores.csv`). */
export interface FileScore {
  readonly name: string;
  /** Σ over scored windows (earliest detection's reward, or −fnWeight) + Σ false-positive penalties. */
  readonly raw: number;
  /** Detected rows inside windows. */
  readonly tp: number;
  /** Undetected rows outside windows. */
  readonly tn: number;
  /** Detected rows outside windows. */
  readonly fp: number;
  /** Undetected rows inside windows. */
  readonly fn: number;
  /** Scored rows (probationary rows excluded). */
  readonly total: number;
}

/** A detector's NAB result over a corpus for one profile. */
export interface CorpusScore {
  /** A row is a detection when its anomaly score ≥ threshold. */
  readonly threshold: number;
  /** Σ of the files' raw scores. */
  readonly raw: number;
  /** Raw score of a detector that never fires ({@link nullScore}). */
  readonly nullRaw: number;
  /** Raw score of a detector that fires exactly at every window's left edge ({@link perfectScore}). */
  readonly perfect: number;
  /** NAB's final score: 0 for the null detector, 100 for the perfect one. */
  readonly normalised: number;
  readonly perFile: readonly FileScore[];
}

/**
 * Scores one file as NAB's Sweeper.scoreDataSet does at `threshold`: rows with anomaly score ≥
 * threshold are detections; probationary rows are ignored; each window earns its earliest
 * detection's tpWeight·S(y)/S(−1) or costs −fnWeight; each detection outside a window adds
 * fpWeight·S(y) (negative). `scores` must hold one value per row.
 */
export function scoreFile(file: LabelledFile, scores: Float64Array, profile: Profile, threshold: number): FileScore {
  checkRows(file, scores);
  const { role, value } = sweepRows(file.rows, file.windows);
  // Detection scores fall from a window's left edge to its right, so max = earliest.
  const best = new Float64Array(file.windows.length).fill(-profile.fnWeight);
  let fpSum = 0;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < file.rows; i++) {
    const r = role[i]!;
    if (r === PROBATION) continue;
    const hit = scores[i]! >= threshold;
    if (r === OUTSIDE) {
      if (!hit) tn++;
      else {
        fp++;
        fpSum += detectionScore(r, value[i]!, profile);
      }
    } else if (!hit) fn++;
    else {
      tp++;
      const s = detectionScore(r, value[i]!, profile);
      if (s > best[r]!) best[r] = s;
    }
  }
  let raw = fpSum;
  const probation = probationLength(file.rows);
  file.windows.forEach((w, k) => {
    if (w.end >= probation) raw += best[k]!;
  });
  return { name: file.name, raw, tp, tn, fp, fn, total: tp + tn + fp + fn };
}

/**
 * Scores a detector over a corpus for one profile, as NAB's scorer and normaliser do. Without a
 * `threshold`, the corpus-wide best one is found first ({@link optimiseThreshold}), as NAB's
 * optimise step does. Throws when a file has no scores or the wrong number.
 */
export function scoreCorpus(corpus: LabelledCorpus, results: DetectorScores, profile: Profile, threshold?: number): CorpusScore {
  const t = threshold ?? optimiseThreshold(corpus, results, profile).threshold;
  const perFile = corpus.files.map((f) => scoreFile(f, scoresFor(results, f), profile, t));
  const raw = perFile.reduce((sum, f) => sum + f.raw, 0);
  const nullRaw = nullScore(corpus, profile);
  const perfect = perfectScore(corpus, profile);
  return { threshold: t, raw, nullRaw, perfect, normalised: normalise(raw, nullRaw, perfect), perFile };
}

/** Raw score of a detector that never fires: −fnWeight per window that holds a scored row (−116 standard on NAB v1.1). */
export function nullScore(corpus: LabelledCorpus, profile: Profile): number {
  let windows = 0;
  for (const f of corpus.files) windows += scoredWindowCount(f.rows, f.windows);
  return 0 - profile.fnWeight * windows; // 0 −, so no windows gives 0 rather than −0
}

/** The perfect raw score as NAB's normaliser counts it: tpWeight per labelled window (116 on NAB v1.1). */
export function perfectScore(corpus: LabelledCorpus, profile: Profile): number {
  let windows = 0;
  for (const f of corpus.files) windows += f.windows.length;
  return profile.tpWeight * windows;
}

/** NAB's final score: 100 · (raw − nullRaw) / (perfect − nullRaw). */
export function normalise(raw: number, nullRaw: number, perfect: number): number {
  return (100 * (raw - nullRaw)) / (perfect - nullRaw);
}
