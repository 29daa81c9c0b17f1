// `npm run bench:storage`: the storage engine's figures (issue 18) on PostgreSQL (a fresh temporary
// database) and on the embedded store (a temporary DATA_DIR), one store after the other:
//   a. bytes a point of compacted data: the ingest benchmark's series (scrape-shaped: BENCH_SCRAPE_SERIES
//      series × BENCH_SCRAPE_STEPS timestamps 15 s apart, 2-decimal gauges, bench/protocol-bodies.ts)
//      and the NAB corpus (each file shifted by whole days to end three days ago), both ingested through
//      the real server's JSON API (bin/intentvision.js as a child), then compacted with
//      compactClosedWindows: NAB first (a `nowMs` that closes only its windows), then the scrape data.
//      Bytes = total relation sizes (every partition, index, TOAST) of chunks + rollups_5m + rollups_1h
//      over the points they hold; "raw only" leaves the rollups out; the hot table, emptied by
//      compaction, vacuumed and, once empty, truncated (as the compaction job does), is printed beside. Hot rows before compaction for comparison.
//   b. compaction throughput: points/s of compactClosedWindows over the scrape set (≥ 1M hot points) and
//      over the year set of (d), with the CPU of this process (node; on the embedded store PGlite runs
//      in it too) and of the database's PostgreSQL processes, and points per CPU second. Steady state:
//      the encoders run first on scrape-shaped points in memory (warmEncoders), as they have in a
//      platform process that compacts every few minutes; that first run's CPU is printed.
//   c. one series, 30 days at 1 minute (43,200 points, written with INSERT … generate_series, then
//      compacted): full-range readPoints p50/p95 over BENCH_READ_RUNS (50), and the same range through
//      POST /api/v1/query (no step; pages of 10,000) for context.
//   d. BENCH_YEAR_SERIES (100) series × BENCH_YEAR_DAYS (365) at 5 minutes (the coarsest step whose hours
//      get 1-hour rollups), written with generate_series and compacted: readBuckets at a 1-hour step,
//      avg, over the whole year, p50 via rollups; then with the rollup rows deleted (raw chunks only),
//      the same query, its p50 and the ratio, and the largest difference between the two answers.
//   e. retention: every organisation set to keep 1 day, enforceRetention at a `nowMs` past everything
//      (the year set's ≥ 10M compacted points and the rest): its time and the sizes before and after.
// One figure a line with its target; bench/results/storage.json (BENCH_RESULTS_DIR to write elsewhere).
// Smaller smoke runs: BENCH_SCRAPE_SERIES=100 BENCH_SCRAPE_STEPS=200 BENCH_NAB_FILES=5 BENCH_YEAR_SERIES=5
// BENCH_YEAR_DAYS=30 BENCH_READ_RUNS=10 BENCH_BUCKET_RUNS=3; BENCH_STORES=postgres|embedded; BENCH_CPU_PROF=DIR writes a CPU profile of each timed compaction there; NAB_DIR
// points at the corpus (default ../shared/datasets/nab; skipped with a message when absent).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import http from 'node:http';
import { join } from 'node:path';
import { compactClosedWindows } from '../src/metrics/points/compact.js';
import { reclaimEmptyDefault } from '../src/metrics/points/hot-partitions.js';
import { mergeSmallPartitions } from '../src/metrics/points/partition-merge.js';
import { listPartitions } from '../src/metrics/points/partitions.js';
import { readBuckets } from '../src/metrics/points/buckets.js';
import { readPoints } from '../src/metrics/points/read.js';
import { FRAME_SQL, fromBase64, unframeRows } from '../src/metrics/points/rollup-rows.js';
import { enforceRetention, setRetention } from '../src/metrics/points/retention.js';
import { COMPACTION_GRACE_MS, DAY_MS, monthBoundsMs, ROLLUP_RESOLUTIONS_MS } from '../src/store/chunks/window.js';
import { encodeChunk } from '../src/store/chunks/codec.js';
import { computeRollup, encodeRollup } from '../src/store/chunks/rollup.js';
import { openPglite } from '../src/store/pglite.js';
import { openPostgres } from '../src/store/postgres.js';
import type { Sql } from '../src/store/sql.js';
import { defaultNabDir, loadCorpus } from './nab/index.js';
import { makeBodies, valueOf } from './protocol-bodies.js';
import {
  cpuMeter,
  drive,
  envInt,
  envList,
  machine,
  openStore,
  percentile,
  pointTableBytes,
  request,
  round,
  runBench,
  startIntentVision,
  storedPoints,
  writeResult,
  type BenchStore,
  type ChildServer,
  type CpuShare,
  type HttpResult,
  type PointTable,
} from './lib.js';

