// `npm run bench:query`: range-query latency of the real server (bin/intentvision.js as a child
// process) on PostgreSQL and on the embedded store, over BENCH_SERIES series (10,000) × BENCH_POINTS_PER_SERIES
// points (1,000) loaded through the ingest endpoint itself (scrape-shaped: every batch holds
// consecutive series at one timestamp, so a series' points are spread over the table as in production).
//
// Then, one client at a time (latency, not throughput), BENCH_QUERIES (500) queries of random series
// after 50 warm-up ones, each shape in turn:
//   full   — one series' whole range (1,000 points, one page)
//   window — a random 10% window of one series (100 points)
//   hourly — the whole range of one series at step 1h, avg (aggregated in the database)
// and prints p50/p99 of each, right after the load and in steady state: after VACUUM ANALYZE on
// PostgreSQL (as autovacuum keeps it), after the embedded-vacuum job's run on the embedded store;
// writes bench/results/query.json. BENCH_STORES=postgres,embedded.
import { join } from 'node:path';
import http from 'node:http';
import pg from 'pg';
import { seededRandom } from '../src/forecast/stats.js';
import { vacuumPointsIfNeeded } from '../src/jobs/embedded-vacuum.js';
import { openPglite } from '../src/store/pglite.js';
import { drive, envInt, envList, machine, openStore, percentile, request, round, runBench, startIntentVision, writeResult, vacuumAnalyze } from './lib.js';

const kinds = ['postgres', 'embedded'] as const;
const settings = {
  series: envInt('BENCH_SERIES', 10_000),
  pointsPerSeries: envInt('BENCH_POINTS_PER_SERIES', 1000),
  batch: 1000,
  loadClients: 4,
  intervalMs: 60_000,
  queries: envInt('BENCH_QUERIES', 500),
  warmup: 50,
  windowShare: 0.1,
  stores: envList('BENCH_STORES', kinds, kinds),
};
const shapes = ['full', 'window', 'hourly'] as const;
type Shape = (typeof shapes)[number];

/** Batch b of the load: points k = b·batch … of series k % series at step floor(k / series). */
function loadBody(b: number, t0: number): Buffer {
  const parts: string[] = [];
  for (let j = 0; j < settings.batch; j++) {
    const k = b * settings.batch + j;
    const s = k % settings.series;
    const t = t0 + Math.floor(k / settings.series) * settings.intervalMs;
    parts.push(`{"key":"bench.query","value":${round(Math.sin(k / 97) * 100 + s, 2)},"timestamp":${t},"dimensions":{"host":"h${s}"}}`);
  }
  return Buffer.from(`{"metrics":[${parts.join(',')}]}`);
}

function queryBody(shape: Shape, rand: () => number, t0: number): { body: Buffer; expected: number } {
  const host = `h${Math.floor(rand() * settings.series)}`;
  const n = settings.pointsPerSeries;
  const last = t0 + (n - 1) * settings.intervalMs;
  const iso = (ms: number) => new Date(ms).toISOString();
  if (shape === 'window') {
    const width = Math.round(n * settings.windowShare);
    const start = Math.floor(rand() * (n - width + 1));
    const from = t0 + start * settings.intervalMs;
    return { body: Buffer.from(JSON.stringify({ key: 'bench.query', dimensions: { host }, from: iso(from), to: iso(from + (width - 1) * settings.intervalMs), limit: n })), expected: width };
  }
  if (shape === 'hourly') {
    const buckets = Math.floor(last / 3_600_000) - Math.floor(t0 / 3_600_000) + 1;
    return { body: Buffer.from(JSON.stringify({ key: 'bench.query', dimensions: { host }, from: iso(t0), to: iso(last), step: '1h', aggregation: 'avg', limit: n })), expected: buckets };
  }
  return { body: Buffer.from(JSON.stringify({ key: 'bench.query', dimensions: { host }, from: iso(t0), to: iso(last), limit: n })), expected: n };
}

type Latencies = Record<Shape, { p50: number; p90: number; p99: number; max: number }>;

