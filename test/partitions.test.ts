// Partition widths (issue 18, partitions.ts): a store's chunk and rollup partitions are as wide as its
// volume needs (a day, a month or a year), never overlapping, and retention keeps its rule in wide ones.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compactClosedWindows, fiveMinuteRowsLikely } from '../src/metrics/points/compact.js';
import { mergeRuns, mergeSmallPartitions, spanning } from '../src/metrics/points/partition-merge.js';
import { choosePartition, ensurePartitions, estimatePointsPerDay, listPartitions, partitionFor, POINTS_A_PARTITION, widthFor, type Partition } from '../src/metrics/points/partitions.js';
import { readPoints } from '../src/metrics/points/read.js';
import { enforceRetention, setRetention } from '../src/metrics/points/retention.js';
import { DAY_MS } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { HOT_SLOT_MS, hotSlotStartMs, listHotPartitions, maintainHotPartitions } from '../src/metrics/points/hot-partitions.js';
import { whileHeld } from './helpers/locks.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

/** `n` new series of `key` in `orgId` (dimension i = 0 … n − 1); their ids. */
async function newSeries(sql: Sql, orgId: string, key: string, n: number): Promise<number[]> {
  const r = await sql.query<{ id: string }>(
    `INSERT INTO series (org_id, key, dimensions) SELECT $1, $2, jsonb_build_object('i', i::text) FROM generate_series(0, $3::int - 1) AS i RETURNING id`,
    [orgId, key, n],
  );
  return r.rows.map((x) => Number(x.id));
}

/** `fn` on a new store with an organisation and the hot table's slots around the real clock (`nowMs`). */
async function withHotSlots(kind: (typeof storeKinds)[number], fn: (sql: Sql, orgId: string, nowMs: number) => Promise<void>): Promise<void> {
  const store = await openMigrated(kind);
  try {
    const orgId = (await createOrg(store.sql, { name: 'Slots', slug: 'slots' })).id;
    const nowMs = Date.now();
    await maintainHotPartitions(store.sql, nowMs);
    await fn(store.sql, orgId, nowMs);
  } finally {
    await store.drop();
  }
}

test('widthFor: chunks a day from a million points a day, a month from a million a month, else a year; rollups one width coarser', () => {
  assert.equal(POINTS_A_PARTITION, 1_000_000);
  assert.equal(widthFor('chunks', 1_000_000), 'day');
  assert.equal(widthFor('chunks', 999_999), 'month');
  assert.equal(widthFor('chunks', Math.ceil(1_000_000 / 31)), 'month');
  assert.equal(widthFor('chunks', Math.floor(1_000_000 / 31)), 'year');
  assert.equal(widthFor('chunks', 0), 'year');
  for (const t of ['rollups_5m', 'rollups_1h'] as const) {
    assert.equal(widthFor(t, 5_000_000), 'month');
    assert.equal(widthFor(t, 500_000), 'year');
    assert.equal(widthFor(t, 0), 'year');
  }
});

test('partitionFor and choosePartition: names and bounds; the wanted width unless it overlaps an existing partition, then finer', () => {
  const t = Date.UTC(2026, 3, 10, 13, 5); // April 10 2026
  assert.deepEqual(partitionFor('chunks', t), { table: 'chunks', name: 'chunks_p20260410', startMs: Date.UTC(2026, 3, 10), endMs: Date.UTC(2026, 3, 11) });
  assert.deepEqual(partitionFor('chunks', t, 'month'), { table: 'chunks', name: 'chunks_p202604', startMs: Date.UTC(2026, 3, 1), endMs: Date.UTC(2026, 4, 1) });
  assert.deepEqual(partitionFor('rollups_1h', t), { table: 'rollups_1h', name: 'rollups_1h_p202604', startMs: Date.UTC(2026, 3, 1), endMs: Date.UTC(2026, 4, 1) });
  assert.deepEqual(partitionFor('rollups_5m', t, 'year'), { table: 'rollups_5m', name: 'rollups_5m_p2026', startMs: Date.UTC(2026, 0, 1), endMs: Date.UTC(2027, 0, 1) });

  const dayInApril = partitionFor('chunks', Date.UTC(2026, 3, 2));
  const march = partitionFor('chunks', Date.UTC(2026, 2, 1), 'month');
  const existing: Partition[] = [dayInApril, march];
  assert.equal(choosePartition('chunks', t, 'year', existing).name, 'chunks_p20260410', 'the year and April overlap partitions: a day');
  assert.equal(choosePartition('chunks', Date.UTC(2026, 4, 20), 'month', existing).name, 'chunks_p202605');
  assert.equal(choosePartition('chunks', Date.UTC(2025, 4, 20), 'year', existing).name, 'chunks_p2025');
  assert.equal(choosePartition('chunks', Date.UTC(2026, 4, 20), 'day', existing).name, 'chunks_p20260520');
  // Rollups never go finer than a month.
  assert.equal(choosePartition('rollups_1h', t, 'year', [partitionFor('rollups_1h', Date.UTC(2026, 0, 5))]).name, 'rollups_1h_p202604');
});

