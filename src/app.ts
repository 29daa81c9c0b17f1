import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import cookie from '@fastify/cookie';
import type { App } from './api/types.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorHandling, frameworkError } from './api/plugins/errors.js';
import { finiteReplies, serializerOptions } from './api/plugins/finite-replies.js';
import { jsonBodies } from './api/plugins/json-body.js';
import { rawBodies } from './api/plugins/raw-bodies.js';
import { authentication } from './api/plugins/auth.js';
import { apiDocs } from './api/plugins/docs.js';
import { createMetricsRegistry, httpMetrics } from './api/plugins/metrics.js';
import { storageMetrics } from './api/plugins/storage-metrics.js';
import { ingestMetrics } from './api/plugins/ingest-metrics.js';
import { requestContext, requestIdFor } from './api/plugins/request-context.js';
import { healthRoutes } from './api/routes/health.js';
import { deadLetterRoutes } from './api/routes/dead-letters.js';
import { ingestRoutes } from './api/routes/ingest.js';
import { keyRoutes } from './api/routes/keys.js';
import { metricRoutes } from './api/routes/metrics.js';
import { orgRoutes } from './api/routes/orgs.js';
import { meRoutes } from './api/routes/me.js';
import { memberRoutes } from './api/routes/members.js';
import { invitationRoutes } from './api/routes/invitations.js';
import { forecastRoutes } from './api/routes/forecasts.js';
import { detectionScheduleRoutes } from './api/routes/detection-schedules.js';
import { seriesSettingsRoutes } from './api/routes/series-settings.js';
import { retentionRoutes } from './api/routes/retention.js';
import { anomalyRoutes } from './api/routes/anomalies.js';
import { forecastScheduleRoutes } from './api/routes/forecast-schedules.js';
import { alertRuleRoutes } from './api/routes/alert-rules.js';
import { alertRoutes } from './api/routes/alerts.js';
import { channelRoutes } from './api/routes/channels.js';
import { silenceRoutes } from './api/routes/silences.js';
import { oauthRoutes } from './api/routes/oauth.js';
import { accountRoutes } from './api/routes/auth.js';
import { webRoutes } from './api/routes/web.js';
import { sourceRoutes } from './api/routes/sources.js';
import { remoteWriteRoutes } from './api/routes/remote-write.js';
import { otlpRoutes } from './api/routes/otlp.js';
import { influxRoutes } from './api/routes/influx.js';
import { prometheusRoutes } from './api/routes/prometheus.js';
import { ErrorResponse } from './api/schemas.js';
import type { Deps } from './compose.js';
import { options as configOptions } from './config.js';
import { version } from './version.js';

/** What the HTTP app is built from: the composed deps (src/compose.ts; tests wire their own). */
export type AppDeps = Deps;

/** Builds the HTTP application; main.ts listens on it, tests call inject() on it. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { sql, now } = deps;
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
  rawBodies(app, deps.config.bodyLimitBytes);
  finiteReplies(app);
  requestContext(app);
  await apiDocs(app, version);
  await app.register(cookie); // parses Cookie before authentication reads the session
  authentication(app, {
    sessions: deps.people.sessions,
    publicUrl: deps.people.publicUrl,
    sql,
    limiter: deps.limiter,
    logger: deps.logger,
    now,
    defaultPolicy: { max: deps.config.rateLimitMax, windowSeconds: deps.config.rateLimitWindowSeconds },
    anonymousPolicy: { max: deps.config.rateLimitAnonMax, windowSeconds: deps.config.rateLimitWindowSeconds },
    failurePolicy: { max: deps.config.authFailureMax ?? configOptions.authFailureMax.default, windowSeconds: deps.config.authFailureWindowSeconds ?? configOptions.authFailureWindowSeconds.default },
  });
  const metricsRegistry = deps.metricsRegistry ?? createMetricsRegistry();
  httpMetrics(app, metricsRegistry);
  storageMetrics(metricsRegistry, sql, deps.storageStats, deps.logger.child({ component: 'storage' }));
  if (deps.ingest.stats) ingestMetrics(metricsRegistry, deps.ingest.stats);

  healthRoutes(app, { sql, migrations: deps.migrations });
  orgRoutes(app, { sql, now });
  meRoutes(app, deps.people);
  memberRoutes(app, { sql });
  invitationRoutes(app, deps.people);
  keyRoutes(app, { sql, now });
  ingestRoutes(app, deps.ingest);
  deadLetterRoutes(app, deps.ingest);
  sourceRoutes(app, deps.ingest);
  remoteWriteRoutes(app, deps.ingest);
  otlpRoutes(app, deps.ingest);
  influxRoutes(app, deps.ingest);
  metricRoutes(app, { sql });
  prometheusRoutes(app, { sql, now, version });
  forecastRoutes(app, deps.forecast);
  forecastScheduleRoutes(app, { sql, backends: deps.backends, now, jobs: deps.jobs });
  anomalyRoutes(app, { sql, now, detector: deps.detect });
  detectionScheduleRoutes(app, { sql, now, detector: deps.detect, jobs: deps.jobs });
  seriesSettingsRoutes(app, { sql });
  retentionRoutes(app, { sql });
  alertRuleRoutes(app, deps.alerting);
  alertRoutes(app, deps.alerting);
  silenceRoutes(app, { sql, now });
  channelRoutes(app, deps.delivery);
  oauthRoutes(app, deps.people);
  accountRoutes(app, deps.people);
  webRoutes(app); // last: the dashboard's pages take only what no API route matched

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
