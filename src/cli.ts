// Arguments are parsed and checked before anything heavy loads: each command imports what it needs
// (the server, a database driver, pino) when it runs, so --help and usage errors answer at once.
import { parseArgs } from 'node:util';
import { isScope, type Scope } from './auth/scopes.js';
import { ConfigError, loadConfig, options, type Config } from './config.js';
import type { Sql } from './store/sql.js';
import { version } from './version.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class UsageError extends Error {}

const configFlags = Object.fromEntries(Object.values(options).map((o) => [o.flag, { type: 'string' as const }]));

const cliOptions = {
  ...configFlags,
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  slug: { type: 'string' },
  org: { type: 'string' },
  scopes: { type: 'string' },
  name: { type: 'string' },
  'expires-at': { type: 'string' },
  limit: { type: 'string' },
  window: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export function helpText(): string {
  const rows = Object.values(options).map((o) => `  --${o.flag.padEnd(20)} ${o.env.padEnd(26)} ${o.description} (default: ${o.default ?? 'unset'})`);
  return `IntentVision ${version}: forecasting and anomaly detection for operational metrics

Usage: intentvision [command] [options]      (from a checkout: npm start -- [command] [options])

Commands:
  serve                          Start the platform (the default command)
  migrate                        Apply pending database migrations
  migrate status                 List applied and pending migrations
  orgs create NAME [--slug S]    Create an organisation (prints its id)
  orgs list                      List organisations
  keys create --org ORG --scopes read,write[,admin|*] [--name N] [--expires-at ISO] [--limit N --window SECONDS]
                                 Create an API key (the key is printed once)
  keys list --org ORG            List an organisation's keys (never their secrets)
  keys revoke ID --org ORG       Revoke a key

ORG is an organisation's slug or id. The first start creates the organisation "default" and prints
an admin key for it.

Options (flag, environment variable, meaning):
${rows.join('\n')}
  --help, -h                     Show this help
  --version, -v                  Show the version
`;
}

/** Runs `fn` over the migrated store, opened by the composition root and closed afterwards. */
async function withStore<T>(config: Config, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const { composeStore } = await import('./compose.js');
  const store = await composeStore(config);
  try {
    return await fn(store.sql);
  } finally {
    await store.close();
  }
}

async function orgOf(sql: Sql, ref: string | undefined) {
  if (!ref) throw new UsageError('--org is required (an organisation slug or id)');
  const { findOrg } = await import('./tenancy/orgs.js');
  const org = await findOrg(sql, ref);
  if (!org) throw new UsageError(`no organisation "${ref}" (see: intentvision orgs list)`);
  return org;
}

function parseScopes(raw: string | undefined): Scope[] {
  if (!raw) throw new UsageError('--scopes is required, e.g. --scopes read,write');
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((s) => !isScope(s));
  if (bad.length || !list.length) throw new UsageError(`unknown scope ${bad.map((b) => `"${b}"`).join(', ')}: use read, write, admin or *`);
  return [...new Set(list)] as Scope[];
}

function positiveInt(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`${flag} must be a positive whole number, got "${raw}"`);
  return Number(raw);
}

