// The embedded store's stand-in for autovacuum. PGlite runs no autovacuum, so without this the hot
// table's default partition `points_default` (the rows no two-hour partition takes, compacted by
// DELETE; the two-hour partitions are emptied by TRUNCATE and need none) would never reuse the space
// of the rows compaction moves into chunks (it would grow by every point ever written) nor get planner
// statistics. Like PostgreSQL's autovacuum (migration 0014 sets it to 2% inserted and 5% dead), the
// compaction job vacuums `points_default` on PGlite after each run once its dead rows exceed 2% of
// the table, or the pages not yet marked all-visible exceed 2%
// (insert-only growth; measured before issue 18: 0.45 s for the first 2 M points, 0.2 s for 6% more).
// PGlite has one connection, so the run blocks other statements for that long.
// The tables compaction rewrites (chunks, rollups) get autovacuum's own rule (vacuumCompactedIfNeeded).
import { COMPACTED_VACUUM } from '../metrics/points/partitions.js';
import type { Sql } from '../store/sql.js';

/** Share of the table's pages not all-visible, or of its rows dead, before a vacuum. */
export const VACUUM_SHARE = 0.02;
/** Below this many such pages (1 MiB) a vacuum is not worth a pause. */
export const VACUUM_MIN_PAGES = 128;
/** Below this many dead rows (about 128 pages of hot rows) neither. */
export const VACUUM_MIN_DEAD_ROWS = 20_000;

export interface VacuumResult {
  vacuumed: boolean;
  /** Pages of `points_default` before the run, how many of them the visibility map covered, and its dead rows. */
  pages: number;
  allVisible: number;
  deadRows: number;
  ms: number;
}

/** Vacuums and analyses `points_default` when enough of it is dead or not yet all-visible; `now` gives the duration. */
export async function vacuumPointsIfNeeded(sql: Sql, now: () => number = () => performance.now()): Promise<VacuumResult> {
  const t0 = now();
  // Table statistics reach the shared counters lazily (at most once a second): flush this session's first.
  await sql.query('SELECT pg_stat_force_next_flush()');
  const r = await sql.query<{ pages: string; all_visible: number; dead: number | null; live: number | null }>(
    `SELECT pg_relation_size(c.oid) / current_setting('block_size')::int AS pages, c.relallvisible AS all_visible, s.n_dead_tup AS dead, s.n_live_tup AS live
       FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'points_default'::regclass`,
  );
  const row = r.rows[0];
  const pages = Number(row?.pages ?? 0);
  const allVisible = Math.min(pages, Number(row?.all_visible ?? 0));
  const deadRows = Number(row?.dead ?? 0);
  const liveRows = Number(row?.live ?? 0);
  const pending = pages - allVisible;
  const unvisited = pending >= VACUUM_MIN_PAGES && pending >= VACUUM_SHARE * pages;
  const dead = deadRows >= VACUUM_MIN_DEAD_ROWS && deadRows >= VACUUM_SHARE * (deadRows + liveRows);
  if (!unvisited && !dead) return { vacuumed: false, pages, allVisible, deadRows, ms: now() - t0 };
  await sql.exec('VACUUM (ANALYZE) points_default');
  await sql.exec('ANALYZE series');
  return { vacuumed: true, pages, allVisible, deadRows, ms: now() - t0 };
}


export interface CompactedVacuumResult {
  /** The partitions vacuumed (of chunks, rollups_5m, rollups_1h). */
  vacuumed: string[];
  ms: number;
}

/**
 * The same stand-in for the tables compaction rewrites: a dense series' 5-minute day row is rewritten as
 * each of its windows closes, a 1-hour month row and a packed chunk row as each day closes, and a late
 * point rewrites its chunk. Each rewrite leaves the old version (and its TOAST chunks) dead; without a
 * vacuum the embedded store kept every one (50 series of 5-minute gauges over 30 days, compacted daily:
 * 12.7 bytes a point instead of 2.7, growing with every day). After each compaction run, every leaf
 * partition of chunks, rollups_5m and rollups_1h past the rule PostgreSQL's autovacuum applies to them
 * (COMPACTED_VACUUM, set on each partition) is vacuumed.
 */
export async function vacuumCompactedIfNeeded(sql: Sql, now: () => number = () => performance.now()): Promise<CompactedVacuumResult> {
  const t0 = now();
  await sql.query('SELECT pg_stat_force_next_flush()');
  const due = await sql.query<{ name: string }>(
    `SELECT p.relid::regclass::text AS name
       FROM unnest($1::text[]) AS t(name), pg_partition_tree(t.name::regclass) p
       JOIN pg_stat_user_tables s ON s.relid = p.relid
      WHERE p.isleaf AND s.n_dead_tup > $2::float8 + $3::float8 * s.n_live_tup
      ORDER BY 1`,
    [['chunks', 'rollups_5m', 'rollups_1h'], COMPACTED_VACUUM.threshold, COMPACTED_VACUUM.scaleFactor],
  );
  const vacuumed: string[] = [];
  for (const { name } of due.rows) {
    await sql.exec(`VACUUM ${name}`);
    vacuumed.push(name);
  }
  return { vacuumed, ms: now() - t0 };
}
