// Retention (issue 18): how long an organisation's points are kept, and the enforcement the
// maintenance job runs.
//
// Three horizons per organisation, in whole days: raw points (hot rows and chunks), 5-minute rollups
// and 1-hour rollups. A coarser level never expires before a finer one, so a long chart keeps an answer
// after its raw points are gone. Defaults (an organisation without a row in `retention_settings`):
// raw 30 days, 5-minute rollups 400 days, 1-hour rollups 1,825 days (5 years).
//
// Enforcement drops whole time partitions first: a chunk or rollup partition whose end is at or before
// the oldest cutoff any organisation still needs holds nothing anyone keeps, and DROP TABLE frees it at
// once with no dead tuples (10 million points go in one statement, whatever their count). What remains
// past an organisation's own, shorter horizon is then deleted per organisation, in the few partitions
// left that straddle the horizons.
import { performance } from 'node:perf_hooks';
import type { Sql } from '../../store/sql.js';
import { DAY_MS, monthBoundsMs } from '../../store/chunks/window.js';
import { forgetPartitions, listPartitions, unlessBlocked, type Partition, type PartitionedTable } from './partitions.js';

/** An organisation's retention, whole days each. */
export interface RetentionSettings {
  /** Raw points: hot rows and chunks. */
  rawDays: number;
  /** 5-minute rollups; ≥ rawDays. */
  rollup5mDays: number;
  /** 1-hour rollups; ≥ rollup5mDays. */
  rollup1hDays: number;
}

/** The retention of an organisation that set none: raw 30 days, 5-minute rollups 400, 1-hour rollups 5 years. */
export const DEFAULT_RETENTION: Readonly<RetentionSettings> = Object.freeze({ rawDays: 30, rollup5mDays: 400, rollup1hDays: 1825 });

/** Bounds of every retention figure, days (the table's CHECK). */
export const RETENTION_MIN_DAYS = 1;
export const RETENTION_MAX_DAYS = 36_500;

const fields = ['rawDays', 'rollup5mDays', 'rollup1hDays'] as const;

/**
 * The problems of `s`, one per offending field (empty: valid): each a whole number of days in
 * [{@link RETENTION_MIN_DAYS}, {@link RETENTION_MAX_DAYS}], and rollup5mDays ≥ rawDays,
 * rollup1hDays ≥ rollup5mDays. `field` is the property name.
 */
export function retentionProblems(s: RetentionSettings): { field: keyof RetentionSettings; message: string }[] {
  const out: { field: keyof RetentionSettings; message: string }[] = [];
  for (const f of fields) {
    const v = s[f];
    if (!Number.isInteger(v) || v < RETENTION_MIN_DAYS || v > RETENTION_MAX_DAYS) out.push({ field: f, message: `must be a whole number of days from ${RETENTION_MIN_DAYS} to ${RETENTION_MAX_DAYS}` });
  }
  if (out.length) return out;
  if (s.rollup5mDays < s.rawDays) out.push({ field: 'rollup5mDays', message: `must be at least rawDays (${s.rawDays}): 5-minute rollups may not expire before the raw points` });
  if (s.rollup1hDays < s.rollup5mDays) out.push({ field: 'rollup1hDays', message: `must be at least rollup5mDays (${s.rollup5mDays}): 1-hour rollups may not expire before the 5-minute ones` });
  return out;
}

/** An organisation's retention and whether it is the default (nothing stored). */
export interface OrgRetention {
  settings: RetentionSettings;
  isDefault: boolean;
}

interface SettingsRow {
  raw_days: number;
  rollup_5m_days: number;
  rollup_1h_days: number;
}
const fromRow = (r: SettingsRow): RetentionSettings => ({ rawDays: r.raw_days, rollup5mDays: r.rollup_5m_days, rollup1hDays: r.rollup_1h_days });

/** The retention of `orgId`: its stored settings, else {@link DEFAULT_RETENTION}. */
export async function getRetention(sql: Sql, orgId: string): Promise<OrgRetention> {
  const r = await sql.query<SettingsRow>('SELECT raw_days, rollup_5m_days, rollup_1h_days FROM retention_settings WHERE org_id = $1', [orgId]);
  const row = r.rows[0];
  return row ? { settings: fromRow(row), isDefault: false } : { settings: { ...DEFAULT_RETENTION }, isDefault: true };
}

/**
 * Stores `s` as the retention of `orgId` (a full replace). The caller validated it
 * ({@link retentionProblems}); the table's CHECKs refuse out-of-range days regardless.
 */
