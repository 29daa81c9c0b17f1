// Scheduled forecasts: a minute tick turns due schedules into runs and enqueues them; a run job
// forecasts every series the schedule selects. The queue retries failed runs with backoff.
import { findSeries } from '../metrics/series-read.js';
import type { Sql } from '../store/sql.js';
import { listOrgs } from '../tenancy/orgs.js';
import { forecastGrid, loadSeriesGrid, type ForecastDeps } from './service.js';
import { createRun, finishRun, getRun, getSchedule, nextRun, startRun, type Run } from './schedules.js';

/** Queue name of a run job. */
export const forecastRunJob = 'forecast-run';
/** Most series one run forecasts (a selector matching more is cut here, and the run says so). */
export const maxSeriesPerRun = 1000;

export interface RunJobData {
  orgId: string;
  runId: string;
}

/** Enqueues a run job; returns the job id. */
export type EnqueueRun = (data: RunJobData) => Promise<string>;

/** Enqueues a pending run that has no job yet, and records the job. */
async function enqueue(sql: Sql, orgId: string, runId: string, send: EnqueueRun): Promise<void> {
  const jobId = await send({ orgId, runId });
  await sql.query('UPDATE forecast_runs SET job_id = $3 WHERE org_id = $1 AND id = $2', [orgId, runId, jobId]);
}

/**
 * One tick: each due, unpaused schedule gets a run for its due time (once, however many servers
 * tick: the run's key is (schedule, time)) and its next time after `now` (missed ticks are skipped,
 * not replayed). Then every pending run without a job (also one whose enqueue failed before) is
 * enqueued.
 */
export async function tickSchedules(sql: Sql, now: Date, send: EnqueueRun): Promise<{ runsCreated: number; runsEnqueued: number }> {
  let runsCreated = 0;
  let runsEnqueued = 0;
  for (const org of await listOrgs(sql)) {
    const created = await sql.transaction(async (tx) => {
      const due = await tx.query<{ id: string; cron: string; next_run_at: Date }>(
        `SELECT id, cron, next_run_at FROM forecast_schedules WHERE org_id = $1 AND NOT paused AND next_run_at <= $2 ORDER BY next_run_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
        [org.id, now],
      );
      const ids: string[] = [];
      for (const s of due.rows) {
        const run = await createRun(tx, org.id, s.id, s.next_run_at, now);
        if (run) ids.push(run.id);
        await tx.query('UPDATE forecast_schedules SET next_run_at = $3 WHERE org_id = $1 AND id = $2', [org.id, s.id, nextRun(s.cron, now)]);
      }
      return ids;
    });
    runsCreated += created.length;
    // Besides this tick's runs, those left without a job a minute ago or more (a failed enqueue);
    // younger ones may be a "run now" between its insert and its enqueue.
    const waiting = await sql.query<{ id: string }>(
      `SELECT id FROM forecast_runs WHERE org_id = $1 AND status = 'pending' AND job_id IS NULL AND (id = ANY($2::uuid[]) OR created_at < $3) ORDER BY scheduled_for LIMIT 500`,
      [org.id, created, new Date(now.getTime() - 60_000)],
    );
    for (const r of waiting.rows) {
      await enqueue(sql, org.id, r.id, send);
      runsEnqueued++;
    }
  }
  return { runsCreated, runsEnqueued };
}

/** "Run now": a run of the schedule at `now`, enqueued at once. */
export async function runScheduleNow(sql: Sql, orgId: string, scheduleId: string, now: Date, send: EnqueueRun): Promise<Run | undefined> {
  const run = await createRun(sql, orgId, scheduleId, now, now);
  if (!run) return undefined;
  await enqueue(sql, orgId, run.id, send);
  return getRun(sql, orgId, run.id);
}

/**
 * Executes one attempt of a run: forecasts every series the schedule selects and stores the
 * forecasts under the run. Throws (so the queue retries) when no series could be forecast;
 * `finalAttempt` decides whether the run then fails for good or waits for its retry.
 */
export async function executeRun(deps: ForecastDeps, data: RunJobData, finalAttempt: boolean): Promise<{ status: string; series: number; forecasts: number }> {
  const { sql } = deps;
  const run = await startRun(sql, data.orgId, data.runId, deps.now());
  if (!run) return { status: 'run deleted', series: 0, forecasts: 0 };
  const schedule = await getSchedule(sql, data.orgId, run.scheduleId);
  if (!schedule) return { status: 'schedule deleted', series: 0, forecasts: 0 };
  try {
    const series = await findSeries(sql, data.orgId, schedule.key, schedule.dimensions, maxSeriesPerRun + 1);
    const selected = series.slice(0, maxSeriesPerRun);
    const errors: string[] = [];
    let forecasts = 0;
    for (const s of selected) {
      try {
        const grid = await loadSeriesGrid(deps, data.orgId, s, schedule.frequency);
        await forecastGrid(deps, data.orgId, grid, s, { frequency: schedule.frequency, horizon: schedule.horizon, backend: schedule.backend ?? undefined, levels: schedule.levels, runId: run.id });
        forecasts++;
      } catch (err) {
        errors.push(`${JSON.stringify(s.dimensions)}: ${(err as Error).message}`);
      }
    }
    if (selected.length && !forecasts) throw new Error(`no series could be forecast: ${errors.slice(0, 3).join('; ')}`);
    const notes = [
      ...(selected.length ? [] : [`no series of ${schedule.key} matches ${JSON.stringify(schedule.dimensions)}`]),
      ...(series.length > maxSeriesPerRun ? [`more than ${maxSeriesPerRun} series match; the first ${maxSeriesPerRun} were forecast`] : []),
      ...(errors.length ? [`${errors.length} series failed: ${errors.slice(0, 5).join('; ')}`] : []),
    ];
    await finishRun(sql, data.orgId, run.id, { status: 'completed', error: notes.length ? notes.join('. ') : null, seriesCount: selected.length, forecastCount: forecasts }, deps.now());
    return { status: 'completed', series: selected.length, forecasts };
  } catch (err) {
    await finishRun(sql, data.orgId, run.id, { status: finalAttempt ? 'failed' : 'pending', error: (err as Error).message }, deps.now());
    throw err;
  }
}
