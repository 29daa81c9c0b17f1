import type { IngestDeps } from '../../ingest/ingest.js';
import type { App } from '../types.js';

/** Sources: /api/v1/sources (helper fills) — being written this session. */
export function sourceRoutes(_app: App, _deps: IngestDeps): void {}
