// Stepped reads (issue 18): per series, the epoch-aligned buckets of a step aggregated over the points
// in [fromMs, toMs], reading rollups wherever they cover a whole bucket and raw points (read.ts)
// everywhere else. The answer is the aggregate of the raw points (combine.ts); only the rows read differ.
//
// 5-minute rollup rows hold a day each; 1-hour rows a month (compact.ts): a row is split into its days as
// it is decoded (series-rollups.ts), and a day's buckets are used when
// - its resolution divides the step (1 h for multiples of an hour, else 5 min; a day whose 1 h rollup
//   is contradicted falls back to its 5 min rollup, then to raw points),
// - no hot row of that series lies in that day at or before the end of the rollup's last bucket (a
//   late point not yet compacted: the rollup does not know it, so the day is read raw),
// and of its buckets only those lying entirely inside [fromMs, toMs] (edges come from raw points) and,
// for sum and avg, whose sum is finite (an overflowed sum is recomputed from the raw points).
// A used rollup describes its day up to the end of its last bucket completely (every chunk point of the
// day is in it, and no hot row is there); after it, only hot rows can be, so that stretch is read
// only when the day has a hot row there.
//
// The reads are separate statements, ordered so that a compaction committing in between loses or
// doubles nothing: hot rows, then rollups, then raw points (each raw read is one statement).
//
// The rollup rows arrive as one result row a series (rollup-rows.ts), on PostgreSQL in a few
// statements for parts of the series run at once; each series' rows are decoded straight into one set
// of columns (series-rollups.ts: no allocation a row; the columns are pooled scratch of the read), so a
// read of whole days plans and folds one slice a series, and a step equal to the resolution copies the
// buckets without folding (combine.ts).
import { decodeRollup, type Rollup, type RollupColumn } from '../../store/chunks/rollup.js';
import { DAY_MS, monthBoundsMs } from '../../store/chunks/window.js';
import { float8Array, int8Array, type Sql } from '../../store/sql.js';
import { int8Of } from '../../store/wire.js';
import { combineBuckets, type RollupSlice } from './combine.js';
import { cutPoints, readPoints } from './read.js';
import type { BucketAggregation, BucketArrays, BucketQuery, PointArrays } from './types.js';
import { concatInOrder, lowerBound } from './arrays.js';
import { FRAME_SQL, fromBase64Scratch } from './rollup-rows.js';
import { mergeDays, SeriesColumns, usableDay, type DayRollup, type HotSpan, type SeriesRollups } from './series-rollups.js';

export type { DayRollup, HotSpan } from './series-rollups.js';

const HOUR_MS = 3_600_000;

/** The first instant of `ms`'s UTC month (a 1-hour rollup row keyed there may hold the day of `ms`); beyond the calendar, `ms`. */
function monthStartMs(ms: number): number {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? monthBoundsMs(ms).startMs : ms;
}
const FIVE_MIN_MS = 300_000;

/** Inclusive ms range [a, b]. */
export type MsRange = [number, number];

/** What one series reads: rollup buckets used whole, and raw ranges for the rest. */
export interface SeriesPlan {
  slices: RollupSlice[];
  raw: MsRange[];
}

/** The rollup resolutions usable for a step, preferred first. */
export function resolutionsFor(stepMs: number): number[] {
  if (stepMs % HOUR_MS === 0) return [HOUR_MS, FIVE_MIN_MS];
  if (stepMs % FIVE_MIN_MS === 0) return [FIVE_MIN_MS];
  return [];
}

/** True when a day's rollup may be used: it has buckets and no hot row of its day is at or before its end. */
export function rollupValid(d: DayRollup, hot: HotSpan | undefined): boolean {
  const starts = d.rollup.startsMs;
  return usableDay(starts[starts.length - 1]!, starts.length, d.resolutionMs, hot);
}

/** The rollup columns each aggregation reads, in the layout's order (min, max, sum, count, last). */
const needed: Record<BucketAggregation, ReadonlySet<RollupColumn>> = {
  avg: new Set(['sum', 'count']),
  sum: new Set(['sum', 'count']),
  min: new Set(['min', 'count']),
  max: new Set(['max', 'count']),
  count: new Set(['count']),
  last: new Set(['last', 'count']),
};

