import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { App } from '../types.js';
import { rawContext, runWithContext } from '../../core/context.js';

const requestIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The caller's `X-Request-Id` when well formed (letters, digits, `._:-`, ≤ 128), else a new UUID. */
export function requestIdFor(req: { headers: Record<string, string | string[] | undefined> }): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && requestIdPattern.test(h) ? h : randomUUID();
}

const resourceKey = Symbol('requestContextResource');
type WithResource = FastifyRequest & { [resourceKey]?: AsyncResource };

/**
 * Opens the tenant context for each request, echoes the request id, logs completion, and closes
 * the context once the response is sent. Body parsing runs outside the request's async scope, so
 * the context is re-entered before validation (as @fastify/request-context does).
 */
export function requestContext(app: App): void {
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    runWithContext({ requestId: req.id, metadata: { method: req.method, url: req.url, ip: req.ip } }, () => {
      (req as WithResource)[resourceKey] = new AsyncResource('intentvision-request');
      done();
    });
  });
  app.addHook('preValidation', (req, _reply, done) => {
    const resource = (req as WithResource)[resourceKey];
    if (resource) resource.runInAsyncScope(done, req.raw);
    else done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const resource = (req as WithResource)[resourceKey];
    const finish = () => {
      req.log.info(
        { method: req.method, url: req.url, route: req.routeOptions.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 },
        'request completed',
      );
      const ctx = rawContext();
      if (ctx) ctx.ended = true;
      resource?.emitDestroy();
      done();
    };
    if (resource) resource.runInAsyncScope(finish);
    else finish();
  });
}
