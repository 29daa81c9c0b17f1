import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { IngestStats } from '../../ingest/ingest-stats.js';

/** The ingest pipeline on GET /metrics: points by outcome and batches committed by this process. */
export function ingestMetrics(registry: Registry, stats: IngestStats): void {
  new Counter({
    name: 'intentvision_ingest_points_total',
    help: 'Points received by outcome: accepted (stored), duplicate (met a stored point), rejected (invalid: dead-lettered), dropped (by a source mapping)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ outcome: 'accepted' }, stats.accepted);
      this.inc({ outcome: 'duplicate' }, stats.duplicates);
      this.inc({ outcome: 'rejected' }, stats.rejected);
      this.inc({ outcome: 'dropped' }, stats.dropped);
    },
  });
  new Counter({
    name: 'intentvision_ingest_batches_total',
    help: 'Ingest batches committed (a request or a scrape each)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.batches);
    },
  });
}
