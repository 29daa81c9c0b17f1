import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { wire, type AlertingOptions, type Deps, type Parts, type WireConfig } from '../../src/compose.js';
import type { App } from '../../src/api/types.js';
import type { BackendRegistry } from '../../src/forecast/registry.js';
import type { JobQueue } from '../../src/jobs/queue.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import type { Scope } from '../../src/auth/scopes.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { RateLimiter, type RateLimitStore } from '../../src/ratelimit/limiter.js';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory-store.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import type { Sql } from '../../src/store/sql.js';
import { createOrg, type Organization } from '../../src/tenancy/orgs.js';
import { storeKinds, type StoreKind, type TestStore } from './stores.js';

/** Collects JSON log lines in memory. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    cb();
  }
}

/** The configuration test apps run with: generous limits, 1 MiB bodies. */
export const testAppConfig: WireConfig = {
  bodyLimitBytes: 1024 * 1024,
  rateLimitMax: 10_000,
  rateLimitWindowSeconds: 60,
  rateLimitAnonMax: 10_000,
  authFailureMax: 10_000,
  ingestMaxBatch: 1000,
  ingestMaxFutureSkewSeconds: 300,
  duplicatePolicy: 'reject',
  idempotencyTtlHours: 24,
};

/** What tests may give {@link testDeps}: the store, and any part to replace. */
export type TestDepsOptions = Partial<Omit<Parts, 'config'>> & { sql: Sql; config?: Partial<WireConfig> };

/**
 * The platform's deps as tests wire them (the one place their defaults live): {@link testAppConfig},
 * a silent logger, an in-memory rate limiter, the migrations in the tree, and whatever `opts` gives.
 * For buildApp and for jobDefinitions alike.
 */
export function testDeps(opts: TestDepsOptions): Deps {
  const { config, ...parts } = opts;
  return wire({
    ...parts,
    config: { ...testAppConfig, ...config },
    logger: parts.logger ?? createLogger({ level: 'silent' }),
    limiter: parts.limiter ?? new RateLimiter(new MemoryRateLimitStore()),
    migrations: parts.migrations ?? loadMigrations(),
  });
}

export interface TestApp {
  app: App;
  sql: Sql;
  store: TestStore;
  logger: Logger;
  logs: LogCapture;
  org: Organization;
  /** A `*` key of {@link org}. */
  adminKey: string;
  /** Creates another key of `orgId` (default: {@link org}). */
  newKey(scopes: Scope[], orgId?: string, extra?: { expiresAt?: Date; rateLimit?: { max: number; windowSeconds: number } }): Promise<{ id: string; secret: string }>;
  /** A second organisation with its own `*` key. */
  newOrg(name: string): Promise<{ org: Organization; key: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  kind?: StoreKind;
  /** Reuse an open store (several apps on one database, as several server processes). */
  store?: TestStore;
  config?: Partial<WireConfig>;
  now?: () => Date;
  rateLimitStore?: RateLimitStore;
  logLevel?: 'debug' | 'info';
  platformOrg?: boolean;
  /** Forecast backends (default: the standard registry, statistical forecasts inline). */
  backends?: BackendRegistry;
  /** A running job queue for routes that enqueue. */
  jobs?: JobQueue;
  /** Alerting options (notification links, delivery policy, the sleep between delivery attempts). */
  alerting?: AlertingOptions;
  /** People settings (mail sender, OAuth providers, …) merged over the defaults. */
  people?: Parts['people'];
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const ownStore = !opts.store;
  const store = opts.store ?? (await (opts.kind ?? storeKinds[0]!).open());
  const sql = store.sql;
  await migrate(sql, loadMigrations());
  const logs = new LogCapture();
  const logger = createLogger({ level: opts.logLevel ?? 'debug', destination: logs });
  const limiter = new RateLimiter(opts.rateLimitStore ?? new MemoryRateLimitStore());
  const app = await buildApp(testDeps({ config: opts.config, sql, logger, limiter, now: opts.now, backends: opts.backends, jobs: opts.jobs, alerting: opts.alerting, people: opts.people }));
  const suffix = Math.random().toString(36).slice(2, 8);
  const org = await createOrg(sql, { name: `Test ${suffix}`, slug: `test-${suffix}`, isPlatform: opts.platformOrg ?? false });
  const { secret: adminKey } = await createApiKey(sql, org.id, { name: 'test admin', scopes: ['*'] });
  return {
    app,
    sql,
    store,
    logger,
    logs,
    org,
    adminKey,
    async newKey(scopes, orgId = org.id, extra = {}) {
      const { key, secret } = await createApiKey(sql, orgId, { name: `k-${scopes.join('-')}`, scopes, ...extra });
      return { id: key.id, secret };
    },
    async newOrg(name) {
      const o = await createOrg(sql, { name, slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Math.random().toString(36).slice(2, 8)}` });
      const { secret } = await createApiKey(sql, o.id, { name: 'admin', scopes: ['*'] });
      return { org: o, key: secret };
    },
    async close() {
      await app.close();
      await limiter.close();
      if (ownStore) await store.drop();
    },
  };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
