import type { SeriesCache } from '../metrics/series-cache.js';
import { resolveSeries, type PointRows, type SeriesRef } from '../metrics/series-store.js';
import { inTransactionRechecking, planWrite, writePoints, type WritePlan } from '../metrics/points/write.js';
import type { Sql } from '../store/sql.js';
import { IdTable } from '../metrics/points/id-table.js';
import { seriesIdentity } from '../core/labels.js';
import type { MetricPoint } from './validate.js';

export interface PreparedPoints {
  /** One row per (series, time) of the batch. */
  rows: PointRows;
  /** Points dropped because the batch itself repeated a series and time. */
  batchDuplicates: number;
  /** Which rows are appended as they are and which are checked against stored points. */
  plan: WritePlan;
}

/**
 * Resolves the series of valid points (creating new ones), removes repeats within the batch (with
 * `reject` the first of a repeated (series, time) wins, with `overwrite` the last) and plans the
 * write: with `cache`, points newer than their series' newest stored one (and than now − grace) take
 * the append path. Without it (a transaction that may roll back) every point is checked.
 */
export async function preparePoints(sql: Sql, orgId: string, points: MetricPoint[], policy: 'reject' | 'overwrite', nowMs: number, cache?: SeriesCache): Promise<PreparedPoints> {
  // The series id of each point: from the cache by key and dimensions (no identity string is built
  // for a cached series); the others are resolved together, each distinct series once.
  const sids: number[] = [];
  const org = cache?.organisation(orgId);
  let wanted: Map<string, SeriesRef> | undefined;
  let unresolved: number[] | undefined;
  let identities: string[] | undefined;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const sid = org?.find(p.key, p.dimensions);
    if (sid !== undefined) {
      sids.push(sid);
      continue;
    }
    sids.push(-1);
    const id = seriesIdentity(p.key, p.dimensions);
    wanted ??= new Map();
    if (!wanted.has(id)) wanted.set(id, { key: p.key, dimensions: p.dimensions });
    (unresolved ??= []).push(i);
    (identities ??= []).push(id);
  }
  if (wanted) {
    const ids = await resolveSeries(sql, orgId, wanted, cache);
    for (let j = 0; j < unresolved!.length; j++) sids[unresolved![j]!] = ids.get(identities![j]!)!;
  }

  const rows: PointRows = { seriesIds: [], timestampsMs: [], values: [] };
  // The row of each (series, time): looked up by series id (a number) first; only a series that
  // comes back within the batch needs (series, time) keys.
  const firstRow = new FirstRows(points.length);
  let repeated: Map<string, number> | undefined;
  let batchDuplicates = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const sid = sids[i]!;
    const first = firstRow.firstOr(sid, rows.seriesIds.length);
    if (first !== undefined) {
      repeated ??= new Map();
      const firstKey = `${sid}:${rows.timestampsMs[first]}`;
      if (!repeated.has(firstKey)) repeated.set(firstKey, first);
      const k = `${sid}:${p.timestampMs}`;
      const at = repeated.get(k);
      if (at !== undefined) {
        batchDuplicates++;
        if (policy === 'overwrite') rows.values[at] = p.value;
        continue;
      }
      repeated.set(k, rows.seriesIds.length);
    }
    rows.seriesIds.push(sid);
    rows.timestampsMs.push(p.timestampMs);
    rows.values.push(p.value);
  }
  const plan = await planWrite(sql, rows, nowMs, cache?.lastTimestamps);
  return { rows, batchDuplicates, plan };
}

/** The row of each series' first point in a batch, by the series' number in an {@link IdTable}. */
class FirstRows {
  private readonly table: IdTable;
  private readonly rows: Int32Array;

  constructor(points: number) {
    this.table = new IdTable(points);
    this.rows = new Int32Array(Math.max(1, points));
  }

  /** The row of `sid`'s first point; when it has none yet, `row` becomes it and undefined is returned. */
  firstOr(sid: number, row: number): number | undefined {
    const before = this.table.size;
    const k = this.table.add(sid);
    if (k < before) return this.rows[k]!;
    this.rows[k] = row;
    return undefined;
  }
}

/**
 * Stores prepared points; counts stored ones and duplicates (in the batch or of stored points).
 * `alone`: `tx` is not a transaction and nothing else is written with the points (one statement when
 * the plan allows). Call {@link rememberWritten} after the commit.
 */
export async function writePrepared(tx: Sql, prepared: PreparedPoints, policy: 'reject' | 'overwrite', opts: { alone: boolean } = { alone: false }): Promise<{ accepted: number; duplicates: number }> {
  const { inserted, duplicates } = await writePoints(tx, prepared.plan, policy, opts);
  if (policy === 'reject') return { accepted: inserted, duplicates: duplicates + prepared.batchDuplicates };
  // overwrite: every valid point is stored (the newest value wins); duplicates says how many replaced one.
  return { accepted: inserted + duplicates + prepared.batchDuplicates, duplicates: duplicates + prepared.batchDuplicates };
}

/**
 * Runs `fn` in a transaction, which writes `prepared` (writePrepared, not alone) with whatever else goes
 * with the points. When the append met a point another process stored since this one last looked (a
 * unique violation: the whole transaction rolled back), runs it once more with every point checked.
 */
export function inTransactionWriting<T>(sql: Sql, prepared: PreparedPoints, fn: (tx: Sql, prepared: PreparedPoints) => Promise<T>): Promise<T> {
  return inTransactionRechecking(sql, prepared.plan, (tx, plan) => fn(tx, plan === prepared.plan ? prepared : { ...prepared, plan }));
}

/** After the commit of {@link writePrepared}: the process remembers each series' newest stored time. */
export function rememberWritten(prepared: PreparedPoints, cache?: SeriesCache): void {
  cache?.lastTimestamps.remember(prepared.plan.newest);
}
