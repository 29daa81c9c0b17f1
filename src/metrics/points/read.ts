// Raw point reads (issue 18): a series' points are hot rows in `points` and compressed chunks in
// `chunks`; every reader gets them merged here, ascending, each timestamp once.
//
// One statement per read: the chunks overlapping the range (whole rows, decoded and cut in JS) UNION
// ALL one row per requested series with its hot rows packed as bytes (timestamptz_send, float8send),
// so 43,200 points arrive as ~30 byte strings, not 43,200 row objects. The ids are checked against
// the organisation once, in the statement itself: ids of other organisations get no rows at all.
// `window_start` bounds in the WHERE let PostgreSQL prune chunk partitions (a window is at most a day,
// so a chunk holding a point ≥ lo starts after lo − 1 day; a packed row, days of one month, after
// lo − 32 days, and is found through its own partial index).
import { decodeChunk } from '../../store/chunks/codec.js';
import { DAY_MS } from '../../store/chunks/window.js';
import { int8Array, type Sql } from '../../store/sql.js';
import { int8Of } from '../../store/wire.js';
import type { PointArrays, PointRange, ReadOptions, SeriesExtent } from './types.js';
import { concatInOrder, lowerBound, mergeNewerWins } from './arrays.js';
import { unpackDoubles, unpackTimes } from './packed.js';

const empty = (): PointArrays => ({ timestampsMs: new Float64Array(0), values: new Float64Array(0) });

// Stored timestamps lie inside PostgreSQL's timestamptz range (4713 BC – 294276 AD); bounds beyond
// these are unbounded (±Infinity, which to_timestamp maps to ∓infinity) instead of an error.
const MIN_BOUND_MS = -210_000_000_000_000;
const MAX_BOUND_MS = 9_000_000_000_000_000;

/**
 * The range as whole-ms inclusive bounds [lo, hi] (±Infinity when open). Stored timestamps are whole
 * milliseconds (ingest and the codec both require it), so afterMs a ≡ t ≥ ⌊a⌋ + 1 and so on. A NaN
 * end matches nothing.
 */
export function rangeBounds(r: PointRange): { lo: number; hi: number } {
  let lo = -Infinity;
  let hi = Infinity;
  if (r.afterMs !== undefined) lo = Math.max(lo, Math.floor(r.afterMs) + 1);
  if (r.fromMs !== undefined) lo = Math.max(lo, Math.ceil(r.fromMs));
  if (r.beforeMs !== undefined) hi = Math.min(hi, Math.ceil(r.beforeMs) - 1);
  if (r.toMs !== undefined) hi = Math.min(hi, Math.floor(r.toMs));
  if (Number.isNaN(lo) || Number.isNaN(hi)) return { lo: Infinity, hi: -Infinity };
  return { lo, hi };
}

/** A bound as the statement's float8 ms parameter (clamped to what can be stored). */
function bound(ms: number): number {
  if (ms < MIN_BOUND_MS) return -Infinity;
  if (ms > MAX_BOUND_MS) return Infinity;
  return ms;
}

/** The points of `p` (ascending) with lo ≤ t ≤ hi: views, not copies. */
export function cutPoints(p: PointArrays, lo: number, hi: number): PointArrays {
  const a = lowerBound(p.timestampsMs, lo);
  const b = hi === Infinity ? p.timestampsMs.length : lowerBound(p.timestampsMs, hi + 1);
  if (a === 0 && b === p.timestampsMs.length) return p;
  const e = Math.max(a, b);
  return { timestampsMs: p.timestampsMs.subarray(a, e), values: p.values.subarray(a, e) };
}

/** `p` in ascending time order (reversed when descending, sorted only when neither). */
function ascending(p: PointArrays): PointArrays {
  const t = p.timestampsMs;
  let sorted = true;
  for (let i = 1; i < t.length && sorted; i++) sorted = t[i - 1]! < t[i]!;
  if (sorted) return p;
  let descending = true;
  for (let i = 1; i < t.length && descending; i++) descending = t[i - 1]! > t[i]!;
  if (descending) return { timestampsMs: t.slice().reverse(), values: p.values.slice().reverse() };
  const order = Array.from(t.keys()).sort((a, b) => t[a]! - t[b]!);
  return { timestampsMs: Float64Array.from(order, (i) => t[i]!), values: Float64Array.from(order, (i) => p.values[i]!) };
}

