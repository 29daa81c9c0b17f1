import { PGlite, type QueryOptions as PgliteQueryOptions } from '@electric-sql/pglite';
import { answers, type QueryResult, type Sql } from './sql.js';
import { dataRows, extendedQuery, type WireParam, type WireRow } from './wire.js';

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
type Serializer = (value: unknown) => unknown;

/**
 * Per-query serializers that send a Uint8Array parameter in binary format (as `pg` sends a Buffer),
 * whatever its declared type: a bytea is then its bytes instead of PGlite's hex text built byte by
 * byte, and a binary array (int8[], float8[], timestamptz[]) skips formatting in JS and parsing in
 * the server. Other values keep PGlite's own serializer of their type.
 */
function binaryPassing(db: PGlite): PgliteQueryOptions {
  const own = db.serializers as Record<string, Serializer | undefined>;
  const serializers = new Proxy({} as Record<string, Serializer>, {
    get: (_, oid) => (v: unknown) => (v instanceof Uint8Array ? v : (own[String(oid)]?.(v) ?? String(v))),
  });
  // PGlite's types say a serializer returns a string; its bind sends a Uint8Array as binary.
  return { serializers } as unknown as PgliteQueryOptions;
}

const hasBytes = (params: readonly unknown[] | undefined) => !!params && params.some((p) => p instanceof Uint8Array);

function executor(q: Queryable, db: PGlite, inTransaction: boolean, binary = binaryPassing(db)): Sql {
  const self: Sql = {
    driver: 'pglite',
    async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const r = await q.query<R>(text, params as unknown[] | undefined, hasBytes(params) ? binary : undefined);
      return { rows: r.rows, rowCount: rowCount(r.rows.length, r.affectedRows) };
    },
    queryBinary: (text: string, params?: readonly WireParam[]) => rawRows(db, inTransaction, text, params ?? []),
    async exec<R>(script: string): Promise<QueryResult<R>> {
      const results = await q.exec(script);
      const last = results[results.length - 1];
      // affectedRows is cumulative over the script; rowCount is the last statement's own.
      return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? last?.rows.length ?? 0 };
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      if (inTransaction) return fn(self);
      // PGlite has one connection; its transaction() holds an exclusive lock until fn settles.
      return db.transaction((tx) => fn(executor(tx, db, true, binary)));
    },
    ping: () => answers(q),
    async close(): Promise<void> {
      if (!inTransaction && !db.closed) await db.close();
    },
  };
  return self;
}

/**
 * One statement through PGlite's raw protocol entry point with binary results (wire.ts). Measured on
 * compaction's packing SELECT of 1M hot points (16 MB of bytea): 0.50–0.58 CPU s against 0.56–0.67 by
 * `query`, whose hex text PGlite decodes to a string and Buffer.from decodes again. Taken under the
 * same locks as PGlite's own query (outside a transaction block its transaction lock too), so no
 * other statement's protocol messages interleave with these.
 */
async function rawRows(db: PGlite, inTransaction: boolean, text: string, params: readonly WireParam[]): Promise<WireRow[]> {
  const message = extendedQuery(text, params);
  const run = () =>
    db._runExclusiveQuery(async () => {
      const parts: Uint8Array[] = [];
      // Each part is a view of WebAssembly memory, reused once the callback returns: copied.
      await db.execProtocolRawStream(message, { syncToFs: false, onRawData: (d) => parts.push(d.slice()) });
      return dataRows(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    });
  return inTransaction ? run() : db._runExclusiveTransaction(run);
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
