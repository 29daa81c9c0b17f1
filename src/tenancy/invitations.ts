// Invitations to join an organisation by email: a single-use link whose token is stored only as
// SHA-256, valid for 7 days. One pending invitation per address and organisation: a new one (or a
// resend) replaces the old token. Accepting needs a signed-in user whose verified email is the
// invited address; it adds the membership with the invited role.
import type { Role } from '../auth/roles.js';
import { hashToken, isTokenShaped, newToken } from '../auth/tokens.js';
import { normaliseEmail } from '../auth/users.js';
import { AppError } from '../core/errors.js';
import type { Sql } from '../store/sql.js';
import { addMembership, lockMembers, type Membership } from './memberships.js';

/** How long an invitation link stays valid: 7 days. */
export const invitationTtlMs = 7 * 86_400_000;

export interface Invitation {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  acceptedBy: string | null;
  revokedAt: Date | null;
}

interface Row {
  id: string;
  org_id: string;
  email: string;
  role: Role;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
}

const columns = 'id, org_id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at';
const invitationOf = (r: Row): Invitation => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  role: r.role,
  invitedBy: r.invited_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  acceptedAt: r.accepted_at,
  acceptedBy: r.accepted_by,
  revokedAt: r.revoked_at,
});

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** accepted and revoked are final; a pending invitation expires at `expiresAt`. */
export function invitationStatus(i: Pick<Invitation, 'acceptedAt' | 'revokedAt' | 'expiresAt'>, now: Date): InvitationStatus {
  if (i.acceptedAt) return 'accepted';
  if (i.revokedAt) return 'revoked';
  return i.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}

/**
 * Invites `email` to `orgId` as `role`; the token (for the link) is returned here only. An address
 * that is a member already is refused (409 already_member); an unanswered invitation for the same
 * address is revoked, so only the newest link works.
 */
