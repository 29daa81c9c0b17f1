// Small closed partitions merged into one wider partition (issue 18), by the hourly maintenance job.
//
// partitions.ts picks a new partition's width from the store's volume as a whole. Data written into a
// period of the past (an import of old history) may be far sparser than that: NAB's 58 series over 318
// days in a store whose live series want day partitions would make 318 day partitions, each costing its
// fixed 32–56 kB for ~1,150 points. Like Prometheus compacting small blocks into larger ones, the job
// merges the partitions of a closed period (a month for chunk days, a year for chunk and rollup months)
// into one partition of that period when together they are small (under {@link MERGE_BELOW_BYTES}).
// "Closed": the period ended before the hot table's recent two days, so no live data lands there (late
// and backfilled data still may, into the merged partition). Retention is unchanged: the wider
// partition goes whole once wholly expired, its expired rows are deleted per organisation before.
//
// One transaction a period: writers of the table wait (SHARE ROW EXCLUSIVE on the parent alone;
// readers go on) while the rows are copied, then the old partitions are dropped and the new one
// attached (ACCESS EXCLUSIVE on the parent, waited for at most `lockTimeoutMs`, else nothing is done
// and the next run tries again). The caller holds the compaction lock, so no compactor writes meanwhile.
import type { Sql } from '../../store/sql.js';
import { DAY_MS, dayStartMs } from '../../store/chunks/window.js';
import { forgetPartitions, listPartitions, partitionFor, unlessBlocked, type Partition, type PartitionedTable, type PartitionWidth } from './partitions.js';

/** Partitions of one closed period are merged while their total size (heap, indexes, TOAST, maps) is under this. */
export const MERGE_BELOW_BYTES = 16 * 2 ** 20;

/** How long a merge waits for a table lock before giving up until the next run, ms. */
export const MERGE_LOCK_TIMEOUT_MS = 2000;

/** The partition key column of each table. */
const keyColumn: Record<PartitionedTable, string> = { chunks: 'window_start', rollups_5m: 'day', rollups_1h: 'day' };

/** The wider widths each table's partitions merge into, finest first. */
const mergeInto: Record<PartitionedTable, PartitionWidth[]> = { chunks: ['month', 'year'], rollups_5m: ['year'], rollups_1h: ['year'] };

export interface MergeResult {
  /** Partitions made by merging, in the order made. */
  made: string[];
  /** Partitions they replaced. */
  replaced: number;
  /** Periods left as they were because a lock was not granted in time (or a deadlock was broken). */
  blocked: number;
}

/**
 * Merges, per table, the partitions of each period closed at `nowMs` (wider than each of them: a
 * month, then a year) when there are two or more and together they are smaller than `maxBytes`.
 */
export async function mergeSmallPartitions(sql: Sql, nowMs: number, options: { maxBytes?: number; lockTimeoutMs?: number } = {}): Promise<MergeResult> {
  const maxBytes = options.maxBytes ?? MERGE_BELOW_BYTES;
  const closedBeforeMs = dayStartMs(nowMs) - 2 * DAY_MS;
  const result: MergeResult = { made: [], replaced: 0, blocked: 0 };
  for (const table of ['chunks', 'rollups_5m', 'rollups_1h'] as const) {
    for (const width of mergeInto[table]) {
      const groups = closedGroups(table, width, await listPartitions(sql, table), closedBeforeMs);
      if (!groups.length) continue;
      const sizes = await partitionBytes(sql, groups.flatMap((g) => g.parts.map((p) => p.name)));
      for (const g of groups) {
        if (g.parts.reduce((s, p) => s + (sizes.get(p.name) ?? 0), 0) >= maxBytes) continue;
        if (await merge(sql, table, g.parts, g.into, options.lockTimeoutMs ?? MERGE_LOCK_TIMEOUT_MS)) {
          result.made.push(g.into.name);
          result.replaced += g.parts.length;
        } else result.blocked++;
      }
    }
  }
  if (result.made.length) forgetPartitions(sql);
  return result;
}

/** The periods of `width` ended by `closedBeforeMs` holding two or more (narrower) partitions of `parts`. */
export function closedGroups(table: PartitionedTable, width: PartitionWidth, parts: readonly Partition[], closedBeforeMs: number): { into: Partition; parts: Partition[] }[] {
  const byPeriod = new Map<string, { into: Partition; parts: Partition[] }>();
  for (const p of parts) {
    const into = partitionFor(table, p.startMs, width);
    // A partition as wide as the period (or wider) is already merged; partitions never straddle periods.
    if (into.endMs > closedBeforeMs || p.endMs - p.startMs >= into.endMs - into.startMs) continue;
    const g = byPeriod.get(into.name) ?? { into, parts: [] };
    g.parts.push(p);
    byPeriod.set(into.name, g);
  }
  return [...byPeriod.values()].filter((g) => g.parts.length >= 2);
}

async function partitionBytes(sql: Sql, names: string[]): Promise<Map<string, number>> {
  const r = await sql.query<{ relname: string; bytes: string | number }>(
    `SELECT relname, pg_total_relation_size(oid) AS bytes FROM pg_class WHERE relname = ANY($1::text[]) AND relnamespace = current_schema()::regnamespace`,
    [names],
  );
  return new Map(r.rows.map((row) => [row.relname, Number(row.bytes)]));
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Replaces `parts` by `into` holding their rows; false when a lock was not granted (nothing changed). */
async function merge(sql: Sql, table: PartitionedTable, parts: Partition[], into: Partition, lockTimeoutMs: number): Promise<boolean> {
  try {
    return await unlessBlocked(sql, lockTimeoutMs, async (tx) => {
      // Writers of the table take its lock first, as this does: they wait here, no deadlock.
      await tx.exec(`LOCK TABLE ONLY ${table} IN SHARE ROW EXCLUSIVE MODE`);
      await tx.exec(
        `CREATE TABLE ${into.name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (toast_tuple_target = 8160);
         ALTER TABLE ${into.name} ALTER COLUMN data SET STORAGE MAIN`,
      );
      await tx.exec(`INSERT INTO ${into.name} ${parts.map((p) => `SELECT * FROM ${p.name}`).join(' UNION ALL ')} ORDER BY 1, ${keyColumn[table]}`);
      await tx.exec(`DROP TABLE ${parts.map((p) => p.name).join(', ')}`);
      // Builds the partition's primary key (the parent's partitioned index) and checks the bounds.
      await tx.exec(`ALTER TABLE ${table} ATTACH PARTITION ${into.name} FOR VALUES FROM ('${iso(into.startMs)}') TO ('${iso(into.endMs)}')`);
    });
  } catch (e) {
    if ((e as { code?: unknown }).code === '40P01') return false; // deadlock_detected: this transaction was the one rolled back
    throw e;
  }
}
