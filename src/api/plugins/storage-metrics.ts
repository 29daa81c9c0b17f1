import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../core/logger.js';
import { storageSizes, type TableSize } from '../../metrics/points/storage-sizes.js';
import type { StorageStats } from '../../metrics/points/storage-stats.js';
import type { Sql } from '../../store/sql.js';

/** A counter whose value is read from `value()` at each scrape (the stats object holds the totals). */
function counterOf(registry: Registry, name: string, help: string, value: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(value());
    },
  });
}

/** A gauge of a time (epoch ms, or null: never), exposed in seconds as Prometheus' `*_timestamp_seconds` (0: never). */
function timestampGauge(registry: Registry, name: string, help: string, ms: () => number | null): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      const at = ms();
      this.set(at === null ? 0 : at / 1000);
    },
  });
}

/**
 * The storage engine on GET /metrics: the point tables' bytes and partitions (read from the database at
 * each scrape; none when it cannot be read, so the rest of /metrics still answers), and what this
 * process' compaction and retention jobs did (counters since start, and when each last succeeded).
 */
export function storageMetrics(registry: Registry, sql: Sql, stats: StorageStats, log: Logger): void {
  // One query serves both gauges of a scrape: the bytes gauge (collected first, in registration order)
  // starts it and the partitions gauge takes it over.
  const read = () =>
    storageSizes(sql).catch((err: unknown) => {
      log.warn({ err }, 'could not read the storage sizes for /metrics');
      return null;
    });
  let started: Promise<TableSize[] | null> | null = null;
  new Gauge({
    name: 'intentvision_storage_bytes',
    help: 'Bytes on disk of a point table: every partition with its indexes and TOAST (points: hot rows awaiting compaction)',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      started = read();
      const s = await started;
      this.reset();
      for (const t of s ?? []) this.set({ table: t.table }, t.bytes);
    },
  });
  new Gauge({
    name: 'intentvision_storage_partitions',
    help: 'Partitions of a point table',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const s = await (started ?? read());
      started = null;
      this.reset();
      for (const t of s ?? []) this.set({ table: t.table }, t.partitions);
    },
  });

  const c = stats.compaction;
  counterOf(registry, 'intentvision_storage_compaction_runs_total', 'Compaction runs by this process (a run that found another compactor at work is not one)', () => c.runs);
  counterOf(registry, 'intentvision_storage_compaction_failures_total', 'Compaction runs that failed', () => c.failures);
  counterOf(registry, 'intentvision_storage_compacted_points_total', 'Hot points moved into chunks', () => c.points);
  counterOf(registry, 'intentvision_storage_compacted_chunks_total', 'Chunk rows written (new or merged with late points)', () => c.chunks);
  counterOf(registry, 'intentvision_storage_compaction_seconds_total', 'Wall time spent in compaction runs', () => c.seconds);
  timestampGauge(registry, 'intentvision_storage_compaction_last_success_timestamp_seconds', 'End of the last successful compaction run (0: none yet)', () => c.lastSuccessMs);

  const r = stats.retention;
  counterOf(registry, 'intentvision_storage_retention_runs_total', 'Retention runs by this process', () => r.runs);
  counterOf(registry, 'intentvision_storage_retention_failures_total', 'Retention runs that failed', () => r.failures);
  counterOf(registry, 'intentvision_storage_retention_dropped_partitions_total', 'Chunk and rollup partitions dropped whole by retention', () => r.droppedPartitions);
  new Counter({
    name: 'intentvision_storage_retention_deleted_rows_total',
    help: 'Rows deleted by retention from partitions that were kept (rollups: both resolutions)',
    labelNames: ['table'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ table: 'points' }, r.deletedHotRows);
      this.inc({ table: 'chunks' }, r.deletedChunks);
      this.inc({ table: 'rollups' }, r.deletedRollups);
    },
  });
  timestampGauge(registry, 'intentvision_storage_retention_last_success_timestamp_seconds', 'End of the last successful retention run (0: none yet)', () => r.lastSuccessMs);
}
