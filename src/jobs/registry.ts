import { deliverDue, type DeliveryDeps } from '../alert/delivery.js';
import type { AlertingDeps } from '../alert/pass/deps.js';
import { tickAlertRules } from '../alert/pass/evaluator.js';
import { detectOnThisThread } from '../anomaly/detect-func.js';
import { forecastGrid, type ForecastDeps } from '../forecast/service.js';
import { executeRun, forecastRunJob, tickSchedules, type RunJobData } from '../forecast/scheduler.js';
import type { Sql } from '../store/sql.js';
import { vacuumPointsIfNeeded } from './embedded-vacuum.js';
import { runMaintenance, type MaintenanceSettings } from './maintenance.js';
import type { JobDefinition } from './queue.js';
import type { Clock } from '../core/clock.js';

/** Queue name of the job that sends due notification deliveries. */
export const notificationDeliveryJob = 'notification-delivery';

/** Every job kind the platform runs, registered here and only here. */
export function jobDefinitions(deps: {
  sql: Sql;
  now: Clock;
  maintenance?: MaintenanceSettings;
  forecast: ForecastDeps;
  /** Alert evaluation, over defaults from the forecast deps (detection on this thread, no links in notifications). */
  alerting?: Partial<Omit<AlertingDeps, 'onDeliveriesQueued'>>;
  /** Notification delivery (default: the registry's notifiers, real timers). */
  delivery?: DeliveryDeps;
}): JobDefinition<any>[] {
  const alerting: Omit<AlertingDeps, 'onDeliveriesQueued'> = {
    sql: deps.sql,
    now: deps.now,
    detect: detectOnThisThread,
    forecast: forecastGrid.bind(null, deps.forecast),
    log: deps.forecast.log,
    ...deps.alerting,
  };
  const delivery: DeliveryDeps = deps.delivery ?? { sql: deps.sql, now: deps.now, log: deps.forecast.log };
  const maintenance: JobDefinition = {
    name: 'maintenance',
    cron: '17 * * * *', // hourly, off the top of the hour
    retryLimit: 3,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 15 * 60,
    handler: () => runMaintenance(deps.sql, deps.now(), deps.maintenance),
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
      // Notifications go out now rather than at the delivery job's next minute.
      if (queued) await ctx.send(notificationDeliveryJob, {});
      return totals;
    },
  };
  const deliver: JobDefinition = {
    name: notificationDeliveryJob,
    // Sent after every pass or action that queued deliveries; the minute schedule picks up retries by
    // hand and deliveries whose worker died (their lease ran out).
    cron: '* * * * *',
    retryLimit: 1,
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 15 * 60,
    handler: () => deliverDue(delivery),
  };
  const vacuum: JobDefinition = {
    name: 'embedded-vacuum',
    cron: '* * * * *', // a check each minute; a vacuum only past 2% not-all-visible pages
    retryLimit: 0,
    retryDelaySeconds: 10,
    retryBackoff: false,
    expireInSeconds: 10 * 60,
    handler: () => vacuumPointsIfNeeded(deps.sql),
  };
  // PostgreSQL has its own autovacuum (tuned for points by migration 0003); PGlite has none.
  return [maintenance, scheduler, run, evaluator, deliver, ...(deps.sql.driver === 'pglite' ? [vacuum] : [])];
}
