import type { Sql } from '../store/sql.js';

export const steps = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type Step = keyof typeof steps;
export const aggregations = ['avg', 'min', 'max', 'sum', 'count', 'last'] as const;
export type Aggregation = (typeof aggregations)[number];

const aggregateSql: Record<Aggregation, string> = {
  avg: 'avg(p.value)',
  min: 'min(p.value)',
  max: 'max(p.value)',
  sum: 'sum(p.value)',
  count: 'count(*)::float8',
  last: '(array_agg(p.value ORDER BY p.ts DESC))[1]',
};

/** Where a page ends: the last (series, time or bucket start) returned. */
export interface PointCursor {
  seriesId: number;
  /** Epoch ms of the last point (raw) or bucket (stepped) returned. */
  tsMs: number;
}

export interface RangeQuery {
  key: string;
  /** Every series whose dimensions include these pairs. */
  dimensions: Record<string, string>;
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
  dimensions: Record<string, string>;
  points: { tsMs: number; value: number }[];
}

interface PointRow {
  series_id: string;
  /** Epoch ms as float8: parsing a timestamptz into a Date per row costs more than the query. */
  t: number;
  value: number;
}

/**
 * One page of points of the matching series of `orgId`, ordered by series then time. Keyset
 * pagination on (series, time): points arriving during paging never shift or repeat a page.
 * With `step`, points are bucketed (date_bin from the epoch) and aggregated in the database.
 */
export async function queryRange(sql: Sql, orgId: string, q: RangeQuery): Promise<{ series: SeriesPoints[]; next: PointCursor | null }> {
  const after = q.after ?? { seriesId: 0, tsMs: Number.NEGATIVE_INFINITY };
  const afterTs = Number.isFinite(after.tsMs) ? new Date(after.tsMs) : '-infinity';
  const params: unknown[] = [orgId, q.key, JSON.stringify(q.dimensions), new Date(q.fromMs), new Date(q.toMs), after.seriesId, afterTs, q.limit + 1];
  // Rows carry only (series, time, value); each series' key and dimensions are read once below
  // (per row they cost a third of the query's time, the jsonb parse most).
  let text: string;
  if (!q.step) {
    text = `
      SELECT p.series_id, (extract(epoch FROM p.ts) * 1000)::float8 AS t, p.value
      FROM series s JOIN points p ON p.series_id = s.id
      WHERE s.org_id = $1 AND s.key = $2 AND s.dimensions @> $3::jsonb
        AND p.ts >= $4 AND p.ts <= $5
        AND (p.series_id, p.ts) > ($6::bigint, $7::timestamptz)
      ORDER BY p.series_id, p.ts
      LIMIT $8`;
  } else {
    params.push(`${steps[q.step] / 1000} seconds`);
    // Resume at the bucket after the cursor's: a bucket is never split across pages.
    text = `
      SELECT p.series_id, (extract(epoch FROM date_bin($9::interval, p.ts, timestamptz 'epoch')) * 1000)::float8 AS t, ${aggregateSql[q.aggregation]} AS value
      FROM series s JOIN points p ON p.series_id = s.id
      WHERE s.org_id = $1 AND s.key = $2 AND s.dimensions @> $3::jsonb
        AND p.ts >= $4 AND p.ts <= $5
        AND (p.series_id > $6::bigint OR (p.series_id = $6::bigint AND p.ts >= $7::timestamptz + $9::interval))
      GROUP BY p.series_id, 2
      ORDER BY p.series_id, 2
      LIMIT $8`;
  }
  const r = await sql.query<PointRow>(text, params);
  const rows = r.rows.slice(0, q.limit);
  const series: SeriesPoints[] = [];
  for (const row of rows) {
    const sid = Number(row.series_id);
    let last = series[series.length - 1];
    if (!last || last.seriesId !== sid) {
      last = { seriesId: sid, key: q.key, dimensions: {}, points: [] };
      series.push(last);
    }
    last.points.push({ tsMs: Number(row.t), value: Number(row.value) });
  }
  if (series.length) {
    // Series are never deleted while their points exist, so every id found above is here.
    const meta = await sql.query<{ id: string; dimensions: Record<string, string> }>('SELECT id, dimensions FROM series WHERE org_id = $1 AND id = ANY($2::bigint[])', [
      orgId,
      series.map((s) => s.seriesId),
    ]);
    const dims = new Map(meta.rows.map((m) => [Number(m.id), m.dimensions]));
    for (const s of series) s.dimensions = dims.get(s.seriesId) ?? {};
  }
  const tail = rows[rows.length - 1];
  const next = r.rows.length > q.limit && tail ? { seriesId: Number(tail.series_id), tsMs: Number(tail.t) } : null;
  return { series, next };
}

export interface CatalogEntry {
  seriesId: number;
  key: string;
  dimensions: Record<string, string>;
  firstMs: number | null;
  lastMs: number | null;
  pointCount: number;
}

export interface CatalogQuery {
  keyPrefix?: string;
  dimensions: Record<string, string>;
  limit: number;
  /** Continue after this (key, series id). */
  after?: { key: string; seriesId: number };
}

/** The series of `orgId` ordered by key, with their first and last timestamps and point counts. */
export async function listSeries(sql: Sql, orgId: string, q: CatalogQuery): Promise<{ items: CatalogEntry[]; more: boolean }> {
  const r = await sql.query<{ id: number; key: string; dimensions: Record<string, string>; first_ts: Date | null; last_ts: Date | null; n: number }>(
    `SELECT s.id, s.key, s.dimensions, st.first_ts, st.last_ts, st.n
     FROM series s
     CROSS JOIN LATERAL (SELECT min(p.ts) AS first_ts, max(p.ts) AS last_ts, count(*) AS n FROM points p WHERE p.series_id = s.id) st
     WHERE s.org_id = $1
       AND ($2::text IS NULL OR starts_with(s.key, $2))
       AND s.dimensions @> $3::jsonb
       AND ($4::text IS NULL OR (s.key, s.id) > ($4, $5::bigint))
     ORDER BY s.key, s.id
     LIMIT $6`,
    [orgId, q.keyPrefix ?? null, JSON.stringify(q.dimensions), q.after?.key ?? null, q.after?.seriesId ?? 0, q.limit + 1],
  );
  const items = r.rows.slice(0, q.limit).map((x) => ({
    seriesId: Number(x.id),
    key: x.key,
    dimensions: x.dimensions,
    firstMs: x.first_ts ? x.first_ts.getTime() : null,
    lastMs: x.last_ts ? x.last_ts.getTime() : null,
    pointCount: Number(x.n),
  }));
  return { items, more: r.rows.length > q.limit };
}
