// A series' settings: what its owner knows about it that the data cannot say. Today its known value
// bounds, which anomaly detection uses when a request names none.
import type { Sql } from '../store/sql.js';

/** A series' known value range (the anomaly domain's ValueBounds has the same shape). */
export interface ValueBounds {
  min: number;
  max: number;
}

/** The known bounds of each of `seriesIds` (of `orgId`) that has them; series without bounds are absent. */
export async function readSeriesBounds(sql: Sql, orgId: string, seriesIds: readonly number[]): Promise<Map<number, ValueBounds>> {
  const out = new Map<number, ValueBounds>();
  if (!seriesIds.length) return out;
  const r = await sql.query<{ id: string; value_min: number; value_max: number }>(
    'SELECT id, value_min, value_max FROM series WHERE org_id = $1 AND id = ANY($2::bigint[]) AND value_min IS NOT NULL',
    [orgId, seriesIds],
  );
  for (const row of r.rows) out.set(Number(row.id), { min: row.value_min, max: row.value_max });
  return out;
}