for (const kind of storeKinds) {
  describe(`partition widths (${kind.name})`, () => {
    // Fixed clock: 2026-06-15 12:00 UTC. Three series of 5-minute data, March 1 to June 1: 288 points a
    // day each, a small store (its chunks get month partitions, its rollups a year).
    const NOW = Date.UTC(2026, 5, 15, 12);
    const FROM = Date.UTC(2026, 2, 1);
    const TO = Date.UTC(2026, 5, 1);
    const STEP = 300_000;
    let store: TestStore;
    let sql: Sql;
    let orgId: string;
    const ids: number[] = [];
    const names = async (table: 'chunks' | 'rollups_5m' | 'rollups_1h') => (await listPartitions(sql, table)).map((p) => p.name);

    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgId = (await createOrg(sql, { name: 'Small', slug: 'small' })).id;
      for (let i = 0; i < 3; i++) {
        const r = await sql.query<{ id: string }>(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, 'small.cpu', $2) RETURNING id`, [orgId, JSON.stringify({ i: String(i) })]);
        const id = Number(r.rows[0]!.id);
        ids.push(id);
        await sql.query(
          `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), round((1000 * sin(t::float8 / 3.6e6 + $4))::numeric)::float8 / 100
           FROM generate_series($2::int8, $3::int8 - 1, ${STEP}) AS t`,
          [id, FROM, TO, i],
        );
      }
    });
    after(async () => store.drop());

    test('backfilled months: one chunk partition a month, except a month that already has a day partition; rollups in one year; every point reads back', async () => {
      assert.equal(await estimatePointsPerDay(sql), 3 * 288, 'series not compacted yet count 288 points a day');
      // April already has a day partition (made when the store was larger, say): April stays in days.
      await ensurePartitions(sql, 'chunks', [Date.UTC(2026, 3, 10)], 'day');
      const hot = await readPoints(sql, orgId, ids, { fromMs: FROM, toMs: TO });
      const outcome = await compactClosedWindows(sql, NOW);
      assert.equal(outcome.points, 3 * ((TO - FROM) / STEP));

      const chunkParts = await names('chunks');
      const aprilDays = Array.from({ length: 30 }, (_, d) => `chunks_p202604${String(d + 1).padStart(2, '0')}`);
      // June: the partitions of the two recent days every compaction makes first, in June's month partition.
      assert.deepEqual(chunkParts, ['chunks_p202603', ...aprilDays, 'chunks_p202605', 'chunks_p202606']);
      assert.deepEqual(await names('rollups_1h'), ['rollups_1h_p2026']);
      assert.deepEqual(await names('rollups_5m'), [], '5-minute series have no 5-minute rollups: no partition either');
      assert.equal(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM rollups_5m')).rows[0]!.n), 0);
      assert.ok(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM rollups_1h')).rows[0]!.n) > 0);
      assert.equal(await estimatePointsPerDay(sql), 3 * 288, 'day-wide windows: 288 points a day each');

      const read = await readPoints(sql, orgId, ids, { fromMs: FROM, toMs: TO });
      for (const id of ids) {
        const p = read.get(id)!;
        assert.equal(p.timestampsMs.length, (TO - FROM) / STEP);
        assert.equal(p.timestampsMs[0], FROM);
        assert.deepEqual(p, hot.get(id), 'the same points as the hot rows held');
      }
    });

    test('retention in wide partitions: expired rows go per organisation, a partition goes once wholly expired', async () => {
      // Raw 30 days: the cutoff is May 16 12:00. March and April's days lie wholly before it and are
      // dropped; May straddles it: its expired day windows are deleted, the partition stays.
      // The series' days were compacted the first time in one batch: packed into rows of up to a month
      // (chunk-pack.ts) in the month partitions, day rows in April's day partitions.
      const rowsNow = async () =>
        (await sql.query<{ s: string; w: Date; e: Date }>(`SELECT series_id AS s, window_start AS w, coalesce(window_end, window_start + interval '1 day') AS e FROM chunks ORDER BY 1, 2`)).rows.map((x) => ({
          id: Number(x.s),
          startMs: new Date(x.w).getTime(),
          endMs: new Date(x.e).getTime(),
        }));
      const before = await rowsNow();
      assert.ok(before.some((x) => x.endMs - x.startMs > DAY_MS), 'some rows packed');
      await setRetention(sql, orgId, { rawDays: 30, rollup5mDays: 60, rollup1hDays: 400 });
      const r = await enforceRetention(sql, NOW);
      const cutoff = NOW - 30 * DAY_MS;
      assert.ok(cutoff > Date.UTC(2026, 4, 16) && cutoff < Date.UTC(2026, 4, 17));
      assert.equal(r.droppedPartitions, 1 + 30);
      const inMay = (x: { startMs: number }) => x.startMs >= Date.UTC(2026, 4, 1);
      assert.equal(r.deletedChunks, before.filter((x) => inMay(x) && x.endMs <= cutoff).length, 'May rows wholly before the cutoff');
      assert.deepEqual(await rowsNow(), before.filter((x) => x.endMs > cutoff), 'a row straddling the cutoff stays whole');
      assert.deepEqual(await names('chunks'), ['chunks_p202605', 'chunks_p202606']);
      assert.deepEqual(await names('rollups_1h'), ['rollups_1h_p2026'], 'the year holds rollups still kept');
      const read = await readPoints(sql, orgId, ids, { fromMs: FROM, toMs: TO });
      for (const id of ids) assert.equal(read.get(id)!.timestampsMs[0], before.find((x) => x.id === id && x.endMs > cutoff)!.startMs);

      // A second run changes nothing.
      const again = await enforceRetention(sql, NOW);
      assert.deepEqual({ ...again, ms: 0 }, { droppedPartitions: 0, deletedChunks: 0, deletedRollups: 0, deletedHotRows: 0, ms: 0 });
      // Once May has wholly expired, its partition goes with one drop.
      const later = await enforceRetention(sql, Date.UTC(2026, 6, 1, 1));
      assert.equal(later.droppedPartitions, 1);
      assert.deepEqual(await names('chunks'), ['chunks_p202606']);
    });

    // Two processes making partitions at once: only PostgreSQL runs two connections.
    if (kind.name === 'postgres') {
      test('two connections making the partition of one day at different widths: one is made, both see it', async () => {
        const other = await store.connectAgain!();
        const t = Date.UTC(2025, 6, 4, 10);
        await Promise.all([ensurePartitions(sql, 'chunks', [t], 'day'), ensurePartitions(other, 'chunks', [t], 'year')]);
        const holding = (await listPartitions(sql, 'chunks')).filter((p) => p.startMs <= t && t < p.endMs);
        assert.equal(holding.length, 1);
        assert.ok(['chunks_p20250704', 'chunks_p2025'].includes(holding[0]!.name));
      });
    }
  });
}

for (const kind of storeKinds) {
  test(`5-minute rollup partitions only once a series may have them: a two-hour series (${kind.name})`, async () => {
    const store = await openMigrated(kind);
    try {
      const sql = store.sql;
      const orgId = (await createOrg(sql, { name: 'Five', slug: 'five' })).id;
      const NOW = Date.UTC(2026, 5, 15, 12);
      const day = Date.UTC(2026, 5, 14);
      const series = async (name: string, stepMs: number) => {
        const r = await sql.query<{ id: string }>(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, $2, '{}') RETURNING id`, [orgId, name]);
        await sql.query(
          `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), (t / $3) % 97 FROM generate_series($2::int8, $2::int8 + 6 * 3600000 - 1, $3::int8) AS t`,
          [Number(r.rows[0]!.id), day, stepMs],
        );
      };
      await series('slow', 300_000);
      await compactClosedWindows(sql, NOW);
      assert.deepEqual(await listPartitions(sql, 'rollups_5m'), [], 'a 5-minute series: no 5-minute rollups, no partition');
      assert.equal((await listPartitions(sql, 'rollups_1h')).length, 1);

      await series('fast', 15_000);
      await compactClosedWindows(sql, NOW);
      assert.equal((await listPartitions(sql, 'rollups_5m')).length, 1, 'made for the rows the 15-second series earns');
      assert.equal(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM rollups_5m')).rows[0]!.n), 1);
      // Later runs make the recent days' 5-minute partitions first, as for the other tables.
      await compactClosedWindows(sql, Date.UTC(2027, 0, 3, 12));
      assert.ok((await listPartitions(sql, 'rollups_5m')).some((p) => p.startMs <= Date.UTC(2027, 0, 2) && Date.UTC(2027, 0, 3) < p.endMs));
    } finally {
      await store.drop();
    }
  });
}

