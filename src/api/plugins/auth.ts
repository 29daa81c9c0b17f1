import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../types.js';
import { apiKeyPattern, findApiKeyByHash, hashApiKey, touchApiKey, type ApiKey } from '../../auth/api-keys.js';
import { VouchedKeys } from '../../auth/vouched-keys.js';
import { hasScope, type RouteScope, type Scope } from '../../auth/scopes.js';
import { scopesOfRole, type Role } from '../../auth/roles.js';
import { defaultSessionPolicy, resolveSession, touchSession, type SessionPolicy } from '../../auth/sessions.js';
import { hashToken, isTokenShaped } from '../../auth/tokens.js';
import type { ActorRef } from '../../alert/lifecycle.js';
import { clearSessionCookies, csrfHeaderName, csrfTokenMatches, platformOrigin, secureCookies, sessionCookieName } from '../session-cookie.js';
import { currentContext } from '../../core/context.js';
import type { Logger } from '../../core/logger.js';
import { AppError } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from '../../ratelimit/limiter.js';
import type { Sql } from '../../store/sql.js';
import { systemClock, type Clock } from '../../core/clock.js';

/**
 * Who is calling and in which organisation: set on every request to an organisation's route that
 * passed authentication, by a key (`keyId`) or by a signed-in person's session (`userId`, `role`;
 * `scopes` are the role's).
 */
export interface AuthInfo {
  orgId: string;
  scopes: string[];
  keyId?: string;
  /** The source the key is bound to (everything it ingests goes through it). */
  keySourceId?: string | null;
  userId?: string;
  sessionId?: string;
  role?: Role;
}

/** The signed-in person behind a session-authenticated request (set on `user` routes as on the others). */
export interface PersonInfo {
  userId: string;
  email: string;
  emailVerified: boolean;
  sessionId: string;
  /** The session's raw token (for the CSRF token in replies); never logged or stored. */
  sessionToken: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route requires; every /api route must declare one. */
    scope?: RouteScope;
    /** On a `user` route: keys may call it too when they hold this scope (they act for their organisation). */
    keyScope?: Exclude<Scope, '*'>;
    /** A query parameter this route's clients carry the key in when they send no header (InfluxDB 1.x's `p`). */
    keyInQuery?: string;
  }
  interface FastifyRequest {
    auth?: AuthInfo;
    person?: PersonInfo;
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
  /** Session lifetimes (sliding, absolute); default {@link defaultSessionPolicy}. */
  sessions?: SessionPolicy;
  /** The platform's public URL: the origin state-changing cookie requests must come from, and Secure cookies when https. */
  publicUrl?: string;
}

/** One registered route and what it requires (HEAD twins of GET routes included). */
export interface RouteEntry {
  method: string;
  url: string;
  scope?: RouteScope;
  keyScope?: Exclude<Scope, '*'>;
}

const routeTables = new WeakMap<object, RouteEntry[]>();

/**
 * Every route registered on `app` after {@link authentication} ran, with its declared scope: what the
 * role tests enumerate so a new route is checked without being listed anywhere.
 */
export function routeTable(app: App): readonly RouteEntry[] {
  const t = routeTables.get(app);
  if (!t) throw new Error('routeTable: authentication() was not registered on this app');
  return t;
}

/** 20 failed authentications from one address within 5 minutes. */
export const defaultAuthFailurePolicy: RateLimitPolicy = { max: 20, windowSeconds: 300 };

/** The authenticated caller of a route that requires a scope. */
export function authOf(req: FastifyRequest): AuthInfo {
  if (!req.auth) throw new AppError('missing_api_key');
  return req.auth;
}

/** The signed-in person of a `user` route (or any session-authenticated request). */
export function personOf(req: FastifyRequest): PersonInfo {
  if (!req.person) throw new AppError('not_signed_in');
  return req.person;
}

/** Who did it, for transitions, silences and rule changes: the person, else the key. */
export function actorOf(req: FastifyRequest): ActorRef {
  const a = authOf(req);
  return a.userId ? { kind: 'user', id: a.userId } : { kind: 'key', id: a.keyId ?? null };
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request from a browser must come from the platform's own origin: Origin (or,
 * without it, Referer) when sent must match. Requests without either (non-browser clients) pass this
 * check; cookie-authenticated ones still need the CSRF token.
 */
function checkOrigin(req: FastifyRequest, publicUrl: string | undefined): void {
  const origin = req.headers.origin ?? req.headers.referer;
  if (typeof origin !== 'string' || origin === '') return;
  let seen: string;
  try {
    seen = new URL(origin).origin;
  } catch {
    throw new AppError('csrf_failed', 'Cross-site request refused: the Origin header is not a URL');
  }
  const own = platformOrigin(publicUrl, req);
  if (seen === 'null' || seen !== own) throw new AppError('csrf_failed', `Cross-site request refused: it comes from ${seen}, not ${own}`, { origin: seen });
}

/** The organisation an `X-Org-Id` header names; null when absent. */
function requestedOrg(req: FastifyRequest): string | null {
  const h = req.headers['x-org-id'];
  if (h === undefined || h === '') return null;
  if (typeof h !== 'string' || !isUuid(h.trim())) throw new AppError('bad_request', 'X-Org-Id must be an organisation id (a UUID)', { header: 'X-Org-Id' });
  return h.trim().toLowerCase();
}

/**
 * The key from `Authorization: Bearer iv_…` (or `Token iv_…`, as InfluxDB clients send it, or
 * `Basic` with the key as the password, as InfluxDB 1.x clients do), `X-API-Key: iv_…`, or the query
 * parameter a route names in `config.keyInQuery`; undefined when none is sent.
 */
