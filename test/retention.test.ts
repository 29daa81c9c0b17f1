// Retention (issue 18): the settings API per organisation, its place in the series catalogue, and the
// enforcement the maintenance job runs (whole partitions dropped, the rest deleted per organisation).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runMaintenance } from '../src/jobs/maintenance.js';
import { listPartitions, ensurePartitions, type PartitionedTable } from '../src/metrics/points/partitions.js';
import { DEFAULT_RETENTION, enforceRetention, retentionProblems, setRetention, type RetentionSettings } from '../src/metrics/points/retention.js';
import { encodeChunk } from '../src/store/chunks/codec.js';
import { computeRollup, encodeRollup } from '../src/store/chunks/rollup.js';
import { DAY_MS, monthBoundsMs } from '../src/store/chunks/window.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError } from './helpers/ingest.js';
import { whileHeld } from './helpers/locks.js';
import { openMigrated, storeKinds, type TestStore } from './helpers/stores.js';

const defaults = { rawDays: 30, rollup5mDays: 400, rollup1hDays: 1825 };
const H = 3_600_000;

test('retentionProblems: ranges, whole days, and no coarser level expiring before a finer one', () => {
  assert.deepEqual(DEFAULT_RETENTION, defaults);
  assert.deepEqual(retentionProblems(defaults), []);
  assert.deepEqual(retentionProblems({ rawDays: 1, rollup5mDays: 1, rollup1hDays: 1 }), []);
  assert.deepEqual(retentionProblems({ rawDays: 36_500, rollup5mDays: 36_500, rollup1hDays: 36_500 }), []);
  const fieldsOf = (s: RetentionSettings) => retentionProblems(s).map((p) => p.field);
  assert.deepEqual(fieldsOf({ rawDays: 0, rollup5mDays: 10, rollup1hDays: 10 }), ['rawDays']);
  assert.deepEqual(fieldsOf({ rawDays: 1.5, rollup5mDays: 36_501, rollup1hDays: Number.NaN }), ['rawDays', 'rollup5mDays', 'rollup1hDays']);
  assert.deepEqual(fieldsOf({ rawDays: 31, rollup5mDays: 30, rollup1hDays: 400 }), ['rollup5mDays']);
  assert.deepEqual(fieldsOf({ rawDays: 30, rollup5mDays: 400, rollup1hDays: 399 }), ['rollup1hDays']);
  assert.deepEqual(fieldsOf({ rawDays: 50, rollup5mDays: 40, rollup1hDays: 30 }), ['rollup5mDays', 'rollup1hDays']);
});

