import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Sql } from './sql.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded store allows one process per data directory (PGlite has no locking of its own and
 * two writers would corrupt it): a pid file claims the directory.
 */
function claimDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockFile = join(dir, 'intentvision.pid');
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch {
    const pid = Number(readFileSync(lockFile, 'utf8').trim());
    if (pid && pid !== process.pid && alive(pid)) {
      throw new Error(`the embedded store in ${dir} is in use by process ${pid}; stop it first (or use the HTTP API while it runs)`);
    }
    writeFileSync(lockFile, String(process.pid)); // stale lock of a dead process
  }
  return () => rmSync(lockFile, { force: true });
}

/** Where the store lives; the root's Config satisfies it (the store does not import the root). */
export interface StoreLocation {
  /** A postgres:// URL selects PostgreSQL; undefined selects the embedded store in {@link dataDir}. */
  databaseUrl: string | undefined;
  /** The embedded store's directory (absolute). */
  dataDir: string;
}

/** Opens the configured store: PostgreSQL when DATABASE_URL is set, else the embedded store in DATA_DIR. */
export async function openStore(config: StoreLocation, onError?: (err: Error) => void): Promise<Sql> {
  if (config.databaseUrl) return openPostgres({ url: config.databaseUrl, onError });
  const release = claimDataDir(config.dataDir);
  try {
    const sql = await openPglite({ dataDir: join(config.dataDir, 'pg') });
    const close = sql.close.bind(sql);
    return Object.assign(sql, {
      close: async () => {
        await close();
        release();
      },
    });
  } catch (err) {
    release();
    throw err;
  }
}
