// The hot table's two-hour partitions (issue 18, migration 0015). `points` is partitioned by ts: a
// partition per two-hour slot (points_pYYYYMMDDHH, aligned with the 2 h chunk windows, so a slot holds
// whole 2 h windows) over the recent two days and the next few hours, and the DEFAULT partition for
// every other row. Compaction takes a closed slot whole and empties it with TRUNCATE (compact.ts): no
// per-row DELETE, no dead tuples, no VACUUM. This module keeps the slots: made ahead of the data (the
// write path never runs DDL; a point without its slot lands in the default partition) and dropped once
// behind the two days and empty.
import type { Sql } from '../../store/sql.js';
import { listPartitions, unlessBlocked, type Partition } from './partitions.js';

/** Width of a hot partition: the 2 h chunk window. */
export const HOT_SLOT_MS = 7_200_000;
/** Slots are kept this far back: late data within it still lands in a slot (and leaves it by TRUNCATE). */
export const HOT_BEHIND_MS = 2 * 86_400_000;
/** Slots are made this far ahead of now. */
export const HOT_AHEAD_MS = 4 * 3_600_000;
/** How long making or dropping a slot waits for its locks (both lock `points` itself), ms; then it is skipped. */
export const HOT_LOCK_TIMEOUT_MS = 2000;

const pad = (n: number) => String(n).padStart(2, '0');

/** Start (epoch ms) of the slot holding `tsMs`. */
export function hotSlotStartMs(tsMs: number): number {
  return Math.floor(tsMs / HOT_SLOT_MS) * HOT_SLOT_MS;
}

/** The partition name of the slot starting at `startMs`. */
export function hotSlotName(startMs: number): string {
  const d = new Date(startMs);
  return `points_p${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}`;
}

/** Starts of the slots to keep at `nowMs`: from two days back to a few hours ahead. */
export function wantedSlots(nowMs: number): number[] {
  const out: number[] = [];
  for (let s = hotSlotStartMs(nowMs - HOT_BEHIND_MS); s <= hotSlotStartMs(nowMs + HOT_AHEAD_MS); s += HOT_SLOT_MS) out.push(s);
  return out;
}

/** The slots of `points` in time order (the default partition is not among them). */
export function listHotPartitions(sql: Sql): Promise<Partition[]> {
  return listPartitions(sql, 'points');
}

const isoOf = (ms: number) => new Date(ms).toISOString();

export interface HotUpkeep {
  made: number;
  dropped: number;
  /** Slots not made: the default partition holds rows of their range (written before the slot existed), or a lock was busy. */
  skipped: number;
}

/**
 * Makes the slots wanted at `nowMs` that do not exist, and drops the empty ones behind them. A slot
 * whose range already has rows in the default partition is not made (PostgreSQL refuses it): those
 * rows and the slot's later ones stay in the default partition, compacted by DELETE. Each slot in a
 * short transaction of its own; a busy lock skips it until the next run.
 */
