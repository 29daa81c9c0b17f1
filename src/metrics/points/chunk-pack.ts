// Packing sparse series' chunk rows (issue 18): by compaction, for a series compacted the first time
// (a backfill), and for a live series each day as it closes (folded into the row before it), and when
// small closed partitions are merged (partition-merge.ts).
//
// A series with day-wide windows (5-minute data or sparser) pays a chunk row a day: its tuple header,
// key columns, bounds and primary-key entry, ~100 bytes, on a day of 288 points or, for hourly data, 24.
// The NAB corpus spent 0.6 bytes a point on that. So such a series' days of one calendar month (and one
// partition) are written as rows covering several days [window_start, window_end) (`window_end` is NULL
// on every other row), runs of rows up to PACK_BYTES of encoded data. Measured on NAB's chunks (58
// series, merged months): 2,294 rows of 2.35 bytes a point with their partitions' fixed costs → 365 rows
// of 2.35 in insertion order at 2.6 kB runs, 2.26 written largest first, 2.24 at 3.9 kB runs written
// largest first (two rows fill a page; runs past ~8 kB go to TOAST). A packed row holds what its days'
// rows held, bit for bit; the readers (read.ts), the write path's duplicate check (write.ts) and
// compaction (compact.ts) find a day inside one through the partial index on (series_id, window_end), and
// retention deletes one once its end has expired. One month at most keeps the readers' look-back short
// (a packed row holding a time starts at most 31 days before it).
//
// Not all at once in place: a partition's rows rewritten where they lie leave their old versions' space
// behind (measured on NAB in one partition: the heap grew from 0.8 to 1.4 MB), while a first compaction
// and a merge write new rows anyway. A live series' closed day is different: compaction writes that day
// anyway, so it rewrites the row before it with the day appended (one row of up to PACK_BYTES a series
// and day; VACUUM makes the old version's space reusable for the next day's). Measured on series of
// 5-minute gauges compacted day by day, VACUUM after each day: 100 series × 60 days, chunks 1.79 → 1.67
// bytes a point (6,000 day rows → 700; encoded points 1.26, the rest mostly free space the rewrites
// leave), store total 3.02 → 2.91; 50 series × 150 days, chunks 1.78 → 1.54, total 2.88 → 2.64.
// A day starts a row of its own when the row before is full or in another month or partition, or when
// no compaction takes it once closed (all of its points came in hot slots compacted while it was open);
// the next day then folds into it.
import { decodeChunk, encodeChunk } from '../../store/chunks/codec.js';
import { DAY_MS, monthBoundsMs } from '../../store/chunks/window.js';
import { concatInOrder } from './arrays.js';

/** Encoded bytes of the rows packed into one at most (two such rows fill a page). */
export const PACK_BYTES = 3900;

/** A chunk row as the packing sees it: its series, its window and its data's length. */
export interface PackCandidate {
  seriesId: number;
  startMs: number;
  endMs: number;
  bytes: number;
}

/** A chunk row of a day-wide series, with its bounds, count and data. */
export interface SparseRow extends PackCandidate {
  firstMs: number;
  lastMs: number;
  n: number;
  data: Uint8Array;
}

/** A chunk row to write: `endMs` null for a row of one window (the series' width). */
export interface ChunkRowOut {
  seriesId: number;
  startMs: number;
  endMs: number | null;
  firstMs: number;
  lastMs: number;
  n: number;
  data: Uint8Array;
}

/**
 * The runs to pack among `rows` (sorted by series, then window start; non-overlapping): consecutive
 * rows of one series in one calendar month whose data together stays within `maxBytes`, two or more;
 * `apart(a, b)`, when given, keeps b out of a's run (rows of two partitions).
 */
export function packRuns<T extends PackCandidate>(rows: readonly T[], maxBytes: number, apart?: (a: T, b: T) => boolean): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  const close = () => {
    if (run.length >= 2) runs.push(run);
    run = [];
    bytes = 0;
  };
  for (const r of rows) {
    const last = run[run.length - 1];
    const fits =
      last !== undefined && last.seriesId === r.seriesId && monthBoundsMs(last.startMs).startMs === monthBoundsMs(r.startMs).startMs && bytes + r.bytes <= maxBytes && !apart?.(last, r);
    if (!fits) close();
    run.push(r);
    bytes += r.bytes;
  }
  close();
  return runs;
}

/**
 * The rows of day-wide series `rows` (sorted by series, then start; all closed) as they are written
 * packed: each run (packRuns) one row over its days, the others as they were (a packed row stays packed).
 * Pure: decodes and encodes, no I/O.
 */
export function packSparseRows(rows: readonly SparseRow[], maxBytes = PACK_BYTES): ChunkRowOut[] {
  const runs = packRuns(rows, maxBytes);
  const inRun = new Set(runs.flat());
  const out: ChunkRowOut[] = [];
  for (const r of rows) {
    if (inRun.has(r)) continue;
    // A day keeps its NULL end; a row packed before keeps its end.
    out.push({ seriesId: r.seriesId, startMs: r.startMs, endMs: r.endMs - r.startMs > DAY_MS ? r.endMs : null, firstMs: r.firstMs, lastMs: r.lastMs, n: r.n, data: r.data });
  }
  for (const run of runs) {
    const { timestampsMs: t, values: v } = concatInOrder(run.map((r) => decodeChunk(r.data)));
    const n = t.length;
    out.push({ seriesId: run[0]!.seriesId, startMs: run[0]!.startMs, endMs: run[run.length - 1]!.endMs, firstMs: t[0]!, lastMs: t[n - 1]!, n, data: encodeChunk(t, v) });
  }
  return out.sort((a, b) => a.seriesId - b.seriesId || a.startMs - b.startMs);
}
