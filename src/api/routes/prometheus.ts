// The Prometheus HTTP API under /prometheus/api/v1/ for Grafana and promtool (issue 17, part B).
// Registered in a scope of its own: form-encoded bodies (Grafana's default POST) are parsed here
// only, and errors are written as Prometheus writes them ({status: "error", errorType, error};
// bad_data 400, execution 422, timeout 503). Refusals of authentication and authorisation keep the
// platform's error body, as on every other route. Not in the OpenAPI document: Prometheus documents
// this API, the README lists what is supported.
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { errorBody } from '../../core/errors.js';
import { activeAlerts, buildInfo, exemplars, findSeries, labelNames, labelValues, metadata, runInstantQuery, runRangeQuery, type ApiContext, type ApiReply } from '../../prometheus/api.js';
import { errorEnvelope, successEnvelope } from '../../prometheus/envelope.js';
import { labelNameFromPath } from '../../prometheus/params.js';
import { PromQLError } from '../../promql/types.js';
import type { Sql } from '../../store/sql.js';
import { toAppError } from '../plugins/errors.js';
import { authOf } from '../plugins/auth.js';
import type { App } from '../types.js';

/** Statuses whose refusals are the platform's own (credentials, scope, rate limits). */
const platformStatuses = new Set([401, 403, 429]);

export function prometheusRoutes(app: App, deps: { sql: Sql; now: Clock; version?: string }): void {
  const context = (req: FastifyRequest): ApiContext => ({ sql: deps.sql, orgId: authOf(req).orgId, nowMs: deps.now().getTime() });
  const send = (reply: FastifyReply, r: ApiReply) => reply.type('application/json').send(successEnvelope(r.data, r.warnings));

  void app.register(
    async (api) => {
      await api.register(formbody);
      api.setErrorHandler((err: FastifyError, req, reply) => {
        if (err instanceof PromQLError) {
          const e = errorEnvelope(err.type, err.message);
          return reply.status(e.status).type('application/json').send(e.body);
        }
        const appErr = toAppError(err);
        if (platformStatuses.has(appErr.status)) return reply.status(appErr.status).type('application/json').send(errorBody(appErr));
        if (appErr.status >= 500) {
          req.log.error({ err }, 'prometheus API request failed');
          const e = errorEnvelope('internal', 'internal error');
          return reply.status(e.status).type('application/json').send(e.body);
        }
        req.log.debug({ code: appErr.code }, appErr.message);
        const e = errorEnvelope('bad_data', appErr.message);
        return reply.status(appErr.status).type('application/json').send(e.body);
      });

      const opts = { config: { scope: 'read' as const }, schema: { hide: true } };
      const both = (url: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
        api.get(url, opts, handler);
        api.post(url, opts, handler);
      };

      both('/query', async (req, reply) => send(reply, await runInstantQuery(context(req), req.query, req.body)));
      both('/query_range', async (req, reply) => send(reply, await runRangeQuery(context(req), req.query, req.body)));
      both('/series', async (req, reply) => send(reply, await findSeries(context(req), req.query, req.body)));
      both('/labels', async (req, reply) => send(reply, await labelNames(context(req), req.query, req.body)));
      api.get<{ Params: { name: string } }>('/label/:name/values', opts, async (req, reply) => send(reply, await labelValues(context(req), labelNameFromPath(req.params.name), req.query, undefined)));
      api.get('/metadata', opts, async (req, reply) => send(reply, await metadata(context(req), req.query, undefined)));
      both('/query_exemplars', async (req, reply) => send(reply, exemplars(req.query, req.body)));
      api.get('/status/buildinfo', opts, async (_req, reply) => send(reply, buildInfo(deps.version ?? 'unknown')));
      api.get('/alerts', opts, async (req, reply) => send(reply, await activeAlerts(context(req))));
      // The platform's rules are not PromQL rules; Grafana's rule browser gets an empty list, not a 404.
      api.get('/rules', opts, async (_req, reply) => send(reply, { data: { groups: [] }, warnings: [] }));
    },
    { prefix: '/prometheus/api/v1' },
  );
}
