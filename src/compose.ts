// The one composition root: configuration in, every dependency out, each built once and handed to
// the HTTP app (app.ts), the job workers (jobs/registry.ts) and the CLI (cli.ts).
//   wire          ready parts → every domain's deps, no I/O (tests call it with their own store, clock, stubs)
//   compose       opens what `serve` runs on (store, rate limiter, worker pool, outbound guard, job queue), wires it
//   composeStore  the store alone, for the CLI's commands
// What only `serve` needs (pg-boss, piscina, ioredis, the outbound guard, every job's code) is imported
// inside compose(), so a CLI command that needs only the store does not load it (~0.5 s measured).
import type { Registry } from 'prom-client';
import type { DeliveryDeps } from './alert/delivery.js';
import type { AlertingDeps } from './alert/pass/deps.js';
import { detectOnThisThread, type DetectFunc } from './anomaly/detect-func.js';
import type { PeopleDeps } from './auth/deps.js';
import type { Config } from './config.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import { createBackendRegistry, type BackendRegistry } from './forecast/registry.js';
import { forecastGrid, type ForecastDeps } from './forecast/service.js';
import type { IngestDeps } from './ingest/ingest.js';
import type { MaintenanceSettings } from './jobs/maintenance.js';
import { notificationDeliveryJob } from './jobs/names.js';
import type { JobQueue } from './jobs/queue.js';
import { logMailer } from './mail/log.js';
import { SeriesCache } from './metrics/series-cache.js';
import { IngestStats } from './ingest/ingest-stats.js';
import { StorageStats } from './metrics/points/storage-stats.js';
import { samplesFrom } from './metrics/series-read.js';
import type { RateLimiter } from './ratelimit/limiter.js';
import { loadMigrations, migrate, type Migration } from './store/migrate.js';
import { maintainHotPartitions } from './metrics/points/hot-partitions.js';
import { openStore } from './store/open.js';
import type { Sql } from './store/sql.js';
import type { SendMail } from './mail/mailer.js';
import type { ScrapeDeps } from './sources/scrape.js';
import { bootstrapAdminUser, bootstrapDefaultOrg } from './tenancy/bootstrap.js';

/** The configuration the wired deps read: the HTTP limits, ingest settings and (optional) retention. */
export type WireConfig = Pick<
  Config,
  'bodyLimitBytes' | 'rateLimitMax' | 'rateLimitWindowSeconds' | 'rateLimitAnonMax' | 'ingestMaxBatch' | 'ingestMaxFutureSkewSeconds' | 'duplicatePolicy' | 'idempotencyTtlHours'
> &
  Partial<Pick<Config, 'authFailureMax' | 'authFailureWindowSeconds' | 'deadLetterRetentionDays' | 'alertRetentionDays' | 'compactionIntervalSeconds' | 'sessionTtlDays' | 'sessionMaxDays' | 'passwordScryptLogN' | 'publicUrl'>>;

/**
 * Alerting overrides: the public URL for links in notifications, the delivery policy, the outbound
 * guard of the notifiers (default: no internal address), and (tests) the notifier lookup, the
 * backoff and the sleep between delivery attempts.
 */
export type AlertingOptions = Partial<Pick<AlertingDeps, 'publicUrl' | 'delivery'>> & Partial<Pick<DeliveryDeps, 'notifierFor' | 'sleep' | 'backoff' | 'timeoutMs' | 'outbound'>>;

