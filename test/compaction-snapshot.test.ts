// Compaction reads a batch's hot rows and deletes them in two statements under one REPEATABLE READ
// snapshot (a closed two-hour slot: locked SHARE before that snapshot, then truncated). A hot row changed by a writer after that snapshot must not be lost or compacted with its
// old value: the DELETE fails with a serialization error and the batch starts over. PostgreSQL only
// (PGlite has one connection, so no writer can run beside the compactor).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { compactClosedWindows } from '../src/metrics/points/compact.js';
import { hotSlotName, maintainHotPartitions } from '../src/metrics/points/hot-partitions.js';
import { decodeChunk } from '../src/store/chunks/codec.js';
import { DAY_MS } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const D0 = Date.UTC(2026, 0, 9);
const NOW = D0 + 3 * DAY_MS;
const postgres = storeKinds.find((k) => k.name === 'postgres')!;

let store: TestStore;
let sql: Sql;

before(async () => {
  store = await openMigrated(postgres);
  sql = store.sql;
});
after(async () => {
  await store.drop();
});

async function blockedBy(pid: number): Promise<number> {
  const r = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))`, [pid]);
  return Number(r.rows[0]!.n);
}

test('a hot row updated while its batch is being compacted ends up in the chunk with its new value', async () => {
  const org = await createOrg(sql, { name: 'snapshot' });
  const id = Number((await sql.query<{ id: number }>(`INSERT INTO series (org_id, key) VALUES ($1, 'k') RETURNING id`, [org.id])).rows[0]!.id);
  const t = Array.from({ length: 40 }, (_, i) => D0 + i * 15_000);
  await sql.query(`INSERT INTO points (series_id, ts, value) SELECT $1, to_timestamp(t / 1000), t / 1000 FROM unnest($2::float8[]) AS u(t)`, [id, t]);
  const changedMs = t[17]!;

  const writer = await store.connectAgain!();
  let compaction: Promise<Awaited<ReturnType<typeof compactClosedWindows>>> | undefined;
  let waited = 0;
  await writer.transaction(async (tx) => {
    const pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    await tx.query(`UPDATE points SET value = -1.5 WHERE series_id = $1 AND ts = to_timestamp($2::float8 / 1000)`, [id, changedMs]);
    compaction = compactClosedWindows(sql, NOW);
    // Commit only once the compactor's DELETE waits for this row lock (it has read the old value).
    while ((await blockedBy(pid)) === 0) {
      assert.ok(++waited < 2000, 'the compactor never reached the locked row');
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  const r = await compaction!;
  assert.equal(r.points, t.length);
  assert.equal(Number((await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM points')).rows[0]!.n), 0);
  const chunks = await sql.query<{ data: Uint8Array }>(`SELECT data FROM chunks WHERE series_id = $1 ORDER BY window_start`, [id]);
  assert.equal(chunks.rows.length, 1);
  const d = decodeChunk(chunks.rows[0]!.data);
  assert.deepEqual(Array.from(d.timestampsMs), t);
  assert.deepEqual(
    Array.from(d.values),
    t.map((x) => (x === changedMs ? -1.5 : x / 1000)),
  );
});

test('a two-hour slot: a point a writer has not yet committed into it is waited for (the lock comes before the snapshot) and compacted, not lost to the TRUNCATE', async () => {
  const slotStart = Date.UTC(2036, 3, 4, 10);
  await maintainHotPartitions(sql, slotStart);
  const org = await createOrg(sql, { name: 'snapshot-slot' });
  const id = Number((await sql.query<{ id: number }>(`INSERT INTO series (org_id, key) VALUES ($1, 'k') RETURNING id`, [org.id])).rows[0]!.id);
  const t = Array.from({ length: 40 }, (_, i) => slotStart + i * 15_000);
  await sql.query(`INSERT INTO points (series_id, ts, value) SELECT $1, to_timestamp(t / 1000), t / 1000 FROM unnest($2::float8[]) AS u(t)`, [id, t]);
  const lateMs = slotStart + 3_600_000;

  const writer = await store.connectAgain!();
  let compaction: Promise<Awaited<ReturnType<typeof compactClosedWindows>>> | undefined;
  let waited = 0;
  await writer.transaction(async (tx) => {
    const pid = Number((await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    await tx.query(`INSERT INTO points (series_id, ts, value) VALUES ($1, to_timestamp($2::float8 / 1000), 7.25)`, [id, lateMs]);
    compaction = compactClosedWindows(sql, slotStart + 2 * 3_600_000 + 11 * 60_000);
    // Commit only once the compactor waits for this writer (its SHARE lock on the slot).
    while ((await blockedBy(pid)) === 0) {
      assert.ok(++waited < 2000, 'the compactor never waited for the writer');
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  const r = await compaction!;
  assert.equal(r.points, t.length + 1);
  assert.equal(Number((await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${hotSlotName(slotStart)}`)).rows[0]!.n), 0);
  const chunks = await sql.query<{ data: Uint8Array }>(`SELECT data FROM chunks WHERE series_id = $1 ORDER BY window_start`, [id]);
  assert.equal(chunks.rows.length, 1);
  const d = decodeChunk(chunks.rows[0]!.data);
  assert.deepEqual(Array.from(d.timestampsMs), [...t, lateMs]);
  assert.deepEqual(Array.from(d.values), [...t.map((x) => x / 1000), 7.25]);
});
