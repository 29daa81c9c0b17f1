// A series' settings: what its owner knows about it that the data cannot say. Today its known value
// bounds, which anomaly detection uses when a request names none.
import type { Labels } from '../core/labels.js';
import type { Sql } from '../store/sql.js';

/** A series' known value range (the anomaly domain's ValueBounds has the same shape). */
export interface ValueBounds {
  min: number;
  max: number;
}

/** One series' settings, named by its key and exact dimensions. */
export interface SeriesSettings {
  seriesId: number;
  key: string;
  dimensions: Labels;
  /** null when unknown. */
  bounds: ValueBounds | null;
}

interface SettingsRow {
  id: string;
  key: string;
  dimensions: Labels;
  value_min: number | null;
  value_max: number | null;
}

/** A row's bounds: both columns set (the table's check keeps them paired), or null. */
export function boundsOf(row: { value_min: number | null; value_max: number | null }): ValueBounds | null {
  return row.value_min === null || row.value_max === null ? null : { min: Number(row.value_min), max: Number(row.value_max) };
}

const toSettings = (r: SettingsRow): SeriesSettings => ({ seriesId: Number(r.id), key: r.key, dimensions: r.dimensions, bounds: boundsOf(r) });

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

/** The settings of the series of `orgId` with exactly this key and these dimensions, or null when there is none. */
export async function getSeriesSettings(sql: Sql, orgId: string, key: string, dimensions: Labels): Promise<SeriesSettings | null> {
  const r = await sql.query<SettingsRow>('SELECT id, key, dimensions, value_min, value_max FROM series WHERE org_id = $1 AND key = $2 AND dimensions = $3::jsonb', [
    orgId,
    key,
    JSON.stringify(dimensions),
  ]);
  return r.rows[0] ? toSettings(r.rows[0]) : null;
}

/**
 * Sets (or, with null, clears) the known bounds of the series of `orgId` with exactly this key and
 * these dimensions; null when there is no such series. `bounds` must be finite with min < max (the
 * table's check refuses anything else).
 */
export async function setSeriesBounds(sql: Sql, orgId: string, key: string, dimensions: Labels, bounds: ValueBounds | null): Promise<SeriesSettings | null> {
  const r = await sql.query<SettingsRow>(
    `UPDATE series SET value_min = $4, value_max = $5 WHERE org_id = $1 AND key = $2 AND dimensions = $3::jsonb
     RETURNING id, key, dimensions, value_min, value_max`,
    [orgId, key, JSON.stringify(dimensions), bounds?.min ?? null, bounds?.max ?? null],
  );
  return r.rows[0] ? toSettings(r.rows[0]) : null;
}