/** Every shape in turn, one query at a time; checks each reply's point count. */
async function measure(kind: string, phase: string, queryUrl: URL, headers: Record<string, string>, t0: number): Promise<Latencies> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencyMs = {} as Latencies;
  try {
    for (const shape of shapes) {
      const rand = seededRandom(shapes.indexOf(shape) + 1);
      const times: number[] = [];
      for (let q = 0; q < settings.warmup + settings.queries; q++) {
        const { body, expected } = queryBody(shape, rand, t0);
        const r = await request(agent, queryUrl, 'POST', headers, body);
        if (r.status !== 200) throw new Error(`${kind} ${shape}: ${r.status} ${r.body.slice(0, 300)}`);
        const got = (JSON.parse(r.body) as { series: { points: unknown[] }[] }).series[0]?.points.length ?? 0;
        if (got !== expected) throw new Error(`${kind} ${shape}: ${got} points, expected ${expected}`);
        if (q >= settings.warmup) times.push(r.ms);
      }
      latencyMs[shape] = { p50: round(percentile(times, 50), 2), p90: round(percentile(times, 90), 2), p99: round(percentile(times, 99), 2), max: round(Math.max(...times), 2) };
      console.log(`  ${kind.padEnd(9)} ${phase.padEnd(8)} ${shape.padEnd(7)} p50 ${latencyMs[shape].p50} ms  p99 ${latencyMs[shape].p99} ms`);
    }
  } finally {
    agent.destroy();
  }
  return latencyMs;
}

interface StoreResult {
  loadPointsPerSecond: number;
  loadSeconds: number;
  /** Right after the load. */
  fresh: Latencies;
  /** After VACUUM ANALYZE, as autovacuum (PostgreSQL) or the embedded-vacuum job (PGlite) leaves a table. */
  settled?: Latencies;
  /** PostgreSQL only: how the one-series read ran (index-only or not, pages touched). */
  plan?: { summary: string; lastAutovacuum: string | null; text: string[] };
}

