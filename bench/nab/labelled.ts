// What the scorer needs to know of a corpus, and a detector's output for it, without any I/O.
import type { RowWindow } from './windows.js';

/** A data file as the scorer sees it: its name, row count and windows. */
export interface LabelledFile {
  /** The combined_windows.json key, e.g. `realKnownCause/nyc_taxi.csv`. */
  readonly name: string;
  readonly rows: number;
  /** Sorted, disjoint, within `rows`. */
  readonly windows: readonly RowWindow[];
}

/** A set of labelled files (a whole corpus or any part of it). */
export interface LabelledCorpus {
  readonly files: readonly LabelledFile[];
}

/** A detector's anomaly scores in [0, 1], one per row, by file name. */
export type DetectorScores = ReadonlyMap<string, Float64Array>;

/** The scores for `file`; throws when they are missing or their length is not the file's row count. */
export function scoresFor(results: DetectorScores, file: LabelledFile): Float64Array {
  const scores = results.get(file.name);
  if (!scores) throw new Error(`no detector scores for ${file.name}`);
  return checkRows(file, scores);
}

/** Returns `scores` when it holds one value per row of `file`, else throws. */
export function checkRows(file: LabelledFile, scores: Float64Array): Float64Array {
  if (scores.length !== file.rows) throw new Error(`${file.name}: ${scores.length} scores for ${file.rows} rows`);
  return scores;
}
