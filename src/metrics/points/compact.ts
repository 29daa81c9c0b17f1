// Compaction (issue 18): moves the hot rows of closed windows into chunks and maintains the rollups of
// the days it touched. One compactor at a time; every batch is one REPEATABLE READ transaction that
// reads its hot rows packed (one aggregate a series) and then deletes the same rows under the same
// snapshot: exactly the rows deleted are compacted (a late row committed meanwhile is invisible to both
// and stays hot for the next run; a row changed meanwhile fails the DELETE with a serialization error and
// the batch starts over). Measured a third less PostgreSQL time than DELETE … RETURNING into an aggregate,
// whose materialised CTE spills to disk. It merges them into the window's existing chunk (the hot row
// wins on an equal timestamp: it is the newer write), writes the chunks and the rollups of every
// (series, UTC day) it touched.
//
// Rollups are kept incrementally: rollup buckets nest in windows, so a day's stored rollup keeps its
// buckets outside the windows rewritten now and takes new buckets for those. A day without a stored
// rollup row (sparse, or deleted by the write path after late data) is computed from all of its chunks.
import type { Sql } from '../../store/sql.js';
import { decodeChunk, encodeChunk } from '../../store/chunks/codec.js';
import { computeRollup, decodeRollup, encodeRollup, rollupWorthKeeping, type Rollup } from '../../store/chunks/rollup.js';
import { chooseChunkSeconds, COMPACTION_GRACE_MS, DAY_MS, DAY_S, dayStartMs, ROLLUP_RESOLUTIONS_MS, rollupTable, TWO_HOURS_S, windowStartMs, type ChunkSeconds } from '../../store/chunks/window.js';
import { ensurePartitions, forgetPartitions, missingPartitions, type PartitionedTable } from './partitions.js';
import { unpackPoints, unpackTimes } from './packed.js';
import { mergeNewerWins } from './arrays.js';

export interface CompactOptions {
  /** Windows that ended at least this long before `nowMs` are closed (ms); default COMPACTION_GRACE_MS. */
  graceMs?: number;
  /** Most hot points one transaction moves (a series with more is split by days); default 500,000. */
  batchPoints?: number;
}

export interface CompactResult {
  /** Hot rows moved into chunks. */
  points: number;
  /** Chunk rows written (new or merged). */
  chunks: number;
  /** Series that had closed windows compacted. */
  series: number;
  /** (series, UTC day) pairs whose rollups were brought up to date. */
  rollupDays: number;
  ms: number;
}

/** How many of the most recent hot timestamps the chunk_seconds choice looks at (their median spacing). */
const WIDTH_SAMPLE = 256;
const DEFAULT_BATCH_POINTS = 500_000;
/** A series' plan spanning more days than this pre-makes only its end partitions (the rest on demand). */
const PREMAKE_SPAN_DAYS = 31;

// ------------------------------------------------------------------------------------------------
// One compactor at a time

const running = new WeakSet<Sql>();

/**
 * Runs `fn` unless another compactor runs: in this process (same store object) or, on PostgreSQL, in
 * any process on the same schema (a transaction-level advisory lock held by an otherwise idle
 * transaction for the run; it takes no snapshot, so it holds back no vacuum). PGlite serves one process.
 */
