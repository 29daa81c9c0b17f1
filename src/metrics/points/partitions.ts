// Time partitions of the chunk and rollup tables (issue 18): made on demand before rows are written,
// listed and dropped by retention (retention.ts). Every window and rollup row lies inside one partition,
// so a partition whose end is past every organisation's retention is dropped whole.
//
// Widths: a day (chunks_pYYYYMMDD), a month (chunks_pYYYYMM, rollups_5m_pYYYYMM) or a year
// (chunks_pYYYY, rollups_1h_pYYYY), chosen when a partition is made, from how many points the store's
// series write a day (estimatePointsPerDay, widthFor): the finest width whose period holds about a
// million points or more. Later, the maintenance job merges small closed partitions into one spanning
// them (partition-merge.ts: chunks_pYYYYMMDD_YYYYMMDD); ranges, not names, tell which partition holds a
// time. A partition
// has a fixed cost of 32–56 kB (a heap page, the primary key's metapage and root, the TOAST index, then
// the free space and visibility maps), ~2 % of a million points' chunks; on the NAB corpus (58 series
// over 318 days) day partitions were 10 of its 12 MB, 28 bytes a point. Rollup partitions are one width
// coarser than chunk partitions (a month at least): their rows are a fraction of the chunks'. Retention
// drops a partition once it has wholly expired and deletes the expired rows of a straddling one per
// organisation, so a small store keeps its exact retention with bloat bounded by its small partitions.
// A wider partition is made only where no partition overlaps its period (else the next finer width), so
// the widths mix safely when a store grows or shrinks.
import type { Sql } from '../../store/sql.js';
import { DAY_MS, DAY_S, dayStartMs, monthBoundsMs } from '../../store/chunks/window.js';

export type PartitionedTable = 'chunks' | 'rollups_5m' | 'rollups_1h';

export interface Partition {
  table: PartitionedTable | 'points';
  /** The partition's own table name. */
  name: string;
  /** [startMs, endMs) of the partition key. */
  startMs: number;
  endMs: number;
}

export type PartitionWidth = 'day' | 'month' | 'year';
/** Widths from the widest; a table's finest is the last it may use. */
const ladder: readonly PartitionWidth[] = ['year', 'month', 'day'];
const finest: Record<PartitionedTable, PartitionWidth> = { chunks: 'day', rollups_5m: 'month', rollups_1h: 'month' };

/** Points a chunk partition is made wide enough to hold (when the store writes that few a day). */
export const POINTS_A_PARTITION = 1_000_000;

/**
 * The width of new partitions of `table` for a store writing `pointsPerDay`: chunks a day when that is
 * at least {@link POINTS_A_PARTITION}, a month when a month of them is, else a year; rollups one width
 * coarser (a month at least).
 */
export function widthFor(table: PartitionedTable, pointsPerDay: number): PartitionWidth {
  const chunks: PartitionWidth = pointsPerDay >= POINTS_A_PARTITION ? 'day' : pointsPerDay * 31 >= POINTS_A_PARTITION ? 'month' : 'year';
  if (table === 'chunks') return chunks;
  return chunks === 'day' ? 'month' : 'year';
}

/**
 * Points a day the store's series write: the larger of two estimates. The series catalogue: a series
 * with two-hour chunk windows (src/store/chunks/window.ts: 240 points in two hours or more) counts 2,880
 * (a 30-second scrape, the least that gets them), any other (day windows, or none yet) 288 (5-minute
 * data). And the hot table's recent two-hour slots (hotPointsPerDay), which see the series not
 * compacted yet as they are: with the catalogue alone a new store of dense series counted 288 points a
 * day each and put its first month in one month partition. Only picks the width of partitions not made yet.
 */
export async function estimatePointsPerDay(sql: Sql, nowMs = Date.now()): Promise<number> {
  const r = await sql.query<{ dense: number | string; all: number | string }>(
    `SELECT count(*) FILTER (WHERE chunk_seconds IS DISTINCT FROM ${DAY_S} AND chunk_seconds IS NOT NULL) AS dense, count(*) AS all FROM series`,
  );
  const dense = Number(r.rows[0]!.dense);
  const catalogue = dense * 2880 + (Number(r.rows[0]!.all) - dense) * 288;
  return Math.max(catalogue, await hotPointsPerDay(sql, nowMs));
}

