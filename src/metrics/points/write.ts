// The append path (issue 18): every acknowledged point is stored exactly once, either as a hot row in
// `points` or inside the chunk of its series and window, under `reject` and `overwrite` alike.
//
// Fast path: a point newer than its series' newest stored timestamp (the process' LastTimestamps) and
// newer than now − COMPACTION_GRACE_MS (no chunk can hold it: compaction only takes windows that ended
// at least the grace ago) is appended with a plain INSERT: no ON CONFLICT, no chunk look-up. The memory
// is a hint: when another process stored the same point meanwhile, the primary key refuses the insert
// (unique violation) and the batch takes the checked path instead.
//
// Checked path (late data, duplicates, cold memory): hot rows with ON CONFLICT as before; then points
// at or before now − grace are looked up in the chunks of their windows (FOR UPDATE, decoded):
// `reject` drops one found there (a duplicate), `overwrite` removes it from the chunk (re-encoded, or
// the chunk row deleted when empty) and keeps the new hot row (counted as replaced). A point written
// into a window that has a chunk deletes the 5-minute rollup row of its series and UTC day.
//
// Order against the compaction job (src/metrics/points/compact.ts reads and then deletes its hot rows under
// one REPEATABLE READ snapshot, then locks the chunks it merges into, updating them in place): the hot row is inserted FIRST and the
// chunks are read in a LATER statement. An insert that meets a hot row being compacted waits for the
// compactor's commit, and the chunk read then sees the merged chunk; a hot row the compactor did not
// see stays hot (late data, picked up by its next run). Both take hot rows before chunks; this path
// takes each in key order, and a deadlock that still happens is retried whole by the ingest pipeline.
// A sweeping run (a backfill) deletes nothing until its end: a point it has compacted is meanwhile still
// a hot row, so a write meets that row (`reject`: a duplicate; `overwrite`: the row is updated, which
// keeps it hot past the sweep, and it wins over the chunk's copy until the next run merges it).
// The grace is also the clock skew allowed between API processes and the compactor.
import { float8Array, int8Array, timestamptzArray, type Sql } from '../../store/sql.js';
import { decodeChunk, encodeChunk } from '../../store/chunks/codec.js';
import { COMPACTION_GRACE_MS, DAY_MS, dayStartMs, windowStartMs, type ChunkSeconds } from '../../store/chunks/window.js';
import { IdTable } from './id-table.js';
import type { LastTimestamps } from './last-timestamps.js';

export type DuplicatePolicy = 'reject' | 'overwrite';

/** Points as parallel arrays, one row per (series, time): callers remove repeats within a batch first. */
export interface PointRows {
  seriesIds: number[];
  /** Epoch milliseconds (whole). */
  timestampsMs: number[];
  values: number[];
}

export interface WritePlan {
  /** Points newer than everything stored of their series and than now − grace: appended as they are. */
  fresh: PointRows;
  /** The rest: through ON CONFLICT, and the chunks when old enough to meet one. */
  checked: PointRows;
  /** Points at or before this time (epoch ms) may lie in a compacted window. */
  cutoffMs: number;
  /**
   * Per series whose newest stored time was known or read, the newest timestamp stored once this write
   * commits (every point of the batch is stored then, by this write or an earlier one). Give it to
   * LastTimestamps.remember after the commit. Empty without a memory.
   */
  newest: Map<number, number>;
}

export interface WriteCounts {
  /** Points that were not stored before (new hot rows). */
  inserted: number;
  /** Points that met a stored one: skipped with `reject`, replaced it with `overwrite`. */
  duplicates: number;
}

const emptyRows = (): PointRows => ({ seriesIds: [], timestampsMs: [], values: [] });

function push(into: PointRows, from: PointRows, i: number): void {
  into.seriesIds.push(from.seriesIds[i]!);
  into.timestampsMs.push(from.timestampsMs[i]!);
  into.values.push(from.values[i]!);
}

