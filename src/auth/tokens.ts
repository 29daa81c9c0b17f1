import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer tokens for people (session cookies, links in emails, invitations, OAuth state): 32 random
 * bytes as base64url, stored only as SHA-256 hex, so a database leak yields no usable token.
 */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A presented token has the shape {@link newToken} makes (43 base64url characters); anything else is refused unread. */
export function isTokenShaped(s: unknown): s is string {
  return typeof s === 'string' && /^[A-Za-z0-9_-]{43}$/.test(s);
}
