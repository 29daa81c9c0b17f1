// The embedded store's stand-in for autovacuum: registered only there, vacuums `points` once enough
// of it is not all-visible, and afterwards a series' range is an index-only scan without heap visits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { vacuumPointsIfNeeded } from '../src/jobs/embedded-vacuum.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { testDeps } from './helpers/app.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

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

    test(`the job is registered ${kind.name === 'pglite' ? 'on the embedded store' : 'only on the embedded store'}`, () => {
      const names = jobDefinitions(testDeps({ sql: store.sql })).map((d) => d.name);
      assert.equal(names.includes('embedded-vacuum'), kind.name === 'pglite');
    });

    if (kind.name !== 'pglite') return; // PostgreSQL's own autovacuum races any assertion on its tables

    test('vacuums past 2% unvisited pages, then a series read skips the heap', async () => {
      const org = await createOrg(store.sql, { name: 'vac' });
      // 300 series × 600 points, written scrape by scrape as ingestion does.
      await store.sql.query(
        `INSERT INTO points (org_id, series_id, ts, value)
           SELECT $1, s, to_timestamp(1700000000 + t * 60), t FROM generate_series(0, 599) t, generate_series(1, 300) s`,
        [org.id],
      );
      const first = await vacuumPointsIfNeeded(store.sql);
      assert.equal(first.vacuumed, true, JSON.stringify(first));
      assert.ok(first.pages > 128 && first.allVisible < first.pages * 0.02, JSON.stringify(first));
      const again = await vacuumPointsIfNeeded(store.sql);
      assert.equal(again.vacuumed, false, 'nothing new: no vacuum');
      assert.ok(again.allVisible >= again.pages * 0.98, JSON.stringify(again));
      const plan = (await store.sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) SELECT ts, value FROM points WHERE series_id = 7 ORDER BY ts`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.match(plan, /Index Only Scan/);
      assert.match(plan, /Heap Fetches: 0/);
      // A little more data (under 2% of the pages) waits for more.
      await store.sql.query(`INSERT INTO points (org_id, series_id, ts, value) SELECT $1, s, to_timestamp(1800000000), 1 FROM generate_series(1, 300) s`, [org.id]);
      assert.equal((await vacuumPointsIfNeeded(store.sql)).vacuumed, false);
    });
  });
}
