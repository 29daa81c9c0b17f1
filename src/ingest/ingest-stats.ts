// What this process' ingest pipeline stored and refused, for GET /metrics (api/plugins/ingest-metrics.ts):
// totals over every path (JSON webhook, remote-write, OTLP, Influx, scraping) that a Prometheus user reads
// as rates. Replayed idempotent replies are not counted again. Plain numbers, no I/O.
import type { IngestReply } from './ingest.js';

export class IngestStats {
  /** Batches committed (one a request or scrape). */
  batches = 0;
  accepted = 0;
  rejected = 0;
  duplicates = 0;
  dropped = 0;

  /** A committed batch's reply. */
  committed(reply: Pick<IngestReply, 'accepted' | 'rejected' | 'duplicates' | 'dropped'>): void {
    this.batches++;
    this.accepted += reply.accepted;
    this.rejected += reply.rejected;
    this.duplicates += reply.duplicates;
    this.dropped += reply.dropped;
  }
}