/**
 * Decodes only the columns of a rollup row that `aggregation` reads; the others alias the count column
 * (combine.ts folds every column but emits only the aggregation's). Corrupt bytes throw a RangeError.
 */
export function decodeRollupFor(bytes: Uint8Array, aggregation: BucketAggregation): Rollup {
  return decodeRollup(bytes, needed[aggregation]);
}

/**
 * Plans one series' read of whole-ms [fromMs, toMs]: `days` are its usable (already validated) rollup
 * rows, ascending by day, at most one a day; `hot` its hot-row spans by day start. Pure.
 */
export function planSeries(fromMs: number, toMs: number, days: readonly DayRollup[], hot: ReadonlyMap<number, HotSpan>, needsSum: boolean): SeriesPlan {
  return planRollups(fromMs, toMs, mergeDays(days), hot, needsSum);
}

/**
 * {@link planSeries} over a series' merged days. Slices of consecutive days with nothing read raw in
 * between are one slice (a year of whole days is usually one). Pure.
 */
export function planRollups(fromMs: number, toMs: number, days: SeriesRollups, hot: ReadonlyMap<number, HotSpan>, needsSum: boolean): SeriesPlan {
  const slices: RollupSlice[] = [];
  const raw: MsRange[] = [];
  const r = days.rollup;
  const starts = r.startsMs;
  let rawEdits = 0; // raw ranges added or extended so far
  let sliceEdits = -1; // rawEdits when the last slice was added or extended
  const addRaw = (a: number, b: number) => {
    if (a > b) return;
    rawEdits++;
    const prev = raw[raw.length - 1];
    if (prev && prev[1] + 1 >= a) prev[1] = Math.max(prev[1], b);
    else raw.push([a, b]);
  };
  const addSlice = (lo: number, hi: number, res: number) => {
    const prev = slices[slices.length - 1];
    if (prev && prev.hi === lo && prev.resolutionMs === res && sliceEdits === rawEdits) prev.hi = hi;
    else slices.push({ rollup: r, lo, hi, resolutionMs: res });
    sliceEdits = rawEdits;
  };
  let pos = fromMs; // everything before pos is planned
  for (let k = 0; k < days.dayMs.length; k++) {
    const dayMs = days.dayMs[k]!;
    const res = days.resolutionMs[k]!;
    const dayLo = days.lo[k]!;
    const dayHi = days.hi[k]!;
    if (dayHi <= dayLo) continue;
    const end = starts[dayHi - 1]! + res;
    // Buckets entirely inside [fromMs, toMs] and not before pos.
    const cs = Math.max(dayMs, Math.ceil(Math.max(fromMs, pos) / res) * res);
    const ce = Math.min(end, Math.floor((toMs + 1) / res) * res);
    if (ce <= cs) continue;
    addRaw(pos, cs - 1);
    // Usually the whole day: no search. (Days are ascending and apart, so a search from dayLo stops
    // inside the day.)
    let lo = cs <= starts[dayLo]! ? dayLo : lowerBound(starts, cs, dayLo);
    const hi = ce === end ? dayHi : lowerBound(starts, ce, lo);
    if (needsSum) {
      for (let j = lo; j < hi; j++) {
        if (Number.isFinite(r.sum[j]!)) continue;
        if (j > lo) addSlice(lo, j, res);
        addRaw(starts[j]!, starts[j]! + res - 1);
        lo = j + 1;
      }
    }
    if (hi > lo) addSlice(lo, hi, res);
    pos = ce;
    // After the rollup's end only hot rows of the day can be; none there: nothing to read.
    const h = hot.get(dayMs);
    if (ce === end && !(h && h.maxMs >= end)) pos = Math.min(dayMs + DAY_MS, toMs + 1);
  }
  addRaw(pos, toMs);
  return { slices, raw };
}

/**
 * Groups the series' raw ranges into reads: ranges whose ends lie within `slackMs` of a group's are
 * read together over the group's hull (each series then keeps its own ranges' points). Pure.
 */
