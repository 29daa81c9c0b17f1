// Reading whole series for analysis (forecasting, detection): the matching series of a selector,
// and one series' points as typed arrays.
import type { TimeRange } from '../core/time-range.js';
import type { Sql } from '../store/sql.js';
import type { Labels } from '../core/labels.js';
import { readPoints, seriesExtents } from './points/read.js';

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
 * most recent of them. Hot rows and chunks merged (points/read.ts).
 */
export async function readSeriesPoints(sql: Sql, orgId: string, seriesId: number, fromMs: number, toMs: number, maxPoints: number): Promise<SeriesArrays> {
  const m = await readPoints(sql, orgId, [seriesId], { fromMs, toMs }, { limit: maxPoints, newest: true });
  return m.get(seriesId) ?? { timestampsMs: new Float64Array(0), values: new Float64Array(0) };
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

/** 2^-64 and 2^64: values scaled by a power of two keep every bit, and no sum of them overflows. */
const DOWN = 2 ** -64;
const UP = 2 ** 64;

/** The mean of values[a, b) (finite values): a plain sum, or when that overflows a double, a scaled one. */
function mean(values: Float64Array, a: number, b: number): number {
  let sum = 0;
  for (let i = a; i < b; i++) sum += values[i]!;
  if (Number.isFinite(sum)) return sum / (b - a);
  let scaled = 0;
  for (let i = a; i < b; i++) scaled += values[i]! * DOWN;
  const m = (scaled / (b - a)) * UP;
  // The mean lies between the smallest and largest value; rounding may only push it past the edge.
  return Number.isFinite(m) ? m : Math.sign(m) * Number.MAX_VALUE;
}

/**
 * The mean of each epoch-aligned bucket of `bucketMs` holding points, at the bucket's start,
 * ascending: at most the `maxBuckets` most recent. Pure.
 */
export function bucketMeans(p: SeriesArrays, bucketMs: number, maxBuckets: number): SeriesArrays {
  const t = p.timestampsMs;
  const starts: number[] = [];
  const means: number[] = [];
  for (let a = 0; a < t.length; ) {
    const start = Math.floor(t[a]! / bucketMs) * bucketMs;
    const end = start + bucketMs;
    let b = a + 1;
    while (b < t.length && t[b]! < end) b++;
    starts.push(start);
    means.push(mean(p.values, a, b));
    a = b;
  }
  const from = Math.max(0, starts.length - Math.max(0, maxBuckets));
  return { timestampsMs: Float64Array.from(starts.slice(from)), values: Float64Array.from(means.slice(from)) };
}

/**
 * Every series of `orgId` with this key whose dimensions include `dimensions`, each with its points in
 * the window and its last point time: three statements for all of them (the catalogue, the points,
 * the extents), so an alert rule's pass over many series costs the same few round trips. Series
 * without points in the window come back with empty arrays.
 */
export async function readSeriesWindows(sql: Sql, orgId: string, key: string, dimensions: Labels, o: WindowOptions): Promise<{ series: SeriesWindow[]; truncated: boolean }> {
  const r = await sql.query<{ id: string; key: string; dimensions: Labels }>(
    `SELECT id, key, dimensions FROM series WHERE org_id = $1 AND key = $2 AND dimensions @> $3::jsonb ORDER BY id LIMIT $4`,
    [orgId, key, JSON.stringify(dimensions), o.maxSeries + 1],
  );
  const rows = r.rows.slice(0, o.maxSeries).map((x) => ({ id: Number(x.id), key: x.key, dimensions: x.dimensions }));
  const ids = rows.map((x) => x.id);
  const range = { fromMs: o.fromMs, toMs: o.toMs };
  // Bucketed: every point of the window (the buckets' means need them all); raw: the newest maxPoints.
  const [points, extents] = await Promise.all([
    readPoints(sql, orgId, ids, range, o.bucketMs ? {} : { limit: o.maxPoints, newest: true }),
    seriesExtents(sql, orgId, ids),
  ]);
  return {
    truncated: r.rows.length > o.maxSeries,
    series: rows.map((x) => {
      const p = points.get(x.id) ?? { timestampsMs: new Float64Array(0), values: new Float64Array(0) };
      const arrays = o.bucketMs ? bucketMeans(p, o.bucketMs, o.maxPoints) : p;
      return { ...x, lastSeenMs: extents.get(x.id)?.lastMs ?? null, timestampsMs: arrays.timestampsMs, values: arrays.values };
    }),
  };
}

/** {@link readSeriesWindows} over `sql`: the alert pass' SamplesFunc in the server, the benches and tests. */
export function samplesFrom(sql: Sql): (orgId: string, key: string, dimensions: Labels, o: WindowOptions) => Promise<{ series: SeriesWindow[]; truncated: boolean }> {
  return (orgId, key, dimensions, o) => readSeriesWindows(sql, orgId, key, dimensions, o);
}
