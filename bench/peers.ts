// The other time-series databases of the ingest benchmark, each run from its Debian package as a child
// process on loopback only, with a temporary data directory removed at clean-up:
//   InfluxDB 1.6   (`influxd`, package `influxdb`): a generated config binding 127.0.0.1 only, no
//                  usage reporting, no _internal monitor database, no other listeners.
//   VictoriaMetrics (`victoria-metrics`, package `victoria-metrics`): -httpListenAddr 127.0.0.1:PORT.
// Both take the benchmark's Influx line protocol with millisecond timestamps. A missing binary is
// reported by `peerMissing` so the bench can say so and skip the peer.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './lib.js';

export const peerKinds = ['influxdb', 'victoria-metrics'] as const;
export type PeerKind = (typeof peerKinds)[number];

const binaries: Record<PeerKind, { path: string; pkg: string }> = {
  influxdb: { path: process.env.BENCH_INFLUXD ?? '/usr/bin/influxd', pkg: 'influxdb' },
  'victoria-metrics': { path: process.env.BENCH_VICTORIA_METRICS ?? '/usr/bin/victoria-metrics', pkg: 'victoria-metrics' },
};

/** Why a peer cannot run here (its binary is absent), or undefined when it can. */
export function peerMissing(kind: PeerKind): string | undefined {
  const b = binaries[kind];
  try {
    accessSync(b.path, constants.X_OK);
    return undefined;
  } catch {
    return `${b.path} not found (Debian package \`${b.pkg}\`: apt-get install -y ${b.pkg}); skipping ${kind}`;
  }
}

export interface Peer {
  kind: PeerKind;
  pid: number;
  /** Base URL, http://127.0.0.1:PORT */
  url: string;
  /** Path (with query) taking line protocol with ms timestamps, and the status of success. */
  writePath: string;
  okStatus: number;
  dataDir: string;
  /** Points of measurement `bench`, field `metric` stored (after making them visible). */
  countPoints(): Promise<number>;
  /** Bytes on disk of the data directory once the peer has written its in-memory data out (best effort). */
  diskBytes(): Promise<{ bytes: number; settled: boolean }>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function call(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url}: no reply in 60 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bytes of every file under `dir`, optionally only those under no path segment named in `skip`. */
export function duBytes(dir: string, skip: ReadonlySet<string> = new Set()): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    // Allocated blocks, as `du` counts them (sparse and preallocated files are not their length).
    if (e.isDirectory()) total += duBytes(p, skip);
    else if (e.isFile()) total += statSync(p).blocks * 512;
  }
  return total;
}

function spawnPeer(kind: PeerKind, args: string[]): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn(binaries[kind].path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 100_000) out = out.slice(-50_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const stop = onCleanup(`stop ${kind} (pid ${child.pid})`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  });
  return { child, output: () => out, stop };
}

