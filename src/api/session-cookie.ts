// The session cookie and the CSRF token that goes with it. The cookie is HttpOnly, SameSite=Lax and
// Secure when PUBLIC_URL is https; its token is stored only as SHA-256. The CSRF token is derived from
// the session token (so it needs no storage and changes with every sign-in): the dashboard reads it
// from the readable `iv_csrf` cookie or from the sign-in / GET /me reply and sends it as X-CSRF-Token
// on every state-changing request. Another origin can read neither.
import { createHash, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie'; // its request.cookies / reply.setCookie types
import type { FastifyReply, FastifyRequest } from 'fastify';

export const sessionCookieName = 'iv_session';
export const csrfCookieName = 'iv_csrf';
export const csrfHeaderName = 'x-csrf-token';

/** The CSRF token of a session token. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`csrf\0${sessionToken}`).digest('base64url');
}

/** True when `presented` is the CSRF token of `sessionToken` (constant time). */
export function csrfTokenMatches(sessionToken: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const want = Buffer.from(csrfTokenFor(sessionToken));
  const got = Buffer.from(presented);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Cookies are Secure when the platform's public URL is https (or, without one, the request came over TLS). */
export function secureCookies(publicUrl: string | undefined, req: FastifyRequest): boolean {
  return publicUrl ? publicUrl.startsWith('https:') : req.protocol === 'https';
}

/**
 * The origin the platform is served from: PUBLIC_URL's, else the request's own, normalised as browsers
 * send Origin (`Host: example.com:80` is the origin `http://example.com`). A Host that is no URL
 * authority yields 'null', which no URL's origin equals.
 */
export function platformOrigin(publicUrl: string | undefined, req: FastifyRequest): string {
  if (publicUrl) return new URL(publicUrl).origin;
  try {
    return new URL(`${req.protocol}://${req.host}`).origin;
  } catch {
    return 'null';
  }
}

/** Where links in emails point: PUBLIC_URL (its path kept), else the origin the request came to. */
export function linkBase(publicUrl: string | undefined, req: FastifyRequest): string {
  return publicUrl ? publicUrl.replace(/\/+$/, '') : platformOrigin(undefined, req);
}

/** Sets the session cookie (and its readable CSRF companion) for `maxAgeSeconds`. */
export function setSessionCookies(reply: FastifyReply, token: string, opts: { secure: boolean; maxAgeSeconds: number }): void {
  const base = { path: '/', sameSite: 'lax' as const, secure: opts.secure, maxAge: opts.maxAgeSeconds };
  reply.setCookie(sessionCookieName, token, { ...base, httpOnly: true });
  reply.setCookie(csrfCookieName, csrfTokenFor(token), { ...base, httpOnly: false });
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  const base = { path: '/', sameSite: 'lax' as const, secure };
  reply.clearCookie(sessionCookieName, { ...base, httpOnly: true });
  reply.clearCookie(csrfCookieName, base);
}