export async function setRetention(sql: Sql, orgId: string, s: RetentionSettings): Promise<OrgRetention> {
  const r = await sql.query<SettingsRow>(
    `INSERT INTO retention_settings (org_id, raw_days, rollup_5m_days, rollup_1h_days) VALUES ($1, $2, $3, $4)
     ON CONFLICT (org_id) DO UPDATE SET raw_days = EXCLUDED.raw_days, rollup_5m_days = EXCLUDED.rollup_5m_days, rollup_1h_days = EXCLUDED.rollup_1h_days, updated_at = now()
     RETURNING raw_days, rollup_5m_days, rollup_1h_days`,
    [orgId, s.rawDays, s.rollup5mDays, s.rollup1hDays],
  );
  return { settings: fromRow(r.rows[0]!), isDefault: false };
}

/** Forgets the settings of `orgId`: it has the defaults again. */
export async function resetRetention(sql: Sql, orgId: string): Promise<OrgRetention> {
  await sql.query('DELETE FROM retention_settings WHERE org_id = $1', [orgId]);
  return { settings: { ...DEFAULT_RETENTION }, isDefault: true };
}

/** The oldest instant (epoch ms) still kept at each level under `s` at `nowMs`: anything wholly before it goes. */
export function retentionCutoffsMs(s: RetentionSettings, nowMs: number): { rawMs: number; rollup5mMs: number; rollup1hMs: number } {
  return { rawMs: nowMs - s.rawDays * DAY_MS, rollup5mMs: nowMs - s.rollup5mDays * DAY_MS, rollup1hMs: nowMs - s.rollup1hDays * DAY_MS };
}

export interface RetentionResult {
  /** Partitions of chunks, rollups_5m and rollups_1h dropped whole. */
  droppedPartitions: number;
  /** Chunk rows deleted (in partitions not dropped). */
  deletedChunks: number;
  /** Rollup rows deleted, both resolutions. */
  deletedRollups: number;
  /** Hot rows deleted. */
  deletedHotRows: number;
  /** Wall time of the whole enforcement, ms. */
  ms: number;
}

/**
 * Enforces every organisation's retention at `nowMs` (epoch ms):
 * 1. drops each partition of chunks / rollups_5m / rollups_1h whose end is at or before the oldest
 *    cutoff of that level over all organisations (their settings, else the defaults);
 * 2. per organisation (its id in every statement, through series.org_id): deletes its hot rows older
 *    than its raw cutoff, its chunks whose window ends at or before it, and its rollup rows whose span
 *    (a day; for a 1-hour month row, its month) ends at or before its 5-minute / 1-hour cutoffs.
 * A chunk or rollup row straddling a cutoff is kept whole until it lies wholly before it. Idempotent:
 * a second run at the same `nowMs` changes nothing. `options.lockTimeoutMs`: how long a drop waits for
 * the tables' lock (default {@link DROP_LOCK_TIMEOUT_MS}).
 */
export async function enforceRetention(sql: Sql, nowMs: number, options: { lockTimeoutMs?: number } = {}): Promise<RetentionResult> {
  const started = performance.now();
  const result: RetentionResult = { droppedPartitions: 0, deletedChunks: 0, deletedRollups: 0, deletedHotRows: 0, ms: 0 };
  const orgs = await sql.query<{ org_id: string } & SettingsRow>(
    `SELECT o.id AS org_id,
            coalesce(r.raw_days, $1::int) AS raw_days, coalesce(r.rollup_5m_days, $2::int) AS rollup_5m_days, coalesce(r.rollup_1h_days, $3::int) AS rollup_1h_days
     FROM organizations o LEFT JOIN retention_settings r ON r.org_id = o.id ORDER BY o.id`,
    [DEFAULT_RETENTION.rawDays, DEFAULT_RETENTION.rollup5mDays, DEFAULT_RETENTION.rollup1hDays],
  );
  if (orgs.rows.length) {
    // The longest horizon of each level: partitions wholly before it hold nothing anyone keeps.
    const longest = { rawDays: 0, rollup5mDays: 0, rollup1hDays: 0 };
    for (const row of orgs.rows) {
      const s = fromRow(row);
      for (const f of fields) longest[f] = Math.max(longest[f], s[f]);
    }
    const oldest = retentionCutoffsMs(longest, nowMs);
    const levels: [PartitionedTable, number][] = [['chunks', oldest.rawMs], ['rollups_5m', oldest.rollup5mMs], ['rollups_1h', oldest.rollup1hMs]];
    const timeout = options.lockTimeoutMs ?? DROP_LOCK_TIMEOUT_MS;
    for (const [table, cutoffMs] of levels) {
      const expired = (await listPartitions(sql, table)).filter((p) => p.endMs <= cutoffMs);
      // Many partitions go in one statement (one lock, one commit: a drop a statement cost ~8 ms each,
      // 3.2 s for a year of day partitions); a batch whose lock is not granted goes one by one.
      for (let i = 0; i < expired.length; i += DROP_BATCH) {
        const batch = expired.slice(i, i + DROP_BATCH);
        if (await dropUnlessBlocked(sql, batch, timeout)) result.droppedPartitions += batch.length;
        else for (const p of batch) if (await dropUnlessBlocked(sql, [p], timeout)) result.droppedPartitions++;
      }
    }
  }
  for (const row of orgs.rows) {
    const c = retentionCutoffsMs(fromRow(row), nowMs);
    const n = await deleteExpired(sql, row.org_id, c.rawMs, c.rollup5mMs, c.rollup1hMs);
    result.deletedHotRows += n.hot;
    result.deletedChunks += n.chunks;
    result.deletedRollups += n.rollups;
  }
  result.ms = performance.now() - started;
  return result;
}

