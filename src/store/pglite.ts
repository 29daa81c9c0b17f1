import { PGlite } from '@electric-sql/pglite';
import { answers, type QueryResult, type Sql } from './sql.js';

export interface PgliteOptions {
  /** Data directory; in memory when absent. */
  dataDir?: string;
}

// numeric as a number (as pg's type parser is set); bytea from its hex text form (\x…) by Buffer:
// PGlite's own bytea parser decodes byte by byte in JS, measured 5–15× slower on chunk reads.
const parsers = { 1700: (v: string) => Number(v), 17: (v: string) => Buffer.from(v.slice(2), 'hex') };

/** PGlite reports affectedRows 0 for SELECT; pg's rowCount counts returned rows then. */
function rowCount(returned: number, affected: number | undefined): number {
  return Math.max(returned, affected ?? 0);
}

type Queryable = Pick<PGlite, 'query' | 'exec'>;

function executor(q: Queryable, db: PGlite, inTransaction: boolean): Sql {
  const self: Sql = {
    driver: 'pglite',
    async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const r = await q.query<R>(text, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: rowCount(r.rows.length, r.affectedRows) };
    },
    async exec<R>(script: string): Promise<QueryResult<R>> {
      const results = await q.exec(script);
      const last = results[results.length - 1];
      // affectedRows is cumulative over the script; rowCount is the last statement's own.
      return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? last?.rows.length ?? 0 };
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      if (inTransaction) return fn(self);
      // PGlite has one connection; its transaction() holds an exclusive lock until fn settles.
      return db.transaction((tx) => fn(executor(tx, db, true)));
    },
    ping: () => answers(q),
    async close(): Promise<void> {
      if (!inTransaction && !db.closed) await db.close();
    },
  };
  return self;
}

/**
 * Opens the embedded store: PostgreSQL compiled to WASM, in process, persisting to `dataDir`.
 * Single-node use only: PGlite does not fsync, so an OS crash (not a process crash) may lose the
 * last writes. Use PostgreSQL for durability.
 */
export async function openPglite(opts: PgliteOptions = {}): Promise<Sql> {
  const db = new PGlite({ dataDir: opts.dataDir, parsers });
  await db.waitReady;
  return executor(db, db, false);
}
