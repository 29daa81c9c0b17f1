// `npm run bench:storage-live`: bytes a point of live stores (issue 18), where bench:storage's (a) writes
// its sets at once and compacts them the first time. Two sets, each in a fresh store:
//   - BENCH_LIVE_SERIES (50) series of 5-minute gauges (bench:storage's year-set formula) over
//     BENCH_LIVE_DAYS (120), written a day at a time;
//   - BENCH_LIVE_SCRAPE_SERIES (50) scrape-shaped series (15 s, bench/protocol-bodies.ts' 2-decimal noise)
//     over BENCH_LIVE_SCRAPE_DAYS (14), written two hours at a time;
// each stretch compacted once it has closed (compactClosedWindows); then, on the embedded store, what its
// compaction job does next (vacuumPointsIfNeeded, vacuumDueTables: autovacuum's rule over the other tables),
// and on PostgreSQL a VACUUM of the tables, standing in for autovacuum (which applies the same rule when its
// statistics catch up, a little later: so this is slightly optimistic there); at the end, the total relation sizes (every partition, index, TOAST) of chunks +
// rollups over the points. Live rows are rewritten as time passes (a sparse series' packed chunk row and
// 1-hour month row as days close, a dense series' 5-minute day row as windows close), so the figure
// includes the space VACUUM frees and later versions reuse. PostgreSQL (a fresh temporary database) and
// the embedded store (a temporary directory); BENCH_STORES picks them. bench/results/storage-live.json
// (BENCH_RESULTS_DIR).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { vacuumDueTables, vacuumPointsIfNeeded } from '../src/jobs/embedded-vacuum.js';
import { compactClosedWindows } from '../src/metrics/points/compact.js';
import { COMPACTION_GRACE_MS, DAY_MS } from '../src/store/chunks/window.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { envInt, envList, machine, openStore, pointTableBytes, round, runBench, storedPoints, writeResult, type PointTable } from './lib.js';

