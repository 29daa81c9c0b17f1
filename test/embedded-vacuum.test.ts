// The embedded store's stand-in for autovacuum: the compaction job vacuums the hot table's default
// partition when enough of it is dead (rows moved into chunks) or not all-visible, so hot rows reuse
// the space of the rows compaction moved and the table does not grow with every point ever written;
// the two-hour slots are emptied by TRUNCATE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { vacuumPointsIfNeeded } from '../src/jobs/embedded-vacuum.js';
import { jobDefinitions, runCompaction } from '../src/jobs/registry.js';
import { hotSlotName } from '../src/metrics/points/hot-partitions.js';
import { COMPACTION_GRACE_MS } from '../src/store/chunks/window.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { testDeps } from './helpers/app.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

const H = 3_600_000;

async function tableBytes(sql: Sql): Promise<number> {
  return Number((await sql.query<{ b: string }>(`SELECT pg_relation_size('points_default') AS b`)).rows[0]!.b);
}

for (const kind of storeKinds) {
  describe(`embedded vacuum (${kind.name})`, () => {
    let store: TestStore;
    before(async () => {
      store = await kind.open();
      await migrate(store.sql, loadMigrations());
    });
    after(async () => {
      await store?.drop();
    });

    test('compaction is a job on both stores, and vacuuming is part of it (no job of its own)', () => {
      const names = jobDefinitions(testDeps({ sql: store.sql })).map((d) => d.name);
      assert.ok(names.includes('storage-compaction'), names.join(', '));
      assert.ok(!names.includes('embedded-vacuum'), names.join(', '));
    });

    if (kind.name !== 'pglite') return; // PostgreSQL's own autovacuum races any assertion on its tables

    test('vacuums past 2% unvisited pages, then not until more comes', async () => {
      // 300 series × 600 points, written scrape by scrape as ingestion does.
      await store.sql.query(
        `INSERT INTO points (series_id, ts, value)
           SELECT s, to_timestamp(1700000000 + t * 60), t FROM generate_series(0, 599) t, generate_series(1, 300) s`,
      );
      const first = await vacuumPointsIfNeeded(store.sql);
      assert.equal(first.vacuumed, true, JSON.stringify(first));
      assert.ok(first.pages > 128 && first.allVisible < first.pages * 0.02, JSON.stringify(first));
      const again = await vacuumPointsIfNeeded(store.sql);
      assert.equal(again.vacuumed, false, 'nothing new: no vacuum');
      assert.ok(again.allVisible >= again.pages * 0.98, JSON.stringify(again));
      // A little more data (under 2% of the pages) waits for more.
      await store.sql.query(`INSERT INTO points (series_id, ts, value) SELECT s, to_timestamp(1800000000), 1 FROM generate_series(1, 300) s`);
      assert.equal((await vacuumPointsIfNeeded(store.sql)).vacuumed, false);
      await store.sql.query(`TRUNCATE points`);
    });

    test('rows in the default partition are vacuumed after compaction moves them; two-hour slots are emptied by TRUNCATE and need none', async () => {
      const sql = store.sql;
      const org = await createOrg(sql, { name: 'vac-cycles' });
      await sql.query(`INSERT INTO series (org_id, key, dimensions) SELECT $1, 'cycle', jsonb_build_object('n', n::text) FROM generate_series(1, 100) n`, [org.id]);
      const ids = (await sql.query<{ id: number }>(`SELECT id FROM series WHERE org_id = $1`, [org.id])).rows.map((r) => Number(r.id));
      const t0 = Date.UTC(2026, 0, 5);
      // One 2 h window of 100 series at 15 s: 48,000 rows.
      const writeWindow = (k: number) =>
        sql.query(
          `INSERT INTO points (series_id, ts, value)
             SELECT s, to_timestamp(($2::float8 + i * 15000) / 1000), i FROM generate_series(0, 479) i, unnest($1::bigint[]) s`,
          [ids, t0 + k * 2 * H],
        );
      const rowsIn = async (table: string) => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
      // Windows 0 and 1 arrive before the job ever ran (as after the upgrade to migration 0015): the
      // default partition holds them, and no slot can be made over them.
      await writeWindow(0);
      await writeWindow(1);
      assert.equal(await rowsIn('points_default'), 96_000);
      const defaultBytes: number[] = [];
      for (let k = 1; k <= 4; k++) {
        // Window k − 1 closes and is compacted; from window 2 on, each arrives in the slot the job made ahead.
        if (k >= 2) await writeWindow(k);
        const now = new Date(t0 + k * 2 * H + COMPACTION_GRACE_MS + 60_000);
        const r = await runCompaction({ sql, now: () => now });
        assert.equal(r.points, 48_000, `cycle ${k}`);
        assert.equal(r.vacuums, k <= 2 ? 1 : 0, `cycle ${k}: ${k <= 2 ? 'a vacuum after deleting 48,000 rows of the default partition' : 'a truncated slot needs no vacuum'}`);
        const idle = await runCompaction({ sql, now: () => now });
        assert.deepEqual([idle.points, idle.vacuums], [0, 0], `cycle ${k}: nothing moved, no vacuum`);
        defaultBytes.push(await tableBytes(sql));
        if (k >= 3) {
          const slot = hotSlotName(t0 + (k - 1) * 2 * H);
          assert.equal(await rowsIn(slot), 0, `${slot} emptied`);
          assert.equal(Number((await sql.query<{ b: string }>(`SELECT pg_relation_size($1) AS b`, [slot])).rows[0]!.b), 0, `${slot} truncated`);
        }
      }
      // The default partition gave its space back once both of its windows were gone.
      assert.ok(defaultBytes[1]! < defaultBytes[0]! && defaultBytes[3]! <= defaultBytes[1]!, `points_default: ${defaultBytes.join(', ')} bytes`);
      assert.equal(await rowsIn('points_default'), 0);
      assert.equal(await rowsIn('points'), 48_000, 'window 4 stays hot');
    });
  });
}