export function groupRanges(perSeries: ReadonlyMap<number, readonly MsRange[]>, slackMs: number): { range: MsRange; ids: number[] }[] {
  const all: { id: number; a: number; b: number }[] = [];
  for (const [id, ranges] of perSeries) for (const [a, b] of ranges) all.push({ id, a, b });
  all.sort((x, y) => x.a - y.a || x.b - y.b);
  type Group = { range: MsRange; ids: Set<number>; firstA: number; minB: number };
  const done: Group[] = [];
  let open: Group[] = []; // groups whose start is within slack of the current range's
  for (const x of all) {
    open = open.filter((g) => x.a - g.firstA <= slackMs || (done.push(g), false));
    // Over-reading is bounded: every member's range starts within slack of the hull's start and ends
    // within slack of its end.
    const g = open.find((o) => Math.max(o.range[1], x.b) - Math.min(o.minB, x.b) <= slackMs);
    if (g) {
      g.range[1] = Math.max(g.range[1], x.b);
      g.minB = Math.min(g.minB, x.b);
      g.ids.add(x.id);
    } else open.push({ range: [x.a, x.b], ids: new Set([x.id]), firstA: x.a, minB: x.b });
  }
  done.push(...open);
  const groups = done.map((g) => ({ range: g.range, ids: [...g.ids] }));
  return groups;
}

/** The points of `p` inside any of `ranges` (ascending, disjoint), ascending. */
export function pointsInRanges(p: PointArrays, ranges: readonly MsRange[]): PointArrays[] {
  const out: PointArrays[] = [];
  for (const [a, b] of ranges) {
    const c = cutPoints(p, a, b);
    if (c.timestampsMs.length) out.push(c);
  }
  return out;
}

/** Concatenates disjoint ascending parts into one ascending series. */
export function concatPoints(parts: PointArrays[]): PointArrays {
  return concatInOrder(parts.sort((x, y) => x.timestampsMs[0]! - y.timestampsMs[0]!));
}

// Per series of the org (ids of other organisations get no row), its rollup rows of the range framed
// in one byte string (rollup-rows.ts). The lateral index scans read each series' days in order.
const rollupSql = (table: 'rollups_1h' | 'rollups_5m', encoded: boolean) => `
  SELECT i.id, ${encoded ? "encode(x.rows, 'base64')" : 'x.rows'} AS rows
  FROM (SELECT id FROM series WHERE org_id = $1 AND id = ANY($2::bigint[])) i
  CROSS JOIN LATERAL (
    SELECT string_agg(${FRAME_SQL}, ''::bytea) AS rows FROM ${table} r
    WHERE r.series_id = i.id AND r.day >= to_timestamp($3::float8 / 1000) AND r.day <= to_timestamp($4::float8 / 1000)
  ) x`;
const rollupStatements = {
  rollups_1h: { text: rollupSql('rollups_1h', true), binaryText: rollupSql('rollups_1h', false), prepare: 'buckets_rollups_1h' },
  rollups_5m: { text: rollupSql('rollups_5m', true), binaryText: rollupSql('rollups_5m', false), prepare: 'buckets_rollups_5m' },
};

// The 5 min rollups of chosen (series, day) pairs: the days whose 1 h rollup could not be used.
const rollup5mPairsSql = (encoded: boolean) => `
  SELECT r.series_id AS id, ${encoded ? `encode(string_agg(${FRAME_SQL}, ''::bytea), 'base64')` : `string_agg(${FRAME_SQL}, ''::bytea)`} AS rows
  FROM rollups_5m r
  JOIN unnest($2::bigint[], $3::float8[]) AS w(series_id, day_ms) ON r.series_id = w.series_id AND r.day = to_timestamp(w.day_ms / 1000)
  WHERE r.series_id IN (SELECT id FROM series WHERE org_id = $1 AND id = ANY($2::bigint[]))
  GROUP BY r.series_id`;
const rollup5mPairs = { text: rollup5mPairsSql(true), binaryText: rollup5mPairsSql(false) };

/**
 * Calls `each` with every series' framed rollup rows (rollup-rows.ts) of a statement above, the bytes
 * valid until it returns: in binary where the store reads so (Sql.queryBinary, the embedded store: no
 * base64 for PGlite to write and Node to read), else from the statement's base64 text.
 */