export function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header.trim() !== '') {
    const m = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1];
    const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
    const pair = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : '';
    if (pair.includes(':')) return pair.slice(pair.indexOf(':') + 1);
    return header; // a malformed Authorization header is an invalid key, not a missing one
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  const param = req.routeOptions.config?.keyInQuery;
  const q = param ? (req.query as Record<string, unknown> | undefined)?.[param] : undefined;
  if (typeof q === 'string' && q !== '') return q;
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

  const table: RouteEntry[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (route.url.startsWith('/api/') && !scope) throw new Error(`route ${route.method} ${route.url} declares no scope (config.scope)`);
    for (const method of [route.method].flat()) table.push({ method, url: route.url, scope, keyScope: route.config?.keyScope });
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

  const sessionPolicy = opts.sessions ?? defaultSessionPolicy;
  const lastSeen = new Map<string, number>();

  /** Records a session's use (and slides its expiry) at most once a minute per process. */
  function touchSessionOnce(id: string): void {
    const t = now().getTime();
    if (t - (lastSeen.get(id) ?? 0) < 60_000) return;
    if (lastSeen.size >= 10_000) for (const [k, at] of lastSeen) if (t - at >= 60_000) lastSeen.delete(k);
    lastSeen.set(id, t);
    touchSession(opts.sql, id, new Date(t), sessionPolicy).catch((err) => log.warn({ err }, 'could not record session use'));
  }

  /** A request carrying the session cookie and no key: the person, their organisation and role. */
  async function authenticateSession(req: FastifyRequest, reply: FastifyReply, required: Exclude<RouteScope, 'public'>, token: string): Promise<void> {
    const orgAsked = requestedOrg(req);
    const resolved = isTokenShaped(token) ? await resolveSession(opts.sql, hashToken(token), orgAsked, now()) : undefined;
    if (!resolved) {
      const d = await opts.limiter.check(`ip:${req.ip}`, opts.anonymousPolicy);
      setRateLimitHeaders(reply, d);
      if (!d.allowed) throw rateLimited(reply, d);
      clearSessionCookies(reply, secureCookies(opts.publicUrl, req));
      throw new AppError('session_expired');
    }
    if (!safeMethods.has(req.method)) {
      checkOrigin(req, opts.publicUrl);
      if (!csrfTokenMatches(token, req.headers[csrfHeaderName])) throw new AppError('csrf_failed');
    }
    const { session, user, membership } = resolved;
    touchSessionOnce(session.id);
    req.person = { userId: user.id, email: user.email, emailVerified: user.emailVerified, sessionId: session.id, sessionToken: token };
    const ctx = currentContext();
    if (ctx) ctx.userId = user.id;

    const d = await opts.limiter.check(`user:${user.id}`, opts.defaultPolicy);
    setRateLimitHeaders(reply, d);
    if (!d.allowed) throw rateLimited(reply, d);

    if (membership && (user.emailVerified || required === 'user')) {
      req.auth = { orgId: membership.orgId, scopes: scopesOfRole(membership.role), userId: user.id, sessionId: session.id, role: membership.role };
      if (ctx) ctx.orgId = membership.orgId;
    }
    if (required === 'user') return;
    if (!user.emailVerified) throw new AppError('email_unverified');
    if (!membership) throw orgAsked ? new AppError('not_a_member', undefined, { orgId: orgAsked }) : new AppError('no_organization');
    if (!hasScope(req.auth!.scopes, required)) {
      throw new AppError('insufficient_scope', `This route requires the "${required}" scope; your role "${membership.role}" in this organisation grants ${req.auth!.scopes.map((s) => `"${s}"`).join(', ')}`, {
        required,
        role: membership.role,
        granted: req.auth!.scopes,
      });
    }
  }

  app.addHook('onRequest', async (req, reply) => {
    const required = req.routeOptions.config?.scope;
    if (!required) return;
    if (required === 'public') {
      // Sign-in, registration and the like set cookies: a cross-site form must not sign a browser in.
      if (!safeMethods.has(req.method) && req.url.startsWith('/api/v1/auth/')) checkOrigin(req, opts.publicUrl);
      return;
    }

    const secret = presentedKey(req);
    const cookie = secret === undefined ? req.cookies?.[sessionCookieName] : undefined;
    if (cookie !== undefined && cookie !== '') return authenticateSession(req, reply, required, cookie);
    if (required === 'user') {
      // No credential at all: the person should sign in (keys are the exception, even where accepted).
      if (secret === undefined) throw new AppError('not_signed_in');
      if (!req.routeOptions.config?.keyScope) throw new AppError('user_required');
    }

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
    req.auth = { orgId: key.orgId, keyId: key.id, scopes: key.scopes, keySourceId: key.sourceId };
    touch(key);

    const d = await opts.limiter.check(`key:${key.id}`, key.rateLimit ?? opts.defaultPolicy);
    setRateLimitHeaders(reply, d);
    if (!d.allowed) throw rateLimited(reply, d);

    // A key acts in its own organisation only: naming another one is refused, never silently ignored
    // (a script meant for org B must not write into the key's org A).
    const orgAsked = requestedOrg(req);
    if (orgAsked !== null && orgAsked !== key.orgId) throw new AppError('forbidden', 'X-Org-Id names another organisation than the API key\'s; a key acts only in its own', { orgId: orgAsked });

    const needed = required === 'user' ? req.routeOptions.config!.keyScope! : required;
    if (!hasScope(key.scopes, needed)) {
      throw new AppError('insufficient_scope', `This route requires the "${needed}" scope; the key has ${key.scopes.map((s) => `"${s}"`).join(', ')}`, { required: needed, granted: key.scopes });
    }
  });
}
