// Detection schedules and their per-series states: storage. A schedule detects anomalies online in
// every series its key and dimension filter select, every interval, continuing from each series'
// saved state (./detection-runner.ts).
import type { Labels } from '../core/labels.js';
import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import type { ValueBounds } from './detector.js';
import type { WeightedMethod } from './registry.js';

/** A reference period as stored and replied: ISO times, from inclusive, to exclusive. */
export interface BaselinePeriod {
  from: string;
  to: string;
}

export interface DetectionSchedule {
  id: string;
  orgId: string;
  name: string;
  key: string;
  dimensions: Labels;
  intervalSeconds: number;
  sensitivity: number;
  /** Null: the default ensemble. */
  methods: WeightedMethod[] | null;
  /** Null: each series' own bounds setting applies. */
  bounds: ValueBounds | null;
  baseline: BaselinePeriod | null;
  paused: boolean;
  /** Bumped when a change drops the states (a run started before cannot save). */
  revision: number;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastError: string | null;
  /** Series the last run selected. */
  seriesCount: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The schedule table, in reply order. */
export const detectionScheduleEntity = defineEntity<DetectionSchedule>()('detection_schedules', {
  id: 'uuid', orgId: 'uuid', name: 'text', key: 'text', dimensions: 'jsonb', intervalSeconds: 'int', sensitivity: 'float', methods: 'jsonb?', bounds: 'jsonb?',
  baseline: 'jsonb?', paused: 'bool', revision: 'int', nextRunAt: 'timestamptz?', lastRunAt: 'timestamptz?', lastError: 'text?', seriesCount: 'int',
  createdAt: 'timestamptz', updatedAt: 'timestamptz',
});

const columns = detectionScheduleEntity.columns;
const scheduleOf = (r: Row): DetectionSchedule => fromRow(detectionScheduleEntity, r);
/** A jsonb parameter: SQL NULL for null (not the JSON null). */
const jsonOrNull = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** What the API sets on a schedule. */
export type NewDetectionSchedule = Pick<DetectionSchedule, 'name' | 'key' | 'dimensions' | 'intervalSeconds' | 'sensitivity' | 'methods' | 'bounds' | 'baseline' | 'paused'>;

/** What a change may set. */
export type DetectionScheduleChange = Partial<Pick<DetectionSchedule, 'name' | 'intervalSeconds' | 'sensitivity' | 'methods' | 'bounds' | 'baseline' | 'paused'>>;

/** Creates a schedule; an unpaused one first runs at the next tick. */
export async function createDetectionSchedule(sql: Sql, orgId: string, s: NewDetectionSchedule, now: Date): Promise<DetectionSchedule> {
  const r = await sql.query<Row>(
    `INSERT INTO detection_schedules (org_id, name, key, dimensions, interval_seconds, sensitivity, methods, bounds, baseline, paused, next_run_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11, $12, $12) RETURNING ${columns}`,
    [orgId, s.name, s.key, JSON.stringify(s.dimensions), s.intervalSeconds, s.sensitivity, jsonOrNull(s.methods), jsonOrNull(s.bounds), jsonOrNull(s.baseline), s.paused, s.paused ? null : now, now],
  );
  return scheduleOf(r.rows[0]!);
}

export async function getDetectionSchedule(sql: Sql, orgId: string, id: string): Promise<DetectionSchedule | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM detection_schedules WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && scheduleOf(r.rows[0]);
}

