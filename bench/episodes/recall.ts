// Long labelled episodes and how much of each an anomaly score stream covers.
import type { NabCorpus } from '../nab/index.js';

/** One labelled window, as inclusive row indices of its file. */
export interface LongWindow {
  file: string;
  start: number;
  end: number;
  hours: number;
}

export interface EpisodeRecall extends LongWindow {
  /** Share of the window's points scoring at or above the threshold. */
  shareFlagged: number;
  /** Whether a report (a non-zero entry of the reports stream) lies inside the window. */
  detected: boolean;
}

/** Every window of `category` lasting at least `minHours` (first to last row), in corpus order. */
export function longWindows(corpus: NabCorpus, category: string, minHours: number): LongWindow[] {
  const out: LongWindow[] = [];
  for (const f of corpus.files) {
    if (f.category !== category) continue;
    for (const w of f.windows) {
      const hours = (f.epochMs[w.end]! - f.epochMs[w.start]!) / 3_600_000;
      if (hours >= minHours) out.push({ file: f.name, start: w.start, end: w.end, hours: Math.round(hours * 10) / 10 });
    }
  }
  return out;
}

/** Recall of one window: `scores` per row, `reports` non-zero where a report was made. */
export function windowRecall(w: LongWindow, scores: Float64Array, reports: Float64Array, threshold: number): EpisodeRecall {
  let flagged = 0;
  let detected = false;
  for (let t = w.start; t <= w.end; t++) {
    if (scores[t]! >= threshold) flagged++;
    if (reports[t]! > 0) detected = true;
  }
  return { ...w, shareFlagged: Math.round((flagged / (w.end - w.start + 1)) * 1000) / 1000, detected };
}
