// Detection schedules: continuous online anomaly detection over the series a key and dimension filter
// select (admin to change, read to list). Built in issue 16.
import type { DetectFunc } from '../../anomaly/detect-func.js';
import type { Clock } from '../../core/clock.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Sql } from '../../store/sql.js';
import type { App } from '../types.js';

export function detectionScheduleRoutes(_app: App, _deps: { sql: Sql; now: Clock; detector?: DetectFunc; jobs?: JobQueue }): void {}
