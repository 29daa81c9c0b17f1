import type { SeriesCache } from '../metrics/series-cache.js';
import { insertPoints, resolveSeries, type PointRows, type SeriesRef } from '../metrics/series-store.js';
import type { Sql } from '../store/sql.js';
import { seriesIdentity } from '../core/labels.js';
import type { MetricPoint } from './validate.js';

export interface PreparedPoints {
  /** One row per (series, time) of the batch, ready for {@link insertPoints}. */
  rows: PointRows;
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

  const rows: PointRows = { seriesIds: [], timestampsMs: [], values: [] };
  // The row of each (series, time): looked up by series id (a number) first; only a series that
  // comes back within the batch needs (series, time) keys.
  const firstRow = new Map<number, number>();
  let repeated: Map<string, number> | undefined;
  let batchDuplicates = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const sid = ids.get(identities[i]!)!;
    const first = firstRow.get(sid);
    if (first === undefined) {
      firstRow.set(sid, rows.seriesIds.length);
    } else {
      repeated ??= new Map();
      const firstKey = `${sid}:${rows.timestampsMs[first]}`;
      if (!repeated.has(firstKey)) repeated.set(firstKey, first);
      const k = `${sid}:${p.timestampMs}`;
      const at = repeated.get(k);
      if (at !== undefined) {
        batchDuplicates++;
        if (policy === 'overwrite') rows.values[at] = p.value;
        continue;
      }
      repeated.set(k, rows.seriesIds.length);
    }
    rows.seriesIds.push(sid);
    rows.timestampsMs.push(p.timestampMs);
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