/** A hot slot's span (hot-partitions.ts, which imports this module). */
const SLOT_MS = 7_200_000;
/** A slot's rows at a million points a day: counting stops there (at most this many rows read a slot). */
const SLOT_ROWS_AT_THE_LINE = Math.ceil(POINTS_A_PARTITION / (DAY_MS / SLOT_MS));

/**
 * Points a day seen in the hot table: the fullest of the open slot (scaled to two hours by its elapsed
 * time, 15 minutes at least) and the two before it (compaction empties a slot once closed), × 12.
 * Counted with a LIMIT at the day line: a busy store's slots are not scanned whole.
 */
async function hotPointsPerDay(sql: Sql, nowMs: number): Promise<number> {
  const slots = (await listPartitions(sql, 'points')).filter((p) => p.startMs <= nowMs && p.endMs > nowMs - 2 * SLOT_MS);
  let most = 0;
  for (const slot of slots) {
    const r = await sql.query<{ n: number | string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${slot.name} LIMIT ${SLOT_ROWS_AT_THE_LINE}) x`);
    const elapsed = Math.min(slot.endMs, nowMs) - slot.startMs;
    most = Math.max(most, (Number(r.rows[0]!.n) * SLOT_MS) / Math.max(elapsed, 15 * 60_000));
  }
  return most * (DAY_MS / SLOT_MS);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The partition of `table` of `width` (default: the table's finest) that holds key time `tsMs`. */
export function partitionFor(table: PartitionedTable, tsMs: number, width: PartitionWidth = finest[table]): Partition {
  const d = new Date(tsMs);
  const y = d.getUTCFullYear();
  const m = pad(d.getUTCMonth() + 1);
  switch (width) {
    case 'day': {
      const startMs = dayStartMs(tsMs);
      return { table, name: `${table}_p${y}${m}${pad(d.getUTCDate())}`, startMs, endMs: startMs + DAY_MS };
    }
    case 'month':
      return { table, name: `${table}_p${y}${m}`, ...monthBoundsMs(tsMs) };
    case 'year':
      return { table, name: `${table}_p${y}`, startMs: Date.UTC(y, 0, 1), endMs: Date.UTC(y + 1, 0, 1) };
  }
}

/** The partition of `list` holding `tsMs`. */
const holding = (list: readonly Partition[], tsMs: number) => list.find((p) => p.startMs <= tsMs && tsMs < p.endMs);
const overlaps = (list: readonly Partition[], q: Partition) => list.some((p) => p.startMs < q.endMs && q.startMs < p.endMs);

/**
 * The partition to make for `tsMs`, which none of `existing` holds: `width`, or the next finer one
 * down to the table's finest while it would overlap an existing partition.
 */
export function choosePartition(table: PartitionedTable, tsMs: number, width: PartitionWidth, existing: readonly Partition[]): Partition {
  const widths = ladder.slice(ladder.indexOf(width), ladder.indexOf(finest[table]) + 1);
  for (const w of widths) {
    const p = partitionFor(table, tsMs, w);
    if (!overlaps(existing, p)) return p;
  }
  return partitionFor(table, tsMs); // the finest never overlaps: widths nest and none holds tsMs
}

const iso = (ms: number) => new Date(ms).toISOString();

// Partitions known to exist through each store, per table (made or found; retention forgets them when it
// drops any). Per store object: tests run many schemas in one process.
const knownBySql = new WeakMap<Sql, Map<PartitionedTable, Partition[]>>();
function known(sql: Sql, table: PartitionedTable): readonly Partition[] {
  return knownBySql.get(sql)?.get(table) ?? [];
}
function remember(sql: Sql, table: PartitionedTable, list: Partition[]): void {
  let k = knownBySql.get(sql);
  if (!k) knownBySql.set(sql, (k = new Map()));
  k.set(table, list);
}

/**
 * When a chunk or rollup partition is vacuumed: once more than 20 + 5% of its rows are dead. Compaction
 * rewrites rows whole (a dense series' 5-minute day row as each window closes, a 1-hour month row and a
 * packed chunk row as each day closes, a chunk for a late point), and each old version stays until a
 * vacuum. PostgreSQL's default (50 + 20%) let two days of month rows pile up in a small store: a live
 * store of 50 series of 5-minute gauges, 30 days compacted daily, took 3.22 bytes a point under it against
 * 2.71 under this rule (both applied on the embedded store, whose compaction job runs the rule:
 * jobs/embedded-vacuum.ts).
 */
export const COMPACTED_VACUUM = { threshold: 20, scaleFactor: 0.05 } as const;

/** Storage parameters of every chunk and rollup partition (ensurePartitions, partition-merge.ts). */
export const compactedPartitionOptions = `toast_tuple_target = 8160, autovacuum_vacuum_threshold = ${COMPACTED_VACUUM.threshold}, autovacuum_vacuum_scale_factor = ${COMPACTED_VACUUM.scaleFactor}`;

/**
 * Makes sure a partition of `table` holds each of `keyTimesMs`, making missing ones `width` wide
 * (default: widthFor the store's estimatePointsPerDay; finer where that would overlap). Safe under
 * concurrency: the existing partitions are read and new ones made under a transaction-level advisory
 * lock. Call before the transaction that writes the rows (DDL in a short transaction of its own).
 */
export async function ensurePartitions(sql: Sql, table: PartitionedTable, keyTimesMs: Iterable<number>, width?: PartitionWidth): Promise<void> {
  const cached = known(sql, table);
  const keys = [...keyTimesMs].filter((t) => !holding(cached, t));
  if (!keys.length) return;
  let found: Partition[] = [];
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('intentvision.partitions'))`);
    found = await listPartitions(tx, table);
    const missing = keys.filter((t) => !holding(found, t));
    if (!missing.length) return;
    const w = width ?? widthFor(table, await estimatePointsPerDay(tx));
    for (const t of missing) {
      if (holding(found, t)) continue;
      const p = choosePartition(table, t, w, found);
      // Chunks and rollups are compressed already: rows stay inline up to 8 kB (no TOAST table and
      // index in between, no second compression attempt); vacuumed by COMPACTED_VACUUM's rule.
      await tx.exec(
        `CREATE TABLE ${p.name} PARTITION OF ${table} FOR VALUES FROM ('${iso(p.startMs)}') TO ('${iso(p.endMs)}') WITH (${compactedPartitionOptions});
         ALTER TABLE ${p.name} ALTER COLUMN data SET STORAGE MAIN`,
      );
      found.push(p);
    }
  });
  remember(sql, table, found);
}

