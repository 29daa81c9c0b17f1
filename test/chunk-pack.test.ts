// Packed chunk rows (issue 18, chunk-pack.ts): when small closed partitions are merged, a sparse
// series' days of one month are packed into rows covering several days, found again by reads, the
// write path's duplicate check, compaction and retention, on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PACK_BYTES, packRuns, packSparseRows, type PackCandidate } from '../src/metrics/points/chunk-pack.js';
import { decodeChunk, encodeChunk } from '../src/store/chunks/codec.js';
import { compactClosedWindows } from '../src/metrics/points/compact.js';
import { mergeSmallPartitions } from '../src/metrics/points/partition-merge.js';
import { maintainHotPartitions } from '../src/metrics/points/hot-partitions.js';
import { ensurePartitions } from '../src/metrics/points/partitions.js';
import { readPoints, seriesWithPointsIn } from '../src/metrics/points/read.js';
import { enforceRetention, setRetention } from '../src/metrics/points/retention.js';
import { planWrite, writePoints } from '../src/metrics/points/write.js';
import { computeRollup, decodeRollup } from '../src/store/chunks/rollup.js';
import { DAY_MS, monthBoundsMs } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

test('packRuns: consecutive rows of one series and month, within the byte limit, two or more a run', () => {
  const day = (id: number, d: string, bytes: number): PackCandidate => ({ seriesId: id, startMs: Date.parse(d), endMs: Date.parse(d) + DAY_MS, bytes });
  const rows = [
    day(1, '2026-03-29T00:00:00Z', 400),
    day(1, '2026-03-30T00:00:00Z', 400),
    day(1, '2026-03-31T00:00:00Z', 400),
    day(1, '2026-04-01T00:00:00Z', 400), // another month
    day(1, '2026-04-02T00:00:00Z', 900),
    day(1, '2026-04-05T00:00:00Z', 900), // a gap is fine: the run covers it
    day(1, '2026-04-06T00:00:00Z', 900), // 400 + 900 + 900 + 900 > 3000
    day(2, '2026-04-07T00:00:00Z', 400), // another series
    day(3, '2026-04-01T00:00:00Z', 5000), // alone over the limit
    day(3, '2026-04-02T00:00:00Z', 100),
  ];
  const runs = packRuns(rows, 3000).map((r) => r.map((x) => `${x.seriesId}@${new Date(x.startMs).toISOString().slice(5, 10)}`));
  assert.deepEqual(runs, [['1@03-29', '1@03-30', '1@03-31'], ['1@04-01', '1@04-02', '1@04-05']]);
});

test('packSparseRows: each run one row of all its points, bit for bit; other rows as they were, a packed one keeping its end', () => {
  const row = (startMs: number, days: number, n: number, seed: number) => {
    const t = Float64Array.from({ length: n }, (_, i) => startMs + i * ((days * DAY_MS) / n));
    const v = Float64Array.from({ length: n }, (_, i) => Math.sin(i * seed) * 1e3 + seed);
    const data = encodeChunk(t, v);
    return { seriesId: 7, startMs, endMs: startMs + days * DAY_MS, firstMs: t[0]!, lastMs: t[n - 1]!, n, bytes: data.length, data, t, v };
  };
  const d = Date.UTC(2026, 2, 1);
  const a = row(d, 1, 24, 1.1);
  const b = row(d + DAY_MS, 1, 24, 2.2);
  const big = row(d + 2 * DAY_MS, 3, 2000, 3.3); // packed before, alone over the limit
  const c = row(d + 5 * DAY_MS, 1, 24, 4.4);
  const out = packSparseRows([a, b, big, c], a.bytes + b.bytes + 1);
  assert.equal(out.length, 3);
  assert.deepEqual(out.map((o) => [o.startMs, o.endMs]), [[a.startMs, b.endMs], [big.startMs, big.endMs], [c.startMs, null]]);
  const first = decodeChunk(out[0]!.data);
  assert.deepEqual(Array.from(first.timestampsMs), [...a.t, ...b.t]);
  assert.deepEqual(Array.from(first.values), [...a.v, ...b.v]);
  assert.deepEqual([out[0]!.firstMs, out[0]!.lastMs, out[0]!.n], [a.firstMs, b.lastMs, 48]);
  assert.equal(out[1]!.data, big.data);
  assert.equal(out[2]!.data, c.data);
});

