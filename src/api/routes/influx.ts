import type { IngestDeps } from '../../ingest/ingest.js';
import type { App } from '../types.js';

/** Influx line protocol: POST /api/v2/write and /write — being written this session. */
export function influxRoutes(_app: App, _deps: IngestDeps): void {}
