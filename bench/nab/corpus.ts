// Reading and writing NAB's files: the data corpus with its windows, a detector's results
// directory, and the reference profiles, thresholds and final scores. The only I/O of this folder.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResultsCsv, parseNabCsv } from './csv.js';
import { finiteNumber, isObject } from './json.js';
import { checkRows, scoresFor, type DetectorScores, type LabelledCorpus, type LabelledFile } from './labelled.js';
import { parseProfiles, type Profile } from './profiles.js';
import { parseNabTimestamp } from './timestamp.js';
import { parseWindowsJson, rowLabels, windowsToRows, type LabelledWindow } from './windows.js';

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Where the NAB v1.1 corpus lives by default: `../shared/datasets/nab` beside the repository. */
export const defaultNabDir = join(repoRoot, '..', 'shared', 'datasets', 'nab');

/** One NAB data file in memory, with its windows mapped to rows. */
export interface NabFile extends LabelledFile {
  /** e.g. `realKnownCause`. */
  readonly category: string;
  /** As written in the CSV (`YYYY-MM-DD HH:MM:SS`). */
  readonly timestamps: readonly string[];
  /** The timestamps as epoch ms, wall time read as UTC. */
  readonly epochMs: Float64Array;
  readonly values: Float64Array;
  readonly windows: readonly LabelledWindow[];
}

/** The NAB corpus: every data file, sorted by name. */
export interface NabCorpus extends LabelledCorpus {
  /** The corpus folder (holding data/ and labels/). */
  readonly dir: string;
  readonly files: readonly NabFile[];
  readonly byName: ReadonlyMap<string, NabFile>;
}

/**
 * Loads `<dir>/data/<category>/<name>.csv` and `<dir>/labels/combined_windows.json`. Throws when a
 * data file has no windows entry or an entry has no data file, or when a window limit matches no row.
 */
export function loadCorpus(dir: string = defaultNabDir): NabCorpus {
  const limits = parseWindowsJson(readJson(join(dir, 'labels', 'combined_windows.json')));
  const files: NabFile[] = [];
  const dataDir = join(dir, 'data');
  for (const category of subfolders(dataDir)) {
    for (const file of readdirSync(join(dataDir, category)).filter((f) => f.endsWith('.csv')).sort()) {
      const name = `${category}/${file}`;
      const fileLimits = limits.get(name);
      if (!fileLimits) throw new Error(`combined_windows.json has no entry for ${name}`);
      const { timestamps, columns } = parseNabCsv(readFileSync(join(dataDir, category, file), 'utf8'), ['value'], name);
      const epochMs = Float64Array.from(timestamps, parseNabTimestamp);
      const windows = windowsToRows(epochMs, fileLimits, name);
      files.push({ name, category, rows: timestamps.length, timestamps, epochMs, values: columns[0]!, windows });
    }
  }
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const name of limits.keys()) if (!byName.has(name)) throw new Error(`combined_windows.json names ${name}, which is not in ${dataDir}`);
  return { dir, files, byName };
}

/** The reference results folder of the corpus (`numenta/`, `windowedGaussian/`, profiles, thresholds, final scores). */
export function referenceResultsDir(dir: string = defaultNabDir): string {
  return join(dir, 'reference-results');
}

/** NAB's path of a detector's results for a data file: `<resultsDir>/<detector>/<category>/<detector>_<file>.csv`. */
export function resultsFilePath(resultsDir: string, detector: string, fileName: string): string {
  return join(resultsDir, detector, dirname(fileName), `${detector}_${basename(fileName)}`);
}

/**
 * Reads a detector's `anomaly_score` column for every file of the corpus from NAB's results layout
 * (any further columns are ignored). Throws when a file is missing, a row's timestamp differs from
 * the data file's, or a score is outside [0, 1] (NAB's detectors refuse those too).
 */
export function loadDetectorResults(resultsDir: string, detector: string, corpus: NabCorpus): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const file of corpus.files) {
    const path = resultsFilePath(resultsDir, detector, file.name);
    const { timestamps, columns } = parseNabCsv(readFileSync(path, 'utf8'), ['anomaly_score'], path);
    const scores = columns[0]!;
    if (timestamps.length !== file.rows) throw new Error(`${path}: ${timestamps.length} rows, the data file has ${file.rows}`);
    for (let i = 0; i < file.rows; i++) {
      if (timestamps[i] !== file.timestamps[i] && parseNabTimestamp(timestamps[i]!) !== file.epochMs[i]) {
        throw new Error(`${path}:${i + 2}: timestamp ${timestamps[i]} is not the data file's ${file.timestamps[i]}`);
      }
      if (!(scores[i]! >= 0 && scores[i]! <= 1)) throw new Error(`${path}:${i + 2}: anomaly_score ${scores[i]} is outside [0, 1]`);
    }
    out.set(file.name, scores);
  }
  return out;
}

/**
 * Writes a detector's scores for one data file as NAB's runner does (columns timestamp, value,
 * anomaly_score, label; path from {@link resultsFilePath}), creating folders. Returns the path.
 */
export function writeDetectorResults(resultsDir: string, detector: string, file: NabFile, scores: Float64Array): string {
  checkRows(file, scores);
  const path = resultsFilePath(resultsDir, detector, file.name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatResultsCsv({ timestamps: file.timestamps, values: file.values, scores, labels: rowLabels(file.rows, file.windows) }));
  return path;
}

/** Writes a detector's scores for every file of the corpus ({@link writeDetectorResults}). */
export function writeAllDetectorResults(resultsDir: string, detector: string, corpus: NabCorpus, results: DetectorScores): void {
  for (const file of corpus.files) writeDetectorResults(resultsDir, detector, file, scoresFor(results, file));
}

/** Reads NAB's profiles.json (see {@link parseProfiles}). */
export function loadProfiles(path: string): Record<string, Profile> {
  return parseProfiles(readJson(path));
}

/** A threshold and the raw score NAB's optimiser reported for it. */
export interface ShippedThreshold {
  readonly threshold: number;
  readonly score: number;
}

/** Reads NAB's thresholds.json: detector → profile → {threshold, score}. */
export function loadThresholds(path: string): Record<string, Record<string, ShippedThreshold>> {
  return mapNested(readJson(path), path, (v, where) => {
    if (!isObject(v)) throw new Error(`${where}: expected {threshold, score}`);
    return { threshold: finiteNumber(v['threshold'], `${where}.threshold`), score: finiteNumber(v['score'], `${where}.score`) };
  });
}

/** Reads NAB's final_results.json: detector → profile → normalised score (0–100). */
export function loadFinalResults(path: string): Record<string, Record<string, number>> {
  return mapNested(readJson(path), path, finiteNumber);
}

function mapNested<T>(json: unknown, path: string, leaf: (v: unknown, where: string) => T): Record<string, Record<string, T>> {
  if (!isObject(json)) throw new Error(`${path}: expected an object keyed by detector`);
  const out: Record<string, Record<string, T>> = {};
  for (const [detector, byProfile] of Object.entries(json)) {
    if (!isObject(byProfile)) throw new Error(`${path}: ${detector} must be an object keyed by profile`);
    const inner: Record<string, T> = {};
    for (const [profile, v] of Object.entries(byProfile)) inner[profile] = leaf(v, `${path}: ${detector}.${profile}`);
    out[detector] = inner;
  }
  return out;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}
