import type { Sql } from '../store/sql.js';
import type { Labels } from '../core/labels.js';
import { boundsOf, type ValueBounds } from './series-settings.js';
import { readBuckets } from './points/buckets.js';
import { readPoints, seriesExtents } from './points/read.js';

export const steps = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type Step = keyof typeof steps;
export const aggregations = ['avg', 'min', 'max', 'sum', 'count', 'last'] as const;
export type Aggregation = (typeof aggregations)[number];

/** Why a bucket's value is null: its sum lies beyond the range of a double. */
export const sumOverflow = 'the sum exceeds the range of a double (about ±1.8e308)';

/** Where a page ends: the last (series, time or bucket start) returned. */
export interface PointCursor {
  seriesId: number;
  /** Epoch ms of the last point (raw) or bucket (stepped) returned. */
  tsMs: number;
}

export interface RangeQuery {
  key: string;
  /** Every series whose dimensions include these pairs. */
  dimensions: Labels;
  /** Inclusive bounds, epoch ms. */
  fromMs: number;
  toMs: number;
  /** Points (or buckets) per page. */
  limit: number;
  after?: PointCursor;
  step?: Step;
  aggregation: Aggregation;
}

export interface SeriesPoints {
  seriesId: number;
  key: string;
  dimensions: Labels;
  /** value is null only for a `sum` beyond the double range (reason says so). */
  points: { tsMs: number; value: number | null; reason?: string }[];
}

/** A matching series: id and dimensions, from the catalogue. */
interface SeriesRow {
  id: number | string;
  dimensions: Labels;
}

const matchingSeries = `SELECT id, dimensions FROM series WHERE org_id = $1 AND key = $2 AND dimensions @> $3::jsonb AND id >= $4 ORDER BY id LIMIT $5`;
/** Series ids listed per catalogue read. */
const LIST_BATCH = 500;
/** Most series read at once (the batch grows from 1 while series hold fewer points than the page needs). */
const MAX_READ_BATCH = 512;

/**
 * One page of points of the matching series of `orgId`, ordered by series then time. Keyset
 * pagination on (series, time): points arriving during paging never shift or repeat a page. With
 * `step`, points are bucketed from the epoch and aggregated (readBuckets: from rollups where they
 * cover whole buckets); a bucket is never split across pages. Series are read in id order, a few at a
 * time, each at most as many points (raw) as the page still needs.
 */
