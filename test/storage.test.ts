import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apiKeyPattern,
  createApiKey,
  findApiKeyBySecret,
  getApiKey,
  listApiKeys,
  purgeDeadApiKeys,
  revokeApiKey,
  touchApiKey,
} from '../src/auth/api-keys.js';
import { defaultMigrationsDir, loadMigrations, migrate, migrationStatus, MigrationError, type Migration } from '../src/store/migrate.js';
import type { Sql } from '../src/store/sql.js';
import { bootstrapDefaultOrg } from '../src/tenancy/bootstrap.js';
import { createOrg, findOrg, getOrg, listOrgs, slugify, slugPattern, SlugTakenError } from '../src/tenancy/orgs.js';
import { storeKinds, type TestStore } from './helpers/stores.js';
import { ensurePartitions } from '../src/metrics/points/partitions.js';

const day = 86_400_000;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A temporary migrations folder holding a copy of db/migrations/0001_foundation.sql plus `extra` files. */
function migrationsDir(extra: Record<string, string> = {}): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'iv-migrations-'));
  cpSync(join(defaultMigrationsDir, '0001_foundation.sql'), join(dir, '0001_foundation.sql'));
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A temporary folder holding exactly these files. */
function looseDir(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'iv-migrations-'));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function appliedVersions(sql: Sql): Promise<number[]> {
  const r = await sql.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return r.rows.map((x) => x.version);
}

async function tableExists(sql: Sql, name: string): Promise<boolean> {
  const r = await sql.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name]);
  return r.rows[0]?.t != null;
}

