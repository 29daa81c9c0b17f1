// `npm run bench:ingest`: end-to-end ingest throughput of the real server (bin/intentvision.js as a
// child process) on PostgreSQL (a fresh temporary database) and on the embedded store (a temporary
// DATA_DIR), against the ceiling (bench/ceiling-server.ts: parse + validate only, nothing stored).
//
// Load: BENCH_POINTS metrics (default 1,000,000) in BENCH_BATCH-metric batches (1000) over
// BENCH_SERIES distinct series (10,000: key bench.metric × host h0…h9999), scrape-shaped (each batch
// holds consecutive series at one timestamp; timestamps advance 10 s once every series has had a
// point), sent by BENCH_CLIENTS concurrent keep-alive clients (4). Bodies are serialised before the
// clock starts. BENCH_ROUNDS (3) interleaved rounds, each on a fresh store; medians are reported.
// BENCH_STORES=ceiling,postgres,embedded picks targets; BENCH_TIMESTAMPS=ms|iso the timestamp form;
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of each server child there. BENCH_COMPARE_DIR=DIR (another
// checkout with node_modules) adds its server as `postgres@compare` / `embedded@compare`, run right
// after ours in every round, for before/after figures measured under the same machine state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  compareBin,
  cpuMeter,
  drive,
  envInt,
  envList,
  machine,
  median,
  openStore,
  percentile,
  profileFlags,
  root,
  round,
  runBench,
  serverEnv,
  spawnServer,
  startIntentVision,
  writeResult,
  type ChildServer,
  type CpuShare,
  type HttpResult,
} from './lib.js';

const kinds = ['ceiling', 'postgres', 'embedded'] as const;
type Kind = (typeof kinds)[number];
interface Target {
  name: string;
  kind: Kind;
  bin?: string;
}

const settings = {
  points: envInt('BENCH_POINTS', 1_000_000),
  batch: envInt('BENCH_BATCH', 1000),
  series: envInt('BENCH_SERIES', 10_000),
  clients: envInt('BENCH_CLIENTS', 4),
  rounds: envInt('BENCH_ROUNDS', 3),
  warmupBatches: envInt('BENCH_WARMUP_BATCHES', 20, 0),
  timestamps: (process.env.BENCH_TIMESTAMPS ?? 'ms') as 'ms' | 'iso',
  intervalMs: 10_000,
  stores: envList('BENCH_STORES', kinds, kinds),
  compareDir: process.env.BENCH_COMPARE_DIR,
  serverEnv: { LOG_LEVEL: serverEnv.LOG_LEVEL, JOBS_ENABLED: serverEnv.JOBS_ENABLED, RATE_LIMIT_MAX: serverEnv.RATE_LIMIT_MAX, DUPLICATE_POLICY: 'reject (default)' },
};
if (settings.timestamps !== 'ms' && settings.timestamps !== 'iso') throw new Error('BENCH_TIMESTAMPS must be ms or iso');
if (settings.points % settings.batch) throw new Error('BENCH_POINTS must be a multiple of BENCH_BATCH');

/** Pre-serialised request bodies: point k is series k % series at step floor(k / series). */
function makeBodies(key: string, points: number, batch: number, series: number, t0: number): Buffer[] {
  const bodies: Buffer[] = [];
  const ts = (ms: number) => (settings.timestamps === 'iso' ? JSON.stringify(new Date(ms).toISOString()) : String(ms));
  for (let b = 0; b < points / batch; b++) {
    const parts: string[] = [];
    for (let j = 0; j < batch; j++) {
      const k = b * batch + j;
      const s = k % series;
      const t = t0 + Math.floor(k / series) * settings.intervalMs;
      const value = Math.round(Math.sin(k / 97) * 1e4) / 100 + s / 100;
      parts.push(`{"key":"${key}","value":${value},"timestamp":${ts(t)},"dimensions":{"host":"h${s}"}}`);
    }
    bodies.push(Buffer.from(`{"metrics":[${parts.join(',')}]}`));
  }
  return bodies;
}

