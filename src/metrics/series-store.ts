// The series catalogue and point rows: metrics/ owns the store of series, ingest/ writes through it
// (ingest → metrics, never back), and a series is named by core/labels.ts' seriesIdentity.
import type { Sql } from '../store/sql.js';
import { seriesIdentity, type Labels } from '../core/labels.js';
import type { SeriesCache } from './series-cache.js';

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

export interface PointRows {
  seriesIds: number[];
  /** Epoch milliseconds (whole). */
  timestampsMs: number[];
  values: number[];
}

/**
 * A PostgreSQL array literal of finite numbers. Cheaper to build than the driver's quoted,
 * escaped elements and cheaper for the server to parse than timestamps as text.
 */
function numberArray(xs: number[]): string {
  return `{${xs.join(',')}}`;
}

// Rows of the batch; epoch ms become timestamptz exactly (each product is an integer a double holds).
const batchRows = `
  SELECT $1::uuid, s, timestamptz 'epoch' + (t / 1000) * interval '1 second' + (t % 1000) * interval '1 millisecond', v
  FROM unnest($2::text::bigint[], $3::text::bigint[], $4::text::float8[]) AS u(s, t, v)`;

/**
 * Appends points of `orgId` in one statement. `reject` keeps stored points and skips the new ones;
 * `overwrite` replaces their values. Returns how many were new and how many met a stored point.
 * Callers remove duplicates within the batch first (one row per series and time).
 */
export async function insertPoints(sql: Sql, orgId: string, rows: PointRows, policy: 'reject' | 'overwrite'): Promise<{ inserted: number; duplicates: number }> {
  const n = rows.seriesIds.length;
  if (!n) return { inserted: 0, duplicates: 0 };
  const params = [orgId, numberArray(rows.seriesIds), numberArray(rows.timestampsMs), numberArray(rows.values)];
  if (policy === 'reject') {
    const r = await sql.query(`INSERT INTO points (org_id, series_id, ts, value) ${batchRows} ON CONFLICT (series_id, ts) DO NOTHING`, params);
    return { inserted: r.rowCount, duplicates: n - r.rowCount };
  }
  // xmax = 0 on a freshly inserted row version; non-zero when ON CONFLICT updated an existing row.
  const r = await sql.query<{ updated: number }>(
    `WITH up AS (
       INSERT INTO points (org_id, series_id, ts, value) ${batchRows}
       ON CONFLICT (series_id, ts) DO UPDATE SET value = EXCLUDED.value
       RETURNING (xmax <> 0) AS updated
     ) SELECT count(*) FILTER (WHERE updated)::int AS updated FROM up`,
    params,
  );
  const updated = r.rows[0]?.updated ?? 0;
  return { inserted: n - updated, duplicates: updated };
}
