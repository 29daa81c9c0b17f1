// `npm run bench:ingest`: end-to-end ingest throughput of the real server (bin/intentvision.js as a
// child process) on PostgreSQL (a fresh temporary database) and on the embedded store (a temporary
// DATA_DIR), against the ceiling (bench/ceiling-server.ts: parse + validate only, nothing stored).
//
// Load: BENCH_POINTS metrics (default 1,000,000) in BENCH_BATCH-metric batches (1000) over
// BENCH_SERIES distinct series (10,000: key bench.metric × host h0…h9999), scrape-shaped (each batch
// holds consecutive series at one timestamp; timestamps advance BENCH_INTERVAL_MS once every series
// has had a point), sent by BENCH_CLIENTS concurrent keep-alive clients (4). The points are fresh, as a
// scrape's are: the last timestamp is 20 s before the run and the interval (10 s at most) is chosen so
// the first is within 7 minutes of it, younger than COMPACTION_GRACE_MS (the write path checks for a
// chunk only for older points). Bodies are serialised right before each run, outside the clock, so
// every target gets the same points at the same age (only shifted in time). BENCH_ROUNDS (3)
// interleaved rounds, each on a fresh store; medians are reported.
// Peers: InfluxDB 1.6 (`influxdb`) and VictoriaMetrics (`victoria-metrics`) from their Debian
// packages (bench/peers.ts), each a fresh child process on loopback with a temporary data directory,
// sent the same points as Influx line protocol with ms timestamps; skipped with a message when the
// binary is absent. Ratios per round, then medians: platform/InfluxDB, platform/VictoriaMetrics and
// embedded/postgres. After each run, bytes a point: PostgreSQL and embedded the total relation sizes
// of points, chunks and rollups (every partition, index and TOAST) over the stored points; the peers
// the data directory's size after they wrote their memory out.
// BENCH_STORES=ceiling,postgres,embedded,influxdb,victoria-metrics picks targets; BENCH_TIMESTAMPS=ms|iso the timestamp form;
// BENCH_PROTOCOLS=json,remote-write,otlp,influx sends the same points in each protocol to each store
// (bench/protocol-bodies.ts), interleaved in every round, so the protocols are compared side by side;
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of each server child there. BENCH_COMPARE_DIR=DIR (another
// checkout with node_modules) adds its server as `postgres@compare` / `embedded@compare`, run right
// after ours in every round, for before/after figures measured under the same machine state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openPglite } from '../src/store/pglite.js';
import { peerKinds, peerMissing, startPeer, type PeerKind } from './peers.js';
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
  pointTableBytes,
  storedPoints,
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

const kinds = ['ceiling', 'postgres', 'embedded', ...peerKinds] as const;
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
  intervalMs: 0,
  stores: envList('BENCH_STORES', kinds, kinds),
  protocols: envList('BENCH_PROTOCOLS', protocols, protocols),
  compareDir: process.env.BENCH_COMPARE_DIR,
  serverEnv: { LOG_LEVEL: serverEnv.LOG_LEVEL, JOBS_ENABLED: serverEnv.JOBS_ENABLED, RATE_LIMIT_MAX: serverEnv.RATE_LIMIT_MAX, DUPLICATE_POLICY: 'reject (default)' },
};
if (settings.timestamps !== 'ms' && settings.timestamps !== 'iso') throw new Error('BENCH_TIMESTAMPS must be ms or iso');
if (settings.points % settings.batch) throw new Error('BENCH_POINTS must be a multiple of BENCH_BATCH');
/** Timestamps per series; the interval keeps them all within 7 minutes (whole seconds, 1–10 s). */
const steps = Math.ceil(settings.points / settings.series);
settings.intervalMs = envInt('BENCH_INTERVAL_MS', Math.max(1000, Math.min(10_000, Math.floor(420_000 / Math.max(1, steps - 1) / 1000) * 1000)));
const isPeer = (k: Kind): k is PeerKind => (peerKinds as readonly string[]).includes(k);

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
  /** Bytes on disk over every point stored (warm-up included); see `storage`. */
  bytesPerPoint?: number;
  storage?: Record<string, number | boolean>;
  /** Age (s) of the oldest point when its batch was built, and when the run ended. */
  oldestPointAgeS?: { atStart: number; atEnd: number };
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

