// Time partitions of the chunk and rollup tables (issue 18): made on demand before rows are written,
// listed and dropped by retention (retention.ts). Chunks: one partition per UTC day (chunks_pYYYYMMDD). Rollups: one
// per UTC month (rollups_5m_pYYYYMM, rollups_1h_pYYYYMM). Every window and rollup day lies inside one
// partition, so a partition whose end is past every organisation's retention is dropped whole.
import type { Sql } from '../../store/sql.js';
import { DAY_MS, dayStartMs, monthBoundsMs } from '../../store/chunks/window.js';

export type PartitionedTable = 'chunks' | 'rollups_5m' | 'rollups_1h';

export interface Partition {
  table: PartitionedTable | 'points';
  /** The partition's own table name. */
  name: string;
  /** [startMs, endMs) of the partition key. */
  startMs: number;
  endMs: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The partition of `table` holding key time `tsMs`. */
export function partitionFor(table: PartitionedTable, tsMs: number): Partition {
  const d = new Date(tsMs);
  if (table === 'chunks') {
    const startMs = dayStartMs(tsMs);
    return { table, name: `chunks_p${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`, startMs, endMs: startMs + DAY_MS };
  }
  const { startMs, endMs } = monthBoundsMs(tsMs);
  return { table, name: `${table}_p${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}`, startMs, endMs };
}

const iso = (ms: number) => new Date(ms).toISOString();

// Partitions known to exist through each store (made or found; retention forgets them when it drops any). Per store
// object: tests run many schemas in one process.
const knownBySql = new WeakMap<Sql, Set<string>>();
function known(sql: Sql): Set<string> {
  let k = knownBySql.get(sql);
  if (!k) knownBySql.set(sql, (k = new Set()));
  return k;
}

/**
 * Makes sure the partitions of `table` holding each of `keyTimesMs` exist. Safe under concurrency:
 * creation runs under a transaction-level advisory lock and `IF NOT EXISTS`. Call before the
 * transaction that writes the rows (DDL in a short transaction of its own).
 */
export async function ensurePartitions(sql: Sql, table: PartitionedTable, keyTimesMs: Iterable<number>): Promise<void> {
  const wanted = new Map<string, Partition>();
  for (const t of keyTimesMs) {
    const p = partitionFor(table, t);
    if (!known(sql).has(p.name)) wanted.set(p.name, p);
  }
  if (!wanted.size) return;
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('intentvision.partitions'))`);
    for (const p of wanted.values()) {
      // Chunks and rollups are compressed already: rows stay inline up to 8 kB (no TOAST table and
      // index in between, no second compression attempt).
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF ${table} FOR VALUES FROM ('${iso(p.startMs)}') TO ('${iso(p.endMs)}') WITH (toast_tuple_target = 8160);
         ALTER TABLE ${p.name} ALTER COLUMN data SET STORAGE MAIN`,
      );
    }
  });
  for (const name of wanted.keys()) known(sql).add(name);
}

/**
 * Of `wanted` (table and key time), those whose partition does not exist, looked up through `tx`
 * (inside a writer's transaction, where DDL would hold the parent's lock until commit) and remembered
 * for `store` when found.
 */
export async function missingPartitions<W extends { table: PartitionedTable; keyMs: number }>(tx: Sql, store: Sql, wanted: readonly W[]): Promise<W[]> {
  const names = new Map<string, W>();
  for (const w of wanted) {
    const name = partitionFor(w.table, w.keyMs).name;
    if (!known(store).has(name)) names.set(name, w);
  }
  if (!names.size) return [];
  const r = await tx.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname = ANY($1::text[]) AND relnamespace = current_schema()::regnamespace`, [[...names.keys()]]);
  for (const row of r.rows) {
    known(store).add(row.relname);
    names.delete(row.relname);
  }
  return [...names.values()];
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