interface RoundResult {
  round: number;
  pointsPerSecond: number;
  wallMs: number;
  batchLatencyMs: { p50: number; p90: number; p99: number; max: number };
  cpu: CpuShare;
  serverMaxRssMb?: number;
  startMs: number;
  storedPoints?: number;
  databaseSizeMb?: number;
}

function maxRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024, 0) : undefined;
  } catch {
    return undefined;
  }
}

function checker(target: string, batch: number, label: string) {
  return (r: HttpResult, i: number) => {
    if (r.status !== 200) throw new Error(`${label}: batch ${i} answered ${r.status}: ${r.body.slice(0, 500)}`);
    const b = JSON.parse(r.body) as { accepted: number; rejected: number; duplicates: number };
    if (b.accepted !== batch || b.rejected !== 0 || b.duplicates !== 0) throw new Error(`${label}: batch ${i} of ${target}: ${r.body.slice(0, 500)}`);
  };
}

async function runOnce(target: Target, round_: number, bodies: Buffer[], warmup: Buffer[]): Promise<RoundResult> {
  const label = `${target.name.replace('@', '-')}-r${round_}`;
  const flags = profileFlags(label);
  const t0 = performance.now();
  let server: ChildServer;
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  let headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.kind === 'ceiling') {
    server = await spawnServer('ceiling server', ['--import', 'tsx', join(root, 'bench', 'ceiling-server.ts')], { HOST: '127.0.0.1', PORT: '0' }, /is running at (http:\/\/\S+) /, flags);
  } else {
    store = await openStore(target.kind, 'ingest');
    server = await startIntentVision(store, {}, flags, target.bin);
    if (!server.key) throw new Error(`${label}: the server printed no first-start key:\n${server.output()}`);
    headers = { ...headers, authorization: `Bearer ${server.key}` };
  }
  const startMs = performance.now() - t0;
  try {
    const url = new URL('/api/v1/ingest', server.url);
    if (warmup.length) await drive(url, headers, warmup, settings.clients, checker(target.name, settings.batch, `${label} warm-up`));
    const cpu = await cpuMeter(server.pid, store?.database);
    const run = await drive(url, headers, bodies, settings.clients, checker(target.name, settings.batch, label));
    const share = await cpu();
    const result: RoundResult = {
      round: round_,
      pointsPerSecond: Math.round((bodies.length * settings.batch) / (run.wallMs / 1000)),
      wallMs: Math.round(run.wallMs),
      batchLatencyMs: {
        p50: round(percentile(run.latencies, 50)),
        p90: round(percentile(run.latencies, 90)),
        p99: round(percentile(run.latencies, 99)),
        max: round(Math.max(...run.latencies)),
      },
      cpu: share,
      serverMaxRssMb: maxRssMb(server.pid),
      startMs: Math.round(startMs),
    };
    if (store?.url) {
      const c = new pg.Client({ connectionString: store.url });
      await c.connect();
      try {
        const n = await c.query<{ n: string; size: string }>(`SELECT count(*) AS n, pg_database_size(current_database()) AS size FROM points WHERE series_id IN (SELECT id FROM series WHERE key = 'bench.metric')`);
        result.storedPoints = Number(n.rows[0]!.n);
        result.databaseSizeMb = round(Number(n.rows[0]!.size) / 2 ** 20, 0);
      } finally {
        await c.end();
      }
      if (result.storedPoints !== bodies.length * settings.batch) throw new Error(`${label}: ${result.storedPoints} points stored, ${bodies.length * settings.batch} acknowledged`);
    }
    return result;
  } finally {
    await server.stop();
    await store?.drop();
  }
}

function fmt(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n);
}

