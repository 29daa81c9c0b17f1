// Compaction (issue 18): moves the hot rows of closed windows into chunks and maintains the rollups of
// the days it touched. One compactor at a time. First the closed two-hour slots of the hot table
// (hot-partitions.ts), oldest first, up to a day of them in one transaction that locks them SHARE before
// its snapshot (no write can reach them until the commit), reads them together in batches of series ids
// and empties them with TRUNCATE. Then the default partition: every batch is one REPEATABLE READ transaction that
// reads its hot rows packed (one aggregate a series) and then deletes the same rows under the same
// snapshot: exactly the rows deleted are compacted (a late row committed meanwhile is invisible to both
// and stays hot for the next run; a row changed meanwhile fails the DELETE with a serialization error and
// the batch starts over). Measured a third less PostgreSQL time than DELETE … RETURNING into an aggregate,
// whose materialised CTE spills to disk. It merges them into the window's existing chunk (the hot row
// wins on an equal timestamp: it is the newer write), writes the chunks and the rollups of every
// (series, UTC day) it touched.
//
// The default partition is analysed first when its statistics lag (analyzeIfStale): batch sizes and the
// sweep below rest on the planner's estimates. A backfill (at least SWEEP_MIN_ROWS closed rows in the
// default partition, by the planner) is swept instead: its batches only read and write chunks, and the
// run ends by removing the rows they took in one statement, TRUNCATE when that is every row there
// (sweepDefault). Until then a swept point is both hot and in its chunk, which every reader already
// resolves (the hot row wins), and a run stopped midway is repeated by the next one without harm.
//
// Batches are ranges of series ids sized from the planner's estimates (no counting pass over the hot
// table first). A series compacted for the first time gets its window width from the points its batch
// reads (stored in the same transaction as its first chunks), and has no chunk or rollup to merge with.
//
// Rollups are kept incrementally: rollup buckets nest in windows, so a day's stored rollup keeps its
// buckets outside the windows rewritten now and takes new buckets for those. A day without a stored
// rollup (sparse, or its 5-minute row deleted by the write path after late data) is computed from all of
// its chunks. 5-minute rollups are one row a (series, day); 1-hour rollups one row a (series, month)
// keyed by the month's first day, holding its closed days (and the first day), plus a row of its own for
// a day still open: a year at 1 h is 12–13 rows a series, and the month row is rewritten once a day. A
// month row that would pass ROLLUP_ROW_BYTES (noisy 5-minute data) is written as runs of days instead,
// the first keyed by the month's first day, the others by their last day (monthRuns).
import { float8Array, int8Array, timestamptzArray, type Sql } from '../../store/sql.js';
import { int8Of } from '../../store/wire.js';
import { decodeChunk, encodeChunk } from '../../store/chunks/codec.js';
import { computeRollup, decodeRollup, encodeRollup, rollupWorthKeeping, type Rollup } from '../../store/chunks/rollup.js';
import { chooseChunkSeconds, COMPACTION_GRACE_MS, DENSE_POINTS_PER_2H, MIN_POINTS_PER_BUCKET, DAY_MS, DAY_S, dayStartMs, monthBoundsMs, ROLLUP_RESOLUTIONS_MS, rollupTable, TWO_HOURS_S, windowStartMs, type ChunkSeconds } from '../../store/chunks/window.js';
import { ensurePartitions, forgetPartitions, listPartitions, missingPartitions, unlessBlocked, type Partition, type PartitionedTable } from './partitions.js';
import { PACK_BYTES, packRuns } from './chunk-pack.js';
import { HOT_LOCK_TIMEOUT_MS, listHotPartitions } from './hot-partitions.js';
import { unpackPoints } from './packed.js';
import { sortedUnique } from './sort-points.js';
import { earnsRollup } from './rollup-worth.js';
import { lowerBound, mergeNewerWins } from './arrays.js';
import { mergeDays } from './series-rollups.js';

export interface CompactOptions {
  /** Windows that ended at least this long before `nowMs` are closed (ms); default COMPACTION_GRACE_MS. */
  graceMs?: number;
  /** Most hot points one transaction moves (a series with more is split by days); default 1,000,000. */
  batchPoints?: number;
  /** How long emptying a slot waits for TRUNCATE's lock before it deletes the rows instead (ms); default HOT_LOCK_TIMEOUT_MS. */
  truncateLockTimeoutMs?: number;
  /**
   * From this many closed rows in the default partition (the planner's estimate) on, its batches leave
   * their rows and the run sweeps the partition at its end (sweepDefault); default SWEEP_MIN_ROWS.
   */
  sweepMinRows?: number;
  /** Called after each batch of the default partition has committed (progress; tests write between batches). */
  afterBatch?: () => Promise<void>;
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
  /** False when another compactor held the lock: this run did nothing. */
  ran: boolean;
}

/**
 * A batch's transaction: one snapshot for all of its statements; its packed points (16 MB a million)
 * aggregated in memory, not spilled to disk; no parallel workers (a background job: they add CPU, not
 * throughput).
 */
const batchSettings = `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET LOCAL work_mem = '128MB'; SET LOCAL max_parallel_workers_per_gather = 0`;

/** How many of the most recent hot timestamps the chunk_seconds choice looks at (their median spacing). */
const WIDTH_SAMPLE = 256;
/**
 * Hot rows arrive in time order, so a batch's series range is spread over every page of the hot table
 * and each batch's SELECT and DELETE scan all of it: over 1M scrape-shaped rows one batch took 0.72
 * PostgreSQL CPU-seconds for the two statements where two batches of 500,000 took about 0.95.
 */
const DEFAULT_BATCH_POINTS = 1_000_000;

// ------------------------------------------------------------------------------------------------
// One compactor at a time

const running = new WeakSet<Sql>();

/**
 * Runs `fn` unless another compactor runs: in this process (same store object) or, on PostgreSQL, in
 * any process on the same schema (a transaction-level advisory lock held by an otherwise idle
 * transaction for the run; it takes no snapshot, so it holds back no vacuum). PGlite serves one process.
 * False, with `fn` not run, when the lock is taken. Also for partition upkeep (partition-merge.ts).
 */