/** The rows of `parts` one after another. */
function concatRows(...parts: PointRows[]): PointRows {
  return { seriesIds: parts.flatMap((p) => p.seriesIds), timestampsMs: parts.flatMap((p) => p.timestampsMs), values: parts.flatMap((p) => p.values) };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Epoch ms (a bigint expression) as timestamptz, exactly (each product is an integer a double holds). */
const tsOf = (t: string) => `timestamptz 'epoch' + (${t} / 1000) * interval '1 second' + (${t} % 1000) * interval '1 millisecond'`;
/** A timestamptz as epoch ms (float8: whole milliseconds are exact). */
const msOf = (ts: string) => `(extract(epoch FROM ${ts}) * 1000)::float8`;

// The batch's rows as parameters: binary arrays (src/store/sql.ts), so times arrive as timestamptz and
// nothing is formatted or parsed; unnest in the select list (ProjectSet) streams them into the insert
// in array order, without the tuplestore and sort of `FROM unnest(…) ORDER BY` (11% less PostgreSQL
// CPU, 17% less on the embedded store). The arrays are sent in key order: concurrent batches take the
// primary key's entries in one order (no deadlock).
const batchRows = `SELECT unnest($1::int8[]), unnest($2::timestamptz[]), unnest($3::float8[])`;

function rowParams(r: PointRows): Buffer[] {
  const k = inKeyOrder(r);
  return [int8Array(k.seriesIds), timestamptzArray(k.timestampsMs), float8Array(k.values)];
}

/** The rows sorted by (series, time); the same object when they already are (a scrape's batch is). */
function inKeyOrder(r: PointRows): PointRows {
  const { seriesIds: s, timestampsMs: t } = r;
  let sorted = true;
  for (let i = 1; i < s.length && sorted; i++) sorted = s[i - 1]! < s[i]! || (s[i - 1] === s[i] && t[i - 1]! < t[i]!);
  if (sorted) return r;
  const order = Array.from(s, (_, i) => i).sort((a, b) => s[a]! - s[b]! || t[a]! - t[b]!);
  return { seriesIds: order.map((i) => s[i]!), timestampsMs: order.map((i) => t[i]!), values: order.map((i) => r.values[i]!) };
}

// ---------------------------------------------------------------------------------------------
// Planning

// The newest stored timestamp of each series: hot rows (the primary key's last entry) and its newest
// chunk among the recent partitions (older chunks cannot hold anything newer than now − grace).
const newestStored = `
SELECT u.s::float8 AS id, ${msOf(`greatest(
  (SELECT max(p.ts) FROM points p WHERE p.series_id = u.s),
  (SELECT c.last_ts FROM chunks c WHERE c.series_id = u.s AND c.window_start >= $2::timestamptz ORDER BY c.window_start DESC LIMIT 1))`)} AS last_ms
FROM unnest($1::int8[]) AS u(s)`;

/**
 * Splits a batch into fresh and checked points. Series the memory does not know yet, with a point newer
 * than now − grace, have their newest stored timestamp read first (one statement, outside the write
 * transaction). Without `memory` every point is checked. `nowMs` is the wall clock (epoch ms).
 */
export async function planWrite(sql: Sql, rows: PointRows, nowMs: number, memory?: LastTimestamps): Promise<WritePlan> {
  const cutoffMs = nowMs - COMPACTION_GRACE_MS;
  const newest = new Map<number, number>();
  if (!memory) return { fresh: emptyRows(), checked: rows, cutoffMs, newest };
  const n = rows.seriesIds.length;
  // Per distinct series (numbered by the table): its newest time in the batch, then its newest stored
  // time (NaN: unknown, so every point of it is checked).
  const table = new IdTable(n);
  const numberOf = new Int32Array(n);
  const batchNewest = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const k = table.add(rows.seriesIds[i]!);
    numberOf[i] = k;
    const t = rows.timestampsMs[i]!;
    if (t > batchNewest[k]!) batchNewest[k] = t;
  }

  // The newest stored time of each series, as remembered or read now. A series with only old points
  // in the batch is neither looked up nor remembered: its newest stored point may be far newer.
  const stored = new Float64Array(table.size).fill(Number.NaN);
  const cold: number[] = [];
  for (let k = 0; k < table.size; k++) {
    const sid = table.ids[k]!;
    const known = memory.get(sid);
    if (known !== undefined) stored[k] = known;
    else if (batchNewest[k]! > cutoffMs) cold.push(sid);
  }
  if (cold.length) {
    const r = await sql.query<{ id: number; last_ms: number | null }>(newestStored, [int8Array(cold), iso(cutoffMs - DAY_MS)], { prepare: 'iv_points_newest' });
    for (const row of r.rows) stored[table.find(Number(row.id))] = row.last_ms ?? Number.NEGATIVE_INFINITY;
  }
  for (let k = 0; k < table.size; k++) if (stored[k] === stored[k]) newest.set(table.ids[k]!, Math.max(stored[k]!, batchNewest[k]!));

  const fresh = emptyRows();
  const checked = emptyRows();
  for (let i = 0; i < n; i++) {
    const t = rows.timestampsMs[i]!;
    const known = stored[numberOf[i]!]!; // NaN compares false: checked
    if (t > known && t > cutoffMs) push(fresh, rows, i);
    else push(checked, rows, i);
  }
  return { fresh, checked, cutoffMs, newest };
}