/** What {@link wire} is given: the outside world, already open. */
export interface Parts {
  config: WireConfig;
  sql: Sql;
  logger: Logger;
  limiter: RateLimiter;
  migrations: Migration[];
  /** Wall clock; default the system's (tests pass a fixed one). */
  now?: Clock;
  metricsRegistry?: Registry;
  /** Forecast backends; default the registry with statistical forecasts on the calling thread. */
  backends?: BackendRegistry;
  /** Where anomaly detection runs (the worker pool in the server); default the calling thread. */
  detect?: DetectFunc;
  /** The job queue, for what enqueues work ("run now", deliveries); absent where none runs. */
  jobs?: JobQueue;
  alerting?: AlertingOptions;
  /** How account emails go out (default: the log) and the configured sign-in providers (default: none). */
  people?: Partial<Pick<PeopleDeps, 'sendMail' | 'oauth'>>;
  /** Scraping: its outbound guard (default: the notifiers', else no internal address), limits, shutdown signal. */
  scrape?: Partial<Omit<ScrapeDeps, 'ingest' | 'now'>>;
}

/** Every dependency of the platform, built once: what the HTTP app, the job workers and the CLI are handed. */
export interface Deps {
  config: WireConfig;
  sql: Sql;
  logger: Logger;
  limiter: RateLimiter;
  migrations: Migration[];
  now: Clock;
  metricsRegistry?: Registry;
  backends: BackendRegistry;
  detect: DetectFunc;
  jobs?: JobQueue;
  ingest: IngestDeps;
  forecast: ForecastDeps;
  alerting: AlertingDeps;
  delivery: DeliveryDeps;
  /** Accounts, sessions, sign-in providers, members and invitations. */
  people: PeopleDeps;
  /** Retention of the hourly maintenance job; undefined: its defaults. */
  maintenance?: MaintenanceSettings;
  /** Seconds between compaction runs; undefined: once a minute. */
  compactionIntervalSeconds?: number;
  /** What this process' compaction and retention runs did (GET /metrics). */
  storageStats: StorageStats;
  /** Scraping of prometheus-scrape sources (the source-scraper job). */
  scrape: ScrapeDeps;
}

/** Derives every domain's deps from the parts (no I/O: the same objects serve the app and the jobs). */
export function wire(parts: Parts): Deps {
  const { config, sql, logger } = parts;
  const now = parts.now ?? systemClock;
  const backends = parts.backends ?? createBackendRegistry();
  const detect = parts.detect ?? detectOnThisThread;
  const forecast: ForecastDeps = { sql, backends, now, log: logger };
  const { publicUrl, delivery: deliveryPolicy, ...deliveryOptions } = parts.alerting ?? {};
  const ingest: IngestDeps = {
    sql,
    cache: new SeriesCache(),
    now,
    stats: new IngestStats(),
    settings: {
      maxBatch: config.ingestMaxBatch,
      maxFutureSkewMs: config.ingestMaxFutureSkewSeconds * 1000,
      duplicatePolicy: config.duplicatePolicy,
      idempotencyTtlMs: config.idempotencyTtlHours * 3_600_000,
    },
  };
  const deps: Deps = {
    config,
    sql,
    logger,
    limiter: parts.limiter,
    migrations: parts.migrations,
    now,
    metricsRegistry: parts.metricsRegistry,
    backends,
    detect,
    ingest,
    forecast,
    alerting: { sql, now, samples: samplesFrom(sql), detect, forecast: forecastGrid.bind(null, forecast), log: logger, publicUrl: publicUrl ?? null, delivery: deliveryPolicy },
    delivery: { sql, now, log: logger, ...deliveryOptions },
    people: {
      sql,
      now,
      log: logger,
      limiter: parts.limiter,
      sendMail: parts.people?.sendMail ?? logMailer(logger),
      publicUrl: config.publicUrl,
      sessions: { ttlMs: (config.sessionTtlDays ?? 30) * 86_400_000, maxMs: (config.sessionMaxDays ?? 90) * 86_400_000 },
      passwordScryptLogN: config.passwordScryptLogN ?? 17,
      oauth: parts.people?.oauth ?? {},
    },
    // Scrapes write through the same ingest deps (series cache included) as the HTTP paths.
    scrape: { outbound: deliveryOptions.outbound, ...parts.scrape, ingest, now },
    maintenance: config.deadLetterRetentionDays === undefined ? undefined : { deadLetterRetentionDays: config.deadLetterRetentionDays, alertRetentionDays: config.alertRetentionDays },
    compactionIntervalSeconds: config.compactionIntervalSeconds,
    storageStats: new StorageStats(),
  };
  return parts.jobs ? withJobs(deps, parts.jobs) : deps;
}