for (const kind of storeKinds) {
  describe(`storage (${kind.name})`, () => {
    /** Opens a fresh store, runs `fn`, always drops the store. */
    async function withStore<T>(fn: (store: TestStore) => Promise<T>): Promise<T> {
      const store = await kind.open();
      try {
        return await fn(store);
      } finally {
        await store.drop();
      }
    }

    describe('migrations', () => {
      test('migrate applies 0001 on an empty store and returns it; a second run applies nothing', () =>
        withStore(async ({ sql }) => {
          const files = loadMigrations();
          assert.equal(files[0]?.version, 1);
          assert.equal(files[0]?.name, 'foundation');
          assert.equal(await tableExists(sql, 'organizations'), false);

          const reported: Migration[] = [];
          const first = await migrate(sql, files, (m) => reported.push(m));
          assert.ok(first.length >= 1);
          assert.deepEqual(first.map((m) => m.version), files.map((m) => m.version));
          assert.equal(first[0]?.file, '0001_foundation.sql');
          assert.deepEqual(reported.map((m) => m.version), first.map((m) => m.version));
          assert.equal(await tableExists(sql, 'organizations'), true);
          assert.equal(await tableExists(sql, 'api_keys'), true);
          assert.deepEqual(await appliedVersions(sql), files.map((m) => m.version));

          const second = await migrate(sql, files, (m) => reported.push(m));
          assert.deepEqual(second, []);
          assert.equal(reported.length, first.length);
          assert.deepEqual(await appliedVersions(sql), files.map((m) => m.version));
        }));

      test('migrationStatus lists applied and pending migrations; applying the pending one moves it to applied', () =>
        withStore(async ({ sql }) => {
          const tmp = migrationsDir({ '0002_extra.sql': 'CREATE TABLE extra_things (org_id uuid NOT NULL REFERENCES organizations (id), label text);\n' });
          try {
            const files = loadMigrations(tmp.dir);
            assert.deepEqual(files.map((f) => f.file), ['0001_foundation.sql', '0002_extra.sql']);

            const empty = await migrationStatus(sql, files);
            assert.deepEqual(empty.applied, []);
            assert.deepEqual(empty.pending.map((m) => m.version), [1, 2]);
            assert.deepEqual(empty.changed, []);
            assert.deepEqual(empty.unknown, []);
            // Reading the status changes nothing.
            assert.equal(await tableExists(sql, 'schema_migrations'), false);

            const before = Date.now();
            const base = migrationsDir();
            await migrate(sql, loadMigrations(base.dir)); // only the foundation
            const after = Date.now();

            const status = await migrationStatus(sql, files);
            assert.equal(status.applied.length, 1);
            const a = status.applied[0]!;
            assert.equal(a.version, 1);
            assert.equal(a.name, 'foundation');
            assert.equal(a.checksum, sha256(readFileSync(join(defaultMigrationsDir, '0001_foundation.sql'), 'utf8')));
            assert.ok(a.appliedAt instanceof Date, 'appliedAt is a Date');
            assert.ok(a.appliedAt.getTime() >= before - 5_000 && a.appliedAt.getTime() <= after + 5_000, `appliedAt ${a.appliedAt.toISOString()}`);
            assert.deepEqual(status.pending.map((m) => [m.version, m.name, m.file]), [[2, 'extra', '0002_extra.sql']]);
            assert.deepEqual(status.changed, []);
            assert.deepEqual(status.unknown, []);

            const applied = await migrate(sql, files);
            assert.deepEqual(applied.map((m) => m.version), [2]);
            assert.equal(await tableExists(sql, 'extra_things'), true);

            const done = await migrationStatus(sql, files);
            assert.deepEqual(done.applied.map((m) => [m.version, m.name, m.checksum]), files.map((f) => [f.version, f.name, f.checksum]));
            assert.deepEqual(done.pending, []);

            // The code without 0002 (an older release) sees version 2 as unknown.
            const older = await migrationStatus(sql, loadMigrations(base.dir));
            base.cleanup();
            assert.deepEqual(older.unknown.map((m) => m.version), [2]);
            assert.deepEqual(older.pending, []);
          } finally {
            tmp.cleanup();
          }
        }));

      test('a changed applied file makes migrate throw MigrationError naming the file, and nothing further is applied', () =>
        withStore(async ({ sql }) => {
          const tmp = migrationsDir({ '0002_later.sql': 'CREATE TABLE later_things (org_id uuid NOT NULL REFERENCES organizations (id));\n' });
          try {
            const all = loadMigrations(tmp.dir);
            await migrate(sql, all.filter((m) => m.version === 1));
            appendFileSync(join(tmp.dir, '0001_foundation.sql'), '\n-- edited after it was applied\n');
            const edited = loadMigrations(tmp.dir);

            const status = await migrationStatus(sql, edited);
            assert.deepEqual(status.changed.map((c) => c.version), [1]);
            assert.equal(status.changed[0]?.fileChecksum, edited[0]?.checksum);
            assert.equal(status.changed[0]?.storedChecksum, all[0]?.checksum);

            await assert.rejects(migrate(sql, edited), (err: unknown) => {
              assert.ok(err instanceof MigrationError, `expected MigrationError, got ${String(err)}`);
              assert.match(err.message, /0001_foundation\.sql/);
              assert.match(err.message, /changed/);
              return true;
            });
            assert.deepEqual(await appliedVersions(sql), [1]);
            assert.equal(await tableExists(sql, 'later_things'), false);
          } finally {
            tmp.cleanup();
          }
        }));

      test('a failing migration rolls back entirely and raises MigrationError naming the file', () =>
        withStore(async ({ sql }) => {
          const broken = [
            'CREATE TABLE partial_things (org_id uuid NOT NULL REFERENCES organizations (id), n integer);',
            'CREATE INDEX partial_things_n ON partial_things (n);',
            'SELECT * FROM no_such_table_anywhere;',
          ].join('\n');
          const tmp = migrationsDir({
            '0002_broken.sql': broken,
            '0003_after.sql': 'CREATE TABLE after_things (org_id uuid NOT NULL REFERENCES organizations (id));',
          });
          try {
            const files = loadMigrations(tmp.dir);
            await assert.rejects(migrate(sql, files), (err: unknown) => {
              assert.ok(err instanceof MigrationError, `expected MigrationError, got ${String(err)}`);
              assert.match(err.message, /0002_broken\.sql/);
              assert.match(err.message, /no_such_table_anywhere/);
              return true;
            });
            // 0001 ran in its own transaction and stays; 0002 left nothing behind; 0003 never ran.
            assert.deepEqual(await appliedVersions(sql), [1]);
            assert.equal(await tableExists(sql, 'partial_things'), false);
            assert.equal(await tableExists(sql, 'partial_things_n'), false);
            assert.equal(await tableExists(sql, 'after_things'), false);
            // The store is usable afterwards, and a fixed file applies.
            writeFileSync(join(tmp.dir, '0002_broken.sql'), broken.replace('SELECT * FROM no_such_table_anywhere;', 'SELECT 1;'));
            const fixed = await migrate(sql, loadMigrations(tmp.dir));
            assert.deepEqual(fixed.map((m) => m.version), [2, 3]);
            assert.equal(await tableExists(sql, 'partial_things'), true);
            assert.deepEqual(await appliedVersions(sql), [1, 2, 3]);
          } finally {
            tmp.cleanup();
          }
        }));

      test('loadMigrations reads files in version order, ignores non-.sql files, rejects bad names and duplicate versions', () => {
        const ok = looseDir({ '0002_b.sql': 'SELECT 2;', '0001_a.sql': 'SELECT 1;', 'README.md': '# notes' });
        try {
          const files = loadMigrations(ok.dir);
          assert.deepEqual(files.map((f) => [f.version, f.name, f.file]), [[1, 'a', '0001_a.sql'], [2, 'b', '0002_b.sql']]);
          assert.equal(files[0]?.checksum, sha256('SELECT 1;'));
          assert.equal(files[0]?.sql, 'SELECT 1;');
        } finally {
          ok.cleanup();
        }
        for (const bad of ['V1__init.sql', '0003_Upper.sql', '3_short.sql', '0003-dash.sql', '0003_.sql']) {
          const d = looseDir({ '0001_a.sql': 'SELECT 1;', [bad]: 'SELECT 1;' });
          try {
            assert.throws(
              () => loadMigrations(d.dir),
              (err: unknown) => err instanceof MigrationError && err.message.includes(`"${bad}"`),
              bad,
            );
          } finally {
            d.cleanup();
          }
        }
        const dup = looseDir({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' });
        try {
          assert.throws(() => loadMigrations(dup.dir), (err: unknown) => err instanceof MigrationError && /version 0001/.test(err.message));
        } finally {
          dup.cleanup();
        }
      });

      if (kind.name === 'postgres') {
        test('two concurrent migrate calls through two pools apply each migration exactly once', async () => {
          const tmp = migrationsDir({
            '0002_items.sql': "CREATE TABLE conc_items (org_id uuid REFERENCES organizations (id), label text NOT NULL);\nINSERT INTO conc_items (label) VALUES ('from-0002');\n",
            '0003_more.sql': "INSERT INTO conc_items (label) VALUES ('from-0003');\nSELECT pg_sleep(0.05);\n",
            '0004_last.sql': "INSERT INTO conc_items (label) VALUES ('from-0004');\n",
          });
          try {
            const files = loadMigrations(tmp.dir);
            for (let round = 0; round < 3; round++) {
              await withStore(async (store) => {
                const other = await store.connectAgain!();
                const results = await Promise.allSettled([migrate(store.sql, files), migrate(other, files)]);
                for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
                const [a, b] = results.map((r) => (r as PromiseFulfilledResult<Migration[]>).value.map((m) => m.version));
                // Between them the two runners applied every migration, none twice.
                assert.deepEqual([...a!, ...b!].sort(), [1, 2, 3, 4], `round ${round}: ${JSON.stringify([a, b])}`);

                const rows = await store.sql.query<{ version: number; n: number }>('SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version');
                assert.deepEqual(rows.rows, [
                  { version: 1, n: 1 },
                  { version: 2, n: 1 },
                  { version: 3, n: 1 },
                  { version: 4, n: 1 },
                ]);
                const items = await store.sql.query<{ label: string; n: number }>('SELECT label, count(*) AS n FROM conc_items GROUP BY label ORDER BY label');
                assert.deepEqual(items.rows, [
                  { label: 'from-0002', n: 1 },
                  { label: 'from-0003', n: 1 },
                  { label: 'from-0004', n: 1 },
                ]);
              });
            }
          } finally {
            tmp.cleanup();
          }
        });
      }
    });

    // People are not tenant-owned (one user belongs to many organisations): their rows are reached
    // through the user, and what an organisation owns of them (memberships, invitations) has org_id.
    const userOwned = ['users', 'user_identities', 'sessions', 'user_tokens', 'oauth_states'];
    // Point storage is reached through its series (a series belongs to one organisation): these rows
    // carry series_id instead of a 16-byte org_id each, and go with their series (a trigger).
    const seriesOwned = ['points', 'chunks', 'rollups_5m', 'rollups_1h'];

    test('tenancy invariant: every table except organizations, schema_migrations, the user-owned and the series-owned ones has a NOT NULL org_id referencing organizations(id)', () =>
      withStore(async ({ sql }) => {
        await migrate(sql, loadMigrations());
        // Partitions are checked through their parent table.
        const tables = await sql.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
             AND c.relname NOT IN ('organizations', 'schema_migrations')
             AND NOT (c.relname = ANY($1))
           ORDER BY c.relname`,
          [[...userOwned, ...seriesOwned]],
        );
        const names = tables.rows.map((t) => t.name);
        assert.ok(names.includes('api_keys'), `tables found: ${names.join(', ')}`);

        const problems: string[] = [];
        for (const table of names) {
          const col = await sql.query<{ is_nullable: string }>(
            `SELECT is_nullable FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'org_id'`,
            [table],
          );
          if (!col.rows[0]) {
            problems.push(`${table}: no org_id column`);
            continue;
          }
          if (col.rows[0].is_nullable !== 'NO') problems.push(`${table}: org_id is nullable`);
          const fk = await sql.query<{ conname: string }>(
            `SELECT con.conname FROM pg_constraint con
             JOIN pg_class t ON t.oid = con.conrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE con.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1
               AND con.confrelid = to_regclass('organizations')
               AND array_length(con.conkey, 1) = 1
               AND con.conkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = con.conrelid AND attname = 'org_id')
               AND con.confkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = con.confrelid AND attname = 'id')`,
            [table],
          );
          if (!fk.rows.length) problems.push(`${table}: org_id has no foreign key to organizations(id)`);
        }
        assert.deepEqual(problems, []);
      }));

    test('series-owned point storage: every table has a NOT NULL series_id, and an organisation\'s deletion removes its rows from each', () =>
      withStore(async ({ sql }) => {
        await migrate(sql, loadMigrations());
        for (const table of seriesOwned) {
          const col = await sql.query<{ is_nullable: string }>(
            `SELECT is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'series_id'`,
            [table],
          );
          assert.equal(col.rows[0]?.is_nullable, 'NO', `${table}.series_id`);
        }
        const day = Date.UTC(2026, 0, 5);
        for (const table of ['chunks', 'rollups_5m', 'rollups_1h'] as const) await ensurePartitions(sql, table, [day]);
        const [gone, kept] = [await createOrg(sql, { name: 'gone' }), await createOrg(sql, { name: 'kept' })];
        const ids: number[] = [];
        for (const org of [gone, kept]) {
          const r = await sql.query<{ id: string }>(`INSERT INTO series (org_id, key) VALUES ($1, 'k') RETURNING id`, [org.id]);
          const id = Number(r.rows[0]!.id);
          ids.push(id);
          const t = new Date(day);
          await sql.query('INSERT INTO points (series_id, ts, value) VALUES ($1, $2, 1)', [id, t]);
          await sql.query(`INSERT INTO chunks (series_id, window_start, first_ts, last_ts, n, data) VALUES ($1, $2, $2, $2, 1, '\\x01')`, [id, t]);
          for (const table of ['rollups_5m', 'rollups_1h']) await sql.query(`INSERT INTO ${table} (series_id, day, data) VALUES ($1, $2, '\\x01')`, [id, t]);
        }
        await sql.query('DELETE FROM organizations WHERE id = $1', [gone.id]);
        for (const table of seriesOwned) {
          const r = await sql.query<{ series_id: string }>(`SELECT series_id FROM ${table} ORDER BY series_id`);
          assert.deepEqual(r.rows.map((x) => Number(x.series_id)), [ids[1]], table);
        }
      }));

    describe('organisations and API keys', () => {
      let store: TestStore;
      let sql: Sql;
      const suffix = () => Math.random().toString(36).slice(2, 8);

      before(async () => {
        store = await kind.open();
        sql = store.sql;
        await migrate(sql, loadMigrations());
      });
      after(async () => store?.drop());

      test('slugify', () => {
        assert.equal(slugify('Acme Corp.'), 'acme-corp');
        assert.equal(slugify('  Café  Über GmbH  '), 'cafe-uber-gmbh');
        assert.equal(slugify('---'), 'org');
        assert.equal(slugify('日本'), 'org');
        assert.equal(slugify('a'.repeat(62) + ' b'), 'a'.repeat(62));
        const long = slugify('x'.repeat(100));
        assert.equal(long.length, 63);
        for (const name of ['Acme Corp.', 'a'.repeat(62) + ' b', 'x'.repeat(100), '!!!', 'Ünïcödé', '9 lives']) {
          assert.match(slugify(name), slugPattern, name);
        }
      });

      test('createOrg, getOrg, findOrg (slug and id), listOrgs; a taken slug throws SlugTakenError', async () => {
        const s = suffix();
        const a = await createOrg(sql, { name: `Acme Corp ${s}` });
        assert.equal(a.slug, `acme-corp-${s}`);
        assert.equal(a.name, `Acme Corp ${s}`);
        assert.equal(a.isPlatform, false);
        assert.ok(a.createdAt instanceof Date);
        assert.match(a.id, /^[0-9a-f-]{36}$/);
        const b = await createOrg(sql, { name: 'Beta', slug: `beta-${s}`, isPlatform: true });
        assert.equal(b.isPlatform, true);

        assert.deepEqual(await getOrg(sql, a.id), a);
        assert.equal(await getOrg(sql, randomUUID()), undefined);
        assert.deepEqual(await findOrg(sql, a.slug), a);
        assert.deepEqual(await findOrg(sql, a.id), a);
        assert.deepEqual(await findOrg(sql, a.id.toUpperCase()), a);
        assert.deepEqual(await findOrg(sql, b.slug), b);
        assert.equal(await findOrg(sql, `nope-${s}`), undefined);
        assert.equal(await findOrg(sql, randomUUID()), undefined);

        const all = await listOrgs(sql);
        const ia = all.findIndex((o) => o.id === a.id);
        const ib = all.findIndex((o) => o.id === b.id);
        assert.ok(ia >= 0 && ib > ia, 'both listed, in creation order');
        assert.deepEqual(all[ia], a);

        await assert.rejects(createOrg(sql, { name: 'Other', slug: a.slug }), (err: unknown) => {
          assert.ok(err instanceof SlugTakenError);
          assert.equal(err.slug, a.slug);
          return true;
        });
        await assert.rejects(createOrg(sql, { name: `acme corp ${s}` }), SlugTakenError);
        assert.equal((await listOrgs(sql)).filter((o) => o.slug === a.slug).length, 1);
      });

      test('createApiKey returns the secret once and stores only its SHA-256 hash', async () => {
        const org = await createOrg(sql, { name: `Keys ${suffix()}` });
        const { key, secret } = await createApiKey(sql, org.id, { name: 'ci', scopes: ['read', 'write'], rateLimit: { max: 5, windowSeconds: 60 } });
        assert.match(secret, apiKeyPattern);
        assert.match(secret, /^iv_[A-Za-z0-9_-]{32}$/);
        assert.equal(key.orgId, org.id);
        assert.equal(key.name, 'ci');
        assert.deepEqual(key.scopes, ['read', 'write']);
        assert.deepEqual(key.rateLimit, { max: 5, windowSeconds: 60 });
        assert.equal(key.prefix, secret.slice(0, 11));
        assert.equal(key.revokedAt, null);
        assert.equal(key.expiresAt, null);
        assert.equal(key.lastUsedAt, null);

        const row = await sql.query<{ key_hash: string; j: string }>('SELECT key_hash, row_to_json(k)::text AS j FROM api_keys k WHERE id = $1', [key.id]);
        assert.equal(row.rows[0]?.key_hash, sha256(secret));
        const stored = row.rows[0]!.j;
        assert.ok(!stored.includes(secret), 'the secret is stored');
        assert.ok(!stored.includes(secret.slice(11)), 'the secret part after the prefix is stored');

        const other = await createApiKey(sql, org.id, { name: 'ci', scopes: ['read'] });
        assert.notEqual(other.secret, secret);

        const found = await findApiKeyBySecret(sql, secret);
        assert.equal(found?.id, key.id);
        assert.equal(found?.orgId, org.id);
        assert.deepEqual(found, key);
        assert.equal(await findApiKeyBySecret(sql, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`), undefined);
        assert.equal(await findApiKeyBySecret(sql, sha256(secret)), undefined, 'the hash itself is not a key');
      });

      test('listApiKeys, getApiKey and revokeApiKey are scoped by organisation', async () => {
        const a = await createOrg(sql, { name: `Scope A ${suffix()}` });
        const b = await createOrg(sql, { name: `Scope B ${suffix()}` });
        const ka = await createApiKey(sql, a.id, { name: 'a1', scopes: ['read'] });
        const kb = await createApiKey(sql, b.id, { name: 'b1', scopes: ['read'] });

        assert.deepEqual((await listApiKeys(sql, a.id)).map((k) => k.id), [ka.key.id]);
        assert.deepEqual((await listApiKeys(sql, b.id)).map((k) => k.id), [kb.key.id]);
        assert.equal((await getApiKey(sql, a.id, ka.key.id))?.id, ka.key.id);
        assert.equal(await getApiKey(sql, b.id, ka.key.id), undefined);
        assert.equal(await getApiKey(sql, a.id, randomUUID()), undefined);

        const now = new Date();
        assert.equal(await revokeApiKey(sql, b.id, ka.key.id, now), undefined);
        assert.equal((await getApiKey(sql, a.id, ka.key.id))?.revokedAt, null, 'org B revoked org A\'s key');
        assert.equal(await touchApiKey(sql, b.id, ka.key.id, now), false);
        assert.equal((await getApiKey(sql, a.id, ka.key.id))?.lastUsedAt, null);

        const revoked = await revokeApiKey(sql, a.id, ka.key.id, now);
        assert.equal(revoked?.revokedAt?.getTime(), now.getTime());
        assert.equal((await getApiKey(sql, b.id, kb.key.id))?.revokedAt, null);
      });

      test('revoking twice keeps the first revocation time', async () => {
        const org = await createOrg(sql, { name: `Revoke ${suffix()}` });
        const { key } = await createApiKey(sql, org.id, { name: 'k', scopes: ['read'] });
        const t1 = new Date(Date.now() - 3_600_000);
        const t2 = new Date();
        assert.equal((await revokeApiKey(sql, org.id, key.id, t1))?.revokedAt?.getTime(), t1.getTime());
        assert.equal((await revokeApiKey(sql, org.id, key.id, t2))?.revokedAt?.getTime(), t1.getTime());
        assert.equal((await getApiKey(sql, org.id, key.id))?.revokedAt?.getTime(), t1.getTime());
      });

      test('touchApiKey writes at most once a minute', async () => {
        const org = await createOrg(sql, { name: `Touch ${suffix()}` });
        const { key } = await createApiKey(sql, org.id, { name: 'k', scopes: ['read'] });
        const now = new Date();
        assert.equal(await touchApiKey(sql, org.id, key.id, now), true);
        assert.equal((await getApiKey(sql, org.id, key.id))?.lastUsedAt?.getTime(), now.getTime());
        assert.equal(await touchApiKey(sql, org.id, key.id, now), false);
        assert.equal(await touchApiKey(sql, org.id, key.id, new Date(now.getTime() + 30_000)), false);
        assert.equal((await getApiKey(sql, org.id, key.id))?.lastUsedAt?.getTime(), now.getTime());
        const later = new Date(now.getTime() + 61_000);
        assert.equal(await touchApiKey(sql, org.id, key.id, later), true);
        assert.equal((await getApiKey(sql, org.id, key.id))?.lastUsedAt?.getTime(), later.getTime());
        assert.equal(await touchApiKey(sql, org.id, randomUUID(), later), false);
      });

      test('purgeDeadApiKeys deletes only keys revoked or expired before the cutoff, only of the given org', async () => {
        const now = new Date();
        const cutoff = new Date(now.getTime() - 30 * day);
        async function seed(orgId: string) {
          const mk = (name: string, expiresAt?: Date) => createApiKey(sql, orgId, { name, scopes: ['read'], expiresAt }).then((r) => r.key.id);
          const ids = {
            revokedOld: await mk('revoked-old'),
            expiredOld: await mk('expired-old', new Date(now.getTime() - 40 * day)),
            revokedRecent: await mk('revoked-recent'),
            expiredRecent: await mk('expired-recent', new Date(now.getTime() - 10 * day)),
            live: await mk('live'),
            expiresLater: await mk('expires-later', new Date(now.getTime() + 10 * day)),
          };
          await revokeApiKey(sql, orgId, ids.revokedOld, new Date(now.getTime() - 40 * day));
          await revokeApiKey(sql, orgId, ids.revokedRecent, new Date(now.getTime() - 10 * day));
          return ids;
        }
        const a = await createOrg(sql, { name: `Purge A ${suffix()}` });
        const b = await createOrg(sql, { name: `Purge B ${suffix()}` });
        const ka = await seed(a.id);
        const kb = await seed(b.id);
        const survivors = (ids: typeof ka) => [ids.revokedRecent, ids.expiredRecent, ids.live, ids.expiresLater].sort();
        const remaining = async (orgId: string) => (await listApiKeys(sql, orgId)).map((k) => k.id).sort();

        assert.equal(await purgeDeadApiKeys(sql, a.id, cutoff), 2);
        assert.deepEqual(await remaining(a.id), survivors(ka));
        assert.deepEqual(await remaining(b.id), Object.values(kb).sort(), 'org B untouched');
        assert.equal(await purgeDeadApiKeys(sql, a.id, cutoff), 0);

        assert.equal(await purgeDeadApiKeys(sql, b.id, cutoff), 2);
        assert.deepEqual(await remaining(b.id), survivors(kb));
      });
    });

    describe('bootstrap', () => {
      test('bootstrapDefaultOrg creates the platform org "default" with a * key the first time only', () =>
        withStore(async ({ sql }) => {
          await migrate(sql, loadMigrations());
          const first = await bootstrapDefaultOrg(sql);
          assert.ok(first);
          assert.equal(first.org.slug, 'default');
          assert.equal(first.org.isPlatform, true);
          assert.match(first.secret, apiKeyPattern);
          const key = await findApiKeyBySecret(sql, first.secret);
          assert.equal(key?.orgId, first.org.id);
          assert.deepEqual(key?.scopes, ['*']);

          assert.equal(await bootstrapDefaultOrg(sql), undefined);
          assert.deepEqual((await listOrgs(sql)).map((o) => o.slug), ['default']);
          assert.equal((await listApiKeys(sql, first.org.id)).length, 1);
        }));

      test('bootstrapDefaultOrg does nothing when an organisation already exists', () =>
        withStore(async ({ sql }) => {
          await migrate(sql, loadMigrations());
          await createOrg(sql, { name: 'Existing' });
          assert.equal(await bootstrapDefaultOrg(sql), undefined);
          assert.equal(await findOrg(sql, 'default'), undefined);
        }));

      if (kind.name === 'postgres') {
        test('two concurrent bootstrapDefaultOrg calls through two pools create exactly one org and key', async () => {
          for (let round = 0; round < 3; round++) {
            await withStore(async (store) => {
              await migrate(store.sql, loadMigrations());
              const other = await store.connectAgain!();
              const results = await Promise.all([bootstrapDefaultOrg(store.sql), bootstrapDefaultOrg(other)]);
              assert.equal(results.filter((r) => r !== undefined).length, 1, `round ${round}`);
              const counts = await store.sql.query<{ orgs: number; keys: number }>(
                'SELECT (SELECT count(*) FROM organizations) AS orgs, (SELECT count(*) FROM api_keys) AS keys',
              );
              assert.deepEqual(counts.rows[0], { orgs: 1, keys: 1 });
            });
          }
        });
      }
    });

    describe('executor', () => {
      let store: TestStore;
      let sql: Sql;
      before(async () => {
        store = await kind.open();
        sql = store.sql;
        await sql.exec('CREATE TABLE probe (id integer PRIMARY KEY, note text, amount numeric, big bigint, at timestamptz, tags text[])');
      });
      after(async () => store?.drop());

      test('ping answers', async () => {
        assert.equal(await sql.ping(), true);
        assert.equal(sql.driver, kind.name);
      });

      test('transaction commits when fn resolves and returns its value', async () => {
        const result = await sql.transaction(async (tx) => {
          await tx.query('INSERT INTO probe (id, note) VALUES ($1, $2)', [1, 'committed']);
          await tx.query('INSERT INTO probe (id, note) VALUES ($1, $2)', [2, 'committed too']);
          // A nested transaction joins the outer one.
          await tx.transaction((inner) => inner.query('INSERT INTO probe (id, note) VALUES (3, $1)', ['nested']));
          const seen = await tx.query<{ n: number }>('SELECT count(*) AS n FROM probe WHERE id IN (1, 2, 3)');
          return seen.rows[0]?.n;
        });
        assert.equal(result, 3);
        const r = await sql.query<{ id: number }>('SELECT id FROM probe WHERE id IN (1, 2, 3) ORDER BY id');
        assert.deepEqual(r.rows.map((x) => x.id), [1, 2, 3]);
      });

      test('transaction rolls back when fn throws, and rethrows the same error', async () => {
        const boom = new Error('boom');
        await assert.rejects(
          sql.transaction(async (tx) => {
            await tx.query('INSERT INTO probe (id, note) VALUES ($1, $2)', [10, 'rolled back']);
            await tx.transaction((inner) => inner.query('INSERT INTO probe (id, note) VALUES (11, $1)', ['nested, rolled back']));
            await tx.query('UPDATE probe SET note = $1 WHERE id = 1', ['changed']);
            throw boom;
          }),
          (err) => err === boom,
        );
        const r = await sql.query<{ n: number }>('SELECT count(*) AS n FROM probe WHERE id IN (10, 11)');
        assert.equal(r.rows[0]?.n, 0);
        const one = await sql.query<{ note: string }>('SELECT note FROM probe WHERE id = 1');
        assert.equal(one.rows[0]?.note, 'committed');

        // A failing statement also rolls the transaction back, and the store stays usable.
        await assert.rejects(
          sql.transaction(async (tx) => {
            await tx.query('INSERT INTO probe (id, note) VALUES (12, $1)', ['before the error']);
            await tx.query('INSERT INTO probe (id, note) VALUES (1, $1)', ['duplicate key']);
          }),
          /duplicate key|unique/i,
        );
        assert.equal((await sql.query('SELECT 1 FROM probe WHERE id = 12')).rowCount, 0);
        assert.equal(await sql.ping(), true);
      });

      test('int8 and numeric come back as JS numbers; NULLs as null', async () => {
        await sql.query('INSERT INTO probe (id, amount, big) VALUES (20, $1, $2), (21, $3, NULL)', [12.5, 9_007_199_254_740_991, 0.25]);
        const r = await sql.query<Record<string, unknown>>(
          `SELECT count(*) AS n, sum(amount) AS total, max(big) AS big, 42::int8 AS i8, 3.75::numeric AS num, avg(amount) AS avg,
                  NULL::int8 AS null_i8, NULL::numeric AS null_num
           FROM probe WHERE id IN (20, 21)`,
        );
        const row = r.rows[0]!;
        for (const k of ['n', 'total', 'big', 'i8', 'num', 'avg']) assert.equal(typeof row[k], 'number', `${k}: ${typeof row[k]}`);
        assert.deepEqual(row, { n: 2, total: 12.75, big: 9_007_199_254_740_991, i8: 42, num: 3.75, avg: 6.375, null_i8: null, null_num: null });
        const rows = await sql.query<{ amount: number }>('SELECT amount FROM probe WHERE id = 20');
        assert.equal(rows.rows[0]?.amount, 12.5);
      });

      test('timestamptz comes back as Date, text[] as arrays', async () => {
        const at = new Date('2024-02-29T12:34:56.789Z');
        const tags = ['a', 'b,c', 'with "quotes"', 'ü', ''];
        await sql.query('INSERT INTO probe (id, at, tags) VALUES (30, $1, $2)', [at, tags]);
        const r = await sql.query<{ at: Date; tags: string[]; now: Date; lit: string[]; empty: string[] }>(
          "SELECT at, tags, now() AS now, ARRAY['x', 'y']::text[] AS lit, '{}'::text[] AS empty FROM probe WHERE id = 30",
        );
        const row = r.rows[0]!;
        assert.ok(row.at instanceof Date);
        assert.equal(row.at.getTime(), at.getTime());
        assert.ok(row.now instanceof Date);
        assert.ok(Math.abs(row.now.getTime() - Date.now()) < 60_000);
        assert.deepEqual(row.tags, tags);
        assert.deepEqual(row.lit, ['x', 'y']);
        assert.deepEqual(row.empty, []);
      });

      test('query reports rowCount for writes; exec runs a script and returns the last statement\'s rows', async () => {
        const ins = await sql.query('INSERT INTO probe (id, note) VALUES (40, $1), (41, $1)', ['x']);
        assert.equal(ins.rowCount, 2);
        const upd = await sql.query('UPDATE probe SET note = $1 WHERE id IN (40, 41, 999)', ['y']);
        assert.equal(upd.rowCount, 2);

        const r = await sql.exec<{ b: number; c: string }>(
          "INSERT INTO probe (id, note) VALUES (42, 'script'); UPDATE probe SET note = 'script2' WHERE id = 42; SELECT 1 AS a; SELECT 2 AS b, 'three' AS c",
        );
        assert.deepEqual(r.rows, [{ b: 2, c: 'three' }]);
        assert.equal(r.rowCount, 1);
        const note = await sql.query<{ note: string }>('SELECT note FROM probe WHERE id = 42');
        assert.equal(note.rows[0]?.note, 'script2');

        const several = await sql.exec<{ id: number }>('SELECT 1 AS x; SELECT id FROM probe WHERE id IN (40, 41, 42) ORDER BY id');
        assert.deepEqual(several.rows, [{ id: 40 }, { id: 41 }, { id: 42 }]);
        const single = await sql.exec<{ one: number }>('SELECT 1 AS one');
        assert.deepEqual(single.rows, [{ one: 1 }]);

        // rowCount is the last statement's own, not a sum over the script.
        const tail = await sql.exec("INSERT INTO probe (id) VALUES (44), (45), (46); UPDATE probe SET note = 'z' WHERE id = 44");
        assert.deepEqual(tail, { rows: [], rowCount: 1 });
        const sel = await sql.query('SELECT id FROM probe WHERE id IN (44, 45, 46)');
        assert.equal(sel.rowCount, 3, 'a SELECT reports the rows it returned');
        await sql.query('DELETE FROM probe WHERE id IN (44, 45, 46)');

        const inTx = await sql.transaction((tx) => tx.exec<{ n: number }>('INSERT INTO probe (id) VALUES (43); SELECT count(*) AS n FROM probe WHERE id >= 40 AND id < 50'));
        assert.deepEqual(inTx.rows, [{ n: 4 }]);
      });
    });
  });
}
