import type { SeriesCache } from '../metrics/series-cache.js';
import { insertPoints, resolveSeries, type SeriesRef } from '../metrics/series-store.js';
import type { Sql } from '../store/sql.js';
import { seriesIdentity, type MetricPoint } from './validate.js';

export interface PreparedPoints {
  /** One row per (series, time) of the batch, ready for {@link insertPoints}. */
  rows: { seriesIds: number[]; timestamps: string[]; values: number[] };
  /** Points dropped because the batch itself repeated a series and time. */
  batchDuplicates: number;
}

/**
 * Resolves the series of valid points (creating new ones) and removes repeats within the batch:
 * with `reject` the first of a repeated (series, time) wins, with `overwrite` the last.
 */
export async function preparePoints(sql: Sql, orgId: string, points: MetricPoint[], policy: 'reject' | 'overwrite', cache?: SeriesCache): Promise<PreparedPoints> {
  const identities = new Array<string>(points.length);
  const wanted = new Map<string, SeriesRef>();
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const id = seriesIdentity(p.key, p.dimensions);
    identities[i] = id;
    if (!wanted.has(id)) wanted.set(id, { key: p.key, dimensions: p.dimensions });
  }
  const ids = await resolveSeries(sql, orgId, wanted, cache);

  const slot = new Map<string, number>();
  const rows = { seriesIds: [] as number[], timestamps: [] as string[], values: [] as number[] };
  let batchDuplicates = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const sid = ids.get(identities[i]!)!;
    const k = `${sid}:${p.timestampMs}`;
    const at = slot.get(k);
    if (at !== undefined) {
      batchDuplicates++;
      if (policy === 'overwrite') rows.values[at] = p.value;
      continue;
    }
    slot.set(k, rows.seriesIds.length);
    rows.seriesIds.push(sid);
    rows.timestamps.push(new Date(p.timestampMs).toISOString());
    rows.values.push(p.value);
  }
  return { rows, batchDuplicates };
}

/** Stores prepared points; counts stored ones and duplicates (in the batch or of stored points). */
export async function writePrepared(tx: Sql, orgId: string, prepared: PreparedPoints, policy: 'reject' | 'overwrite'): Promise<{ accepted: number; duplicates: number }> {
  const { inserted, duplicates } = await insertPoints(tx, orgId, prepared.rows, policy);
  if (policy === 'reject') return { accepted: inserted, duplicates: duplicates + prepared.batchDuplicates };
  // overwrite: every valid point is stored (the newest value wins); duplicates says how many replaced one.
  return { accepted: inserted + duplicates + prepared.batchDuplicates, duplicates: duplicates + prepared.batchDuplicates };
}