export async function createInvitation(sql: Sql, i: { orgId: string; email: string; role: Role; invitedBy: string | null }, now: Date): Promise<{ invitation: Invitation; token: string }> {
  const email = normaliseEmail(i.email);
  return sql.transaction(async (tx) => {
    // The members lock also serialises invitations: two invitations of one address cannot both stay pending.
    await lockMembers(tx, i.orgId);
    const member = await tx.query(`SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2`, [i.orgId, email]);
    if (member.rowCount > 0) throw new AppError('already_member', `${email} is already a member of this organisation`, { email });
    await tx.query(`UPDATE invitations SET revoked_at = $3 WHERE org_id = $1 AND lower(email) = $2 AND accepted_at IS NULL AND revoked_at IS NULL`, [i.orgId, email, now]);
    const { token, hash } = newToken();
    const r = await tx.query<Row>(
      `INSERT INTO invitations (org_id, email, role, token_hash, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
      [i.orgId, email, i.role, hash, i.invitedBy, now, new Date(now.getTime() + invitationTtlMs)],
    );
    return { invitation: invitationOf(r.rows[0]!), token };
  });
}

export async function getInvitation(sql: Sql, orgId: string, id: string): Promise<Invitation | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM invitations WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && invitationOf(r.rows[0]);
}

/** The invitations of `orgId` still open at `now` (not accepted, revoked or expired), newest first. */
export async function listPendingInvitations(sql: Sql, orgId: string, now: Date): Promise<Invitation[]> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM invitations WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id`,
    [orgId, now],
  );
  return r.rows.map(invitationOf);
}

/** Refuses an invitation that was accepted or revoked (final states) with its error. */
export function assertOpen(i: Invitation): void {
  if (i.acceptedAt) throw new AppError('invitation_used', `The invitation was accepted at ${i.acceptedAt.toISOString()}`, { acceptedAt: i.acceptedAt.toISOString() });
  if (i.revokedAt) throw new AppError('invitation_revoked', `The invitation was withdrawn at ${i.revokedAt.toISOString()}`, { revokedAt: i.revokedAt.toISOString() });
}

/** Withdraws an invitation: its link stops working. Revoking twice keeps the first time; an accepted one is refused (409 invitation_used). */
export async function revokeInvitation(sql: Sql, orgId: string, id: string, now: Date): Promise<Invitation | undefined> {
  const r = await sql.query<Row>(`UPDATE invitations SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL RETURNING ${columns}`, [orgId, id, now]);
  if (r.rows[0]) return invitationOf(r.rows[0]);
  const i = await getInvitation(sql, orgId, id);
  if (i) assertOpen(i); // accepted
  return undefined;
}

/**
 * A new link for an open (pending or expired) invitation: a new token and a new 7-day expiry; the old
 * link stops working. Accepted or revoked invitations are refused with their error.
 */
export async function renewInvitation(sql: Sql, orgId: string, id: string, now: Date): Promise<{ invitation: Invitation; token: string } | undefined> {
  const { token, hash } = newToken();
  const r = await sql.query<Row>(
    `UPDATE invitations SET token_hash = $3, expires_at = $4 WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING ${columns}`,
    [orgId, id, hash, new Date(now.getTime() + invitationTtlMs)],
  );
  if (r.rows[0]) return { invitation: invitationOf(r.rows[0]), token };
  const i = await getInvitation(sql, orgId, id);
  if (!i) return undefined;
  assertOpen(i); // accepted or revoked: the update above skips only those
  return undefined;
}

/**
 * Accepts the invitation whose link carries `token`, for a signed-in user: their email must be the
 * invited address and verified. Adds the membership with the invited role (someone already a member
 * keeps their role) and marks the invitation used. Errors: invalid_token (no such token),
 * invitation_used, invitation_revoked, invitation_expired, invitation_email_mismatch, email_unverified.
 */
export async function acceptInvitation(
  sql: Sql,
  token: unknown,
  user: { id: string; email: string; emailVerified: boolean },
  now: Date,
): Promise<{ invitation: Invitation; membership: Membership }> {
  if (!isTokenShaped(token)) throw new AppError('invalid_token', 'The invitation link is not valid: copy the whole link from the email, or ask for a new invitation');
  const hash = hashToken(token);
  const invalid = () => new AppError('invalid_token', 'The invitation link is not valid: copy the whole link from the email, or ask for a new invitation');
  return sql.transaction(async (tx) => {
    // The organisation's members lock first, then the invitation row: the order createInvitation takes them in.
    const org = await tx.query<{ org_id: string }>(`SELECT org_id FROM invitations WHERE token_hash = $1`, [hash]);
    if (!org.rows[0]) throw invalid();
    await lockMembers(tx, org.rows[0].org_id);
    const found = await tx.query<Row>(`SELECT ${columns} FROM invitations WHERE token_hash = $1 FOR UPDATE`, [hash]);
    const i = found.rows[0] && invitationOf(found.rows[0]);
    if (!i) throw invalid(); // renewed in between
    assertOpen(i);
    if (i.expiresAt.getTime() <= now.getTime()) throw new AppError('invitation_expired', `The invitation expired at ${i.expiresAt.toISOString()}; ask for a new one`, { expiresAt: i.expiresAt.toISOString() });
    if (normaliseEmail(user.email) !== normaliseEmail(i.email)) {
      throw new AppError('invitation_email_mismatch', 'The invitation was sent to another email address: sign in with the account of the invited address');
    }
    if (!user.emailVerified) {
      throw new AppError('email_unverified', 'Verify your email address first: an invitation is accepted only by a verified account of the invited address');
    }
    const membership = await addMembership(tx, i.orgId, user.id, i.role, now);
    const r = await tx.query<Row>(`UPDATE invitations SET accepted_at = $2, accepted_by = $3 WHERE id = $1 RETURNING ${columns}`, [i.id, now, user.id]);
    await tx.query(`UPDATE users SET default_org_id = $2 WHERE id = $1 AND default_org_id IS NULL`, [user.id, i.orgId]);
    return { invitation: invitationOf(r.rows[0]!), membership };
  });
}
