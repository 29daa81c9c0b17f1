import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { App } from '../types.js';
import { rawContext, runWithContext } from '../../core/context.js';
import { containsApiKey } from '../../core/logger.js';

const requestIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

type Headers = Record<string, string | string[] | undefined>;

/**
 * The caller's `X-Request-Id` when well formed (letters, digits, `._:-`, ≤ 128) and safe to log,
 * else a new UUID. The id is echoed and bound to every log line of the request (Fastify's `reqId`),
 * so an id holding a secret would spread it: one shaped like an API key (`iv_…`), or containing a
 * credential this request presents (Authorization, X-API-Key, a cookie value), is replaced.
 */
export function requestIdFor(req: { headers: Headers }): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && requestIdPattern.test(h) && !containsApiKey(h) && !holdsCredential(h, req.headers) ? h : randomUUID();
}

/**
 * Whether the id contains a presented credential (of 8 characters or more: shorter ones would match
 * innocent ids) or is a 16-character-or-longer piece of one.
 */
function holdsCredential(id: string, headers: Headers): boolean {
  const secrets: string[] = [];
  const auth = headers.authorization;
  if (typeof auth === 'string') secrets.push(auth.trim(), auth.trim().replace(/^\S+\s+/, ''));
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string') secrets.push(apiKey.trim());
  const cookie = headers.cookie;
  if (typeof cookie === 'string') for (const part of cookie.split(';')) secrets.push(part.slice(part.indexOf('=') + 1).trim());
  return secrets.some((s) => (s.length >= 8 && id.includes(s)) || (id.length >= 16 && s.includes(id)));
}

/**
 * Query parameters that carry credentials, logged as `…`: one-time ones (OAuth callbacks, emailed
 * links) and InfluxDB 1.x's `p`, the API key as password.
 */
const secretParams = /([?&](?:code|state|token|p)=)[^&#]*/gi;

/** The URL as logs may hold it: the values of credential-carrying query parameters replaced. */
export function loggableUrl(url: string): string {
  return url.includes('?') ? url.replace(secretParams, '$1…') : url;
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
    runWithContext({ requestId: req.id, metadata: { method: req.method, url: loggableUrl(req.url), ip: req.ip } }, () => {
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
        { method: req.method, url: loggableUrl(req.url), route: req.routeOptions.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 },
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
