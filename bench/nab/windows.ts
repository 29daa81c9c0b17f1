// Anomaly windows: NAB labels them by timestamps; the scorer works on row indices.
import { isObject } from './json.js';
import { parseNabTimestamp } from './timestamp.js';

/** An anomaly window as inclusive row indices of its data file (`start <= end`). */
export interface RowWindow {
  readonly start: number;
  readonly end: number;
}

/** A window with the label timestamps it came from (as written in combined_windows.json). */
export interface LabelledWindow extends RowWindow {
  readonly startTime: string;
  readonly endTime: string;
}

/** A window's limits as combined_windows.json writes them: `[start, end]`, both inclusive. */
export type WindowLimits = readonly [string, string];

/**
 * Reads the parsed content of combined_windows.json: `{"<category>/<file>.csv": [[start, end], ...]}`.
 * Throws when the shape is wrong.
 */
export function parseWindowsJson(json: unknown): Map<string, WindowLimits[]> {
  if (!isObject(json)) throw new Error('combined_windows.json: expected an object keyed by data file');
  const out = new Map<string, WindowLimits[]>();
  for (const [name, list] of Object.entries(json)) {
    if (!Array.isArray(list)) throw new Error(`combined_windows.json: ${name} must hold a list of windows`);
    out.set(
      name,
      list.map((w: unknown, k) => {
        if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') {
          throw new Error(`combined_windows.json: ${name} window ${k} must be [start, end] timestamps`);
        }
        return [w[0], w[1]] as const;
      }),
    );
  }
  return out;
}

/**
 * Maps windows given by timestamps to row indices of a file whose rows have times `epochMs`
 * (ms, from {@link parseNabTimestamp}). As in NAB, each limit must equal a row's time exactly (the
 * first such row is taken) and windows must be in time order without overlapping; otherwise this
 * throws, naming `source`.
 */
export function windowsToRows(epochMs: Float64Array, limits: readonly WindowLimits[], source: string): LabelledWindow[] {
  const rowOf = new Map<number, number>();
  for (let i = epochMs.length - 1; i >= 0; i--) rowOf.set(epochMs[i]!, i);
  const find = (t: string): number => {
    const row = rowOf.get(parseNabTimestamp(t));
    if (row === undefined) throw new Error(`${source}: window limit ${t} matches no row's timestamp`);
    return row;
  };
  const out: LabelledWindow[] = [];
  for (const [startTime, endTime] of limits) {
    const w = { start: find(startTime), end: find(endTime), startTime, endTime };
    if (w.end < w.start) throw new Error(`${source}: window ${startTime} … ${endTime} ends before it starts`);
    const prev = out[out.length - 1];
    if (prev && w.start <= prev.end) throw new Error(`${source}: window ${startTime} overlaps or precedes the one before`);
    out.push(w);
  }
  return out;
}

/** NAB's `label` column: 1 for a row inside any window, else 0. */
export function rowLabels(rows: number, windows: readonly RowWindow[]): Uint8Array {
  const labels = new Uint8Array(rows);
  for (const w of windows) labels.fill(1, w.start, w.end + 1);
  return labels;
}
