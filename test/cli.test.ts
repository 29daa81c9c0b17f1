import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations } from '../src/store/migrate.js';
import { createTempDatabase } from './helpers/stores.js';

const bin = new URL('../bin/intentvision.js', import.meta.url).pathname;
const keyPattern = /iv_[A-Za-z0-9_-]{32}/;
const migrationCount = loadMigrations().length;

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', ...extra };
  return env;
}

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: baseEnv(env), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Server {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stop(): Promise<number | null>;
}

/** Starts `intentvision` and resolves once it prints the URL it listens on. */
function startServer(env: Record<string, string>, args: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [bin, ...args], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 60 s:\n${out}\n${err}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}\n${err}`));
    });
    child.stdout!.on('data', () => {
      const m = /is running at (http:\/\/[^\s]+) /.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        child,
        url: m[1]!,
        stdout: () => out,
        stop: () =>
          new Promise((res) => {
            child.once('exit', (code) => res(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

describe('command line', () => {
  test('--help lists commands and options', () => {
    const r = run(['--help'], {});
    assert.equal(r.code, 0);
    for (const s of ['serve', 'migrate status', 'orgs create', 'keys create', 'DATABASE_URL', 'REDIS_URL', 'PORT', 'LOG_LEVEL', 'BODY_LIMIT']) assert.ok(r.stdout.includes(s), s);
  });

  test('a bad configuration value stops start-up with a clear message', () => {
    const r = run([], { PORT: 'eighty', DATABASE_URL: 'mysql://nope' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /PORT must be a whole number/);
    assert.match(r.stderr, /DATABASE_URL must be a postgres:\/\/ URL/);
  });

  test('unknown commands and flags exit 2', () => {
    assert.equal(run(['frobnicate'], {}).code, 2);
    assert.equal(run(['--no-such-flag'], {}).code, 2);
  });
});

describe('embedded store: first start, restart, CLI commands', () => {
  let dir: string;
  let env: Record<string, string>;
  let firstKey: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'iv-cli-'));
    env = { DATA_DIR: join(dir, 'data') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('first start creates the default organisation and prints an admin key once', async () => {
    const s = await startServer(env);
    try {
      const m = keyPattern.exec(s.stdout());
      assert.ok(m, `no key printed:\n${s.stdout()}`);
      firstKey = m[0];
      const ready = await fetch(`${s.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { database: string }).database, 'pglite');
      const org = await fetch(`${s.url}/api/v1/orgs/current`, { headers: { authorization: `Bearer ${firstKey}` } });
      assert.equal(org.status, 200);
      assert.equal(((await org.json()) as { slug: string }).slug, 'default');

      // A second process on the same data directory is refused while the first runs.
      const second = run([], env);
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, /in use by process/);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });

  test('a restart keeps the data and prints no new key', async () => {
    const s = await startServer(env);
    try {
      assert.doesNotMatch(s.stdout(), keyPattern);
      const org = await fetch(`${s.url}/api/v1/orgs/current`, { headers: { 'x-api-key': firstKey } });
      assert.equal(org.status, 200);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });

  test('migrate and migrate status', () => {
    const m = run(['migrate'], env);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /up to date/);
    const st = run(['migrate', 'status'], env);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /applied\s+0001_foundation/);
    assert.match(st.stdout, new RegExp(`${migrationCount} applied, 0 pending`));
  });

  test('orgs create, keys create/list/revoke', async () => {
    const o = run(['orgs', 'create', 'Acme', 'Corp'], env);
    assert.equal(o.code, 0, o.stderr);
    assert.match(o.stdout, /slug acme-corp/);
    assert.equal(run(['orgs', 'create', 'Acme Corp'], env).code, 2, 'duplicate slug is refused');
    const list = run(['orgs', 'list'], env);
    assert.match(list.stdout, /default .*\(platform\)/);
    assert.match(list.stdout, /acme-corp/);

    const k = run(['keys', 'create', '--org', 'acme-corp', '--scopes', 'read,write', '--name', 'ci'], env);
    assert.equal(k.code, 0, k.stderr);
    const secret = keyPattern.exec(k.stdout)?.[0];
    assert.ok(secret);
    const id = /created key ([0-9a-f-]{36})/.exec(k.stdout)?.[1];
    assert.ok(id);
    assert.equal(run(['keys', 'create', '--org', 'acme-corp', '--scopes', 'read,fly'], env).code, 2);
    assert.equal(run(['keys', 'create', '--org', 'nobody', '--scopes', 'read'], env).code, 2);

    const kl = run(['keys', 'list', '--org', 'acme-corp'], env);
    assert.match(kl.stdout, new RegExp(`${id}\\s+iv_\\S+…\\s+active\\s+read,write`));
    assert.ok(!kl.stdout.includes(secret), 'listing never shows the secret');

    const s = await startServer(env);
    try {
      const me = await fetch(`${s.url}/api/v1/orgs/current`, { headers: { authorization: `Bearer ${secret}` } });
      assert.equal(((await me.json()) as { slug: string }).slug, 'acme-corp');
    } finally {
      await s.stop();
    }
    const rv = run(['keys', 'revoke', id, '--org', 'acme-corp'], env);
    assert.equal(rv.code, 0, rv.stderr);
    assert.match(run(['keys', 'list', '--org', 'acme-corp'], env).stdout, /revoked/);
  });
});

describe('PostgreSQL: start with DATABASE_URL', () => {
  let url: string;
  let dropDatabase: () => Promise<void>;
  before(async () => {
    ({ url, drop: dropDatabase } = await createTempDatabase());
  });
  after(() => dropDatabase());

  test('migrates, bootstraps once, reports ready on postgres', async () => {
    const s = await startServer({ DATABASE_URL: url });
    let key: string | undefined;
    try {
      key = keyPattern.exec(s.stdout())?.[0];
      assert.ok(key, s.stdout());
      const ready = (await (await fetch(`${s.url}/readyz`)).json()) as { database: string; status: string };
      assert.deepEqual([ready.status, ready.database], ['ready', 'postgres']);
    } finally {
      assert.equal(await s.stop(), 0);
    }
    const again = await startServer({ DATABASE_URL: url });
    try {
      assert.doesNotMatch(again.stdout(), keyPattern);
      const me = await fetch(`${again.url}/api/v1/orgs/current`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(me.status, 200);
    } finally {
      await again.stop();
    }
    const st = run(['migrate', 'status'], { DATABASE_URL: url });
    assert.match(st.stdout, new RegExp(`${migrationCount} applied, 0 pending`));
  });
});
