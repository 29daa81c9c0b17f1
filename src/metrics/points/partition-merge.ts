// Small closed partitions merged into one (issue 18), by the hourly maintenance job.
//
// partitions.ts picks a new partition's width from the store's volume as a whole. Data written into the
// past (an import of old history) may be far sparser than that: NAB's 58 series over 318 days in a store
// whose live series want day partitions would make 318 day partitions, each costing its fixed 32–56 kB
// for ~1,150 points; and a small store's months, each a partition, add up the same way over the years.
// Like Prometheus compacting adjacent small blocks into larger ones, the job merges each run of adjacent
// closed partitions of a table that together stay under {@link MERGE_BELOW_BYTES} into one partition
// spanning them (named by its bounds, chunks_pYYYYMMDD_YYYYMMDD). "Closed": the partition ended before
// the hot table's recent two days, so no live data lands in it (late and imported data still may, into
// the merged partition). Retention is unchanged: a partition goes whole once wholly expired, and the
// expired rows of one that straddles a horizon are deleted per organisation before, so the dead space
// this leaves is bounded by the size limit.
//
// One transaction a run: writers of the table wait (SHARE ROW EXCLUSIVE on the parent alone; readers go
// on) while the rows are copied, then the old partitions are dropped and the new one attached (ACCESS
// EXCLUSIVE on the parent, waited for at most `lockTimeoutMs`, else nothing is done and the next run
// tries again). The caller holds the compaction lock, so no compactor writes meanwhile.
import { float8Array, int8Array, timestamptzArray, type Sql } from '../../store/sql.js';
import { DAY_MS, DAY_S, dayStartMs } from '../../store/chunks/window.js';
import { packSparseRows } from './chunk-pack.js';
import { compactedPartitionOptions, forgetPartitions, listPartitions, unlessBlocked, type Partition, type PartitionedTable } from './partitions.js';

/** Adjacent closed partitions are merged while their total size (heap, indexes, TOAST, maps) stays under this. */
export const MERGE_BELOW_BYTES = 16 * 2 ** 20;

/** How long a merge waits for a table lock before giving up until the next run, ms. */
export const MERGE_LOCK_TIMEOUT_MS = 2000;

/** The partition key column of each table. */
const keyColumn: Record<PartitionedTable, string> = { chunks: 'window_start', rollups_5m: 'day', rollups_1h: 'day' };

export interface MergeResult {
  /** Partitions made by merging, in the order made. */
  made: string[];
  /** Partitions they replaced. */
  replaced: number;
  /** Runs left as they were because a lock was not granted in time (or a deadlock was broken). */
  blocked: number;
}

/**
 * Merges, per table, each run of two or more adjacent partitions closed at `nowMs` whose total size
 * stays under `maxBytes`.
 */
export async function mergeSmallPartitions(sql: Sql, nowMs: number, options: { maxBytes?: number; lockTimeoutMs?: number } = {}): Promise<MergeResult> {
  const maxBytes = options.maxBytes ?? MERGE_BELOW_BYTES;
  const closedBeforeMs = dayStartMs(nowMs) - 2 * DAY_MS;
  const result: MergeResult = { made: [], replaced: 0, blocked: 0 };
  for (const table of ['chunks', 'rollups_5m', 'rollups_1h'] as const) {
    const parts = (await listPartitions(sql, table)).filter((p) => p.endMs <= closedBeforeMs);
    if (parts.length < 2) continue;
    for (const run of mergeRuns(parts, await partitionBytes(sql, parts.map((p) => p.name)), closedBeforeMs, maxBytes)) {
      const into = spanning(table, run);
      if (await merge(sql, table, run, into, options.lockTimeoutMs ?? MERGE_LOCK_TIMEOUT_MS)) {
        result.made.push(into.name);
        result.replaced += run.length;
      } else result.blocked++;
    }
  }
  if (result.made.length) forgetPartitions(sql);
  return result;
}

/**
 * The runs to merge among `parts` (in key order): consecutive partitions ended by `closedBeforeMs`,
 * each run as long as its total size (`sizes`, bytes) stays under `maxBytes`, two partitions or more.
 * A partition of `maxBytes` or more ends a run and joins none.
 */
export function mergeRuns(parts: readonly Partition[], sizes: ReadonlyMap<string, number>, closedBeforeMs: number, maxBytes: number): Partition[][] {
  const runs: Partition[][] = [];
  let run: Partition[] = [];
  let bytes = 0;
  const close = () => {
    if (run.length >= 2) runs.push(run);
    run = [];
    bytes = 0;
  };
  for (const p of parts) {
    if (p.endMs > closedBeforeMs) break;
    const b = sizes.get(p.name) ?? 0;
    if (bytes + b >= maxBytes) close();
    if (b >= maxBytes) continue;
    run.push(p);
    bytes += b;
  }
  close();
  return runs;
}

const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

/** The partition spanning `run` (its first start to its last end). */
export function spanning(table: PartitionedTable, run: readonly Partition[]): Partition {
  const startMs = run[0]!.startMs;
  const endMs = run[run.length - 1]!.endMs;
  return { table, name: `${table}_p${ymd(startMs)}_${ymd(endMs)}`, startMs, endMs };
}

