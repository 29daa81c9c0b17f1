import pg from 'pg';
import { answers, type QueryOptions, type QueryResult, type Sql } from './sql.js';

export interface PostgresOptions {
  url: string;
  /** Use this schema (created if missing) instead of `public`: isolates test runs. */
  schema?: string;
  /** Pool size; defaults to 10. */
  max?: number;
  onError?: (err: Error) => void;
}

const schemaName = /^[a-z_][a-z0-9_]{0,62}$/;

/** int8 and numeric as JS numbers, as PGlite returns them (counts and values fit a double). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format);
  },
};

type Queryable = Pick<pg.PoolClient, 'query'>;

function executor(q: Queryable, inTransaction: boolean, pool: pg.Pool): Sql {
  const self: Sql = {
    driver: 'postgres',
    async query<R>(text: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
      const values = params as unknown[] | undefined;
      const r = opts?.prepare ? await q.query({ name: opts.prepare, text, values }) : await q.query(text, values);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec<R>(script: string): Promise<QueryResult<R>> {
      // The simple-query protocol returns an array of results for a multi-statement script.
      const r = (await q.query(script)) as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(r) ? r[r.length - 1] : r;
      return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? 0 };
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      if (inTransaction) return fn(self);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client, true, pool));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    ping: () => answers(q),
    async close(): Promise<void> {
      if (!inTransaction) await pool.end();
    },
  };
  return self;
}

/** Opens a pooled connection to PostgreSQL and checks that it answers. */
export async function openPostgres(opts: PostgresOptions): Promise<Sql> {
  if (opts.schema !== undefined && !schemaName.test(opts.schema)) throw new Error(`invalid schema name "${opts.schema}"`);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    types,
    options: opts.schema ? `-c search_path=${opts.schema}` : undefined,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => opts.onError?.(err));
  if (opts.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
  else await pool.query('SELECT 1');
  return executor(pool, false, pool);
}
