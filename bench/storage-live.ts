// `npm run bench:storage-live`: bytes a point of a live store (issue 18), where bench:storage's (a) writes
// its sets at once and compacts them the first time. BENCH_LIVE_SERIES (50) series of 5-minute gauges
// (bench:storage's year-set formula) are written a day at a time over BENCH_LIVE_DAYS (120), each day
// compacted once it has closed (compactClosedWindows) and the tables then VACUUMed, as autovacuum would
// between two days; at the end, the total relation sizes (every partition, index, TOAST) of chunks +
// rollups over the points. A live series' closed days fold into the row before them and its 1-hour
// month row is rewritten as days close, so the figure includes the space VACUUM frees and later versions
// reuse. PostgreSQL (a fresh temporary database) and the embedded store (a temporary directory), one
// after the other; BENCH_STORES picks them. bench/results/storage-live.json (BENCH_RESULTS_DIR).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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
};
const targets = { bytesPerPoint: 3 };
const compacted: PointTable[] = ['chunks', 'rollups_5m', 'rollups_1h'];
const log = (kind: Kind, text: string) => console.log(`  ${kind.padEnd(8)} ${text}`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en');

async function liveStore(kind: Kind): Promise<Record<string, unknown>> {
  const store = await openStore(kind, 'live');
  if (kind === 'embedded') mkdirSync(store.dataDir!, { recursive: true });
  const sql = kind === 'postgres' ? await openPostgres({ url: store.url!, max: 2 }) : await openPglite({ dataDir: join(store.dataDir!, 'pg') });
  try {
    await migrate(sql, loadMigrations());
    const orgId = (await createOrg(sql, { name: 'live', slug: 'live' })).id;
    const ids: number[] = [];
    for (let i = 0; i < settings.series; i++) {
      ids.push(Number((await sql.query<{ id: string }>('INSERT INTO series (org_id, key, dimensions) VALUES ($1, $2, $3) RETURNING id', [orgId, 'bench.live', JSON.stringify({ s: String(i) })])).rows[0]!.id));
    }
    const end = Math.floor(Date.now() / DAY_MS) * DAY_MS - 3 * DAY_MS;
    const start = end - settings.days * DAY_MS;
    const t0 = performance.now();
    for (let day = start; day < end; day += DAY_MS) {
      // A day of every series in one statement: a daily cycle, a slow drift and a wobble, in cents.
      await sql.query(
        `INSERT INTO points (series_id, ts, value)
         SELECT s.id, to_timestamp(t::float8 / 1000),
                round((50 + 20 * sin(t::float8 / 86400000.0 * 2 * pi() + s.k) + 5 * sin(t::float8 / 2.9e8) + 3 * sin(t::float8 * 7.31 + s.k))::numeric, 2)::float8
         FROM unnest($1::int8[]) WITH ORDINALITY AS s(id, k), generate_series($2::int8, $2::int8 + 86400000 - 1, 300000) AS t`,
        [ids, day],
      );
      await compactClosedWindows(sql, day + DAY_MS + COMPACTION_GRACE_MS + 60_000);
      await sql.exec('VACUUM chunks, rollups_5m, rollups_1h, points');
    }
    const ms = Math.round(performance.now() - t0);
    const points = settings.series * settings.days * 288;
    const stored = await storedPoints(sql);
    if (stored !== points) throw new Error(`${kind}: ${stored} points stored, ${points} written`);
    const sizes = await pointTableBytes(sql);
    const rows = Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM chunks')).rows[0]!.n);
    const total = compacted.reduce((a, t) => a + sizes[t], 0);
    const bpp = round(total / points, 2);
    const per = (t: PointTable) => round(sizes[t] / points, 2);
    log(kind, `${settings.series} series × ${settings.days} d at 5 min, compacted a day at a time: ${bpp} bytes a point (chunks ${per('chunks')} in ${fmtInt(rows)} rows, 1-hour rollups ${per('rollups_1h')}, 5-minute ${per('rollups_5m')}; ${fmtInt(points)} points in ${ms} ms)   target ≤ ${targets.bytesPerPoint}`);
    return { points, chunkRows: rows, sizes, bytesPerPoint: bpp, ms };
  } finally {
    await sql.close();
    await store.drop();
  }
}

runBench(async () => {
  console.log(`storage-live bench: ${settings.stores.join(', ')}; ${settings.series} series × ${settings.days} days at 5 min`);
  const results: Record<string, unknown> = {};
  for (const kind of settings.stores) results[kind] = await liveStore(kind);
  const file = writeResult('storage-live', {
    bench: 'storage-live',
    machine: await machine(),
    note: 'Bytes a point: total relation sizes (all partitions, indexes, TOAST) of chunks + rollups over the points, after the last day; each day compacted once closed and VACUUMed.',
    settings,
    targets,
    results,
  });
  console.log(`wrote ${file}`);
});
