#!/usr/bin/env node
// `npm test`: type-checks (the platform and web/), brings dist/ up to date (the CLI tests run the compiled build), prepares
// a PGlite template (initdb once, then every test store is a ~0.3 s copy of it instead of a ~4 s
// initdb), runs the storage tests on PostgreSQL 16 and 17 (scripts/pg-versions.mjs), then every
// *.test.ts under src/, test/ and bench/ with Node's test runner.
// `node scripts/test.mjs FILE…` runs only those files, without the type-check.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build.mjs';
import { findTests } from './test-files.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const only = process.argv.slice(2);
const files = only.length ? only : findTests(root, ['src', 'test', 'bench']);
if (!files.length) {
  console.error('no test files found');
  process.exit(1);
}

if (!only.length) {
  // The platform, then the dashboard (web/ has its own tsconfig: DOM, JSX, bundler resolution).
  for (const args of [['--noEmit'], ['--noEmit', '-p', 'web']]) {
    const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', ...args], { stdio: 'inherit' });
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  }
}

// Tests that start bin/intentvision.js or read dist/ need the build of the sources under test. A run
// of chosen files tolerates type errors elsewhere in the tree (tsc still emits), as it skips the
// type-check.
const runsBuild = (file) => /bin\/intentvision\.js|\.\.\/dist\//.test(readFileSync(file, 'utf8'));
if (!only.length || files.some(runsBuild)) {
  if (!buildIfStale({ allowTypeErrors: only.length > 0 })) process.exit(1);
}

const { PGlite } = await import('@electric-sql/pglite');
const pgliteVersion = JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8')).version;
const template = join(root, '.cache', `pglite-template-${pgliteVersion}`);
if (!existsSync(template)) {
  const tmp = `${template}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(root, '.cache'), { recursive: true });
  const db = new PGlite(tmp);
  await db.waitReady;
  await db.close();
  try {
    renameSync(tmp, template);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another run made it first
  }
}

// Schemas and databases left by test runs that were killed (their pid is gone) are dropped.
async function dropStaleTestData() {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return e.code === 'EPERM';
    }
  };
  try {
    await client.connect();
    const schemas = await client.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_[0-9]+_[0-9a-f]{8}(_boss)?$'`);
    for (const { nspname } of schemas.rows) if (!alive(Number(nspname.split('_')[1]))) await client.query(`DROP SCHEMA IF EXISTS ${nspname} CASCADE`);
    const dbs = await client.query(`SELECT datname FROM pg_database WHERE datname ~ '^iv_cli_[0-9]+$'`);
    for (const { datname } of dbs.rows) if (!alive(Number(datname.split('_')[2]))) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } catch (e) {
    console.error(`note: could not clean stale test schemas: ${e.message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
await dropStaleTestData();

// A full run first proves the store's SQL on PostgreSQL 16 and 17 (the machine's is 15), then runs
// every file; both always run, so one run reports both, and the main run's summary comes last.
const versions = only.length ? { status: 0 } : spawnSync(process.execPath, ['scripts/pg-versions.mjs'], { stdio: 'inherit', env: { ...process.env, IV_PGLITE_TEMPLATE: template } });
if (versions.signal) process.exit(1);

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { stdio: 'inherit', env: { ...process.env, IV_PGLITE_TEMPLATE: template, NODE_ENV: 'test' } },
);
if (versions.status) console.error('scripts/pg-versions.mjs failed: the storage tests on PostgreSQL 16/17 (above)');
process.exit((result.status ?? 1) || (versions.status ?? 1));