type Kind = 'postgres' | 'embedded';
const kinds: Kind[] = ['postgres', 'embedded'];
const settings = {
  stores: envList('BENCH_STORES', kinds, kinds),
  series: envInt('BENCH_LIVE_SERIES', 50),
  days: envInt('BENCH_LIVE_DAYS', 120),
  scrapeSeries: envInt('BENCH_LIVE_SCRAPE_SERIES', 50),
  scrapeDays: envInt('BENCH_LIVE_SCRAPE_DAYS', 14),
};
const targets = { bytesPerPoint: 3 };
const compacted: PointTable[] = ['chunks', 'rollups_5m', 'rollups_1h'];
const log = (kind: Kind, text: string) => console.log(`  ${kind.padEnd(8)} ${text}`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en');

/** One live set: its series, span, how often it is written and compacted, and its values (SQL over t ms, k series ordinal, j point ordinal). */
interface LiveSet {
  name: string;
  series: number;
  days: number;
  stepMs: number;
  /** Written, compacted and VACUUMed this often (a day for 5-minute data, a two-hour window for 15 s). */
  everyMs: number;
  value: string;
}

const sets = (): LiveSet[] => [
  // bench:storage's year-set gauges: a daily cycle, a slow drift and a wobble, in cents.
  { name: '5-minute gauges', series: settings.series, days: settings.days, stepMs: 300_000, everyMs: DAY_MS, value: 'round((50 + 20 * sin(t::float8 / 86400000.0 * 2 * pi() + s.k) + 5 * sin(t::float8 / 2.9e8) + 3 * sin(t::float8 * 7.31 + s.k))::numeric, 2)::float8' },
  // bench:ingest's and bench:storage's scrape values (bench/protocol-bodies.ts valueOf: 2-decimal noise in ±100 plus s/100).
  { name: 'scrape-shaped 15 s', series: settings.scrapeSeries, days: settings.scrapeDays, stepMs: 15_000, everyMs: 7_200_000, value: `round(sin((t / 15000 * ${settings.scrapeSeries} + s.k)::float8 / 97) * 1e4) / 100 + s.k / 100.0` },
];

async function liveSet(kind: Kind, set: LiveSet): Promise<Record<string, unknown>> {
  const store = await openStore(kind, 'live');
  if (kind === 'embedded') mkdirSync(store.dataDir!, { recursive: true });
  const sql = kind === 'postgres' ? await openPostgres({ url: store.url!, max: 2 }) : await openPglite({ dataDir: join(store.dataDir!, 'pg') });
  try {
    await migrate(sql, loadMigrations());
    const orgId = (await createOrg(sql, { name: 'live', slug: 'live' })).id;
    const ids: number[] = [];
    for (let i = 0; i < set.series; i++) {
      ids.push(Number((await sql.query<{ id: string }>('INSERT INTO series (org_id, key, dimensions) VALUES ($1, $2, $3) RETURNING id', [orgId, 'bench.live', JSON.stringify({ s: String(i) })])).rows[0]!.id));
    }
    const end = Math.floor(Date.now() / DAY_MS) * DAY_MS - 3 * DAY_MS;
    const start = end - set.days * DAY_MS;
    const t0 = performance.now();
    for (let at = start; at < end; at += set.everyMs) {
      // A stretch of every series in one statement, then compaction once it has closed, then the vacuums.
      await sql.query(
        `INSERT INTO points (series_id, ts, value)
         SELECT s.id, to_timestamp(t::float8 / 1000), ${set.value}
         FROM unnest($1::int8[]) WITH ORDINALITY AS s(id, k), generate_series($2::int8, $2::int8 + $3::int8 - 1, $4::int8) AS t`,
        [ids, at, set.everyMs, set.stepMs],
      );
      await compactClosedWindows(sql, at + set.everyMs + COMPACTION_GRACE_MS + 60_000);
      if (kind === 'embedded') {
        await vacuumPointsIfNeeded(sql);
        await vacuumDueTables(sql);
      } else await sql.exec('VACUUM chunks, rollups_5m, rollups_1h, points');
    }
    const ms = Math.round(performance.now() - t0);
    const points = set.series * ((set.days * DAY_MS) / set.stepMs);
    const stored = await storedPoints(sql);
    if (stored !== points) throw new Error(`${kind} ${set.name}: ${stored} points stored, ${points} written`);
    const sizes = await pointTableBytes(sql);
    const rows = Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM chunks')).rows[0]!.n);
    const total = compacted.reduce((a, t) => a + sizes[t], 0);
    const bpp = round(total / points, 2);
    const per = (t: PointTable) => round(sizes[t] / points, 2);
    log(kind, `${set.name}, ${set.series} series × ${set.days} d, compacted every ${set.everyMs / 3_600_000} h: ${bpp} bytes a point (chunks ${per('chunks')} in ${fmtInt(rows)} rows, 5-minute rollups ${per('rollups_5m')}, 1-hour ${per('rollups_1h')}; ${fmtInt(points)} points in ${ms} ms)   target ≤ ${targets.bytesPerPoint}`);
    return { series: set.series, days: set.days, stepMs: set.stepMs, everyMs: set.everyMs, points, chunkRows: rows, sizes, bytesPerPoint: bpp, ms };
  } finally {
    await sql.close();
    await store.drop();
  }
}

runBench(async () => {
  console.log(`storage-live bench: ${settings.stores.join(', ')}; ${sets().map((x) => `${x.name}: ${x.series} series × ${x.days} days`).join('; ')}`);
  const results: Record<string, unknown> = {};
  for (const kind of settings.stores) {
    const out: Record<string, unknown> = {};
    for (const set of sets()) out[set.name] = await liveSet(kind, set);
    results[kind] = out;
  }
  const file = writeResult('storage-live', {
    bench: 'storage-live',
    machine: await machine(),
    note: 'Bytes a point: total relation sizes (all partitions, indexes, TOAST) of chunks + rollups over the points at the end; each stretch written, compacted once closed, then vacuumed as the compaction job does on the embedded store (partitions past their rule) and by a VACUUM on PostgreSQL (autovacuum\'s stand-in), in turn.',
    settings,
    targets,
    results,
  });
  console.log(`wrote ${file}`);
});