const kinds = ['postgres', 'embedded'] as const;
type Kind = (typeof kinds)[number];
const settings = {
  stores: envList('BENCH_STORES', kinds, kinds),
  scrapeSeries: envInt('BENCH_SCRAPE_SERIES', 1000),
  scrapeSteps: envInt('BENCH_SCRAPE_STEPS', 1000),
  scrapeIntervalMs: 15_000,
  nabDir: process.env.NAB_DIR ?? defaultNabDir,
  nabFiles: envInt('BENCH_NAB_FILES', 1000),
  batch: 1000,
  clients: 4,
  readRuns: envInt('BENCH_READ_RUNS', 50),
  httpRuns: envInt('BENCH_HTTP_RUNS', 20),
  yearSeries: envInt('BENCH_YEAR_SERIES', 100),
  yearDays: envInt('BENCH_YEAR_DAYS', 365),
  yearStepS: 300,
  bucketRuns: envInt('BENCH_BUCKET_RUNS', 10),
  rawBucketRuns: envInt('BENCH_RAW_BUCKET_RUNS', 3),
};
const targets = { bytesPerPoint: 3, compactionPointsPerCpuSecond: 1_000_000, readP50Ms: { postgres: 15, embedded: 30 }, bucketsP50Ms: 100, retentionMs: 1000 };
const BEFORE_BYTES_PER_POINT = 137.6;

