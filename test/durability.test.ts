import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabase } from './helpers/stores.js';

// The real server as a child process: everything a reply accepted survives a SIGKILL right after it.

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

/** Runs the scenario against a server started with `env` (twice: before and after the kill). */
async function killAndRecover(env: Record<string, string>): Promise<void> {
  const first = await startServer(env);
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

    // Four at a time; the process is killed the moment the last reply is read, while one more
    // request (not counted) may still be in flight.
    const replies: { status: number; body: { accepted: number; rejected: number } }[] = [];
    for (let i = 0; i < batches.length; i += 4) replies.push(...(await Promise.all(batches.slice(i, i + 4).map(send))));
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

    for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      replies.map((r) => r.body.accepted),
      [...batches.map(() => 40), 1],
    );
    const accepted = [...batches, last].flatMap((b) => b.metrics);

    // Restart on the same data: every accepted point is there, with its value.
    const second = await startServer(env);
    try {
      assert.doesNotMatch(second.stdout(), keyPattern, 'the same store: no new first-start key');
      const stored = new Map<string, number>();
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const res = await fetch(`${second.url}/api/v1/query`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ key: 'durable', from: base - hourMs, to: base + 1000 * minute, limit: 400, ...(cursor ? { cursor } : {}) }),
        });
        assert.equal(res.status, 200);
        const body = (await res.json()) as { series: { dimensions: Record<string, string>; points: { timestamp: string; value: number }[] }[]; nextCursor: string | null };
        for (const s of body.series) for (const p of s.points) stored.set(`${s.dimensions.host}@${Date.parse(p.timestamp)}`, p.value);
        if (!body.nextCursor) break;
        cursor = body.nextCursor;
      }
      let missing = 0;
      for (const m of accepted) {
        const v = stored.get(`${m.dimensions!.host}@${m.timestamp}`);
        if (v !== m.value) missing++;
      }
      assert.equal(missing, 0, `${missing} of ${accepted.length} accepted points lost or changed`);
      assert.equal(stored.size, accepted.length);

      // The batch in flight at the kill is all or nothing.
      const catalogue = (await (await fetch(`${second.url}/api/v1/metrics?prefix=straggler`, { headers })).json()) as { series: { pointCount: number }[] };
      const stragglers = catalogue.series.reduce((n, s) => n + s.pointCount, 0);
      assert.ok(stragglers === 0 || stragglers === 40, `a batch was half stored: ${stragglers} of 40`);

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

const hourMs = 3_600_000;

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

    test('ingest, kill -9, restart, query', { timeout: 120_000 }, async () => {
      await killAndRecover({ DATA_DIR: join(dir, 'data') });
    });
  });

  describe('PostgreSQL (DATABASE_URL)', () => {
    let url: string;
    let dropDatabase: () => Promise<void>;
    before(async () => {
      ({ url, drop: dropDatabase } = await createTempDatabase());
    });
    after(() => dropDatabase());

    test('ingest, kill -9, restart, query', { timeout: 120_000 }, async () => {
      await killAndRecover({ DATABASE_URL: url });
    });
  });
});
