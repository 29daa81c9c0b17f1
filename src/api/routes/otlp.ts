import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AppError, errorBody } from '../../core/errors.js';
import type { IngestDeps } from '../../ingest/ingest.js';
import { decodeOtlp, otlpFormatOf, partialSuccessOf } from '../../ingest/protocols/otlp.js';
import { itemPath, type OtlpBatch } from '../../ingest/protocols/otlp-flatten.js';
import { grpcCodeOf, isTransientStoreError } from '../../ingest/protocols/otlp-errors.js';
import { encodeResponseProtobuf, encodeStatusProtobuf, OtlpMalformed, responseJson } from '../../ingest/protocols/otlp-wire.js';
import { ingestThrough } from '../ingest-through.js';
import { toAppError } from '../plugins/errors.js';
import type { App } from '../types.js';

const protobufType = 'application/x-protobuf';

/** Values (stored points) one data point may flatten into on average: a histogram of 29 buckets fits. */
const valuesPerPoint = 32;

/** Seconds a client should wait before retrying after the store failed transiently. */
const retryAfterSeconds = 5;

const OtlpQuery = Type.Object({
  source: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'The otlp source to send through (also the X-Source header)' })),
});

/**
 * Errors on this path, including authentication, rate limits, content types and body limits: a
 * protobuf request gets a protobuf google.rpc.Status (OTLP/HTTP requires that shape for binary
 * clients; the platform's error code travels as ErrorInfo.reason). Other requests get the platform's
 * JSON error body `{"error": {code, message, details}}` like every other route: OTLP/JSON clients only
 * log error bodies, and one JSON error shape keeps the platform's own clients and checks uniform.
 * A store that is briefly unreachable answers 503 with Retry-After, which OTLP clients retry.
 */
function otlpErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let appErr = toAppError(err);
  if (appErr.code === 'internal_error' && isTransientStoreError(err)) {
    appErr = new AppError('service_unavailable', 'The database is unavailable for the moment; retry later', { retryAfterSeconds });
    reply.header('Retry-After', retryAfterSeconds);
  }
  if (appErr.status >= 500) req.log.error({ err }, 'request failed');
  else req.log.debug({ code: appErr.code }, appErr.message);
  reply.status(appErr.status);
  if (otlpFormatOf(req.headers['content-type']) === 'protobuf') {
    const metadata = appErr.details && typeof appErr.details === 'object' && !Array.isArray(appErr.details) ? textValues(appErr.details as Record<string, unknown>) : undefined;
    return reply.type(protobufType).send(Buffer.from(encodeStatusProtobuf({ code: grpcCodeOf(appErr.status), message: appErr.message, reason: appErr.code, metadata })));
  }
  return reply.type('application/json').send(errorBody(appErr));
}

/** ErrorInfo.metadata is map<string, string>: scalar details as text. */
function textValues(details: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(details)) if (['string', 'number', 'boolean'].includes(typeof v)) out[k] = String(v);
  return out;
}

/** OTLP/HTTP metrics: POST /v1/metrics, protobuf or JSON, gzip allowed (inflated by the raw-bodies plugin). */
export function otlpRoutes(app: App, deps: IngestDeps): void {
  app.post<{ Querystring: Static<typeof OtlpQuery> }>(
    '/v1/metrics',
    {
      config: { scope: 'write' },
      errorHandler: otlpErrorHandler,
      schema: {
        tags: ['ingest'],
        summary: 'OTLP/HTTP metrics export (ExportMetricsServiceRequest)',
        description:
          'Content-Type application/x-protobuf or application/json, optionally Content-Encoding: gzip. Metric name → key; resource, scope (otel_scope_name/otel_scope_version) and data point attributes → dimensions; ' +
          'histograms as _bucket{le}, _sum, _count; summaries as {quantile}, _sum, _count; exponential histograms as _sum, _count. ' +
          'The reply is an ExportMetricsServiceResponse in the request\'s encoding, with partialSuccess when data points were rejected (they go to the dead-letter queue). ' +
          'At most INGEST_MAX_BATCH data points per request (413 beyond). Errors of protobuf requests are google.rpc.Status messages.',
        querystring: OtlpQuery,
      },
    },
    async (req, reply) => {
      const format = otlpFormatOf(req.headers['content-type']);
      if (!format) {
        throw new AppError('unsupported_media_type', 'OTLP/HTTP metrics are sent as application/x-protobuf or application/json', { supported: [protobufType, 'application/json'] });
      }
      let batch: OtlpBatch;
      try {
        batch = decodeOtlp(format, req.body);
      } catch (err) {
        if (err instanceof OtlpMalformed) throw new AppError('bad_request', `Malformed OTLP ${format === 'json' ? 'JSON' : 'protobuf'} request: ${err.message}`, err.path ? { field: err.path } : undefined);
        throw err;
      }
      // The limit counts data points, what an SDK or the Collector's batch processor counts: a
      // histogram point flattens into several items (one per bucket) and is still one point.
      const max = deps.settings.maxBatch;
      if (batch.dataPoints > max) {
        throw new AppError(
          'batch_too_large',
          `A request may carry at most ${max} data points, got ${batch.dataPoints}; send smaller exports (the Collector's batch processor: send_batch_max_size ≤ ${max}) or raise INGEST_MAX_BATCH`,
          { max, received: batch.dataPoints },
        );
      }
      // What the points flatten into is bounded too (a single point could carry 100,000 buckets).
      const maxValues = max * valuesPerPoint;
      if (batch.items.length > maxValues) {
        throw new AppError('batch_too_large', `The data points of this request flatten into ${batch.items.length} values (histogram buckets, quantiles, _sum, _count); at most ${maxValues} per request: send smaller exports`, {
          max: maxValues,
          received: batch.items.length,
        });
      }
      const outcome = await ingestThrough({ ...deps, settings: { ...deps.settings, maxBatch: Math.max(max, batch.items.length) } }, req, {
        kind: 'otlp',
        fallbackLabel: 'otlp',
        items: batch.items,
        where: (i) => itemPath(batch, i),
        undecodable: batch.undecodable.map(({ raw, error }) => ({ raw, error })),
      });
      // No idempotency key here, so the outcome is never a replay.
      const errors = outcome.replayed ? [] : outcome.body.errors;
      const partial = partialSuccessOf(batch, errors);
      reply.status(200);
      if (format === 'protobuf') return reply.type(protobufType).send(Buffer.from(encodeResponseProtobuf(partial)));
      return reply.type('application/json').send(responseJson(partial));
    },
  );
}