/** Fresh bodies: the last timestamp 20 s before now, on the interval's grid. */
function freshBodies(protocol: Protocol): { bodies: Buffer[]; warmup: Buffer[]; t0: number } {
  const last = Math.floor((Date.now() - 20_000) / settings.intervalMs) * settings.intervalMs;
  const t0 = last - (steps - 1) * settings.intervalMs;
  return {
    bodies: makeBodies(protocol, 'bench.metric', settings.points, settings.batch, settings.series, t0),
    warmup: makeBodies(protocol, 'bench.warmup', settings.warmupBatches * settings.batch, settings.batch, Math.min(settings.series, settings.batch), t0),
    t0,
  };
}

async function runPeer(target: Target & { kind: PeerKind }, round_: number): Promise<RoundResult> {
  const t0 = performance.now();
  const peer = await startPeer(target.kind);
  const startMs = performance.now() - t0;
  try {
    const { bodies, warmup, t0: first } = freshBodies('influx');
    const url = new URL(peer.writePath, peer.url);
    const headers = { 'content-type': 'text/plain; charset=utf-8' };
    const check = (what: string) => (r: HttpResult, i: number) => {
      if (r.status !== peer.okStatus) throw new Error(`${target.name}-r${round_} ${what}: batch ${i} answered ${r.status}: ${r.body.slice(0, 500)}`);
    };
    const ageAtStart = (Date.now() - first) / 1000;
    if (warmup.length) await drive(url, headers, warmup, settings.clients, check('warm-up'));
    const cpu = await cpuMeter(peer.pid);
    const run = await drive(url, headers, bodies, settings.clients, check('run'));
    const share = await cpu();
    const result = summarise(round_, bodies.length, run, share, maxRssMb(peer.pid), startMs);
    result.oldestPointAgeS = { atStart: Math.round(ageAtStart), atEnd: Math.round((Date.now() - first) / 1000) };
    result.storedPoints = await peer.countPoints();
    if (result.storedPoints !== bodies.length * settings.batch) throw new Error(`${target.name}-r${round_}: ${result.storedPoints} points stored, ${bodies.length * settings.batch} acknowledged`);
    const disk = await peer.diskBytes();
    const all = (bodies.length + warmup.length) * settings.batch;
    result.bytesPerPoint = round(disk.bytes / all, 2);
    result.storage = { dataDirBytes: disk.bytes, settled: disk.settled, points: all };
    return result;
  } finally {
    await peer.stop();
  }
}

function summarise(round_: number, batches: number, run: { wallMs: number; latencies: number[] }, cpu: CpuShare, rss: number | undefined, startMs: number): RoundResult {
  return {
    round: round_,
    pointsPerSecond: Math.round((batches * settings.batch) / (run.wallMs / 1000)),
    wallMs: Math.round(run.wallMs),
    batchLatencyMs: {
      p50: round(percentile(run.latencies, 50)),
      p90: round(percentile(run.latencies, 90)),
      p99: round(percentile(run.latencies, 99)),
      max: round(Math.max(...run.latencies)),
    },
    cpu,
    serverMaxRssMb: rss,
    startMs: Math.round(startMs),
  };
}

/** Bytes a point of a platform store: relation sizes of the point tables over all points stored. */
async function platformStorage(q: { query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> }, result: RoundResult): Promise<void> {
  const sizes = await pointTableBytes(q);
  const all = await storedPoints(q);
  const bytes = sizes.points + sizes.chunks + sizes.rollups_5m + sizes.rollups_1h;
  result.bytesPerPoint = all ? round(bytes / all, 2) : undefined;
  result.storage = { ...sizes, points_stored: all };
}

