import type { IngestDeps } from '../../ingest/ingest.js';
import type { App } from '../types.js';

/** Prometheus remote-write: POST /api/v1/write — being written this session. */
export function remoteWriteRoutes(_app: App, _deps: IngestDeps): void {}
