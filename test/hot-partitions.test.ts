// The hot table's two-hour slots (migration 0015, src/metrics/points/hot-partitions.ts): made ahead by
// the job, points routed into them by PostgreSQL, a closed slot compacted whole and emptied by TRUNCATE,
// old empty slots dropped; points no slot covers stay in the default partition and are compacted as
// before. Points go through the real write path (insertPoints) and are read back with readPoints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compactClosedWindows } from '../src/metrics/points/compact.js';
import { HOT_BEHIND_MS, HOT_SLOT_MS, hotSlotName, listHotPartitions, maintainHotPartitions, wantedSlots } from '../src/metrics/points/hot-partitions.js';
import { readPoints } from '../src/metrics/points/read.js';
import { insertPoints } from '../src/metrics/series-store.js';
import { decodeChunk } from '../src/store/chunks/codec.js';
import { COMPACTION_GRACE_MS, DAY_MS } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const H = 3_600_000;

async function newSeries(sql: Sql, orgId: string, key: string): Promise<number> {
  return Number((await sql.query<{ id: number }>(`INSERT INTO series (org_id, key) VALUES ($1, $2) RETURNING id`, [orgId, key])).rows[0]!.id);
}

const rowsIn = async (sql: Sql, table: string) => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

/** Which partition holds each hot row of `id`: table name → rows. */
async function placement(sql: Sql, id: number): Promise<Record<string, number>> {
  const r = await sql.query<{ t: string; n: string }>(`SELECT tableoid::regclass::text AS t, count(*) AS n FROM points WHERE series_id = $1 GROUP BY 1`, [id]);
  return Object.fromEntries(r.rows.map((x) => [x.t, Number(x.n)]));
}

function series(fromMs: number, toMs: number, stepMs: number, seed: number): { t: number[]; v: number[] } {
  const t: number[] = [];
  const v: number[] = [];
  for (let x = fromMs, i = 0; x < toMs; x += stepMs, i++) {
    t.push(x + (i % 3 === 1 ? 7 : 0));
    v.push(Math.round(Math.sin(i / 7 + seed) * 10_000) / 100 + seed / 100);
  }
  return { t, v };
}

async function write(sql: Sql, orgId: string, id: number, p: { t: number[]; v: number[] }, nowMs: number, policy: 'reject' | 'overwrite' = 'reject') {
  return insertPoints(sql, orgId, { seriesIds: p.t.map(() => id), timestampsMs: p.t, values: p.v }, policy, nowMs);
}

async function readAll(sql: Sql, orgId: string, id: number): Promise<{ t: number[]; v: number[] }> {
  const p = (await readPoints(sql, orgId, [id], {})).get(id)!;
  return { t: Array.from(p.timestampsMs), v: Array.from(p.values) };
}

