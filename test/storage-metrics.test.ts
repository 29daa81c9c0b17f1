// The storage engine on GET /metrics: the point tables' bytes and partitions read from the store at each
// scrape, the counters of this process' compaction and retention runs, and the ingest pipeline's points by
// outcome, through the real app and the real jobs' bodies on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../src/app.js';
import type { App } from '../src/api/types.js';
import { createApiKey } from '../src/auth/api-keys.js';
import type { Deps } from '../src/compose.js';
import { runMaintenance } from '../src/jobs/maintenance.js';
import { runCompaction } from '../src/jobs/registry.js';
import { openPglite } from '../src/store/pglite.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { LogCapture, testDeps } from './helpers/app.js';
import { createLogger } from '../src/core/logger.js';
import { day, daysAgo, minute } from './helpers/ingest.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

/** The value of one sample of the exposition text (`labels` as written, e.g. `{table="chunks"}`); undefined when absent. */
function sample(body: string, name: string, labels = ''): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(name.length + labels.length + 1));
}

async function scrape(app: App): Promise<string> {
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(r.statusCode, 200, r.body);
  return r.body;
}

/** Bytes of every leaf partition of `table` (heap, indexes, TOAST, maps), by pg_inherits. */
async function leafBytes(sql: Sql, table: string): Promise<number> {
  const r = await sql.query<{ b: string | number }>(
    `SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) AS b FROM pg_inherits i
     WHERE i.inhparent = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_inherits j WHERE j.inhparent = i.inhrelid)`,
    [table],
  );
  return Number(r.rows[0]!.b);
}