/**
 * How long dropping a partition waits for its lock, ms. DROP takes an exclusive lock on the parent
 * table too, and every read and write of it would queue behind a drop waiting for a long query; past
 * this the drop is skipped, its rows are deleted per organisation below instead, and the next run
 * drops the emptied partition.
 */
export const DROP_LOCK_TIMEOUT_MS = 2000;

/** Partitions dropped by one statement. */
const DROP_BATCH = 100;

/** Drops `parts` in one statement unless its locks are not granted within `lockTimeoutMs`; true when dropped. */
async function dropUnlessBlocked(sql: Sql, parts: Partition[], lockTimeoutMs: number): Promise<boolean> {
  const dropped = await unlessBlocked(sql, lockTimeoutMs, async (tx) => {
    await tx.exec(`DROP TABLE IF EXISTS ${parts.map((p) => p.name).join(', ')}`);
  });
  if (dropped) forgetPartitions(sql); // the partition cache of `sql` checks the catalogue again
  return dropped;
}

/**
 * Deletes what of `orgId` lies wholly before its cutoffs (epoch ms). The `< cutoff` bounds on the
 * partition keys let PostgreSQL skip every partition wholly after them.
 */
async function deleteExpired(sql: Sql, orgId: string, rawMs: number, rollup5mMs: number, rollup1hMs: number): Promise<{ hot: number; chunks: number; rollups: number }> {
  const hot = await sql.query('DELETE FROM points p USING series s WHERE s.org_id = $1 AND p.series_id = s.id AND p.ts < $2', [orgId, new Date(rawMs)]);
  // A chunk's window is [window_start, window_start + chunk_seconds), a packed row's [window_start,
  // window_end); series without a width yet (never compacted) have no chunks, the day width is only a
  // safe default.
  const chunks = await sql.query(
    `DELETE FROM chunks c USING series s
     WHERE s.org_id = $1 AND c.series_id = s.id AND c.window_start < $2
       AND coalesce(c.window_end, c.window_start + make_interval(secs => coalesce(s.chunk_seconds, 86400))) <= $2`,
    [orgId, new Date(rawMs)],
  );
  let rollups = 0;
  // A 5-minute row covers its UTC day [day, day + 1 day).
  const r5 = await sql.query(`DELETE FROM rollups_5m r USING series s WHERE s.org_id = $1 AND r.series_id = s.id AND r.day <= $2`, [orgId, new Date(rollup5mMs - DAY_MS)]);
  // A 1-hour row keyed by a month's first day may hold any day of that month (compact.ts): it goes once
  // its month ends at or before the cutoff; a row keyed by another day holds that day or days ending
  // with it (a run of a month too large for one row), so it goes once that day has expired.
  const r1 = await sql.query(
    `DELETE FROM rollups_1h r USING series s WHERE s.org_id = $1 AND r.series_id = s.id AND r.day < $3
       AND (r.day < $2 OR (r.day <> date_trunc('month', r.day AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AND r.day <= $4))`,
    [orgId, new Date(monthBoundsMs(rollup1hMs).startMs), new Date(rollup1hMs), new Date(rollup1hMs - DAY_MS)],
  );
  rollups += r5.rowCount + r1.rowCount;
  return { hot: hot.rowCount, chunks: chunks.rowCount, rollups };
}
