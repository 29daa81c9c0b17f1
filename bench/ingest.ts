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
// BENCH_PROTOCOLS=json,remote-write,otlp,influx sends the same points in each protocol to each store
// (bench/protocol-bodies.ts), interleaved in every round, so the protocols are compared side by side;
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of each server child there. BENCH_COMPARE_DIR=DIR (another
// checkout with node_modules) adds its server as `postgres@compare` / `embedded@compare`, run right
// after ours in every round, for before/after figures measured under the same machine state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { makeBodies as makeProtocolBodies, protocolRequest, protocols, type Protocol } from './protocol-bodies.js';
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
  protocol: Protocol;
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
  protocols: envList('BENCH_PROTOCOLS', protocols, protocols),
  compareDir: process.env.BENCH_COMPARE_DIR,
  serverEnv: { LOG_LEVEL: serverEnv.LOG_LEVEL, JOBS_ENABLED: serverEnv.JOBS_ENABLED, RATE_LIMIT_MAX: serverEnv.RATE_LIMIT_MAX, DUPLICATE_POLICY: 'reject (default)' },
};
if (settings.timestamps !== 'ms' && settings.timestamps !== 'iso') throw new Error('BENCH_TIMESTAMPS must be ms or iso');
if (settings.points % settings.batch) throw new Error('BENCH_POINTS must be a multiple of BENCH_BATCH');

/** Pre-serialised request bodies: point k is series k % series at step floor(k / series). */
function makeBodies(protocol: Protocol, key: string, points: number, batch: number, series: number, t0: number): Buffer[] {
  return makeProtocolBodies(protocol, { key, points, batch, series, t0, intervalMs: settings.intervalMs, timestamps: settings.timestamps });
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

function checker(target: Target, batch: number, label: string) {
  return (r: HttpResult, i: number) => {
    const ok = protocolRequest[target.protocol].okStatus;
    if (r.status !== ok) throw new Error(`${label}: batch ${i} answered ${r.status}: ${r.body.slice(0, 500)}`);
    // Only the webhook replies with counts; the others are checked by the stored count after the run.
    if (target.protocol !== 'json') return;
    const b = JSON.parse(r.body) as { accepted: number; rejected: number; duplicates: number };
    if (b.accepted !== batch || b.rejected !== 0 || b.duplicates !== 0) throw new Error(`${label}: batch ${i} of ${target.name}: ${r.body.slice(0, 500)}`);
  };
}

async function runOnce(target: Target, round_: number, bodies: Buffer[], warmup: Buffer[]): Promise<RoundResult> {
  const label = `${target.name.replace(/[@/]/g, '-')}-r${round_}`;
  const flags = profileFlags(label);
  const t0 = performance.now();
  let server: ChildServer;
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  let headers: Record<string, string> = { ...protocolRequest[target.protocol].headers };
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
    const url = new URL(protocolRequest[target.protocol].path, server.url);
    if (warmup.length) await drive(url, headers, warmup, settings.clients, checker(target, settings.batch, `${label} warm-up`));
    const cpu = await cpuMeter(server.pid, store?.database);
    const run = await drive(url, headers, bodies, settings.clients, checker(target, settings.batch, label));
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
  const bodies = new Map<Protocol, Buffer[]>();
  const warmups = new Map<Protocol, Buffer[]>();
  const used = new Set<Protocol>(['json', ...settings.protocols]);
  for (const p of used) {
    bodies.set(p, makeBodies(p, 'bench.metric', settings.points, settings.batch, settings.series, t0));
    warmups.set(p, makeBodies(p, 'bench.warmup', settings.warmupBatches * settings.batch, settings.batch, Math.min(settings.series, settings.batch), t0));
  }
  const bodyBytes = bodies.get('json')!.reduce((a, b) => a + b.length, 0);
  const sizes = [...bodies].map(([p, bs]) => `${p} ${round(bs.reduce((a, b) => a + b.length, 0) / 2 ** 20)} MiB`).join(', ');
  console.log(
    `ingest bench: ${settings.points.toLocaleString('en')} points, ${settings.batch}/batch, ${settings.series.toLocaleString('en')} series, ${settings.clients} clients, ` +
      `${settings.rounds} round(s) of ${settings.stores.join(', ')} × ${settings.protocols.join(', ')}; bodies (${sizes}) serialised in ${Math.round(performance.now() - tb)} ms (JSON ${round(bodyBytes / 2 ** 20)} MiB)`,
  );

  const other = compareBin();
  // The webhook keeps the plain store name (`postgres`); other protocols are `postgres/remote-write` ….
  const targets: Target[] = settings.stores.flatMap((kind): Target[] => {
    if (kind === 'ceiling') return [{ name: kind, kind, protocol: 'json' }];
    return settings.protocols.flatMap((protocol): Target[] => {
      const name = protocol === 'json' ? kind : `${kind}/${protocol}`;
      const own: Target = { name, kind, protocol };
      return other && protocol === 'json' ? [own, { name: `${kind}@compare`, kind, protocol, bin: other }] : [own];
    });
  });
  const results = new Map<string, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let r = 1; r <= settings.rounds; r++) {
    for (const target of targets) {
      const res = await runOnce(target, r, bodies.get(target.protocol)!, warmups.get(target.protocol)!);
      results.get(target.name)!.push(res);
      console.log(
        `  round ${r} ${target.name.padEnd(24)} ${String(res.pointsPerSecond).padStart(8)} points/s  p50 ${res.batchLatencyMs.p50} ms  p99 ${res.batchLatencyMs.p99} ms  ` +
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
  // Each protocol against the JSON webhook on the same store, per round (the issue's bar: ≥ 1.0×).
  for (const t of targets.filter((x) => x.protocol !== 'json' && !x.bin)) {
    const rs = results.get(t.name);
    const json = results.get(t.kind);
    if (!rs || !json) continue;
    const perRound = rs.map((x, i) => round(x.pointsPerSecond / json[i]!.pointsPerSecond, 3));
    ratios[`${t.name}/${t.kind}`] = { median: median(perRound), perRound };
  }
  const targetsMet = {
    postgres: results.has('postgres') ? (summary.postgres as { pointsPerSecond: number }).pointsPerSecond >= 150_000 : undefined,
    embedded: results.has('embedded') ? (summary.embedded as { pointsPerSecond: number }).pointsPerSecond >= 50_000 : undefined,
    protocolsAtLeastJsonOnPostgres: Object.fromEntries(
      targets.filter((t) => t.kind === 'postgres' && t.protocol !== 'json' && !t.bin).map((t) => [t.protocol, ((ratios[`${t.name}/postgres`] as { median: number } | undefined)?.median ?? 0) >= 1]),
    ),
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
    const vsJson = t.includes('/') ? (ratios[`${t}/${t.split('/')[0]}`] as { median: number } | undefined) : undefined;
    return `${t} ${fmt(s.pointsPerSecond)} points/s p50 ${s.batchLatencyP50Ms} ms p99 ${s.batchLatencyP99Ms} ms${ratio ? ` (${ratio.median}× ceiling)` : ''}${vsJson ? ` (${vsJson.median}× JSON)` : ''}`;
  });
  console.log(`ingest: ${parts.join(' | ')} — median of ${settings.rounds}, ${settings.points.toLocaleString('en')} points, ${settings.clients} clients, nproc ${host.nproc}, ${process.version}`);
  console.log(`wrote ${file}`);
});
