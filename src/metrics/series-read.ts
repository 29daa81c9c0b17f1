// Reading whole series for analysis (forecasting, detection): the matching series of a selector,
// and one series' points as typed arrays.
import type { Sql } from '../store/sql.js';

export interface StoredSeries {
  id: number;
  key: string;
  dimensions: Record<string, string>;
}

/**
 * Series of `orgId` with this key whose dimensions include `dimensions`, in id order, at most
 * `limit`. A series whose dimensions equal the selector's exactly comes first.
 */
export async function findSeries(sql: Sql, orgId: string, key: string, dimensions: Record<string, string>, limit: number): Promise<StoredSeries[]> {
  const r = await sql.query<{ id: string; key: string; dimensions: Record<string, string> }>(
    `SELECT id, key, dimensions FROM series WHERE org_id = $1 AND key = $2 AND dimensions @> $3::jsonb
     ORDER BY (dimensions = $3::jsonb) DESC, id LIMIT $4`,
    [orgId, key, JSON.stringify(dimensions), limit],
  );
  return r.rows.map((x) => ({ id: Number(x.id), key: x.key, dimensions: x.dimensions }));
}

export interface SeriesArrays {
  /** Epoch ms, ascending. */
  timestampsMs: Float64Array;
  values: Float64Array;
}

/**
 * Points of one series of `orgId` with fromMs ≤ t ≤ toMs, oldest first; at most the `maxPoints`
 * most recent of them.
 */
export async function readSeriesPoints(sql: Sql, orgId: string, seriesId: number, fromMs: number, toMs: number, maxPoints: number): Promise<SeriesArrays> {
  const r = await sql.query<{ t: number; value: number }>(
    `SELECT t, value FROM (
       SELECT (extract(epoch FROM p.ts) * 1000)::float8 AS t, p.value
       FROM points p JOIN series s ON s.id = p.series_id
       WHERE s.org_id = $1 AND p.series_id = $2 AND p.ts >= $3 AND p.ts <= $4
       ORDER BY p.ts DESC LIMIT $5
     ) x ORDER BY t`,
    [orgId, seriesId, new Date(fromMs), new Date(toMs), maxPoints],
  );
  const n = r.rows.length;
  const timestampsMs = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    timestampsMs[i] = Number(r.rows[i]!.t);
    values[i] = Number(r.rows[i]!.value);
  }
  return { timestampsMs, values };
}
