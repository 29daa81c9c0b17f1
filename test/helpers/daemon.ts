// Real peers the tests run as child processes (Prometheus, Alertmanager): spawned on a free loopback
// port with the tail of their output kept for assertion messages, optionally waited for until a
// readiness URL answers, and stopped (SIGTERM, then SIGKILL) with their temp directory removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free loopback TCP port (closed again before returning; good enough for a child to bind next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface Daemon {
  process: ChildProcess;
  port: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Everything it logged so far (the last 100–200 kB). */
  log(): string;
  /** Kills it (if still running) and removes `dir`. */
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** Removed by stop(). */
  dir: string;
  /** Waited for (200) before returning, e.g. `/-/ready`; the daemon is stopped if it exits or never answers. */
  readyPath?: string;
  readyTimeoutMs?: number;
}

/** Starts `binary` with `args(port)` on a free loopback port. */
export async function startDaemon(binary: string, args: (port: number) => string[], opts: DaemonOptions): Promise<Daemon> {
  const port = await freePort();
  const child = spawn(binary, args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => {
    output += b.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(opts.dir, { recursive: true, force: true });
  };
  const daemon: Daemon = { process: child, port, url: `http://127.0.0.1:${port}`, log: () => output, stop };
  if (!opts.readyPath) return daemon;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`${binary} exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    }
    if (await fetch(`${daemon.url}${opts.readyPath}`).then((r) => r.ok, () => false)) return daemon;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${binary} did not become ready:\n${output}`);
    }
    await sleep(100);
  }
}
