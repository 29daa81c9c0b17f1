// 1-hour month rows too large to stay inline (issue 18, compact.ts monthRuns): a noisy 5-minute series'
// month is written as runs of days under ROLLUP_ROW_BYTES, the first keyed by the month's first day and
// the others by their last day; reads, late data and retention see the same buckets, on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compactClosedWindows, ROLLUP_ROW_BYTES } from '../src/metrics/points/compact.js';
import { readBuckets } from '../src/metrics/points/buckets.js';
import { readPoints } from '../src/metrics/points/read.js';
import { enforceRetention, setRetention } from '../src/metrics/points/retention.js';
import { planWrite, writePoints } from '../src/metrics/points/write.js';
import { computeRollup } from '../src/store/chunks/rollup.js';
import { DAY_MS } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const H = 3_600_000;

for (const kind of storeKinds) {
  describe(`1-hour month rows in runs (${kind.name})`, () => {
    // March 2026 at 5 minutes, values with many digits (a month row of ~11 kB); the clock in April.
    const MARCH = Date.UTC(2026, 2, 1);
    const APRIL = Date.UTC(2026, 3, 1);
    const NOW = Date.UTC(2026, 3, 10, 12);
    let store: TestStore;
    let sql: Sql;
    let orgId: string;
    let id: number;
    const rows = async () =>
      (await sql.query<{ d: Date; len: number }>('SELECT day AS d, octet_length(data) AS len FROM rollups_1h WHERE series_id = $1 ORDER BY day', [id])).rows.map((r) => ({
        dayMs: new Date(r.d).getTime(),
        bytes: Number(r.len),
      }));
    /** readBuckets at 1 h against the raw points' own hourly aggregates. */
    const assertBucketsMatchRaw = async (what: string) => {
      const raw = (await readPoints(sql, orgId, [id], { fromMs: MARCH, toMs: APRIL - 1 })).get(id)!;
      const want = computeRollup(raw.timestampsMs, raw.values, H);
      for (const aggregation of ['min', 'max', 'sum', 'count', 'last'] as const) {
        const got = (await readBuckets(sql, orgId, [id], { fromMs: MARCH, toMs: APRIL - 1, stepMs: H, aggregation })).get(id)!;
        assert.deepEqual(Array.from(got.startsMs), Array.from(want.startsMs), `${what}: ${aggregation} buckets`);
        assert.deepEqual(Array.from(got.values), Array.from(want[aggregation]), `${what}: ${aggregation}`);
      }
    };

    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgId = (await createOrg(sql, { name: 'Runs', slug: 'runs' })).id;
      id = Number((await sql.query<{ id: string }>(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, 'noisy.temp', '{}') RETURNING id`, [orgId])).rows[0]!.id);
      await sql.query(
        `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), 70 + 5 * sin(t::float8 / 7.7e6) + (hashint8(t) % 100000) / 1e7
         FROM generate_series($2::int8, $3::int8 - 1, 300000) AS t`,
        [id, MARCH, APRIL],
      );
      await compactClosedWindows(sql, NOW);
    });
    after(async () => store.drop());

    test('the month is written in runs under the limit: the first keyed by its first day, the others by their last; buckets equal the raw points\'', async () => {
      const r = await rows();
      assert.ok(r.length >= 2, `${r.length} rows`);
      assert.equal(r[0]!.dayMs, MARCH);
      for (const x of r) assert.ok(x.bytes <= ROLLUP_ROW_BYTES, `${new Date(x.dayMs).toISOString()}: ${x.bytes} bytes`);
      assert.equal(r.at(-1)!.dayMs, APRIL - DAY_MS, 'the last run ends on March 31');
      const total = r.reduce((k, x) => k + x.bytes, 0);
      assert.ok(total > ROLLUP_ROW_BYTES, `one row would be ${total} bytes`);
      await assertBucketsMatchRaw('after compaction');
      // Nothing changed: the next compaction writes the same rows.
      const before = await sql.query<{ d: string }>(`SELECT encode(data, 'hex') AS d FROM rollups_1h WHERE series_id = $1 ORDER BY day`, [id]);
      await compactClosedWindows(sql, NOW + H);
      assert.deepEqual((await sql.query<{ d: string }>(`SELECT encode(data, 'hex') AS d FROM rollups_1h WHERE series_id = $1 ORDER BY day`, [id])).rows, before.rows);
    });

    test('late points (an overwrite, a new point) in a run: its buckets follow, every row still under the limit', async () => {
      const t = Date.UTC(2026, 2, 20, 6);
      const counts = await writePoints(sql, await planWrite(sql, { seriesIds: [id, id], timestampsMs: [t, t + 1000], values: [1000.125, -3.5] }, NOW), 'overwrite', { alone: true });
      assert.deepEqual(counts, { inserted: 1, duplicates: 1 });
      await compactClosedWindows(sql, NOW);
      for (const x of await rows()) assert.ok(x.bytes <= ROLLUP_ROW_BYTES);
      await assertBucketsMatchRaw('after late points');
      const max = (await readBuckets(sql, orgId, [id], { fromMs: t, toMs: t + H - 1, stepMs: H, aggregation: 'max' })).get(id)!;
      assert.deepEqual(Array.from(max.values), [1000.125]);
    });

    test('retention keeps a run until its last day expired: the hourly buckets after the cutoff outlive the raw points', async () => {
      // The 1-hour cutoff on March 20 12:00 (raw points all expire): a run holding days after it stays.
      const cutoff = Date.UTC(2026, 2, 20, 12);
      const q = { fromMs: Date.UTC(2026, 2, 21), toMs: APRIL - 1, stepMs: H };
      const want = await Promise.all((['min', 'max', 'sum', 'count', 'last'] as const).map(async (aggregation) => (await readBuckets(sql, orgId, [id], { ...q, aggregation })).get(id)!));
      const before = await rows();
      await setRetention(sql, orgId, { rawDays: 1, rollup5mDays: 1, rollup1hDays: Math.round((NOW - cutoff) / DAY_MS) });
      await enforceRetention(sql, NOW);
      assert.equal((await readPoints(sql, orgId, [id], { fromMs: MARCH, toMs: APRIL })).get(id)!.timestampsMs.length, 0, 'raw points expired');
      const got = await Promise.all((['min', 'max', 'sum', 'count', 'last'] as const).map(async (aggregation) => (await readBuckets(sql, orgId, [id], { ...q, aggregation })).get(id)!));
      assert.deepEqual(got, want);
      assert.equal(got[3]!.startsMs.length, 11 * 24, 'March 21–31, every hour');
      // Runs ending before the cutoff went (the month row stays until its month has); the others stayed.
      const kept = before.filter((x) => x.dayMs === MARCH || x.dayMs + DAY_MS > cutoff);
      assert.ok(kept.length < before.length, 'a run ended before the cutoff');
      assert.deepEqual((await rows()).map((x) => x.dayMs), kept.map((x) => x.dayMs));
    });
  });
}
