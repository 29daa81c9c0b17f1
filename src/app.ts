import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { App } from './api/types.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { errorHandling, frameworkError } from './api/plugins/errors.js';
import { finiteReplies, serializerOptions } from './api/plugins/finite-replies.js';
import { jsonBodies } from './api/plugins/json-body.js';
import { authentication } from './api/plugins/auth.js';
import { apiDocs } from './api/plugins/docs.js';
import { createMetricsRegistry, httpMetrics } from './api/plugins/metrics.js';
import { requestContext, requestIdFor } from './api/plugins/request-context.js';
import { healthRoutes } from './api/routes/health.js';
import { deadLetterRoutes } from './api/routes/dead-letters.js';
import { ingestRoutes } from './api/routes/ingest.js';
import { keyRoutes } from './api/routes/keys.js';
import { metricRoutes } from './api/routes/metrics.js';
import type { IngestDeps } from './ingest/ingest.js';
import { SeriesCache } from './metrics/series-cache.js';
import { orgRoutes } from './api/routes/orgs.js';
import { forecastRoutes } from './api/routes/forecasts.js';
import { anomalyRoutes } from './api/routes/anomalies.js';
import { detectOnThisThread, type DetectFunc } from './anomaly/detect-func.js';
import { forecastScheduleRoutes } from './api/routes/forecast-schedules.js';
import { alertRuleRoutes } from './api/routes/alert-rules.js';
import { alertRoutes } from './api/routes/alerts.js';
import { channelRoutes } from './api/routes/channels.js';
import { silenceRoutes } from './api/routes/silences.js';
import type { DeliveryDeps } from './alert/delivery.js';
import type { AlertingDeps } from './alert/pass/deps.js';
import { forecastGrid } from './forecast/service.js';
import { notificationDeliveryJob } from './jobs/registry.js';
import type { JobQueue } from './jobs/queue.js';
import { createBackendRegistry, type BackendRegistry } from './forecast/registry.js';
import { ErrorResponse } from './api/schemas.js';
import { options as configOptions, type Config } from './config.js';
import type { Logger } from './core/logger.js';
import type { RateLimiter } from './ratelimit/limiter.js';
import type { Migration } from './store/migrate.js';
import type { Sql } from './store/sql.js';
import { version } from './version.js';
import { systemClock, type Clock } from './core/clock.js';

export interface AppDeps {
  config: Pick<
    Config,
    'bodyLimitBytes' | 'rateLimitMax' | 'rateLimitWindowSeconds' | 'rateLimitAnonMax' | 'ingestMaxBatch' | 'ingestMaxFutureSkewSeconds' | 'duplicatePolicy' | 'idempotencyTtlHours'
  > &
    Partial<Pick<Config, 'authFailureMax' | 'authFailureWindowSeconds'>>;
  sql: Sql;
  logger: Logger;
  limiter: RateLimiter;
  migrations: Migration[];
  /** Wall clock; tests pass a fixed one. */
  now?: Clock;
  metricsRegistry?: Registry;
  /** Forecast backends; default: the registry with statistical forecasts on the calling thread. */
  backends?: BackendRegistry;
  /** Where anomaly detection runs (the worker pool in the server); default the calling thread. */
  detector?: DetectFunc;
  /** The job queue, for routes that enqueue work ("run now"); absent in tests that need none. */
  jobs?: JobQueue;
  /**
   * Alerting: the public URL for links in notifications, the delivery policy, the outbound guard of
   * the notifiers (default: no internal address), and (tests) the notifier lookup and the sleep
   * between delivery attempts.
   */
  alerting?: Partial<Pick<AlertingDeps, 'publicUrl' | 'delivery'>> & Partial<Pick<DeliveryDeps, 'notifierFor' | 'sleep' | 'backoff' | 'timeoutMs' | 'outbound'>>;
}