/** Runs one command line; returns the exit code (the serve command resolves once the server is up). */
export async function runCli(argv: string[], io: CliIo): Promise<number | 'serving'> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: cliOptions, allowPositionals: true, strict: true });
  } catch (e) {
    io.err(`${(e as Error).message}\nRun intentvision --help for the commands and options.`);
    return 2;
  }
  const { values: v, positionals: [command = 'serve', ...rest] } = parsed;
  if (v.help) {
    io.out(helpText());
    return 0;
  }
  if (v.version) {
    io.out(version);
    return 0;
  }

  let config: Config;
  try {
    config = loadConfig(io.env, v as Record<string, string | undefined>);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(e.message);
      return 2;
    }
    throw e;
  }

  try {
    switch (`${command} ${rest[0] ?? ''}`.trim()) {
      case 'serve': {
        const { startServer } = await import('./server.js');
        const server = await startServer(config, io.out);
        io.out(`IntentVision ${version} is running at ${server.url} (API docs: ${server.url}/docs; store: ${server.sql.driver === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL'})`);
        const stop = async (signal: string) => {
          server.logger.info({ signal }, 'shutting down');
          await server.close();
          process.exit(0);
        };
        // A bug in a background task must be visible in the logs; an uncaught exception leaves
        // the process in an unknown state, so it exits (the supervisor restarts it).
        process.on('unhandledRejection', (reason) => server.logger.error({ err: reason }, 'unhandled promise rejection'));
        process.once('uncaughtException', (err) => {
          server.logger.fatal({ err }, 'uncaught exception; exiting');
          void server.close().finally(() => process.exit(1));
        });
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
        return 'serving';
      }
      case 'migrate': {
        const [{ createLogger }, { composeStore }] = await Promise.all([import('./core/logger.js'), import('./compose.js')]);
        const logger = createLogger({ level: config.logLevel });
        const { applied, close } = await composeStore(config, { onApplied: (m) => logger.info({ version: m.version, name: m.name }, 'migration applied') });
        await close();
        io.out(applied.length ? `applied ${applied.length} migration(s): ${applied.map((m) => m.file).join(', ')}` : 'database is up to date');
        return 0;
      }
      case 'migrate status': {
        const [{ composeStore }, { migrationStatus }] = await Promise.all([import('./compose.js'), import('./store/migrate.js')]);
        const { sql, migrations, close } = await composeStore(config, { migrate: false });
        try {
          const s = await migrationStatus(sql, migrations);
          for (const a of s.applied) io.out(`applied  ${String(a.version).padStart(4, '0')}_${a.name}  ${a.appliedAt.toISOString()}${s.changed.some((c) => c.version === a.version) ? '  CHANGED SINCE APPLIED' : ''}${s.unknown.includes(a) ? '  (no file in this version)' : ''}`);
          for (const p of s.pending) io.out(`pending  ${p.file.replace(/\.sql$/, '')}`);
          io.out(`${s.applied.length} applied, ${s.pending.length} pending${s.changed.length ? `, ${s.changed.length} changed` : ''}`);
          return s.changed.length ? 1 : 0;
        } finally {
          await close();
        }
      }
      case 'orgs create': {
        const name = rest.slice(1).join(' ').trim();
        if (!name) throw new UsageError('usage: intentvision orgs create NAME [--slug SLUG]');
        if (v.slug !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(v.slug)) throw new UsageError('--slug must be lowercase letters, digits and dashes (at most 63)');
        const { createOrg, SlugTakenError } = await import('./tenancy/orgs.js');
        return await withStore(config, async (sql) => {
          const org = await createOrg(sql, { name, slug: v.slug }).catch((e: unknown) => {
            throw e instanceof SlugTakenError ? new UsageError(e.message) : e;
          });
          io.out(v.json ? JSON.stringify(org) : `created organisation ${org.name} (slug ${org.slug}, id ${org.id})`);
          return 0;
        });
      }
      case 'orgs list': {
        const { listOrgs } = await import('./tenancy/orgs.js');
        return await withStore(config, async (sql) => {
          for (const o of await listOrgs(sql)) io.out(v.json ? JSON.stringify(o) : `${o.id}  ${o.slug.padEnd(24)} ${o.name}${o.isPlatform ? '  (platform)' : ''}`);
          return 0;
        });
      }
      case 'keys create': {
        const scopes = parseScopes(v.scopes);
        const expiresAt = v['expires-at'] ? new Date(v['expires-at']) : null;
        if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt <= new Date())) throw new UsageError('--expires-at must be a future ISO-8601 time');
        if ((v.limit === undefined) !== (v.window === undefined)) throw new UsageError('--limit and --window go together');
        const rateLimit = v.limit && v.window ? { max: positiveInt(v.limit, '--limit'), windowSeconds: positiveInt(v.window, '--window') } : null;
        const { createApiKey } = await import('./auth/api-keys.js');
        return await withStore(config, async (sql) => {
          const org = await orgOf(sql, v.org);
          const { key, secret } = await createApiKey(sql, org.id, { name: v.name ?? 'cli', scopes, expiresAt, rateLimit });
          if (v.json) io.out(JSON.stringify({ ...key, key: secret }));
          else {
            io.out(`created key ${key.id} for ${org.slug} with scopes ${scopes.join(',')}; it is shown only now:`);
            io.out(secret);
          }
          return 0;
        });
      }
      case 'keys list': {
        const { listApiKeys } = await import('./auth/api-keys.js');
        return await withStore(config, async (sql) => {
          const org = await orgOf(sql, v.org);
          for (const k of await listApiKeys(sql, org.id)) {
            const state = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt <= new Date() ? 'expired' : 'active';
            io.out(v.json ? JSON.stringify(k) : `${k.id}  ${k.prefix}…  ${state.padEnd(8)} ${k.scopes.join(',').padEnd(18)} ${k.name}`);
          }
          return 0;
        });
      }
      case 'keys revoke': {
        const id = rest[1];
        if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError('usage: intentvision keys revoke KEY_ID --org ORG');
        const { revokeApiKey } = await import('./auth/api-keys.js');
        return await withStore(config, async (sql) => {
          const org = await orgOf(sql, v.org);
          const key = await revokeApiKey(sql, org.id, id, new Date());
          if (!key) throw new UsageError(`no key ${id} in ${org.slug}`);
          io.out(`revoked key ${key.id} (${key.prefix}…)`);
          return 0;
        });
      }
      default:
        throw new UsageError(`unknown command "${[command, ...rest].join(' ')}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\nRun intentvision --help for the commands and options.`);
      return 2;
    }
    io.err(`error: ${(e as Error).message}`);
    return 1;
  }
}