export async function withCompactionLock(sql: Sql, fn: () => Promise<void>): Promise<boolean> {
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
// Points (unpacked from string_agg of timestamptz_send / float8send, sorted by sort-points.ts)

/** A series' hot points as the packing SELECT returns them (16-byte records, packed.ts). */
interface PackedHot {
  seriesId: number;
  chunkSeconds: number | null;
  tv: Uint8Array;
}

/**
 * The packing SELECT (columns series_id int8, chunk_seconds int8, tv bytea): in binary on the
 * embedded store (Sql.queryBinary: 0.50–0.58 against 0.56–0.67 CPU s per million points as hex text,
 * 2–4% of a whole compaction), else as `query` returns it.
 */
async function packedHotRows(tx: Sql, text: string, params: number[]): Promise<PackedHot[]> {
  if (tx.queryBinary) {
    const rows = await tx.queryBinary(text, params);
    return rows.map((r) => ({ seriesId: int8Of(r[0]!), chunkSeconds: r[1] ? int8Of(r[1]) : null, tv: r[2]! }));
  }
  const r = await tx.query<{ series_id: number | string; chunk_seconds: number | string | null; tv: Uint8Array }>(text, params);
  return r.rows.map((x) => ({ seriesId: Number(x.series_id), chunkSeconds: x.chunk_seconds === null ? null : Number(x.chunk_seconds), tv: x.tv }));
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
// Batches

/** Rows before these instants (ms) lie in closed windows: per window width. */
interface Closed {
  twoHoursMs: number;
  dayMs: number;
}

/**
 * One batch: the closed hot rows of series lo..hi with fromMs ≤ ts < toMs (day-aligned or infinite) in
 * the default partition, read and deleted in a transaction of its own; or, with `slots`, every row of
 * series lo..hi in those closed two-hour partitions, read inside their transaction (compactSlots),
 * which empties them with TRUNCATE after its last batch.
 */
interface Batch {
  lo: number;
  hi: number;
  fromMs: number;
  toMs: number;
  slots?: readonly string[];
  /** The run sweeps the default partition at its end: this batch deletes none of its rows. */
  keepHot?: boolean;
  /** The default partition's rows lie grouped by series (clusteredBySeries): read series by series. */
  perSeries?: boolean;
}

/** The rows of `slots` as one relation (a name, or a UNION ALL whose branches get the batch's filter). */
const slotSource = (slots: readonly string[]) => (slots.length === 1 ? slots[0]! : `(${slots.map((x) => `SELECT series_id, ts, value FROM ${x}`).join(' UNION ALL ')})`);

/**
 * Series ids the next batch spans: `batchPoints` at `pointsPerId` closed hot rows an id (at least one
 * id). The rate comes from the planner's estimate and the batches already read, so it is a bound from
 * statistics, not a count: no pass over the hot table before the batches.
 */
export function batchSpan(batchPoints: number, pointsPerId: number): number {
  return Math.max(1, Math.floor(batchPoints / Math.max(pointsPerId, Number.MIN_VALUE)));
}

/**
 * The planner's estimate of the hot rows of series lo..hi before `beforeMs` in `table` (the default
 * partition or a slot; statistics only, nothing scanned).
 */
async function estimateRows(sql: Sql, beforeMs: number, lo: number, hi: number, table = 'points_default'): Promise<number> {
  return plannedRows(sql, `SELECT 1 FROM ${table} WHERE series_id BETWEEN ${Math.trunc(lo)} AND ${Math.trunc(hi)} AND ts < '${new Date(beforeMs).toISOString()}'::timestamptz`);
}

/** The rows the planner expects `select` to return (EXPLAIN: statistics or the table's size, nothing scanned). */
async function plannedRows(sql: Sql, select: string): Promise<number> {
  const r = await sql.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${select}`);
  const raw = r.rows[0]?.['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: { 'Plan Rows': number } }[];
  return Number(plan[0]?.Plan['Plan Rows'] ?? 0);
}

/**
 * Day-aligned slices of one series' closed rows between `firstMs` and `lastMs` for about `rows` rows in
 * `parts` batches (windows nest in days, so no window is split; the first and last slices are open-ended).
 */
export function daySlices(firstMs: number, lastMs: number, parts: number): { fromMs: number; toMs: number }[] {
  const firstDay = dayStartMs(firstMs);
  const days = (dayStartMs(lastMs) - firstDay) / DAY_MS + 1;
  const n = Math.max(1, Math.min(days, parts));
  const out: { fromMs: number; toMs: number }[] = [];
  for (let k = 0; k < n; k++) {
    out.push({
      fromMs: k === 0 ? -Infinity : firstDay + Math.floor((k * days) / n) * DAY_MS,
      toMs: k === n - 1 ? Infinity : firstDay + Math.floor(((k + 1) * days) / n) * DAY_MS,
    });
  }
  return out;
}

/**
 * The next batches from series `from` on: `span` ids, fewer while the planner expects more than twice
 * `batchPoints` rows of them; one series expected to hold more than `batchPoints` is cut by days
 * (its first and last closed timestamps found through the primary key).
 */
async function nextBatches(sql: Sql, from: number, hi: number, span: number, batchPoints: number, closed: Closed): Promise<Batch[]> {
  let to = Math.min(hi, from + span - 1);
  let expected = await estimateRows(sql, closed.twoHoursMs, from, to);
  while (to > from && expected > 2 * batchPoints) {
    to = from + Math.floor((to - from) / 2);
    expected = await estimateRows(sql, closed.twoHoursMs, from, to);
  }
  if (to > from || expected <= batchPoints) return [{ lo: from, hi: to, fromMs: -Infinity, toMs: Infinity }];
  const r = await sql.query<{ first_ms: number | null; last_ms: number | null }>(
    `SELECT floor(extract(epoch FROM min(ts)) * 1000)::float8 AS first_ms, floor(extract(epoch FROM max(ts)) * 1000)::float8 AS last_ms
     FROM points_default WHERE series_id = $1 AND ts < to_timestamp($2::float8 / 1000)`,
    [from, closed.twoHoursMs],
  );
  const first = r.rows[0]?.first_ms;
  const last = r.rows[0]?.last_ms;
  if (first === null || first === undefined || last === null || last === undefined) return [{ lo: from, hi: from, fromMs: -Infinity, toMs: Infinity }];
  return daySlices(Number(first), Number(last), Math.ceil(expected / batchPoints)).map((x) => ({ lo: from, hi: from, ...x }));
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
  /** Compacted for the first time (its width chosen now): it has no chunk or rollup yet. */
  first: boolean;
}

interface BatchResult {
  points: number;
  chunks: number;
  /** Ids of the series compacted. */
  series: number[];
  rollupDays: number;
  /** Hot rows the SELECT read (compacted or left for the open day of a new day-width series). */
  read: number;
}

/** A series' oldest hot timestamps (WIDTH_SAMPLE at most), ascending. */
async function firstHotTimes(tx: Sql, id: number): Promise<Float64Array> {
  const r = await tx.query<{ t: number }>(
    `SELECT (extract(epoch FROM ts) * 1000)::float8 AS t FROM points WHERE series_id = $1 ORDER BY ts LIMIT ${WIDTH_SAMPLE}`,
    [id],
  );
  return Float64Array.from(r.rows, (row) => Number(row.t));
}

/** The width of a new series: from the spacing of its newest closed points (at most WIDTH_SAMPLE). */
function widthOf(t: Float64Array): ChunkSeconds {
  return chooseChunkSeconds(t.subarray(Math.max(0, t.length - WIDTH_SAMPLE)));
}

async function compactBatch(tx: Sql, store: Sql, b: Batch, all: Closed): Promise<BatchResult> {
  // The batch's time slice ends the closed ranges early (day-aligned, so per window width alike).
  const closed: Closed = { twoHoursMs: Math.min(all.twoHoursMs, b.toMs), dayMs: Math.min(all.dayMs, b.toMs) };
  // First statement: the SELECT and the DELETE below share this transaction's one snapshot (a slot's
  // transaction set this up before its lock).
  if (b.slots === undefined) await tx.exec(batchSettings);
  // One 16-byte record a point (one aggregate, not two), as plain bytea (on PostgreSQL hex on the wire,
  // a Buffer from pg's parser; on the embedded store binary, packedHotRows): encode(…, 'base64') cost PostgreSQL more (≈ 70 ms per 1M points) than
  // the larger text and the hex decoding cost Node. Neither is a binary COPY of the rows (measured
  // 2026-12-07 over 1M scrape-shaped rows): the backend spent 0.27 instead of 0.35 CPU s, but Node 0.8
  // instead of 0.6 (pg makes a message object and a Buffer view for each row's CopyData, and their
  // garbage kept a GC thread on the second core), and PGlite's COPY to a blob cost more than this too.
  // Grouped by hashing
  // over a scan of the batch's rows (no join per row, no sort); the width is joined per series after.
  // Rows of day-width series in the still open day are not read; a new series' rows are (its width is
  // chosen here from them).
  // A slot is taken whole: its rows all lie in closed windows, or in the open day of a day-width series,
  // whose day chunk then holds the day so far (later slots merge into it, as late data does).
  const moved =
    b.slots !== undefined
      ? await packedHotRows(
          tx,
          `SELECT a.series_id::int8, s.chunk_seconds::int8, a.tv FROM (
             SELECT p.series_id, string_agg(timestamptz_send(p.ts) || float8send(p.value), ''::bytea) AS tv
             FROM ${slotSource(b.slots)} p WHERE p.series_id BETWEEN $1 AND $2
             GROUP BY p.series_id) a
           JOIN series s ON s.id = a.series_id`,
          [b.lo, b.hi],
        )
      : b.perSeries
        ? // Each series' closed rows through its own primary-key range (the bound by its width, so no
          // test a row) into a plain aggregate: no hash table a row. Over rows grouped by series 15–19%
          // less CPU than the form below (embedded store, 3.15M rows of 30 series, two runs); over rows
          // in time order 2.3× more, as each series' scan visits every page (clusteredBySeries decides).
          await packedHotRows(
            tx,
            `SELECT s.id::int8, s.chunk_seconds::int8, a.tv FROM series s CROSS JOIN LATERAL (
               SELECT string_agg(timestamptz_send(p.ts) || float8send(p.value), ''::bytea) AS tv
               FROM points_default p
               WHERE p.series_id = s.id AND p.ts >= to_timestamp($5::float8 / 1000)
                 AND p.ts < to_timestamp(CASE WHEN s.chunk_seconds IS DISTINCT FROM ${DAY_S} THEN $1::float8 ELSE least($1::float8, $2::float8) END / 1000)) a
             WHERE s.id BETWEEN $3 AND $4 AND a.tv IS NOT NULL`,
            [closed.twoHoursMs, closed.dayMs, b.lo, b.hi, b.fromMs],
          )
        : await packedHotRows(
            tx,
            `SELECT a.series_id::int8, s.chunk_seconds::int8, a.tv FROM (
               SELECT p.series_id, string_agg(timestamptz_send(p.ts) || float8send(p.value), ''::bytea) AS tv
               FROM points_default p
               WHERE p.series_id BETWEEN $3 AND $4 AND p.ts >= to_timestamp($5::float8 / 1000) AND p.ts < to_timestamp($1::float8 / 1000)
                 AND (p.ts < to_timestamp($2::float8 / 1000) OR p.series_id IN (SELECT id FROM series WHERE id BETWEEN $3 AND $4 AND chunk_seconds IS DISTINCT FROM ${DAY_S}))
               GROUP BY p.series_id) a
             JOIN series s ON s.id = a.series_id`,
            [closed.twoHoursMs, closed.dayMs, b.lo, b.hi, b.fromMs],
          );
  if (!moved.length) return { points: 0, chunks: 0, series: [], rollupDays: 0, read: 0 };

  // Hot points per series, sorted, cut at the width's closed instant, cut into windows. A new series
  // whose batch holds one closed point has no spacing (begun just before its window closed): its first
  // hot points, the open windows' too, tell its width.
  const whole = b.slots !== undefined;
  const hw = hotWorkOf(moved, whole, closed);
  for (const u of hw.undecided) addSeriesWork(hw, u.id, u.p, u.hot, widthOf(await firstHotTimes(tx, u.id)), true, whole, closed);
  const { work, chosen, windowStarts, points, read, rows } = hw;
  work.sort((a, b) => a.id - b.id);
  const ids = work.map((w) => w.id);

  // Every partition written below must exist (made outside this transaction when not): checked before
  // the DELETE, so a retry repeats only the SELECT. Rollup partitions only for the days whose points
  // here earn rollups of that resolution (a 5-minute series has no 5-minute rollups: no partition);
  // writeRollupRows checks again for rows this could not foresee (points merged from stored chunks).
  const days = new Set<number>([...windowStarts].map(dayStartMs));
  await checkPartitions(tx, store, [...[...days].map((d) => ({ table: 'chunks' as const, keyMs: d })), ...likelyRollupDays(work)]);

  // A width, once chosen, is kept (every chunk of the series uses it); set with the series' first chunks.
  if (chosen.length) {
    await tx.query(
      `UPDATE series SET chunk_seconds = u.w FROM unnest($1::int8[], $2::int8[]) AS u(id, w) WHERE series.id = u.id AND series.chunk_seconds IS NULL`,
      [int8Array(chosen.map((c) => c.id)), int8Array(chosen.map((c) => c.width))],
    );
  }
  if (!work.length) return { points: 0, chunks: 0, series: [], rollupDays: 0, read };

  // The same rows, by the widths now known: all closed rows of 2 h series, day-width ones before the
  // open day. Same snapshot, same rows: anything else would lose points, so it rolls the batch back.
  // A slot's rows go all at once, by TRUNCATE after its last batch; a swept run's at its end (sweepDefault).
  const deleted = b.slots !== undefined || b.keepHot ? { rowCount: rows } : await tx.query(
    `DELETE FROM points_default p WHERE p.series_id BETWEEN $3 AND $4 AND p.ts >= to_timestamp($5::float8 / 1000) AND p.ts < to_timestamp($1::float8 / 1000)
       AND (p.ts < to_timestamp($2::float8 / 1000) OR p.series_id = ANY($6::bigint[]))`,
    [closed.twoHoursMs, closed.dayMs, b.lo, b.hi, b.fromMs, work.filter((w) => w.width === TWO_HOURS_S).map((w) => w.id)],
  );
  if (deleted.rowCount !== rows) throw new Error(`compaction deleted ${deleted.rowCount} hot rows but read ${rows}`);

  // Merge with the chunks these windows already have (late data), locked until commit. A series
  // compacted the first time has none (chunks are written with its width, in one transaction).
  const old = new Map<string, Uint8Array>();
  const known = work.filter((w) => !w.first);
  if (known.length) {
    const starts = new Set(known.flatMap((w) => w.windows.map((x) => x.startMs)));
    // And the day row before each closed day of a day-wide series: the day may fold into it (below).
    for (const s of known) if (s.width === DAY_S) for (const w of s.windows) if (w.startMs + DAY_MS <= all.dayMs) starts.add(w.startMs - DAY_MS);
    const existing = await tx.query<{ series_id: number; window_start: Date; data: Uint8Array }>(
      `SELECT series_id, window_start, data FROM chunks WHERE series_id = ANY($1::bigint[]) AND window_start = ANY($2::timestamptz[])
       ORDER BY series_id, window_start FOR UPDATE`,
      [known.map((w) => w.id), [...starts].map((ms) => new Date(ms).toISOString())],
    );
    for (const r of existing.rows) old.set(`${Number(r.series_id)}:${new Date(r.window_start).getTime()}`, r.data);
  }
  // Days inside packed rows (chunk-pack.ts) merge into those rows, locked after the windows' own rows.
  const packed = await packedRowsOf(tx, known.filter((w) => w.width === DAY_S));
  // The chunk partitions as they are now (not a cache another process' merge or retention may have
  // outdated): a packed row must lie in one.
  const packing = work.some((s) => s.width === DAY_S && (s.first ? s.windows.length > 1 : s.windows.some((w) => w.startMs + DAY_MS <= all.dayMs)));
  const partitionsNow = packing ? await listPartitions(tx, 'chunks') : [];
  const { chunkRows, folded } = chunkRowsOf(work, old, packed, partitionsNow, all);
  if (folded.length) {
    await tx.query(
      `DELETE FROM chunks c USING unnest($1::int8[], $2::timestamptz[]) AS u(s, w) WHERE c.series_id = u.s AND c.window_start = u.w`,
      [int8Array(folded.map((f) => f.id)), timestamptzArray(folded.map((f) => f.startMs))],
    );
  }
  const chunkBytes = concat(chunkRows.map((c) => c.bytes));
  // Binary array parameters (src/store/sql.ts): no number formatting in Node, no parsing in the server.
  await tx.query(
    `INSERT INTO chunks (series_id, window_start, window_end, first_ts, last_ts, n, data)
     SELECT u.id, u.ws, CASE WHEN u.e = 'NaN'::float8 THEN NULL ELSE to_timestamp(u.e / 1000) END, u.f, u.l, u.n, substring($6::bytea FROM u.o::int + 1 FOR u.len::int)
     FROM unnest($1::int8[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::int8[], $7::int8[], $8::int8[], $9::float8[]) AS u(id, ws, f, l, n, o, len, e)
     ON CONFLICT (series_id, window_start) DO UPDATE SET window_end = EXCLUDED.window_end, first_ts = EXCLUDED.first_ts, last_ts = EXCLUDED.last_ts, n = EXCLUDED.n, data = EXCLUDED.data`,
    [
      int8Array(chunkRows.map((c) => c.id)),
      timestamptzArray(chunkRows.map((c) => c.startMs)),
      timestamptzArray(chunkRows.map((c) => c.t[0]!)),
      timestamptzArray(chunkRows.map((c) => c.t[c.t.length - 1]!)),
      int8Array(chunkRows.map((c) => c.t.length)),
      chunkBytes.bytes,
      int8Array(chunkBytes.offsets),
      int8Array(chunkBytes.lengths),
      float8Array(chunkRows.map((c) => c.endMs ?? Number.NaN)),
    ],
  );

  const rollupDays = await updateRollups(tx, store, work, all);
  return { points, chunks: chunkRows.length, series: ids, rollupDays, read };
}

// compactBatch's and updateRollups' loops live in small synchronous functions of their own (hotWorkOf,
// chunkRowsOf, daysOf, dayRollups, monthRollupRows), the async functions only sending statements: V8
// optimised the two large functions with their loops inside and threw the code away at the end of
// nearly every run (a map or the type feedback had changed), recompiling them (~60–125 ms of TurboFan
// each) on its background threads. Measured on 520,000 scrape-set points compacted by an embedded store
// in a process that had compacted before, 8 alternating runs: 695 → 580 CPU ms (median), the compile
// time in the run ~140–240 → ~20–65 ms.

/** A batch's hot rows as the series work of compactBatch, with its counts. */
interface HotWork {
  work: SeriesWork[];
  /** Widths chosen now (series compacted for the first time). */
  chosen: { id: number; width: ChunkSeconds }[];
  windowStarts: Set<number>;
  /** Points compacted (one a timestamp). */
  points: number;
  /** Hot rows the SELECT read. */
  read: number;
  /** Hot rows taken (points before keeping one a timestamp): what the DELETE must remove. */
  rows: number;
  /** New series with fewer than two closed points here: their width needs their first hot times. */
  undecided: { id: number; p: { t: Float64Array; v: Float64Array }; hot: { t: Float64Array; v: Float64Array } }[];
}

/**
 * Each series' hot points (`moved`) sorted, cut at its width's closed instant and into windows. `whole`:
 * a slot's rows, taken whole.
 */
function hotWorkOf(moved: readonly PackedHot[], whole: boolean, closed: Closed): HotWork {
  const hw: HotWork = { work: [], chosen: [], windowStarts: new Set(), points: 0, read: 0, rows: 0, undecided: [] };
  for (const row of moved) {
    const p = unpackPoints(row.tv);
    hw.read += p.t.length;
    const hot = sortedUnique(p.t, p.v);
    if (row.chunkSeconds !== null) {
      addSeriesWork(hw, row.seriesId, p, hot, row.chunkSeconds as ChunkSeconds, false, whole, closed);
      continue;
    }
    const sample = whole ? hot.t : hot.t.subarray(0, lowerBound(hot.t, closed.twoHoursMs));
    if (sample.length < 2) hw.undecided.push({ id: row.seriesId, p, hot });
    else addSeriesWork(hw, row.seriesId, p, hot, widthOf(sample), true, whole, closed);
  }
  return hw;
}

/** Adds one series' closed hot points (`hot`, sorted; `p` as read) to `hw` as windows of `width`. */
function addSeriesWork(hw: HotWork, id: number, p: { t: Float64Array; v: Float64Array }, hot: { t: Float64Array; v: Float64Array }, width: ChunkSeconds, first: boolean, whole: boolean, closed: Closed): void {
  if (first) hw.chosen.push({ id, width });
  const all = whole || width === TWO_HOURS_S;
  const n = all ? hot.t.length : lowerBound(hot.t, closed.dayMs);
  if (!n) return;
  hw.rows += all ? p.t.length : countBelow(p.t, closed.dayMs);
  hw.points += n;
  const windows = windowsOf(hot.t.subarray(0, n), hot.v.subarray(0, n), width);
  for (const w of windows) hw.windowStarts.add(w.startMs);
  hw.work.push({ id, width, windows, first });
}

/** How many of `t` are below `ms`. */
function countBelow(t: Float64Array, ms: number): number {
  let k = 0;
  for (let i = 0; i < t.length; i++) if (t[i]! < ms) k++;
  return k;
}

/** Ascending points cut into windows of `width` seconds (views of t and v). */
function windowsOf(t: Float64Array, v: Float64Array, width: ChunkSeconds): Window[] {
  const windows: Window[] = [];
  for (let i = 0; i < t.length; ) {
    const startMs = windowStartMs(t[i]!, width);
    const endMs = startMs + width * 1000;
    let j = i + 1;
    while (j < t.length && t[j]! < endMs) j++;
    windows.push({ startMs, t: t.subarray(i, j), v: v.subarray(i, j) });
    i = j;
  }
  return windows;
}

/**
 * The chunk rows a batch writes (each window merged with its stored chunk `old`, folded into the day
 * row before it, or merged into a packed row of `packed`), and the rows whose days were folded into
 * the row before them (deleted before the upsert).
 */
function chunkRowsOf(
  work: readonly SeriesWork[],
  old: ReadonlyMap<string, Uint8Array>,
  packed: ReadonlyMap<number, PackedRow[]>,
  partitionsNow: readonly Partition[],
  all: Closed,
): { chunkRows: ChunkRowOut[]; folded: { id: number; startMs: number }[] } {
  const chunkRows: ChunkRowOut[] = [];
  /** Rows whose days were folded into the row before them: deleted before the upsert. */
  const folded: { id: number; startMs: number }[] = [];
  for (const s of work) {
    const packs = packed.get(s.id);
    const inPack = new Map<PackedRow, Window[]>();
    const packedWindows = new Set<Window>();
    for (const w of s.windows) {
      const pack = packs?.find((p) => p.startMs <= w.startMs && w.startMs < p.endMs);
      if (!pack) continue;
      const list = inPack.get(pack);
      if (list) list.push(w);
      else inPack.set(pack, [w]);
      packedWindows.add(w);
    }
    // (Written by the same upsert: the packed row's key conflicts and keeps its end.)
    for (const [pack, ws] of inPack) chunkRows.push(mergeIntoPacked(s.id, pack, ws, s.width));
    // A day-wide series compacted the first time (a backfill: it has no chunk yet) writes its days of
    // one month and partition packed (chunk-pack.ts), as a partition merge later would.
    if (s.first && s.width === DAY_S && s.windows.length > 1) {
      chunkRows.push(...packNewDays(partitionsNow, s.id, s.windows));
      continue;
    }
    // A closed day of a day-wide series compacted before folds into the row ending where it starts
    // (chunk-pack.ts: a live series' days are packed as they close, not only at a first compaction or a
    // merge): the one written just before in this loop, or a stored one (not one merged into above).
    // The row is rewritten whole (up to PACK_BYTES), its old version left to VACUUM; the day's own row,
    // when an earlier slot of the open day wrote one, is deleted.
    let tail: ChunkRowOut | undefined;
    /** tail's place in chunkRows when written in this loop. */
    let tailAt = -1;
    const storedBefore = (dayMs: number): ChunkRowOut | undefined => {
      if (tail && (tail.endMs ?? tail.startMs + DAY_MS) === dayMs) return tail;
      const p = packs?.find((x) => x.endMs === dayMs && !inPack.has(x));
      if (p) return { id: s.id, startMs: p.startMs, endMs: p.endMs, t: EMPTY, bytes: p.data };
      const d = old.get(`${s.id}:${dayMs - DAY_MS}`);
      return d && !s.windows.some((x) => x.startMs === dayMs - DAY_MS) ? { id: s.id, startMs: dayMs - DAY_MS, t: EMPTY, bytes: d } : undefined;
    };
    for (const w of s.windows) {
      if (packedWindows.has(w)) continue;
      const prior = old.get(`${s.id}:${w.startMs}`);
      if (prior) {
        const d = decodeChunk(prior);
        const merged = mergePoints({ t: d.timestampsMs, v: d.values }, w);
        w.t = merged.t;
        w.v = merged.v;
      }
      const own = { id: s.id, startMs: w.startMs, t: w.t, bytes: encodeChunk(w.t, w.v) };
      const closedDay = s.width === DAY_S && !s.first && w.startMs + DAY_MS <= all.dayMs;
      const before = closedDay ? storedBefore(w.startMs) : undefined;
      if (before && canFold(partitionsNow, before, own)) {
        const row = foldDay(before, w);
        if (before === tail) chunkRows[tailAt] = row;
        else tailAt = chunkRows.push(row) - 1;
        if (prior) folded.push({ id: s.id, startMs: w.startMs });
        tail = row;
        continue;
      }
      tailAt = chunkRows.push(own) - 1;
      tail = closedDay ? own : undefined;
    }
  }
  return { chunkRows, folded };
}

/**
 * The chunk rows of the day windows `windows` (in order) of a series compacted the first time: each run
 * of days of one month and one partition up to PACK_BYTES (packRuns) one packed row, the other days a row
 * each. Each point is encoded once: a day's size is estimated from the first day's bytes a point.
 */
function packNewDays(partitions: readonly Partition[], id: number, windows: readonly Window[]): { id: number; startMs: number; endMs?: number; t: Float64Array; bytes: Uint8Array }[] {
  const first = encodeChunk(windows[0]!.t, windows[0]!.v);
  const perPoint = first.length / Math.max(1, windows[0]!.t.length);
  const cands = windows.map((w, i) => ({ seriesId: id, startMs: w.startMs, endMs: w.startMs + DAY_MS, bytes: i === 0 ? first.length : Math.ceil(w.t.length * perPoint) + 16, i }));
  const partitionOf = (ms: number) => partitionStartOf(partitions, ms);
  const runs = packRuns(cands, PACK_BYTES, (a, b) => partitionOf(a.startMs) !== partitionOf(b.startMs) || partitionOf(a.startMs) === undefined);
  const runAt = new Map(runs.map((run) => [run[0]!.i, run]));
  const out: { id: number; startMs: number; endMs?: number; t: Float64Array; bytes: Uint8Array }[] = [];
  for (let i = 0; i < windows.length; ) {
    const run = runAt.get(i);
    if (!run) {
      const w = windows[i]!;
      out.push({ id, startMs: w.startMs, t: w.t, bytes: i === 0 ? first : encodeChunk(w.t, w.v) });
      i++;
      continue;
    }
    const joined = joinWindows(run.map((c) => windows[c.i]!));
    out.push({ id, startMs: run[0]!.startMs, endMs: run[run.length - 1]!.endMs, t: joined.t, bytes: encodeChunk(joined.t, joined.v) });
    i += run.length;
  }
  return out;
}

/** A chunk row to write: endMs for a packed row (chunk-pack.ts), else its window is the series' width. */
interface ChunkRowOut {
  id: number;
  startMs: number;
  endMs?: number;
  /** Its points' times (a row only read to be folded into may leave them out: EMPTY). */
  t: Float64Array;
  bytes: Uint8Array;
}

const EMPTY = new Float64Array(0);

/**
 * True when the closed day `day` (its own row encoded) may join the row `before` ending where it starts:
 * one calendar month, one partition, and PACK_BYTES of data at most together (chunk-pack.ts).
 */
function canFold(partitions: readonly Partition[], before: ChunkRowOut, day: ChunkRowOut): boolean {
  const partition = partitionStartOf(partitions, before.startMs);
  return (
    before.bytes.length + day.bytes.length <= PACK_BYTES &&
    monthBoundsMs(before.startMs).startMs === monthBoundsMs(day.startMs).startMs &&
    partition !== undefined &&
    partition === partitionStartOf(partitions, day.startMs)
  );
}

/** The start of the partition among `partitions` holding `ms` (undefined: none). */
function partitionStartOf(partitions: readonly Partition[], ms: number): number | undefined {
  return partitions.find((p) => p.startMs <= ms && ms < p.endMs)?.startMs;
}

/** The row `before` with the day window `w` (every point of its day) appended: a packed row up to w's end. */
function foldDay(before: ChunkRowOut, w: Window): ChunkRowOut {
  const d = decodeChunk(before.bytes);
  const { t, v } = joinWindows([{ t: d.timestampsMs, v: d.values }, w]);
  return { id: before.id, startMs: before.startMs, endMs: w.startMs + DAY_MS, t, bytes: encodeChunk(t, v) };
}

/** A packed chunk row (chunk-pack.ts): the days [startMs, endMs) of one series in one row. */
interface PackedRow {
  startMs: number;
  endMs: number;
  data: Uint8Array;
}

/**
 * The packed rows holding any window of `series` (day-wide series compacted before), by series id,
 * locked. A packed row lies in one month, so it starts at most 31 days before the windows it holds.
 */
async function packedRowsOf(tx: Sql, series: readonly SeriesWork[]): Promise<Map<number, PackedRow[]>> {
  const out = new Map<number, PackedRow[]>();
  if (!series.length) return out;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const w of s.windows) {
      lo = Math.min(lo, w.startMs);
      hi = Math.max(hi, w.startMs);
    }
  }
  const r = await tx.query<{ series_id: number; start_ms: number; end_ms: number; data: Uint8Array }>(
    `SELECT series_id, (extract(epoch FROM window_start) * 1000)::float8 AS start_ms, (extract(epoch FROM window_end) * 1000)::float8 AS end_ms, data
     FROM chunks WHERE window_end IS NOT NULL AND series_id = ANY($1::bigint[]) AND window_end >= $2::timestamptz
       AND window_start <= $3::timestamptz AND window_start > $2::timestamptz - interval '32 days'
     ORDER BY series_id, window_start FOR UPDATE`,
    [series.map((s) => s.id), new Date(lo).toISOString(), new Date(hi).toISOString()],
  );
  for (const row of r.rows) {
    const id = Number(row.series_id);
    const list = out.get(id) ?? [];
    list.push({ startMs: Number(row.start_ms), endMs: Number(row.end_ms), data: row.data });
    out.set(id, list);
  }
  return out;
}

/**
 * The hot points of windows `ws` (days inside `pack`) merged into the packed row (a hot point wins on
 * an equal timestamp); each window then holds all of its day's points, for its rollups.
 */
function mergeIntoPacked(id: number, pack: PackedRow, ws: Window[], width: ChunkSeconds): { id: number; startMs: number; endMs: number; t: Float64Array; bytes: Uint8Array } {
  const d = decodeChunk(pack.data);
  const merged = mergePoints({ t: d.timestampsMs, v: d.values }, joinWindows(ws));
  for (const w of ws) {
    const i = lowerBound(merged.t, w.startMs);
    const j = lowerBound(merged.t, w.startMs + width * 1000, i);
    w.t = merged.t.subarray(i, j);
    w.v = merged.v.subarray(i, j);
  }
  return { id, startMs: pack.startMs, endMs: pack.endMs, t: merged.t, bytes: encodeChunk(merged.t, merged.v) };
}

// ------------------------------------------------------------------------------------------------
// Rollups of the touched days

/** One touched (series, day) and the windows of it written now (all of their points). */
interface DayWork {
  id: number;
  width: ChunkSeconds;
  /** The series' first compaction: the day has no stored rollup and no other chunk. */
  first: boolean;
  dayMs: number;
  windows: Window[];
}

/** A rollup of `n` buckets, all zero. */
function emptyRollup(n: number): Rollup {
  return { startsMs: new Float64Array(n), min: new Float64Array(n), max: new Float64Array(n), sum: new Float64Array(n), count: new Float64Array(n), last: new Float64Array(n) };
}

/** Bucket `i` of `from` into bucket `k` of `to`. */
function copyBucket(to: Rollup, k: number, from: Rollup, i: number): void {
  to.startsMs[k] = from.startsMs[i]!;
  to.min[k] = from.min[i]!;
  to.max[k] = from.max[i]!;
  to.sum[k] = from.sum[i]!;
  to.count[k] = from.count[i]!;
  to.last[k] = from.last[i]!;
}

/** `r`'s buckets outside the windows (of `width`) starting at `rewritten`. */
function filterRollup(r: Rollup, rewritten: ReadonlySet<number>, width: ChunkSeconds): Rollup {
  // Buckets nest in windows and come in start order: one set lookup a window, not a bucket.
  const n = r.startsMs.length;
  const keep = new Uint8Array(n);
  let kept = 0;
  let windowEnd = -Infinity;
  let keepWindow = true;
  for (let i = 0; i < n; i++) {
    const s = r.startsMs[i]!;
    if (s >= windowEnd) {
      const w = windowStartMs(s, width);
      windowEnd = w + width * 1000;
      keepWindow = !rewritten.has(w);
    }
    if (keepWindow) {
      keep[i] = 1;
      kept++;
    }
  }
  if (kept === n) return r;
  const out = emptyRollup(kept);
  for (let i = 0, k = 0; i < n; i++) if (keep[i]) copyBucket(out, k++, r, i);
  return out;
}

/** Two rollups with disjoint buckets, as one in start order. */
function mergeRollups(a: Rollup, b: Rollup): Rollup {
  if (!b.startsMs.length) return a;
  if (!a.startsMs.length) return b;
  const n = a.startsMs.length + b.startsMs.length;
  const out = emptyRollup(n);
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    if (j >= b.startsMs.length || (i < a.startsMs.length && a.startsMs[i]! < b.startsMs[j]!)) copyBucket(out, k, a, i++);
    else copyBucket(out, k, b, j++);
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

/** `r`'s buckets split by UTC day, ascending (buckets never straddle a day). */
function splitByDay(r: Rollup): { dayMs: number; rollup: Rollup }[] {
  const out: { dayMs: number; rollup: Rollup }[] = [];
  const n = r.startsMs.length;
  for (let a = 0; a < n; ) {
    const dayMs = dayStartMs(r.startsMs[a]!);
    let b = a + 1;
    while (b < n && r.startsMs[b]! < dayMs + DAY_MS) b++;
    const cut = (x: Float64Array) => x.slice(a, b);
    out.push({ dayMs, rollup: { startsMs: cut(r.startsMs), min: cut(r.min), max: cut(r.max), sum: cut(r.sum), count: cut(r.count), last: cut(r.last) } });
    a = b;
  }
  return out;
}

/** The 1-hour rollup rows of one (series, UTC month): the buckets by day, and which row holds each day. */
interface MonthRows {
  id: number;
  monthMs: number;
  /** Every stored or new day of the month with buckets (a day whose new rollup is empty is absent). */
  days: Map<number, Rollup>;
  /** Stored rows: key → the days it held. */
  rows: Map<number, number[]>;
  /** Days computed now. */
  touched: Set<number>;
  /** A month row exists but was not read: nothing of this run goes into it (see updateRollups). */
  monthRowUnread: boolean;
}

const HOUR_RES = 3_600_000;

/**
 * Encoded bytes a 1-hour row holds at most, as PACK_BYTES for chunk rows: two rows fill a page. Under
 * toast_tuple_target (8160) a row stays inline (TOAST would cost the partition its own index and
 * free-space map, NAB: 66 kB for two 12 kB month rows of noisy 5-minute series, and each read a fetch
 * through that index). Half a page and not 8,000 bytes because a live series' month row is rewritten
 * each day (a closed day folds into it): a version of up to 8 kB rarely fits the space VACUUM frees
 * from the last, 4 kB runs do. Measured on 50 series of 5-minute gauges over 150 days compacted day by
 * day, VACUUM after each day: 1-hour rollups 1.10 → 0.77 bytes a point (payload 0.50); the year set
 * written at once (100 series × 365 days) 0.493 → 0.500, 1,300 → 1,778 rows, its stepped read the same
 * (p50 51 against 51–52 ms).
 */
export const ROLLUP_ROW_BYTES = PACK_BYTES;

/** The 1-hour rollup of days `held` of month `m`. */
function rollupOfDays(m: MonthRows, held: readonly number[]): Rollup {
  return mergeDays(held.map((dayMs) => ({ dayMs, resolutionMs: HOUR_RES, rollup: m.days.get(dayMs)! }))).rollup;
}

/**
 * Lays the closed days of `m`'s month row (`target` by rowKeyOf, changed in place) out as runs when
 * one row would exceed ROLLUP_ROW_BYTES: the first run keyed by the month's first day, each other by
 * its last day, so that retention, which deletes a row keyed by another day once that day expired,
 * deletes a run only once all of it did. Unchanged days keep their stored runs. Returns the rows it
 * encoded (by key).
 */
function monthRuns(m: MonthRows, target: Map<number, number[]>, closedDayMs: number): Map<number, Uint8Array> {
  const encoded = new Map<number, Uint8Array>();
  const monthDays = target.get(m.monthMs);
  if (!monthDays || monthDays.length < 2) return encoded;
  const stored = [...m.rows.keys()].filter((k) => rowKeyOf(k, m.monthMs, closedDayMs) === m.monthMs).sort((a, b) => a - b);
  const storedDays = stored.flatMap((k) => m.rows.get(k)!);
  // (A stored row of one closed day is a day that closed since: it folds into the month row.)
  const runsStored = stored.length > 1 && stored.every((k) => k === m.monthMs || m.rows.get(k)!.length > 1);
  if (runsStored && !monthDays.some((d) => m.touched.has(d)) && storedDays.length === monthDays.length && storedDays.every((d, i) => d === monthDays[i])) {
    target.delete(m.monthMs);
    for (const k of stored) target.set(k, m.rows.get(k)!);
    return encoded;
  }
  const whole = rollupOfDays(m, monthDays);
  if (!rollupWorthKeeping(whole)) return encoded;
  const bytes = encodeRollup(whole);
  if (bytes.length <= ROLLUP_ROW_BYTES) {
    encoded.set(m.monthMs, bytes);
    return encoded;
  }
  const runs = (days: number[]): { days: number[]; bytes: Uint8Array }[] => {
    const b = encodeRollup(rollupOfDays(m, days));
    if (b.length <= ROLLUP_ROW_BYTES || days.length === 1) return [{ days, bytes: b }];
    const mid = days.length >> 1;
    return [...runs(days.slice(0, mid)), ...runs(days.slice(mid))];
  };
  target.delete(m.monthMs);
  runs(monthDays).forEach((run, i) => {
    const key = i === 0 ? m.monthMs : run.days[run.days.length - 1]!;
    target.set(key, run.days);
    encoded.set(key, run.bytes);
  });
  return encoded;
}

/**
 * The row of a month's 1-hour rollups that holds `dayMs`: the month row (keyed by the month's first day)
 * for closed days and for the first day itself, else a row of its own for the day still open (so the
 * open day's row is rewritten every compaction, the month row once a day, when a day closes).
 */
function rowKeyOf(dayMs: number, monthMs: number, closedDayMs: number): number {
  return dayMs < closedDayMs || dayMs === monthMs ? monthMs : dayMs;
}

async function updateRollups(tx: Sql, store: Sql, work: readonly SeriesWork[], closed: Closed): Promise<number> {
  const days = daysOf(work);
  const knownDays = days.filter((d) => !d.first);

  // The stored rollups of the touched days (of series compacted before), decoded, by day.
  const stored = new Map<string, Map<number, Rollup>>();
  const storeDay = (id: number, dayMs: number, res: number, r: Rollup) => {
    const k = dayKey(id, dayMs);
    const m = stored.get(k) ?? new Map<number, Rollup>();
    m.set(res, r);
    stored.set(k, m);
  };
  // 5 minutes: one row a (series, day).
  if (knownDays.length) {
    const ids = [...new Set(knownDays.map((d) => d.id))];
    const dayParams = [...new Set(knownDays.map((d) => d.dayMs))].map((ms) => new Date(ms).toISOString());
    const r = await tx.query<{ series_id: number; day: Date; data: Uint8Array }>(
      `SELECT series_id, day, data FROM rollups_5m WHERE series_id = ANY($1::bigint[]) AND day = ANY($2::timestamptz[])`,
      [ids, dayParams],
    );
    for (const row of r.rows) storeDay(Number(row.series_id), new Date(row.day).getTime(), 300_000, decodeRollup(row.data));
  }
  // 1 hour: the rows of every touched (series, month): the rows of days still open, and the month row
  // only when it changes (a touched day lies in it, or a closed day's row folds into it) or may hold a
  // touched day that has no row of its own — usually once a day, so most runs decode no month row.
  const months = new Map<string, MonthRows>();
  for (const d of days) {
    const monthMs = monthBoundsMs(d.dayMs).startMs;
    const k = dayKey(d.id, monthMs);
    if (!months.has(k)) months.set(k, { id: d.id, monthMs, days: new Map(), rows: new Map(), touched: new Set(), monthRowUnread: false });
    months.get(k)!.touched.add(d.dayMs);
  }
  const firstIds = new Set(work.filter((w) => w.first).map((w) => w.id));
  const knownMonths = [...months.values()].filter((m) => !firstIds.has(m.id));
  const takeRow = (m: MonthRows, key: number, data: Uint8Array) => {
    const held: number[] = [];
    for (const part of splitByDay(decodeRollup(data))) {
      m.days.set(part.dayMs, part.rollup);
      storeDay(m.id, part.dayMs, HOUR_RES, part.rollup);
      held.push(part.dayMs);
    }
    m.rows.set(key, held);
  };
  if (knownMonths.length) {
    // (Loops, not Math.min(...): a batch can touch more months than a call takes arguments.)
    let lo = Infinity;
    let hi = -Infinity;
    for (const m of knownMonths) {
      lo = Math.min(lo, m.monthMs);
      hi = Math.max(hi, monthBoundsMs(m.monthMs).endMs);
    }
    const r = await tx.query<{ series_id: number; day: Date; data: Uint8Array | null }>(
      `SELECT r.series_id, r.day, CASE WHEN r.day = to_timestamp(u.lo / 1000) THEN NULL ELSE r.data END AS data FROM rollups_1h r
       JOIN unnest($1::bigint[], $2::float8[], $3::float8[]) AS u(id, lo, hi)
         ON r.series_id = u.id AND r.day >= to_timestamp(u.lo / 1000) AND r.day < to_timestamp(u.hi / 1000)
       WHERE r.day >= $4::timestamptz AND r.day < $5::timestamptz`,
      [int8Array(knownMonths.map((m) => m.id)), knownMonths.map((m) => m.monthMs), knownMonths.map((m) => monthBoundsMs(m.monthMs).endMs), new Date(lo).toISOString(), new Date(hi).toISOString()],
    );
    for (const row of r.rows) {
      const key = new Date(row.day).getTime();
      const m = months.get(dayKey(Number(row.series_id), monthBoundsMs(key).startMs))!;
      if (row.data === null) m.monthRowUnread = true;
      else takeRow(m, key, row.data);
    }
    const wanted = knownMonths.filter(
      (m) =>
        m.monthRowUnread &&
        ([...m.touched].some((d) => rowKeyOf(d, m.monthMs, closed.dayMs) === m.monthMs || !m.rows.has(d)) || [...m.rows.keys()].some((k) => rowKeyOf(k, m.monthMs, closed.dayMs) === m.monthMs)),
    );
    if (wanted.length) {
      const rm = await tx.query<{ series_id: number; day: Date; data: Uint8Array }>(
        `SELECT r.series_id, r.day, r.data FROM rollups_1h r JOIN unnest($1::bigint[], $2::timestamptz[]) AS u(id, day) ON r.series_id = u.id AND r.day = u.day
         WHERE r.day = ANY($2::timestamptz[])`,
        [int8Array(wanted.map((m) => m.id)), timestamptzArray(wanted.map((m) => m.monthMs))],
      );
      for (const row of rm.rows) {
        const m = months.get(dayKey(Number(row.series_id), new Date(row.day).getTime()))!;
        m.monthRowUnread = false;
        takeRow(m, m.monthMs, row.data);
      }
    }
  }

  // Days lacking a stored rollup and holding windows not written now: read their other chunks.
  const others = new Map<string, Window[]>();
  const incomplete = knownDays.filter((d) => (stored.get(dayKey(d.id, d.dayMs))?.size ?? 0) < ROLLUP_RESOLUTIONS_MS.length && d.windows.length < DAY_S / d.width);
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

  // 5 minutes: rows to upsert and days whose rollup is not worth a row; 1 hour: each day's new buckets.
  const { upserts, deletes } = dayRollups(days, stored, others, months);
  await writeRollupRows(tx, store, 'rollups_5m', upserts, deletes);

  // 1 hour: each touched month's rows laid out again (rowKeyOf, monthRuns); only rows whose days changed are written.
  const { upserts: upserts1h, deletes: deletes1h } = monthRollupRows(months, closed);
  await writeRollupRows(tx, store, 'rollups_1h', upserts1h, deletes1h);
  return days.length;
}

// updateRollups' loops (see hotWorkOf for why they are functions of their own).

/** A batch's windows by (series, UTC day), in work's order. */
function daysOf(work: readonly SeriesWork[]): DayWork[] {
  const days: DayWork[] = [];
  for (const s of work) {
    for (const w of s.windows) {
      const dayMs = dayStartMs(w.startMs);
      const last = days[days.length - 1];
      if (last && last.id === s.id && last.dayMs === dayMs) last.windows.push(w);
      else days.push({ id: s.id, width: s.width, first: s.first, dayMs, windows: [w] });
    }
  }
  return days;
}

/** Rollup rows to write and delete, by (series, day or row key). */
interface RollupRowsOut {
  upserts: { id: number; dayMs: number; bytes: Uint8Array }[];
  deletes: { id: number; dayMs: number }[];
}

/**
 * Each touched day's rollups: the 5-minute rows to upsert (and days whose rollup is not worth a row
 * any more), and the day's 1-hour buckets set into its month (`months`, written by monthRollupRows).
 * `stored`: the days' stored rollups by resolution; `others`: their other chunks' points, for days
 * with no stored rollup.
 */
function dayRollups(days: readonly DayWork[], stored: ReadonlyMap<string, Map<number, Rollup>>, others: ReadonlyMap<string, Window[]>, months: ReadonlyMap<string, MonthRows>): RollupRowsOut {
  const upserts: RollupRowsOut['upserts'] = [];
  const deletes: RollupRowsOut['deletes'] = [];
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
        const kept = filterRollup(prior, rewritten, d.width);
        r = mergeRollups(kept, computeRollup(fresh.t, fresh.v, res));
      } else {
        const other = others.get(k);
        whole ??= other?.length ? joinWindows([...other, ...d.windows].sort((a, b) => a.startMs - b.startMs)) : fresh;
        // A finer row the day cannot earn would be computed only to be dropped (a 5-minute series' 5-minute
        // buckets: 4–5% of a backfill's CPU on the embedded store). Asked of day-width series only: a
        // two-hour series (30 s or faster) earns them, and counting its buckets first would be work twice.
        if (res !== HOUR_RES && d.width === DAY_S && !earnsRollup(whole.t, res)) continue;
        r = computeRollup(whole.t, whole.v, res);
      }
      if (res === HOUR_RES) {
        const m = months.get(dayKey(d.id, monthBoundsMs(d.dayMs).startMs))!;
        m.touched.add(d.dayMs);
        if (r.startsMs.length) m.days.set(d.dayMs, r);
        else m.days.delete(d.dayMs);
      } else if (rollupWorthKeeping(r)) upserts.push({ id: d.id, dayMs: d.dayMs, bytes: encodeRollup(r) });
      else if (prior) deletes.push({ id: d.id, dayMs: d.dayMs });
    }
  }
  return { upserts, deletes };
}

/** The 1-hour rows of each touched month laid out again (rowKeyOf, monthRuns): only rows whose days changed. */
function monthRollupRows(months: ReadonlyMap<string, MonthRows>, closed: Closed): RollupRowsOut {
  const upserts: RollupRowsOut['upserts'] = [];
  const deletes: RollupRowsOut['deletes'] = [];
  for (const m of months.values()) {
    const target = new Map<number, number[]>();
    for (const dayMs of [...m.days.keys()].sort((a, b) => a - b)) {
      const key = rowKeyOf(dayMs, m.monthMs, closed.dayMs);
      const list = target.get(key) ?? [];
      list.push(dayMs);
      target.set(key, list);
    }
    const encoded = monthRuns(m, target, closed.dayMs);
    for (const [key, held] of target) {
      const before = m.rows.get(key);
      const same = before !== undefined && before.length === held.length && held.every((dayMs, i) => before[i] === dayMs && !m.touched.has(dayMs));
      if (same) continue;
      const bytes = encoded.get(key);
      if (bytes) {
        upserts.push({ id: m.id, dayMs: key, bytes });
        continue;
      }
      const r = rollupOfDays(m, held);
      if (rollupWorthKeeping(r)) upserts.push({ id: m.id, dayMs: key, bytes: encodeRollup(r) });
      else if (before) deletes.push({ id: m.id, dayMs: key });
    }
    for (const key of m.rows.keys()) if (!target.has(key)) deletes.push({ id: m.id, dayMs: key });
    if (m.monthRowUnread && target.has(m.monthMs)) throw new Error(`compaction: the unread 1-hour month row of series ${m.id} would be overwritten`);
  }
  return { upserts, deletes };
}

/**
 * The (rollup table, day) pairs the windows of `work` will write, judged by their own points as
 * rollupWorthKeeping judges a day: at least MIN_POINTS_PER_BUCKET points a bucket holding points.
 */
function likelyRollupDays(work: readonly SeriesWork[]): { table: 'rollups_5m' | 'rollups_1h'; keyMs: number }[] {
  const out = new Map<string, { table: 'rollups_5m' | 'rollups_1h'; keyMs: number }>();
  for (const s of work) {
    // Windows nest in days and buckets in windows: per day, sums over its windows.
    const perDay = new Map<number, { points: number; buckets: number[] }>();
    for (const w of s.windows) {
      const dayMs = dayStartMs(w.startMs);
      const d = perDay.get(dayMs) ?? { points: 0, buckets: ROLLUP_RESOLUTIONS_MS.map(() => 0) };
      d.points += w.t.length;
      ROLLUP_RESOLUTIONS_MS.forEach((res, k) => {
        // Ascending times: a division only where a new bucket starts, as computeRollup does.
        let end = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < w.t.length; i++) {
          if (w.t[i]! < end) continue;
          d.buckets[k]!++;
          end = (Math.floor(w.t[i]! / res) + 1) * res;
        }
      });
      perDay.set(dayMs, d);
    }
    for (const [dayMs, d] of perDay) {
      ROLLUP_RESOLUTIONS_MS.forEach((res, k) => {
        if (d.points < MIN_POINTS_PER_BUCKET * d.buckets[k]!) return;
        const table = rollupTable[res];
        out.set(`${table}:${dayMs}`, { table, keyMs: dayMs });
      });
    }
  }
  return [...out.values()];
}

/** Upserts and deletes rollup rows of `table` by (series, key). */
async function writeRollupRows(tx: Sql, store: Sql, table: 'rollups_5m' | 'rollups_1h', up: { id: number; dayMs: number; bytes: Uint8Array }[], del: { id: number; dayMs: number }[]): Promise<void> {
  if (up.length) {
    // A missing partition rolls the batch back; it is made and the batch runs again (runBatch).
    await checkPartitions(tx, store, [...new Set(up.map((u) => u.dayMs))].map((keyMs) => ({ table, keyMs })));
    const packed = concat(up.map((u) => u.bytes));
    await tx.query(
      `INSERT INTO ${table} (series_id, day, data)
       SELECT u.id, u.d, substring($3::bytea FROM u.o::int + 1 FOR u.len::int)
       FROM unnest($1::int8[], $2::timestamptz[], $4::int8[], $5::int8[]) AS u(id, d, o, len)
       ON CONFLICT (series_id, day) DO UPDATE SET data = EXCLUDED.data`,
      [int8Array(up.map((u) => u.id)), timestamptzArray(up.map((u) => u.dayMs)), packed.bytes, int8Array(packed.offsets), int8Array(packed.lengths)],
    );
  }
  if (del.length) {
    await tx.query(
      `DELETE FROM ${table} r USING unnest($1::bigint[], $2::float8[]) AS u(id, d)
       WHERE r.series_id = ANY($1::bigint[]) AND r.day = ANY($3::timestamptz[]) AND r.series_id = u.id AND r.day = to_timestamp(u.d / 1000)`,
      [del.map((x) => x.id), del.map((x) => x.dayMs), [...new Set(del.map((x) => new Date(x.dayMs).toISOString()))]],
    );
  }
}

// ------------------------------------------------------------------------------------------------

/**
 * Compacts every closed window (ended at least `graceMs` before `nowMs`) of every series: its hot rows
 * become (or are merged into) the window's chunk, and the rollups of each touched (series, UTC day)
 * follow. Chooses and stores `series.chunk_seconds` for series compacted the first time. When another
 * compactor is running, does nothing and returns zeros.
 */
/** One batch in its own transaction, retried after a missing partition or a serialization failure; returns the rows it read. */
async function runBatch(sql: Sql, batch: Batch, closed: Closed, total: { points: number; chunks: number; rollupDays: number }, series: Set<number>): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await sql.transaction((tx) => compactBatch(tx, sql, batch, closed));
      total.points += r.points;
      total.chunks += r.chunks;
      for (const id of r.series) series.add(id);
      total.rollupDays += r.rollupDays;
      return r.read;
    } catch (err) {
      if (!(await shouldRetry(sql, err, attempt))) throw err;
    }
  }
}

/** The retry rule of a batch's or the slots' transaction: true when it starts over (after fixing what it can). */
async function shouldRetry(sql: Sql, err: unknown, attempt: number): Promise<boolean> {
  if (attempt >= 3) return false;
  // A partition missing or dropped meanwhile (another process' retention): forget which
  // partitions this store knew, make it again and retry.
  if (err instanceof MissingPartitions) {
    forgetPartitions(sql);
    await makePartitions(sql, err.wanted);
    return true;
  }
  if ((err as { code?: string }).code === '23514') {
    forgetPartitions(sql);
    return true;
  }
  // A writer locking the same chunk and hot rows in the other order (40P01), or changing a hot
  // row or chunk of this batch after its snapshot (40001): the batch starts over.
  return ['40P01', '40001'].includes((err as { code?: string }).code ?? '');
}

/**
 * Empties a compacted slot inside its transaction: TRUNCATE, unless its exclusive lock is not granted
 * within `lockTimeoutMs` — a long read holding the slot would otherwise queue every statement on
 * `points` behind the waiting TRUNCATE — then DELETE (this transaction's SHARE lock already keeps
 * writers out; the dead rows go when the slot is next truncated or dropped).
 */
async function emptySlot(tx: Sql, slot: string, lockTimeoutMs: number): Promise<void> {
  await tx.exec(`SAVEPOINT iv_truncate; SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
  try {
    await tx.exec(`TRUNCATE ${slot}`);
    await tx.exec(`RELEASE SAVEPOINT iv_truncate`);
  } catch (e) {
    if ((e as { code?: unknown }).code !== '55P03') throw e; // lock_not_available
    await tx.exec(`ROLLBACK TO SAVEPOINT iv_truncate`);
    await tx.exec(`DELETE FROM ${slot}`);
  }
}

/**
 * Compacts closed two-hour slots of the hot table whole, in one transaction: locked SHARE before its
 * snapshot (readers go on; a late point for their range waits for the commit and then meets the chunk
 * of its window, as the write path expects), read together in batches of series ids sized from the
 * planner's estimate (a series' rows of all the slots at once: its rollups are updated once), then
 * emptied with TRUNCATE: no row deleted one by one. Retried whole.
 */
async function compactSlots(sql: Sql, slots: readonly Partition[], closed: Closed, batchPoints: number, truncateLockTimeoutMs: number, total: { points: number; chunks: number; rollupDays: number }, series: Set<number>): Promise<void> {
  const names = slots.map((x) => x.name);
  for (let attempt = 0; ; attempt++) {
    const got = { points: 0, chunks: 0, rollupDays: 0, ids: [] as number[] };
    try {
      await sql.transaction(async (tx) => {
        await tx.exec(`${batchSettings}; LOCK TABLE ${names.join(', ')} IN SHARE MODE`);
        const span = await tx.query<{ lo: number | null; hi: number | null }>(`SELECT min(series_id) AS lo, max(series_id) AS hi FROM ${slotSource(names)} p`);
        const first = span.rows[0]?.lo;
        const last = span.rows[0]?.hi;
        if (first === null || first === undefined || last === null || last === undefined) return;
        const lo = Number(first);
        const hi = Number(last);
        let estimate = 0;
        // A slot is never analysed: the planner estimates from its size.
        for (const name of names) estimate += await plannedRows(tx, `SELECT 1 FROM ${name}`);
        let rate = estimate / (hi - lo + 1);
        let done = 0;
        for (let from = lo; from <= hi; ) {
          const to = Math.min(hi, from + batchSpan(batchPoints, rate) - 1);
          const r = await compactBatch(tx, sql, { lo: from, hi: to, fromMs: -Infinity, toMs: Infinity, slots: names }, closed);
          got.points += r.points;
          got.chunks += r.chunks;
          got.rollupDays += r.rollupDays;
          got.ids.push(...r.series);
          done += r.read;
          rate = Math.max(r.read / (to - from + 1), Math.max(0, estimate - done) / Math.max(1, hi - to));
          from = to + 1;
        }
        for (const name of names) await emptySlot(tx, name, truncateLockTimeoutMs);
      });
    } catch (err) {
      if (await shouldRetry(sql, err, attempt)) continue;
      throw err;
    }
    total.points += got.points;
    total.chunks += got.chunks;
    total.rollupDays += got.rollupDays;
    for (const id of got.ids) series.add(id);
    return;
  }
}

/**
 * True when this run will likely write 5-minute rollups: some series has two-hour windows (30 s or
 * faster: the only ones whose days earn them), or the closed slots about to be compacted hold, by the
 * planner's row counts, the two-hour windows' density (DENSE_POINTS_PER_2H a series on average) for
 * series compacted the first time. A slot is never analysed (its row count is −1, unknown): its full
 * pages' rows count instead. A guess either way costs little: a partition made for nothing, or
 * one batch started over.
 */
export async function fiveMinuteRowsLikely(sql: Sql, slots: readonly Partition[]): Promise<boolean> {
  const r = await sql.query<{ two_hour: boolean; series: number | string; slot_rows: number | string | null }>(
    `SELECT EXISTS (SELECT 1 FROM series WHERE chunk_seconds = ${TWO_HOURS_S}) AS two_hour,
            (SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE (SELECT count(*) FROM series) END FROM pg_class c WHERE c.oid = 'series'::regclass) AS series,
            (SELECT avg(CASE WHEN c.reltuples >= 0 THEN c.reltuples ELSE pg_relation_size(c.oid) / current_setting('block_size')::int * ${HOT_ROWS_PER_PAGE} END)
               FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])) AS slot_rows`,
    [slots.map((s) => s.name)],
  );
  const row = r.rows[0]!;
  if (row.two_hour) return true;
  return row.slot_rows !== null && Number(row.slot_rows) >= DENSE_POINTS_PER_2H * Math.max(1, Number(row.series));
}

/** Closed slots compacted in one transaction at most (a day of them). */
const SLOTS_PER_TRANSACTION = 12;

export async function compactClosedWindows(sql: Sql, nowMs: number, options: CompactOptions = {}): Promise<CompactResult> {
  const t0 = performance.now();
  const total = { points: 0, chunks: 0, rollupDays: 0 };
  const series = new Set<number>();
  const cutoffMs = nowMs - (options.graceMs ?? COMPACTION_GRACE_MS);
  const closed: Closed = { twoHoursMs: windowStartMs(cutoffMs, TWO_HOURS_S), dayMs: windowStartMs(cutoffMs, DAY_S) };
  const batchPoints = options.batchPoints ?? DEFAULT_BATCH_POINTS;
  const ran = await withCompactionLock(sql, async () => {
    const span = await sql.query<{ lo: number | null; hi: number | null }>(`SELECT min(id) AS lo, max(id) AS hi FROM series`);
    const first = span.rows[0]?.lo;
    const last = span.rows[0]?.hi;
    if (first === null || first === undefined || last === null || last === undefined) return;
    const lo = Number(first);
    const hi = Number(last);
    // The closed two-hour slots holding rows, oldest first: compacted first, up to a day of them a
    // transaction, each whole and then truncated.
    const full: Partition[] = [];
    for (const slot of await listHotPartitions(sql)) {
      if (slot.endMs > closed.twoHoursMs) break;
      if ((await sql.query(`SELECT 1 FROM ${slot.name} LIMIT 1`)).rows.length) full.push(slot);
    }
    // The partitions of the recent days exist before the first batch; others (late or backfilled
    // data) are made when a batch meets them (a batch that finds one missing starts over once, its
    // SELECT repeated). 5-minute rollups only where some series may earn them (fiveMinuteRowsLikely,
    // asked only while one of them is missing): an empty partition costs 16 kB, and a store of 5-minute
    // series never fills it.
    const recent = [closed.dayMs - DAY_MS, closed.dayMs];
    const fiveMinute = await missingPartitions(sql, sql, recent.map((keyMs) => ({ table: 'rollups_5m' as const, keyMs })));
    const tables: PartitionedTable[] = ['chunks', 'rollups_1h', ...(fiveMinute.length && (await fiveMinuteRowsLikely(sql, full)) ? (['rollups_5m'] as const) : [])];
    await makePartitions(sql, recent.flatMap((d) => tables.map((table) => ({ table, keyMs: d }))));
    for (let i = 0; i < full.length; i += SLOTS_PER_TRANSACTION) {
      await compactSlots(sql, full.slice(i, i + SLOTS_PER_TRANSACTION), closed, batchPoints, options.truncateLockTimeoutMs ?? HOT_LOCK_TIMEOUT_MS, total, series);
    }
    // Then the default partition's closed rows: batches by series id ranges, sized by the planner's
    // estimates and then by what the batches read (no counting pass), each read and deleted — or, for
    // a backfill's many rows, read only and swept at the end (sweepDefault).
    await analyzeIfStale(sql);
    const estimate = await estimateRows(sql, closed.twoHoursMs, lo, hi);
    const sweepSince = estimate >= (options.sweepMinRows ?? SWEEP_MIN_ROWS) ? await currentSnapshot(sql) : undefined;
    // Reading series by series probes every id of a batch's range, with rows or not (3.5–4.8 µs an id on
    // the embedded store), for 0.08–0.1 µs a row less: worth it from about 50 rows an id.
    const perSeries = estimate >= PER_SERIES_MIN_ROWS_PER_ID * (hi - lo + 1) && (await clusteredBySeries(sql));
    let done = 0;
    let rate = estimate / (hi - lo + 1);
    for (let from = lo; from <= hi; ) {
      const batches = await nextBatches(sql, from, hi, batchSpan(batchPoints, rate), batchPoints, closed);
      let read = 0;
      for (const batch of batches) {
        read += await runBatch(sql, { ...batch, keepHot: sweepSince !== undefined, perSeries }, closed, total, series);
        await options.afterBatch?.();
      }
      const last = batches[batches.length - 1]!.hi;
      done += read;
      // The next batch at the larger of these ids' rate and the estimate's rate over what is left.
      rate = Math.max(read / (last - from + 1), Math.max(0, estimate - done) / Math.max(1, hi - last));
      from = last + 1;
    }
    if (sweepSince !== undefined) await sweepDefault(sql, sweepSince, { lo, hi }, closed, options.truncateLockTimeoutMs ?? HOT_LOCK_TIMEOUT_MS);
  });
  return { ...total, series: series.size, ms: performance.now() - t0, ran };
}

/**
 * Closed rows in the default partition from which a run sweeps it (a backfill) instead of deleting
 * each batch's rows. Measured (30 series × a year at 5 min, 3.15M rows in the default partition,
 * alternating, three runs each, CPU of Node and PostgreSQL): embedded 387,000–431,000 points per CPU
 * second with the per-batch DELETE, 580,000–601,000 swept; PostgreSQL 466,000–498,000 and 624,000–645,000.
 * Below it a run deletes as it goes: a small default partition (late data) is not worth the end's scan.
 */
export const SWEEP_MIN_ROWS = 1_000_000;

/**
 * Whether the default partition's rows lie grouped by series, as a backfill written series by series
 * does: the planner statistics' correlation of series_id with the rows' order on disk (1 for that
 * backfill, about 0 for rows in time order). Then compaction reads each series of a batch through its
 * own index range (compactBatch). The embedded store only: measured there; PostgreSQL meets its
 * compaction target with the one form. Without statistics (a small default partition), false.
 */
export async function clusteredBySeries(sql: Sql): Promise<boolean> {
  if (sql.driver !== 'pglite') return false;
  const r = await sql.query<{ c: number | string | null }>(
    `SELECT correlation AS c FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'points_default' AND attname = 'series_id'`,
  );
  const c = r.rows[0]?.c;
  return c !== null && c !== undefined && Number(c) >= CLUSTERED_CORRELATION;
}

/** The correlation from which rows count as grouped by series. */
const CLUSTERED_CORRELATION = 0.9;

/** Closed rows in the default partition an id of the series table, at least, for reads series by series (twice the break-even). */
const PER_SERIES_MIN_ROWS_PER_ID = 100;

/** Changed rows since the default partition's last ANALYZE from which compaction analyses it first. */
const STALE_MIN_ROWS = 100_000;

/**
 * ANALYZE of the default partition when its statistics lag behind it (at least STALE_MIN_ROWS and a
 * tenth of its rows changed since): the batches' sizes and the sweep rest on the planner's estimates.
 * PGlite has no autovacuum, and its embedded-vacuum job analyses only after deletes; without this, a
 * backfill there was estimated at a few rows, compacted in two giant batches with a sort instead of a
 * hash aggregate, and not swept (3.15 M rows: 292,000 points per CPU second against 550,000–650,000).
 * The rows changed are the statistics' count, or the rows the pages added since the last ANALYZE hold
 * when more (the count is flushed at most once a second, so a backfill just written may not be in it). On
 * PostgreSQL autovacuum usually got there first; a lock it holds is not waited for.
 */
async function analyzeIfStale(sql: Sql): Promise<void> {
  const r = await sql.query<{ reltuples: number | string; relpages: number | string; pages: number | string; changed: number | string | null }>(
    `SELECT c.reltuples, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::int AS pages, s.n_mod_since_analyze AS changed
     FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'points_default'::regclass`,
  );
  const row = r.rows[0];
  if (!row) return;
  const tuples = Math.max(0, Number(row.reltuples));
  // New pages of a bulk write are full: the fixed-width rows' count a page, not the old pages' density
  // (half-emptied by compaction's deletes).
  const changed = Math.max(Number(row.changed ?? 0), (Number(row.pages) - Math.max(0, Number(row.relpages))) * HOT_ROWS_PER_PAGE);
  if (changed < STALE_MIN_ROWS || changed < 0.1 * tuples) return;
  await unlessBlocked(sql, 200, async (tx) => {
    await tx.exec(`SET LOCAL default_statistics_target = ${STALE_STATISTICS_TARGET}; ANALYZE points_default`);
  });
}

/**
 * The statistics target of that ANALYZE: a sample of 300 × 10 rows, not the default 30,000, which on a
 * backfill reads every page (157 rows a page). Ten histogram buckets of series ids are enough to size
 * the first batch (the next ones follow what the batches read). Measured on the embedded store, 3.15 M
 * rows (30 series × a year at 5 min): 45 ms instead of 290, 5–6% of the run's CPU, the same batches.
 */
const STALE_STATISTICS_TARGET = 10;

/** Hot rows a full page holds: a 48-byte tuple (header, series id, time, value) and its 4-byte line pointer. */
const HOT_ROWS_PER_PAGE = 157;

/** A snapshot: the transactions it sees as finished, and the oldest it saw running. */
interface Snapshot {
  text: string;
  xmin: bigint;
}

/**
 * The snapshot a sweeping run's rows are judged by, taken before its first batch. A row whose
 * transaction this snapshot sees as finished was committed before it (or is dead). A snapshot lists
 * top-level transactions only, so a subtransaction of one still running would look finished: no
 * subtransaction writes points (write.ts appends without a savepoint).
 */
async function currentSnapshot(sql: Sql): Promise<Snapshot> {
  const r = await sql.query<{ s: string; x: string }>(`SELECT s::text AS s, pg_snapshot_xmin(s)::text AS x FROM pg_current_snapshot() s`);
  return { text: r.rows[0]!.s, xmin: BigInt(r.rows[0]!.x) };
}

/**
 * Ends a sweeping run: removes from the default partition the rows its batches compacted, with TRUNCATE
 * when that is every row there. The batches left their rows (reads meanwhile found each point twice,
 * hot and in its chunk, and kept one: the hot row wins on an equal timestamp); a row counts as
 * compacted when a batch's predicate took it and the snapshot taken before the first batch saw it
 * (currentSnapshot), so every batch saw it with the value it has now. A row written or changed since
 * (late data, an overwrite, a transaction still open then) fails that test and stays for the next run,
 * as do rows no batch takes (an open day, a series made since). Under a SHARE lock (writers wait,
 * readers go on): nothing can arrive between the look and the removal. A lock not granted within
 * `lockTimeoutMs` (a writer's transaction held open there) removes nothing: the next run takes the
 * rows again, as after a run stopped midway, rather than queue every writer behind the wait.
 */
async function sweepDefault(sql: Sql, since: Snapshot, ids: { lo: number; hi: number }, closed: Closed, lockTimeoutMs: number): Promise<void> {
  await unlessBlocked(sql, lockTimeoutMs, async (tx) => {
    await tx.exec(`LOCK TABLE points_default IN SHARE MODE`);
    // age(xmin) counts back from this transaction's own id, so a row's full id is now − age(xmin).
    const now = BigInt((await tx.query<{ x: string }>(`SELECT pg_current_xact_id()::text AS x`)).rows[0]!.x);
    const span = now - since.xmin;
    // Two thousand million transactions during one run: too far for age(); the rows stay for the next run.
    if (span >= 2n ** 31n - 1n) return;
    // Older than the snapshot's oldest running transaction: seen (frozen rows too, whose age is the
    // largest). Younger: seen only if finished when it was taken — a transaction open elsewhere in the
    // cluster then (another database's, a long report) must not hold back every row written since.
    const seen = `(age(p.xmin) > $5::int8 OR pg_visible_in_snapshot(($6::int8 - age(p.xmin))::text::xid8, $7::pg_snapshot))`;
    const taken = `p.series_id BETWEEN $1 AND $2 AND p.ts < to_timestamp($3::float8 / 1000)
      AND (p.ts < to_timestamp($4::float8 / 1000) OR p.series_id IN (SELECT id FROM series WHERE id BETWEEN $1 AND $2 AND chunk_seconds = ${TWO_HOURS_S}))
      AND ${seen}`;
    const params = [ids.lo, ids.hi, closed.twoHoursMs, closed.dayMs, span.toString(), now.toString(), since.text];
    // A row no batch took, if any: first those outside the batches' key ranges, through the indexes
    // (other series' ids by the primary key; times from the open day on by the time index, where rows
    // are few or none: the slots hold the recent days), then those unseen by the snapshot, by a scan
    // that tests nothing else. NOT (taken) in one scan tested both per row: 0.16 µs a row on the
    // embedded store, against 0.08 for the scan, and the key ranges' look-ups cost about nothing.
    const others = await tx.query<{ any: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM points_default p WHERE p.series_id < $1)
           OR EXISTS (SELECT 1 FROM points_default p WHERE p.series_id > $2)
           OR EXISTS (SELECT 1 FROM points_default p WHERE p.ts >= to_timestamp($4::float8 / 1000) AND NOT (p.ts < to_timestamp($3::float8 / 1000)
                AND p.series_id IN (SELECT id FROM series WHERE id BETWEEN $1 AND $2 AND chunk_seconds = ${TWO_HOURS_S})))
           OR EXISTS (SELECT 1 FROM points_default p WHERE NOT ${seen}) AS any`,
      params,
    );
    if (!others.rows[0]!.any) await emptySlot(tx, 'points_default', lockTimeoutMs);
    else await tx.query(`DELETE FROM points_default p WHERE ${taken}`, params);
  });
}