async function runOnce(target: Target, round_: number): Promise<RoundResult> {
  if (isPeer(target.kind)) return runPeer(target as Target & { kind: PeerKind }, round_);
  const label = `${target.name.replace(/[@/]/g, '-')}-r${round_}`;
  const flags = profileFlags(label);
  const t0 = performance.now();
  let server: ChildServer;
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  let headers: Record<string, string> = { ...protocolRequest[target.protocol].headers };
  if (target.kind === 'ceiling') {
    server = await spawnServer('ceiling server', ['--import', 'tsx', join(root, 'bench', 'ceiling-server.ts')], { HOST: '127.0.0.1', PORT: '0' }, /is running at (http:\/\/\S+) /, flags);
  } else {
    store = await openStore(target.kind as 'postgres' | 'embedded', 'ingest');
    server = await startIntentVision(store, {}, flags, target.bin);
    if (!server.key) throw new Error(`${label}: the server printed no first-start key:\n${server.output()}`);
    headers = { ...headers, authorization: `Bearer ${server.key}` };
  }
  const startMs = performance.now() - t0;
  try {
    const { bodies, warmup, t0: first } = freshBodies(target.protocol);
    const url = new URL(protocolRequest[target.protocol].path, server.url);
    const ageAtStart = (Date.now() - first) / 1000;
    if (warmup.length) await drive(url, headers, warmup, settings.clients, checker(target, settings.batch, `${label} warm-up`));
    const cpu = await cpuMeter(server.pid, store?.database);
    const run = await drive(url, headers, bodies, settings.clients, checker(target, settings.batch, label));
    const share = await cpu();
    const result = summarise(round_, bodies.length, run, share, maxRssMb(server.pid), startMs);
    result.oldestPointAgeS = { atStart: Math.round(ageAtStart), atEnd: Math.round((Date.now() - first) / 1000) };
    const expected = bodies.length * settings.batch;
    if (store?.url) {
      const c = new pg.Client({ connectionString: store.url });
      await c.connect();
      try {
        result.storedPoints = await storedPoints(c, 'bench.metric');
        result.databaseSizeMb = round(Number((await c.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')).rows[0]!.size) / 2 ** 20, 0);
        await platformStorage(c, result);
      } finally {
        await c.end();
      }
    }
    if (store?.dataDir) {
      // One process per data directory: the server goes first, then the store is opened here.
      await server.stop();
      const db = await openPglite({ dataDir: join(store.dataDir, 'pg') });
      try {
        result.storedPoints = await storedPoints(db, 'bench.metric');
        await platformStorage(db, result);
      } finally {
        await db.close();
      }
    }
    if (result.storedPoints !== undefined && result.storedPoints !== expected) throw new Error(`${label}: ${result.storedPoints} points stored, ${expected} acknowledged`);
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
  // One batch of each protocol, for the body sizes (the runs build their own, fresh, before each run).
  const probe = new Map<Protocol, number>();
  const used = new Set<Protocol>(['json', ...settings.protocols, ...(settings.stores.some(isPeer) ? (['influx'] as const) : [])]);
  for (const p of used) probe.set(p, makeBodies(p, 'bench.metric', settings.batch, settings.batch, settings.series, Date.now())[0]!.length);
  const sizes = [...probe].map(([p, b]) => `${p} ${round((b * (settings.points / settings.batch)) / 2 ** 20)} MiB`).join(', ');
  console.log(
    `ingest bench: ${settings.points.toLocaleString('en')} points, ${settings.batch}/batch, ${settings.series.toLocaleString('en')} series × ${steps} timestamps ${settings.intervalMs / 1000} s apart ` +
      `(ending 20 s before each run), ${settings.clients} clients, ${settings.rounds} round(s) of ${settings.stores.join(', ')} × ${settings.protocols.join(', ')}; bodies ≈ ${sizes}`,
  );

  const skipped: Record<string, string> = {};
  for (const k of settings.stores.filter(isPeer)) {
    const why = peerMissing(k);
    if (why) {
      skipped[k] = why;
      console.log(`  ${why}`);
    }
  }
  const other = compareBin();
  // The webhook keeps the plain store name (`postgres`); other protocols are `postgres/remote-write` ….
  // Peers take line protocol only, under their own name.
  const targets: Target[] = settings.stores.flatMap((kind): Target[] => {
    if (kind === 'ceiling') return [{ name: kind, kind, protocol: 'json' }];
    if (isPeer(kind)) return skipped[kind] ? [] : [{ name: kind, kind, protocol: 'influx' }];
    return settings.protocols.flatMap((protocol): Target[] => {
      const name = protocol === 'json' ? kind : `${kind}/${protocol}`;
      const own: Target = { name, kind, protocol };
      return other && protocol === 'json' ? [own, { name: `${kind}@compare`, kind, protocol, bin: other }] : [own];
    });
  });
  const results = new Map<string, RoundResult[]>(targets.map((t) => [t.name, []]));
  for (let r = 1; r <= settings.rounds; r++) {
    for (const target of targets) {
      const res = await runOnce(target, r);
      results.get(target.name)!.push(res);
      console.log(
        `  round ${r} ${target.name.padEnd(24)} ${String(res.pointsPerSecond).padStart(8)} points/s  p50 ${res.batchLatencyMs.p50} ms  p99 ${res.batchLatencyMs.p99} ms  ` +
          `cpu gen ${res.cpu.loadGenerator} server ${res.cpu.server} pg ${res.cpu.postgres} other ${res.cpu.other} (of ${res.cpu.cores})` +
          (res.serverMaxRssMb ? `  server max RSS ${res.serverMaxRssMb} MB` : '') +
          `  start ${res.startMs} ms` +
          (res.bytesPerPoint !== undefined ? `  ${res.bytesPerPoint} bytes a point${res.storage?.settled === false ? ' (still settling)' : ''}` : '') +
          (res.oldestPointAgeS ? `  oldest point ${res.oldestPointAgeS.atStart}→${res.oldestPointAgeS.atEnd} s old` : ''),
      );
    }
  }

  const summary: Record<string, { pointsPerSecond: number; batchLatencyP50Ms: number; batchLatencyP99Ms: number; serverMaxRssMb?: number; bytesPerPoint?: number }> = {};
  for (const [target, rounds] of results) {
    const bpp = rounds.map((x) => x.bytesPerPoint).filter((x): x is number => x !== undefined);
    summary[target] = {
      pointsPerSecond: median(rounds.map((x) => x.pointsPerSecond)),
      batchLatencyP50Ms: median(rounds.map((x) => x.batchLatencyMs.p50)),
      batchLatencyP99Ms: median(rounds.map((x) => x.batchLatencyMs.p99)),
      serverMaxRssMb: median(rounds.map((x) => x.serverMaxRssMb ?? 0)) || undefined,
      bytesPerPoint: bpp.length ? median(bpp) : undefined,
    };
  }
  // Per round (interleaved, so both saw the same machine state), then the median.
  const ratios: Record<string, { median: number; perRound: number[] }> = {};
  const ratio = (num: string, den: string, name = `${num}/${den}`) => {
    const a = results.get(num);
    const b = results.get(den);
    if (!a?.length || !b?.length) return;
    const perRound = a.map((x, i) => round(x.pointsPerSecond / b[i]!.pointsPerSecond, 3));
    ratios[name] = { median: median(perRound), perRound };
  };
  const platform = targets.filter((t) => t.kind !== 'ceiling' && !isPeer(t.kind));
  for (const t of platform) ratio(t.name, 'ceiling');
  // Each protocol against the JSON webhook on the same store (the bar: ≥ 1.0×).
  for (const t of platform.filter((x) => x.protocol !== 'json' && !x.bin)) ratio(t.name, t.kind);
  // The issue's bars: the platform on PostgreSQL ≥ 1.0× InfluxDB; embedded ≥ 0.5× PostgreSQL.
  for (const t of platform) for (const peer of peerKinds) ratio(t.name, peer);
  for (const t of platform.filter((x) => x.kind === 'embedded')) ratio(t.name, t.name.replace('embedded', 'postgres'));

  const met = (name: string, bar: number) => (ratios[name] ? ratios[name].median >= bar : undefined);
  const targetsMet = {
    postgresAtLeastInfluxdb: met('postgres/influxdb', 1),
    embeddedAtLeastHalfPostgres: met('embedded/postgres', 0.5),
    postgres150k: results.has('postgres') ? summary.postgres!.pointsPerSecond >= 150_000 : undefined,
    embedded50k: results.has('embedded') ? summary.embedded!.pointsPerSecond >= 50_000 : undefined,
    protocolsAtLeastJsonOnPostgres: Object.fromEntries(platform.filter((t) => t.kind === 'postgres' && t.protocol !== 'json' && !t.bin).map((t) => [t.protocol, met(`${t.name}/postgres`, 1)])),
  };

  const host = await machine();
  const file = writeResult('ingest', {
    bench: 'ingest',
    machine: host,
    note:
      'The load generator runs on the same machine: server, PostgreSQL and generator share its cores (cpu: CPU seconds per wall second of each during the timed phase). ' +
      'Peers run from their Debian packages with their default settings on loopback (InfluxDB: TSM engine, inmem index; VictoriaMetrics: single node). ' +
      'bytesPerPoint: PostgreSQL and embedded total relation sizes of points, chunks and rollups (all partitions, indexes, TOAST) over points stored right after ingest (all hot rows, before compaction); peers: data directory after their flush.',
    settings: { ...settings, steps },
    skipped,
    summary,
    ratios,
    targets: { postgresOverInfluxdb: 1, embeddedOverPostgres: 0.5, postgresPointsPerSecond: 150_000, embeddedPointsPerSecond: 50_000, met: targetsMet },
    rounds: Object.fromEntries(results),
  });

  const parts = [...results.keys()].map((t) => {
    const s = summary[t]!;
    const vsCeiling = ratios[`${t}/ceiling`];
    const vsJson = t.includes('/') ? ratios[`${t}/${t.split('/')[0]}`] : undefined;
    return `${t} ${fmt(s.pointsPerSecond)} points/s p50 ${s.batchLatencyP50Ms} ms p99 ${s.batchLatencyP99Ms} ms${vsCeiling ? ` (${vsCeiling.median}× ceiling)` : ''}${vsJson ? ` (${vsJson.median}× JSON)` : ''}${s.bytesPerPoint !== undefined ? ` ${s.bytesPerPoint} B/point` : ''}`;
  });
  console.log(`ingest: ${parts.join(' | ')} — median of ${settings.rounds}, ${settings.points.toLocaleString('en')} points, ${settings.clients} clients, nproc ${host.nproc}, ${process.version}`);
  const show = (name: string, target?: string) => {
    const r = ratios[name];
    if (r) console.log(`  ${name.padEnd(32)} ${String(r.median).padStart(6)}×  per round ${r.perRound.join(', ')}${target ? `  (target ${target})` : ''}`);
  };
  show('postgres/influxdb', '≥ 1.0×');
  show('embedded/influxdb');
  show('embedded/postgres', '≥ 0.5×');
  show('postgres/victoria-metrics');
  show('embedded/victoria-metrics');
  for (const name of Object.keys(ratios)) if (!['postgres/influxdb', 'embedded/influxdb', 'embedded/postgres', 'postgres/victoria-metrics', 'embedded/victoria-metrics'].includes(name) && /influxdb|victoria|postgres$/.test(name)) show(name);
  for (const why of Object.values(skipped)) console.log(`  ${why}`);
  console.log(`wrote ${file}`);
});