export async function maintainHotPartitions(sql: Sql, nowMs: number, lockTimeoutMs = HOT_LOCK_TIMEOUT_MS): Promise<HotUpkeep> {
  const out: HotUpkeep = { made: 0, dropped: 0, skipped: 0 };
  const existing = await listHotPartitions(sql);
  const have = new Set(existing.map((p) => p.startMs));
  for (const s of wantedSlots(nowMs)) {
    if (have.has(s)) continue;
    // A slot overlapping an existing partition of another width cannot be made (none are made here,
    // but a range taken is a range taken).
    if (existing.some((p) => p.startMs < s + HOT_SLOT_MS && s < p.endMs)) {
      out.skipped++;
      continue;
    }
    try {
      const made = await unlessBlocked(sql, lockTimeoutMs, async (tx) => {
        // Rows stay for hours, are never updated and leave by TRUNCATE: autovacuum has nothing to do
        // there (anti-wraparound vacuums still run).
        await tx.exec(`CREATE TABLE IF NOT EXISTS ${hotSlotName(s)} PARTITION OF points FOR VALUES FROM ('${isoOf(s)}') TO ('${isoOf(s + HOT_SLOT_MS)}') WITH (autovacuum_enabled = false)`);
      });
      if (made) out.made++;
      else out.skipped++;
    } catch (e) {
      // 23514: "updated partition constraint for default partition would be violated": rows of this
      // range are in the default partition already. 42P17: another process made an overlapping one.
      const code = (e as { code?: unknown }).code;
      if (code !== '23514' && code !== '42P17' && code !== '42P07') throw e;
      out.skipped++;
    }
  }
  const oldest = hotSlotStartMs(nowMs - HOT_BEHIND_MS);
  for (const p of existing) {
    if (p.endMs > oldest) continue;
    const dropped = await unlessBlocked(sql, lockTimeoutMs, async (tx) => {
      // The parent first (as the DROP would: taking the slot first could deadlock with an insert that
      // holds the parent), then the slot, so no row arrives between the look and the drop. Late rows
      // may have arrived since compaction emptied it: then it stays for the next run.
      await tx.exec(`LOCK TABLE ONLY points IN ACCESS EXCLUSIVE MODE; LOCK TABLE ${p.name} IN ACCESS EXCLUSIVE MODE`);
      const r = await tx.query(`SELECT 1 FROM ${p.name} LIMIT 1`);
      if (r.rows.length) return;
      await tx.exec(`DROP TABLE ${p.name}`);
      out.dropped++;
    });
    if (!dropped) out.skipped++;
  }
  return out;
}

/** Below this total size (heap and indexes) an empty default partition is left alone. */
export const RECLAIM_MIN_BYTES = 32 * 2 ** 20;
/**
 * Most heap bytes the default partition may have when it is checked for rows under its lock (a vacuumed
 * emptied heap has none left; a larger one waits for VACUUM, so the lock is held for a short look only).
 */
export const RECLAIM_MAX_HEAP_BYTES = 8 * 2 ** 20;

export interface ReclaimOptions {
  minBytes?: number;
  maxHeapBytes?: number;
  lockTimeoutMs?: number;
}

/**
 * Gives back the space of an emptied default partition. Compaction deletes the default partition's
 * rows one by one (they are older than the slots: backfills, late data), and VACUUM then returns the
 * heap's empty tail, but a B-tree never shrinks: after a backfill of a year the primary key keeps its
 * peak size (hundreds of MB for ten million rows) for good. When the partition holds no row, its heap
 * has been vacuumed down and the whole is at least `minBytes`, it is emptied by TRUNCATE — under its
 * own lock, taken within `lockTimeoutMs` or not at all, after a second look for rows. Returns the bytes
 * given back (0: nothing done).
 */
export async function reclaimEmptyDefault(sql: Sql, opts: ReclaimOptions = {}): Promise<number> {
  const sizes = async (q: Sql) =>
    (await q.query<{ total: string; heap: string }>(`SELECT pg_total_relation_size('points_default') AS total, pg_relation_size('points_default') AS heap`)).rows[0]!;
  const before = await sizes(sql);
  if (Number(before.total) < (opts.minBytes ?? RECLAIM_MIN_BYTES) || Number(before.heap) > (opts.maxHeapBytes ?? RECLAIM_MAX_HEAP_BYTES)) return 0;
  const hasRows = async (q: Sql) => (await q.query(`SELECT 1 FROM points_default LIMIT 1`)).rows.length > 0;
  if (await hasRows(sql)) return 0;
  let truncated = false;
  await unlessBlocked(sql, opts.lockTimeoutMs ?? HOT_LOCK_TIMEOUT_MS, async (tx) => {
    // Only the partition is locked (TRUNCATE of a partition takes no lock on `points`): writes and
    // reads of the slots go on; those of older ranges wait for the look and the TRUNCATE.
    await tx.exec(`LOCK TABLE points_default IN ACCESS EXCLUSIVE MODE`);
    if (await hasRows(tx)) return;
    await tx.exec(`TRUNCATE points_default`);
    truncated = true;
  });
  if (!truncated) return 0;
  return Math.max(0, Number(before.total) - Number((await sizes(sql)).total));
}
