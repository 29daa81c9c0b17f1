import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../types.js';
import { apiKeyPattern, findApiKeyByHash, hashApiKey, touchApiKey, type ApiKey } from '../../auth/api-keys.js';
import { VouchedKeys } from '../../auth/vouched-keys.js';
import { hasScope, type RouteScope } from '../../auth/scopes.js';
import { currentContext } from '../../core/context.js';
import type { Logger } from '../../core/logger.js';
import { AppError } from '../../core/errors.js';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from '../../ratelimit/limiter.js';
import type { Sql } from '../../store/sql.js';
import { systemClock, type Clock } from '../../core/clock.js';

/** Who is calling: set on every request to a non-public route that passed authentication. */
export interface AuthInfo {
  orgId: string;
  keyId: string;
  scopes: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route requires; every /api route must declare one. */
    scope?: RouteScope;
  }
  interface FastifyRequest {
    auth?: AuthInfo;
  }
}

export interface AuthOptions {
  sql: Sql;
  limiter: RateLimiter;
  /** Policy for keys without their own limit. */
  defaultPolicy: RateLimitPolicy;
  /** Policy per client address for requests without a valid key. */
  anonymousPolicy: RateLimitPolicy;
  /**
   * Failed authentications (a credential presented and refused) per client address: past `max` in
   * the window, the address gets 429 before any key lookup, except for keys this process verified
   * recently. Default {@link defaultAuthFailurePolicy}.
   */
  failurePolicy?: RateLimitPolicy;
  logger: Logger;
  now?: Clock;
}

/** 20 failed authentications from one address within 5 minutes. */
export const defaultAuthFailurePolicy: RateLimitPolicy = { max: 20, windowSeconds: 300 };

/** The authenticated caller of a route that requires a scope. */
export function authOf(req: FastifyRequest): AuthInfo {
  if (!req.auth) throw new AppError('missing_api_key');
  return req.auth;
}

/** The key from `Authorization: Bearer iv_…` or `X-API-Key: iv_…`; undefined when neither is sent. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.trim() !== '') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : header; // a malformed Authorization header is an invalid key, not a missing one
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  return undefined;
}

function setRateLimitHeaders(reply: FastifyReply, d: RateLimitDecision): void {
  reply.header('RateLimit-Limit', d.limit);
  reply.header('RateLimit-Remaining', d.remaining);
  reply.header('RateLimit-Reset', d.resetSeconds);
}

function rateLimited(reply: FastifyReply, d: RateLimitDecision): AppError {
  reply.header('Retry-After', d.resetSeconds);
  return new AppError('rate_limited', `Rate limit of ${d.limit} requests exceeded; retry in ${d.resetSeconds} s`, { retryAfterSeconds: d.resetSeconds, limit: d.limit });
}

/**
 * Authentication, rate limiting and scope checks, before the body is read. Routes declare their
 * scope in `config.scope`; registering an /api route without one fails at start-up.
 */
export function authentication(app: App, opts: AuthOptions): void {
  const now = opts.now ?? systemClock;
  const log = opts.logger.child({ component: 'auth' });
  const lastTouched = new Map<string, number>();
  const failurePolicy = opts.failurePolicy ?? defaultAuthFailurePolicy;
  // Keys verified within the failure window stay usable from an address in a failure streak (a
  // client behind the attacker's NAT or proxy); a guess can never be among them.
  const vouched = new VouchedKeys(failurePolicy.windowSeconds * 1000);

  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (route.url.startsWith('/api/') && !scope) throw new Error(`route ${route.method} ${route.url} declares no scope (config.scope)`);
  });

  /** `keyHash` is hashApiKey(secret), computed once per request by the caller. */
  async function verify(secret: string | undefined, keyHash: string | undefined): Promise<ApiKey> {
    if (secret === undefined || keyHash === undefined) throw new AppError('missing_api_key');
    if (!apiKeyPattern.test(secret)) throw new AppError('invalid_api_key', 'The API key is not valid: keys look like iv_ followed by 32 characters');
    const key = await findApiKeyByHash(opts.sql, keyHash);
    if (!key) throw new AppError('invalid_api_key');
    if (key.revokedAt) throw new AppError('revoked_api_key', `The API key was revoked at ${key.revokedAt.toISOString()}`);
    if (key.expiresAt && key.expiresAt.getTime() <= now().getTime()) throw new AppError('expired_api_key', `The API key expired at ${key.expiresAt.toISOString()}`);
    return key;
  }

  function touch(key: ApiKey): void {
    const t = now();
    const last = lastTouched.get(key.id) ?? key.lastUsedAt?.getTime() ?? 0;
    if (t.getTime() - last < 60_000) return;
    if (lastTouched.size >= 10_000) {
      // Entries older than a minute no longer throttle anything; the SQL guard still holds.
      for (const [id, at] of lastTouched) if (t.getTime() - at >= 60_000) lastTouched.delete(id);
    }
    lastTouched.set(key.id, t.getTime());
    touchApiKey(opts.sql, key.orgId, key.id, t).catch((err) => log.warn({ err }, 'could not record key use'));
  }

  app.addHook('onRequest', async (req, reply) => {
    const required = req.routeOptions.config?.scope;
    if (!required || required === 'public') return;

    const secret = presentedKey(req);
    const keyHash = secret === undefined ? undefined : hashApiKey(secret);
    // A streak of failed authentications from this address stops here, before the key lookup: a
    // guess costs no database work. Successes never reset the count. A key verified recently skips
    // the check (and its round trip to a shared limiter store): it is not a guess.
    const known = keyHash !== undefined && vouched.has(keyHash, now().getTime());
    const streak = known ? undefined : await opts.limiter.peek(`authfail:${req.ip}`, failurePolicy);
    if (streak && !streak.allowed) {
      setRateLimitHeaders(reply, streak);
      reply.header('Retry-After', streak.resetSeconds);
      throw new AppError('rate_limited', `Too many failed authentications from this address (${streak.limit} in ${failurePolicy.windowSeconds} s); retry in ${streak.resetSeconds} s`, {
        retryAfterSeconds: streak.resetSeconds,
        limit: streak.limit,
        reason: 'failed_authentication',
      });
    }

    let key: ApiKey;
    try {
      key = await verify(secret, keyHash);
    } catch (err) {
      if (keyHash !== undefined) {
        vouched.delete(keyHash);
        await opts.limiter.check(`authfail:${req.ip}`, failurePolicy);
      }
      // Failed authentication is limited per client address, so keys cannot be guessed quickly.
      const d = await opts.limiter.check(`ip:${req.ip}`, opts.anonymousPolicy);
      setRateLimitHeaders(reply, d);
      if (!d.allowed) throw rateLimited(reply, d);
      throw err;
    }
    vouched.add(keyHash!, now().getTime()); // renewed on every success: a key in use never lapses mid-streak

    const ctx = currentContext();
    if (ctx) {
      ctx.orgId = key.orgId;
      ctx.keyId = key.id;
    }
    req.auth = { orgId: key.orgId, keyId: key.id, scopes: key.scopes };
    touch(key);

    const d = await opts.limiter.check(`key:${key.id}`, key.rateLimit ?? opts.defaultPolicy);
    setRateLimitHeaders(reply, d);
    if (!d.allowed) throw rateLimited(reply, d);

    if (!hasScope(key.scopes, required)) {
      throw new AppError('insufficient_scope', `This route requires the "${required}" scope; the key has ${key.scopes.map((s) => `"${s}"`).join(', ')}`, { required, granted: key.scopes });
    }
  });
}
