// NAB's threshold optimisation: the one threshold that maximises the raw score over the whole
// corpus, found as NAB's Sweeper.calcScoreByThreshold does — every distinct anomaly score is a
// candidate — but in O(n log n): sort once, lower the threshold row by row, update the score.
import { scoresFor, type DetectorScores, type LabelledCorpus } from './labelled.js';
import type { Profile } from './profiles.js';
import { detectionScore, OUTSIDE, PROBATION, sweepRows } from './sweep.js';

/** NAB's first candidate: above every anomaly score, so nothing is detected. */
export const START_THRESHOLD = 1.1;

/** The best threshold for a detector and profile, with the raw score it gives. */
export interface ThresholdChoice {
  /** A row is a detection when its anomaly score ≥ threshold; one of the detector's scores, or {@link START_THRESHOLD}. */
  readonly threshold: number;
  /** The corpus raw score at that threshold. */
  readonly raw: number;
}

/**
 * Finds the threshold that maximises the corpus raw score, as NAB's optimiser does: candidates are
 * {@link START_THRESHOLD} and every distinct anomaly score of a scored row; on a tie the highest
 * threshold wins (NAB takes the first of a stable sort by score). Throws when a file has no scores.
 */
export function optimiseThreshold(corpus: LabelledCorpus, results: DetectorScores, profile: Profile): ThresholdChoice {
  const rows = scoredRows(corpus, results, profile);
  const n = rows.score.length;
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const score = rows.score;
  order.sort((a, b) => score[b]! - score[a]!);

  // Each window's current reward (−fnWeight until detected); raw is kept as their sum plus the FPs.
  const reward = new Float64Array(rows.windowCount).fill(-profile.fnWeight);
  let raw = -profile.fnWeight * rows.scoredWindows;
  let threshold = START_THRESHOLD;
  let best: ThresholdChoice = { threshold, raw: Number.NEGATIVE_INFINITY };
  for (let k = 0; k < n; k++) {
    const row = order[k]!;
    const s = score[row]!;
    // All rows scoring ≥ the previous threshold are in: that threshold's raw score is complete.
    if (s !== threshold) {
      if (raw > best.raw) best = { threshold, raw };
      threshold = s;
    }
    const w = rows.window[row]!;
    const gain = rows.gain[row]!;
    if (w === OUTSIDE) raw += gain;
    else if (gain > reward[w]!) {
      raw += gain - reward[w]!;
      reward[w] = gain;
    }
  }
  if (raw > best.raw) best = { threshold, raw };
  return best;
}

/** The scored rows of all files, flattened: anomaly score, corpus-wide window index (or OUTSIDE), weighted detection score. */
interface ScoredRows {
  readonly score: Float64Array;
  readonly window: Int32Array;
  readonly gain: Float64Array;
  /** Windows across the corpus (the index space of `window`). */
  readonly windowCount: number;
  /** Windows with a scored row: the ones that start at −fnWeight. */
  readonly scoredWindows: number;
}

function scoredRows(corpus: LabelledCorpus, results: DetectorScores, profile: Profile): ScoredRows {
  const perFile = corpus.files.map((f) => ({ scores: scoresFor(results, f), sweep: sweepRows(f.rows, f.windows), windows: f.windows.length }));
  let n = 0;
  for (const f of perFile) for (const r of f.sweep.role) if (r !== PROBATION) n++;
  const score = new Float64Array(n);
  const window = new Int32Array(n);
  const gain = new Float64Array(n);
  let k = 0;
  let windowBase = 0;
  let scoredWindows = 0;
  for (const { scores, sweep, windows } of perFile) {
    for (let i = 0; i < scores.length; i++) {
      const r = sweep.role[i]!;
      if (r === PROBATION) continue;
      score[k] = scores[i]!;
      window[k] = r === OUTSIDE ? OUTSIDE : windowBase + r;
      gain[k] = detectionScore(r, sweep.value[i]!, profile);
      k++;
    }
    windowBase += windows;
    scoredWindows += sweep.scoredWindows;
  }
  return { score, window, gain, windowCount: windowBase, scoredWindows };
}
