import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite } from '../../src/store/pglite.js';
import { openPostgres } from '../../src/store/postgres.js';
import type { Sql } from '../../src/store/sql.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';

/** The real PostgreSQL the suite runs against (database `test`, trust auth). */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  sql: Sql;
  /** A name unique to this store instance (schema on PostgreSQL), for other isolated resources. */
  namespace: string;
  /** Opens a second, independent connection (pool) to the same database and schema. */
  connectAgain?: () => Promise<Sql>;
  drop(): Promise<void>;
}

export interface StoreKind {
  name: 'pglite' | 'postgres';
  open(): Promise<TestStore>;
}

function uniqueName(): string {
  return `t_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Embedded store in a fresh directory, copied from the initdb template `npm test` prepares. */
async function openTestPglite(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'iv-pglite-'));
  const template = process.env.IV_PGLITE_TEMPLATE;
  if (template) cpSync(template, join(dir, 'pg'), { recursive: true });
  const sql = await openPglite({ dataDir: join(dir, 'pg') });
  return {
    sql,
    namespace: uniqueName(),
    async drop() {
      await sql.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL in a schema of its own, so parallel runs never see each other's rows. */
async function openTestPostgres(): Promise<TestStore> {
  const schema = uniqueName();
  const sql = await openPostgres({ url: testDatabaseUrl, schema, max: 5 });
  const others: Sql[] = [];
  return {
    sql,
    namespace: schema,
    async connectAgain() {
      const s = await openPostgres({ url: testDatabaseUrl, schema, max: 5 });
      others.push(s);
      return s;
    },
    async drop() {
      for (const o of others) await o.close();
      await sql.close();
      const c = new pg.Client({ connectionString: testDatabaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
      await c.end();
    },
  };
}

/** Opens a fresh store of `kind` with every migration applied. */
export async function openMigrated(kind: StoreKind): Promise<TestStore> {
  const store = await kind.open();
  await migrate(store.sql, loadMigrations());
  return store;
}

/**
 * The stores every store test runs on. `TEST_STORES=postgres` (comma-separated names) keeps only
 * those: scripts/pg-versions.mjs re-runs the storage tests on other PostgreSQL versions, where the
 * embedded half would only repeat the main run.
 */
const onlyStores = process.env.TEST_STORES?.split(',').map((s) => s.trim()).filter(Boolean);
const allStoreKinds: StoreKind[] = [
  { name: 'pglite', open: openTestPglite },
  { name: 'postgres', open: openTestPostgres },
];
export const storeKinds = allStoreKinds.filter((k) => !onlyStores?.length || onlyStores.includes(k.name));

/**
 * A fresh PostgreSQL database for a child server process (DATABASE_URL), named `iv_cli_<pid>` so
 * `npm test` drops it if this process dies before `drop()`.
 */
export async function createTempDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `iv_cli_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: testDatabaseUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(testDatabaseUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
