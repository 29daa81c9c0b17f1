// The embedded store's stand-in for autovacuum: the compaction job vacuums the hot table's default
// partition when enough of it is dead (rows moved into chunks) or not all-visible, so hot rows reuse
// the space of the rows compaction moved and the table does not grow with every point ever written;
// the two-hour slots are emptied by TRUNCATE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { vacuumDueTables, vacuumPointsIfNeeded } from '../src/jobs/embedded-vacuum.js';
import { jobDefinitions, runCompaction } from '../src/jobs/registry.js';
import { hotSlotName } from '../src/metrics/points/hot-partitions.js';
import { COMPACTED_VACUUM, ensurePartitions } from '../src/metrics/points/partitions.js';
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

describe('chunk and rollup partitions are vacuumed by a rule of their own', () => {
  for (const kind of storeKinds) {
    test(`${kind.name}: partitions made before and after migration 0017 carry it`, async () => {
      const store = await kind.open();
      try {
        const sql = store.sql;
        await migrate(sql, loadMigrations().filter((m) => m.version < 17));
        // A partition made as ensurePartitions made them before 0017.
        await sql.exec(`CREATE TABLE rollups_1h_p202001 PARTITION OF rollups_1h FOR VALUES FROM ('2020-01-01') TO ('2020-02-01') WITH (toast_tuple_target = 8160)`);
        await migrate(sql, loadMigrations());
        await ensurePartitions(sql, 'chunks', [Date.UTC(2020, 0, 5)], 'day');
        const r = await sql.query<{ name: string; options: string[] | null }>(
          `SELECT p.relid::regclass::text AS name, c.reloptions AS options FROM unnest(ARRAY['chunks', 'rollups_1h']) t(name), pg_partition_tree(t.name::regclass) p JOIN pg_class c ON c.oid = p.relid WHERE p.isleaf ORDER BY 1`,
        );
        assert.equal(r.rows.length, 2, JSON.stringify(r.rows));
        for (const row of r.rows) {
          assert.ok(row.options?.includes(`autovacuum_vacuum_threshold=${COMPACTED_VACUUM.threshold}`), `${row.name}: ${row.options}`);
          assert.ok(row.options?.includes(`autovacuum_vacuum_scale_factor=${COMPACTED_VACUUM.scaleFactor}`), `${row.name}: ${row.options}`);
          assert.ok(row.options?.includes('toast_tuple_target=8160'), `${row.name}: ${row.options}`);
        }
      } finally {
        await store.drop();
      }
    });
  }

  const pglite = storeKinds.find((k) => k.name === 'pglite');
  if (pglite) {
    test('pglite: autovacuum\'s rule over every other table, with each table\'s own storage parameters', async () => {
      const store = await pglite.open();
      try {
        const sql = store.sql;
        await migrate(sql, loadMigrations());
        const stat = async (t: string) =>
          (await sql.query<{ v: number; a: number }>(`SELECT vacuum_count AS v, analyze_count AS a FROM pg_stat_user_tables WHERE relid = $1::regclass`, [t])).rows[0]!;
        await vacuumDueTables(sql); // whatever the migrations left due
        await sql.exec(`CREATE TABLE probe_dead (n int); CREATE TABLE probe_off (n int) WITH (autovacuum_enabled = false);
          CREATE TABLE probe_high (n int) WITH (autovacuum_vacuum_threshold = 100000, autovacuum_analyze_threshold = 100000);
          CREATE TABLE probe_few (n int)`);
        for (const t of ['probe_dead', 'probe_off', 'probe_high']) await sql.exec(`INSERT INTO ${t} SELECT generate_series(1, 600); DELETE FROM ${t} WHERE n <= 300`);
        await sql.exec(`INSERT INTO probe_few SELECT generate_series(1, 100)`);
        const first = await vacuumDueTables(sql);
        assert.deepEqual(first.vacuumed, ['probe_dead'], JSON.stringify(first));
        assert.deepEqual(first.analyzed, ['probe_few'], 'fewer inserts than the insert rule: analysed only');
        assert.deepEqual(await stat('probe_dead'), { v: 1, a: 1 });
        assert.deepEqual(await stat('probe_off'), { v: 0, a: 0 });
        assert.deepEqual(await stat('probe_high'), { v: 0, a: 0 });
        assert.deepEqual(await stat('probe_few'), { v: 0, a: 1 });
        const again = await vacuumDueTables(sql);
        assert.deepEqual([again.vacuumed, again.analyzed], [[], []], 'nothing left due');
        await sql.exec(`ALTER TABLE probe_high SET (autovacuum_vacuum_threshold = 10)`);
        assert.deepEqual((await vacuumDueTables(sql)).vacuumed, ['probe_high'], 'a lowered threshold makes it due');
      } finally {
        await store.drop();
      }
    });

    test('pglite: the compaction job vacuums the 1-hour month rows it rewrites each day, so they do not pile up', async () => {
      const store = await pglite.open();
      try {
        const sql = store.sql;
        await migrate(sql, loadMigrations());
        const org = await createOrg(sql, { name: 'vac-rollups' });
        await sql.query(`INSERT INTO series (org_id, key, dimensions) SELECT $1, 'gauge', jsonb_build_object('n', n::text) FROM generate_series(1, 20) n`, [org.id]);
        const ids = (await sql.query<{ id: number }>(`SELECT id FROM series WHERE org_id = $1`, [org.id])).rows.map((r) => Number(r.id));
        const t0 = Date.UTC(2026, 0, 1);
        let vacuums = 0;
        // 20 series of 5-minute gauges, a day at a time for 24 days, each compacted once it has closed:
        // every day's compaction folds the day into the series' 1-hour month row, rewriting it.
        for (let d = 0; d < 24; d++) {
          await sql.query(
            `INSERT INTO points (series_id, ts, value)
               SELECT s, to_timestamp(($2::float8 + i * 300000) / 1000), round((50 + 20 * sin(i / 40.0 + s))::numeric, 2) FROM generate_series(0, 287) i, unnest($1::bigint[]) s`,
            [ids, t0 + d * 86_400_000],
          );
          const now = new Date(t0 + (d + 1) * 86_400_000 + COMPACTION_GRACE_MS + 60_000);
          const r = await runCompaction({ sql, now: () => now });
          assert.equal(r.points, 20 * 288, `day ${d}`);
          vacuums += r.tablesVacuumed;
        }
        // The heap and the key (no free-space or visibility maps, which only a vacuum makes).
        const bytes = async () =>
          Number((await sql.query<{ b: string }>(`SELECT sum(pg_relation_size(relid) + pg_indexes_size(relid)) AS b FROM pg_partition_tree('rollups_1h') WHERE isleaf`)).rows[0]!.b);
        const live = await bytes();
        await sql.exec('VACUUM FULL rollups_1h');
        const packed = await bytes();
        // Without these vacuums the old versions stay: 15.6× (1.53 MB against 98 kB); with them 2.4× (the
        // month rows grow each day, so a new version rarely fits in the space of the one before).
        assert.ok(live <= 3 * packed, `rollups_1h: ${live} bytes kept against ${packed} after VACUUM FULL (${vacuums} vacuums)`);
        assert.ok(vacuums >= 4, `${vacuums} vacuums of chunk and rollup partitions`);
      } finally {
        await store.drop();
      }
    });
  }
});