/**
 * `deps` with the job queue: routes enqueue on it, and deliveries an API action queued go out at once
 * (a delivery job now rather than at the delivery job's next minute).
 */
export function withJobs(deps: Deps, jobs: JobQueue): Deps {
  const onDeliveriesQueued = () =>
    void jobs.send(notificationDeliveryJob, {}).catch((err: unknown) => deps.logger.warn({ err }, 'could not enqueue notification delivery; the minute job sends it'));
  return { ...deps, jobs, alerting: { ...deps.alerting, onDeliveriesQueued } };
}

/** An open store: its migrations as shipped, those this open applied, and how to close it. */
export interface ComposedStore {
  sql: Sql;
  migrations: Migration[];
  applied: Migration[];
  close(): Promise<void>;
}

/**
 * Opens the store of `config` and applies pending migrations (unless `migrate` is false: `migrate
 * status` only reads). `onApplied` hears each migration applied; `onError` the connection's errors.
 */
export async function composeStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  opts: { migrate?: boolean; onApplied?: (m: Migration) => void; onError?: (err: Error) => void } = {},
): Promise<ComposedStore> {
  const sql = await openStore(config, opts.onError);
  try {
    const migrations = loadMigrations();
    const applied = opts.migrate === false ? [] : await migrate(sql, migrations, opts.onApplied);
    return { sql, migrations, applied, close: () => sql.close() };
  } catch (err) {
    await sql.close();
    throw err;
  }
}

