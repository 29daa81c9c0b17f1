// Shared helpers of the benchmarks: child servers, temporary databases and data directories, a
// keep-alive HTTP load generator, percentiles, CPU accounting and the result files.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { storageSizes, type PointTable } from '../src/metrics/points/storage-sizes.js';
export type { PointTable } from '../src/metrics/points/storage-sizes.js';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const bin = join(root, 'bin', 'intentvision.js');
export const pgAdminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const keyPattern = /iv_[A-Za-z0-9_-]{32}/;

export function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`${name} must be a whole number ≥ ${min}, got "${raw}"`);
  return v;
}

export function envList<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const raw = process.env[name];
  if (!raw) return [...fallback];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!allowed.includes(i as T)) throw new Error(`${name}: "${i}" is not one of ${allowed.join(', ')}`);
  return items as T[];
}

// ---------------------------------------------------------------------------------------------
// Clean-up: everything a bench creates registers its undo here; it runs on normal exit, on
// failure and on SIGINT/SIGTERM, newest first.

const cleanups: { name: string; fn: () => Promise<void> | void }[] = [];

export function onCleanup(name: string, fn: () => Promise<void> | void): () => Promise<void> {
  const entry = { name, fn };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) {
      cleanups.splice(i, 1);
      await fn();
    }
  };
}

export async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const c = cleanups.pop()!;
    try {
      await c.fn();
    } catch (err) {
      console.error(`clean-up "${c.name}" failed: ${(err as Error).message}`);
    }
  }
}