for (const kind of storeKinds) {
  test(`estimatePointsPerDay sees series not compacted yet in the hot slots: a busy new store gets day partitions (${kind.name})`, () =>
    withHotSlots(kind, async (sql, orgId, nowMs) => {
      const ids = await newSeries(sql, orgId, 'busy.cpu', 100);
      assert.equal(await estimatePointsPerDay(sql, nowMs), 100 * 288, 'no points yet: the catalogue counts each new series at 288 a day');
      // The last closed slot: 100 series at 8 s, 90,000 rows in two hours (over a million points a day).
      const slot = hotSlotStartMs(nowMs) - HOT_SLOT_MS;
      await sql.query(
        `INSERT INTO points (series_id, ts, value) SELECT s, to_timestamp(($2::int8 + k * 8000)::float8 / 1000), k FROM unnest($1::bigint[]) AS s, generate_series(0, 899) AS k`,
        [ids, slot],
      );
      const est = await estimatePointsPerDay(sql, nowMs);
      assert.ok(est >= POINTS_A_PARTITION && est <= 90_000 * 12, `estimated ${est} points a day`);
      assert.equal(widthFor('chunks', est), 'day');
      await ensurePartitions(sql, 'chunks', [nowMs]);
      assert.deepEqual((await listPartitions(sql, 'chunks')).map((p) => p.endMs - p.startMs), [DAY_MS]);
    }));
}

