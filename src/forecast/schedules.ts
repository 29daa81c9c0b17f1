// Forecast schedules and their runs: storage, cron arithmetic and the state of each run.
import cronParser from 'cron-parser';
import { AppError } from '../core/errors.js';
import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import type { Frequency } from './backend.js';
import type { Labels } from '../core/labels.js';

/** Named schedules and the UTC crons they stand for. */
const named: Record<string, string> = { hourly: '0 * * * *', daily: '0 0 * * *' };

/** 'hourly', 'daily' or a 5-field cron expression (UTC) → the cron; a 400 naming the field otherwise. */
export function cronOf(schedule: string, field = 'body.schedule'): string {
  const s = schedule.trim();
  if (named[s]) return named[s];
  const bad = (why: string) => new AppError('validation_failed', `schedule must be hourly, daily or a 5-field cron expression (minute hour day month weekday, UTC): ${why}`, [{ field, message: why }]);
  if (s.split(/\s+/).length !== 5) throw bad(`"${s}" does not have 5 fields`);
  try {
    cronParser.parseExpression(s, { tz: 'UTC' }).next();
  } catch (e) {
    throw bad((e as Error).message);
  }
  return s;
}

/** The first time the cron fires strictly after `after`. */
export function nextRun(cron: string, after: Date): Date {
  return cronParser.parseExpression(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
}

export interface Schedule {
  id: string;
  orgId: string;
  name: string;
  key: string;
  dimensions: Labels;
  frequency: Frequency;
  horizon: number;
  backend: string | null;
  levels: number[];
  schedule: string;
  cron: string;
  paused: boolean;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The schedule table, in reply order. */
export const scheduleEntity = defineEntity<Schedule>()('forecast_schedules', {
  id: 'uuid', orgId: 'uuid', name: 'text', key: 'text', dimensions: 'jsonb', frequency: 'text', horizon: 'int', backend: 'text?', levels: 'float[]',
  schedule: 'text', cron: 'text', paused: 'bool', nextRunAt: 'timestamptz?', lastRunAt: 'timestamptz?', createdAt: 'timestamptz', updatedAt: 'timestamptz',
});

const scheduleColumns = scheduleEntity.columns;
const scheduleOf = (r: Row): Schedule => fromRow(scheduleEntity, r);

/** What the API sets on a schedule (the cron and the run times follow from `schedule`). */
export type NewSchedule = Pick<Schedule, 'name' | 'key' | 'dimensions' | 'frequency' | 'horizon' | 'backend' | 'levels' | 'schedule'>;

export async function createSchedule(sql: Sql, orgId: string, s: NewSchedule, now: Date): Promise<Schedule> {
  const cron = cronOf(s.schedule);
  const r = await sql.query<Row>(
    `INSERT INTO forecast_schedules (org_id, name, key, dimensions, frequency, horizon, backend, levels, schedule, cron, next_run_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::float8[], $9, $10, $11, $12, $12) RETURNING ${scheduleColumns}`,
    [orgId, s.name, s.key, JSON.stringify(s.dimensions), s.frequency, s.horizon, s.backend, s.levels, s.schedule.trim(), cron, nextRun(cron, now), now],
  );
  return scheduleOf(r.rows[0]!);
}

export async function getSchedule(sql: Sql, orgId: string, id: string): Promise<Schedule | undefined> {
  const r = await sql.query<Row>(`SELECT ${scheduleColumns} FROM forecast_schedules WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && scheduleOf(r.rows[0]);
}

/** Schedules of `orgId` in creation order, after the (created_at, id) cursor. */
export async function listSchedules(sql: Sql, orgId: string, limit: number, after?: { createdAtMs: number; id: string }): Promise<{ items: Schedule[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${scheduleColumns} FROM forecast_schedules
     WHERE org_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
     ORDER BY created_at, id LIMIT $4`,
    [orgId, after ? new Date(after.createdAtMs) : null, after?.id ?? null, limit + 1],
  );
  return { items: r.rows.slice(0, limit).map(scheduleOf), more: r.rows.length > limit };
}

/** Pauses or resumes; a resumed schedule next runs at its first tick after `now` (missed ticks are skipped). */
export async function setPaused(sql: Sql, orgId: string, id: string, paused: boolean, now: Date): Promise<Schedule | undefined> {
  const current = await getSchedule(sql, orgId, id);
  if (!current) return undefined;
  const r = await sql.query<Row>(
    `UPDATE forecast_schedules SET paused = $3, next_run_at = $4, updated_at = $5 WHERE org_id = $1 AND id = $2 RETURNING ${scheduleColumns}`,
    [orgId, id, paused, paused ? null : nextRun(current.cron, now), now],
  );
  return r.rows[0] && scheduleOf(r.rows[0]);
}

/** Deletes a schedule and its runs (its forecasts stay, unlinked). */
export async function deleteSchedule(sql: Sql, orgId: string, id: string): Promise<boolean> {
  const r = await sql.query('DELETE FROM forecast_schedules WHERE org_id = $1 AND id = $2', [orgId, id]);
  return r.rowCount > 0;
}

// ---------------------------------------------------------------------------------------------
// Runs

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface Run {
  id: string;
  orgId: string;
  scheduleId: string;
  scheduledFor: Date;
  status: RunStatus;
  attempts: number;
  error: string | null;
  seriesCount: number | null;
  forecastCount: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The run table, in reply order. */
export const runEntity = defineEntity<Run>()('forecast_runs', {
  id: 'uuid', orgId: 'uuid', scheduleId: 'uuid', scheduledFor: 'timestamptz', status: 'text', attempts: 'int', error: 'text?', seriesCount: 'int?',
  forecastCount: 'int?', createdAt: 'timestamptz', startedAt: 'timestamptz?', finishedAt: 'timestamptz?',
});

const runColumns = runEntity.columns;
const runOf = (r: Row): Run => fromRow(runEntity, r);

/** A pending run of the schedule for `scheduledFor`; undefined when that tick already has one. */
export async function createRun(sql: Sql, orgId: string, scheduleId: string, scheduledFor: Date, now: Date): Promise<Run | undefined> {
  const r = await sql.query<Row>(
    `INSERT INTO forecast_runs (org_id, schedule_id, scheduled_for, status, created_at) VALUES ($1, $2, $3, 'pending', $4)
     ON CONFLICT (schedule_id, scheduled_for) DO NOTHING RETURNING ${runColumns}`,
    [orgId, scheduleId, scheduledFor, now],
  );
  return r.rows[0] && runOf(r.rows[0]);
}

export async function getRun(sql: Sql, orgId: string, id: string): Promise<Run | undefined> {
  const r = await sql.query<Row>(`SELECT ${runColumns} FROM forecast_runs WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && runOf(r.rows[0]);
}

/** Runs of a schedule, newest first, after the (scheduled_for, id) cursor. */
export async function listRuns(sql: Sql, orgId: string, scheduleId: string, limit: number, after?: { scheduledForMs: number; id: string }): Promise<{ items: Run[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${runColumns} FROM forecast_runs
     WHERE org_id = $1 AND schedule_id = $2 AND ($3::timestamptz IS NULL OR (scheduled_for, id) < ($3, $4::uuid))
     ORDER BY scheduled_for DESC, id DESC LIMIT $5`,
    [orgId, scheduleId, after ? new Date(after.scheduledForMs) : null, after?.id ?? null, limit + 1],
  );
  return { items: r.rows.slice(0, limit).map(runOf), more: r.rows.length > limit };
}

/** Marks an attempt as started: status running, one more attempt. */
export async function startRun(sql: Sql, orgId: string, id: string, now: Date): Promise<Run | undefined> {
  const r = await sql.query<Row>(
    `UPDATE forecast_runs SET status = 'running', attempts = attempts + 1, started_at = $3, error = NULL WHERE org_id = $1 AND id = $2 RETURNING ${runColumns}`,
    [orgId, id, now],
  );
  return r.rows[0] && runOf(r.rows[0]);
}

/** Ends an attempt: completed, failed for good, or back to pending while retries remain. */
export async function finishRun(
  sql: Sql,
  orgId: string,
  id: string,
  outcome: { status: 'completed' | 'failed' | 'pending'; error: string | null; seriesCount?: number; forecastCount?: number },
  now: Date,
): Promise<void> {
  await sql.query(
    `UPDATE forecast_runs SET status = $3, error = $4, series_count = coalesce($5, series_count), forecast_count = coalesce($6, forecast_count),
       finished_at = CASE WHEN $3 = 'pending' THEN NULL ELSE $7::timestamptz END
     WHERE org_id = $1 AND id = $2`,
    [orgId, id, outcome.status, outcome.error, outcome.seriesCount ?? null, outcome.forecastCount ?? null, now],
  );
  if (outcome.status === 'completed') {
    await sql.query('UPDATE forecast_schedules SET last_run_at = $3 WHERE org_id = $1 AND id = (SELECT schedule_id FROM forecast_runs WHERE org_id = $1 AND id = $2)', [orgId, id, now]);
  }
}
