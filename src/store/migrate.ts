import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './sql.js';

/** One versioned migration file `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  /** SHA-256 of the file's text, hex. */
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: Migration[];
  /** Applied migrations whose file has changed since. */
  changed: { version: number; name: string; storedChecksum: string; fileChecksum: string }[];
  /** Applied versions this code has no file for (a newer release ran against this database). */
  unknown: AppliedMigration[];
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** The repository's migrations folder. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../db/migrations/', import.meta.url));

const fileName = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads `NNNN_name.sql` files in version order; refuses duplicate versions and stray names. */
export function loadMigrations(dir: string = defaultMigrationsDir): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = fileName.exec(file);
    if (!m) throw new MigrationError(`migration file "${file}" is not named NNNN_name.sql (lowercase name)`);
    const text = readFileSync(join(dir, file), 'utf8');
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw new MigrationError(`two migration files have version ${m[1]}`);
    out.push({ version, name: m[2]!, file, sql: text, checksum: createHash('sha256').update(text).digest('hex') });
  }
  return out;
}

const trackingTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Serialises runners on one database (per schema, so isolated test schemas do not wait on each other). */
const lock = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.schema_migrations'))`;

async function readApplied(sql: Sql): Promise<AppliedMigration[]> {
  const exists = await sql.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return [];
  const r = await sql.query<{ version: number; name: string; checksum: string; applied_at: Date }>(
    'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
  );
  return r.rows.map((x) => ({ version: x.version, name: x.name, checksum: x.checksum, appliedAt: x.applied_at }));
}

function compare(applied: AppliedMigration[], files: Migration[]): MigrationStatus {
  const byVersion = new Map(applied.map((a) => [a.version, a]));
  const fileVersions = new Set(files.map((f) => f.version));
  const changed: MigrationStatus['changed'] = [];
  const pending: Migration[] = [];
  for (const f of files) {
    const a = byVersion.get(f.version);
    if (!a) pending.push(f);
    else if (a.checksum !== f.checksum) changed.push({ version: f.version, name: f.name, storedChecksum: a.checksum, fileChecksum: f.checksum });
  }
  return { applied, pending, changed, unknown: applied.filter((a) => !fileVersions.has(a.version)) };
}

/** Applied, pending and changed migrations, without changing anything. */
export async function migrationStatus(sql: Sql, files: Migration[]): Promise<MigrationStatus> {
  return compare(await readApplied(sql), files);
}

function changedError(changed: MigrationStatus['changed'], files: Migration[]): MigrationError {
  const lines = changed.map((c) => {
    const f = files.find((x) => x.version === c.version)!;
    return `${f.file} was changed after it was applied (stored checksum ${c.storedChecksum.slice(0, 12)}…, file ${c.fileChecksum.slice(0, 12)}…)`;
  });
  return new MigrationError(`refusing to migrate: ${lines.join('; ')}. Applied migrations must not be edited: restore the file and add a new migration instead.`);
}

/**
 * Applies pending migrations in version order, each in its own transaction under an advisory lock,
 * so concurrent runners (two servers starting together) apply each migration exactly once.
 * Refuses to run when an applied file's checksum changed. Returns the migrations it applied.
 */
export async function migrate(sql: Sql, files: Migration[], onApply?: (m: Migration) => void): Promise<Migration[]> {
  const status = await sql.transaction(async (tx) => {
    await tx.query(lock);
    await tx.query(trackingTable);
    return compare(await readApplied(tx), files);
  });
  if (status.changed.length) throw changedError(status.changed, files);

  const done: Migration[] = [];
  for (const m of status.pending) {
    const applied = await sql.transaction(async (tx) => {
      await tx.query(lock);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (seen.rowCount > 0) return false; // another runner got here first
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new MigrationError(`migration ${m.file} failed: ${(err as Error).message}`);
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      return true;
    });
    if (applied) {
      done.push(m);
      onApply?.(m);
    }
  }
  return done;
}
