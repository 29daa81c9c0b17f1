// People in tests: users with sessions made straight through the stores (fast: no password hashing),
// and the headers a browser sends with them. The accounts tests go through the real sign-in instead.
import { createSession, defaultSessionPolicy } from '../../src/auth/sessions.js';
import type { Role } from '../../src/auth/roles.js';
import { createUser, type User } from '../../src/auth/users.js';
import { csrfTokenFor } from '../../src/api/session-cookie.js';
import { addMembership } from '../../src/tenancy/memberships.js';
import type { TestApp } from './app.js';

export interface SignedIn {
  user: User;
  sessionId: string;
  token: string;
  /** Cookie only: enough for GET requests. */
  read: Record<string, string>;
  /** Cookie + X-CSRF-Token: what the dashboard sends on state-changing requests. */
  write: Record<string, string>;
}

/** The headers of a browser holding session `token` (with the CSRF token when `csrf`). */
export function sessionHeaders(token: string, csrf = true): Record<string, string> {
  return { cookie: `iv_session=${token}`, ...(csrf && { 'x-csrf-token': csrfTokenFor(token) }) };
}

/**
 * A user (verified unless `verified: false`) with a live session; a member of `orgId` (default the
 * test app's org) with `role` unless `role` is null.
 */
export async function signedInUser(t: Pick<TestApp, 'sql' | 'org'>, opts: { role?: Role | null; orgId?: string; email?: string; name?: string; verified?: boolean } = {}): Promise<SignedIn> {
  const now = new Date();
  const email = opts.email ?? `user-${Math.random().toString(36).slice(2, 10)}@example.test`;
  const user = await createUser(t.sql, { email, name: opts.name ?? 'Test User', passwordHash: null, emailVerifiedAt: opts.verified === false ? null : now }, now);
  const role = opts.role === undefined ? 'member' : opts.role;
  if (role) await addMembership(t.sql, opts.orgId ?? t.org.id, user.id, role, now);
  const { session, token } = await createSession(t.sql, { userId: user.id }, now, defaultSessionPolicy);
  return { user, sessionId: session.id, token, read: sessionHeaders(token, false), write: sessionHeaders(token) };
}