const log = (kind: Kind, text: string) => console.log(`  ${kind.padEnd(8)} ${text}`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en');
const mb = (bytes: number) => `${round(bytes / 2 ** 20, 1)} MB`;
const sumTables = (s: Record<PointTable, number>, tables: readonly PointTable[]) => tables.reduce((a, t) => a + s[t], 0);
const compacted: PointTable[] = ['chunks', 'rollups_5m', 'rollups_1h'];

/**
 * Encodes chunks and rollups of scrape-shaped series (bench/protocol-bodies.ts' values) twice, in
 * memory: what a platform process that has compacted before has already done (V8 compiles the
 * encoders while they run: ~4× their steady cost the first time). Returns the CPU ms of each pass.
 */
function warmEncoders(series = 200, steps = 1000): { points: number; firstMs: number; againMs: number } {
  const pass = () => {
    const u = process.cpuUsage();
    for (let s = 0; s < series; s++) {
      const t = new Float64Array(steps);
      const v = new Float64Array(steps);
      for (let i = 0; i < steps; i++) {
        t[i] = 1e12 + i * settings.scrapeIntervalMs;
        v[i] = valueOf(i * series + s, s);
      }
      for (let w = 0; w < steps; w += 480) encodeChunk(t.subarray(w, w + 480), v.subarray(w, w + 480));
      for (const res of ROLLUP_RESOLUTIONS_MS) encodeRollup(computeRollup(t, v, res));
    }
    const d = process.cpuUsage(u);
    return Math.round((d.user + d.system) / 1000);
  };
  const firstMs = pass();
  return { points: series * steps, firstMs, againMs: pass() };
}

/**
 * With BENCH_CPU_PROF=DIR, a V8 CPU profile of this process (PGlite's WebAssembly included) from now
 * until the returned function is called, written to DIR/LABEL.cpuprofile (bench/profile-summary.ts).
 */
async function profiler(label: string): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${label}.cpuprofile`), JSON.stringify(profile));
  };
}

/** Runs compactClosedWindows at `nowMs` and measures it: wall time and CPU of node and PostgreSQL. */
async function timedCompaction(sql: Sql, nowMs: number, database: string | undefined, expected?: number, label?: string) {
  const profile = label ? await profiler(label) : undefined;
  const cpu = await cpuMeter(process.pid, database);
  const t0 = performance.now();
  const outcome = await compactClosedWindows(sql, nowMs);
  const ms = performance.now() - t0;
  await profile?.();
  const points = outcome.points;
  if (expected !== undefined && points !== expected) throw new Error(`compaction moved ${points} points, ${expected} expected`);
  const share: CpuShare = await cpu();
  // share.server is this process (cpuMeter's server pid is ours); CPU seconds = share × wall seconds.
  const cpuSeconds = ((share.server + share.postgres) * ms) / 1000;
  return {
    ms: Math.round(ms),
    points,
    pointsPerSecond: Math.round(points / (ms / 1000)),
    cpu: { node: share.server, postgres: share.postgres, other: share.other, cores: share.cores },
    pointsPerCpuSecond: cpuSeconds > 0 ? Math.round(points / cpuSeconds) : undefined,
    outcome,
  };
}

/**
 * Where the bytes of a key's chunks go: the encoded points (`data`), the whole rows (tuple header, key,
 * bounds, count), and so by difference the pages, indexes and partitions around them.
 */
async function chunkRowBytes(sql: Sql, key: string): Promise<{ rows: number; dataBytes: number; rowBytes: number }> {
  const r = await sql.query<{ rows: number | string; data: number | string; row: number | string }>(
    `SELECT count(*) AS rows, coalesce(sum(octet_length(c.data)), 0) AS data, coalesce(sum(pg_column_size(c.*)), 0) AS row
     FROM chunks c WHERE c.series_id IN (SELECT id FROM series WHERE key = $1)`,
    [key],
  );
  const x = r.rows[0]!;
  return { rows: Number(x.rows), dataBytes: Number(x.data), rowBytes: Number(x.row) };
}

const breakdown = (c: { rows: number; dataBytes: number; rowBytes: number }, points: number) =>
  `encoded points ${round(c.dataBytes / points, 2)}, whole chunk rows ${round(c.rowBytes / points, 2)} in ${fmtInt(c.rows)} rows`;

async function vacuumPoints(sql: Sql): Promise<void> {
  // Compaction deletes the hot rows it moved; VACUUM clears them (and truncates the empty pages) as
  // autovacuum soon would (points has a 5 % scale factor): readers then skip no dead index entries.
  // Then what the compaction job's next run does with an emptied default partition: TRUNCATE, which
  // gives back its primary key's pages too.
  await sql.exec('VACUUM ANALYZE points');
  await reclaimEmptyDefault(sql);
}

/** p50/p95 of `runs` calls after `warmup` ones; `check` sees each answer. */
async function timeRuns<T>(runs: number, warmup: number, fn: () => Promise<T>, check: (r: T) => void): Promise<{ p50: number; p95: number; runs: number }> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const r = await fn();
    const ms = performance.now() - t0;
    check(r);
    if (i >= warmup) times.push(ms);
  }
  return { p50: round(percentile(times, 50), 2), p95: round(percentile(times, 95), 2), runs };
}

interface Handle {
  kind: Kind;
  store: BenchStore;
  server?: ChildServer;
  key: string;
  sql?: Sql;
}

/** The in-process executor; on the embedded store the server must be stopped first (one process per data directory). */
async function openSql(h: Handle): Promise<Sql> {
  if (h.sql) return h.sql;
  if (h.kind === 'embedded' && h.server) {
    await h.server.stop();
    h.server = undefined;
  }
  h.sql = h.kind === 'postgres' ? await openPostgres({ url: h.store.url!, max: 4 }) : await openPglite({ dataDir: join(h.store.dataDir!, 'pg') });
  return h.sql;
}

async function serverUp(h: Handle): Promise<ChildServer> {
  if (h.server) return h.server;
  if (h.kind === 'embedded' && h.sql) {
    await h.sql.close();
    h.sql = undefined;
  }
  h.server = await startIntentVision(h.store);
  return h.server;
}

function ingestChecker(label: string, totals?: { accepted: number; duplicates: number; rejected: number }) {
  return (r: HttpResult, i: number) => {
    if (r.status !== 200) throw new Error(`${label}: batch ${i} answered ${r.status}: ${r.body.slice(0, 500)}`);
    const b = JSON.parse(r.body) as { accepted: number; rejected: number; duplicates: number };
    if (b.rejected) throw new Error(`${label}: batch ${i}: ${r.body.slice(0, 500)}`);
    if (totals) {
      totals.accepted += b.accepted;
      totals.duplicates += b.duplicates;
      totals.rejected += b.rejected;
    }
  };
}

/** NAB as JSON ingest batches: key nab.value, dimension file, each file shifted by whole days to end on day `lastDayMs`. */
function nabBodies(lastDayMs: number): { bodies: Buffer[]; files: number; points: number; firstMs: number } | string {
  if (!existsSync(join(settings.nabDir, 'data'))) return `the NAB corpus is not in ${settings.nabDir} (NAB_DIR): skipping the NAB figures`;
  const corpus = loadCorpus(settings.nabDir);
  const files = corpus.files.slice(0, settings.nabFiles);
  const items: string[] = [];
  let firstMs = Infinity;
  for (const f of files) {
    const last = f.epochMs[f.rows - 1]!;
    const shift = Math.floor((lastDayMs - Math.floor(last / DAY_MS) * DAY_MS) / DAY_MS) * DAY_MS;
    const dims = JSON.stringify({ file: f.name });
    for (let i = 0; i < f.rows; i++) {
      const t = f.epochMs[i]! + shift;
      firstMs = Math.min(firstMs, t);
      items.push(`{"key":"nab.value","value":${f.values[i]},"timestamp":${t},"dimensions":${dims}}`);
    }
  }
  const bodies: Buffer[] = [];
  for (let i = 0; i < items.length; i += settings.batch) bodies.push(Buffer.from(`{"metrics":[${items.slice(i, i + settings.batch).join(',')}]}`));
  return { bodies, files: files.length, points: items.length, firstMs };
}

/** Inserts `n` points of a new series straight into the hot table (generate_series): 2-decimal gauge values. */
async function generatedSeries(sql: Sql, orgId: string, key: string, dims: Record<string, string>, startMs: number, stepMs: number, n: number, seed: number): Promise<number> {
  const s = await sql.query<{ id: number | string }>('INSERT INTO series (org_id, key, dimensions) VALUES ($1, $2, $3) RETURNING id', [orgId, key, JSON.stringify(dims)]);
  const id = Number(s.rows[0]!.id);
  // A daily cycle plus a slower drift and a deterministic wobble, rounded to cents as a gauge reports.
  await sql.query(
    `INSERT INTO points (series_id, ts, value)
     SELECT $1::bigint, to_timestamp(($2::float8 + i * $3::float8) / 1000),
            round((50 + 20 * sin(i * $3::float8 / 86400000.0 * 2 * pi() + $5::float8) + 5 * sin(i / 977.0) + 3 * sin(i * 7.31 + $5::float8))::numeric, 2)::float8
     FROM generate_series(0, $4::int - 1) AS i`,
    [id, startMs, stepMs, n, seed],
  );
  return id;
}

async function httpRead(server: ChildServer, key: string, fromMs: number, toMs: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL('/api/v1/query', server.url);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  try {
    let points = 0;
    let cursor: string | undefined;
    do {
      const body = { key: 'bench.read', from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), limit: 10_000, ...(cursor ? { cursor } : {}) };
      const r = await request(agent, url, 'POST', headers, Buffer.from(JSON.stringify(body)));
      if (r.status !== 200) throw new Error(`POST /api/v1/query: ${r.status} ${r.body.slice(0, 300)}`);
      const page = JSON.parse(r.body) as { series: { points: unknown[] }[]; nextCursor: string | null };
      points += page.series.reduce((a, s) => a + s.points.length, 0);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return points;
  } finally {
    agent.destroy();
  }
}

async function runStore(kind: Kind): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  const store = await openStore(kind, 'storage');
  const t0 = performance.now();
  const first = await startIntentVision(store);
  if (!first.key) throw new Error(`${kind}: the server printed no first-start key:\n${first.output()}`);
  const h: Handle = { kind, store, server: first, key: first.key };
  log(kind, `server up in ${Math.round(performance.now() - t0)} ms`);
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  try {
    // ---- a. ingest through the API: NAB ending three days ago, the scrape set starting yesterday.
    const nabLastDay = today - 3 * DAY_MS;
    const nab = nabBodies(nabLastDay);
    if (typeof nab === 'string') {
      log(kind, nab);
      result.nab = { skipped: nab };
    } else {
      const totals = { accepted: 0, duplicates: 0, rejected: 0 };
      const tl = performance.now();
      await drive(new URL('/api/v1/ingest', h.server!.url), { 'content-type': 'application/json', authorization: `Bearer ${h.key}` }, nab.bodies, settings.clients, ingestChecker(`${kind} NAB`, totals));
      log(kind, `NAB: ${nab.files} files, ${fmtInt(totals.accepted)} points accepted (${totals.duplicates} duplicate timestamps) through the API in ${Math.round(performance.now() - tl)} ms`);
    }
    const scrapeT0 = today - DAY_MS;
    const scrapePoints = settings.scrapeSeries * settings.scrapeSteps;
    const scrape = makeBodies('json', { key: 'bench.storage', points: scrapePoints, batch: Math.min(settings.batch, scrapePoints), series: settings.scrapeSeries, t0: scrapeT0, intervalMs: settings.scrapeIntervalMs, timestamps: 'ms' });
    const ts = performance.now();
    await drive(new URL('/api/v1/ingest', h.server!.url), { 'content-type': 'application/json', authorization: `Bearer ${h.key}` }, scrape, settings.clients, ingestChecker(`${kind} scrape`));
    log(kind, `scrape-shaped: ${fmtInt(scrapePoints)} points (${settings.scrapeSeries} series × ${settings.scrapeSteps} at 15 s) through the API in ${Math.round(performance.now() - ts)} ms`);

    const q = await openSql(h);
    const orgId = (await q.query<{ org_id: string }>(`SELECT org_id FROM series WHERE key = 'bench.storage' LIMIT 1`)).rows[0]!.org_id;
    await vacuumPoints(q);
    const hot = await pointTableBytes(q);
    const hotPoints = await storedPoints(q);
    const hotBpp = round(sumTables(hot, ['points']) / hotPoints, 2);
    log(kind, `hot rows before compaction: ${hotBpp} bytes a point (${fmtInt(hotPoints)} points, ${mb(hot.points)})   before issue 18: ${BEFORE_BYTES_PER_POINT}`);
    result.hotRows = { points: hotPoints, bytes: hot.points, bytesPerPoint: hotBpp };

    // NAB's windows close by the end of its last day; the scrape set's windows (from yesterday) stay open.
    if (typeof nab !== 'string') {
      const c1 = await timedCompaction(q, nabLastDay + DAY_MS + COMPACTION_GRACE_MS + 60_000, store.database);
      await vacuumPoints(q);
      // What the hourly maintenance job does next: small partitions of closed months and years merged,
      // the days of day-wide series packed into rows of up to a month on the way (chunk-pack.ts).
      const merged = await mergeSmallPartitions(q, Date.now());
      if (merged.made.length) log(kind, `a. NAB: ${merged.replaced} small partitions merged into ${merged.made.length} (${merged.made.join(', ')})`);
      const s1 = await pointTableBytes(q);
      const nabStored = await storedPoints(q, 'nab.value');
      const nabHot = Number((await q.query<{ n: number | string }>(`SELECT count(*) AS n FROM points WHERE series_id IN (SELECT id FROM series WHERE key = 'nab.value')`)).rows[0]!.n);
      if (nabHot) throw new Error(`${kind}: ${nabHot} NAB points still hot after compaction`);
      const bpp = round(sumTables(s1, compacted) / nabStored, 2);
      const raw = round(s1.chunks / nabStored, 2);
      // Partitions are as wide as the store's volume needs (partitions.ts): NAB alone makes a small store.
      const partitionNames = (await listPartitions(q, 'chunks')).map((p) => p.name);
      const partitions = partitionNames.length;
      const rows = await chunkRowBytes(q, 'nab.value');
      log(kind, `a. NAB bytes a point (${fmtInt(nabStored)} points, compacted in ${c1.ms} ms): ${bpp} (raw only ${raw}; ${breakdown(rows, nabStored)}; ${partitions} chunk partition${partitions === 1 ? '' : 's'}: ${partitionNames.slice(0, 4).join(', ')}${partitions > 4 ? ', …' : ''})   target ≤ ${targets.bytesPerPoint}   before: ${BEFORE_BYTES_PER_POINT}`);
      result.nab = { points: nabStored, sizes: s1, bytesPerPoint: bpp, rawOnlyBytesPerPoint: raw, chunkRows: rows, chunkPartitions: partitionNames, compaction: c1 };
    }
    const before = await pointTableBytes(q);
    // ---- b. compaction of the scrape set (≥ 1M hot points by default), in steady state: a platform
    // process compacts every few minutes, so its encoders are compiled; a first compaction in a fresh
    // process spends ~0.25 CPU s a million points compiling them (printed below).
    const warm = warmEncoders();
    log(kind, `b. encoders compiled first (${warm.points.toLocaleString('en')} scrape-shaped points encoded, not stored): ${warm.firstMs} CPU ms, the same again ${warm.againMs} ms`);
    const c2 = await timedCompaction(q, Date.now(), store.database, scrapePoints, `compaction-scrape-${kind}`);
    await vacuumPoints(q);
    const s2 = await pointTableBytes(q);
    const scrapeStored = await storedPoints(q, 'bench.storage');
    if (scrapeStored !== scrapePoints) throw new Error(`${kind}: ${scrapeStored} scrape points stored, ${scrapePoints} sent`);
    const scrapeBytes = sumTables(s2, compacted) - sumTables(before, compacted);
    const scrapeBpp = round(scrapeBytes / scrapePoints, 2);
    const scrapeRaw = round((s2.chunks - before.chunks) / scrapePoints, 2);
    const scrapeRows = await chunkRowBytes(q, 'bench.storage');
    log(kind, `a. scrape-shaped bytes a point (${fmtInt(scrapePoints)} points): ${scrapeBpp} (raw only ${scrapeRaw}; ${breakdown(scrapeRows, scrapePoints)}; hot table after compaction and VACUUM ${mb(s2.points)})   target ≤ ${targets.bytesPerPoint}   before: ${BEFORE_BYTES_PER_POINT}`);
    const cpuLine = (c: typeof c2) => `node ${c.cpu.node} + postgres ${c.cpu.postgres} cores${kind === 'embedded' ? ' (PGlite runs in node)' : ''}, other processes ${c.cpu.other}`;
    log(kind, `b. compaction ${fmtInt(c2.pointsPerSecond)} points/s wall (${fmtInt(scrapePoints)} points in ${c2.ms} ms; ${cpuLine(c2)}; ${c2.pointsPerCpuSecond !== undefined ? fmtInt(c2.pointsPerCpuSecond) : '?'} points per CPU second)   target ≥ 1,000,000 per core`);
    result.scrape = { points: scrapePoints, sizes: s2, bytesPerPoint: scrapeBpp, rawOnlyBytesPerPoint: scrapeRaw, chunkRows: scrapeRows };
    result.compaction = { scrape: c2 };

    // ---- c. one series, 30 days at 1 minute.
    const readEnd = today - DAY_MS;
    const readStart = readEnd - 30 * DAY_MS;
    const readN = 30 * 1440;
    const readId = await generatedSeries(q, orgId, 'bench.read', {}, readStart, 60_000, readN, 1);
    await compactClosedWindows(q, Date.now());
    await vacuumPoints(q);
    const readRange = { fromMs: readStart, toMs: readEnd - 1 };
    const rp = await timeRuns(settings.readRuns, 5, () => readPoints(q, orgId, [readId], readRange), (m) => {
      const n = m.get(readId)?.timestampsMs.length;
      if (n !== readN) throw new Error(`${kind}: readPoints returned ${n} points, ${readN} stored`);
    });
    log(kind, `c. readPoints one series 30 d at 1 min (${fmtInt(readN)} points): p50 ${rp.p50} ms, p95 ${rp.p95} ms (${rp.runs} runs)   target p50 ≤ ${targets.readP50Ms[kind]} ms`);
    result.read = { points: readN, readPoints: rp };
    const server = await serverUp(h);
    const hp = await timeRuns(settings.httpRuns, 3, () => httpRead(server, h.key, readStart, readEnd - 1), (n) => {
      if (n !== readN) throw new Error(`${kind}: POST /api/v1/query returned ${n} points, ${readN} stored`);
    });
    log(kind, `c. POST /api/v1/query the same range (${Math.ceil(readN / 10_000)} pages of ≤ 10,000): p50 ${hp.p50} ms, p95 ${hp.p95} ms (${hp.runs} runs, for context)`);
    (result.read as Record<string, unknown>).http = hp;
    const s = await openSql(h);

    // ---- d. 100 series × a year at 5 minutes, read at a 1-hour step.
    const yearEnd = today - 3 * DAY_MS;
    const yearStart = yearEnd - settings.yearDays * DAY_MS;
    const perSeries = (settings.yearDays * DAY_MS) / (settings.yearStepS * 1000);
    const yearPoints = perSeries * settings.yearSeries;
    const ti = performance.now();
    const yearIds: number[] = [];
    for (let i = 0; i < settings.yearSeries; i++) yearIds.push(await generatedSeries(s, orgId, 'bench.year', { s: String(i) }, yearStart, settings.yearStepS * 1000, perSeries, i));
    const insertMs = Math.round(performance.now() - ti);
    const c3 = await timedCompaction(s, Date.now(), store.database, yearPoints, `compaction-year-${kind}`);
    await vacuumPoints(s);
    log(kind, `d. year set: ${fmtInt(yearPoints)} points (${settings.yearSeries} series × ${settings.yearDays} d at 5 min) inserted in ${insertMs} ms`);
    log(kind, `b. compaction ${fmtInt(c3.pointsPerSecond)} points/s wall (${fmtInt(yearPoints)} points in ${c3.ms} ms; ${cpuLine(c3)}; ${c3.pointsPerCpuSecond !== undefined ? fmtInt(c3.pointsPerCpuSecond) : '?'} points per CPU second)   target ≥ 1,000,000 per core`);
    (result.compaction as Record<string, unknown>).year = c3;
    const bq = { fromMs: yearStart, toMs: yearEnd - 1, stepMs: 3_600_000, aggregation: 'avg' as const };
    const hours = settings.yearDays * 24;
    const checkBuckets = (m: Map<number, { startsMs: Float64Array }>) => {
      for (const id of yearIds) if (m.get(id)?.startsMs.length !== hours) throw new Error(`${kind}: readBuckets gave ${m.get(id)?.startsMs.length} buckets of series ${id}, ${hours} expected`);
    };
    let viaRollups = new Map<number, { startsMs: Float64Array; values: Float64Array }>();
    const rb = await timeRuns(settings.bucketRuns, 2, async () => (viaRollups = await readBuckets(s, orgId, yearIds, bq)), checkBuckets);
    // A floor for any read through the 1-hour rollups: fetching their rows alone, as the read does (one
    // framed base64 row a series, rollup-rows.ts) but in one statement, unframed, nothing decoded.
    // 1-hour rows hold a month each (compact.ts), the first keyed before yearStart.
    const rowsFrom = new Date(monthBoundsMs(yearStart).startMs);
    const rollupRows = Number((await s.query<{ n: string }>('SELECT count(*) AS n FROM rollups_1h WHERE series_id = ANY($1::bigint[]) AND day >= $2 AND day < $3', [yearIds, rowsFrom, new Date(yearEnd)])).rows[0]!.n);
    const fetch = await timeRuns(
      settings.bucketRuns,
      2,
      async () => {
        const r = await s.query<{ b: string }>(
          `SELECT r.series_id, encode(string_agg(${FRAME_SQL}, ''::bytea ORDER BY r.day), 'base64') AS b FROM rollups_1h r WHERE r.series_id = ANY($1::bigint[]) AND r.day >= $2 AND r.day < $3 GROUP BY r.series_id`,
          [yearIds, rowsFrom, new Date(yearEnd)],
        );
        let rows = 0;
        for (const row of r.rows) rows += unframeRows(fromBase64(row.b)).length;
        return rows;
      },
      (rows) => {
        if (rows !== rollupRows) throw new Error(`${kind}: ${rows} 1-hour rollup rows, ${rollupRows} expected`);
      },
    );
    await s.query('DELETE FROM rollups_1h WHERE series_id = ANY($1::bigint[])', [yearIds]);
    await s.query('DELETE FROM rollups_5m WHERE series_id = ANY($1::bigint[])', [yearIds]);
    let fromRaw = new Map<number, { startsMs: Float64Array; values: Float64Array }>();
    const rr = await timeRuns(settings.rawBucketRuns, 1, async () => (fromRaw = await readBuckets(s, orgId, yearIds, bq)), checkBuckets);
    let maxRel = 0;
    for (const id of yearIds) {
      const a = viaRollups.get(id)!.values;
      const b = fromRaw.get(id)!.values;
      for (let i = 0; i < a.length; i++) maxRel = Math.max(maxRel, Math.abs(a[i]! - b[i]!) / Math.max(1e-300, Math.abs(b[i]!)));
    }
    const speedup = round(rr.p50 / rb.p50, 1);
    log(kind, `d. readBuckets ${settings.yearSeries} series × ${settings.yearDays} d at 1 h (avg): p50 ${rb.p50} ms via rollups, p95 ${rb.p95} ms   target p50 ≤ ${targets.bucketsP50Ms} ms`);
    log(kind, `d. of which a floor: fetching the ${fmtInt(rollupRows)} 1-hour rollup rows alone (framed per series, unframed, no decoding): p50 ${fetch.p50} ms`);
    log(kind, `d. the same from raw chunks (rollups deleted): p50 ${rr.p50} ms (${speedup}× slower; largest relative difference between the answers ${maxRel.toExponential(1)})`);
    result.buckets = { series: settings.yearSeries, days: settings.yearDays, points: yearPoints, insertMs, viaRollups: rb, rollupRowsFetchOnly: fetch, fromRaw: rr, rawOverRollups: speedup, maxRelativeDifference: maxRel };

    // ---- e. retention: keep 1 day everywhere, enforced at a time past everything stored.
    await vacuumPoints(s);
    const pointsBefore = await storedPoints(s);
    const sizesBefore = await pointTableBytes(s);
    const dbSize = async () => (kind === 'postgres' ? Number((await s.query<{ n: number | string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n) : undefined);
    const dbBefore = await dbSize();
    for (const o of (await s.query<{ id: string }>('SELECT id FROM organizations')).rows) await setRetention(s, o.id, { rawDays: 1, rollup5mDays: 1, rollup1hDays: 1 });
    const tr = performance.now();
    const outcome = await enforceRetention(s, Date.now() + 70 * DAY_MS);
    const retentionMs = Math.round(performance.now() - tr);
    const pointsAfter = await storedPoints(s);
    const sizesAfter = await pointTableBytes(s);
    const dbAfter = await dbSize();
    log(kind, `e. retention dropped ${fmtInt(pointsBefore - pointsAfter)} compacted points (${outcome.droppedPartitions} partitions) in ${retentionMs} ms   target < ${targets.retentionMs} ms`);
    log(
      kind,
      `e. sizes before → after: ${compacted.concat(['points']).map((t) => `${t} ${mb(sizesBefore[t])} → ${mb(sizesAfter[t])}`).join(', ')}` +
        (dbBefore !== undefined ? `; database ${mb(dbBefore)} → ${mb(dbAfter!)}` : ''),
    );
    result.retention = { pointsBefore, pointsAfter, ms: retentionMs, outcome, sizesBefore, sizesAfter, databaseBytesBefore: dbBefore, databaseBytesAfter: dbAfter };
    return result;
  } finally {
    await h.sql?.close();
    await h.server?.stop();
    await store.drop();
  }
}

runBench(async () => {
  console.log(
    `storage bench: ${settings.stores.join(', ')}; scrape ${settings.scrapeSeries} × ${settings.scrapeSteps}, NAB ${settings.nabDir}, read ${settings.readRuns} runs, ` +
      `year ${settings.yearSeries} series × ${settings.yearDays} d at 5 min, buckets ${settings.bucketRuns} runs`,
  );
  const results: Record<string, unknown> = {};
  for (const kind of settings.stores) results[kind] = await runStore(kind);
  const file = writeResult('storage', {
    bench: 'storage',
    machine: await machine(),
    note:
      'Bytes a point: total relation sizes (all partitions, indexes, TOAST) of chunks + rollups over the points they hold, after compaction; the hot table is empty then (VACUUMed) and listed apart. ' +
      'Compaction CPU: this process (node; with PGlite inside on the embedded store) and the PostgreSQL processes of the database, in cores over the compaction.',
    before: { bytesPerPoint: BEFORE_BYTES_PER_POINT },
    settings,
    targets,
    results,
  });
  console.log(`wrote ${file}`);
});