async function waitReady(kind: PeerKind, url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${kind} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
    try {
      const r = await call(url);
      if (r.status >= 200 && r.status < 300) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${kind}: not ready in ${timeoutMs / 1000} s:\n${output()}`);
}

function tempDir(kind: PeerKind): { dir: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), `iv-bench-${kind}-`));
  return { dir, remove: onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true })) };
}

/** A fresh InfluxDB 1.x with database `bench`. */
export async function startInfluxDB(): Promise<Peer> {
  const { dir, remove } = tempDir('influxdb');
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  // Defaults everywhere else (the package's own settings), except: loopback only, nothing reported or
  // self-monitored, no background services the benchmark does not use. The cold-write durations only
  // act once writes stop (after the timed phase): they let the cache and WAL reach TSM files quickly
  // for the size measure.
  const config = `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "1s"
  compact-full-write-cold-duration = "2s"
[retention]
  enabled = false
[shard-precreation]
  enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
  pprof-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
`;
  const configFile = join(dir, 'influxdb.conf');
  writeFileSync(configFile, config);
  const p = spawnPeer('influxdb', ['-config', configFile]);
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    await p.stop();
    await remove();
  };
  try {
    await waitReady('influxdb', `${url}/ping`, p.child, p.output);
    const r = await call(`${url}/query`, 'POST', 'q=CREATE%20DATABASE%20bench');
    if (r.status !== 200) throw new Error(`influxdb: CREATE DATABASE answered ${r.status}: ${r.body}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    kind: 'influxdb',
    pid: p.child.pid!,
    url,
    writePath: '/write?db=bench&precision=ms',
    okStatus: 204,
    dataDir: dir,
    async countPoints() {
      const r = await call(`${url}/query?db=bench&q=${encodeURIComponent('SELECT count(metric) FROM bench')}`);
      if (r.status !== 200) throw new Error(`influxdb count: ${r.status} ${r.body}`);
      const body = JSON.parse(r.body) as { results: { series?: { values: [string, number][] }[] }[] };
      return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    },
    async diskBytes() {
      // Once writes stop, the cache is snapshotted to TSM after 1 s and the WAL segments go; wait
      // (up to 30 s) until the WAL is empty and the total stops moving.
      let last = -1;
      for (let i = 0; i < 60; i++) {
        await sleep(500);
        const wal = duBytes(join(dir, 'wal'));
        const total = duBytes(dir, new Set(['influxdb.conf']));
        if (wal === 0 && total === last) return { bytes: total, settled: true };
        last = total;
      }
      return { bytes: duBytes(dir, new Set(['influxdb.conf'])), settled: false };
    },
    stop,
  };
}

/** A fresh single-node VictoriaMetrics. */
export async function startVictoriaMetrics(): Promise<Peer> {
  const { dir, remove } = tempDir('victoria-metrics');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = spawnPeer('victoria-metrics', [
    `-httpListenAddr=127.0.0.1:${port}`,
    `-storageDataPath=${dir}`,
    '-retentionPeriod=100y',
    '-loggerLevel=ERROR',
    // Recently written samples become searchable only after this offset (30 s by default); the
    // count after the run should see them all.
    '-search.latencyOffset=0s',
  ]);
  const stop = async () => {
    await p.stop();
    await remove();
  };
  try {
    await waitReady('victoria-metrics', `${url}/health`, p.child, p.output);
  } catch (err) {
    await stop();
    throw err;
  }
  const flush = async () => {
    const r = await call(`${url}/internal/force_flush`);
    if (r.status !== 200) throw new Error(`victoria-metrics force_flush: ${r.status} ${r.body}`);
  };
  return {
    kind: 'victoria-metrics',
    pid: p.child.pid!,
    url,
    writePath: '/write?db=bench&precision=ms',
    okStatus: 204,
    dataDir: dir,
    async countPoints() {
      await flush();
      // Influx measurement `bench` + field `metric` is the metric bench_metric.
      // (The benchmark's points lie within the last hour; a lookback of years finds nothing in 1.79.)
      const q = encodeURIComponent('sum(count_over_time(bench_metric[2d]))');
      const r = await call(`${url}/api/v1/query?query=${q}&nocache=1`);
      if (r.status !== 200) throw new Error(`victoria-metrics count: ${r.status} ${r.body}`);
      const body = JSON.parse(r.body) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0);
    },
    async diskBytes() {
      await flush();
      // Background merges of the flushed parts shrink the total for a few seconds; wait until it is still.
      let last = -1;
      for (let i = 0; i < 40; i++) {
        await sleep(500);
        const total = duBytes(dir, new Set(['cache', 'flock.lock']));
        if (total === last) return { bytes: total, settled: true };
        last = total;
      }
      return { bytes: last, settled: false };
    },
    stop,
  };
}

export function startPeer(kind: PeerKind): Promise<Peer> {
  return kind === 'influxdb' ? startInfluxDB() : startVictoriaMetrics();
}