async function eachFramed(
  sql: Sql,
  st: { text: string; binaryText: string; prepare?: string },
  params: readonly [orgId: string, ids: number[], ...rest: (number | number[])[]],
  each: (id: number, bytes: Uint8Array) => void,
): Promise<void> {
  if (sql.queryBinary) {
    const [orgId, ids, ...rest] = params;
    const wire = rest.map((x) => (Array.isArray(x) ? float8Array(x) : x));
    for (const r of await sql.queryBinary(st.binaryText, [orgId, int8Array(ids), ...wire])) each(int8Of(r[0]!), r[1] ?? NO_BYTES);
    return;
  }
  const r = await sql.query<RollupRow>(st.text, params, st.prepare ? { prepare: st.prepare } : undefined);
  for (const row of r.rows) each(Number(row.id), fromBase64Scratch(row.rows));
}

const NO_BYTES = new Uint8Array(0);

const hotSql = `
  SELECT p.series_id, floor(date_part('epoch', p.ts) / 86400) AS d,
    round(date_part('epoch', min(p.ts)) * 1000) AS lo, round(date_part('epoch', max(p.ts)) * 1000) AS hi
  FROM points p
  WHERE p.series_id = ANY($1::bigint[]) AND p.ts >= to_timestamp($2::float8 / 1000) AND p.ts < to_timestamp($3::float8 / 1000)
  GROUP BY 1, 2`;

// Rollup statements run at once on PostgreSQL (see readBuckets), each for about 1/n of the series.
// Measured on the 1-year read (100 series × 365 days, 2 cores, a loaded machine, interleaved): 1, 2, 4, 8
// parts → wall p50 226, 207, 155, 158 ms.
const ROLLUP_SHARDS = 4;

/** `ids` cut into at most `n` parts of nearly equal size, in order. */
export function shards<T>(ids: readonly T[], n: number): T[][] {
  const k = Math.max(1, Math.min(n, ids.length));
  const out: T[][] = [];
  for (let i = 0; i < k; i++) out.push(ids.slice(Math.floor((i * ids.length) / k), Math.floor(((i + 1) * ids.length) / k)));
  return out;
}

/** A time bound as a float8 ms parameter: beyond what timestamptz holds, unbounded (±infinity). */
function clampMs(ms: number): number {
  if (ms < -210_000_000_000_000) return Number.NEGATIVE_INFINITY;
  if (ms > 9_000_000_000_000_000) return Number.POSITIVE_INFINITY;
  return ms;
}

interface RollupRow {
  id: string | number;
  rows: string | null;
}

// Raw ranges of different series are read together when their ends are this close.
const GROUP_SLACK_MS = 2 * HOUR_MS;

/**
 * The buckets holding points of each of `seriesIds` that belongs to `orgId` (see the header). Series of
 * other organisations are absent; the org's series without points in range map to empty arrays.
 */
export async function readBuckets(sql: Sql, orgId: string, seriesIds: readonly number[], q: BucketQuery): Promise<Map<number, BucketArrays>> {
  // The decoded columns are the read's scratch, pooled (series-rollups.ts): given back once the
  // answers (fresh arrays, combine.ts) are made, or the read failed.
  const held: SeriesColumns[] = [];
  try {
    return await readBucketsWith(sql, orgId, seriesIds, q, held);
  } finally {
    for (const s of held) s.release();
  }
}