/** Schedules of `orgId` in creation order, after the (created_at, id) cursor. */
export async function listDetectionSchedules(sql: Sql, orgId: string, limit: number, after?: { createdAtMs: number; id: string }): Promise<{ items: DetectionSchedule[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM detection_schedules
     WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
     ORDER BY created_at, id LIMIT $4`,
    [orgId, after ? new Date(after.createdAtMs) : null, after?.id ?? null, limit + 1],
  );
  return { items: r.rows.slice(0, limit).map(scheduleOf), more: r.rows.length > limit };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Applies a change. A change of what shapes detection (sensitivity, methods, bounds, baseline) drops
 * the saved states in the same transaction, so every series relearns from its recent history. Pausing
 * clears the next run; resuming runs at the next tick; a new interval counts from the last run.
 */
export async function updateDetectionSchedule(sql: Sql, orgId: string, id: string, c: DetectionScheduleChange, now: Date): Promise<DetectionSchedule | undefined> {
  return sql.transaction(async (tx) => {
    const cur = await tx.query<Row>(`SELECT ${columns} FROM detection_schedules WHERE org_id = $1 AND id = $2 FOR UPDATE`, [orgId, id]);
    if (!cur.rows[0]) return undefined;
    const old = scheduleOf(cur.rows[0]);
    const next: DetectionSchedule = { ...old, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) };
    const relearn = (['sensitivity', 'methods', 'bounds', 'baseline'] as const).some((k) => !same(old[k], next[k]));
    let nextRunAt = old.nextRunAt;
    if (next.paused) nextRunAt = null;
    else if (old.paused) nextRunAt = now;
    else if (next.intervalSeconds !== old.intervalSeconds) nextRunAt = new Date((old.lastRunAt ?? now).getTime() + next.intervalSeconds * 1000);
    if (relearn) await tx.query('DELETE FROM detection_states WHERE org_id = $1 AND schedule_id = $2', [orgId, id]);
    const r = await tx.query<Row>(
      `UPDATE detection_schedules SET name = $3, interval_seconds = $4, sensitivity = $5, methods = $6::jsonb, bounds = $7::jsonb, baseline = $8::jsonb, paused = $9,
         next_run_at = $10, revision = revision + $11, updated_at = $12
       WHERE org_id = $1 AND id = $2 RETURNING ${columns}`,
      [orgId, id, next.name, next.intervalSeconds, next.sensitivity, jsonOrNull(next.methods), jsonOrNull(next.bounds), jsonOrNull(next.baseline), next.paused, nextRunAt, relearn ? 1 : 0, now],
    );
    return scheduleOf(r.rows[0]!);
  });
}

/** Deletes a schedule and its states (the anomalies it stored stay, unlinked). */
export async function deleteDetectionSchedule(sql: Sql, orgId: string, id: string): Promise<boolean> {
  const r = await sql.query('DELETE FROM detection_schedules WHERE org_id = $1 AND id = $2', [orgId, id]);
  return r.rowCount > 0;
}

/** Marks a schedule due now (a "run now" where no job queue runs here: the next tick takes it). */
export async function markDue(sql: Sql, orgId: string, id: string, now: Date): Promise<void> {
  await sql.query('UPDATE detection_schedules SET next_run_at = $3 WHERE org_id = $1 AND id = $2', [orgId, id, now]);
}

/**
 * Claims the due, unpaused schedules of `orgId` at `now` (FOR UPDATE SKIP LOCKED: several servers
 * ticking at once claim each schedule once) and moves each one's next run an interval on.
 */
export async function claimDueSchedules(sql: Sql, orgId: string, now: Date, limit = 500): Promise<string[]> {
  return sql.transaction(async (tx) => {
    const due = await tx.query<{ id: string }>(
      `SELECT id FROM detection_schedules WHERE org_id = $1 AND NOT paused AND next_run_at <= $2 ORDER BY next_run_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
      [orgId, now, limit],
    );
    const ids = due.rows.map((r) => r.id);
    if (ids.length) {
      await tx.query(`UPDATE detection_schedules SET next_run_at = $3::timestamptz + interval_seconds * interval '1 second' WHERE org_id = $1 AND id = ANY($2::uuid[])`, [orgId, ids, now]);
    }
    return ids;
  });
}

/** Records the end of a run. */
export async function finishScheduleRun(sql: Sql, orgId: string, id: string, outcome: { seriesCount: number; error: string | null }, now: Date): Promise<void> {
  await sql.query('UPDATE detection_schedules SET last_run_at = $3, last_error = $4, series_count = $5 WHERE org_id = $1 AND id = $2', [orgId, id, now, outcome.error, outcome.seriesCount]);
}

// ---------------------------------------------------------------------------------------------
// Per-series states

/** Where a schedule stands in one series. */
export interface DetectionState {
  seriesId: number;
  /** Epoch ms of the last point read; null until a run has read the series. */
  lastPointMs: number | null;
  pointsProcessed: number;
  /** Sequence number (see the migration) and time of the last reported point. */
  lastReportSeq: number | null;
  lastReportMs: number | null;
  states: Uint8Array | null;
  anomaliesFound: number;
  lastError: string | null;
  updatedAt: Date;
}

interface StateRow {
  series_id: string;
  last_ms: number | null;
  points_processed: string | number;
  last_report_seq: string | number | null;
  last_report_ms: number | null;
  states: Uint8Array | null;
  anomalies_found: string | number;
  last_error: string | null;
  updated_at: Date;
}

const stateColumns = `series_id, (extract(epoch FROM last_point_at) * 1000)::float8 AS last_ms, points_processed, last_report_seq,
  (extract(epoch FROM last_report_at) * 1000)::float8 AS last_report_ms, states, anomalies_found, last_error, updated_at`;

const num = (v: string | number | null) => (v === null ? null : Number(v));

function stateOf(r: StateRow): DetectionState {
  return {
    seriesId: Number(r.series_id),
    lastPointMs: num(r.last_ms),
    pointsProcessed: Number(r.points_processed),
    lastReportSeq: num(r.last_report_seq),
    lastReportMs: num(r.last_report_ms),
    states: r.states ? new Uint8Array(r.states) : null,
    anomaliesFound: Number(r.anomalies_found),
    lastError: r.last_error,
    updatedAt: r.updated_at,
  };
}

