// The Prometheus HTTP API under /prometheus/api/v1/ for Grafana and promtool (issue 17, part B).
import type { Clock } from '../../core/clock.js';
import type { Sql } from '../../store/sql.js';
import type { App } from '../types.js';

export function prometheusRoutes(_app: App, _deps: { sql: Sql; now: Clock }): void {}