/** EXPLAIN (ANALYZE, BUFFERS) of one series' full range, run after the timed queries. */
async function explainFullRange(url: string, t0: number): Promise<StoreResult['plan']> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT p.ts, p.value FROM series s JOIN points p ON p.series_id = s.id
       WHERE s.key = 'bench.query' AND s.dimensions @> '{"host":"h42"}' AND p.ts >= $1 ORDER BY p.series_id, p.ts LIMIT 1001`,
      [new Date(t0)],
    );
    const text = r.rows.map((x) => x['QUERY PLAN']);
    const vac = await c.query<{ v: Date | null }>(`SELECT greatest(last_autovacuum, last_vacuum) AS v FROM pg_stat_user_tables WHERE relname = 'points'`);
    const scan = text.find((l) => /Scan.* on points/.test(l))?.trim().replace(/\s+\(cost.*$/, '') ?? '?';
    const heap = (text.find((l) => /Heap Fetches/.test(l)) ?? text.find((l) => /Heap Blocks/.test(l)))?.trim() ?? '';
    return { summary: `${scan}${heap ? `, ${heap}` : ''}`, lastAutovacuum: vac.rows[0]?.v?.toISOString() ?? null, text };
  } finally {
    await c.end();
  }
}

async function runStore(kind: (typeof kinds)[number], t0: number): Promise<StoreResult> {
  const store = await openStore(kind, 'query');
  let server = await startIntentVision(store);
  try {
    if (!server.key) throw new Error(`${kind}: the server printed no first-start key:\n${server.output()}`);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${server.key}` };
    const ingestUrl = new URL('/api/v1/ingest', server.url);
    const batches = (settings.series * settings.pointsPerSeries) / settings.batch;
    const tl = performance.now();
    // Bodies are made 200 batches at a time: all 10,000 at once would hold ~1 GB.
    for (let b = 0; b < batches; b += 200) {
      const chunk = Array.from({ length: Math.min(200, batches - b) }, (_, i) => loadBody(b + i, t0));
      await drive(ingestUrl, headers, chunk, settings.loadClients, (r, i) => {
        if (r.status !== 200 || !r.body.startsWith(`{"accepted":${settings.batch},`)) throw new Error(`${kind}: load batch ${b + i}: ${r.status} ${r.body.slice(0, 300)}`);
      });
      if ((b / 200) % 10 === 9) console.log(`  ${kind}: loaded ${(((b + 200) * settings.batch) / 1e6).toFixed(1)}M points`);
    }
    const loadSeconds = (performance.now() - tl) / 1000;
    console.log(`  ${kind}: ${(batches * settings.batch).toLocaleString('en')} points loaded in ${round(loadSeconds)} s`);

    const queryUrl = new URL('/api/v1/query', server.url);
    const fresh = await measure(kind, 'fresh', queryUrl, headers, t0);
    let settled: StoreResult['settled'];
    let plan: StoreResult['plan'];
    if (store.url) {
      // Steady state: autovacuum has marked the loaded pages all-visible (index-only scans skip
      // the heap) and analysed the tables.
      const tv = performance.now();
      await vacuumAnalyze(store.url);
      console.log(`  ${kind}: VACUUM ANALYZE took ${round((performance.now() - tv) / 1000)} s`);
      settled = await measure(kind, 'settled', queryUrl, headers, t0);
      plan = await explainFullRange(store.url, t0);
      console.log(`  ${kind}: one-series plan: ${plan?.summary}`);
    } else if (store.dataDir) {
      // PGlite runs no autovacuum; the server's embedded-vacuum job does its work at the first
      // minute tick after the load. The bench runs that same function on the data directory (the
      // server stopped: one process per directory), then restarts the server and measures again.
      await server.stop();
      const db = await openPglite({ dataDir: join(store.dataDir, 'pg') });
      const v = await vacuumPointsIfNeeded(db);
      await db.close();
      console.log(`  ${kind}: the embedded-vacuum job's run took ${round(v.ms / 1000)} s (vacuumed: ${v.vacuumed}, ${v.allVisible} of ${v.pages} pages were all-visible)`);
      server = await startIntentVision(store);
      settled = await measure(kind, 'settled', new URL('/api/v1/query', server.url), headers, t0);
    }
    return { loadPointsPerSecond: Math.round((batches * settings.batch) / loadSeconds), loadSeconds: round(loadSeconds), fresh, settled, plan };
  } finally {
    await server.stop();
    await store.drop();
  }
}

runBench(async () => {
  // The points end an hour before now, on a whole-minute grid.
  const t0 = Math.floor((Date.now() - 3_600_000 - settings.pointsPerSeries * settings.intervalMs) / 60_000) * 60_000;
  console.log(
    `query bench: ${settings.series.toLocaleString('en')} series × ${settings.pointsPerSeries.toLocaleString('en')} points on ${settings.stores.join(', ')}; ` +
      `${settings.queries} queries per shape, one at a time`,
  );
  const results: Partial<Record<(typeof kinds)[number], StoreResult>> = {};
  for (const kind of settings.stores) results[kind] = await runStore(kind, t0);
  const best = (r: StoreResult) => (r.settled ?? r.fresh).full.p50;
  const met = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, best(r) <= 5]));
  const file = writeResult('query', {
    bench: 'query',
    machine: await machine(),
    note: 'Latency of POST /api/v1/query through the real server, one request at a time over keep-alive HTTP; the client runs on the same machine.',
    settings,
    results,
    targets: { oneSeriesFullRangeP50Ms: 5, met },
  });
  const line = Object.entries(results)
    .map(([k, r]) =>
      [r.settled && ['settled', r.settled], ['fresh', r.fresh]]
        .filter((x): x is [string, Latencies] => !!x)
        .map(([phase, l]) => `${k} ${phase}: full p50 ${l.full.p50} ms p99 ${l.full.p99} ms, 10% window p50 ${l.window.p50} ms, 1h avg p50 ${l.hourly.p50} ms`)
        .join('; '),
    )
    .join(' | ');
  console.log(`query: ${line}`);
  console.log(`wrote ${file}`);
});
