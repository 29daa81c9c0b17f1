/**
 * The tiny SQL executor both drivers satisfy (PostgreSQL through `pg`, the embedded store through
 * PGlite). All SQL is PostgreSQL; store modules are written once against this interface.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * There is deliberately no binary result format: `pg` (8.23) reads every DataRow field as UTF-8 text
 * and turns it back into bytes, so `binary: true` silently corrupts any byte ≥ 0x80 (bytea, float8,
 * int4 1000 → 1007; brianc/node-postgres#3495). Large byte columns travel as base64 text instead
 * (`encode(x, 'base64')`, decoded with Buffer.from(s, 'base64')): 1.33 bytes a byte instead of hex's 2,
 * and decoded several times faster.
 */
export interface QueryOptions {
  /** A name unique to this statement's text: a prepared statement on PostgreSQL. */
  prepare?: string;
}

export interface Sql {
  /** `postgres` (server) or `pglite` (embedded). */
  readonly driver: 'postgres' | 'pglite';
  /**
   * One parameterised statement ($1, $2 …). `opts.prepare` names it for the hot paths (every request's
   * authentication): PostgreSQL then parses and plans it once per connection instead of on every call
   * (one name, one text, always). PGlite runs in process and ignores it.
   */
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>>;
  /** A script of several statements without parameters (migrations); returns the last statement's result. */
  exec<R = Record<string, unknown>>(script: string): Promise<QueryResult<R>>;
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** True when `SELECT 1` succeeds on `q`: the shared body of both executors' ping(). */
export async function answers(q: { query(text: string): Promise<unknown> }): Promise<boolean> {
  try {
    await q.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
