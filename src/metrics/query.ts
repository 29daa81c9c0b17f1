import type { Sql } from '../store/sql.js';
import type { Labels } from '../core/labels.js';
import { boundsOf, type ValueBounds } from './series-settings.js';

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

/**
 * The same in numeric arithmetic, for a page whose float8 sums overflowed (stored values near
 * ±1e308): an average always fits a double again; a sum that does not is null (see sumOverflow).
 * Only used after the float8 form failed, so the common read pays nothing.
 */
const overflowSafeSql: Partial<Record<Aggregation, string>> = {
  avg: 'avg(p.value::numeric)::float8',
  sum: "CASE WHEN abs(sum(p.value::numeric)) <= '1.7976931348623157e308'::numeric THEN sum(p.value::numeric)::float8 END",
};

/** Why a bucket's value is null: its sum lies beyond the range of a double. */
export const sumOverflow = 'the sum exceeds the range of a double (about ±1.8e308)';

/** PostgreSQL's "value out of range: overflow" (float8 arithmetic past ±1.8e308). */
const isOverflow = (err: unknown) => (err as { code?: unknown }).code === '22003';

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

/** One point of the page (PostgreSQL). */
interface PointRow {
  series_id: string;
  t: number;
  value: number | null;
}

/** One series' part of the page as two arrays (epoch ms, value), in time order (embedded store). */
interface SeriesRow {
  series_id: string;
  t: number[];
  v: (number | null)[];
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
  // The page is chosen point by point (ORDER BY series, time LIMIT). Times are epoch ms as float8
  // (date_part, not extract, which computes in numeric), rounded: points are stored to the
  // millisecond. Each series' key and dimensions are read once below. Same-data A/B of a
  // 1,000-point read: PostgreSQL returns it fastest as rows (1.35 ms; as float8 arrays 2.2, node-pg
  // parses arrays slowly), PGlite as one row per series holding two float8 arrays (2.0 ms; as rows
  // 5.2, a JS object per point costs more than the scan), so each store gets its own shape.
  const raw = `
      SELECT p.series_id, round(date_part('epoch', p.ts) * 1000) AS t, p.value
      FROM series s JOIN points p ON p.series_id = s.id
      WHERE s.org_id = $1 AND s.key = $2 AND s.dimensions @> $3::jsonb
        AND p.ts >= $4 AND p.ts <= $5
        AND (p.series_id, p.ts) > ($6::bigint, $7::timestamptz)
      ORDER BY p.series_id, p.ts
      LIMIT $8`;
  // Resume at the bucket after the cursor's: a bucket is never split across pages.
  const stepped = (aggregate: string) => `
      SELECT p.series_id, round(date_part('epoch', date_bin($9::interval, p.ts, timestamptz 'epoch')) * 1000) AS t, ${aggregate} AS value
      FROM series s JOIN points p ON p.series_id = s.id
      WHERE s.org_id = $1 AND s.key = $2 AND s.dimensions @> $3::jsonb
        AND p.ts >= $4 AND p.ts <= $5
        AND (p.series_id > $6::bigint OR (p.series_id = $6::bigint AND p.ts >= $7::timestamptz + $9::interval))
      GROUP BY p.series_id, 2
      ORDER BY p.series_id, 2
      LIMIT $8`;
  const pageSql = (aggregate: string): string => (q.step ? stepped(aggregate) : raw);
  if (q.step) params.push(`${steps[q.step] / 1000} seconds`);
  const safe = q.step ? overflowSafeSql[q.aggregation] : undefined;
  try {
    return await readPage(sql, orgId, q, params, pageSql(aggregateSql[q.aggregation]));
  } catch (err) {
    if (!safe || !isOverflow(err)) throw err;
    return readPage(sql, orgId, q, params, pageSql(safe));
  }
}

async function readPage(sql: Sql, orgId: string, q: RangeQuery, params: unknown[], page: string): Promise<{ series: SeriesPoints[]; next: PointCursor | null }> {
  let groups: SeriesRow[];
  if (sql.driver === 'pglite') {
    const text = `SELECT series_id, array_agg(t ORDER BY t) AS t, array_agg(value ORDER BY t) AS v FROM (${page}) pg GROUP BY series_id ORDER BY series_id`;
    groups = (await sql.query<SeriesRow>(text, params)).rows;
  } else {
    groups = [];
    for (const row of (await sql.query<PointRow>(page, params)).rows) {
      let g = groups[groups.length - 1];
      if (!g || g.series_id !== row.series_id) groups.push((g = { series_id: row.series_id, t: [], v: [] }));
      g.t.push(row.t);
      g.v.push(row.value);
    }
  }
  const series: SeriesPoints[] = [];
  let total = 0;
  let tail: { seriesId: number; tsMs: number } | undefined;
  for (const row of groups) {
    const s: SeriesPoints = { seriesId: Number(row.series_id), key: q.key, dimensions: {}, points: [] };
    for (let i = 0; i < row.t.length && total < q.limit; i++, total++) {
      const tsMs = Number(row.t[i]);
      const v = row.v[i];
      s.points.push(v === null || v === undefined ? { tsMs, value: null, reason: sumOverflow } : { tsMs, value: Number(v) });
      tail = { seriesId: s.seriesId, tsMs };
    }
    if (s.points.length) series.push(s);
  }
  // The query asked for one point more than the page: if it came, there is a next page.
  const fetched = groups.reduce((n, row) => n + row.t.length, 0);
  if (series.length) {
    // Series are never deleted while their points exist, so every id found above is here.
    const meta = await sql.query<{ id: string; dimensions: Labels }>('SELECT id, dimensions FROM series WHERE org_id = $1 AND id = ANY($2::bigint[])', [
      orgId,
      series.map((s) => s.seriesId),
    ]);
    const dims = new Map(meta.rows.map((m) => [Number(m.id), m.dimensions]));
    for (const s of series) s.dimensions = dims.get(s.seriesId) ?? {};
  }
  const next = fetched > q.limit && tail ? tail : null;
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
  const r = await sql.query<{ id: number; key: string; dimensions: Labels; first_ts: Date | null; last_ts: Date | null; n: number; value_min: number | null; value_max: number | null }>(
    `SELECT s.id, s.key, s.dimensions, st.first_ts, st.last_ts, st.n, s.value_min, s.value_max
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
    bounds: boundsOf(x),
  }));
  return { items, more: r.rows.length > q.limit };
}
