import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import { isRole, type Role } from './roles.js';
import { newToken } from './tokens.js';

/** A sign-in session. The cookie carries a token; only its SHA-256 is stored. */
export interface Session {
  id: string;
  userId: string;
  orgId: string | null;
  userAgent: string | null;
  address: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
}

export const sessionEntity = defineEntity<Session>()('sessions', {
  id: 'uuid', userId: 'uuid', orgId: 'uuid?', userAgent: 'text?', address: 'text?', createdAt: 'timestamptz', lastSeenAt: 'timestamptz', expiresAt: 'timestamptz', absoluteExpiresAt: 'timestamptz',
});

const columns = sessionEntity.columns;
const sessionOf = (r: Row): Session => fromRow(sessionEntity, r);

/** How long sessions last: `ttlMs` without use (sliding), `maxMs` after sign-in at most. */
export interface SessionPolicy {
  ttlMs: number;
  maxMs: number;
}

export const defaultSessionPolicy: SessionPolicy = { ttlMs: 30 * 86_400_000, maxMs: 90 * 86_400_000 };

/** Starts a session for `userId`; the token goes in the cookie and is never stored. */
export async function createSession(
  sql: Sql,
  s: { userId: string; userAgent?: string | null; address?: string | null; orgId?: string | null },
  now: Date,
  policy: SessionPolicy,
): Promise<{ session: Session; token: string }> {
  const { token, hash } = newToken();
  const max = new Date(now.getTime() + policy.maxMs);
  const expires = new Date(Math.min(now.getTime() + policy.ttlMs, max.getTime()));
  const r = await sql.query<Row>(
    `INSERT INTO sessions (user_id, token_hash, org_id, user_agent, address, created_at, last_seen_at, expires_at, absolute_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING ${columns}`,
    [s.userId, hash, s.orgId ?? null, s.userAgent?.slice(0, 500) ?? null, s.address ?? null, now, expires, max],
  );
  return { session: sessionOf(r.rows[0]!), token };
}

/** What one request's session resolves to: the session, its user, and the organisation it acts in. */
export interface ResolvedSession {
  session: Session;
  user: { id: string; email: string; emailVerified: boolean };
  /** The organisation acted in with the user's role there; null when the user is a member of none (or not of the one asked for). */
  membership: { orgId: string; role: Role } | null;
}

/**
 * Looks a session up by its token's hash, in one statement with its user and the membership it acts
 * in: the organisation `requestedOrgId` names (null: the session's chosen one, else the user's
 * default, else their oldest membership). Undefined when no session has the token, or it expired.
 */
export async function resolveSession(sql: Sql, tokenHash: string, requestedOrgId: string | null, now: Date): Promise<ResolvedSession | undefined> {
  const r = await sql.query<Row & { user_email: string; user_verified: boolean; member_org_id: string | null; member_role: string | null }>(
    `SELECT ${columns.split(', ').map((c) => `s.${c}`).join(', ')}, u.email AS user_email, u.email_verified_at IS NOT NULL AS user_verified,
            m.org_id AS member_org_id, m.role AS member_role
       FROM sessions s JOIN users u ON u.id = s.user_id
       LEFT JOIN LATERAL (
         SELECT org_id, role FROM memberships
          WHERE user_id = s.user_id AND ($2::uuid IS NULL OR org_id = $2::uuid)
          ORDER BY (org_id = s.org_id) DESC NULLS LAST, (org_id = u.default_org_id) DESC NULLS LAST, created_at, org_id
          LIMIT 1) m ON true
      WHERE s.token_hash = $1 AND s.expires_at > $3 AND s.absolute_expires_at > $3`,
    [tokenHash, requestedOrgId, now],
    { prepare: 'auth-resolve-session' },
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const role = row.member_role;
  return {
    session: sessionOf(row),
    user: { id: row.user_id as string, email: row.user_email, emailVerified: row.user_verified },
    membership: row.member_org_id && isRole(role) ? { orgId: row.member_org_id, role } : null,
  };
}

/** Records use and slides the expiry (never past the absolute cap). */
export async function touchSession(sql: Sql, id: string, now: Date, policy: SessionPolicy): Promise<void> {
  await sql.query(`UPDATE sessions SET last_seen_at = $2, expires_at = LEAST($3::timestamptz, absolute_expires_at) WHERE id = $1`, [id, now, new Date(now.getTime() + policy.ttlMs)]);
}

/** The user's live sessions, newest first. */
export async function listSessions(sql: Sql, userId: string, now: Date): Promise<Session[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM sessions WHERE user_id = $1 AND expires_at > $2 AND absolute_expires_at > $2 ORDER BY created_at DESC, id`, [userId, now]);
  return r.rows.map(sessionOf);
}

/** Ends one of the user's sessions; false when the user has no such session. */
export async function deleteSession(sql: Sql, userId: string, id: string): Promise<boolean> {
  const r = await sql.query(`DELETE FROM sessions WHERE user_id = $1 AND id = $2`, [userId, id]);
  return r.rowCount > 0;
}

/** Ends every session of the user except `keepId` (null: all); returns how many ended. */
export async function deleteOtherSessions(sql: Sql, userId: string, keepId: string | null): Promise<number> {
  const r = await sql.query(`DELETE FROM sessions WHERE user_id = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)`, [userId, keepId]);
  return r.rowCount;
}

/** Sets the organisation a session acts in when requests name none (the dashboard's switcher). */
export async function setSessionOrg(sql: Sql, userId: string, id: string, orgId: string | null): Promise<void> {
  await sql.query(`UPDATE sessions SET org_id = $3 WHERE user_id = $1 AND id = $2`, [userId, id, orgId]);
}

/** Deletes sessions past either expiry (the maintenance job). */
export async function purgeExpiredSessions(sql: Sql, now: Date): Promise<number> {
  const r = await sql.query(`DELETE FROM sessions WHERE expires_at <= $1 OR absolute_expires_at <= $1`, [now]);
  return r.rowCount;
}