for (const kind of storeKinds) {
  describe(`packed chunk rows (${kind.name})`, () => {
    // Fixed clock: 2026-06-15 12:00 UTC. `sparse`: a point every 5 minutes from April 20 to June 5
    // (day windows, 288 points a day); `dense`: every 15 s for a day (two-hour windows, never packed).
    const NOW = Date.UTC(2026, 5, 15, 12);
    const FROM = Date.UTC(2026, 3, 20);
    const TO = Date.UTC(2026, 5, 5);
    const STEP = 300_000;
    let store: TestStore;
    let sql: Sql;
    let orgId: string;
    let sparse: number;
    let dense: number;
    let backfill: number;
    let live: number;
    /** `live`: every 5 minutes from April 27 to May 6, each day compacted as it closes. */
    const LIVE_FROM = Date.UTC(2026, 3, 27);
    const LIVE_TO = Date.UTC(2026, 4, 6);
    const all = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 11, 31) };
    const rowsOf = async (id: number) =>
      (await sql.query<{ s: Date; e: Date | null }>('SELECT window_start AS s, window_end AS e FROM chunks WHERE series_id = $1 ORDER BY window_start', [id])).rows.map((r) => ({
        startMs: new Date(r.s).getTime(),
        endMs: r.e === null ? null : new Date(r.e).getTime(),
      }));
    const pointsOf = async (id: number, range = all) => (await readPoints(sql, orgId, [id], range)).get(id)!;

    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      orgId = (await createOrg(sql, { name: 'Pack', slug: 'pack' })).id;
      // April and May in month partitions of their own (closed at NOW), June in another (open).
      await ensurePartitions(sql, 'chunks', [Date.UTC(2026, 3, 25), Date.UTC(2026, 4, 15), Date.UTC(2026, 5, 2)], 'month');
      const mk = async (key: string) => Number((await sql.query<{ id: string }>(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, $2, '{}') RETURNING id`, [orgId, key])).rows[0]!.id);
      sparse = await mk('sparse');
      dense = await mk('dense');
      backfill = await mk('backfill');
      const fill = (id: number, from: number, to: number) =>
        sql.query(
          `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), round((100 * sin(t::float8 / 7.3e6 + $1))::numeric, 3)::float8
           FROM generate_series($2::int8, $3::int8 - 1, $4::int8) AS t`,
          [id, from, to, STEP],
        );
      // `sparse` is compacted once with its first day (its width chosen: no packing yet), then with the
      // rest, as a live series' days come: day rows, packed when their partitions are merged.
      await fill(sparse, FROM, FROM + DAY_MS);
      await compactClosedWindows(sql, FROM + DAY_MS + 20 * 60_000);
      await fill(sparse, FROM + DAY_MS, TO);
      await sql.query(
        `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), (t / 15000) % 89 FROM generate_series($2::int8, $2::int8 + 86400000 - 1, 15000) AS t`,
        [dense, Date.UTC(2026, 4, 10)],
      );
      // `backfill`: the same span written at once, compacted the first time in one batch.
      await fill(backfill, FROM, TO);
      await compactClosedWindows(sql, NOW);
      // `sparse`'s closed days folded into packed rows as compaction took them (see the test below);
      // its rows are laid out as day rows again, as a store written before folding has them.
      await asDayRows(sparse);
      live = await mk('live');
      for (let day = LIVE_FROM; day < LIVE_TO; day += DAY_MS) {
        await fill(live, day, day + DAY_MS);
        await compactClosedWindows(sql, day + DAY_MS + 20 * 60_000);
      }
    });

    /** Rewrites the packed rows of `id` as one row a day (what packing started from). */
    async function asDayRows(id: number): Promise<void> {
      const rows = await sql.query<{ s: Date; e: Date; data: Uint8Array }>('SELECT window_start AS s, window_end AS e, data FROM chunks WHERE series_id = $1 AND window_end IS NOT NULL', [id]);
      for (const r of rows.rows) {
        const d = decodeChunk(r.data);
        await sql.query('DELETE FROM chunks WHERE series_id = $1 AND window_start = $2', [id, r.s]);
        for (let day = new Date(r.s).getTime(); day < new Date(r.e).getTime(); day += DAY_MS) {
          const i = d.timestampsMs.findIndex((t) => t >= day);
          let j = d.timestampsMs.findIndex((t) => t >= day + DAY_MS);
          if (j < 0) j = d.timestampsMs.length;
          if (i < 0 || i >= j) continue;
          const t = d.timestampsMs.slice(i, j);
          await sql.query('INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data) VALUES ($1, $2, $3, $4, $5, $6)', [
            id,
            new Date(day),
            new Date(t[0]!),
            new Date(t[t.length - 1]!),
            t.length,
            encodeChunk(t, d.values.slice(i, j)),
          ]);
        }
      }
    }

    test('a live day-wide series: each closed day folds into the row before it, a month and a partition at most a row, up to PACK_BYTES', async () => {
      const rows = await sql.query<{ s: Date; e: Date | null; n: number; len: number }>('SELECT window_start AS s, window_end AS e, n, octet_length(data) AS len FROM chunks WHERE series_id = $1 ORDER BY window_start', [live]);
      const spans = rows.rows.map((r) => [new Date(r.s).getTime(), r.e === null ? null : new Date(r.e).getTime()]);
      // April 27–30 in April's partition, May 1–5 in May's: one packed row each (a day is ~500 bytes).
      assert.deepEqual(spans, [
        [LIVE_FROM, Date.UTC(2026, 4, 1)],
        [Date.UTC(2026, 4, 1), LIVE_TO],
      ]);
      assert.ok(rows.rows.every((r) => r.len <= PACK_BYTES));
      const p = await pointsOf(live);
      assert.equal(p.timestampsMs.length, (LIVE_TO - LIVE_FROM) / STEP);
      assert.equal(p.timestampsMs[0], LIVE_FROM);
      // Each day's 1-hour buckets are those of its points.
      const month = monthBoundsMs(LIVE_TO - DAY_MS);
      const hour = await sql.query<{ data: Uint8Array }>('SELECT data FROM rollups_1h WHERE series_id = $1 AND day >= $2 AND day < $3 ORDER BY day', [live, new Date(month.startMs), new Date(month.endMs)]);
      const starts = hour.rows.flatMap((r) => Array.from(decodeRollup(r.data).startsMs));
      const may = Array.from(p.timestampsMs).filter((t) => t >= month.startMs);
      assert.deepEqual(starts, [...new Set(may.map((t) => Math.floor(t / 3_600_000) * 3_600_000))]);
      // A day too large to join the row before it (1,440 noisy points) gets its own row.
      const big = Date.UTC(2026, 4, 6);
      await sql.query(
        `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), sin(t::float8) * 1e6 FROM generate_series($2::int8, $2::int8 + 86400000 - 1, 60000) AS t`,
        [live, big],
      );
      await compactClosedWindows(sql, big + DAY_MS + 20 * 60_000);
      const after = await sql.query<{ s: Date; e: Date | null }>('SELECT window_start AS s, window_end AS e FROM chunks WHERE series_id = $1 ORDER BY window_start', [live]);
      assert.deepEqual(after.rows.map((r) => [new Date(r.s).getTime(), r.e === null ? null : new Date(r.e).getTime()]), [...spans, [big, null]]);
    });

    test('a late point into a closed day row folds that day into the row before it and deletes the day\'s own row', async () => {
      // Day rows (as a store written before folding has them) for May 20–22.
      const id = Number((await sql.query<{ id: string }>(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, 'late-fold', '{}') RETURNING id`, [orgId])).rows[0]!.id);
      const d0 = Date.UTC(2026, 4, 20);
      await sql.query(
        `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), round((t % 7919)::numeric / 100, 2)::float8
         FROM generate_series($2::int8, $2::int8 + 3 * 86400000 - 1, 300000) AS t`,
        [id, d0],
      );
      await compactClosedWindows(sql, NOW);
      await asDayRows(id);
      const before = await pointsOf(id);
      assert.deepEqual((await rowsOf(id)).map((r) => r.endMs), [null, null, null]);
      const late = d0 + 2 * DAY_MS + 3 * 3_600_000 + 1234;
      const w = await writePoints(sql, await planWrite(sql, { seriesIds: [id], timestampsMs: [late], values: [0.5] }, NOW), 'reject', { alone: true });
      assert.deepEqual(w, { inserted: 1, duplicates: 0 });
      await compactClosedWindows(sql, NOW);
      assert.deepEqual(await rowsOf(id), [
        { startMs: d0, endMs: null },
        { startMs: d0 + DAY_MS, endMs: d0 + 3 * DAY_MS },
      ]);
      const p = await pointsOf(id);
      const i = Array.from(before.timestampsMs).findIndex((t) => t > late);
      assert.deepEqual(Array.from(p.timestampsMs), [...Array.from(before.timestampsMs).slice(0, i), late, ...Array.from(before.timestampsMs).slice(i)]);
      assert.equal(p.values[i], 0.5);
      // The day's 1-hour buckets are those of its points now.
      const day = { fromMs: d0 + 2 * DAY_MS, toMs: d0 + 3 * DAY_MS - 1 };
      const pts = await pointsOf(id, day);
      const month = monthBoundsMs(d0);
      const hour = await sql.query<{ data: Uint8Array }>('SELECT data FROM rollups_1h WHERE series_id = $1 AND day >= $2 AND day < $3 ORDER BY day', [id, new Date(month.startMs), new Date(month.endMs)]);
      const all = hour.rows.map((r) => decodeRollup(r.data));
      const want = computeRollup(pts.timestampsMs, pts.values, 3_600_000);
      for (let k = 0; k < want.startsMs.length; k++) {
        const row = all.find((r) => r.startsMs.includes(want.startsMs[k]!))!;
        const j = row.startsMs.indexOf(want.startsMs[k]!);
        for (const c of ['min', 'max', 'sum', 'count', 'last'] as const) assert.equal(row[c][j], want[c][k], `${c} at ${new Date(want.startsMs[k]!).toISOString()}`);
      }
    });
    after(async () => store.drop());

    test('a day-wide series compacted the first time in one batch writes its days packed, a month and a partition at most each row', async () => {
      const rows = await rowsOf(backfill);
      assert.ok(rows.length < (TO - FROM) / DAY_MS / 3, `${rows.length} rows`);
      let at = FROM;
      for (const p of rows) {
        assert.equal(p.startMs, at);
        at = p.endMs ?? p.startMs + DAY_MS;
        assert.ok(at <= monthBoundsMs(p.startMs).endMs, 'within its month (and so its month partition)');
      }
      assert.equal(at, TO);
      const p = await pointsOf(backfill);
      assert.equal(p.timestampsMs.length, (TO - FROM) / STEP);
      assert.equal(p.timestampsMs[0], FROM);
      assert.equal(p.timestampsMs.at(-1), TO - STEP);
    });

    test('a merge packs: fewer rows, each within a month, the same points read back over any range, with limits, and found by seriesWithPointsIn', async () => {
      const before = await pointsOf(sparse);
      const denseBefore = await pointsOf(dense);
      const dayRows = await rowsOf(sparse);
      assert.equal(dayRows.length, (TO - FROM) / DAY_MS);
      assert.ok(dayRows.every((r) => r.endMs === null));

      const merged = await mergeSmallPartitions(sql, NOW);
      assert.deepEqual(merged.made, ['chunks_p20260401_20260601'], 'April and May merged; June is still open');
      const packed = await rowsOf(sparse);
      const june = Date.UTC(2026, 5, 1);
      assert.deepEqual(packed.filter((p) => p.startMs >= june), dayRows.filter((p) => p.startMs >= june), 'June (not merged) keeps its day rows');
      const mayAndApril = packed.filter((p) => p.startMs < june);
      assert.ok(mayAndApril.length <= 41 / 3 && mayAndApril.every((p) => p.endMs !== null), `${mayAndApril.length} rows`);
      for (const p of packed) {
        const end = p.endMs ?? p.startMs + DAY_MS;
        assert.ok(end <= monthBoundsMs(p.startMs).endMs, 'within its month');
      }
      // Every day of April 20 – May 31 covered once, in order.
      let at = FROM;
      for (const p of mayAndApril) {
        assert.equal(p.startMs, at);
        at = p.endMs!;
      }
      assert.equal(at, june);
      assert.equal((await rowsOf(dense)).filter((x) => x.endMs !== null).length, 0, 'two-hour windows are not packed');
      assert.deepEqual(await pointsOf(sparse), before);
      assert.deepEqual(await pointsOf(dense), denseBefore);

      // Ranges starting inside packed rows (the readers look back for them), with and without limits.
      const inside = packed.find((p) => p.endMs !== null && p.endMs - p.startMs >= 3 * DAY_MS)!;
      const lo = inside.startMs + DAY_MS + 3 * 3_600_000 + 1;
      const hi = lo + 2 * DAY_MS;
      const want = (from: number, to: number) => {
        const i = before.timestampsMs.findIndex((t) => t >= from);
        let j = before.timestampsMs.findIndex((t) => t > to);
        if (j < 0) j = before.timestampsMs.length;
        return { timestampsMs: before.timestampsMs.slice(i, j), values: before.values.slice(i, j) };
      };
      assert.deepEqual(await pointsOf(sparse, { fromMs: lo, toMs: hi }), want(lo, hi));
      const newest = (await readPoints(sql, orgId, [sparse], { fromMs: lo, toMs: hi }, { limit: 10, newest: true })).get(sparse)!;
      const w = want(lo, hi);
      assert.deepEqual(Array.from(newest.timestampsMs), Array.from(w.timestampsMs.slice(-10)));
      const oldest = (await readPoints(sql, orgId, [sparse], { fromMs: lo, toMs: hi }, { limit: 10 })).get(sparse)!;
      assert.deepEqual(Array.from(oldest.timestampsMs), Array.from(w.timestampsMs.slice(0, 10)));
      // lo is 1 ms after a point; the next is 10 minutes after that one.
      assert.deepEqual([...(await seriesWithPointsIn(sql, orgId, [sparse], lo, lo + STEP))], [sparse]);
      assert.deepEqual([...(await seriesWithPointsIn(sql, orgId, [sparse], lo, lo + STEP - 2))], [], 'no point in a range between two points inside a packed row');

    });

    test('late points into a packed row: duplicates found, an overwrite and a new point merged by compaction into the same row, the day\'s rollups recomputed', async () => {
      const rowsBefore = await rowsOf(sparse);
      const inside = rowsBefore.find((p) => p.endMs !== null && p.endMs - p.startMs >= 3 * DAY_MS)!;
      const dayMs = inside.startMs + 2 * DAY_MS;
      const existing = dayMs + 6 * 3_600_000; // a stored point (every 5 minutes)
      const fresh = dayMs + 6 * 3_600_000 + 30_000; // none there
      const nowMs = NOW;
      const reject = await writePoints(sql, await planWrite(sql, { seriesIds: [sparse], timestampsMs: [existing], values: [1] }, nowMs), 'reject', { alone: true });
      assert.deepEqual(reject, { inserted: 0, duplicates: 1 }, 'the point inside the packed row is a duplicate');
      const over = await writePoints(sql, await planWrite(sql, { seriesIds: [sparse, sparse], timestampsMs: [existing, fresh], values: [4242, -17.5] }, nowMs), 'overwrite', { alone: true });
      assert.deepEqual(over, { inserted: 1, duplicates: 1 });
      const expectDay = async () => {
        const p = await pointsOf(sparse, { fromMs: dayMs, toMs: dayMs + DAY_MS - 1 });
        assert.equal(p.timestampsMs.length, 289);
        assert.equal(p.values[Array.from(p.timestampsMs).indexOf(existing)], 4242);
        assert.equal(p.values[Array.from(p.timestampsMs).indexOf(fresh)], -17.5);
        return p;
      };
      await expectDay();
      await compactClosedWindows(sql, NOW);
      assert.equal(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM points WHERE series_id = $1', [sparse])).rows[0]!.n), 0, 'no hot rows left');
      assert.deepEqual(await rowsOf(sparse), rowsBefore, 'merged into the packed row: the same rows and windows');
      const day = await expectDay();
      // The day's 1-hour buckets are those of its points now.
      const month = monthBoundsMs(dayMs);
      const rows = await sql.query<{ data: Uint8Array }>('SELECT data FROM rollups_1h WHERE series_id = $1 AND day >= $2 AND day < $3 ORDER BY day', [sparse, new Date(month.startMs), new Date(month.endMs)]);
      const buckets = rows.rows.map((x) => decodeRollup(x.data));
      const want = computeRollup(day.timestampsMs, day.values, 3_600_000);
      for (let k = 0; k < want.startsMs.length; k++) {
        const got = buckets.map((b) => Array.from(b.startsMs).indexOf(want.startsMs[k]!)).map((i, n) => (i < 0 ? null : { b: buckets[n]!, i })).find((x) => x !== null)!;
        assert.ok(got, `bucket ${new Date(want.startsMs[k]!).toISOString()}`);
        for (const c of ['min', 'max', 'sum', 'count', 'last'] as const) assert.equal(got.b[c][got.i], want[c][k], `${c} at ${new Date(want.startsMs[k]!).toISOString()}`);
      }
    });

    test('retention deletes a packed row once its end expired and keeps one straddling the cutoff whole; a later merge keeps packed rows and packs June', async () => {
      const rowsBefore = await rowsOf(sparse);

      // Raw 45 days: the cutoff is May 1 12:00, inside a packed row of May that starts on May 1.
      const cutoff = NOW - 45 * DAY_MS;
      const straddling = rowsBefore.find((p) => p.startMs <= cutoff && (p.endMs ?? p.startMs + DAY_MS) > cutoff)!;
      assert.ok(straddling.endMs !== null, 'the cutoff falls inside a packed row');
      await setRetention(sql, orgId, { rawDays: 45, rollup5mDays: 400, rollup1hDays: 1825 });
      await enforceRetention(sql, NOW);
      const left = await rowsOf(sparse);
      assert.deepEqual(left, rowsBefore.filter((p) => (p.endMs ?? p.startMs + DAY_MS) > cutoff));
      const p = await pointsOf(sparse);
      assert.equal(p.timestampsMs[0], straddling.startMs, 'the straddling row stays whole');

      // In July, June's partition is closed too and merges with the April–May one: the rows packed
      // before stay as they are (their runs are full), June's days are packed.
      const merged = await mergeSmallPartitions(sql, Date.UTC(2026, 6, 10));
      assert.deepEqual(merged.made, ['chunks_p20260401_20260701']);
      const later = await rowsOf(sparse);
      assert.deepEqual(later.filter((x) => x.startMs < Date.UTC(2026, 5, 1)), left.filter((x) => x.startMs < Date.UTC(2026, 5, 1)));
      assert.deepEqual(later.filter((x) => x.startMs >= Date.UTC(2026, 5, 1)).map((x) => [x.startMs, x.endMs]), [[Date.UTC(2026, 5, 1), TO]]);
      assert.deepEqual(await pointsOf(sparse), p);
    });
  });
}