/**
 * Of `wanted` (table and key time), those no partition holds, looked up through `tx` (inside a
 * writer's transaction, where DDL would hold the parent's lock until commit) and remembered for
 * `store` when found.
 */
export async function missingPartitions<W extends { table: PartitionedTable; keyMs: number }>(tx: Sql, store: Sql, wanted: readonly W[]): Promise<W[]> {
  let out = wanted.filter((w) => !holding(known(store, w.table), w.keyMs));
  for (const table of new Set(out.map((w) => w.table))) {
    const list = await listPartitions(tx, table);
    remember(store, table, list);
    out = out.filter((w) => w.table !== table || !holding(list, w.keyMs));
  }
  return out;
}

/**
 * Forgets which partitions `sql` made: the next ensurePartitions checks the catalogue again. For a
 * writer that met a missing partition (another process' retention dropped it).
 */
export function forgetPartitions(sql: Sql): void {
  knownBySql.delete(sql);
}

/** The partitions of `table` in key order, read from the catalogue (a DEFAULT partition is not listed). */
export async function listPartitions(sql: Sql, table: PartitionedTable | 'points'): Promise<Partition[]> {
  const r = await sql.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = $1 AND p.relnamespace = current_schema()::regnamespace`,
    [table],
  );
  const out: Partition[] = [];
  for (const row of r.rows) {
    const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(row.bound);
    if (!m) continue;
    out.push({ table, name: row.name, startMs: Date.parse(m[1]!), endMs: Date.parse(m[2]!) });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

/**
 * `fn` in a transaction whose lock waits end after `timeoutMs`; false when a lock was not granted in
 * time (nothing done). For DDL on partitions: dropping or attaching one locks the parent table too,
 * and every read and write of it would queue behind a statement waiting for a long query.
 */
export async function unlessBlocked(sql: Sql, timeoutMs: number, fn: (tx: Sql) => Promise<void>): Promise<boolean> {
  try {
    await sql.transaction(async (tx) => {
      await tx.exec(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
      await fn(tx);
    });
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === '55P03') return false; // lock_not_available
    throw e;
  }
}
