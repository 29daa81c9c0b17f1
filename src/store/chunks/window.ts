// Chunk windows and rollup buckets (issue 18): where a point's chunk and rollup rows are. Pure.
//
// Every series has one window width, chosen at its first compaction from its point spacing and kept:
// 2 h when it has at least `DENSE_POINTS_PER_2H` points in two hours (a 30 s scrape or faster),
// else a day. Windows are aligned to the Unix epoch, so both widths nest in UTC days: every chunk lies
// inside one day and one day partition. A chunk's fixed cost (row header, key, index entry: about
// 100 bytes) is then at most 0.4 bytes a point for series of 5-minute resolution or finer.

export const TWO_HOURS_S = 7200;
export const DAY_S = 86_400;
export type ChunkSeconds = typeof TWO_HOURS_S | typeof DAY_S;

export const DAY_MS = 86_400_000;
/** A series with at least this many points in two hours gets 2 h windows (else day windows). */
export const DENSE_POINTS_PER_2H = 240;

/** Start (epoch ms) of the window of `chunkSeconds` holding `tsMs`. */
export function windowStartMs(tsMs: number, chunkSeconds: ChunkSeconds): number {
  const w = chunkSeconds * 1000;
  return Math.floor(tsMs / w) * w;
}

/** Start (epoch ms) of the UTC day holding `tsMs`. */
export function dayStartMs(tsMs: number): number {
  return Math.floor(tsMs / DAY_MS) * DAY_MS;
}

/** Start (epoch ms) of the UTC month holding `tsMs`, and of the next one. */
export function monthBoundsMs(tsMs: number): { startMs: number; endMs: number } {
  const d = new Date(tsMs);
  return { startMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), endMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** The median spacing (ms) of ascending timestamps; Infinity with fewer than two. */
export function medianSpacingMs(timestampsMs: Float64Array): number {
  const n = timestampsMs.length;
  if (n < 2) return Number.POSITIVE_INFINITY;
  const gaps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) gaps[i - 1] = timestampsMs[i]! - timestampsMs[i - 1]!;
  gaps.sort();
  return gaps[(n - 1) >> 1]!;
}

/**
 * The window width for a series whose points so far are `timestampsMs` (ascending): 2 h when its
 * median spacing gives at least {@link DENSE_POINTS_PER_2H} points in two hours, else a day.
 */
export function chooseChunkSeconds(timestampsMs: Float64Array): ChunkSeconds {
  return medianSpacingMs(timestampsMs) * DENSE_POINTS_PER_2H <= TWO_HOURS_S * 1000 ? TWO_HOURS_S : DAY_S;
}

/** Rollup resolutions, finest first. */
export const ROLLUP_RESOLUTIONS_MS = [300_000, 3_600_000] as const;
export type RollupResolutionMs = (typeof ROLLUP_RESOLUTIONS_MS)[number];
/** The table of each resolution. */
export const rollupTable: Record<RollupResolutionMs, 'rollups_5m' | 'rollups_1h'> = { 300_000: 'rollups_5m', 3_600_000: 'rollups_1h' };

/**
 * A day of a series gets rollups of a resolution only when they read fewer rows: at least
 * `MIN_POINTS_PER_BUCKET` points a bucket on average over the buckets that hold points. A 5-minute
 * series gets no 5-minute rollups (they would be the raw points again, five times over).
 */
export const MIN_POINTS_PER_BUCKET = 10;

/**
 * A window is compacted once it ended at least this long ago: points newer than now − grace can never
 * meet a chunk, so the write path skips the chunk check for them.
 */
export const COMPACTION_GRACE_MS = 10 * 60_000;
