import type { Role } from '../auth/roles.js';
import type { Sql } from '../store/sql.js';

/** A user's role in one organisation. */
export interface Membership {
  orgId: string;
  userId: string;
  role: Role;
  createdAt: Date;
}

interface Row {
  org_id: string;
  user_id: string;
  role: Role;
  created_at: Date;
}

const membershipOf = (r: Row): Membership => ({ orgId: r.org_id, userId: r.user_id, role: r.role, createdAt: r.created_at });

/** Makes `userId` a member of `orgId` with `role` (a member already keeps their role; returns it). */
export async function addMembership(sql: Sql, orgId: string, userId: string, role: Role, now: Date): Promise<Membership> {
  const r = await sql.query<Row>(
    `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (org_id, user_id) DO UPDATE SET role = memberships.role
     RETURNING org_id, user_id, role, created_at`,
    [orgId, userId, role, now],
  );
  return membershipOf(r.rows[0]!);
}

/** The organisations `userId` belongs to, with names, oldest membership first. */
export async function membershipsOfUser(sql: Sql, userId: string): Promise<(Membership & { orgName: string; orgSlug: string })[]> {
  const r = await sql.query<Row & { name: string; slug: string }>(
    `SELECT m.org_id, m.user_id, m.role, m.created_at, o.name, o.slug FROM memberships m JOIN organizations o ON o.id = m.org_id
      WHERE m.user_id = $1 ORDER BY m.created_at, m.org_id`,
    [userId],
  );
  return r.rows.map((row) => ({ ...membershipOf(row), orgName: row.name, orgSlug: row.slug }));
}

export async function getMembership(sql: Sql, orgId: string, userId: string): Promise<Membership | undefined> {
  const r = await sql.query<Row>(`SELECT org_id, user_id, role, created_at FROM memberships WHERE org_id = $1 AND user_id = $2`, [orgId, userId]);
  return r.rows[0] && membershipOf(r.rows[0]);
}

/** A member as the members list shows them. */
export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: Date;
}

interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

const memberOf = (r: MemberRow): Member => ({ userId: r.user_id, email: r.email, name: r.name, role: r.role, joinedAt: r.created_at });
const memberColumns = 'm.user_id, u.email, u.name, m.role, m.created_at';

/** The members of `orgId`, oldest first. */
export async function listMembers(sql: Sql, orgId: string): Promise<Member[]> {
  const r = await sql.query<MemberRow>(`SELECT ${memberColumns} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY m.created_at, m.user_id`, [orgId]);
  return r.rows.map(memberOf);
}

export async function getMember(sql: Sql, orgId: string, userId: string): Promise<Member | undefined> {
  const r = await sql.query<MemberRow>(`SELECT ${memberColumns} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2`, [orgId, userId]);
  return r.rows[0] && memberOf(r.rows[0]);
}

/**
 * Serialises changes to the members of `orgId` within transaction `tx` and returns how many owners
 * it has. The organisation's row is locked FOR NO KEY UPDATE (which rows referencing it, such as
 * ingested points, do not wait for), so two owners demoting each other cannot both see two owners.
 * Undefined when the organisation does not exist.
 */
export async function lockMembers(tx: Sql, orgId: string): Promise<{ owners: number } | undefined> {
  const org = await tx.query(`SELECT 1 FROM organizations WHERE id = $1 FOR NO KEY UPDATE`, [orgId]);
  if (org.rowCount === 0) return undefined;
  const r = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM memberships WHERE org_id = $1 AND role = 'owner'`, [orgId]);
  return { owners: r.rows[0]!.n };
}

/**
 * Sets a member's role. `check(from, owners)` runs under the members lock with the member's current
 * role and the organisation's owner count, and throws to refuse. Undefined when there is no such member.
 */
export async function changeMemberRole(sql: Sql, orgId: string, userId: string, to: Role, check: (from: Role, owners: number) => void): Promise<Member | undefined> {
  return sql.transaction(async (tx) => {
    const lock = await lockMembers(tx, orgId);
    const before = lock && (await getMember(tx, orgId, userId));
    if (!lock || !before) return undefined;
    check(before.role, lock.owners);
    if (before.role === to) return before;
    await tx.query(`UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2`, [orgId, userId, to]);
    return { ...before, role: to };
  });
}

/**
 * Removes a member (or a member leaving). `check(role, owners)` runs under the members lock, as for
 * {@link changeMemberRole}. Their default organisation and sessions stop pointing at it. Returns the
 * removed member; undefined when there was none.
 */
export async function removeMember(sql: Sql, orgId: string, userId: string, check: (role: Role, owners: number) => void): Promise<Member | undefined> {
  return sql.transaction(async (tx) => {
    const lock = await lockMembers(tx, orgId);
    const before = lock && (await getMember(tx, orgId, userId));
    if (!lock || !before) return undefined;
    check(before.role, lock.owners);
    await tx.query(`DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, [orgId, userId]);
    await tx.query(`UPDATE users SET default_org_id = NULL WHERE id = $2 AND default_org_id = $1`, [orgId, userId]);
    await tx.query(`UPDATE sessions SET org_id = NULL WHERE user_id = $2 AND org_id = $1`, [orgId, userId]);
    return before;
  });
}
