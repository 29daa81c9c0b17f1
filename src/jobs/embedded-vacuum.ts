// The embedded store's stand-in for autovacuum. PGlite runs no autovacuum, so without this the hot
// table's default partition `points_default` (the rows no two-hour partition takes, compacted by
// DELETE; the two-hour partitions are emptied by TRUNCATE and need none) would never reuse the space
// of the rows compaction moves into chunks (it would grow by every point ever written) nor get planner
// statistics. Like PostgreSQL's autovacuum (migration 0014 sets it to 2% inserted and 5% dead), the
// compaction job vacuums `points_default` on PGlite after each run once its dead rows exceed 2% of
// the table, or the pages not yet marked all-visible exceed 2%
// (insert-only growth; measured before issue 18: 0.45 s for the first 2 M points, 0.2 s for 6% more).
// PGlite has one connection, so the run blocks other statements for that long.
// Every other table gets autovacuum's own rule (vacuumDueTables), with the storage parameters PostgreSQL's
// autovacuum reads: the chunk and rollup partitions' tighter rule (partitions.ts COMPACTED_VACUUM) included.
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

/** PostgreSQL's autovacuum defaults, used where a table's storage parameters set none. */
export const AUTOVACUUM_DEFAULTS = {
  vacuumThreshold: 50,
  vacuumScaleFactor: 0.2,
  insertThreshold: 1000,
  insertScaleFactor: 0.2,
  analyzeThreshold: 50,
  analyzeScaleFactor: 0.1,
} as const;

export interface DueTablesResult {
  /** Tables vacuumed (with ANALYZE when that was due too). */
  vacuumed: string[];
  /** Tables only analysed. */
  analyzed: string[];
  ms: number;
}

/**
 * PostgreSQL's autovacuum rule, run by the compaction job on PGlite (which has no autovacuum) over every
 * table but `points_default` (vacuumPointsIfNeeded) and the hot slots (emptied by TRUNCATE): a table is
 * vacuumed once its dead rows exceed threshold + scale factor × its rows, or the rows inserted since its
 * last vacuum exceed the insert rule (so the visibility map covers them), and analysed once the rows
 * changed since its last ANALYZE exceed the analyse rule; each table's own storage parameters
 * (autovacuum_enabled, autovacuum_vacuum_threshold, …) first, as autovacuum reads them, else its
 * defaults. Without it nothing but `points_default` was ever vacuumed on the embedded store: the rows
 * compaction rewrites whole (5-minute day rows as windows close, 1-hour month rows and packed chunk rows
 * as days close: 50 series of 5-minute gauges over 30 days, compacted daily, took 12.7 bytes a point
 * instead of 2.7) and the job queue's, alerts' and sessions' updated and deleted rows stayed for ever.
 */
export async function vacuumDueTables(sql: Sql, now: () => number = () => performance.now()): Promise<DueTablesResult> {
  const t0 = now();
  await sql.query('SELECT pg_stat_force_next_flush()');
  const d = AUTOVACUUM_DEFAULTS;
  const due = await sql.query<{ name: string; vacuum: boolean; analyze: boolean }>(
    `WITH t AS (
       SELECT c.oid::regclass::text AS name, greatest(c.reltuples, 0) AS tuples, s.n_dead_tup AS dead,
              s.n_ins_since_vacuum AS inserted, s.n_mod_since_analyze AS changed,
              (SELECT coalesce(jsonb_object_agg(o.option_name, o.option_value), '{}') FROM pg_options_to_table(c.reloptions) o) AS opt
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE c.relkind = 'r' AND c.oid <> 'points_default'::regclass)
     SELECT name,
            dead > coalesce((opt->>'autovacuum_vacuum_threshold')::float8, $1) + coalesce((opt->>'autovacuum_vacuum_scale_factor')::float8, $2) * tuples
              OR inserted > coalesce((opt->>'autovacuum_vacuum_insert_threshold')::float8, $3) + coalesce((opt->>'autovacuum_vacuum_insert_scale_factor')::float8, $4) * tuples AS vacuum,
            changed > coalesce((opt->>'autovacuum_analyze_threshold')::float8, $5) + coalesce((opt->>'autovacuum_analyze_scale_factor')::float8, $6) * tuples AS analyze
       FROM t
      WHERE coalesce((opt->>'autovacuum_enabled')::boolean, true)
      ORDER BY name`,
    [d.vacuumThreshold, d.vacuumScaleFactor, d.insertThreshold, d.insertScaleFactor, d.analyzeThreshold, d.analyzeScaleFactor],
  );
  const out: DueTablesResult = { vacuumed: [], analyzed: [], ms: 0 };
  for (const t of due.rows) {
    if (t.vacuum) {
      await sql.exec(`VACUUM ${t.analyze ? '(ANALYZE) ' : ''}${t.name}`);
      out.vacuumed.push(t.name);
    } else if (t.analyze) {
      await sql.exec(`ANALYZE ${t.name}`);
      out.analyzed.push(t.name);
    }
  }
  out.ms = now() - t0;
  return out;
}
