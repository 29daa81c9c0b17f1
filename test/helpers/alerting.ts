// Alerting deps for tests that run passes directly: detection on this thread, forecasts by the
// standard backends (what the server wires with its worker pool).
import type { AlertingDeps } from '../../src/alert/pass/deps.js';
import { detectOnThisThread } from '../../src/anomaly/detect-func.js';
import { createBackendRegistry, type BackendRegistry } from '../../src/forecast/registry.js';
import { forecastGrid } from '../../src/forecast/service.js';
import type { Sql } from '../../src/store/sql.js';
import { samplesFrom } from '../../src/metrics/series-read.js';

export function alertingDeps(sql: Sql, now: () => Date, backends: BackendRegistry = createBackendRegistry()): AlertingDeps {
  return { sql, now, samples: samplesFrom(sql), detect: detectOnThisThread, forecast: forecastGrid.bind(null, { sql, backends, now }) };
}
