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
