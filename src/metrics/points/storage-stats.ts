// What the storage engine's jobs did in this process, for GET /metrics (api/plugins/storage-metrics.ts):
// totals a Prometheus user reads as rates (points compacted a second, failed runs), and when each job
// last succeeded (an alert on `time() - …_last_success_timestamp_seconds` catches a stalled compactor).
// Plain numbers, no I/O; the jobs record into it (jobs/registry.ts, jobs/maintenance.ts).
import type { CompactResult } from './compact.js';
import type { RetentionResult } from './retention.js';

export interface CompactionTotals {
  runs: number;
  failures: number;
  points: number;
  chunks: number;
  seconds: number;
  /** End of the last successful run, epoch ms; null before the first. */
  lastSuccessMs: number | null;
}

export interface RetentionTotals {
  runs: number;
  failures: number;
  droppedPartitions: number;
  deletedChunks: number;
  deletedRollups: number;
  deletedHotRows: number;
  lastSuccessMs: number | null;
}

export class StorageStats {
  readonly compaction: CompactionTotals = { runs: 0, failures: 0, points: 0, chunks: 0, seconds: 0, lastSuccessMs: null };
  readonly retention: RetentionTotals = { runs: 0, failures: 0, droppedPartitions: 0, deletedChunks: 0, deletedRollups: 0, deletedHotRows: 0, lastSuccessMs: null };

  /** One compactClosedWindows run that completed at `endMs` (epoch ms); one that found another compactor at work is not counted. */
  compacted(r: CompactResult, endMs: number): void {
    if (!r.ran) return;
    const c = this.compaction;
    c.runs++;
    c.points += r.points;
    c.chunks += r.chunks;
    c.seconds += r.ms / 1000;
    c.lastSuccessMs = endMs;
  }

  compactionFailed(): void {
    this.compaction.runs++;
    this.compaction.failures++;
  }

  /** One enforceRetention run that completed at `endMs` (epoch ms). */
  retained(r: RetentionResult, endMs: number): void {
    const t = this.retention;
    t.runs++;
    t.droppedPartitions += r.droppedPartitions;
    t.deletedChunks += r.deletedChunks;
    t.deletedRollups += r.deletedRollups;
    t.deletedHotRows += r.deletedHotRows;
    t.lastSuccessMs = endMs;
  }

  retentionFailed(): void {
    this.retention.runs++;
    this.retention.failures++;
  }
}