/** Builds the HTTP application; main.ts listens on it, tests call inject() on it. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const now = deps.now ?? systemClock;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // The request-context plugin logs completion itself, with the tenant fields.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: false,
    serializerOpts: serializerOptions, // non-finite numbers are written as null (finite-replies.ts)
    frameworkErrors: frameworkError,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON bodies are validated as sent (`"metrics": "x"` is not an array, `"source": 5` not a string);
  // only the query string and path, where everything arrives as text, coerce types.
  // discriminator: a oneOf told apart by a property (an alert rule's condition `kind`) is validated
  // against the one matching branch, so errors name that branch's fields only.
  // strictNumbers: NaN and ±Infinity are not numbers (a query string's "Infinity" is refused; JSON
  // bodies' overflowing literals are refused earlier, by the body parser).
  const options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false, strictNumbers: true, discriminator: true } as const;
  const bodyAjv = addFormats.default(new Ajv({ ...options, coerceTypes: false }));
  const textAjv = addFormats.default(new Ajv({ ...options, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv.compile(schema) : finiteText(textAjv.compile(schema))));

  app.addSchema(ErrorResponse);
  errorHandling(app);
  jsonBodies(app);
  finiteReplies(app);
  requestContext(app);
  await apiDocs(app, version);
  authentication(app, {
    sql: deps.sql,
    limiter: deps.limiter,
    logger: deps.logger,
    now,
    defaultPolicy: { max: deps.config.rateLimitMax, windowSeconds: deps.config.rateLimitWindowSeconds },
    anonymousPolicy: { max: deps.config.rateLimitAnonMax, windowSeconds: deps.config.rateLimitWindowSeconds },
    failurePolicy: { max: deps.config.authFailureMax ?? configOptions.authFailureMax.default, windowSeconds: deps.config.authFailureWindowSeconds ?? configOptions.authFailureWindowSeconds.default },
  });
  httpMetrics(app, deps.metricsRegistry ?? createMetricsRegistry());

  healthRoutes(app, { sql: deps.sql, migrations: deps.migrations });
  orgRoutes(app, { sql: deps.sql, now });
  keyRoutes(app, { sql: deps.sql, now });

  const ingestDeps: IngestDeps = {
    sql: deps.sql,
    cache: new SeriesCache(),
    now,
    settings: {
      maxBatch: deps.config.ingestMaxBatch,
      maxFutureSkewMs: deps.config.ingestMaxFutureSkewSeconds * 1000,
      duplicatePolicy: deps.config.duplicatePolicy,
      idempotencyTtlMs: deps.config.idempotencyTtlHours * 3_600_000,
    },
  };
  ingestRoutes(app, ingestDeps);
  deadLetterRoutes(app, ingestDeps);
  metricRoutes(app, { sql: deps.sql });
  const backends = deps.backends ?? createBackendRegistry();
  forecastRoutes(app, { sql: deps.sql, backends, now });
  forecastScheduleRoutes(app, { sql: deps.sql, backends, now, jobs: deps.jobs });
  anomalyRoutes(app, { sql: deps.sql, now, detector: deps.detector });

  const jobs = deps.jobs;
  const onDeliveriesQueued = jobs
    ? () => void jobs.send(notificationDeliveryJob, {}).catch((err: unknown) => deps.logger.warn({ err }, 'could not enqueue notification delivery; the minute job sends it'))
    : undefined;
  const alerting: AlertingDeps = {
    sql: deps.sql,
    now,
    detect: deps.detector ?? detectOnThisThread,
    forecast: forecastGrid.bind(null, { sql: deps.sql, backends, now, log: deps.logger }),
    log: deps.logger, publicUrl: deps.alerting?.publicUrl ?? null, delivery: deps.alerting?.delivery, onDeliveriesQueued };
  const delivery: DeliveryDeps = { sql: deps.sql, now, log: deps.logger, notifierFor: deps.alerting?.notifierFor, sleep: deps.alerting?.sleep, backoff: deps.alerting?.backoff, timeoutMs: deps.alerting?.timeoutMs, outbound: deps.alerting?.outbound };
  alertRuleRoutes(app, alerting);
  alertRoutes(app, alerting);
  silenceRoutes(app, { sql: deps.sql, now });
  channelRoutes(app, delivery);

  await app.ready();
  return app;
}

/**
 * Query strings, paths and headers: Ajv coerces the text "Infinity" (or "1e999") into a number that
 * then passes its integer and range checks, so coerced values are checked for finiteness afterwards.
 */
function finiteText(validate: ValidateFunction): ValidateFunction {
  const check = ((data: unknown, ctx?: Parameters<ValidateFunction>[1]) => {
    if (!validate(data, ctx)) {
      check.errors = validate.errors;
      return false;
    }
    const bad: ErrorObject[] = [];
    if (data && typeof data === 'object') {
      for (const [name, v] of Object.entries(data)) {
        if ([v].flat().some((x) => typeof x === 'number' && !Number.isFinite(x))) bad.push({ instancePath: `/${name}`, schemaPath: '#/type', keyword: 'type', params: {}, message: 'must be a finite number' });
      }
    }
    check.errors = bad.length ? bad : null;
    return !bad.length;
  }) as ValidateFunction;
  // Fastify passes the parent object (so coercion can replace a root value) only to Ajv's own functions.
  return Object.assign(check, { schema: validate.schema, schemaEnv: validate.schemaEnv });
}
