import { deliverDue, type DeliveryDeps } from '../alert/delivery.js';
import type { AlertingDeps } from '../alert/pass/deps.js';
import { tickAlertRules } from '../alert/pass/evaluator.js';
import type { ForecastDeps } from '../forecast/service.js';
import { executeRun, forecastRunJob, tickSchedules, type RunJobData } from '../forecast/scheduler.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import { compactClosedWindows } from '../metrics/points/compact.js';
import type { StorageStats } from '../metrics/points/storage-stats.js';
import { maintainHotPartitions, reclaimEmptyDefault } from '../metrics/points/hot-partitions.js';
import type { Sql } from '../store/sql.js';
import { vacuumDueTables, vacuumPointsIfNeeded } from './embedded-vacuum.js';
import { runMaintenance, type MaintenanceSettings } from './maintenance.js';
import type { JobDefinition } from './queue.js';
import type { Clock } from '../core/clock.js';
import { detectionRunJob, notificationDeliveryJob, sourceScraperJob } from './names.js';
import type { DetectFunc } from '../anomaly/detect-func.js';
import { executeDetectionRun, tickDetectionSchedules, type DetectionRunData } from '../anomaly/detection-runner.js';
import { flushDueGroups, groupFlushDelays } from '../alert/grouping/flush.js';
import { resendToAlertmanagers } from '../alert/forward.js';
import { runScraper } from '../sources/scrape-due.js';
import type { ScrapeDeps } from '../sources/scrape.js';

/** Re-exported for the job's tests and callers that load the registry anyway. */
export { notificationDeliveryJob };

/** Queue name of the compaction job (the composition root also enqueues one at start). */
export const storageCompactionJob = 'storage-compaction';

/** What the job workers run over: built once by the composition root (src/compose.ts) and handed in. */
export interface JobDeps {
  sql: Sql;
  now: Clock;
  /** Retention of the maintenance job; undefined: its defaults. */
  maintenance?: MaintenanceSettings;
  forecast: ForecastDeps;
  /** Alert evaluation; the evaluator job sets its own `onDeliveriesQueued`. */
  alerting: AlertingDeps;
  delivery: DeliveryDeps;
  /** Scraping of prometheus-scrape sources (their outbound guard, limits, shutdown signal). */
  scrape: ScrapeDeps;
  /** Where scheduled anomaly detection runs (the worker pool in the server); default this thread. */
  detect?: DetectFunc;
  /** Seconds between compaction runs (1–60); default 60: one run a minute. */
  compactionIntervalSeconds?: number;
  /** Where compaction and retention runs are counted for GET /metrics; absent: not counted. */
  storageStats?: StorageStats;
}

/**
 * The compaction job's body: compacts closed windows, keeps the hot table's two-hour partitions
 * (hot-partitions.ts) and, on PGlite (no autovacuum), vacuums the default partition `points_default` when
 * due so the space of the rows it deleted is reused, and every other table as autovacuum would
 * (embedded-vacuum.ts: the chunk and rollup rows compaction rewrites, the job queue's); an emptied default partition's space is given back
 * (reclaimEmptyDefault). With an interval under a minute it repeats
 * within the minute (55 s, like the scraper) until the next scheduled run takes over; the server's
 * shutdown signal ends it between runs.
 */
export async function runCompaction(deps: Pick<JobDeps, 'sql' | 'now' | 'compactionIntervalSeconds' | 'storageStats'> & { signal?: AbortSignal }, log?: Logger) {
  const intervalMs = (deps.compactionIntervalSeconds ?? 60) * 1000;
  const started = performance.now();
  const totals = { runs: 0, points: 0, chunks: 0, series: 0, rollupDays: 0, vacuums: 0, tablesVacuumed: 0 };
  for (;;) {
    let r;
    try {
      r = await compactClosedWindows(deps.sql, deps.now().getTime());
    } catch (err) {
      deps.storageStats?.compactionFailed();
      throw err;
    }
    deps.storageStats?.compacted(r, deps.now().getTime());
    totals.runs++;
    totals.points += r.points;
    totals.chunks += r.chunks;
    totals.series += r.series;
    totals.rollupDays += r.rollupDays;
    if (r.points) log?.info({ compaction: r }, 'closed windows compacted');
    // Slots made ahead (hours before they are needed) and emptied ones dropped after compaction: making a
    // slot scans the default partition with `points` locked, and a backfill there has just been swept.
    await maintainHotPartitions(deps.sql, deps.now().getTime());
    if (deps.sql.driver === 'pglite') {
      if ((await vacuumPointsIfNeeded(deps.sql)).vacuumed) totals.vacuums++;
      totals.tablesVacuumed += (await vacuumDueTables(deps.sql)).vacuumed.length;
    }
    // After a compacted backfill, the default partition's emptied index (once VACUUM has returned its heap).
    const reclaimed = await reclaimEmptyDefault(deps.sql);
    if (reclaimed) log?.info({ reclaimedBytes: reclaimed }, 'emptied default partition of the hot table truncated');
    if (intervalMs >= 60_000 || performance.now() - started + intervalMs > 55_000 || deps.signal?.aborted) return totals;
    await sleep(intervalMs, undefined, { signal: deps.signal }).catch(() => undefined);
    if (deps.signal?.aborted) return totals;
  }
}

