import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { detectOnThisThread } from './anomaly/detect-func.js';
import { forecastOnThisThread } from './forecast/forecast-func.js';
import { createWorkerPool } from './workers/pool.js';
import { createBackendRegistry } from './forecast/registry.js';
import { OutboundGuard } from './net/outbound.js';
import { systemClock } from './core/clock.js';
import { createLogger, type Logger } from './core/logger.js';
import { jobDefinitions } from './jobs/registry.js';
import { JobQueue } from './jobs/queue.js';
import { RateLimiter } from './ratelimit/limiter.js';
import { MemoryRateLimitStore } from './ratelimit/memory-store.js';
import { RedisRateLimitStore } from './ratelimit/redis-store.js';
import { loadMigrations, migrate } from './store/migrate.js';
import { openStore } from './store/open.js';
import type { Sql } from './store/sql.js';
import { bootstrapDefaultOrg } from './tenancy/bootstrap.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  sql: Sql;
  jobs?: JobQueue;
  logger: Logger;
  close(): Promise<void>;
}

/** Applies migrations; on the first start only, creates the default organisation and prints its admin key. */
export async function prepareStore(sql: Sql, logger: Logger, print: (line: string) => void): Promise<void> {
  const migrations = loadMigrations();
  await migrate(sql, migrations, (m) => logger.info({ component: 'migrate', version: m.version, name: m.name }, 'migration applied'));
  const boot = await bootstrapDefaultOrg(sql);
  if (boot) {
    print('');
    print(`  First start: created organisation "${boot.org.name}" (${boot.org.slug}) and an admin API key.`);
    print(`  It is shown only now; keep it safe:`);
    print('');
    print(`    ${boot.secret}`);
    print('');
  }
}

/** Starts everything `intentvision serve` runs: store, migrations, rate limiter, jobs, HTTP. */
export async function startServer(config: Config, print: (line: string) => void = console.log): Promise<RunningServer> {
  const logger = createLogger({ level: config.logLevel });
  const log = logger.child({ component: 'server' });
  const sql = await openStore(config, (err) => log.error({ err }, 'database connection error'));
  const cleanups: (() => Promise<void>)[] = [() => sql.close()];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch((err) => log.error({ err }, 'error during shutdown'));
  };
  try {
    await prepareStore(sql, logger, print);
    const store = config.redisUrl ? await RedisRateLimitStore.connect(config.redisUrl) : new MemoryRateLimitStore();
    const limiter = new RateLimiter(store, (err) => log.warn({ err }, 'rate-limit store failed; request let through'));
    cleanups.push(() => limiter.close());

    const pool = config.forecastWorkers > 0 ? createWorkerPool(config.forecastWorkers) : undefined;
    if (pool) cleanups.push(() => pool.close());
    const detector = pool?.detect ?? detectOnThisThread;
    // Every outbound connection (notifications, Nixtla) goes through one guard; OUTBOUND_ALLOWED_CIDRS
    // opens internal ranges, such as an on-premises Nixtla proxy or webhook receiver.
    const outbound = new OutboundGuard({ allowedCidrs: config.outboundAllowedCidrs });
    cleanups.push(() => outbound.close());
    const backends = createBackendRegistry({ runner: pool?.forecast ?? forecastOnThisThread, nixtla: { apiKey: config.nixtlaApiKey, baseUrl: config.nixtlaBaseUrl, fetch: outbound.fetch } });

    // The queue always starts, so requests can enqueue; JOBS_ENABLED decides whether this process
    // also works jobs and runs the cron schedules.
    const now = systemClock;
    const jobs = await JobQueue.start({
      sql,
      logger,
      work: config.jobsEnabled,
      schedule: config.jobsEnabled,
      definitions: jobDefinitions({
        sql,
        now,
        maintenance: { deadLetterRetentionDays: config.deadLetterRetentionDays, alertRetentionDays: config.alertRetentionDays },
        forecast: { sql, backends, now, log: logger },
        alerting: { detect: detector, publicUrl: config.publicUrl ?? null },
        delivery: { sql, now, log: logger, outbound },
      }),
    });
    cleanups.push(() => jobs.stop());

    const app = await buildApp({ config, sql, logger, limiter, migrations: loadMigrations(), backends, detector, jobs, alerting: { publicUrl: config.publicUrl ?? null, outbound } });
    cleanups.push(() => app.close());
    const address = await app.listen({ port: config.port, host: config.host });
    const url = address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
    log.info({ url, store: sql.driver, redis: Boolean(config.redisUrl), jobs: config.jobsEnabled }, 'listening');
    return { app, url, sql, jobs, logger, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