async function readBucketsWith(sql: Sql, orgId: string, seriesIds: readonly number[], q: BucketQuery, held: SeriesColumns[]): Promise<Map<number, BucketArrays>> {
  const out = new Map<number, BucketArrays>();
  const ids = [...new Set(seriesIds)];
  const fromMs = Math.ceil(q.fromMs);
  const toMs = Math.floor(q.toMs);
  if (!ids.length || !(fromMs <= toMs) || !(q.stepMs > 0)) return out;
  const resolutions = resolutionsFor(q.stepMs);
  const needsSum = q.aggregation === 'sum' || q.aggregation === 'avg';
  const dayLo = Math.floor(fromMs / DAY_MS) * DAY_MS;

  const chosen = new Map<number, SeriesRollups>();
  // Series with days waiting for their 5 min rollups: their usable days, finished once those arrived.
  const pending = new Map<number, SeriesColumns>();
  const columns = needed[q.aggregation];
  // The org's ids among `ids` seen so far (a rollup or raw read answered for them).
  const known = new Set<number>();
  const hotBySeries = new Map<number, Map<number, HotSpan>>();
  if (resolutions.length) {
    // Hot rows first: a compaction committing after this read can only make a rollup read next
    // cover more, which these (older) hot rows then contradict (the day is read raw), never less.
    const dayHi = Math.floor(toMs / DAY_MS) * DAY_MS + DAY_MS;
    const hot = await sql.query<{ series_id: string | number; d: number | string; lo: number | string; hi: number | string }>(hotSql, [ids, clampMs(dayLo), clampMs(dayHi)]);
    for (const h of hot.rows) {
      const id = Number(h.series_id);
      let m = hotBySeries.get(id);
      if (!m) hotBySeries.set(id, (m = new Map()));
      m.set(Number(h.d) * DAY_MS, { minMs: Number(h.lo), maxMs: Number(h.hi) });
    }
    const first = resolutions[0]!;
    const fallback: { id: number; day: number }[] = [];
    // Decodes a series' row straight into its columns (series-rollups.ts); unless some days wait for
    // a fallback, they are final at once.
    const take = (id: number, bytes: Uint8Array, res: number, onInvalid?: (id: number, day: number) => void) => {
      known.add(id);
      let days = pending.get(id);
      let waits = days !== undefined;
      if (!days) held.push((days = new SeriesColumns(columns)));
      const unusable = onInvalid
        ? (day: number) => {
            onInvalid(id, day);
            waits = true;
          }
        : undefined;
      // The bytes are decoded here and dropped: one shared buffer (or reply) serves every series.
      days.addFramed(bytes, res, hotBySeries.get(id), unusable);
      if (waits) pending.set(id, days);
      else if (days.size) chosen.set(id, days.finish());
    };
    const st = first === HOUR_MS ? rollupStatements.rollups_1h : rollupStatements.rollups_5m;
    const onInvalid = resolutions.length > 1 ? (id: number, day: number) => fallback.push({ id, day }) : undefined;
    // Several statements at once on PostgreSQL: each part is decoded as soon as it arrives, while the
    // server still produces the next. Each (series, day) is still read after the hot rows and before
    // any raw read, which is all the ordering above needs.
    await Promise.all(
      shards(ids, sql.driver === 'postgres' ? ROLLUP_SHARDS : 1).map(async (part) => {
        await eachFramed(sql, st, [orgId, part, clampMs(first === HOUR_MS ? monthStartMs(dayLo) : dayLo), clampMs(toMs)], (id, bytes) => take(id, bytes, first, onInvalid));
      }),
    );
    if (fallback.length) {
      await eachFramed(sql, rollup5mPairs, [orgId, fallback.map((f) => f.id), fallback.map((f) => f.day)], (id, bytes) => take(id, bytes, FIVE_MIN_MS));
    }
    for (const [id, days] of pending) if (days.size) chosen.set(id, days.finish());
  }

  // Plan every series, then read the raw ranges grouped.
  const plans = new Map<number, SeriesPlan>();
  const rawRanges = new Map<number, MsRange[]>();
  for (const id of ids) {
    const days = chosen.get(id);
    const plan = days ? planRollups(fromMs, toMs, days, hotBySeries.get(id) ?? new Map(), needsSum) : { slices: [], raw: [[fromMs, toMs] as MsRange] };
    plans.set(id, plan);
    if (plan.raw.length) rawRanges.set(id, plan.raw);
  }
  const rawParts = new Map<number, PointArrays[]>();
  for (const g of groupRanges(rawRanges, GROUP_SLACK_MS)) {
    const got = await readPoints(sql, orgId, g.ids, { fromMs: g.range[0], toMs: g.range[1] });
    for (const [id, p] of got) {
      known.add(id);
      if (!p.timestampsMs.length) continue;
      let list = rawParts.get(id);
      if (!list) rawParts.set(id, (list = []));
      list.push(...pointsInRanges(p, rawRanges.get(id)!));
    }
  }

  const none: PointArrays = { timestampsMs: new Float64Array(0), values: new Float64Array(0) };
  for (const id of ids) {
    const plan = plans.get(id)!;
    // Unknown ids (another organisation's) read no rollup (the org check) and get no raw map entry.
    if (!known.has(id) && !plan.slices.length) continue;
    const parts = rawParts.get(id);
    out.set(id, combineBuckets(plan.slices, parts?.length ? concatPoints(parts) : none, q.stepMs, q.aggregation));
  }
  return out;
}
