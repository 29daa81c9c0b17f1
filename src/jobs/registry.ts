import type { ForecastDeps } from '../forecast/service.js';
import { executeRun, forecastRunJob, tickSchedules, type RunJobData } from '../forecast/scheduler.js';
import type { Sql } from '../store/sql.js';
import { runMaintenance, type MaintenanceSettings } from './maintenance.js';
import type { JobDefinition } from './queue.js';

/** Every job kind the platform runs, registered here and only here. */
export function jobDefinitions(deps: { sql: Sql; now: () => Date; maintenance?: MaintenanceSettings; forecast: ForecastDeps }): JobDefinition<any>[] {
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
  return [maintenance, scheduler, run];
}