/** On the first start only: creates the default organisation and prints its admin key. */
async function bootstrap(sql: Sql, print: (line: string) => void): Promise<void> {
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

/** The sign-in providers configured (client id and secret set). */
export function oauthSettings(config: Config): PeopleDeps['oauth'] {
  const out: PeopleDeps['oauth'] = {};
  if (config.oauthGoogleClientId && config.oauthGoogleClientSecret) {
    out.google = { clientId: config.oauthGoogleClientId, clientSecret: config.oauthGoogleClientSecret, authUrl: config.oauthGoogleAuthUrl, tokenUrl: config.oauthGoogleTokenUrl, apiUrl: config.oauthGoogleUserinfoUrl };
  }
  if (config.oauthGithubClientId && config.oauthGithubClientSecret) {
    out.github = { clientId: config.oauthGithubClientId, clientSecret: config.oauthGithubClientSecret, authUrl: config.oauthGithubAuthUrl, tokenUrl: config.oauthGithubTokenUrl, apiUrl: config.oauthGithubApiUrl };
  }
  return out;
}

/** Everything a server process runs on; `close` shuts it down in reverse order of opening. */
export interface Composed {
  deps: Deps;
  close(): Promise<void>;
}

/**
 * Opens and wires everything `intentvision serve` runs on: the store (migrated, bootstrapped), the
 * rate limiter, the worker pool, the outbound guard, the backends and the job queue.
 */
export async function compose(config: Config, print: (line: string) => void): Promise<Composed> {
  const [{ createLogger }, { JobQueue }, { jobDefinitions, storageCompactionJob }, { OutboundGuard }, { RateLimiter }, { MemoryRateLimitStore }, { createWorkerPool }] = await Promise.all([
    import('./core/logger.js'),
    import('./jobs/queue.js'),
    import('./jobs/registry.js'),
    import('./net/outbound.js'),
    import('./ratelimit/limiter.js'),
    import('./ratelimit/memory-store.js'),
    import('./workers/pool.js'),
  ]);
  const logger = createLogger({ level: config.logLevel });
  const log = logger.child({ component: 'server' });
  const store = await composeStore(config, {
    onApplied: (m) => logger.info({ component: 'migrate', version: m.version, name: m.name }, 'migration applied'),
    onError: (err) => log.error({ err }, 'database connection error'),
  });
  const { sql, migrations } = store;
  const cleanups: (() => Promise<void>)[] = [() => store.close()];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch((err) => log.error({ err }, 'error during shutdown'));
  };
  try {
    await bootstrap(sql, print);
    // The hot table's two-hour partitions exist before the first point arrives, in every process (the
    // compaction job keeps them from then on); without them points land in the default partition.
    await maintainHotPartitions(sql, systemClock().getTime()).catch((err: unknown) => log.warn({ err }, 'could not make the hot partitions; the compaction job retries'));
    if (config.bootstrapAdminEmail) await bootstrapAdminUser(sql, { email: config.bootstrapAdminEmail, password: config.bootstrapAdminPassword, scryptLogN: config.passwordScryptLogN, linkBase: config.publicUrl ?? `http://localhost:${config.port}` }, print);
    const rateStore = config.redisUrl ? await (await import('./ratelimit/redis-store.js')).RedisRateLimitStore.connect(config.redisUrl) : new MemoryRateLimitStore();
    const limiter = new RateLimiter(rateStore, (err) => log.warn({ err }, 'rate-limit store failed; request let through'));
    cleanups.push(() => limiter.close());

    const pool = config.forecastWorkers > 0 ? createWorkerPool(config.forecastWorkers) : undefined;
    if (pool) cleanups.push(() => pool.close());
    // Every outbound connection (notifications, Nixtla) goes through one guard; OUTBOUND_ALLOWED_CIDRS
    // opens internal ranges, such as an on-premises Nixtla proxy or webhook receiver.
    const outbound = new OutboundGuard({ allowedCidrs: config.outboundAllowedCidrs });
    cleanups.push(() => outbound.close());
    // Without a pool, statistical forecasts and detection run on the event loop (FORECAST_WORKERS=0).
    const backends = createBackendRegistry({ runner: pool?.forecast, nixtla: { apiKey: config.nixtlaApiKey, baseUrl: config.nixtlaBaseUrl, fetch: outbound.fetch } });

    let sendMail: SendMail | undefined;
    if (config.smtpUrl) {
      const mailer = (await import('./mail/smtp.js')).smtpMailer(config.smtpUrl, config.mailFrom);
      cleanups.push(async () => mailer.close());
      sendMail = mailer.send;
    }
    const people = { sendMail, oauth: oauthSettings(config) };
    // Aborted at shutdown before the queue stops, so a running scrape loop ends instead of being waited for.
    const scrapeStop = new AbortController();
    const deps = wire({ config, sql, logger, limiter, migrations, now: systemClock, backends, detect: pool?.detect, alerting: { publicUrl: config.publicUrl ?? null, outbound }, people, scrape: { outbound, signal: scrapeStop.signal } });
    // The queue always starts, so requests can enqueue; JOBS_ENABLED decides whether this process
    // also works jobs and runs the cron schedules.
    const jobs = await JobQueue.start({ sql, logger, work: config.jobsEnabled, schedule: config.jobsEnabled, definitions: jobDefinitions(deps) });
    cleanups.push(() => jobs.stop());
    // Compaction catches up at start rather than at the next minute's schedule (after downtime, or
    // with a COMPACTION_INTERVAL_SECONDS shorter than the minute).
    if (config.jobsEnabled) void jobs.send(storageCompactionJob, {}).catch((err: unknown) => log.warn({ err }, 'could not enqueue compaction; the minute schedule runs it'));
    cleanups.push(async () => scrapeStop.abort()); // cleanups run in reverse: before jobs.stop()
    return { deps: withJobs(deps, jobs), close };
  } catch (err) {
    await close();
    throw err;
  }
}