/** Every job kind the platform runs, registered here and only here, over the given deps. */
export function jobDefinitions(deps: JobDeps): JobDefinition<any>[] {
  const { alerting, delivery } = deps;
  const maintenance: JobDefinition = {
    name: 'maintenance',
    cron: '17 * * * *', // hourly, off the top of the hour
    retryLimit: 3,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 15 * 60,
    handler: () => runMaintenance(deps.sql, deps.now(), deps.maintenance, deps.storageStats),
  };
  const scheduler: JobDefinition = {
    name: 'forecast-scheduler',
    cron: '* * * * *', // schedules are cron-precise to the minute
    retryLimit: 2,
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 5 * 60,
    handler: (_data, ctx) => tickSchedules(deps.sql, deps.now(), (data) => ctx.send(forecastRunJob, data)),
  };
  const run: JobDefinition<RunJobData> = {
    name: forecastRunJob,
    retryLimit: 3,
    retryDelaySeconds: 30, // then 60, 120 (backoff)
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    handler: (data, ctx) => executeRun(deps.forecast, data, ctx.retryCount >= ctx.retryLimit),
  };
  const evaluator: JobDefinition = {
    name: 'alert-evaluator',
    cron: '* * * * *', // rules are due per their interval (≥ 1 min); each tick evaluates those due
    retryLimit: 0, // a failed tick is followed by the next one a minute later
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 10 * 60,
    handler: async (_data, ctx) => {
      let queued = false;
      const totals = await tickAlertRules({ ...alerting, onDeliveriesQueued: () => (queued = true) });
      // Notifications go out now rather than at the delivery job's next minute (that run also
      // schedules the looks at notification groups due before the minute is over).
      if (queued) await ctx.send(notificationDeliveryJob, {});
      return totals;
    },
  };
  const deliver: JobDefinition<{ look?: boolean }> = {
    name: notificationDeliveryJob,
    // Sent after every pass or action that queued deliveries; the minute schedule picks up retries by
    // hand and deliveries whose worker died (their lease ran out).
    cron: '* * * * *',
    retryLimit: 1,
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 15 * 60,
    // Groups whose wait or interval is over become deliveries first (Alertmanager-style grouping).
    // A group wait or interval shorter than the minute schedule is kept by a delayed run at each
    // group due within the minute; those runs (`look`) schedule no further ones, so runs do not multiply.
    handler: async (data: { look?: boolean }, ctx) => {
      const totals = { groups: await flushDueGroups(delivery), ...(await deliverDue(delivery)) };
      if (!data.look) {
        for (const delay of await groupFlushDelays(deps.sql, deps.now(), 60)) await ctx.send(notificationDeliveryJob, { look: true }, { startAfterSeconds: delay });
      }
      return totals;
    },
  };
  const alertmanagerResend: JobDefinition = {
    name: 'alertmanager-resend',
    cron: '* * * * *', // Prometheus re-sends firing alerts about every minute
    retryLimit: 0,
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 5 * 60,
    handler: async (_data, ctx) => {
      const queued = await resendToAlertmanagers({ sql: deps.sql, now: deps.now, publicUrl: alerting.publicUrl ?? null });
      if (queued) await ctx.send(notificationDeliveryJob, {});
      return { queued };
    },
  };
  const compaction: JobDefinition = {
    name: storageCompactionJob,
    cron: '* * * * *', // a window is compacted within about a minute of closing (COMPACTION_GRACE_MS after its end)
    retryLimit: 0, // the next run picks up whatever is left
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 15 * 60, // a backlog (after downtime) at ~1M points/s: far below this
    // The server's shutdown signal (aborted before the queue stops) ends a repeating run.
    handler: (_data, ctx) => runCompaction({ ...deps, signal: deps.scrape.signal }, ctx.log),
  };
  const scraper: JobDefinition = {
    name: sourceScraperJob,
    // Cron ticks by the minute and intervals go down to 5 s: each run claims due targets every
    // second for 55 s (ending at once when there are no targets), and the next minute's run follows.
    cron: '* * * * *',
    retryLimit: 0,
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 3 * 60,
    handler: (_data, ctx) => runScraper(deps.scrape, { durationMs: 55_000, log: ctx.log }),
  };
  const detectionScheduler: JobDefinition = {
    name: 'detection-scheduler',
    cron: '* * * * *', // intervals are whole minutes or more
    retryLimit: 0, // the next tick a minute later claims what is still due
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 5 * 60,
    handler: (_data, ctx) => tickDetectionSchedules(deps.sql, deps.now(), (data) => ctx.send(detectionRunJob, data)),
  };
  const detectionRun: JobDefinition<DetectionRunData> = {
    name: detectionRunJob,
    // A retry re-reads from the saved states, so it neither loses nor repeats a point.
    retryLimit: 2,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    handler: (data) => executeDetectionRun({ sql: deps.sql, now: deps.now, detect: deps.detect }, data),
  };
  // PostgreSQL has its own autovacuum (tuned for points by migration 0014); on PGlite the compaction job vacuums.
  return [maintenance, compaction, scheduler, run, detectionScheduler, detectionRun, evaluator, deliver, alertmanagerResend, scraper];
}
