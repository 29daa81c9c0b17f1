// The series catalogue and point rows: metrics/ owns the store of series, ingest/ writes through it
// (ingest → metrics, never back), and a series is named by core/labels.ts' seriesIdentity.
import type { Sql } from '../store/sql.js';
import { seriesIdentity, type Labels } from '../core/labels.js';
import type { SeriesCache } from './series-cache.js';
import { planWrite, writePoints, type PointRows } from './points/write.js';

export interface SeriesRef {
  key: string;
  dimensions: Labels;
}

interface SeriesRow {
  id: number;
  key: string;
  dimensions: Labels;
}

// Creates the missing series and returns the ids of all requested ones in one statement. Rows made by
// a concurrent transaction after this statement's snapshot are picked up by a second look-up.
const upsertSeries = `
WITH input AS (SELECT key, dimensions FROM jsonb_to_recordset($2::jsonb) AS t(key text, dimensions jsonb)),
ins AS (
  INSERT INTO series (org_id, key, dimensions)
  SELECT $1, key, dimensions FROM input ORDER BY key, dimensions::text
  ON CONFLICT (org_id, key, dimensions) DO NOTHING
  RETURNING id, key, dimensions
)
SELECT id, key, dimensions FROM ins
UNION ALL
SELECT s.id, s.key, s.dimensions FROM series s JOIN input i ON s.key = i.key AND s.dimensions = i.dimensions WHERE s.org_id = $1`;

const selectSeries = `
SELECT s.id, s.key, s.dimensions FROM series s
JOIN jsonb_to_recordset($2::jsonb) AS i(key text, dimensions jsonb) ON s.key = i.key AND s.dimensions = i.dimensions
WHERE s.org_id = $1`;

/**
 * Ids of the given series of `orgId` by identity ({@link seriesIdentity}), creating missing ones.
 * Runs outside the points transaction: a series without points is harmless, and this keeps the
 * write transaction short. Fills `cache` with what it found.
 */
export async function resolveSeries(sql: Sql, orgId: string, wanted: Map<string, SeriesRef>, cache?: SeriesCache): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const missing: SeriesRef[] = [];
  for (const [identity, ref] of wanted) {
    const id = cache?.get(orgId, identity);
    if (id !== undefined) ids.set(identity, id);
    else missing.push(ref);
  }
  if (!missing.length) return ids;

  const collect = (rows: SeriesRow[]) => {
    for (const r of rows) {
      const identity = seriesIdentity(r.key, r.dimensions);
      ids.set(identity, Number(r.id));
      cache?.set(orgId, identity, Number(r.id));
    }
  };
  collect((await sql.query<SeriesRow>(upsertSeries, [orgId, JSON.stringify(missing)])).rows);
  const still = missing.filter((m) => !ids.has(seriesIdentity(m.key, m.dimensions)));
  if (still.length) collect((await sql.query<SeriesRow>(selectSeries, [orgId, JSON.stringify(still)])).rows);
  const lost = missing.filter((m) => !ids.has(seriesIdentity(m.key, m.dimensions)));
  if (lost.length) throw new Error(`could not resolve ${lost.length} series of org ${orgId}`);
  return ids;
}

export type { PointRows } from './points/write.js';

/**
 * Stores points of `orgId` exactly once (the series ids are the organisation's, from
 * {@link resolveSeries}; the ids imply the organisation, no row repeats it): `reject` keeps stored points and skips the new ones, `overwrite` replaces
 * their values, in hot rows and in compacted chunks alike (src/metrics/points/write.ts). Returns how
 * many were new and how many met a stored point. Callers remove duplicates within the batch first (one
 * row per series and time). Runs alone or inside the caller's transaction; every point takes the
 * checked path here (the ingest pipeline plans with the process' last-timestamp memory instead).
 */
export async function insertPoints(sql: Sql, orgId: string, rows: PointRows, policy: 'reject' | 'overwrite', nowMs: number): Promise<{ inserted: number; duplicates: number }> {
  const plan = await planWrite(sql, rows, nowMs);
  return writePoints(sql, plan, policy, { alone: true });
}