// ---------------------------------------------------------------------------------------------
// Writing

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

const appendStatement = `INSERT INTO points (series_id, ts, value) ${batchRows}`;

/** Appends points known to be new; a stored (series, time) among them fails with a unique violation. */
async function append(sql: Sql, rows: PointRows): Promise<void> {
  await sql.query(appendStatement, rowParams(rows), { prepare: 'iv_points_append' });
}

// Group commit of the append on the embedded store. A statement costs a fixed part besides its points
// (the protocol steps, the executor, the commit: ~1 ms in PGlite, a fifth of a 1,000-point request),
// and PGlite runs one statement at a time anyway, so appends that arrive while one is running wait for
// it and then go together, as one statement in key order. Each request is still answered only after
// the statement holding its points committed. When that statement fails (a point another process
// stored, the same point in two of the waiting requests, any error), each request's points are
// appended again on their own, so every request gets its own outcome (a unique violation then takes
// that request to the checked path). On PostgreSQL concurrent appends run in parallel backends:
// grouping them serialised that work and cut throughput (measured), so they stay apart there.

interface WaitingAppend {
  rows: PointRows;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface AppendQueue {
  running: boolean;
  waiting: WaitingAppend[];
}

/** Points in one grouped statement at most (binary arrays of 36 bytes a point). */
const maxGroupPoints = 50_000;
const appendQueues = new WeakMap<Sql, AppendQueue>();

/** {@link append} outside a transaction; on the embedded store grouped with the appends that arrive meanwhile. */
async function appendGrouped(sql: Sql, rows: PointRows): Promise<void> {
  if (sql.driver !== 'pglite') return append(sql, rows);
  let q = appendQueues.get(sql);
  if (!q) appendQueues.set(sql, (q = { running: false, waiting: [] }));
  if (q.running) return new Promise((resolve, reject) => q.waiting.push({ rows, resolve, reject }));
  q.running = true;
  try {
    await append(sql, rows);
  } finally {
    void appendWaiting(sql, q);
  }
}

/** Sends what waited, a group a statement, until nothing waits. */
async function appendWaiting(sql: Sql, q: AppendQueue): Promise<void> {
  while (q.waiting.length) {
    let n = 0;
    let take = 0;
    while (take < q.waiting.length && (take === 0 || n + q.waiting[take]!.rows.seriesIds.length <= maxGroupPoints)) n += q.waiting[take++]!.rows.seriesIds.length;
    const group = q.waiting.splice(0, take);
    if (group.length > 1) {
      try {
        await append(sql, concatRows(...group.map((g) => g.rows)));
        for (const g of group) g.resolve();
        continue;
      } catch {
        // settled per request below
      }
    }
    for (const g of group) {
      try {
        await append(sql, g.rows);
        g.resolve();
      } catch (err) {
        g.reject(err);
      }
    }
  }
  q.running = false;
}

function hasOld(rows: PointRows, cutoffMs: number): boolean {
  return rows.timestampsMs.some((t) => t <= cutoffMs);
}

/**
 * Stores a planned batch. `alone`: `sql` is not inside a transaction and nothing else is written
 * with these points, so a batch that needs one statement runs without a transaction (and one that
 * needs more opens its own). Otherwise `sql` is a transaction: when its fresh points meet a point
 * another process stored since this one last looked, the unique violation aborts that transaction,
 * and the caller runs it again with every point checked ({@link inTransactionRechecking}).
 * Returns after the statements ran; with `alone` that is after the commit.
 */
export async function writePoints(sql: Sql, plan: WritePlan, policy: DuplicatePolicy, opts: { alone: boolean }): Promise<WriteCounts> {
  const { fresh, checked, cutoffMs } = plan;
  if (!opts.alone) return writeInTransaction(sql, plan, policy);
  if (!fresh.seriesIds.length) return hasOld(checked, cutoffMs) ? sql.transaction((tx) => writeChecked(tx, checked, policy, cutoffMs)) : writeChecked(sql, checked, policy, cutoffMs);
  if (checked.seriesIds.length) return inTransactionRechecking(sql, plan, (tx, p) => writeInTransaction(tx, p, policy));
  try {
    await appendGrouped(sql, fresh);
    return { inserted: fresh.seriesIds.length, duplicates: 0 };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  // Another process stored one of these points since this one last looked: nothing was written. Fresh
  // points are newer than now − grace, so the checked write is one statement (hot rows only).
  return writeChecked(sql, fresh, policy, cutoffMs);
}

/**
 * The append and the checked write in the caller's transaction. No savepoint around the append: a
 * subtransaction's rows would look finished to a sweeping compaction's snapshot while their
 * transaction still ran (a snapshot lists top-level transactions only; compact.ts, sweepDefault).
 */
async function writeInTransaction(tx: Sql, plan: WritePlan, policy: DuplicatePolicy): Promise<WriteCounts> {
  if (plan.fresh.seriesIds.length) await append(tx, plan.fresh);
  const c = await writeChecked(tx, plan.checked, policy, plan.cutoffMs);
  return { inserted: plan.fresh.seriesIds.length + c.inserted, duplicates: c.duplicates };
}

/**
 * Runs `fn`, which writes `plan` (writePoints, not alone) with whatever else goes with the points, in a
 * transaction. When the append met a point another process stored since this one last looked (a unique
 * violation: the whole transaction rolled back), runs it once more with every point checked.
 */
export async function inTransactionRechecking<T>(sql: Sql, plan: WritePlan, fn: (tx: Sql, plan: WritePlan) => Promise<T>): Promise<T> {
  try {
    return await sql.transaction((tx) => fn(tx, plan));
  } catch (err) {
    if (!plan.fresh.seriesIds.length || !isUniqueViolation(err)) throw err;
  }
  const checkingAll: WritePlan = { ...plan, fresh: emptyRows(), checked: concatRows(plan.checked, plan.fresh) };
  return sql.transaction((tx) => fn(tx, checkingAll));
}

// ---------------------------------------------------------------------------------------------
// The checked path

/** Old points written as hot rows (at or before the cutoff): the ones a chunk may concern. */
interface OldWritten {
  seriesIds: number[];
  timestampsMs: number[];
  /** False where the point replaced a hot row (`overwrite`): no chunk can hold it as well. */
  isNew: boolean[];
}

// One statement: the hot rows, the count, and the old points written (for the chunk check).
const insertRejecting = `
WITH ins AS (
  INSERT INTO points (series_id, ts, value) ${batchRows}
  ON CONFLICT (series_id, ts) DO NOTHING
  RETURNING series_id, ts
)
SELECT count(*)::int AS written, 0 AS replaced,
  array_agg(series_id::float8) FILTER (WHERE ts <= $4::timestamptz) AS old_s,
  array_agg(${msOf('ts')}) FILTER (WHERE ts <= $4::timestamptz) AS old_t,
  array_agg(true) FILTER (WHERE ts <= $4::timestamptz) AS old_new
FROM ins`;

// `overwrite` in two statements: the new points (ON CONFLICT DO NOTHING), then the stored ones
// replaced by an UPDATE. One INSERT … ON CONFLICT DO UPDATE cannot tell them apart on a partitioned
// table (RETURNING xmax is refused there). DO NOTHING waits for a conflicting insert in flight, so the
// UPDATE (a later statement, a later snapshot) sees every row it skipped; one deleted meanwhile
// (compaction of the default partition) is inserted again by the next round.
const insertNew = `
WITH ins AS (
  INSERT INTO points (series_id, ts, value) ${batchRows}
  ON CONFLICT (series_id, ts) DO NOTHING
  RETURNING series_id, ts
)
SELECT array_agg(series_id::float8) AS s, array_agg(${msOf('ts')}) AS t FROM ins`;

const updateStored = `
WITH up AS (
  UPDATE points p SET value = u.v FROM (${batchRows}) AS u(s, t, v)
  WHERE p.series_id = u.s AND p.ts = u.t
  RETURNING p.series_id, p.ts
)
SELECT array_agg(series_id::float8) AS s, array_agg(${msOf('ts')}) AS t FROM up`;

/** The hot rows of `rows` written with `overwrite`, as the one-statement `reject` reports them. */
async function writeOverwriting(sql: Sql, rows: PointRows, cutoffMs: number): Promise<HotResult> {
  const out: HotResult = { written: 0, replaced: 0, old_s: [], old_t: [], old_new: [] };
  const note = (s: number[] | null, t: number[] | null, inserted: boolean, done: Set<string>) => {
    for (let i = 0; i < (s?.length ?? 0); i++) {
      done.add(pointKey(s![i]!, t![i]!));
      if (t![i]! > cutoffMs) continue;
      out.old_s!.push(s![i]!);
      out.old_t!.push(t![i]!);
      out.old_new!.push(inserted);
    }
  };
  const rest = (from: PointRows, done: Set<string>) => {
    const left = emptyRows();
    for (let i = 0; i < from.seriesIds.length; i++) if (!done.has(pointKey(from.seriesIds[i]!, from.timestampsMs[i]!))) push(left, from, i);
    return left;
  };
  let pending = rows;
  for (let round = 0; pending.seriesIds.length; round++) {
    if (round >= 5) throw new Error(`points kept vanishing between insert and update (${pending.seriesIds.length} left)`);
    const inserted = new Set<string>();
    const a = (await sql.query<{ s: number[] | null; t: number[] | null }>(insertNew, rowParams(pending), { prepare: 'iv_points_insert_new' })).rows[0]!;
    note(a.s, a.t, true, inserted);
    out.written += inserted.size;
    const stored = rest(pending, inserted);
    if (!stored.seriesIds.length) break;
    const replaced = new Set<string>();
    const b = (await sql.query<{ s: number[] | null; t: number[] | null }>(updateStored, rowParams(stored), { prepare: 'iv_points_update_stored' })).rows[0]!;
    note(b.s, b.t, false, replaced);
    out.written += replaced.size;
    out.replaced += replaced.size;
    pending = rest(stored, replaced);
  }
  return out;
}

interface HotResult {
  written: number;
  replaced: number;
  old_s: number[] | null;
  old_t: number[] | null;
  old_new: boolean[] | null;
}

/**
 * Writes points that may meet stored ones. Points after `cutoffMs` can only meet hot rows: one
 * statement then. Older ones also meet chunks: run it in a transaction (the chunk rows are locked).
 */
async function writeChecked(sql: Sql, rows: PointRows, policy: DuplicatePolicy, cutoffMs: number): Promise<WriteCounts> {
  const n = rows.seriesIds.length;
  if (!n) return { inserted: 0, duplicates: 0 };
  let candidates = rows;
  if (policy === 'reject' && hasOld(rows, cutoffMs)) {
    // A point already in a chunk is a duplicate: not inserted at all (a re-sent backfill writes nothing).
    const found = await chunkMembers(sql, oldOf(rows, cutoffMs), false);
    if (found.present.size) {
      candidates = emptyRows();
      for (let i = 0; i < n; i++) if (!found.present.has(pointKey(rows.seriesIds[i]!, rows.timestampsMs[i]!))) push(candidates, rows, i);
    }
  }
  if (!candidates.seriesIds.length) return { inserted: 0, duplicates: n };

  const hot =
    policy === 'reject'
      ? (await sql.query<HotResult>(insertRejecting, [...rowParams(candidates), iso(cutoffMs)], { prepare: 'iv_points_insert_reject' })).rows[0]!
      : await sql.transaction((tx) => writeOverwriting(tx, candidates, cutoffMs));
  let written = hot.written;
  let replaced = hot.replaced;
  const old: OldWritten = { seriesIds: hot.old_s ?? [], timestampsMs: hot.old_t ?? [], isNew: hot.old_new ?? [] };
  if (old.seriesIds.length) {
    const settled = await settleWithChunks(sql, old, policy);
    written -= settled.rejected;
    replaced += settled.replaced;
  }
  // reject: points found in a chunk beforehand were never candidates, so they count in n − written.
  if (policy === 'reject') return { inserted: written, duplicates: n - written };
  return { inserted: n - replaced, duplicates: replaced };
}

function oldOf(rows: PointRows, cutoffMs: number): { seriesIds: number[]; timestampsMs: number[] } {
  const out = { seriesIds: [] as number[], timestampsMs: [] as number[] };
  for (let i = 0; i < rows.seriesIds.length; i++) {
    if (rows.timestampsMs[i]! > cutoffMs) continue;
    out.seriesIds.push(rows.seriesIds[i]!);
    out.timestampsMs.push(rows.timestampsMs[i]!);
  }
  return out;
}

const pointKey = (seriesId: number, tMs: number) => `${seriesId}:${tMs}`;

// ---------------------------------------------------------------------------------------------
// Chunks of the windows of given points

interface WindowChunk {
  seriesId: number;
  chunkSeconds: ChunkSeconds;
  windowMs: number;
  /** A packed row's end (chunk-pack.ts: days of one month); undefined for a window of chunkSeconds. */
  endMs?: number;
  firstMs: number;
  lastMs: number;
  data: Uint8Array;
  /** Decoded on first need. */
  points?: { timestampsMs: Float64Array; values: Float64Array };
}

// The chunk rows of the points' windows (a series' width is its chunk_seconds; windows start at
// multiples of it from the epoch). The window_start range lets the planner prune day partitions.
function windowChunksQuery(lock: boolean): string {
  return `
SELECT c.series_id::float8 AS series_id, sr.chunk_seconds, ${msOf('c.window_start')} AS window_ms,
  ${msOf('c.first_ts')} AS first_ms, ${msOf('c.last_ts')} AS last_ms, c.data
FROM chunks c JOIN series sr ON sr.id = c.series_id
WHERE c.window_start > $3::timestamptz AND c.window_start <= $4::timestamptz
  AND (c.series_id, c.window_start) IN (
    SELECT u.s, ${tsOf('(u.t - ((u.t % w.ms) + w.ms) % w.ms)')}
    FROM unnest($1::int8[], $2::int8[]) AS u(s, t)
    JOIN series s2 ON s2.id = u.s
    CROSS JOIN LATERAL (SELECT s2.chunk_seconds::bigint * 1000 AS ms) w
    WHERE s2.chunk_seconds IS NOT NULL)
ORDER BY c.series_id, c.window_start${lock ? '\nFOR UPDATE OF c' : ''}`;
}

// The packed rows holding any of the points (a packed row starts at most a month before its points,
// found through its partial index). Locked after the windows' own rows: every path takes them in
// that order.
function packedChunksQuery(lock: boolean): string {
  return `
SELECT c.series_id::float8 AS series_id, sr.chunk_seconds, ${msOf('c.window_start')} AS window_ms, ${msOf('c.window_end')} AS end_ms,
  ${msOf('c.first_ts')} AS first_ms, ${msOf('c.last_ts')} AS last_ms, c.data
FROM chunks c JOIN series sr ON sr.id = c.series_id
WHERE c.window_end IS NOT NULL AND c.series_id = ANY($1::int8[]) AND c.window_end > $2::timestamptz
  AND c.window_start <= $3::timestamptz AND c.window_start > $2::timestamptz - interval '32 days'
  AND EXISTS (SELECT 1 FROM unnest($1::int8[], $4::timestamptz[]) AS u(s, t) WHERE u.s = c.series_id AND u.t >= c.window_start AND u.t < c.window_end)
ORDER BY c.series_id, c.window_start${lock ? '\nFOR UPDATE OF c' : ''}`;
}

const windowKey = (seriesId: number, windowMs: number) => `${seriesId}:${windowMs}`;

interface WindowChunks {
  /** By windowKey. */
  chunks: Map<string, WindowChunk>;
  /** Packed rows by series, in time order. */
  packed: Map<number, WindowChunk[]>;
  /** Window width of each series that has one of these chunks. */
  widths: Map<number, ChunkSeconds>;
  /** pointKey of each given point found inside its chunk. */
  present: Set<string>;
}

function extent(xs: readonly number[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max };
}

/** The chunks of the windows of `pts` (locked with `lock`), and which of the points they hold. */
async function chunkMembers(sql: Sql, pts: { seriesIds: number[]; timestampsMs: number[] }, lock: boolean): Promise<WindowChunks> {
  const out: WindowChunks = { chunks: new Map(), packed: new Map(), widths: new Map(), present: new Set() };
  if (!pts.seriesIds.length) return out;
  const { min, max } = extent(pts.timestampsMs);
  const r = await sql.query<{ series_id: number; chunk_seconds: ChunkSeconds; window_ms: number; first_ms: number; last_ms: number; data: Uint8Array }>(windowChunksQuery(lock), [
    int8Array(pts.seriesIds),
    int8Array(pts.timestampsMs),
    iso(min - DAY_MS),
    iso(max),
  ]);
  for (const row of r.rows) {
    const c: WindowChunk = { seriesId: Number(row.series_id), chunkSeconds: row.chunk_seconds, windowMs: row.window_ms, firstMs: row.first_ms, lastMs: row.last_ms, data: row.data };
    out.chunks.set(windowKey(c.seriesId, c.windowMs), c);
    out.widths.set(c.seriesId, c.chunkSeconds);
  }
  const p = await sql.query<{ series_id: number; chunk_seconds: ChunkSeconds; window_ms: number; end_ms: number; first_ms: number; last_ms: number; data: Uint8Array }>(packedChunksQuery(lock), [
    int8Array(pts.seriesIds),
    iso(min),
    iso(max),
    timestamptzArray(pts.timestampsMs),
  ]);
  for (const row of p.rows) {
    const c: WindowChunk = { seriesId: Number(row.series_id), chunkSeconds: row.chunk_seconds, windowMs: row.window_ms, endMs: row.end_ms, firstMs: row.first_ms, lastMs: row.last_ms, data: row.data };
    const list = out.packed.get(c.seriesId) ?? [];
    list.push(c);
    out.packed.set(c.seriesId, list);
  }
  if (!out.chunks.size && !out.packed.size) return out;
  for (let i = 0; i < pts.seriesIds.length; i++) {
    const c = chunkOf(out, pts.seriesIds[i]!, pts.timestampsMs[i]!);
    if (c && holds(c, pts.timestampsMs[i]!)) out.present.add(pointKey(pts.seriesIds[i]!, pts.timestampsMs[i]!));
  }
  return out;
}

function chunkOf(w: WindowChunks, seriesId: number, tMs: number): WindowChunk | undefined {
  const packed = w.packed.get(seriesId);
  if (packed) for (const c of packed) if (c.windowMs <= tMs && tMs < c.endMs!) return c;
  const width = w.widths.get(seriesId);
  return width === undefined ? undefined : w.chunks.get(windowKey(seriesId, windowStartMs(tMs, width)));
}

function decoded(c: WindowChunk): { timestampsMs: Float64Array; values: Float64Array } {
  return (c.points ??= decodeChunk(c.data));
}

/** True when the chunk holds a point at exactly `tMs` (binary search over its ascending times). */
function holds(c: WindowChunk, tMs: number): boolean {
  if (tMs < c.firstMs || tMs > c.lastMs) return false;
  const ts = decoded(c).timestampsMs;
  let lo = 0;
  let hi = ts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = ts[mid]!;
    if (v === tMs) return true;
    if (v < tMs) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * After the hot insert: locks the chunks of the old points' windows and settles what they hold.
 * `reject`: a new hot row whose point a chunk holds is deleted again (a compactor committed it
 * meanwhile). `overwrite`: such a point leaves the chunk (the new hot row is its value now).
 * Points that stay written into a window with a chunk invalidate their day's 5-minute rollup.
 */
async function settleWithChunks(sql: Sql, old: OldWritten, policy: DuplicatePolicy): Promise<{ rejected: number; replaced: number }> {
  const found = await chunkMembers(sql, old, true);
  if (!found.chunks.size && !found.packed.size) return { rejected: 0, replaced: 0 };
  const dropHot = { seriesIds: [] as number[], timestampsMs: [] as number[] };
  const removals = new Map<WindowChunk, Set<number>>();
  const days = new Map<string, { seriesId: number; dayMs: number }>();
  let replaced = 0;
  for (let i = 0; i < old.seriesIds.length; i++) {
    const sid = old.seriesIds[i]!;
    const t = old.timestampsMs[i]!;
    const c = chunkOf(found, sid, t);
    if (!c) continue;
    if (old.isNew[i] && found.present.has(pointKey(sid, t))) {
      if (policy === 'reject') {
        dropHot.seriesIds.push(sid);
        dropHot.timestampsMs.push(t);
        continue;
      }
      let set = removals.get(c);
      if (!set) removals.set(c, (set = new Set()));
      set.add(t);
      replaced++;
    }
    const dayMs = dayStartMs(t);
    days.set(`${sid}:${dayMs}`, { seriesId: sid, dayMs });
  }
  if (dropHot.seriesIds.length) await deleteHotRows(sql, dropHot);
  if (removals.size) await removeFromChunks(sql, removals);
  if (days.size) await deleteRollups(sql, [...days.values()]);
  return { rejected: dropHot.seriesIds.length, replaced };
}

async function deleteHotRows(sql: Sql, pts: { seriesIds: number[]; timestampsMs: number[] }): Promise<void> {
  await sql.query(
    `DELETE FROM points p USING unnest($1::int8[], $2::timestamptz[]) AS u(s, t)
     WHERE p.series_id = u.s AND p.ts = u.t`,
    [int8Array(pts.seriesIds), timestamptzArray(pts.timestampsMs)],
  );
}

/** Takes points out of their chunks: re-encoded in place, or the chunk row deleted when none is left. */
async function removeFromChunks(sql: Sql, removals: Map<WindowChunk, Set<number>>): Promise<void> {
  const upd = { s: [] as number[], w: [] as number[], n: [] as number[], f: [] as number[], l: [] as number[], d: [] as string[] };
  const del = { s: [] as number[], w: [] as number[] };
  for (const [c, gone] of removals) {
    const { timestampsMs, values } = decoded(c);
    const keep: number[] = [];
    for (let i = 0; i < timestampsMs.length; i++) if (!gone.has(timestampsMs[i]!)) keep.push(i);
    if (!keep.length) {
      del.s.push(c.seriesId);
      del.w.push(c.windowMs);
      continue;
    }
    const ts = new Float64Array(keep.length);
    const vs = new Float64Array(keep.length);
    keep.forEach((k, j) => {
      ts[j] = timestampsMs[k]!;
      vs[j] = values[k]!;
    });
    upd.s.push(c.seriesId);
    upd.w.push(c.windowMs);
    upd.n.push(keep.length);
    upd.f.push(ts[0]!);
    upd.l.push(ts[keep.length - 1]!);
    upd.d.push(Buffer.from(encodeChunk(ts, vs)).toString('hex'));
  }
  if (upd.s.length) {
    const { min, max } = extent(upd.w);
    await sql.query(
      `UPDATE chunks c SET n = u.n::int, first_ts = u.f, last_ts = u.l, data = decode(u.d, 'hex')
       FROM unnest($1::int8[], $2::timestamptz[], $3::int8[], $4::timestamptz[], $5::timestamptz[], $6::text[]) AS u(s, w, n, f, l, d)
       WHERE c.series_id = u.s AND c.window_start = u.w AND c.window_start BETWEEN $7::timestamptz AND $8::timestamptz`,
      [int8Array(upd.s), timestamptzArray(upd.w), int8Array(upd.n), timestamptzArray(upd.f), timestamptzArray(upd.l), upd.d, iso(min), iso(max)],
    );
  }
  if (del.s.length) {
    const { min, max } = extent(del.w);
    await sql.query(
      `DELETE FROM chunks c USING unnest($1::int8[], $2::timestamptz[]) AS u(s, w)
       WHERE c.series_id = u.s AND c.window_start = u.w AND c.window_start BETWEEN $3::timestamptz AND $4::timestamptz`,
      [int8Array(del.s), timestamptzArray(del.w), iso(min), iso(max)],
    );
  }
}

/**
 * Deletes the 5-minute rollup rows of these (series, UTC day)s; compaction recomputes them from the day's
 * chunks. The 1-hour rows (a month each, holding days whose raw points may have expired) stay: until
 * compaction rewrites the window's buckets, the late hot row makes reads take the day raw (buckets.ts).
 */
async function deleteRollups(sql: Sql, days: { seriesId: number; dayMs: number }[]): Promise<void> {
  const { min, max } = extent(days.map((d) => d.dayMs));
  await sql.query(
    `DELETE FROM rollups_5m r USING unnest($1::int8[], $2::timestamptz[]) AS u(s, d)
     WHERE r.series_id = u.s AND r.day = u.d AND r.day BETWEEN $3::timestamptz AND $4::timestamptz`,
    [int8Array(days.map((d) => d.seriesId)), timestamptzArray(days.map((d) => d.dayMs)), iso(min), iso(max)],
  );
}