for (const kind of storeKinds) {
  test(`fiveMinuteRowsLikely: a two-hour series, or closed slots as dense as two-hour windows by the planner's counts (${kind.name})`, () =>
    withHotSlots(kind, async (sql, orgId, nowMs) => {
      const slot = (await listHotPartitions(sql)).find((p) => p.startMs === hotSlotStartMs(nowMs) - HOT_SLOT_MS)!;
      const ids = await newSeries(sql, orgId, 'dense.cpu', 10);
      const fill = async (stepMs: number, analyse = true) => {
        await sql.query(`TRUNCATE ${slot.name}`);
        await sql.query(
          `INSERT INTO points (series_id, ts, value) SELECT s, to_timestamp(($2::int8 + k * $3::int8)::float8 / 1000), k FROM unnest($1::bigint[]) AS s, generate_series(0, ($4::int8 / $3::int8) - 1) AS k`,
          [ids, slot.startMs, stepMs, HOT_SLOT_MS],
        );
        await sql.exec(analyse ? `ANALYZE ${slot.name}; ANALYZE series` : 'ANALYZE series');
      };
      await fill(300_000); // 24 points a series: sparse
      assert.equal(await fiveMinuteRowsLikely(sql, [slot]), false);
      await fill(15_000); // 480 points a series: two-hour windows' density
      assert.equal(await fiveMinuteRowsLikely(sql, [slot]), true);
      // As the compaction job meets slots: never analysed (no row count), judged by their pages.
      await fill(300_000, false);
      assert.equal(await fiveMinuteRowsLikely(sql, [slot]), false, 'sparse, never analysed');
      await fill(15_000, false);
      assert.equal(await fiveMinuteRowsLikely(sql, [slot]), true, 'dense, never analysed');
      assert.equal(await fiveMinuteRowsLikely(sql, []), false, 'no closed slot, no two-hour series');
      await sql.query(`UPDATE series SET chunk_seconds = 7200 WHERE id = $1`, [ids[0]]);
      assert.equal(await fiveMinuteRowsLikely(sql, []), true, 'a two-hour series');
    }));
}

