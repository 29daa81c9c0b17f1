// `npm run bench:promql`: the Prometheus API's query_range on PostgreSQL (127.0.0.1:5432, a
// temporary database), BENCH_PROMQL_SERIES (100) series × one day at 1-minute resolution (1,440
// points each) loaded through the ingest endpoint. The app runs in this process on a real port (the
// client is a keep-alive HTTP agent, one request at a time). After warm-up, BENCH_PROMQL_RUNS (20)
// runs of each query over the whole day at a 1-minute step:
//   select  — `bench_promql` (all 100 series, 144,000 samples out)
//   rate    — `rate(bench_promql[5m])`
//   sum by  — `sum by (group) (bench_promql)` (10 groups)
// printed next to the same data read raw through `POST /api/v1/query` (all its pages, 10,000
// points each). Then where the select's time goes: the store read (SQL), the engine over data in
// memory writing the result's JSON, and the envelope around it, each timed alone. Target: select p50 ≤ 100 ms.
// Writes bench/results/promql.json.
import http from 'node:http';
import { buildApp } from '../src/app.js';
import { wire } from '../src/compose.js';
import { createLogger } from '../src/core/logger.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { rangeQueryJson } from '../src/promql/engine.js';
import { MemorySource } from '../src/promql/memory-source.js';
import { RawJson, successEnvelope } from '../src/prometheus/envelope.js';
import { StoreSource } from '../src/prometheus/store-source.js';
import { RateLimiter } from '../src/ratelimit/limiter.js';
import { MemoryRateLimitStore } from '../src/ratelimit/memory-store.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import { openPostgres } from '../src/store/postgres.js';
import type { Sql } from '../src/store/sql.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { envInt, machine, onCleanup, percentile, request, round, runBench, tempPostgres, writeResult, vacuumAnalyze } from './lib.js';

const settings = {
  series: envInt('BENCH_PROMQL_SERIES', 100),
  pointsPerSeries: 1440,
  intervalMs: 60_000,
  runs: envInt('BENCH_PROMQL_RUNS', 20),
  warmup: 3,
  groups: 10,
  batch: 1000,
};
const targetP50Ms = 100;

interface Timing {
  p50: number;
  p95: number;
  max: number;
  runs: number;
}

const timing = (ms: number[]): Timing => ({ p50: round(percentile(ms, 50), 1), p95: round(percentile(ms, 95), 1), max: round(Math.max(...ms), 1), runs: ms.length });

/** Runs `fn` warm-up + runs times, one at a time; the timings of the measured runs. */
async function timed(fn: () => Promise<number>): Promise<Timing> {
  for (let i = 0; i < settings.warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < settings.runs; i++) ms.push(await fn());
  return timing(ms);
}

async function load(base: URL, headers: Record<string, string>, t0: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const total = settings.series * settings.pointsPerSeries;
  const started = performance.now();
  try {
    // Scrape-shaped: each batch holds consecutive series at one time after another.
    for (let k = 0; k < total; k += settings.batch) {
      const parts: string[] = [];
      for (let j = k; j < Math.min(total, k + settings.batch); j++) {
        const s = j % settings.series;
        const step = Math.floor(j / settings.series);
        parts.push(`{"key":"bench_promql","value":${step * (1 + (s % 7)) + s},"timestamp":${t0 + step * settings.intervalMs},"dimensions":{"host":"h${s}","group":"g${s % settings.groups}"}}`);
      }
      const r = await request(agent, new URL('/api/v1/ingest', base), 'POST', headers, Buffer.from(`{"metrics":[${parts.join(',')}]}`));
      if (r.status !== 200) throw new Error(`load: ${r.status} ${r.body.slice(0, 300)}`);
    }
  } finally {
    agent.destroy();
  }
  return (performance.now() - started) / 1000;
}

