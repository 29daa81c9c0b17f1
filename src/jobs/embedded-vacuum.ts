// The embedded store's stand-in for autovacuum. PGlite runs no autovacuum, so without this its points
// table never gets a visibility map (no index-only scans: every point read visits a heap page) nor
// planner statistics. Like PostgreSQL's insert-driven autovacuum (migration 0003 sets it to 2%), this
// vacuums `points` once the pages not yet marked all-visible exceed 2% of the table. Insert-only
// growth makes each run cheap: a vacuum visits only the pages the visibility map does not cover
// (measured: 0.45 s for the first 2 M points, 0.2 s for 6% more; one-series reads 12.9 → 5.0 ms).
// PGlite has one connection, so the run blocks other statements for that long.
import type { Sql } from '../store/sql.js';

/** Share of the table's pages that may be not-all-visible before a vacuum. */
export const VACUUM_SHARE = 0.02;
/** Below this many such pages (1 MiB) a vacuum is not worth a pause. */
export const VACUUM_MIN_PAGES = 128;

export interface VacuumResult {
  vacuumed: boolean;
  /** Pages of `points` before the run, and how many of them the visibility map covered. */
  pages: number;
  allVisible: number;
  ms: number;
}

/** Vacuums and analyses `points` when enough of it is not yet all-visible; `now` gives the duration. */
export async function vacuumPointsIfNeeded(sql: Sql, now: () => number = () => performance.now()): Promise<VacuumResult> {
  const t0 = now();
  const r = await sql.query<{ pages: string; all_visible: number }>(
    `SELECT pg_relation_size(c.oid) / current_setting('block_size')::int AS pages, c.relallvisible AS all_visible
       FROM pg_class c WHERE c.oid = 'points'::regclass`,
  );
  const pages = Number(r.rows[0]?.pages ?? 0);
  const allVisible = Math.min(pages, Number(r.rows[0]?.all_visible ?? 0));
  const pending = pages - allVisible;
  if (pending < VACUUM_MIN_PAGES || pending < VACUUM_SHARE * pages) return { vacuumed: false, pages, allVisible, ms: now() - t0 };
  await sql.exec('VACUUM (ANALYZE) points');
  await sql.exec('ANALYZE series');
  return { vacuumed: true, pages, allVisible, ms: now() - t0 };
}