test('mergeRuns: adjacent partitions ended before the line, under the size limit together, two or more a run', () => {
  const day = (y: number, m: number, d: number) => partitionFor('chunks', Date.UTC(y, m, d));
  const month = (y: number, m: number) => partitionFor('chunks', Date.UTC(y, m, 1), 'month');
  const parts = [day(2025, 10, 3), day(2025, 10, 4), month(2025, 11), day(2026, 0, 1), day(2026, 0, 2), month(2026, 1), day(2026, 2, 1)];
  const sizes = new Map(parts.map((p) => [p.name, 100]));
  const names = (runs: Partition[][]) => runs.map((r) => r.map((p) => p.name).join('+'));
  const line = Date.UTC(2026, 2, 1); // March 1 2026: February is closed, March is not
  assert.deepEqual(names(mergeRuns(parts, sizes, line, 1000)), ['chunks_p20251103+chunks_p20251104+chunks_p202512+chunks_p20260101+chunks_p20260102+chunks_p202602']);
  assert.deepEqual(names(mergeRuns(parts, sizes, line, 301)), ['chunks_p20251103+chunks_p20251104+chunks_p202512', 'chunks_p20260101+chunks_p20260102+chunks_p202602'], 'each run under 301 bytes');
  sizes.set('chunks_p202512', 5000);
  assert.deepEqual(names(mergeRuns(parts, sizes, line, 1000)), ['chunks_p20251103+chunks_p20251104', 'chunks_p20260101+chunks_p20260102+chunks_p202602'], 'a big partition ends a run');
  assert.deepEqual(names(mergeRuns(parts, sizes, Date.UTC(2026, 1, 28), 1000)), ['chunks_p20251103+chunks_p20251104', 'chunks_p20260101+chunks_p20260102'], 'February ends after the line');
  assert.deepEqual(mergeRuns([day(2026, 0, 1)], sizes, line, 1000), [], 'one partition alone stays');
  assert.deepEqual(spanning('chunks', [day(2025, 10, 3), month(2025, 11)]), { table: 'chunks', name: 'chunks_p20251103_20260101', startMs: Date.UTC(2025, 10, 3), endMs: Date.UTC(2026, 0, 1) });
});

