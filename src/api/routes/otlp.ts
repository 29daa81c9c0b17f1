import type { IngestDeps } from '../../ingest/ingest.js';
import type { App } from '../types.js';

/** OTLP/HTTP metrics: POST /v1/metrics — being written this session. */
export function otlpRoutes(_app: App, _deps: IngestDeps): void {}