/** The saved states of a schedule's series, by series id. */
export async function readStates(sql: Sql, orgId: string, scheduleId: string): Promise<Map<number, DetectionState>> {
  const r = await sql.query<StateRow>(`SELECT ${stateColumns} FROM detection_states WHERE org_id = $1 AND schedule_id = $2`, [orgId, scheduleId]);
  return new Map(r.rows.map((x) => [Number(x.series_id), stateOf(x)]));
}

/** What a run saves for one series. */
export interface StateAdvance {
  lastPointMs: number;
  /** Points read by this run. */
  newPoints: number;
  lastReportSeq: number | null;
  lastReportMs: number | null;
  states: Uint8Array | null;
  /** Anomalies this run stored. */
  newAnomalies: number;
}

/**
 * Saves a series' advanced state, if it still is where the run found it (`expectedLastMs`, null for
 * none) and the schedule still has `revision`. False, and nothing written, when another run or a
 * settings change got there first: the caller then rolls back what it wrote in the same transaction.
 */
export async function advanceState(tx: Sql, orgId: string, scheduleId: string, revision: number, seriesId: number, expectedLastMs: number | null, a: StateAdvance, now: Date): Promise<boolean> {
  // FOR SHARE waits for (and then sees) a settings change in flight.
  const s = await tx.query<{ revision: number }>('SELECT revision FROM detection_schedules WHERE org_id = $1 AND id = $2 FOR SHARE', [orgId, scheduleId]);
  if (!s.rows[0] || Number(s.rows[0].revision) !== revision) return false;
  const r = await tx.query(
    `INSERT INTO detection_states (org_id, schedule_id, series_id, last_point_at, points_processed, last_report_seq, last_report_at, states, anomalies_found, last_error, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)
     ON CONFLICT (schedule_id, series_id) DO UPDATE SET last_point_at = excluded.last_point_at,
       points_processed = detection_states.points_processed + excluded.points_processed, last_report_seq = excluded.last_report_seq,
       last_report_at = excluded.last_report_at, states = excluded.states, anomalies_found = detection_states.anomalies_found + excluded.anomalies_found,
       last_error = NULL, updated_at = excluded.updated_at
     WHERE detection_states.last_point_at IS NOT DISTINCT FROM $11::timestamptz
     RETURNING series_id`,
    [
      orgId, scheduleId, seriesId, new Date(a.lastPointMs), a.newPoints, a.lastReportSeq, a.lastReportMs === null ? null : new Date(a.lastReportMs), a.states, a.newAnomalies, now,
      expectedLastMs === null ? null : new Date(expectedLastMs),
    ],
  );
  return r.rows.length === 1;
}

/** Records why a series could not be read or detected (its saved state stays as it was). */
export async function recordStateError(sql: Sql, orgId: string, scheduleId: string, seriesId: number, error: string, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO detection_states (org_id, schedule_id, series_id, last_error, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (schedule_id, series_id) DO UPDATE SET last_error = excluded.last_error, updated_at = excluded.updated_at`,
    [orgId, scheduleId, seriesId, error.slice(0, 2000), now],
  );
}

/** A schedule's series as the API lists them. */
export interface ScheduleSeries {
  seriesId: string;
  key: string;
  dimensions: Labels;
  lastPointAt: string | null;
  lastRunAt: string;
  pointsProcessed: number;
  anomaliesFound: number;
  stateBytes: number;
  lastError: string | null;
}

/** The series a schedule has a state for (at most `limit`), in series order. */
export async function listScheduleSeries(sql: Sql, orgId: string, scheduleId: string, limit = 1000): Promise<ScheduleSeries[]> {
  const r = await sql.query<{ series_id: string; key: string; dimensions: Labels; last_point_at: Date | null; updated_at: Date; points_processed: string | number; anomalies_found: string | number; state_bytes: string | number | null; last_error: string | null }>(
    `SELECT d.series_id, s.key, s.dimensions, d.last_point_at, d.updated_at, d.points_processed, d.anomalies_found, octet_length(d.states) AS state_bytes, d.last_error
     FROM detection_states d JOIN series s ON s.org_id = d.org_id AND s.id = d.series_id
     WHERE d.org_id = $1 AND d.schedule_id = $2 ORDER BY d.series_id LIMIT $3`,
    [orgId, scheduleId, limit],
  );
  return r.rows.map((x) => ({
    seriesId: String(x.series_id),
    key: x.key,
    dimensions: x.dimensions,
    lastPointAt: x.last_point_at ? x.last_point_at.toISOString() : null,
    lastRunAt: x.updated_at.toISOString(),
    pointsProcessed: Number(x.points_processed),
    anomaliesFound: Number(x.anomalies_found),
    stateBytes: Number(x.state_bytes ?? 0),
    lastError: x.last_error,
  }));
}