for (const kind of storeKinds) {
  describe(`storage metrics (${kind.name})`, () => {
    let store: TestStore;
    let deps: Deps;
    let app: App;
    let key: string;
    const nowMs = Date.now();

    before(async () => {
      store = await kind.open();
      await migrate(store.sql, loadMigrations());
      deps = testDeps({ sql: store.sql, now: () => new Date(nowMs) });
      app = await buildApp(deps);
      const org = await createOrg(store.sql, { name: 'Metrics', slug: `metrics-${Math.random().toString(36).slice(2, 8)}` });
      key = (await createApiKey(store.sql, org.id, { name: 'k', scopes: ['*'] })).secret;
    });
    after(async () => {
      await app?.close();
      await store?.drop();
    });

    test('bytes and partitions of each point table, and compaction counted as it runs', async () => {
      const start = daysAgo(3);
      const metrics: { key: string; value: number; timestamp: number; dimensions: Record<string, string> }[] = [];
      for (let i = 0; i < 600; i++) for (const host of ['a', 'b']) metrics.push({ key: 'm.storage', value: i / 4, timestamp: start + i * minute, dimensions: { host } });
      for (let i = 0; i < metrics.length; i += 1000) {
        const r = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers: { authorization: `Bearer ${key}` }, payload: { metrics: metrics.slice(i, i + 1000) } });
        assert.equal(r.statusCode, 200, r.body);
      }

      const first = await scrape(app);
      assert.equal(sample(first, 'intentvision_ingest_points_total', '{outcome="accepted"}'), 1200);
      assert.equal(sample(first, 'intentvision_ingest_batches_total'), 2);
      assert.match(first, /# TYPE intentvision_storage_bytes gauge/);
      assert.match(first, /# TYPE intentvision_storage_compacted_points_total counter/);
      assert.equal(sample(first, 'intentvision_storage_compaction_runs_total'), 0);
      assert.equal(sample(first, 'intentvision_storage_compaction_last_success_timestamp_seconds'), 0);
      assert.equal(sample(first, 'intentvision_storage_bytes', '{table="points"}'), await leafBytes(store.sql, 'points'));
      assert.ok(sample(first, 'intentvision_storage_bytes', '{table="points"}')! > 0);
      assert.equal(sample(first, 'intentvision_storage_bytes', '{table="chunks"}'), 0);
      assert.equal(sample(first, 'intentvision_storage_partitions', '{table="chunks"}'), 0);
      assert.ok(sample(first, 'intentvision_storage_partitions', '{table="points"}')! >= 1);

      const totals = await runCompaction(deps);
      assert.equal(totals.points, 1200);
      const afterRun = await scrape(app);
      assert.equal(sample(afterRun, 'intentvision_storage_compaction_runs_total'), 1);
      assert.equal(sample(afterRun, 'intentvision_storage_compaction_failures_total'), 0);
      assert.equal(sample(afterRun, 'intentvision_storage_compacted_points_total'), 1200);
      assert.equal(sample(afterRun, 'intentvision_storage_compacted_chunks_total'), totals.chunks);
      assert.ok(totals.chunks >= 2);
      assert.ok(sample(afterRun, 'intentvision_storage_compaction_seconds_total')! > 0);
      assert.equal(sample(afterRun, 'intentvision_storage_compaction_last_success_timestamp_seconds'), nowMs / 1000);
      const chunkBytes = sample(afterRun, 'intentvision_storage_bytes', '{table="chunks"}')!;
      assert.ok(chunkBytes > 0);
      assert.equal(chunkBytes, await leafBytes(store.sql, 'chunks'));
      assert.ok(sample(afterRun, 'intentvision_storage_partitions', '{table="chunks"}')! >= 1);
      for (const table of ['rollups_5m', 'rollups_1h']) assert.equal(sample(afterRun, 'intentvision_storage_bytes', `{table="${table}"}`), await leafBytes(store.sql, table));
    });

    test('retention runs are counted with what they dropped and deleted', async () => {
      const at = new Date(nowMs + 40 * day); // past the default 30 days of raw points
      const outcome = await runMaintenance(store.sql, at, undefined, deps.storageStats);
      const { droppedPartitions, deletedChunks, deletedRollups, deletedHotRows } = outcome.retention;
      assert.ok(droppedPartitions + deletedChunks > 0, JSON.stringify(outcome.retention));
      const body = await scrape(app);
      assert.equal(sample(body, 'intentvision_storage_retention_runs_total'), 1);
      assert.equal(sample(body, 'intentvision_storage_retention_failures_total'), 0);
      assert.equal(sample(body, 'intentvision_storage_retention_dropped_partitions_total'), droppedPartitions);
      assert.equal(sample(body, 'intentvision_storage_retention_deleted_rows_total', '{table="chunks"}'), deletedChunks);
      assert.equal(sample(body, 'intentvision_storage_retention_deleted_rows_total', '{table="rollups"}'), deletedRollups);
      assert.equal(sample(body, 'intentvision_storage_retention_deleted_rows_total', '{table="points"}'), deletedHotRows);
      const last = sample(body, 'intentvision_storage_retention_last_success_timestamp_seconds')!;
      assert.ok(last >= at.getTime() / 1000 && last <= (at.getTime() + outcome.retention.ms) / 1000 + 0.001, String(last));
      assert.equal(sample(body, 'intentvision_storage_bytes', '{table="chunks"}'), await leafBytes(store.sql, 'chunks'));
    });

    test('ingest counts points by outcome; an idempotent replay is not counted again', async () => {
      const t = Date.now() - 60_000;
      const payload = { metrics: [{ key: 'm.ingest', value: 1, timestamp: t }, { key: 'm.ingest', value: 'x', timestamp: t + 1 }, { key: 'm.ingest', value: 2, timestamp: t }] };
      const headers = { authorization: `Bearer ${key}`, 'idempotency-key': 'metrics-once' };
      const r = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload });
      assert.equal(r.statusCode, 200, r.body);
      const reply = r.json() as { accepted: number; rejected: number; duplicates: number; dropped: number };
      assert.deepEqual([reply.accepted, reply.rejected, reply.duplicates, reply.dropped], [1, 1, 1, 0]);
      const again = await app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload });
      assert.equal(again.statusCode, 200, again.body);
      const body = await scrape(app);
      assert.equal(sample(body, 'intentvision_ingest_points_total', '{outcome="accepted"}'), 1201);
      assert.equal(sample(body, 'intentvision_ingest_points_total', '{outcome="rejected"}'), 1);
      assert.equal(sample(body, 'intentvision_ingest_points_total', '{outcome="duplicate"}'), 1);
      assert.equal(sample(body, 'intentvision_ingest_points_total', '{outcome="dropped"}'), 0);
      assert.equal(sample(body, 'intentvision_ingest_batches_total'), 3);
    });

    test('a run that finds another compactor at work is not counted', async () => {
      const runs = sample(await scrape(app), 'intentvision_storage_compaction_runs_total')!;
      const [a, b] = await Promise.all([runCompaction(deps), runCompaction(deps)]);
      assert.equal(a.runs + b.runs, 2);
      assert.equal(sample(await scrape(app), 'intentvision_storage_compaction_runs_total'), runs + 1, 'the second found the first at work');
    });

    test('a compaction run that fails is counted as a failure, and the last success stays', async () => {
      const runs = sample(await scrape(app), 'intentvision_storage_compaction_runs_total')!;
      const closed = await openPglite();
      await closed.close();
      await assert.rejects(runCompaction({ ...deps, sql: closed }));
      const body = await scrape(app);
      assert.equal(sample(body, 'intentvision_storage_compaction_runs_total'), runs + 1);
      assert.equal(sample(body, 'intentvision_storage_compaction_failures_total'), 1);
      assert.equal(sample(body, 'intentvision_storage_compaction_last_success_timestamp_seconds'), nowMs / 1000);
    });
  });
}

describe('storage metrics when the store cannot be read', () => {
  test('GET /metrics still answers, without the table gauges, and the failure is logged', async () => {
    const sql = await openPglite();
    await migrate(sql, loadMigrations());
    const logs = new LogCapture();
    const deps = testDeps({ sql, logger: createLogger({ level: 'info', destination: logs }) });
    const app = await buildApp(deps);
    try {
      await sql.close();
      const body = await scrape(app);
      assert.match(body, /intentvision_process_resident_memory_bytes \d+/);
      assert.equal(sample(body, 'intentvision_storage_compaction_runs_total'), 0);
      assert.doesNotMatch(body, /^intentvision_storage_bytes\{/m);
      assert.doesNotMatch(body, /^intentvision_storage_partitions\{/m);
      assert.ok(logs.lines.some((l) => l.msg === 'could not read the storage sizes for /metrics' && l.component === 'storage'), logs.raw.join('\n'));
    } finally {
      await app.close();
    }
  });
});