for (const kind of storeKinds) {
  describe(`small closed partitions merged (${kind.name})`, () => {
    // Fixed clock: 2026-06-15 12:00 UTC. Two 5-minute series from November 20 2025 to January 10 2026,
    // in day partitions (chunks) and month partitions (rollups) made beforehand, as a large store makes.
    const NOW = Date.UTC(2026, 5, 15, 12);
    const FROM = Date.UTC(2025, 10, 20);
    const TO = Date.UTC(2026, 0, 10);
    let store: TestStore;
    let sql: Sql;
    let orgId: string;
    const ids: number[] = [];
    let before1: Awaited<ReturnType<typeof readPoints>>;
    const names = async (table: 'chunks' | 'rollups_5m' | 'rollups_1h') => (await listPartitions(sql, table)).map((p) => p.name);
    const count = async (table: string) => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgId = (await createOrg(sql, { name: 'Imports', slug: 'imports' })).id;
      // Kept for ten years: the maintenance job's retention leaves the import alone.
      await setRetention(sql, orgId, { rawDays: 3650, rollup5mDays: 3650, rollup1hDays: 3650 });
      const days = Array.from({ length: (TO - FROM) / DAY_MS }, (_, d) => FROM + d * DAY_MS);
      await ensurePartitions(sql, 'chunks', days, 'day');
      await ensurePartitions(sql, 'rollups_1h', days, 'month');
      for (let i = 0; i < 2; i++) {
        const r = await sql.query<{ id: string }>(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, 'old.cpu', $2) RETURNING id`, [orgId, JSON.stringify({ i: String(i) })]);
        ids.push(Number(r.rows[0]!.id));
        await sql.query(
          `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), round((1000 * cos(t::float8 / 7.2e6 + $4))::numeric)::float8 / 100
           FROM generate_series($2::int8, $3::int8 - 1, 300000) AS t`,
          [ids[i], FROM, TO, i],
        );
      }
      await compactClosedWindows(sql, NOW);
      before1 = await readPoints(sql, orgId, ids, { fromMs: FROM, toMs: TO });
      assert.equal(before1.get(ids[0]!)!.timestampsMs.length, (TO - FROM) / 300_000);
    });
    after(async () => store.drop());

    test('partitions together over the size limit stay as they are', async () => {
      const r = await mergeSmallPartitions(sql, NOW, { maxBytes: 64 * 1024 });
      assert.deepEqual(r, { made: [], replaced: 0, blocked: 0 });
      assert.equal((await names('chunks')).length, 51 + 1, 'the 51 days and June (made by the compaction, small store)');
    });

    // A reader holding the table: only PostgreSQL runs two connections.
    if (kind.name === 'postgres') {
      test('a long reader of the table is not waited for: nothing changes, the next run merges', async () => {
        await whileHeld(
          await store.connectAgain!(),
          async (tx) => {
            for (const table of ['chunks', 'rollups_5m', 'rollups_1h']) await tx.query(`SELECT count(*) FROM ${table}`);
          },
          async () => {
            const r = await mergeSmallPartitions(sql, NOW, { lockTimeoutMs: 100 });
            assert.deepEqual(r, { made: [], replaced: 0, blocked: 2 }, 'the chunk days, the rollup months');
            assert.equal((await names('chunks')).length, 52);
          },
        );
      });
    }

    test('closed partitions merged into one a table; every row kept with its primary key, the same points read back', async () => {
      const chunks = await count('chunks');
      const rollups = await count('rollups_1h');
      const r = await mergeSmallPartitions(sql, NOW);
      // June's partitions (made by the compaction for the recent days) are not closed.
      assert.deepEqual(r, { made: ['chunks_p20251120_20260110', 'rollups_1h_p20251101_20260201'], replaced: 51 + 3, blocked: 0 });
      assert.deepEqual(await names('chunks'), ['chunks_p20251120_20260110', 'chunks_p202606']);
      assert.deepEqual(await names('rollups_1h'), ['rollups_1h_p20251101_20260201', 'rollups_1h_p202606']);
      // The series have day windows: their days are packed into rows of up to a month on the way
      // (chunk-pack.ts), covering the same days.
      const covered = await sql.query<{ rows: string; days: string }>(
        `SELECT count(*) AS rows, sum(extract(epoch FROM coalesce(window_end, window_start + interval '1 day') - window_start) / 86400) AS days FROM chunks`,
      );
      assert.equal(Number(covered.rows[0]!.days), chunks);
      assert.ok(Number(covered.rows[0]!.rows) < chunks / 5, `${covered.rows[0]!.rows} rows`);
      assert.equal(await count('rollups_1h'), rollups);
      assert.deepEqual(await readPoints(sql, orgId, ids, { fromMs: FROM, toMs: TO }), before1);
      // The merged partition has the table's primary key.
      await assert.rejects(
        sql.query(`INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data) SELECT series_id, window_start, first_ts, last_ts, n, data FROM chunks_p20251120_20260110 LIMIT 1`),
        (e: { code?: string }) => e.code === '23505',
      );
      // New rows of the merged span land in the merged partition (none is made); outside it, one is.
      await ensurePartitions(sql, 'chunks', [Date.UTC(2025, 11, 31)]);
      assert.deepEqual(await names('chunks'), ['chunks_p20251120_20260110', 'chunks_p202606']);
      await ensurePartitions(sql, 'chunks', [Date.UTC(2026, 0, 20)]);
      assert.deepEqual(await names('chunks'), ['chunks_p20251120_20260110', 'chunks_p20260120', 'chunks_p202606'], 'January as a month would overlap the merged span: a day');
      // The maintenance job's run merges that day into the span; the next changes nothing.
      const { runMaintenance } = await import('../src/jobs/maintenance.js');
      const m = await runMaintenance(sql, new Date(NOW));
      assert.deepEqual(m.partitions, { made: ['chunks_p20251120_20260121'], replaced: 2, blocked: 0 });
      assert.deepEqual((await runMaintenance(sql, new Date(NOW))).partitions, { made: [], replaced: 0, blocked: 0 });
      assert.deepEqual(await readPoints(sql, orgId, ids, { fromMs: FROM, toMs: TO }), before1);
    });
  });
}