for (const kind of storeKinds) {
  describe(`retention settings over HTTP (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind });
    });
    after(async () => t.close());

    const call = (method: 'GET' | 'PUT' | 'DELETE', key: string, payload?: object) =>
      t.app.inject({ method, url: '/api/v1/retention', headers: bearer(key), ...(payload ? { payload } : {}) });
    const catalogue = async (key: string) => {
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/metrics', headers: bearer(key) });
      assert.equal(r.statusCode, 200, r.body);
      return (r.json() as { retention: unknown }).retention;
    };

    test('GET: the defaults while nothing is set; the catalogue shows them', async () => {
      const o = await t.newOrg('Fresh Retention');
      const r = await call('GET', o.key);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { ...defaults, defaults, isDefault: true });
      assert.deepEqual(await catalogue(o.key), defaults);
    });

    test('PUT a valid setting: GET and the catalogue return it; DELETE brings back the defaults', async () => {
      const o = await t.newOrg('Set Retention');
      const wanted = { rawDays: 7, rollup5mDays: 90, rollup1hDays: 730 };
      const put = await call('PUT', o.key, wanted);
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual(put.json(), { ...wanted, defaults, isDefault: false });
      assert.deepEqual((await call('GET', o.key)).json(), { ...wanted, defaults, isDefault: false });
      assert.deepEqual(await catalogue(o.key), wanted);
      // Full replace: a second PUT replaces every field.
      const again = { rawDays: 1, rollup5mDays: 1, rollup1hDays: 36_500 };
      assert.equal((await call('PUT', o.key, again)).statusCode, 200);
      assert.deepEqual((await call('GET', o.key)).json(), { ...again, defaults, isDefault: false });
      const stored = await t.sql.query('SELECT raw_days, rollup_5m_days, rollup_1h_days FROM retention_settings WHERE org_id = $1', [o.org.id]);
      assert.deepEqual(stored.rows, [{ raw_days: 1, rollup_5m_days: 1, rollup_1h_days: 36_500 }]);

      const del = await call('DELETE', o.key);
      assert.equal(del.statusCode, 200, del.body);
      assert.deepEqual(del.json(), { ...defaults, defaults, isDefault: true });
      assert.deepEqual((await call('GET', o.key)).json(), { ...defaults, defaults, isDefault: true });
      assert.deepEqual(await catalogue(o.key), defaults);
      assert.equal((await t.sql.query('SELECT 1 FROM retention_settings WHERE org_id = $1', [o.org.id])).rowCount, 0);
    });

    test('invalid settings: 400 validation_failed naming the field, nothing stored', async () => {
      const o = await t.newOrg('Bad Retention');
      const cases: [object, string][] = [
        [{ rawDays: 31, rollup5mDays: 30, rollup1hDays: 400 }, 'body.rollup5mDays'],
        [{ rawDays: 30, rollup5mDays: 400, rollup1hDays: 399 }, 'body.rollup1hDays'],
        [{ rawDays: 0, rollup5mDays: 400, rollup1hDays: 1825 }, 'body.rawDays'],
        [{ rawDays: 30, rollup5mDays: 36_501, rollup1hDays: 40_000 }, 'body.rollup5mDays'],
        [{ rawDays: 1.5, rollup5mDays: 400, rollup1hDays: 1825 }, 'body.rawDays'],
        [{ rawDays: '30', rollup5mDays: 400, rollup1hDays: 1825 }, 'body.rawDays'],
        [{ rawDays: 30, rollup5mDays: 400 }, 'body.rollup1hDays'],
        [{ rawDays: 30, rollup5mDays: 400, rollup1hDays: 1825, extra: 1 }, 'body.extra'],
      ];
      for (const [payload, field] of cases) {
        const r = await call('PUT', o.key, payload);
        const err = assertError(r, 400, 'validation_failed');
        const fields = (err.details as { field: string }[]).map((d) => d.field);
        assert.ok(fields.includes(field), `${JSON.stringify(payload)} names ${field}: ${r.body}`);
      }
      // The cross-field rule names only the field that breaks it.
      const err = assertError(await call('PUT', o.key, { rawDays: 31, rollup5mDays: 30, rollup1hDays: 400 }), 400, 'validation_failed');
      assert.deepEqual((err.details as { field: string }[]).map((d) => d.field), ['body.rollup5mDays']);
      assert.match(err.message, /rollup5mDays/);
      assert.deepEqual((await call('GET', o.key)).json(), { ...defaults, defaults, isDefault: true });
    });

    test("one organisation's settings leave another's untouched", async () => {
      const a = await t.newOrg('Retention A');
      const b = await t.newOrg('Retention B');
      const bSettings = { rawDays: 14, rollup5mDays: 140, rollup1hDays: 1400 };
      assert.equal((await call('PUT', b.key, bSettings)).statusCode, 200);
      assert.equal((await call('PUT', a.key, { rawDays: 2, rollup5mDays: 3, rollup1hDays: 4 })).statusCode, 200);
      assert.equal((await call('DELETE', a.key)).statusCode, 200);
      assert.deepEqual((await call('GET', b.key)).json(), { ...bSettings, defaults, isDefault: false });
      assert.deepEqual(await catalogue(b.key), bSettings);
      assert.deepEqual((await call('GET', a.key)).json(), { ...defaults, defaults, isDefault: true });
      // The test app's own organisation never set anything.
      assert.deepEqual((await call('GET', t.adminKey)).json(), { ...defaults, defaults, isDefault: true });
    });

    test('scopes: a read key reads but cannot PUT or DELETE (403); a write key cannot either', async () => {
      const reader = await t.newKey(['read']);
      const writer = await t.newKey(['write']);
      assert.equal((await call('GET', reader.secret)).statusCode, 200);
      for (const k of [reader, writer]) {
        const err = assertError(await call('PUT', k.secret, { rawDays: 1, rollup5mDays: 1, rollup1hDays: 1 }), 403, 'insufficient_scope');
        assert.equal((err.details as { required: string }).required, 'admin');
        assertError(await call('DELETE', k.secret), 403, 'insufficient_scope');
      }
      assert.deepEqual((await call('GET', t.adminKey)).json(), { ...defaults, defaults, isDefault: true });
      const admin = await t.newKey(['admin']);
      assert.equal((await call('PUT', admin.secret, { rawDays: 30, rollup5mDays: 400, rollup1hDays: 1825 })).statusCode, 200);
      assert.equal((await call('GET', reader.secret)).json().isDefault, false);
      assert.equal((await call('DELETE', admin.secret)).statusCode, 200);
    });

    test('without a key: 401', async () => {
      assertError(await t.app.inject({ method: 'GET', url: '/api/v1/retention' }), 401, 'missing_api_key');
    });
  });

  describe(`retention enforcement (${kind.name})`, () => {
    // Day chunk partitions and month rollup partitions, as a store of a million points a day or more
    // gets (partitions.ts); the wider ones of small stores: test/partitions.test.ts.
    // Fixed clock: 2026-06-15 12:00 UTC.
    const NOW = Date.UTC(2026, 5, 15, 12);
    const A: RetentionSettings = { rawDays: 3, rollup5mDays: 10, rollup1hDays: 40 };
    const B: RetentionSettings = { rawDays: 7, rollup5mDays: 20, rollup1hDays: 60 };
    let store: TestStore;
    let sql: Sql;
    let orgA: string;
    let orgB: string;
    /** Series id → its organisation's settings. */
    const settingsOf = new Map<number, RetentionSettings>();
    const width = new Map<number, number>();

    const newSeries = async (orgId: string, key: string, chunkSeconds: 7200 | 86400, s: RetentionSettings) => {
      const r = await sql.query<{ id: string }>('INSERT INTO series (org_id, key, chunk_seconds) VALUES ($1, $2, $3) RETURNING id', [orgId, key, chunkSeconds]);
      const id = Number(r.rows[0]!.id);
      settingsOf.set(id, s);
      width.set(id, chunkSeconds * 1000);
      return id;
    };
    const points = (startMs: number, n: number, stepMs: number) => {
      const ts = new Float64Array(n);
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        ts[i] = startMs + i * stepMs;
        v[i] = Math.round(100 * Math.sin(i / 7)) / 100;
      }
      return { ts, v };
    };
    const addChunk = async (seriesId: number, windowStartMs: number) => {
      const w = width.get(seriesId)!;
      const { ts, v } = points(windowStartMs, 24, w / 24);
      await ensurePartitions(sql, 'chunks', [windowStartMs], 'day');
      await sql.query('INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data) VALUES ($1, $2, $3, $4, $5, $6)', [
        seriesId,
        new Date(windowStartMs),
        new Date(ts[0]!),
        new Date(ts[ts.length - 1]!),
        ts.length,
        encodeChunk(ts, v),
      ]);
    };
    const addRollup = async (table: 'rollups_5m' | 'rollups_1h', seriesId: number, dayMs: number) => {
      const { ts, v } = points(dayMs, 288 * 4, 75_000);
      await ensurePartitions(sql, table, [dayMs], 'month');
      await sql.query(`INSERT INTO ${table} (series_id, day, data) VALUES ($1, $2, $3)`, [seriesId, new Date(dayMs), encodeRollup(computeRollup(ts, v, table === 'rollups_5m' ? 300_000 : H))]);
    };
    const addHot = async (seriesId: number, tsMs: number) => {
      await sql.query('INSERT INTO points (series_id, ts, value) VALUES ($1, $2, $3)', [seriesId, new Date(tsMs), tsMs / 1e9]);
    };

    const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Date.parse(String(v)));
    /** Every stored row, as `series@time` strings per table. */
    const snapshot = async () => {
      const rows = async (q: string) => (await sql.query<{ s: string; t: unknown }>(q)).rows.map((r) => `${Number(r.s)}@${ms(r.t)}`).sort();
      return {
        hot: await rows('SELECT series_id AS s, ts AS t FROM points'),
        chunks: await rows('SELECT series_id AS s, window_start AS t FROM chunks'),
        rollups_5m: await rows('SELECT series_id AS s, day AS t FROM rollups_5m'),
        rollups_1h: await rows('SELECT series_id AS s, day AS t FROM rollups_1h'),
      };
    };
    const partitionNames = async (table: PartitionedTable) => (await listPartitions(sql, table)).map((p) => p.name);
    let inserted: Awaited<ReturnType<typeof snapshot>>;
    let seriesA: number;
    let seriesB2h: number;
    let seriesBDay: number;

    before(async () => {
      store = await openMigrated(kind);
      sql = store.sql;
      // Only these two organisations exist in this store, so their retention alone decides the drops.
      orgA = (await createOrg(sql, { name: 'Keeps 3 days', slug: 'keeps-3' })).id;
      orgB = (await createOrg(sql, { name: 'Keeps 7 days', slug: 'keeps-7' })).id;
      await setRetention(sql, orgA, A);
      await setRetention(sql, orgB, B);
      seriesA = await newSeries(orgA, 'a.cpu', 7200, A);
      seriesB2h = await newSeries(orgB, 'b.cpu', 7200, B);
      seriesBDay = await newSeries(orgB, 'b.disk', 86400, B);
      const day0 = Date.UTC(2026, 5, 5); // June 5 … June 15
      for (let d = 0; d <= 10; d++) {
        const dayMs = day0 + d * DAY_MS;
        for (const sid of [seriesA, seriesB2h]) for (const h of [0, 10, 12, 22]) if (dayMs + (h + 2) * H <= NOW - 10 * 60_000) await addChunk(sid, dayMs + h * H);
        if (dayMs + DAY_MS <= NOW) await addChunk(seriesBDay, dayMs);
      }
      // Hot rows (late data and recent data), both sides of each raw cutoff.
      for (const sid of [seriesA, seriesB2h, seriesBDay]) {
        for (const tsMs of [Date.UTC(2026, 5, 1, 3), Date.UTC(2026, 5, 8, 11, 59), Date.UTC(2026, 5, 8, 12, 1), Date.UTC(2026, 5, 12, 11), Date.UTC(2026, 5, 12, 13), NOW - 60_000]) await addHot(sid, tsMs);
      }
      // Rollup days over three months, both sides of each cutoff.
      for (const sid of [seriesA, seriesB2h]) {
        for (const [m, d] of [[3, 20], [4, 10], [4, 20], [4, 27], [5, 10], [5, 20], [5, 25], [5, 26], [5, 27], [6, 4], [6, 5], [6, 14]] as const) {
          const dayMs = Date.UTC(2026, m - 1, d);
          await addRollup('rollups_5m', sid, dayMs);
          await addRollup('rollups_1h', sid, dayMs);
        }
        // 1-hour month rows (keyed by the month's first day, holding days of the whole month).
        for (const m of [4, 5]) await addRollup('rollups_1h', sid, Date.UTC(2026, m - 1, 1));
      }
      inserted = await snapshot();
    });
    after(async () => store.drop());

    test('expired rows go per organisation, whole partitions past every cutoff are dropped, a second run changes nothing', async () => {
      const r = await enforceRetention(sql, NOW);
      const after1 = await snapshot();

      // The rule, row by row: a row goes once it lies wholly before its organisation's cutoff.
      const keep = (table: keyof typeof inserted, row: string) => {
        const [sid, tsMs] = row.split('@').map(Number) as [number, number];
        const s = settingsOf.get(sid)!;
        if (table === 'hot') return tsMs >= NOW - s.rawDays * DAY_MS;
        if (table === 'chunks') return tsMs + width.get(sid)! > NOW - s.rawDays * DAY_MS;
        const days = table === 'rollups_5m' ? s.rollup5mDays : s.rollup1hDays;
        // A 1-hour row keyed by a month's first day spans the month.
        const end = table === 'rollups_1h' && new Date(tsMs).getUTCDate() === 1 ? monthBoundsMs(tsMs).endMs : tsMs + DAY_MS;
        return end > NOW - days * DAY_MS;
      };
      for (const table of ['hot', 'chunks', 'rollups_5m', 'rollups_1h'] as const) {
        const expected = inserted[table].filter((row) => keep(table, row));
        assert.deepEqual(after1[table], expected, table);
        assert.ok(expected.length > 0 && expected.length < inserted[table].length, `${table}: some kept, some expired`);
      }
      // By hand, at the edges. A's raw cutoff is June 12 12:00, B's June 8 12:00.
      const has = (table: keyof typeof inserted, sid: number, tsMs: number) => after1[table].includes(`${sid}@${tsMs}`);
      assert.equal(has('chunks', seriesA, Date.UTC(2026, 5, 12, 10)), false, 'A: window ending exactly at the cutoff goes');
      assert.equal(has('chunks', seriesA, Date.UTC(2026, 5, 12, 12)), true, 'A: window after the cutoff stays');
      assert.equal(has('chunks', seriesB2h, Date.UTC(2026, 5, 8, 10)), false, 'B: June 8 10:00–12:00 goes');
      assert.equal(has('chunks', seriesB2h, Date.UTC(2026, 5, 8, 12)), true, 'B: June 8 12:00–14:00 stays');
      assert.equal(has('chunks', seriesBDay, Date.UTC(2026, 5, 8)), true, 'B: the day window of June 8 straddles the cutoff and stays whole');
      assert.equal(has('chunks', seriesBDay, Date.UTC(2026, 5, 7)), false);
      assert.equal(has('hot', seriesB2h, Date.UTC(2026, 5, 8, 11, 59)), false);
      assert.equal(has('hot', seriesB2h, Date.UTC(2026, 5, 8, 12, 1)), true);
      assert.equal(has('hot', seriesA, Date.UTC(2026, 5, 12, 11)), false);
      assert.equal(has('hot', seriesA, Date.UTC(2026, 5, 12, 13)), true);
      assert.equal(has('rollups_5m', seriesA, Date.UTC(2026, 5, 4)), false, 'A: June 4 ends before June 5 12:00');
      assert.equal(has('rollups_5m', seriesA, Date.UTC(2026, 5, 5)), true, 'A: June 5 straddles its 5m cutoff');
      assert.equal(has('rollups_5m', seriesB2h, Date.UTC(2026, 4, 26)), true, 'B: May 26 straddles its 5m cutoff');
      assert.equal(has('rollups_5m', seriesB2h, Date.UTC(2026, 4, 25)), false);
      assert.equal(has('rollups_1h', seriesB2h, Date.UTC(2026, 3, 20)), true, 'B keeps April 20 at 1 h (60 days)');
      assert.equal(has('rollups_1h', seriesA, Date.UTC(2026, 3, 20)), false, 'A does not (40 days)');
      assert.equal(has('rollups_1h', seriesA, Date.UTC(2026, 4, 1)), true, 'A keeps its May month row: May ends after its 1 h cutoff');
      assert.equal(has('rollups_1h', seriesA, Date.UTC(2026, 3, 1)), false, 'A: the April month row ends before it');
      assert.equal(has('rollups_1h', seriesB2h, Date.UTC(2026, 3, 1)), true, 'B: the April month row straddles its 1 h cutoff');

      // Partitions: B needs raw data from June 8 12:00, 5m from May 26 12:00, 1h from April 16 12:00.
      const chunkParts = await partitionNames('chunks');
      assert.equal(chunkParts[0], 'chunks_p20260608', chunkParts.join());
      assert.ok(!chunkParts.includes('chunks_p20260607'));
      assert.deepEqual(await partitionNames('rollups_5m'), ['rollups_5m_p202605', 'rollups_5m_p202606']);
      assert.deepEqual(await partitionNames('rollups_1h'), ['rollups_1h_p202604', 'rollups_1h_p202605', 'rollups_1h_p202606']);
      // Dropped: chunk days June 5, 6, 7; rollups_5m March and April; rollups_1h March.
      assert.equal(r.droppedPartitions, 3 + 2 + 1);
      const goneIn = (table: keyof typeof inserted) => inserted[table].length - after1[table].length;
      assert.equal(r.deletedHotRows, goneIn('hot'));
      // Rows in dropped partitions are not counted as deleted: they went with their partition.
      const inDropped = (table: 'chunks' | 'rollups_5m' | 'rollups_1h', endMs: number) => inserted[table].filter((row) => Number(row.split('@')[1]) < endMs).length;
      assert.equal(r.deletedChunks, goneIn('chunks') - inDropped('chunks', Date.UTC(2026, 5, 8)));
      assert.equal(r.deletedRollups, goneIn('rollups_5m') - inDropped('rollups_5m', Date.UTC(2026, 4, 1)) + goneIn('rollups_1h') - inDropped('rollups_1h', Date.UTC(2026, 3, 1)));
      assert.ok(r.deletedChunks > 0 && r.deletedRollups > 0 && r.deletedHotRows > 0, JSON.stringify(r));
      assert.ok(r.ms >= 0);

      // The maintenance job runs it; at the same time there is nothing left to do. It also merges the
      // small closed partitions (partition-merge.ts): the same days covered, in fewer partitions, the
      // days of B's day-wide series in the merged one (June 8–12) packed into one row on the way
      // (chunk-pack.ts; June 13 and 14 are in day partitions not merged).
      const covered = async (table: PartitionedTable) => (await listPartitions(sql, table)).map((p) => [p.startMs, p.endMs] as const);
      const days = (spans: (readonly [number, number])[]) => spans.reduce((n, [a, b]) => n + (b - a) / DAY_MS, 0);
      const chunksBefore = await covered('chunks');
      const m = await runMaintenance(sql, new Date(NOW));
      assert.deepEqual({ ...m.retention, ms: 0 }, { droppedPartitions: 0, deletedChunks: 0, deletedRollups: 0, deletedHotRows: 0, ms: 0 });
      const packedInto = (row: string) => row.startsWith(`${seriesBDay}@`) && Number(row.split('@')[1]) > Date.UTC(2026, 5, 8) && Number(row.split('@')[1]) < Date.UTC(2026, 5, 13);
      assert.deepEqual(await snapshot(), { ...after1, chunks: after1.chunks.filter((row) => !packedInto(row)) });
      const packedRow = await sql.query<{ e: Date }>('SELECT window_end AS e FROM chunks WHERE series_id = $1 AND window_start = $2', [seriesBDay, new Date(Date.UTC(2026, 5, 8))]);
      assert.equal(new Date(packedRow.rows[0]!.e).getTime(), Date.UTC(2026, 5, 13));
      assert.deepEqual(m.partitions, { made: ['chunks_p20260608_20260613', 'rollups_1h_p20260401_20260601'], replaced: 5 + 2, blocked: 0 });
      const chunksAfter = await covered('chunks');
      assert.deepEqual([chunksAfter[0]![0], chunksAfter.at(-1)![1], days(chunksAfter)], [chunksBefore[0]![0], chunksBefore.at(-1)![1], days(chunksBefore)]);
      assert.deepEqual(await partitionNames('chunks'), ['chunks_p20260608_20260613', ...chunkParts.slice(5)]);
    });

    test('an organisation without settings keeps the default 30 days: its partitions stay', async () => {
      const orgC = (await createOrg(sql, { name: 'Keeps defaults', slug: 'keeps-default' })).id;
      const seriesC = await newSeries(orgC, 'c.cpu', 86400, { ...DEFAULT_RETENTION });
      const june1 = Date.UTC(2026, 5, 1);
      await addChunk(seriesC, june1);
      await addChunk(seriesC, Date.UTC(2026, 4, 10)); // 36 days before NOW: past C's 30 days
      await addRollup('rollups_5m', seriesC, Date.UTC(2026, 3, 2));
      const before1 = await snapshot();
      const r = await enforceRetention(sql, NOW);
      const after1 = await snapshot();
      // C's May 10 chunk's partition (ended May 11, before C's cutoff May 16 12:00) is dropped; June 1 is C's and stays.
      assert.ok(!(await partitionNames('chunks')).includes('chunks_p20260510'));
      assert.ok((await partitionNames('chunks')).includes('chunks_p20260601'));
      assert.ok(after1.chunks.includes(`${seriesC}@${june1}`));
      assert.ok(after1.rollups_5m.includes(`${seriesC}@${Date.UTC(2026, 3, 2)}`), 'April 2 is within C\'s 400 days of 5m rollups');
      assert.ok((await partitionNames('rollups_5m')).includes('rollups_5m_p202604'));
      assert.equal(r.droppedPartitions, 1);
      assert.deepEqual(after1, { ...before1, chunks: before1.chunks.filter((x) => x !== `${seriesC}@${Date.UTC(2026, 4, 10)}`) });
      // A and B's rows in C's partitions are still deleted per organisation (there were none left to delete).
      assert.equal(r.deletedChunks + r.deletedRollups + r.deletedHotRows, 0);
    });

    test('10,000 points in a partition past every cutoff go with one DROP, no row deletes', async () => {
      const old = Date.UTC(2026, 4, 1); // before every raw cutoff, including C's default
      const { ts, v } = points(old, 10_000, 8_000); // ~22 h in one day window
      await ensurePartitions(sql, 'chunks', [old], 'day');
      await sql.query('INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data) VALUES ($1, $2, $3, $4, $5, $6)', [seriesBDay, new Date(old), new Date(ts[0]!), new Date(ts[9_999]!), 10_000, encodeChunk(ts, v)]);
      const r = await enforceRetention(sql, NOW);
      assert.deepEqual({ ...r, ms: 0 }, { droppedPartitions: 1, deletedChunks: 0, deletedRollups: 0, deletedHotRows: 0, ms: 0 });
      assert.ok(!(await partitionNames('chunks')).includes('chunks_p20260501'));
      assert.equal((await sql.query('SELECT 1 FROM chunks WHERE window_start = $1', [new Date(old)])).rowCount, 0);
    });

    // Another connection holding a partition's lock: only PostgreSQL has more than one (the embedded
    // store runs every statement on its one connection, so nothing can hold a lock while a drop waits).
    if (kind.name === 'postgres') {
      test('a partition locked by a long query is not waited for: its rows are deleted instead, the next run drops it', async () => {
        const day = Date.UTC(2026, 4, 2);
        await addChunk(seriesBDay, day);
        await whileHeld(
          await store.connectAgain!(),
          async (tx) => void (await tx.query('LOCK TABLE chunks_p20260502 IN ACCESS SHARE MODE')),
          async () => {
            const r = await enforceRetention(sql, NOW, { lockTimeoutMs: 100 });
            assert.deepEqual({ ...r, ms: 0 }, { droppedPartitions: 0, deletedChunks: 1, deletedRollups: 0, deletedHotRows: 0, ms: 0 });
            assert.ok((await partitionNames('chunks')).includes('chunks_p20260502'));
          },
        );
        const r2 = await enforceRetention(sql, NOW);
        assert.deepEqual({ ...r2, ms: 0 }, { droppedPartitions: 1, deletedChunks: 0, deletedRollups: 0, deletedHotRows: 0, ms: 0 });
        assert.ok(!(await partitionNames('chunks')).includes('chunks_p20260502'));
        // The partition can be made again and written to (the store forgot it when it was dropped).
        await addChunk(seriesBDay, day);
        assert.equal((await sql.query('SELECT 1 FROM chunks WHERE window_start = $1', [new Date(day)])).rowCount, 1);
      });
    }
  });
}