runBench(async () => {
  const store = await tempPostgres('promql');
  const sql: Sql = await openPostgres({ url: store.url!, max: 10 });
  onCleanup('close the pool', () => sql.close());
  await migrate(sql, loadMigrations());
  const limiter = new RateLimiter(new MemoryRateLimitStore());
  onCleanup('close the limiter', () => limiter.close());
  const config = {
    bodyLimitBytes: 16 * 1024 * 1024, rateLimitMax: 10_000_000, rateLimitWindowSeconds: 60, rateLimitAnonMax: 10_000, authFailureMax: 10_000,
    ingestMaxBatch: 10_000, ingestMaxFutureSkewSeconds: 300, duplicatePolicy: 'reject' as const, idempotencyTtlHours: 24,
  };
  const app = await buildApp(wire({ config, sql, logger: createLogger({ level: 'warn' }), limiter, migrations: loadMigrations() }));
  onCleanup('close the app', () => app.close());
  const base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  const org = await createOrg(sql, { name: 'PromQL bench', slug: `promql-bench-${process.pid}` });
  const { secret } = await createApiKey(sql, org.id, { name: 'bench', scopes: ['*'] });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${secret}` };

  // One day ending an hour ago, on whole minutes.
  const t0 = Math.floor((Date.now() - 3_600_000 - settings.pointsPerSeries * settings.intervalMs) / 60_000) * 60_000;
  const t1 = t0 + (settings.pointsPerSeries - 1) * settings.intervalMs;
  console.log(`promql bench: ${settings.series} series × ${settings.pointsPerSeries} points (1 min) on PostgreSQL; ${settings.runs} runs per query after ${settings.warmup} warm-up`);
  const loadSeconds = await load(base, headers, t0);
  console.log(`  loaded ${(settings.series * settings.pointsPerSeries).toLocaleString('en')} points in ${round(loadSeconds)} s`);
  await vacuumAnalyze(store.url!);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  onCleanup('close the agent', () => agent.destroy());
  const promHeaders = { authorization: `Bearer ${secret}`, 'content-type': 'application/x-www-form-urlencoded' };
  const queries = { select: 'bench_promql', rate: 'rate(bench_promql[5m])', sumBy: 'sum by (group) (bench_promql)' } as const;
  const expectedSeries = { select: settings.series, rate: settings.series, sumBy: settings.groups };
  const results: Record<string, Timing & { series: number; samples: number; bytes: number }> = {};
  for (const [name, query] of Object.entries(queries) as [keyof typeof queries, string][]) {
    const body = Buffer.from(new URLSearchParams({ query, start: String(t0 / 1000), end: String(t1 / 1000), step: '60' }).toString());
    let shape = { series: 0, samples: 0, bytes: 0 };
    const t = await timed(async () => {
      const r = await request(agent, new URL('/prometheus/api/v1/query_range', base), 'POST', promHeaders, body);
      if (r.status !== 200) throw new Error(`${name}: ${r.status} ${r.body.slice(0, 300)}`);
      const parsed = JSON.parse(r.body) as { data: { result: { values: unknown[] }[] } };
      shape = { series: parsed.data.result.length, samples: parsed.data.result.reduce((n, s) => n + s.values.length, 0), bytes: r.body.length };
      return r.ms;
    });
    if (shape.series !== expectedSeries[name]) throw new Error(`${name}: ${shape.series} series, expected ${expectedSeries[name]}`);
    results[name] = { ...t, ...shape };
    console.log(`  query_range ${query.padEnd(30)} p50 ${t.p50} ms  p95 ${t.p95} ms  (${shape.series} series, ${shape.samples.toLocaleString('en')} samples, ${round(shape.bytes / 1e6, 2)} MB)`);
  }

  // The same data through the platform's own query API: every page of 10,000 points.
  let rawPages = 0;
  const raw = await timed(async () => {
    let cursor: string | undefined;
    let total = 0;
    let points = 0;
    rawPages = 0;
    do {
      const r = await request(agent, new URL('/api/v1/query', base), 'POST', headers, Buffer.from(JSON.stringify({ key: 'bench_promql', from: t0, to: t1, limit: 10_000, ...(cursor && { cursor }) })));
      if (r.status !== 200) throw new Error(`raw: ${r.status} ${r.body.slice(0, 300)}`);
      const page = JSON.parse(r.body) as { series: { points: unknown[] }[]; nextCursor: string | null };
      points += page.series.reduce((n, s) => n + s.points.length, 0);
      cursor = page.nextCursor ?? undefined;
      total += r.ms;
      rawPages++;
    } while (cursor);
    if (points !== settings.series * settings.pointsPerSeries) throw new Error(`raw: ${points} points`);
    return total;
  });
  console.log(`  POST /api/v1/query (raw, same data)       p50 ${raw.p50} ms  p95 ${raw.p95} ms  (${rawPages} pages of 10,000 points)`);

  // Where the select's time goes, each part alone.
  const source = () => new StoreSource(sql, org.id, { nowMs: Date.now() });
  const matchers = [{ name: '__name__', type: '=' as const, value: 'bench_promql' }];
  const sqlRead = await timed(async () => {
    const s = performance.now();
    await source().select({ matchers, startMs: t0 - 300_000, endMs: t1 });
    return performance.now() - s;
  });
  const held = await source().select({ matchers, startMs: t0 - 300_000, endMs: t1 });
  const memory = new MemorySource(held);
  const engine = await timed(async () => {
    const s = performance.now();
    await rangeQueryJson(memory, queries.select, t0, t1, 60_000);
    return performance.now() - s;
  });
  const result = new RawJson(await rangeQueryJson(memory, queries.select, t0, t1, 60_000));
  const json = await timed(async () => {
    const s = performance.now();
    successEnvelope(result);
    return performance.now() - s;
  });
  console.log(`  select's parts: store read p50 ${sqlRead.p50} ms, engine with its JSON writer p50 ${engine.p50} ms, envelope p50 ${json.p50} ms`);

  const met = results.select!.p50 <= targetP50Ms;
  const file = writeResult('promql', {
    bench: 'promql',
    machine: await machine(),
    note: 'POST /prometheus/api/v1/query_range (form-encoded, as Grafana sends it) over the whole day at a 1-minute step, through the real app on a real port in this process, one request at a time over keep-alive HTTP; PostgreSQL after VACUUM ANALYZE. raw: the same points through POST /api/v1/query, all pages.',
    settings,
    queryRange: results,
    rawQueryApi: { ...raw, pages: rawPages },
    selectParts: { storeRead: sqlRead, engineWithJson: engine, envelope: json },
    targets: { selectP50Ms: targetP50Ms, met },
  });
  console.log(`promql: query_range of ${settings.series} series × 1 day at 1 min: p50 ${results.select!.p50} ms (target ≤ ${targetP50Ms}: ${met ? 'met' : 'missed'}), rate p50 ${results.rate!.p50} ms, sum by p50 ${results.sumBy!.p50} ms; raw POST /api/v1/query p50 ${raw.p50} ms`);
  console.log(`wrote ${file}`);
  await store.drop();
});