export async function queryRange(sql: Sql, orgId: string, q: RangeQuery): Promise<{ series: SeriesPoints[]; next: PointCursor | null }> {
  const stepMs = q.step ? steps[q.step] : undefined;
  const want = q.limit + 1; // one more than the page: whether a next page exists
  const series: SeriesPoints[] = [];
  let got = 0;
  let seriesRead = 0;

  // The catalogue, in id order, from the cursor's series on (it may have more points after the cursor).
  let listed: SeriesRow[] = [];
  let listFrom = q.after?.seriesId ?? 0;
  let listDone = false;
  const nextSeries = async (n: number): Promise<SeriesRow[]> => {
    while (listed.length < n && !listDone) {
      const rows = (await sql.query<SeriesRow>(matchingSeries, [orgId, q.key, JSON.stringify(q.dimensions), listFrom, LIST_BATCH])).rows;
      if (rows.length < LIST_BATCH) listDone = true;
      if (rows.length) listFrom = Number(rows[rows.length - 1]!.id) + 1;
      listed.push(...rows);
    }
    const batch = listed.slice(0, n);
    listed = listed.slice(n);
    return batch;
  };

  /** Reads `ids` over `range` (the cursor's series alone: its range starts after the cursor). */
  const read = async (ids: number[], fromMs: number, afterMs?: number): Promise<Map<number, { t: ArrayLike<number>; v: ArrayLike<number>; overflow?: Uint8Array }>> => {
    const out = new Map<number, { t: ArrayLike<number>; v: ArrayLike<number>; overflow?: Uint8Array }>();
    if (stepMs === undefined) {
      const pts = await readPoints(sql, orgId, ids, { fromMs, toMs: q.toMs, ...(afterMs !== undefined ? { afterMs } : {}) }, { limit: want - got });
      for (const [id, p] of pts) out.set(id, { t: p.timestampsMs, v: p.values });
    } else {
      if (!(fromMs <= q.toMs)) return out;
      const b = await readBuckets(sql, orgId, ids, { fromMs, toMs: q.toMs, stepMs, aggregation: q.aggregation });
      for (const [id, x] of b) out.set(id, { t: x.startsMs, v: x.values, overflow: x.overflow });
    }
    return out;
  };

  const take = (row: SeriesRow, data: { t: ArrayLike<number>; v: ArrayLike<number>; overflow?: Uint8Array } | undefined) => {
    seriesRead++;
    if (!data || !data.t.length || got >= want) return;
    const s: SeriesPoints = { seriesId: Number(row.id), key: q.key, dimensions: row.dimensions, points: [] };
    for (let i = 0; i < data.t.length && got < want; i++, got++) {
      s.points.push(data.overflow?.[i] ? { tsMs: data.t[i]!, value: null, reason: sumOverflow } : { tsMs: data.t[i]!, value: data.v[i]! });
    }
    series.push(s);
  };

  let batchSize = 1;
  if (q.after) {
    const [first] = await nextSeries(1);
    if (first) {
      const id = Number(first.id);
      if (id !== q.after.seriesId) listed.unshift(first);
      else {
        // Raw: the points after the cursor; stepped: from the bucket after the cursor's.
        const data = stepMs === undefined ? await read([id], q.fromMs, q.after.tsMs) : await read([id], Math.max(q.fromMs, q.after.tsMs + stepMs));
        take(first, data.get(id));
      }
    }
  }
  while (got < want) {
    const batch = await nextSeries(batchSize);
    if (!batch.length) break;
    const data = await read(
      batch.map((r) => Number(r.id)),
      q.fromMs,
    );
    for (const row of batch) take(row, data.get(Number(row.id)));
    // Size the next batch to the points a series held so far (doubling at most).
    const perSeries = got / Math.max(1, seriesRead);
    batchSize = Math.min(MAX_READ_BATCH, 2 * batchSize, Math.max(1, Math.ceil((want - got) / Math.max(perSeries, 1))));
  }

  // The extra item, when it came, belongs to the next page.
  let next: PointCursor | null = null;
  if (got > q.limit) {
    const lastSeries = series[series.length - 1]!;
    lastSeries.points.pop();
    if (!lastSeries.points.length) series.pop();
    const tail = series[series.length - 1]!;
    next = { seriesId: tail.seriesId, tsMs: tail.points[tail.points.length - 1]!.tsMs };
  }
  return { series, next };
}

export interface CatalogEntry {
  seriesId: number;
  key: string;
  dimensions: Labels;
  firstMs: number | null;
  lastMs: number | null;
  pointCount: number;
  /** The series' known value bounds (a series setting), null when unknown. */
  bounds: ValueBounds | null;
}

export interface CatalogQuery {
  keyPrefix?: string;
  dimensions: Labels;
  limit: number;
  /** Continue after this (key, series id). */
  after?: { key: string; seriesId: number };
}

/** The series of `orgId` ordered by key, with their first and last timestamps and point counts. */
export async function listSeries(sql: Sql, orgId: string, q: CatalogQuery): Promise<{ items: CatalogEntry[]; more: boolean }> {
  const r = await sql.query<{ id: number; key: string; dimensions: Labels; value_min: number | null; value_max: number | null }>(
    `SELECT s.id, s.key, s.dimensions, s.value_min, s.value_max
     FROM series s
     WHERE s.org_id = $1
       AND ($2::text IS NULL OR starts_with(s.key, $2))
       AND s.dimensions @> $3::jsonb
       AND ($4::text IS NULL OR (s.key, s.id) > ($4, $5::bigint))
     ORDER BY s.key, s.id
     LIMIT $6`,
    [orgId, q.keyPrefix ?? null, JSON.stringify(q.dimensions), q.after?.key ?? null, q.after?.seriesId ?? 0, q.limit + 1],
  );
  const rows = r.rows.slice(0, q.limit);
  // First, last and count over hot rows and chunks (chunk metadata only).
  const extents = await seriesExtents(
    sql,
    orgId,
    rows.map((x) => Number(x.id)),
  );
  const items = rows.map((x) => {
    const e = extents.get(Number(x.id));
    return {
      seriesId: Number(x.id),
      key: x.key,
      dimensions: x.dimensions,
      firstMs: e?.firstMs ?? null,
      lastMs: e?.lastMs ?? null,
      pointCount: e?.count ?? 0,
      bounds: boundsOf(x),
    };
  });
  return { items, more: r.rows.length > q.limit };
}