async function exclusively(sql: Sql, fn: () => Promise<void>): Promise<boolean> {
  if (running.has(sql)) return false;
  running.add(sql);
  try {
    if (sql.driver === 'pglite') {
      await fn();
      return true;
    }
    return await sql.transaction(async (tx) => {
      const r = await tx.query<{ got: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('intentvision.compaction'), hashtext(current_schema())) AS got`);
      if (!r.rows[0]?.got) return false;
      await fn();
      return true;
    });
  } finally {
    running.delete(sql);
  }
}

// ------------------------------------------------------------------------------------------------
// Packed columns (string_agg of timestamptz_send / float8send): bytes instead of a row object a point



/**
 * Sorts points by time (string_agg's order is not guaranteed) and keeps one point a timestamp (the
 * last: only sub-millisecond rows could collide, and the store writes none). In place when sorted.
 */
function sortedUnique(t: Float64Array, v: Float64Array): { t: Float64Array; v: Float64Array } {
  let sorted = true;
  for (let i = 1; i < t.length && sorted; i++) sorted = t[i - 1]! < t[i]!;
  if (sorted) return { t, v };
  const order = new Uint32Array(t.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => t[a]! - t[b]! || a - b);
  const ot = new Float64Array(t.length);
  const ov = new Float64Array(t.length);
  let n = 0;
  for (const i of order) {
    if (n > 0 && ot[n - 1] === t[i]) n--;
    ot[n] = t[i]!;
    ov[n] = v[i]!;
    n++;
  }
  return { t: ot.subarray(0, n), v: ov.subarray(0, n) };
}

/** Merges two ascending point sets; on an equal timestamp `newer` wins. */
export function mergePoints(older: { t: Float64Array; v: Float64Array }, newer: { t: Float64Array; v: Float64Array }): { t: Float64Array; v: Float64Array } {
  const m = mergeNewerWins({ timestampsMs: older.t, values: older.v }, { timestampsMs: newer.t, values: newer.v });
  return { t: m.timestampsMs, v: m.values };
}

/** One buffer holding `parts` back to back, with each part's offset and length (for substring in SQL). */
function concat(parts: Uint8Array[]): { bytes: Buffer; offsets: number[]; lengths: number[] } {
  let total = 0;
  for (const p of parts) total += p.length;
  const bytes = Buffer.allocUnsafe(total);
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    offsets.push(at);
    lengths.push(p.length);
    at += p.length;
  }
  return { bytes, offsets, lengths };
}

// ------------------------------------------------------------------------------------------------
// Partitions

/** Thrown inside a batch when a partition it writes to does not exist: rolled back, made, retried. */
class MissingPartitions extends Error {
  constructor(readonly wanted: { table: PartitionedTable; keyMs: number }[]) {
    super('partitions missing');
  }
}

async function makePartitions(sql: Sql, wanted: { table: PartitionedTable; keyMs: number }[]): Promise<void> {
  const byTable = new Map<PartitionedTable, number[]>();
  for (const w of wanted) {
    const list = byTable.get(w.table) ?? [];
    list.push(w.keyMs);
    byTable.set(w.table, list);
  }
  for (const [table, keys] of byTable) await ensurePartitions(sql, table, keys);
}

/** Inside a batch: throws MissingPartitions unless every partition of `wanted` exists. */
async function checkPartitions(tx: Sql, store: Sql, wanted: { table: PartitionedTable; keyMs: number }[]): Promise<void> {
  const missing = await missingPartitions(tx, store, wanted);
  if (missing.length) throw new MissingPartitions(missing);
}

// ------------------------------------------------------------------------------------------------
// Planning

/** Rows before these instants (ms) lie in closed windows: per window width. */
interface Closed {
  twoHoursMs: number;
  dayMs: number;
}

const closedWhere = `p.ts < to_timestamp($1::float8 / 1000) AND s.chunk_seconds IS NOT NULL
  AND p.ts < CASE s.chunk_seconds WHEN ${TWO_HOURS_S} THEN to_timestamp($1::float8 / 1000) ELSE to_timestamp($2::float8 / 1000) END`;

/** Stores chunk_seconds of the series that have hot rows older than the cutoff and none yet. */
async function chooseWidths(sql: Sql, cutoffMs: number): Promise<void> {
  const r = await sql.query<{ id: number; ts: Uint8Array }>(
    `SELECT s.id, (SELECT string_agg(timestamptz_send(x.ts), ''::bytea)
                     FROM (SELECT ts FROM points p WHERE p.series_id = s.id ORDER BY ts DESC LIMIT ${WIDTH_SAMPLE}) x) AS ts
     FROM series s
     WHERE s.chunk_seconds IS NULL AND EXISTS (SELECT 1 FROM points p WHERE p.series_id = s.id AND p.ts < to_timestamp($1::float8 / 1000))`,
    [cutoffMs],
  );
  if (!r.rows.length) return;
  const ids: number[] = [];
  const widths: number[] = [];
  for (const row of r.rows) {
    const t = unpackTimes(row.ts).sort();
    ids.push(Number(row.id));
    widths.push(chooseChunkSeconds(t));
  }
  // Only where still unset: a width, once chosen, is kept (every chunk of the series uses it).
  await sql.query(
    `UPDATE series SET chunk_seconds = u.w FROM unnest($1::bigint[], $2::int[]) AS u(id, w) WHERE series.id = u.id AND series.chunk_seconds IS NULL`,
    [ids, widths],
  );
}

/** One transaction's share: series lo..hi, rows with fromMs ≤ ts < toMs (day-aligned or infinite). */
interface Batch {
  lo: number;
  hi: number;
  fromMs: number;
  toMs: number;
}

interface PlanRow {
  id: number;
  n: number;
  firstMs: number;
  lastMs: number;
}

/** Splits the closed hot rows into batches of at most `max` points (a single day of one series may exceed it). */
export function planBatches(rows: readonly PlanRow[], max: number): Batch[] {
  const out: Batch[] = [];
  let cur: Batch | null = null;
  let curN = 0;
  for (const r of rows) {
    if (cur && curN + r.n <= max) {
      cur.hi = r.id;
      curN += r.n;
      continue;
    }
    if (cur) out.push(cur);
    cur = null;
    curN = 0;
    if (r.n <= max) {
      cur = { lo: r.id, hi: r.id, fromMs: -Infinity, toMs: Infinity };
      curN = r.n;
      continue;
    }
    // A series with more closed rows than a batch: split its time span by days, evenly by count
    // as far as an even spread allows (windows nest in days, so no window is split).
    const firstDay = dayStartMs(r.firstMs);
    const days = (dayStartMs(r.lastMs) - firstDay) / DAY_MS + 1;
    const parts = Math.min(days, Math.ceil(r.n / max));
    for (let k = 0; k < parts; k++) {
      const from = k === 0 ? -Infinity : firstDay + Math.floor((k * days) / parts) * DAY_MS;
      const to = k === parts - 1 ? Infinity : firstDay + Math.floor(((k + 1) * days) / parts) * DAY_MS;
      out.push({ lo: r.id, hi: r.id, fromMs: from, toMs: to });
    }
  }
  if (cur) out.push(cur);
  return out;
}

// ------------------------------------------------------------------------------------------------
// One batch

interface Window {
  startMs: number;
  t: Float64Array;
  v: Float64Array;
}

interface SeriesWork {
  id: number;
  width: ChunkSeconds;
  /** Windows written in this batch, ascending, with all of their points (hot merged into the old chunk). */
  windows: Window[];
}

interface BatchResult {
  points: number;
  chunks: number;
  /** Ids of the series compacted. */
  series: number[];
  rollupDays: number;
}

async function compactBatch(tx: Sql, store: Sql, b: Batch, closed: Closed): Promise<BatchResult> {
  const upper = Math.min(b.toMs, closed.twoHoursMs);
  // First statement: the SELECT and the DELETE below share this transaction's one snapshot.
  await tx.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
  // A batch's packed points are aggregated in memory, not spilled to disk.
  await tx.query(`SET LOCAL work_mem = '64MB'`);
  const params = [upper, Math.min(upper, closed.dayMs), b.lo, b.hi, b.fromMs];
  // One 16-byte record a point (one aggregate, not two), as base64 text: 1.33 bytes a byte on the wire
  // instead of bytea's 2 (hex), and Node decodes base64 about 5× faster than hex.
  const moved = await tx.query<{ series_id: number; chunk_seconds: number; tv: string }>(
    `SELECT p.series_id, s.chunk_seconds, encode(string_agg(timestamptz_send(p.ts) || float8send(p.value), ''::bytea), 'base64') AS tv
     FROM points p JOIN series s ON s.id = p.series_id AND p.series_id BETWEEN $3 AND $4 AND p.ts >= to_timestamp($5::float8 / 1000) AND ${closedWhere}
     GROUP BY p.series_id, s.chunk_seconds`,
    params,
  );
  if (!moved.rows.length) return { points: 0, chunks: 0, series: [], rollupDays: 0 };
  const packed = moved.rows.map((row) => Buffer.from(row.tv, 'base64'));
  let selected = 0;
  for (const b of packed) selected += b.byteLength >>> 4;
  // The same rows by the series read and their widths (fixed once chosen): no join to `series`,
  // measured a quarter faster than the DELETE … USING series.
  const byWidth = (twoHours: boolean) => moved.rows.filter((r) => (Number(r.chunk_seconds) === TWO_HOURS_S) === twoHours).map((r) => Number(r.series_id));
  const deleted = await tx.query(
    `DELETE FROM points p WHERE p.series_id BETWEEN $3 AND $4 AND p.ts >= to_timestamp($5::float8 / 1000)
       AND (p.series_id = ANY($6::bigint[]) AND p.ts < to_timestamp($1::float8 / 1000) OR p.series_id = ANY($7::bigint[]) AND p.ts < to_timestamp($2::float8 / 1000))`,
    [...params, byWidth(true), byWidth(false)],
  );
  // Same snapshot, same rows: anything else would lose points, so it rolls the batch back.
  if (deleted.rowCount !== selected) throw new Error(`compaction deleted ${deleted.rowCount} hot rows but read ${selected}`);

  // Hot points per series, sorted, cut into windows.
  let points = 0;
  const work: SeriesWork[] = [];
  const windowStarts = new Set<number>();
  for (const [k, row] of moved.rows.entries()) {
    const width = Number(row.chunk_seconds) as ChunkSeconds;
    const p = unpackPoints(packed[k]!);
    const hot = sortedUnique(p.t, p.v);
    points += hot.t.length;
    const windows: Window[] = [];
    for (let i = 0; i < hot.t.length; ) {
      const startMs = windowStartMs(hot.t[i]!, width);
      const endMs = startMs + width * 1000;
      let j = i + 1;
      while (j < hot.t.length && hot.t[j]! < endMs) j++;
      windows.push({ startMs, t: hot.t.subarray(i, j), v: hot.v.subarray(i, j) });
      windowStarts.add(startMs);
      i = j;
    }
    work.push({ id: Number(row.series_id), width, windows });
  }
  work.sort((a, b) => a.id - b.id);
  const ids = work.map((w) => w.id);

  // Every partition written below must exist (made outside this transaction when not).
  const days = new Set<number>([...windowStarts].map(dayStartMs));
  await checkPartitions(tx, store, [
    ...[...days].map((d) => ({ table: 'chunks' as const, keyMs: d })),
    ...[...days].flatMap((d) => ROLLUP_RESOLUTIONS_MS.map((res) => ({ table: rollupTable[res], keyMs: d }))),
  ]);

  // Merge with the chunks these windows already have (late data), locked until commit.
  const existing = await tx.query<{ series_id: number; window_start: Date; data: Uint8Array }>(
    `SELECT series_id, window_start, data FROM chunks WHERE series_id = ANY($1::bigint[]) AND window_start = ANY($2::timestamptz[])
     ORDER BY series_id, window_start FOR UPDATE`,
    [ids, [...windowStarts].map((ms) => new Date(ms).toISOString())],
  );
  const old = new Map<string, Uint8Array>();
  for (const r of existing.rows) old.set(`${Number(r.series_id)}:${new Date(r.window_start).getTime()}`, r.data);
  const chunkRows: { id: number; startMs: number; t: Float64Array; bytes: Uint8Array }[] = [];
  for (const s of work) {
    for (const w of s.windows) {
      const prior = old.get(`${s.id}:${w.startMs}`);
      if (prior) {
        const d = decodeChunk(prior);
        const merged = mergePoints({ t: d.timestampsMs, v: d.values }, w);
        w.t = merged.t;
        w.v = merged.v;
      }
      chunkRows.push({ id: s.id, startMs: w.startMs, t: w.t, bytes: encodeChunk(w.t, w.v) });
    }
  }
  const chunkBytes = concat(chunkRows.map((c) => c.bytes));
  await tx.query(
    `INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data)
     SELECT u.id, to_timestamp(u.ws / 1000), to_timestamp(u.f / 1000), to_timestamp(u.l / 1000), u.n, substring($6::bytea FROM u.o + 1 FOR u.len)
     FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::float8[], $5::int[], $7::int[], $8::int[]) AS u(id, ws, f, l, n, o, len)
     ON CONFLICT (series_id, window_start) DO UPDATE SET first_ts = EXCLUDED.first_ts, last_ts = EXCLUDED.last_ts, n = EXCLUDED.n, data = EXCLUDED.data`,
    [
      chunkRows.map((c) => c.id),
      chunkRows.map((c) => c.startMs),
      chunkRows.map((c) => c.t[0]!),
      chunkRows.map((c) => c.t[c.t.length - 1]!),
      chunkRows.map((c) => c.t.length),
      chunkBytes.bytes,
      chunkBytes.offsets,
      chunkBytes.lengths,
    ],
  );

  const rollupDays = await updateRollups(tx, work);
  return { points, chunks: chunkRows.length, series: ids, rollupDays };
}

// ------------------------------------------------------------------------------------------------
// Rollups of the touched days

/** One touched (series, day) and the windows of it written now (all of their points). */
interface DayWork {
  id: number;
  width: ChunkSeconds;
  dayMs: number;
  windows: Window[];
}

/** `r`'s buckets restricted to those whose start satisfies `keep`. */
function filterRollup(r: Rollup, keep: (startMs: number) => boolean): Rollup {
  const idx: number[] = [];
  for (let i = 0; i < r.startsMs.length; i++) if (keep(r.startsMs[i]!)) idx.push(i);
  const pick = (a: Float64Array) => Float64Array.from(idx, (i) => a[i]!);
  return { startsMs: pick(r.startsMs), min: pick(r.min), max: pick(r.max), sum: pick(r.sum), count: pick(r.count), last: pick(r.last) };
}

/** Two rollups with disjoint buckets, as one in start order. */
function mergeRollups(a: Rollup, b: Rollup): Rollup {
  const n = a.startsMs.length + b.startsMs.length;
  const out: Rollup = { startsMs: new Float64Array(n), min: new Float64Array(n), max: new Float64Array(n), sum: new Float64Array(n), count: new Float64Array(n), last: new Float64Array(n) };
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const [src, at] = j >= b.startsMs.length || (i < a.startsMs.length && a.startsMs[i]! < b.startsMs[j]!) ? [a, i++] : [b, j++];
    out.startsMs[k] = src.startsMs[at]!;
    out.min[k] = src.min[at]!;
    out.max[k] = src.max[at]!;
    out.sum[k] = src.sum[at]!;
    out.count[k] = src.count[at]!;
    out.last[k] = src.last[at]!;
  }
  return out;
}

/** Points of ascending, disjoint windows as one pair of arrays. */
function joinWindows(windows: readonly { t: Float64Array; v: Float64Array }[]): { t: Float64Array; v: Float64Array } {
  if (windows.length === 1) return windows[0]!;
  // Consecutive views of one pair of arrays (a series' hot points, no old chunk merged): one view, no copy.
  const first = windows[0]!;
  const last = windows[windows.length - 1]!;
  let adjacent = true;
  for (let k = 1; k < windows.length && adjacent; k++) {
    const a = windows[k - 1]!;
    const b = windows[k]!;
    adjacent = b.t.buffer === first.t.buffer && b.v.buffer === first.v.buffer && b.t.byteOffset === a.t.byteOffset + a.t.byteLength && b.v.byteOffset === a.v.byteOffset + a.v.byteLength;
  }
  if (adjacent) {
    const len = (last.t.byteOffset + last.t.byteLength - first.t.byteOffset) >>> 3;
    return { t: new Float64Array(first.t.buffer, first.t.byteOffset, len), v: new Float64Array(first.v.buffer, first.v.byteOffset, len) };
  }
  let n = 0;
  for (const w of windows) n += w.t.length;
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let at = 0;
  for (const w of windows) {
    t.set(w.t, at);
    v.set(w.v, at);
    at += w.t.length;
  }
  return { t, v };
}

const dayKey = (id: number, dayMs: number) => `${id}:${dayMs}`;

async function updateRollups(tx: Sql, work: readonly SeriesWork[]): Promise<number> {
  const days: DayWork[] = [];
  for (const s of work) {
    for (const w of s.windows) {
      const dayMs = dayStartMs(w.startMs);
      const last = days[days.length - 1];
      if (last && last.id === s.id && last.dayMs === dayMs) last.windows.push(w);
      else days.push({ id: s.id, width: s.width, dayMs, windows: [w] });
    }
  }
  const ids = [...new Set(days.map((d) => d.id))];
  const dayList = [...new Set(days.map((d) => d.dayMs))];
  const dayParams = dayList.map((ms) => new Date(ms).toISOString());

  // The stored rollups of the touched days.
  const stored = new Map<string, Map<number, Uint8Array>>();
  for (const res of ROLLUP_RESOLUTIONS_MS) {
    const r = await tx.query<{ series_id: number; day: Date; data: Uint8Array }>(
      `SELECT series_id, day, data FROM ${rollupTable[res]} WHERE series_id = ANY($1::bigint[]) AND day = ANY($2::timestamptz[])`,
      [ids, dayParams],
    );
    for (const row of r.rows) {
      const k = dayKey(Number(row.series_id), new Date(row.day).getTime());
      const m = stored.get(k) ?? new Map<number, Uint8Array>();
      m.set(res, row.data);
      stored.set(k, m);
    }
  }

  // Days lacking a stored rollup and holding windows not written now: read their other chunks.
  const others = new Map<string, Window[]>();
  const incomplete = days.filter((d) => (stored.get(dayKey(d.id, d.dayMs))?.size ?? 0) < ROLLUP_RESOLUTIONS_MS.length && d.windows.length < DAY_S / d.width);
  if (incomplete.length) {
    const starts = new Set<number>();
    for (const d of incomplete) for (let ws = d.dayMs; ws < d.dayMs + DAY_MS; ws += d.width * 1000) starts.add(ws);
    const written = new Set(incomplete.flatMap((d) => d.windows.map((w) => `${d.id}:${w.startMs}`)));
    const wanted = new Set(incomplete.map((d) => dayKey(d.id, d.dayMs)));
    const r = await tx.query<{ series_id: number; window_start: Date; data: Uint8Array }>(
      `SELECT series_id, window_start, data FROM chunks WHERE series_id = ANY($1::bigint[]) AND window_start = ANY($2::timestamptz[])`,
      [[...new Set(incomplete.map((d) => d.id))], [...starts].map((ms) => new Date(ms).toISOString())],
    );
    for (const row of r.rows) {
      const id = Number(row.series_id);
      const ws = new Date(row.window_start).getTime();
      const k = dayKey(id, dayStartMs(ws));
      if (!wanted.has(k) || written.has(`${id}:${ws}`)) continue;
      const d = decodeChunk(row.data);
      const list = others.get(k) ?? [];
      list.push({ startMs: ws, t: d.timestampsMs, v: d.values });
      others.set(k, list);
    }
  }

  // Per resolution: rows to upsert and (series, day) pairs whose rollup is not worth a row.
  const upserts = new Map<number, { id: number; dayMs: number; bytes: Uint8Array }[]>();
  const deletes = new Map<number, { id: number; dayMs: number }[]>();
  for (const res of ROLLUP_RESOLUTIONS_MS) {
    upserts.set(res, []);
    deletes.set(res, []);
  }
  for (const d of days) {
    const k = dayKey(d.id, d.dayMs);
    const have = stored.get(k);
    const fresh = joinWindows(d.windows);
    // All of the day's points (its other chunks too), joined once for every resolution lacking a row.
    let whole: { t: Float64Array; v: Float64Array } | undefined;
    for (const res of ROLLUP_RESOLUTIONS_MS) {
      let r: Rollup;
      const prior = have?.get(res);
      if (prior) {
        // Buckets of the windows written now are replaced; the others stand (they nest in windows).
        const rewritten = new Set(d.windows.map((w) => w.startMs));
        const kept = filterRollup(decodeRollup(prior), (startMs) => !rewritten.has(windowStartMs(startMs, d.width)));
        r = mergeRollups(kept, computeRollup(fresh.t, fresh.v, res));
      } else {
        const other = others.get(k);
        whole ??= other?.length ? joinWindows([...other, ...d.windows].sort((a, b) => a.startMs - b.startMs)) : fresh;
        r = computeRollup(whole.t, whole.v, res);
      }
      if (rollupWorthKeeping(r)) upserts.get(res)!.push({ id: d.id, dayMs: d.dayMs, bytes: encodeRollup(r) });
      else if (prior) deletes.get(res)!.push({ id: d.id, dayMs: d.dayMs });
    }
  }

  for (const res of ROLLUP_RESOLUTIONS_MS) {
    const table = rollupTable[res];
    const up = upserts.get(res)!;
    if (up.length) {
      const packed = concat(up.map((u) => u.bytes));
      await tx.query(
        `INSERT INTO ${table} (series_id, day, data)
         SELECT u.id, to_timestamp(u.d / 1000), substring($3::bytea FROM u.o + 1 FOR u.len)
         FROM unnest($1::bigint[], $2::float8[], $4::int[], $5::int[]) AS u(id, d, o, len)
         ON CONFLICT (series_id, day) DO UPDATE SET data = EXCLUDED.data`,
        [up.map((u) => u.id), up.map((u) => u.dayMs), packed.bytes, packed.offsets, packed.lengths],
      );
    }
    const del = deletes.get(res)!;
    if (del.length) {
      await tx.query(
        `DELETE FROM ${table} r USING unnest($1::bigint[], $2::float8[]) AS u(id, d)
         WHERE r.series_id = ANY($1::bigint[]) AND r.day = ANY($3::timestamptz[]) AND r.series_id = u.id AND r.day = to_timestamp(u.d / 1000)`,
        [del.map((x) => x.id), del.map((x) => x.dayMs), [...new Set(del.map((x) => new Date(x.dayMs).toISOString()))]],
      );
    }
  }
  return days.length;
}

// ------------------------------------------------------------------------------------------------

/**
 * Compacts every closed window (ended at least `graceMs` before `nowMs`) of every series: its hot rows
 * become (or are merged into) the window's chunk, and the rollups of each touched (series, UTC day)
 * follow. Chooses and stores `series.chunk_seconds` for series compacted the first time. When another
 * compactor is running, does nothing and returns zeros.
 */
export async function compactClosedWindows(sql: Sql, nowMs: number, options: CompactOptions = {}): Promise<CompactResult> {
  const t0 = performance.now();
  const total = { points: 0, chunks: 0, rollupDays: 0 };
  const series = new Set<number>();
  const cutoffMs = nowMs - (options.graceMs ?? COMPACTION_GRACE_MS);
  const closed: Closed = { twoHoursMs: windowStartMs(cutoffMs, TWO_HOURS_S), dayMs: windowStartMs(cutoffMs, DAY_S) };
  await exclusively(sql, async () => {
    await chooseWidths(sql, cutoffMs);
    // Counts per series without the join to `series` (half the cost): rows of day-width series in
    // the still open day count too, which only makes batches smaller than they could be.
    const plan = await sql.query<{ series_id: number; n: number; first_ms: number; last_ms: number }>(
      `SELECT series_id, count(*) AS n,
              floor(extract(epoch FROM min(ts)) * 1000)::float8 AS first_ms, floor(extract(epoch FROM max(ts)) * 1000)::float8 AS last_ms
       FROM points WHERE ts < to_timestamp($1::float8 / 1000)
       GROUP BY series_id ORDER BY series_id`,
      [closed.twoHoursMs],
    );
    if (!plan.rows.length) return;
    // Day-width series whose rows all lie in the still open day have nothing to compact yet.
    const dayWide = await sql.query<{ id: number }>(`SELECT id FROM series WHERE id = ANY($1::bigint[]) AND chunk_seconds = ${DAY_S}`, [plan.rows.map((r) => r.series_id)]);
    const daily = new Set(dayWide.rows.map((r) => Number(r.id)));
    const rows = plan.rows
      .map((r) => ({ id: Number(r.series_id), n: Number(r.n), firstMs: Number(r.first_ms), lastMs: Math.min(Number(r.last_ms), daily.has(Number(r.series_id)) ? closed.dayMs - 1 : Infinity) }))
      .filter((r) => r.firstMs <= r.lastMs);
    if (!rows.length) return;
    // Make the partitions the plan needs up front (late rows of other days: on demand, see below).
    const days = new Set<number>();
    for (const r of rows) {
      const first = dayStartMs(r.firstMs);
      const last = dayStartMs(r.lastMs);
      if ((last - first) / DAY_MS > PREMAKE_SPAN_DAYS) days.add(first).add(last);
      else for (let d = first; d <= last; d += DAY_MS) days.add(d);
    }
    await makePartitions(sql, [...days].flatMap((d) => [{ table: 'chunks' as const, keyMs: d }, ...ROLLUP_RESOLUTIONS_MS.map((res) => ({ table: rollupTable[res], keyMs: d }))]));

    for (const batch of planBatches(rows, options.batchPoints ?? DEFAULT_BATCH_POINTS)) {
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await sql.transaction((tx) => compactBatch(tx, sql, batch, closed));
          total.points += r.points;
          total.chunks += r.chunks;
          for (const id of r.series) series.add(id);
          total.rollupDays += r.rollupDays;
          break;
        } catch (err) {
          if (attempt >= 3) throw err;
          // A partition missing or dropped meanwhile (another process' retention): forget which
          // partitions this store knew, make it again and retry.
          if (err instanceof MissingPartitions) {
            forgetPartitions(sql);
            await makePartitions(sql, err.wanted);
          } else if ((err as { code?: string }).code === '23514') forgetPartitions(sql);
          // A writer locking the same chunk and hot rows in the other order (40P01), or changing a hot
          // row or chunk of this batch after its snapshot (40001): the batch starts over.
          else if (!['40P01', '40001'].includes((err as { code?: string }).code ?? '')) throw err;
        }
      }
    }
  });
  return { ...total, series: series.size, ms: performance.now() - t0 };
}