async function partitionBytes(sql: Sql, names: string[]): Promise<Map<string, number>> {
  const r = await sql.query<{ relname: string; bytes: string | number }>(
    `SELECT relname, pg_total_relation_size(oid) AS bytes FROM pg_class WHERE relname = ANY($1::text[]) AND relnamespace = current_schema()::regnamespace`,
    [names],
  );
  return new Map(r.rows.map((row) => [row.relname, Number(row.bytes)]));
}

const iso = (ms: number) => new Date(ms).toISOString();

const ms = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

/**
 * Copies the chunk rows of `parts` into `into`: those of day-wide series packed into rows of up to a
 * month (chunk-pack.ts), the others as they are.
 */
async function copyChunksPacked(tx: Sql, parts: Partition[], into: Partition): Promise<void> {
  const rows = `(${parts.map((p) => `SELECT * FROM ${p.name}`).join(' UNION ALL ')})`;
  await tx.exec(
    `INSERT INTO ${into.name} SELECT c.* FROM ${rows} c LEFT JOIN series s ON s.id = c.series_id
     WHERE s.chunk_seconds IS DISTINCT FROM ${DAY_S} ORDER BY c.series_id, c.window_start`,
  );
  const r = await tx.query<{ s: number; w: number; e: number; f: number; l: number; n: number; data: Uint8Array }>(
    `SELECT c.series_id::float8 AS s, ${ms('c.window_start')} AS w, ${ms(`coalesce(c.window_end, c.window_start + interval '1 day')`)} AS e,
            ${ms('c.first_ts')} AS f, ${ms('c.last_ts')} AS l, c.n, c.data
     FROM ${rows} c JOIN series s ON s.id = c.series_id AND s.chunk_seconds = ${DAY_S} ORDER BY c.series_id, c.window_start`,
  );
  if (!r.rows.length) return;
  // Largest first: rows of a few kB fill the pages better so (first fit, through the free-space map).
  const out = packSparseRows(r.rows.map((x) => ({ seriesId: Number(x.s), startMs: Number(x.w), endMs: Number(x.e), firstMs: Number(x.f), lastMs: Number(x.l), n: Number(x.n), bytes: x.data.length, data: x.data }))).sort(
    (a, b) => b.data.length - a.data.length,
  );
  await tx.query(
    `INSERT INTO ${into.name} (series_id, window_start, window_end, first_ts, last_ts, n, data)
     SELECT u.s, u.w, CASE WHEN u.e = 'NaN'::float8 THEN NULL ELSE to_timestamp(u.e / 1000) END, u.f, u.l, u.n::int, decode(u.d, 'hex')
     FROM unnest($1::int8[], $2::timestamptz[], $3::float8[], $4::timestamptz[], $5::timestamptz[], $6::int8[], $7::text[]) AS u(s, w, e, f, l, n, d)`,
    [
      int8Array(out.map((x) => x.seriesId)),
      timestamptzArray(out.map((x) => x.startMs)),
      float8Array(out.map((x) => x.endMs ?? Number.NaN)),
      timestamptzArray(out.map((x) => x.firstMs)),
      timestamptzArray(out.map((x) => x.lastMs)),
      int8Array(out.map((x) => x.n)),
      out.map((x) => Buffer.from(x.data).toString('hex')),
    ],
  );
}

/** Replaces `parts` by `into` holding their rows; false when a lock was not granted (nothing changed). */
async function merge(sql: Sql, table: PartitionedTable, parts: Partition[], into: Partition, lockTimeoutMs: number): Promise<boolean> {
  try {
    return await unlessBlocked(sql, lockTimeoutMs, async (tx) => {
      // Writers of the table take its lock first, as this does: they wait here, no deadlock.
      await tx.exec(`LOCK TABLE ONLY ${table} IN SHARE ROW EXCLUSIVE MODE`);
      await tx.exec(
        `CREATE TABLE ${into.name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (${compactedPartitionOptions});
         ALTER TABLE ${into.name} ALTER COLUMN data SET STORAGE MAIN`,
      );
      if (table === 'chunks') await copyChunksPacked(tx, parts, into);
      else await tx.exec(`INSERT INTO ${into.name} ${parts.map((p) => `SELECT * FROM ${p.name}`).join(' UNION ALL ')} ORDER BY 1, ${keyColumn[table]}`);
      await tx.exec(`DROP TABLE ${parts.map((p) => p.name).join(', ')}`);
      // Builds the partition's primary key (the parent's partitioned index) and checks the bounds.
      await tx.exec(`ALTER TABLE ${table} ATTACH PARTITION ${into.name} FOR VALUES FROM ('${iso(into.startMs)}') TO ('${iso(into.endMs)}')`);
    });
  } catch (e) {
    if ((e as { code?: unknown }).code === '40P01') return false; // deadlock_detected: this transaction was the one rolled back
    throw e;
  }
}