for (const kind of storeKinds) {
  describe(`hot partitions (${kind.name})`, () => {
    let store: TestStore;
    before(async () => {
      store = await openMigrated(kind);
    });
    after(async () => {
      await store?.drop();
    });

    test('the slots two days back to four hours ahead are made once; old empty ones are dropped, a slot with rows stays', async () => {
      const sql = store.sql;
      const now = Date.UTC(2031, 4, 10, 13, 30);
      const first = await maintainHotPartitions(sql, now);
      const wanted = wantedSlots(now);
      assert.equal(wanted.length, 24 + 1 + 2, 'the 24 slots of the two days back, the slot of now (12:00) and the two ahead');
      assert.equal(first.made, wanted.length);
      assert.deepEqual((await listHotPartitions(sql)).filter((p) => p.startMs >= wanted[0]! && p.startMs <= wanted.at(-1)!).map((p) => [p.name, p.endMs - p.startMs]), wanted.map((s) => [hotSlotName(s), HOT_SLOT_MS]));
      assert.equal(hotSlotName(Date.UTC(2031, 4, 10, 12)), 'points_p2031051012');
      assert.deepEqual(await maintainHotPartitions(sql, now), { made: 0, dropped: 0, skipped: 0 });

      // A point lands in the oldest slot; a day later that slot and the other old ones are behind.
      const org = await createOrg(sql, { name: 'slots-upkeep' });
      const id = await newSeries(sql, org.id, 'upkeep');
      await write(sql, org.id, id, { t: [wanted[0]! + 60_000], v: [1] }, now);
      const later = now + DAY_MS;
      const r = await maintainHotPartitions(sql, later);
      assert.equal(r.dropped, 11, 'the eleven empty slots behind two days are dropped');
      assert.equal(r.made, 12);
      const names = new Set((await listHotPartitions(sql)).map((p) => p.name));
      assert.ok(names.has(hotSlotName(wanted[0]!)), 'the slot holding a row stays');
      for (let k = 1; k < 12; k++) assert.ok(!names.has(hotSlotName(wanted[k]!)), hotSlotName(wanted[k]!));
      // Compaction empties it; the next upkeep drops it.
      const c = await compactClosedWindows(sql, later);
      assert.equal(c.points, 1);
      assert.equal((await maintainHotPartitions(sql, later)).dropped, 1);
      assert.deepEqual((await readAll(sql, org.id, id)).t, [wanted[0]! + 60_000]);
    });

    test('a slot whose range already has rows in the default partition is not made; those rows stay readable and are compacted by DELETE', async () => {
      const sql = store.sql;
      const org = await createOrg(sql, { name: 'slots-default' });
      const id = await newSeries(sql, org.id, 'early');
      const now = Date.UTC(2032, 1, 3, 9, 10);
      // Written before the job made any slot of this time: the default partition takes them.
      const p = series(now - 3 * H, now - H, 15_000, 3);
      await write(sql, org.id, id, p, now);
      assert.deepEqual(await placement(sql, id), { points_default: p.t.length });
      const r = await maintainHotPartitions(sql, now);
      assert.ok(r.skipped >= 2, `slots over the default partition's rows are skipped: ${JSON.stringify(r)}`);
      const names = new Set((await listHotPartitions(sql)).map((x) => x.name));
      assert.ok(!names.has(hotSlotName(now - 3 * H)) && !names.has(hotSlotName(now - H - 1)), 'no slot over those rows');
      assert.ok(names.has(hotSlotName(now + H)), 'the slots ahead are made');
      // A later point goes into its slot; all read back in order.
      const q = series(now + H, now + H + 60_000, 15_000, 4);
      await write(sql, org.id, id, q, now + H);
      assert.deepEqual(await placement(sql, id), { points_default: p.t.length, [hotSlotName(now + H)]: q.t.length });
      assert.deepEqual(await readAll(sql, org.id, id), { t: [...p.t, ...q.t], v: [...p.v, ...q.v] });
      // Four hours on, both closed: the default's rows by DELETE, the slot's by TRUNCATE, into chunks.
      const c = await compactClosedWindows(sql, now + 4 * H + COMPACTION_GRACE_MS);
      assert.equal(c.points, p.t.length + q.t.length);
      assert.deepEqual(await placement(sql, id), {});
      assert.deepEqual(await readAll(sql, org.id, id), { t: [...p.t, ...q.t], v: [...p.v, ...q.v] });
    });

    test('a closed slot becomes chunks holding exactly its points and is truncated; an open slot is left; late points into it merge once', async () => {
      const sql = store.sql;
      const org = await createOrg(sql, { name: 'slots-compact' });
      const dense = await newSeries(sql, org.id, 'dense');
      const sparse = await newSeries(sql, org.id, 'sparse');
      const day = Date.UTC(2033, 6, 1);
      await maintainHotPartitions(sql, day + 2 * H);
      // 00:00–06:00 written as they arrive: 15 s (2 h windows) and 60 s (day windows).
      const d = series(day, day + 6 * H, 15_000, 1);
      const s = series(day, day + 6 * H, 60_000, 2);
      await maintainHotPartitions(sql, day + 6 * H);
      await write(sql, org.id, dense, d, day + 6 * H);
      await write(sql, org.id, sparse, s, day + 6 * H);
      assert.equal(Object.keys(await placement(sql, dense)).length, 3, 'three slots');
      // At 04:15 the slots of 00–02 and 02–04 are closed (04–06 is not).
      const now = day + 4 * H + COMPACTION_GRACE_MS + 5 * 60_000;
      const c = await compactClosedWindows(sql, now);
      const before4 = (p: { t: number[] }) => p.t.filter((x) => x < day + 4 * H).length;
      assert.equal(c.points, before4(d) + before4(s));
      assert.equal(await rowsIn(sql, hotSlotName(day)), 0);
      assert.equal(await rowsIn(sql, hotSlotName(day + 2 * H)), 0);
      assert.equal(Number((await sql.query<{ b: string }>(`SELECT pg_relation_size($1) AS b`, [hotSlotName(day)])).rows[0]!.b), 0, 'truncated, not deleted');
      assert.deepEqual(await placement(sql, dense), { [hotSlotName(day + 4 * H)]: d.t.length - before4(d) });
      // The 60 s series got day windows: its day chunk holds the day so far (the open day).
      const widths = await sql.query<{ id: number; w: number }>(`SELECT id, chunk_seconds AS w FROM series WHERE id = ANY($1::bigint[]) ORDER BY id`, [[dense, sparse]]);
      assert.deepEqual(widths.rows.map((r) => Number(r.w)), [7200, 86400]);
      const dayChunk = await sql.query<{ data: Uint8Array; n: number }>(`SELECT data, n FROM chunks WHERE series_id = $1`, [sparse]);
      assert.equal(dayChunk.rows.length, 1);
      assert.deepEqual(Array.from(decodeChunk(dayChunk.rows[0]!.data).timestampsMs), s.t.filter((x) => x < day + 4 * H));
      assert.deepEqual(await readAll(sql, org.id, dense), d);
      assert.deepEqual(await readAll(sql, org.id, sparse), s);

      // Late points into the compacted 00–02 range: a duplicate (rejected), an overwrite, a new point.
      const dup = await write(sql, org.id, dense, { t: [d.t[5]!], v: [d.v[5]!] }, now);
      assert.deepEqual(dup, { inserted: 0, duplicates: 1 });
      const over = await write(sql, org.id, sparse, { t: [s.t[10]!], v: [-7.25] }, now, 'overwrite');
      assert.deepEqual(over, { inserted: 0, duplicates: 1 });
      const added = await write(sql, org.id, dense, { t: [d.t[5]! + 1], v: [42.5] }, now);
      assert.deepEqual(added, { inserted: 1, duplicates: 0 });
      assert.deepEqual(await placement(sql, dense), { [hotSlotName(day)]: 1, [hotSlotName(day + 4 * H)]: d.t.length - before4(d) });
      const s2 = { t: [...s.t], v: [...s.v] };
      s2.v[10] = -7.25;
      const d2 = { t: [...d.t.slice(0, 6), d.t[5]! + 1, ...d.t.slice(6)], v: [...d.v.slice(0, 6), 42.5, ...d.v.slice(6)] };
      assert.deepEqual(await readAll(sql, org.id, sparse), s2);
      assert.deepEqual(await readAll(sql, org.id, dense), d2);
      // The next run takes the slot again (one point merged into its window's chunk) and empties it.
      const again = await compactClosedWindows(sql, now);
      assert.equal(again.points, 2, 'the new point and the overwritten one');
      assert.equal(await rowsIn(sql, hotSlotName(day)), 0);
      assert.deepEqual(await readAll(sql, org.id, dense), d2);
      assert.deepEqual(await readAll(sql, org.id, sparse), s2);

      // The rest of the day: the 60 s series' later slots merge into its day chunk; at the day's end it is whole.
      const end = day + DAY_MS + COMPACTION_GRACE_MS;
      await compactClosedWindows(sql, end);
      const whole = await sql.query<{ data: Uint8Array; n: number }>(`SELECT data, n FROM chunks WHERE series_id = $1`, [sparse]);
      assert.equal(whole.rows.length, 1);
      assert.equal(whole.rows[0]!.n, s.t.length);
      assert.deepEqual(Array.from(decodeChunk(whole.rows[0]!.data).values), s2.v);
      assert.equal(await rowsIn(sql, 'points'), 0);
    });

    // PostgreSQL only: PGlite has one connection, so nothing can hold a slot while compaction runs.
    if (kind.name === 'postgres') test('a slot held by a long read is emptied by DELETE instead of waiting for TRUNCATE', async () => {
      const sql = store.sql;
      const org = await createOrg(sql, { name: 'slots-held' });
      const id = await newSeries(sql, org.id, 'held');
      const t = Date.UTC(2035, 8, 9, 2);
      await maintainHotPartitions(sql, t);
      const p = series(t, t + H, 15_000, 5);
      await write(sql, org.id, id, p, t + H);
      const slot = hotSlotName(t);
      let compacted: Awaited<ReturnType<typeof compactClosedWindows>> | undefined;
      await sql.transaction(async (reader) => {
        // A reader's transaction holds the slot (ACCESS SHARE) until it ends.
        assert.equal(await rowsIn(reader, slot), p.t.length);
        compacted = await compactClosedWindows(sql, t + 2 * H + COMPACTION_GRACE_MS, { truncateLockTimeoutMs: 100 });
      });
      assert.equal(compacted!.points, p.t.length);
      assert.equal(await rowsIn(sql, slot), 0, 'the rows were deleted');
      assert.ok(Number((await sql.query<{ b: string }>(`SELECT pg_relation_size($1) AS b`, [slot])).rows[0]!.b) > 0, 'not truncated');
      assert.deepEqual(await readAll(sql, org.id, id), p);
      assert.equal((await compactClosedWindows(sql, t + 2 * H + COMPACTION_GRACE_MS)).points, 0);
    });

    test('a slot behind the two days still compacts and is dropped only once empty', async () => {
      const sql = store.sql;
      const org = await createOrg(sql, { name: 'slots-old' });
      const id = await newSeries(sql, org.id, 'old');
      const t = Date.UTC(2034, 2, 2, 8);
      await maintainHotPartitions(sql, t);
      const p = series(t, t + 30 * 60_000, 15_000, 9);
      await write(sql, org.id, id, p, t + 30 * 60_000);
      const far = t + HOT_BEHIND_MS + 6 * H;
      const up = await maintainHotPartitions(sql, far);
      assert.ok((await listHotPartitions(sql)).some((x) => x.startMs === t), 'its slot holds rows: kept');
      assert.ok(up.dropped > 0);
      await compactClosedWindows(sql, far);
      await maintainHotPartitions(sql, far);
      assert.ok(!(await listHotPartitions(sql)).some((x) => x.startMs === t), 'emptied, then dropped');
      assert.deepEqual(await readAll(sql, org.id, id), p);
    });
  });
}
