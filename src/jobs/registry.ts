import type { Sql } from '../store/sql.js';
import { runMaintenance, type MaintenanceSettings } from './maintenance.js';
import type { JobDefinition } from './queue.js';

/** Every job kind the platform runs, registered here and only here. */
export function jobDefinitions(deps: { sql: Sql; now: () => Date; maintenance?: MaintenanceSettings }): JobDefinition[] {
  return [
    {
      name: 'maintenance',
      cron: '17 * * * *', // hourly, off the top of the hour
      retryLimit: 3,
      retryDelaySeconds: 30,
      retryBackoff: true,
      expireInSeconds: 15 * 60,
      handler: () => runMaintenance(deps.sql, deps.now(), deps.maintenance),
    },
  ];
}
