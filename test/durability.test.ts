import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeChunk } from '../src/store/chunks/codec.js';
import { openStore } from '../src/store/open.js';
import type { Sql } from '../src/store/sql.js';
import { createTempDatabase } from './helpers/stores.js';

// The real server as a child process: everything a reply accepted survives a SIGKILL right after it,
// also while compaction moves closed windows from hot rows into chunks (it runs every second here,
// and every point written lies in a closed window): afterwards each accepted point is stored exactly
// once, as a hot row or inside a chunk, read straight from the store.

const bin = new URL('../bin/intentvision.js', import.meta.url).pathname;
const keyPattern = /iv_[A-Za-z0-9_-]{32}/;
const minute = 60_000;
const base = Math.floor(Date.now() / minute) * minute - 2 * 86_400_000;

interface Server {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `intentvision` and resolves once it prints the URL it listens on (bounded: 60 s). */
function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [bin], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', JOBS_ENABLED: 'false', RATE_LIMIT_MAX: '100000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 60 s:\n${out}\n${err}`));
    }, 60_000);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${out}\n${err}`));
    });
    child.stdout!.on('data', () => {
      const m = /is running at (http:\/\/[^\s]+) /.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, url: m[1]!, stdout: () => out, exited });
    });
  });
}

/** Waits for the child to be gone, at most `ms`. */
async function gone(s: Server, ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('the server did not exit')), ms)));
  try {
    return await Promise.race([s.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Sent {
  metrics: { key: string; value: number; timestamp: number; dimensions?: Record<string, string> }[];
  idempotencyKey?: string;
}

/** Identity of a point: key, its one dimension and time. */
const pointId = (key: string, dimension: string | null | undefined, ms: number) => `${key}|${dimension ?? ''}@${ms}`;

/** Every stored point's values by identity, from hot rows and decoded chunks (a point stored twice has two). */
async function storedPoints(sql: Sql): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const add = (id: string, v: number) => out.set(id, [...(out.get(id) ?? []), v]);
  const dim = `coalesce(s.dimensions->>'host', s.dimensions->>'n') AS dim`;
  const hot = await sql.query<{ key: string; dim: string | null; ms: number; value: number }>(
    `SELECT s.key, ${dim}, floor(extract(epoch FROM p.ts) * 1000)::float8 AS ms, p.value FROM points p JOIN series s ON s.id = p.series_id`,
  );
  for (const r of hot.rows) add(pointId(r.key, r.dim, Number(r.ms)), r.value);
  const chunks = await sql.query<{ key: string; dim: string | null; n: number; data: Uint8Array }>(`SELECT s.key, ${dim}, c.n, c.data FROM chunks c JOIN series s ON s.id = c.series_id`);
  for (const r of chunks.rows) {
    const d = decodeChunk(r.data);
    assert.equal(d.timestampsMs.length, r.n, 'a chunk holds the points its row counts');
    for (let i = 0; i < d.timestampsMs.length; i++) add(pointId(r.key, r.dim, d.timestampsMs[i]!), d.values[i]!);
  }
  return out;
}

/** Resolves once `count()` exceeds `than` (bounded: 30 s). */
async function until(what: string, count: () => number, than: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (count() <= than) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs the scenario against a server started with `env` (twice: before and after the kill), the
 * store opened directly in between by `openDirect`.
 */
async function killAndRecover(env: Record<string, string>, openDirect: () => Promise<Sql>): Promise<void> {
  // Jobs on, compaction every second; its log lines say when a run moved points.
  const first = await startServer({ ...env, JOBS_ENABLED: 'true', COMPACTION_INTERVAL_SECONDS: '1', LOG_LEVEL: 'info' });
  const compactions = () => (first.stdout().match(/closed windows compacted/g) ?? []).length;
  let killed = false;
  try {
    const key = keyPattern.exec(first.stdout())?.[0];
    assert.ok(key, `no first-start key printed:\n${first.stdout()}`);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    // 24 batches of 40 points over 3 series, plus rejects; every third carries an Idempotency-Key.
    const batches: Sent[] = Array.from({ length: 24 }, (_, b) => ({
      metrics: Array.from({ length: 40 }, (_, i) => ({ key: 'durable', value: b * 1000 + i, timestamp: base + (b * 40 + i) * minute, dimensions: { host: `h${i % 3}` } })),
      idempotencyKey: b % 3 === 0 ? `batch-${b}` : undefined,
    }));
    const send = async (batch: Sent) => {
      const res = await fetch(`${first.url}/api/v1/ingest`, {
        method: 'POST',
        headers: { ...headers, ...(batch.idempotencyKey ? { 'idempotency-key': batch.idempotencyKey } : {}) },
        body: JSON.stringify({ metrics: [...batch.metrics, { key: 'bad key', value: 1, timestamp: base }], source: 'durability' }),
      });
      const body = (await res.json()) as { accepted: number; rejected: number };
      return { status: res.status, body };
    };

    // Four at a time. Every point lies in a closed window (two days ago), so compaction moves each
    // round into chunks, and the next round's points of the same windows merge into those chunks.
    const replies: { status: number; body: { accepted: number; rejected: number } }[] = [];
    for (let i = 0; i < batches.length; i += 4) {
      const seen = compactions();
      replies.push(...(await Promise.all(batches.slice(i, i + 4).map(send))));
      if (i + 4 < batches.length) await until('a compaction after the round', compactions, seen);
    }
    // More work for the compactor running at the kill: 8,000 points of 20 series every 15 s (2 h windows).
    const bulk: Sent[] = Array.from({ length: 8 }, (_, b) => ({
      metrics: Array.from({ length: 1000 }, (_, i) => ({ key: 'bulk', value: b * 1000 + i, timestamp: base + (b * 50 + Math.floor(i / 20)) * 15_000, dimensions: { n: String(i % 20) } })),
    }));
    const bulkReplies = await Promise.all(bulk.map(async (b) => (await fetch(`${first.url}/api/v1/ingest`, { method: 'POST', headers, body: JSON.stringify({ metrics: b.metrics }) })).json() as Promise<{ accepted: number }>));
    assert.deepEqual(
      bulkReplies.map((r) => r.accepted),
      bulk.map(() => 1000),
    );
    // The process is killed the moment the last reply is read, while one more request (not counted)
    // may still be in flight and compaction runs every second.
    const straggler: Sent = { metrics: Array.from({ length: 40 }, (_, i) => ({ key: 'straggler', value: i, timestamp: base + i * minute })) };
    const last: Sent = { metrics: [{ key: 'durable', value: -1, timestamp: base - minute, dimensions: { host: 'last' } }], idempotencyKey: 'the-last-one' };
    const inFlight = send(straggler).catch(() => undefined);
    const lastReply = await send(last);
    first.child.kill('SIGKILL');
    killed = true;
    replies.push(lastReply);
    await inFlight;
    const exit = await gone(first);
    assert.equal(exit.signal, 'SIGKILL', 'killed, not shut down');
    assert.ok(compactions() >= 5, `compaction ran during the writes: ${compactions()} runs moved points`);

    for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      replies.map((r) => r.body.accepted),
      [...batches.map(() => 40), 1],
    );
    const accepted = [...batches, last, ...bulk].flatMap((b) => b.metrics);

    // Straight from the store: every accepted point exactly once (hot row or chunk), with its value.
    const direct = await openDirect();
    try {
      const stored = await storedPoints(direct);
      const chunkRows = Number((await direct.query<{ n: string }>(`SELECT count(*) AS n FROM chunks`)).rows[0]!.n);
      assert.ok(chunkRows > 0, 'compaction made chunks');
      let wrong = 0;
      for (const m of accepted) {
        const v = stored.get(pointId(m.key, m.dimensions?.host ?? m.dimensions?.n, m.timestamp));
        if (v?.length !== 1 || v[0] !== m.value) wrong++;
      }
      assert.equal(wrong, 0, `${wrong} of ${accepted.length} accepted points lost, changed or stored twice`);
      const stragglers = [...stored.entries()].filter(([id]) => id.startsWith('straggler|'));
      assert.ok(stragglers.length === 0 || stragglers.length === 40, `a batch was half stored: ${stragglers.length} of 40`);
      assert.ok(stragglers.every(([, v]) => v.length === 1), 'a straggler stored twice');
      assert.equal(stored.size, accepted.length + stragglers.length, 'nothing else stored');
    } finally {
      await direct.close();
    }

    // Restart on the same data.
    const second = await startServer(env);
    try {
      assert.doesNotMatch(second.stdout(), keyPattern, 'the same store: no new first-start key');

      // The rejected items were committed with their batches.
      const letters = (await (await fetch(`${second.url}/api/v1/dead-letters?source=durability&limit=1000`, { headers })).json()) as { items: unknown[] };
      assert.ok(letters.items.length >= 25, `dead letters: ${letters.items.length}`);

      // So were the stored replies: retries are replays and store nothing again.
      for (const b of [batches[0]!, batches[21]!, last]) {
        const res = await fetch(`${second.url}/api/v1/ingest`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': b.idempotencyKey! },
          body: JSON.stringify({ metrics: [...b.metrics, { key: 'bad key', value: 1, timestamp: base }], source: 'durability' }),
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('idempotent-replayed'), 'true', b.idempotencyKey);
        assert.equal(((await res.json()) as { accepted: number }).accepted, b.metrics.length);
      }
    } finally {
      second.child.kill('SIGTERM');
      const exit = await gone(second);
      assert.equal(exit.code, 0, 'clean shutdown after the test');
    }
  } finally {
    if (!killed) {
      first.child.kill('SIGKILL');
      await gone(first).catch(() => undefined);
    }
  }
}

describe('durability: a SIGKILL right after a reply loses nothing it accepted', () => {
  describe('embedded store (DATA_DIR)', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'iv-durability-'));
      // The initdb template `npm test` prepares saves the first start ~4 s of initdb.
      const template = process.env.IV_PGLITE_TEMPLATE;
      if (template) cpSync(template, join(dir, 'data', 'pg'), { recursive: true });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('ingest while compacting, kill -9, read the store, restart', { timeout: 120_000 }, async () => {
      await killAndRecover({ DATA_DIR: join(dir, 'data') }, () => openStore({ databaseUrl: undefined, dataDir: join(dir, 'data') }));
    });
  });

  describe('PostgreSQL (DATABASE_URL)', () => {
    let url: string;
    let dropDatabase: () => Promise<void>;
    before(async () => {
      ({ url, drop: dropDatabase } = await createTempDatabase());
    });
    after(() => dropDatabase());

    test('ingest while compacting, kill -9, read the store, restart', { timeout: 120_000 }, async () => {
      await killAndRecover({ DATABASE_URL: url }, () => openStore({ databaseUrl: url, dataDir: '' }));
    });
  });
});
