// Reading whole series for analysis (forecasting, detection): the matching series of a selector,
// and one series' points as typed arrays.
import type { TimeRange } from '../core/time-range.js';
import type { Sql } from '../store/sql.js';
import type { Labels } from '../core/labels.js';

export interface StoredSeries {
  id: number;
  key: string;
  dimensions: Labels;
}

/**
 * Series of `orgId` with this key whose dimensions include `dimensions`, in id order, at most
 * `limit`. A series whose dimensions equal the selector's exactly comes first.
 */
export async function findSeries(sql: Sql, orgId: string, key: string, dimensions: Labels, limit: number): Promise<StoredSeries[]> {
  const r = await sql.query<{ id: string; key: string; dimensions: Labels }>(
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

/** A series with its recent points (or bucket means) and the time of its newest point ever. */
export interface SeriesWindow extends StoredSeries, SeriesArrays {
  /** Epoch ms of the newest stored point (also outside the window); null when the series has none. */
  lastSeenMs: number | null;
}

/** The window (epoch ms, both ends inclusive) and the limits of a read. */
export interface WindowOptions extends TimeRange {
  /** At most this many of the most recent points (or buckets) per series. */
  maxPoints: number;
  /** At most this many series (in id order); `truncated` says when more match. */
  maxSeries: number;
  /** When set: the mean of each epoch-aligned bucket of this many ms instead of raw points (at the bucket's start). */
  bucketMs?: number;
}

/**
 * Every series of `orgId` with this key whose dimensions include `dimensions`, each with its points in
 * the window and its last point time: one statement for all of them (an alert rule's pass over many
 * series reads in one round trip). Series without points in the window come back with empty arrays.
 */
export async function readSeriesWindows(sql: Sql, orgId: string, key: string, dimensions: Labels, o: WindowOptions): Promise<{ series: SeriesWindow[]; truncated: boolean }> {
  try {
    return await readWindows(sql, orgId, key, dimensions, o, 'avg(p.value)');
  } catch (err) {
    // float8 sums overflow on stored values near ±1e308; the numeric mean always fits a double again.
    if (!o.bucketMs || (err as { code?: unknown }).code !== '22003') throw err;
    return readWindows(sql, orgId, key, dimensions, o, 'avg(p.value::numeric)::float8');
  }
}

async function readWindows(sql: Sql, orgId: string, key: string, dimensions: Labels, o: WindowOptions, mean: string): Promise<{ series: SeriesWindow[]; truncated: boolean }> {
  const inner = o.bucketMs
    ? `SELECT floor(extract(epoch FROM p.ts) * 1000 / $8::float8) * $8::float8 AS t, ${mean} AS v FROM points p
         WHERE p.series_id = s.id AND p.ts >= $5 AND p.ts <= $6 GROUP BY 1 ORDER BY 1 DESC LIMIT $7`
    : `SELECT (extract(epoch FROM p.ts) * 1000)::float8 AS t, p.value AS v FROM points p
         WHERE p.series_id = s.id AND p.ts >= $5 AND p.ts <= $6 ORDER BY p.ts DESC LIMIT $7`;
  const params: unknown[] = [orgId, key, JSON.stringify(dimensions), o.maxSeries + 1, new Date(o.fromMs), new Date(o.toMs), o.maxPoints];
  if (o.bucketMs) params.push(o.bucketMs);
  const r = await sql.query<{ id: string; key: string; dimensions: Labels; last_ms: number | null; ts: number[] | null; vs: number[] | null }>(
    `SELECT s.id, s.key, s.dimensions,
       (SELECT (extract(epoch FROM max(p.ts)) * 1000)::float8 FROM points p WHERE p.series_id = s.id) AS last_ms,
       w.ts, w.vs
     FROM (SELECT id, key, dimensions FROM series WHERE org_id = $1 AND key = $2 AND dimensions @> $3::jsonb ORDER BY id LIMIT $4) s
     LEFT JOIN LATERAL (SELECT array_agg(x.t ORDER BY x.t) AS ts, array_agg(x.v ORDER BY x.t) AS vs FROM (${inner}) x) w ON true
     ORDER BY s.id`,
    params,
  );
  const rows = r.rows.slice(0, o.maxSeries);
  return {
    truncated: r.rows.length > o.maxSeries,
    series: rows.map((x) => ({
      id: Number(x.id),
      key: x.key,
      dimensions: x.dimensions,
      lastSeenMs: x.last_ms === null ? null : Number(x.last_ms),
      timestampsMs: Float64Array.from(x.ts ?? [], Number),
      values: Float64Array.from(x.vs ?? [], Number),
    })),
  };
}

/** {@link readSeriesWindows} over `sql`: the alert pass' SamplesFunc in the server, the benches and tests. */
export function samplesFrom(sql: Sql): (orgId: string, key: string, dimensions: Labels, o: WindowOptions) => Promise<{ series: SeriesWindow[]; truncated: boolean }> {
  return (orgId, key, dimensions, o) => readSeriesWindows(sql, orgId, key, dimensions, o);
}
