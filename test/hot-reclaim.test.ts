// Giving back an emptied default partition (src/metrics/points/hot-partitions.ts reclaimEmptyDefault):
// backfilled points (older than the slots) land in `points_default`, compaction deletes them row by row,
// VACUUM returns the heap, and the primary key's pages stay until TRUNCATE gives them back — only when
// no row is left, only with a vacuumed heap, only under the partition's lock in time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compactClosedWindows } from '../src/metrics/points/compact.js';
import { maintainHotPartitions, reclaimEmptyDefault } from '../src/metrics/points/hot-partitions.js';
import { readPoints } from '../src/metrics/points/read.js';
import { insertPoints } from '../src/metrics/series-store.js';
import { DAY_MS } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { whileHeld } from './helpers/locks.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const sizes = async (sql: Sql) => {
  const r = await sql.query<{ total: string; heap: string; rows: string }>(
    `SELECT pg_total_relation_size('points_default') AS total, pg_relation_size('points_default') AS heap, (SELECT count(*) FROM points_default) AS rows`,
  );
  return { total: Number(r.rows[0]!.total), heap: Number(r.rows[0]!.heap), rows: Number(r.rows[0]!.rows) };
};

for (const kind of storeKinds) {
  describe(`reclaiming the emptied default partition (${kind.name})`, () => {
    let store: TestStore;
    before(async () => {
      store = await openMigrated(kind);
    });
    after(async () => {
      await store?.drop();
    });

    test('a compacted backfill leaves the index at its peak until the partition is truncated; only an empty, vacuumed one is', async () => {
      const sql = store.sql;
      const now = Date.now();
      await maintainHotPartitions(sql, now);
      const org = await createOrg(sql, { name: `reclaim-${kind.name}` });
      const ids: number[] = [];
      for (let s = 0; s < 5; s++) ids.push(Number((await sql.query<{ id: number }>(`INSERT INTO series (org_id, key) VALUES ($1, $2) RETURNING id`, [org.id, `backfill.${s}`])).rows[0]!.id));
      // 5 series × 4,000 points a minute apart, ending five days ago: older than every slot.
      const start = Math.floor((now - 5 * DAY_MS) / DAY_MS) * DAY_MS - 4000 * 60_000;
      const t: number[] = [];
      const v: number[] = [];
      for (let i = 0; i < 4000; i++) {
        t.push(start + i * 60_000);
        v.push(Math.round(Math.sin(i / 50) * 1000) / 100);
      }
      for (const id of ids) await insertPoints(sql, org.id, { seriesIds: t.map(() => id), timestampsMs: t, values: v }, 'reject', now);
      assert.equal((await sizes(sql)).rows, 20_000, 'the backfill is in the default partition');

      // Rows left: nothing happens, even with no minimum size.
      assert.equal(await reclaimEmptyDefault(sql, { minBytes: 0 }), 0);
      assert.equal((await sizes(sql)).rows, 20_000);

      const c = await compactClosedWindows(sql, now);
      assert.equal(c.points, 20_000);
      // Dead rows fill the heap until VACUUM: not yet (the look under the lock would read all of them).
      const unvacuumed = await sizes(sql);
      assert.ok(unvacuumed.heap > 0);
      assert.equal(await reclaimEmptyDefault(sql, { minBytes: 0, maxHeapBytes: unvacuumed.heap - 1 }), 0);
      assert.equal((await sizes(sql)).total, unvacuumed.total);

      await sql.exec('VACUUM points_default');
      const vacuumed = await sizes(sql);
      assert.equal(vacuumed.rows, 0);
      assert.ok(vacuumed.total >= 200_000, `the primary key keeps its pages after VACUUM: ${JSON.stringify(vacuumed)}`);
      // Below the minimum size: left alone.
      assert.equal(await reclaimEmptyDefault(sql, { minBytes: vacuumed.total + 1 }), 0);

      const given = await reclaimEmptyDefault(sql, { minBytes: 0 });
      const truncated = await sizes(sql);
      assert.equal(given, vacuumed.total - truncated.total);
      assert.ok(truncated.total <= 65_536, `an empty partition and its indexes (primary key, BRIN on ts) remain: ${truncated.total} bytes`);

      // Every point is read back from the chunks; the partition takes late backfill again.
      const read = await readPoints(sql, org.id, ids, {});
      for (const id of ids) assert.deepEqual(Array.from(read.get(id)!.timestampsMs), t);
      const late = await insertPoints(sql, org.id, { seriesIds: [ids[0]!], timestampsMs: [start - 60_000], values: [4.5] }, 'reject', now);
      assert.deepEqual(late, { inserted: 1, duplicates: 0 });
      assert.equal((await sizes(sql)).rows, 1);
      assert.equal(await reclaimEmptyDefault(sql, { minBytes: 0 }), 0, 'a row is left: kept');
      assert.deepEqual(Array.from((await readPoints(sql, org.id, [ids[0]!], { toMs: start })).get(ids[0]!)!.values), [4.5, v[0]]);
    });

    if (kind.name === 'postgres') {
      test('a reader holding the partition keeps it until it is done: the TRUNCATE waits no longer than its timeout', async () => {
        const sql = store.sql;
        // An emptied, vacuumed default partition whose primary key holds pages again.
        const id = Number((await sql.query<{ id: number }>(`SELECT id FROM series LIMIT 1`)).rows[0]!.id);
        await sql.query(`INSERT INTO points (series_id, ts, value) SELECT $1, '2020-01-01'::timestamptz + i * interval '1 minute', i FROM generate_series(1, 20000) i`, [id]);
        await sql.exec('DELETE FROM points_default');
        await sql.exec('VACUUM points_default');
        const emptied = await sizes(sql);
        assert.equal(emptied.rows, 0);
        // (The store closes the other connection when dropped.)
        await whileHeld(
          await store.connectAgain!(),
          async (tx) => void (await tx.query('SELECT count(*) FROM points_default')),
          async () => {
            assert.equal(await reclaimEmptyDefault(sql, { minBytes: 0, lockTimeoutMs: 200 }), 0, 'the lock is not granted within 200 ms');
            assert.equal((await sizes(sql)).total, emptied.total);
          },
        );
        const given = await reclaimEmptyDefault(sql, { minBytes: 0, lockTimeoutMs: 200 });
        assert.ok(given > 0 && given === emptied.total - (await sizes(sql)).total, `${given} bytes given back once the reader is done`);
      });
    }
  });
}