/**
 * Merges one series' decoded chunks (each ascending; any order between them, never overlapping: one
 * chunk per window) with its hot rows (ascending), keeping lo ≤ t ≤ hi. A timestamp in both keeps the
 * hot value (the newer write). Then the oldest, or with `newest` the newest, `limit` points. Pure.
 */
export function mergePoints(chunks: readonly PointArrays[], hot: PointArrays, lo: number, hi: number, options: ReadOptions = {}): PointArrays {
  const parts = chunks
    .map((c) => cutPoints(c, lo, hi))
    .filter((c) => c.timestampsMs.length > 0)
    .sort((a, b) => a.timestampsMs[0]! - b.timestampsMs[0]!);
  const h = cutPoints(ascending(hot), lo, hi);
  const cold = concatInOrder(parts);
  // A time in both (a late hot row not yet compacted into its chunk): the hot row is the newer write.
  let out = !h.timestampsMs.length ? cold : !cold.timestampsMs.length ? h : mergeNewerWins(cold, h);
  const limit = options.limit;
  if (limit !== undefined && out.timestampsMs.length > limit) {
    const n = Math.max(0, Math.floor(limit));
    const a = options.newest ? out.timestampsMs.length - n : 0;
    out = { timestampsMs: out.timestampsMs.subarray(a, a + n), values: out.values.subarray(a, a + n) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Statements

const ids = `WITH ids AS MATERIALIZED (SELECT id FROM series WHERE org_id = $1 AND id = ANY($2::bigint[]))`;
const lo = 'to_timestamp($3::float8 / 1000)';
const hi = 'to_timestamp($4::float8 / 1000)';
const loMinusDay = 'to_timestamp($5::float8 / 1000)';
/** Points of a chunk in [lo, hi] at all. */
const overlaps = `c.last_ts >= ${lo} AND c.first_ts <= ${hi}`;
/**
 * Chunks of the org's requested series that may hold a point in [lo, hi]: those starting after
 * lo − 1 day (a window is at most a day), and packed rows (chunk-pack.ts: days of one month) starting
 * before that and ending after lo, through their partial index.
 */
const chunksIn = `(
  SELECT c.series_id, c.window_start, c.first_ts, c.last_ts, c.n, c.data FROM chunks c
  WHERE c.series_id = ANY(ARRAY(SELECT id FROM ids)) AND c.window_start > ${loMinusDay} AND c.window_start <= ${hi} AND ${overlaps}
  UNION ALL
  SELECT c.series_id, c.window_start, c.first_ts, c.last_ts, c.n, c.data FROM chunks c
  WHERE c.series_id = ANY(ARRAY(SELECT id FROM ids)) AND c.window_end IS NOT NULL AND c.window_end > ${lo}
    AND c.window_start <= ${loMinusDay} AND c.window_start > ${loMinusDay} - interval '31 days' AND ${overlaps})`;
const packedHot = (order: string, limit: string) => `
  SELECT i.id, true AS hot, h.ts AS a, h.vs AS b FROM ids i CROSS JOIN LATERAL (
    SELECT string_agg(timestamptz_send(x.ts), ''::bytea) AS ts, string_agg(float8send(x.value), ''::bytea) AS vs
    FROM (SELECT ts, value FROM points WHERE series_id = i.id AND ts >= ${lo} AND ts <= ${hi} ORDER BY ts ${order} ${limit}) x
  ) h`;

// Without a limit: every overlapping chunk and every hot row in the range. The hot rows come from the
// primary key in time order and are aggregated in that order (an ORDER BY inside string_agg would sort
// each group again); mergePoints checks it.
const readAll = `${ids}
  SELECT c.series_id AS id, false AS hot, c.data AS a, NULL::bytea AS b FROM ${chunksIn} c
  UNION ALL ${packedHot('', '')}`;

// With a limit of L from one end: hot rows, at most L from that end; chunks from that end only until
// those fully inside the range already hold L points (a cut chunk counts 0: it may hold fewer). The
// L wanted points are then among them: any other chunk point has L chunk points in front of it.
const readLimited = (newest: boolean) => `${ids}
  SELECT c.id, false AS hot, c.data AS a, NULL::bytea AS b FROM (
    SELECT c.series_id AS id, c.data, coalesce(sum(CASE WHEN c.first_ts >= ${lo} AND c.last_ts <= ${hi} THEN c.n ELSE 0 END)
      OVER (PARTITION BY c.series_id ORDER BY c.window_start ${newest ? 'DESC' : 'ASC'} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ahead
    FROM ${chunksIn} c
  ) c WHERE c.ahead < $6
  UNION ALL ${newest ? packedHot('DESC', 'LIMIT $6') : packedHot('', 'LIMIT $6')}`;

const statements = {
  all: { text: readAll, prepare: 'points_read_all' },
  oldest: { text: readLimited(false), prepare: 'points_read_oldest' },
  newest: { text: readLimited(true), prepare: 'points_read_newest' },
};

interface ReadRow {
  id: string | number;
  hot: boolean;
  a: Uint8Array | null;
  b: Uint8Array | null;
}

/**
 * The read's rows: in binary where the store reads so (Sql.queryBinary, the embedded store: its chunk
 * bytes and packed hot points without hex text for PGlite to write and Node to decode), else by query.
 */
async function readRows(sql: Sql, st: { text: string; prepare: string }, params: unknown[]): Promise<ReadRow[]> {
  if (!sql.queryBinary) return (await sql.query<ReadRow>(st.text, params, { prepare: st.prepare })).rows;
  const [orgId, ids, ...rest] = params as [string, number[], ...number[]];
  const rows = await sql.queryBinary(st.text, [orgId, int8Array(ids), ...rest]);
  return rows.map((r) => ({ id: int8Of(r[0]!), hot: r[1]![0] === 1, a: r[2] ?? null, b: r[3] ?? null }));
}

/**
 * Points of each of `seriesIds` that belongs to `orgId` within `range`, ascending, hot rows and
 * chunks merged (a timestamp stored in both appears once, with the hot row's value). Ids of other
 * organisations (or unknown ids) are absent from the map; the org's series without points in range
 * map to empty arrays. `options.limit`: at most that many points a series, the oldest or (`newest`)
 * the newest. The returned arrays are the caller's.
 */
export async function readPoints(sql: Sql, orgId: string, seriesIds: readonly number[], range: PointRange, options: ReadOptions = {}): Promise<Map<number, PointArrays>> {
  const out = new Map<number, PointArrays>();
  if (!seriesIds.length) return out;
  const { lo: l, hi: h } = rangeBounds(range);
  const params: unknown[] = [orgId, [...new Set(seriesIds)], bound(l), bound(h), bound(l - DAY_MS)];
  let st = statements.all;
  let o = options;
  if (options.limit !== undefined) {
    st = options.newest ? statements.newest : statements.oldest;
    const limit = Number.isNaN(options.limit) ? 0 : Math.max(0, Math.min(Math.floor(options.limit), 2 ** 53));
    o = { limit, newest: options.newest };
    params.push(limit);
  }
  const rows = await readRows(sql, st, params);
  const chunksOf = new Map<number, PointArrays[]>();
  const hotOf = new Map<number, PointArrays>();
  for (const row of rows) {
    const id = Number(row.id);
    if (row.hot) hotOf.set(id, { timestampsMs: unpackTimes(row.a), values: unpackDoubles(row.b) });
    else if (row.a) {
      let list = chunksOf.get(id);
      if (!list) chunksOf.set(id, (list = []));
      list.push(decodeChunk(row.a));
    }
  }
  // Every id of the org has its hot row (the lateral aggregate always yields one).
  for (const [id, hot] of hotOf) out.set(id, mergePoints(chunksOf.get(id) ?? [], hot, l, h, o));
  return out;
}

const extentsText = `${ids}
  SELECT i.id, h.f AS hf, h.l AS hl, h.n AS hn, c.f AS cf, c.l AS cl, c.n AS cn FROM ids i
  CROSS JOIN LATERAL (SELECT (extract(epoch FROM min(ts)) * 1000)::float8 AS f, (extract(epoch FROM max(ts)) * 1000)::float8 AS l, count(*)::float8 AS n
    FROM points WHERE series_id = i.id) h
  CROSS JOIN LATERAL (SELECT (extract(epoch FROM min(first_ts)) * 1000)::float8 AS f, (extract(epoch FROM max(last_ts)) * 1000)::float8 AS l, coalesce(sum(n), 0)::float8 AS n
    FROM chunks WHERE series_id = i.id) c`;

const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const num = (x: unknown) => (x === null || x === undefined ? null : Number(x));

/**
 * First and last point time and point count of each of `seriesIds` that belongs to `orgId`, over hot
 * rows and chunks (chunk metadata only, nothing decoded). A late hot row duplicating a chunk's point
 * (only until the next compaction) counts twice.
 */
export async function seriesExtents(sql: Sql, orgId: string, seriesIds: readonly number[]): Promise<Map<number, SeriesExtent>> {
  const out = new Map<number, SeriesExtent>();
  if (!seriesIds.length) return out;
  const r = await sql.query<Record<'id' | 'hf' | 'hl' | 'hn' | 'cf' | 'cl' | 'cn', unknown>>(extentsText, [orgId, [...new Set(seriesIds)]], { prepare: 'points_extents' });
  for (const row of r.rows) {
    out.set(Number(row.id), { firstMs: minOf(num(row.hf), num(row.cf)), lastMs: maxOf(num(row.hl), num(row.cl)), count: Number(row.hn) + Number(row.cn) });
  }
  return out;
}

// Series decided by metadata alone (a hot row in range, or a chunk whose first or last point is in
// range), then the chunks spanning the whole range without an end inside it: only those need decoding
// (at most one a series, since chunks do not overlap).
const withPointsText = `${ids}
  SELECT i.id, NULL::bytea AS data FROM ids i
  WHERE EXISTS (SELECT 1 FROM points p WHERE p.series_id = i.id AND p.ts >= ${lo} AND p.ts <= ${hi})
     OR EXISTS (SELECT 1 FROM chunks c WHERE c.series_id = i.id AND c.window_start > ${loMinusDay} AND c.window_start <= ${hi}
                AND ((c.first_ts >= ${lo} AND c.first_ts <= ${hi}) OR (c.last_ts >= ${lo} AND c.last_ts <= ${hi})))
     OR EXISTS (SELECT 1 FROM chunks c WHERE c.series_id = i.id AND c.window_end IS NOT NULL AND c.window_end > ${lo}
                AND c.window_start <= ${loMinusDay} AND c.window_start > ${loMinusDay} - interval '31 days'
                AND ((c.first_ts >= ${lo} AND c.first_ts <= ${hi}) OR (c.last_ts >= ${lo} AND c.last_ts <= ${hi})))
  UNION ALL
  SELECT c.series_id, c.data FROM ${chunksIn} c WHERE c.first_ts < ${lo} AND c.last_ts > ${hi}`;

/** Which of `seriesIds` (those of `orgId`) have a point with fromMs ≤ t ≤ toMs. */
export async function seriesWithPointsIn(sql: Sql, orgId: string, seriesIds: readonly number[], fromMs: number, toMs: number): Promise<Set<number>> {
  const out = new Set<number>();
  if (!seriesIds.length) return out;
  const { lo: l, hi: h } = rangeBounds({ fromMs, toMs });
  if (!(l <= h)) return out;
  const r = await sql.query<{ id: string | number; data: Uint8Array | null }>(withPointsText, [orgId, [...new Set(seriesIds)], bound(l), bound(h), bound(l - DAY_MS)], { prepare: 'points_with_points_in' });
  const spanning: { id: number; data: Uint8Array }[] = [];
  for (const row of r.rows) {
    if (row.data === null) out.add(Number(row.id));
    else spanning.push({ id: Number(row.id), data: row.data });
  }
  for (const c of spanning) {
    if (out.has(c.id)) continue;
    const t = decodeChunk(c.data).timestampsMs;
    const i = lowerBound(t, l);
    if (i < t.length && t[i]! <= h) out.add(c.id);
  }
  return out;
}