for (const kind of storeKinds) {
  describe(`a live day-wide series in hot slots (${kind.name})`, () => {
    // The open day's points come in two-hour slots, compacted (taken whole) while the day is open: the
    // day gets a row of its own, which folds into the row before once the day has closed.
    let store: TestStore;
    let sql: Sql;
    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
    });
    after(async () => store.drop());

    test('an open day\'s row written from slots folds into the row before it once the day closes, and is deleted', async () => {
      const orgId = (await createOrg(sql, { name: 'Slots', slug: 'slots' })).id;
      const id = Number((await sql.query<{ id: string }>(`INSERT INTO series (org_id, key, dimensions) VALUES ($1, 'slotted', '{}') RETURNING id`, [orgId])).rows[0]!.id);
      const D = Date.UTC(2031, 4, 10);
      const fill = (from: number, to: number) =>
        sql.query(
          `INSERT INTO points (series_id, ts, value) SELECT $1::bigint, to_timestamp(t::float8 / 1000), round((t % 10007)::numeric / 100, 2)::float8
           FROM generate_series($2::int8, $3::int8 - 1, 300000) AS t`,
          [id, from, to],
        );
      const rows = async () =>
        (await sql.query<{ s: Date; e: Date | null }>('SELECT window_start AS s, window_end AS e FROM chunks WHERE series_id = $1 ORDER BY window_start', [id])).rows.map((r) => [
          new Date(r.s).getTime(),
          r.e === null ? null : new Date(r.e).getTime(),
        ]);
      // The day before, compacted once closed (its width chosen): a day row.
      await fill(D - DAY_MS, D);
      await compactClosedWindows(sql, D + 20 * 60_000);
      assert.deepEqual(await rows(), [[D - DAY_MS, null]]);
      // Day D's morning in slots, compacted at noon: the open day gets its own row.
      const noon = D + 12 * 3_600_000;
      await maintainHotPartitions(sql, noon);
      await fill(D, noon);
      assert.equal(Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM points_default')).rows[0]!.n), 0, 'the points are in slots');
      await compactClosedWindows(sql, noon + 20 * 60_000);
      assert.deepEqual(await rows(), [[D - DAY_MS, null], [D, null]]);
      // The rest of the day; compacted after midnight, the closed day joins the row before and its own row goes.
      await maintainHotPartitions(sql, D + DAY_MS);
      await fill(noon, D + DAY_MS);
      await compactClosedWindows(sql, D + DAY_MS + 20 * 60_000);
      assert.deepEqual(await rows(), [[D - DAY_MS, D + DAY_MS]]);
      const p = (await readPoints(sql, orgId, [id], { fromMs: D - DAY_MS, toMs: D + DAY_MS })).get(id)!;
      assert.equal(p.timestampsMs.length, 2 * 288);
      assert.deepEqual(Array.from(p.timestampsMs), Array.from({ length: 576 }, (_, i) => D - DAY_MS + i * 300_000));
      const hour = await sql.query<{ data: Uint8Array }>('SELECT data FROM rollups_1h WHERE series_id = $1 ORDER BY day', [id]);
      const starts = hour.rows.flatMap((r) => Array.from(decodeRollup(r.data).startsMs));
      assert.deepEqual(starts, Array.from({ length: 48 }, (_, i) => D - DAY_MS + i * 3_600_000));
      const counts = hour.rows.flatMap((r) => Array.from(decodeRollup(r.data).count));
      assert.ok(counts.every((c) => c === 12));
    });
  });
}