/** Runs `main`, then cleans up whatever it left, whether it succeeded, threw or was interrupted. */
export function runBench(main: () => Promise<void>): void {
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: cleaning up`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main()
    .then(
      () => 0,
      (err) => {
        console.error(err instanceof Error ? (err.stack ?? err.message) : err);
        return 1;
      },
    )
    .then(async (code) => {
      await cleanupAll();
      process.exit(code);
    });
}

// ---------------------------------------------------------------------------------------------
// Stores

export interface BenchStore {
  kind: 'postgres' | 'embedded';
  env: Record<string, string>;
  /** PostgreSQL URL and name of the temporary database (postgres only). */
  url?: string;
  database?: string;
  /** Embedded data directory (embedded only). */
  dataDir?: string;
  drop(): Promise<void>;
}

/** A fresh database on the local PostgreSQL, dropped by `drop()` or at clean-up. */
export async function tempPostgres(label: string): Promise<BenchStore> {
  const name = `iv_bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: pgAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(pgAdminUrl);
  u.pathname = `/${name}`;
  const drop = onCleanup(`drop database ${name}`, async () => {
    const c = new pg.Client({ connectionString: pgAdminUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  return { kind: 'postgres', env: { DATABASE_URL: u.toString() }, url: u.toString(), database: name, drop };
}

/** A fresh embedded-store data directory, removed by `drop()` or at clean-up. */
export function tempEmbedded(label: string): BenchStore {
  const dir = mkdtempSync(join(tmpdir(), `iv-bench-${label}-`));
  const dataDir = join(dir, 'data');
  const drop = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return { kind: 'embedded', env: { DATA_DIR: dataDir }, dataDir, drop };
}

export function openStore(kind: 'postgres' | 'embedded', label: string): Promise<BenchStore> {
  return kind === 'postgres' ? tempPostgres(label) : Promise.resolve(tempEmbedded(label));
}

// ---------------------------------------------------------------------------------------------
// Child servers

export const serverEnv = {
  LOG_LEVEL: 'warn',
  JOBS_ENABLED: 'false',
  RATE_LIMIT_MAX: '10000000',
  HOST: '127.0.0.1',
  PORT: '0',
};

export interface ChildServer {
  child: ChildProcess;
  pid: number;
  url: string;
  /** The admin key printed on the first start of a store, if this start printed one. */
  key?: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns a Node server (`args` after the node flags) and resolves once its stdout matches
 * `ready` (whose first group is the URL). Killed at clean-up if still running.
 */
export function spawnServer(label: string, args: string[], env: Record<string, string>, ready: RegExp, nodeFlags: string[] = [], timeoutMs = 120_000): Promise<ChildServer> {
  const child = spawn(process.execPath, [...nodeFlags, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 100_000) err = err.slice(-50_000);
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  };
  const stop = onCleanup(`stop ${label} (pid ${child.pid})`, kill);
  return new Promise((resolve, reject) => {
    const fail = (msg: string) => {
      clearTimeout(timer);
      void stop().finally(() => reject(new Error(`${label}: ${msg}\n--- stdout\n${out}\n--- stderr\n${err}`)));
    };
    const timer = setTimeout(() => fail(`not ready in ${timeoutMs / 1000} s`), timeoutMs);
    const early = (code: number | null, sig: NodeJS.Signals | null) => fail(`exited (${code ?? sig}) before it was ready`);
    child.once('exit', early);
    child.stdout!.on('data', function check() {
      const m = ready.exec(out);
      if (!m) return;
      child.stdout!.off('data', check);
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        child,
        pid: child.pid!,
        url: m[1]!,
        key: keyPattern.exec(out)?.[0],
        output: () => `${out}\n${err}`,
        stop,
      });
    });
  });
}

/**
 * The real `bin/intentvision.js` on a store; `binPath` picks another checkout's (BENCH_COMPARE_DIR),
 * whose own src and db/migrations then run.
 */
export function startIntentVision(store: BenchStore, extraEnv: Record<string, string> = {}, nodeFlags: string[] = [], binPath = bin): Promise<ChildServer> {
  // For diagnosis only: BENCH_PGOPTIONS (e.g. "-c synchronous_commit=off") reaches the server's pg pool as PGOPTIONS.
  const diag: Record<string, string> = process.env.BENCH_PGOPTIONS ? { PGOPTIONS: process.env.BENCH_PGOPTIONS } : {};
  // BENCH_SERVER_FROM_SRC=1: run src/main.ts through tsx instead of dist/ (a tree whose build fails).
  if (process.env.BENCH_SERVER_FROM_SRC === '1' && binPath === bin) {
    nodeFlags = [...nodeFlags, '--import', 'tsx'];
    binPath = join(root, 'src', 'main.ts');
  }
  return spawnServer(`intentvision (${store.kind}, ${binPath})`, [binPath], { ...serverEnv, ...diag, ...store.env, ...extraEnv }, /is running at (http:\/\/\S+) /, nodeFlags);
}

/** bin/intentvision.js of BENCH_COMPARE_DIR (another checkout with node_modules), if set. */
export function compareBin(): string | undefined {
  const dir = process.env.BENCH_COMPARE_DIR;
  return dir ? join(dir, 'bin', 'intentvision.js') : undefined;
}

/** Node flags for `--cpu-prof` of a server child when BENCH_CPU_PROF names a directory. */
export function profileFlags(label: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return [];
  // One directory per server: every thread (tsx runs a loader thread) writes its own profile.
  const sub = join(dir, label);
  mkdirSync(sub, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${sub}`];
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): how the two cores are shared between the load generator, the
// server and PostgreSQL during a timed phase.

const clockTicks = 100; // USER_HZ on Linux

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the command).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return 0;
  }
}

/** Machine-wide busy CPU ms (all cores; /proc/stat user+nice+system+irq+softirq+steal). */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / clockTicks;
}

/**
 * Pids of the PostgreSQL processes working for `database`: its backends and the server's
 * auxiliary processes (WAL writer, checkpointer, background writer, autovacuum), not other
 * databases' backends (another test run on the machine).
 */
async function postgresPids(database: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: pgAdminUrl });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (datname = $1 OR backend_type NOT IN ('client backend', 'autovacuum worker'))`,
      [database],
    );
    return r.rows.map((x) => x.pid);
  } finally {
    await c.end();
  }
}

export interface CpuShare {
  /** CPU seconds per wall second (1.0 = one core busy), over the timed phase. */
  loadGenerator: number;
  server: number;
  /** Backends of the bench database and PostgreSQL's auxiliary processes. */
  postgres: number;
  total: number;
  /** Busy CPU of everything else on the machine (other workloads share it). */
  other: number;
  cores: number;
}

/** Starts measuring; the returned function ends the measure. `database`: the PostgreSQL database in use. */
export async function cpuMeter(serverPid: number, database?: string): Promise<() => Promise<CpuShare>> {
  const pgStart = new Map<number, number>();
  if (database) for (const pid of await postgresPids(database)) pgStart.set(pid, procCpuMs(pid));
  const t0 = performance.now();
  const machine0 = machineBusyMs();
  const self0 = process.cpuUsage();
  const server0 = procCpuMs(serverPid);
  return async () => {
    const wall = performance.now() - t0;
    const self = process.cpuUsage(self0);
    const machineBusy = (machineBusyMs() - machine0) / wall;
    const serverMs = procCpuMs(serverPid) - server0;
    let pgMs = 0;
    if (database) {
      // Backends that started during the run count whole (their CPU time is all inside it).
      for (const pid of new Set([...pgStart.keys(), ...(await postgresPids(database))])) pgMs += Math.max(0, procCpuMs(pid) - (pgStart.get(pid) ?? 0));
    }
    const gen = (self.user + self.system) / 1000 / wall;
    const server = serverMs / wall;
    const postgres = pgMs / wall;
    const r = (x: number) => Math.round(x * 100) / 100;
    return { loadGenerator: r(gen), server: r(server), postgres: r(postgres), total: r(gen + server + postgres), other: r(Math.max(0, machineBusy - gen - server - postgres)), cores: availableParallelism() };
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
}

export function request(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body?: Buffer): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: body ? { ...headers, 'content-length': String(body.length) } : headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${url.pathname}: no reply in 120 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends every body once, `clients` requests in flight at a time over keep-alive connections;
 * `check` sees each reply (and throws to stop the run). Returns the latencies in ms.
 */
export async function drive(url: URL, headers: Record<string, string>, bodies: Buffer[], clients: number, check: (r: HttpResult, i: number) => void): Promise<{ wallMs: number; latencies: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies = new Array<number>(bodies.length);
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < bodies.length) {
          const i = next++;
          const r = await request(agent, url, 'POST', headers, bodies[i]);
          latencies[i] = r.ms;
          check(r, i);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { wallMs: performance.now() - t0, latencies };
}

// ---------------------------------------------------------------------------------------------
// Figures and results

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function machine() {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    postgres: await postgresVersion(),
  };
}

async function postgresVersion(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: pgAdminUrl });
  try {
    await c.connect();
    return (await c.query<{ v: string }>('SHOW server_version')).rows[0]?.v;
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Writes bench/results/NAME.json (or into BENCH_RESULTS_DIR: smoke runs keep the committed figures). */
export function writeResult(name: string, data: unknown): string {
  const file = join(process.env.BENCH_RESULTS_DIR ?? join(root, 'bench', 'results'), `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** Fresh statistics and visibility map after a bulk load, so plans and index-only scans are as in steady state. */
export async function vacuumAnalyze(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('VACUUM ANALYZE points');
    await c.query('ANALYZE series');
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Storage figures (issue 18)

/** What a size query needs: pg.Client, pg.Pool and the Sql executor all have it. */
export interface Queryable {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Bytes on disk of the point tables in the current schema: each table's heap, indexes, TOAST and free
 * space and visibility maps, summed over its partitions (storage-sizes.ts, as GET /metrics reports them).
 */
export async function pointTableBytes(q: Queryable): Promise<Record<PointTable, number>> {
  return Object.fromEntries((await storageSizes(q)).map((x) => [x.table, x.bytes])) as Record<PointTable, number>;
}

/** Points stored for the series of `key` (hot rows and points inside chunks). */
export async function storedPoints(q: Queryable, key?: string): Promise<number> {
  const where = key === undefined ? '' : `WHERE series_id IN (SELECT id FROM series WHERE key = $1)`;
  const r = await q.query<{ n: string }>(
    `SELECT ((SELECT count(*) FROM points ${where}) + (SELECT coalesce(sum(n), 0) FROM chunks ${where}))::bigint::text AS n`,
    key === undefined ? [] : [key],
  );
  return Number(r.rows[0]!.n);
}