runBench(async () => {
  const now = Date.now();
  const steps = Math.ceil(settings.points / settings.series);
  // Timestamps end an hour before now, on a 10 s grid.
  const t0 = Math.floor((now - 3_600_000 - steps * settings.intervalMs) / settings.intervalMs) * settings.intervalMs;
  const tb = performance.now();
  const bodies = makeBodies('bench.metric', settings.points, settings.batch, settings.series, t0);
  const warmup = makeBodies('bench.warmup', settings.warmupBatches * settings.batch, settings.batch, Math.min(settings.series, settings.batch), t0);
  const bodyBytes = bodies.reduce((a, b) => a + b.length, 0);
  console.log(
    `ingest bench: ${settings.points.toLocaleString('en')} points, ${settings.batch}/batch, ${settings.series.toLocaleString('en')} series, ${settings.clients} clients, ` +
      `${settings.rounds} round(s) of ${settings.stores.join(', ')}; bodies ${round(bodyBytes / 2 ** 20)} MiB serialised in ${Math.round(performance.now() - tb)} ms`,
  );

  const other = compareBin();
  const targets: Target[] = settings.stores.flatMap((kind): Target[] =>
    kind !== 'ceiling' && other ? [{ name: kind, kind }, { name: `${kind}@compare`, kind, bin: other }] : [{ name: kind, kind }],
  );
  const results = new Map<string, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let r = 1; r <= settings.rounds; r++) {
    for (const target of targets) {
      const res = await runOnce(target, r, bodies, warmup);
      results.get(target.name)!.push(res);
      console.log(
        `  round ${r} ${target.name.padEnd(16)} ${String(res.pointsPerSecond).padStart(8)} points/s  p50 ${res.batchLatencyMs.p50} ms  p99 ${res.batchLatencyMs.p99} ms  ` +
          `cpu gen ${res.cpu.loadGenerator} server ${res.cpu.server} pg ${res.cpu.postgres} other ${res.cpu.other} (of ${res.cpu.cores})` +
          (res.serverMaxRssMb ? `  server max RSS ${res.serverMaxRssMb} MB` : '') +
          `  start ${res.startMs} ms`,
      );
    }
  }

  const summary: Record<string, unknown> = {};
  for (const [target, rounds] of results) {
    summary[target] = {
      pointsPerSecond: median(rounds.map((x) => x.pointsPerSecond)),
      batchLatencyP50Ms: median(rounds.map((x) => x.batchLatencyMs.p50)),
      batchLatencyP99Ms: median(rounds.map((x) => x.batchLatencyMs.p99)),
      serverMaxRssMb: median(rounds.map((x) => x.serverMaxRssMb ?? 0)) || undefined,
    };
  }
  const ceiling = results.get('ceiling');
  const ratios: Record<string, unknown> = {};
  for (const { name: store } of targets.filter((t) => t.kind !== 'ceiling')) {
    const rs = results.get(store);
    if (!rs || !ceiling) continue;
    // Per round (interleaved, so both saw the same machine state), then the median.
    const perRound = rs.map((x, i) => round(x.pointsPerSecond / ceiling[i]!.pointsPerSecond, 3));
    ratios[`${store}/ceiling`] = { median: median(perRound), perRound };
  }
  const targetsMet = {
    postgres: results.has('postgres') ? (summary.postgres as { pointsPerSecond: number }).pointsPerSecond >= 150_000 : undefined,
    embedded: results.has('embedded') ? (summary.embedded as { pointsPerSecond: number }).pointsPerSecond >= 50_000 : undefined,
  };

  const host = await machine();
  const file = writeResult('ingest', {
    bench: 'ingest',
    machine: host,
    note: 'The load generator runs on the same machine: server, PostgreSQL and generator share its cores (cpu: CPU seconds per wall second of each during the timed phase).',
    settings,
    summary,
    ratios,
    targets: { postgresPointsPerSecond: 150_000, embeddedPointsPerSecond: 50_000, met: targetsMet },
    rounds: Object.fromEntries(results),
  });

  const parts = [...results.keys()].map((t) => {
    const s = summary[t] as { pointsPerSecond: number; batchLatencyP50Ms: number; batchLatencyP99Ms: number };
    const ratio = ratios[`${t}/ceiling`] as { median: number } | undefined;
    return `${t} ${fmt(s.pointsPerSecond)} points/s p50 ${s.batchLatencyP50Ms} ms p99 ${s.batchLatencyP99Ms} ms${ratio ? ` (${ratio.median}× ceiling)` : ''}`;
  });
  console.log(`ingest: ${parts.join(' | ')} — median of ${settings.rounds}, ${settings.points.toLocaleString('en')} points, ${settings.clients} clients, nproc ${host.nproc}, ${process.version}`);
  console.log(`wrote ${file}`);
});
