import type { Sql } from '../store/sql.js';
import { addMembership } from './memberships.js';

export interface Organization {
  id: string;
  name: string;
  slug: string;
  isPlatform: boolean;
  createdAt: Date;
}

interface Row {
  id: string;
  name: string;
  slug: string;
  is_platform: boolean;
  created_at: Date;
}

const columns = 'id, name, slug, is_platform, created_at';
export const slugPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

function toOrg(r: Row): Organization {
  return { id: r.id, name: r.name, slug: r.slug, isPlatform: r.is_platform, createdAt: r.created_at };
}

/** "Acme Corp." → "acme-corp". */
export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s || 'org';
}

export class SlugTakenError extends Error {
  constructor(readonly slug: string) {
    super(`an organisation with slug "${slug}" already exists`);
  }
}

export async function createOrg(sql: Sql, input: { name: string; slug?: string; isPlatform?: boolean }): Promise<Organization> {
  const slug = input.slug ?? slugify(input.name);
  const r = await sql.query<Row>(
    `INSERT INTO organizations (name, slug, is_platform) VALUES ($1, $2, $3)
     ON CONFLICT (slug) DO NOTHING RETURNING ${columns}`,
    [input.name, slug, input.isPlatform ?? false],
  );
  if (!r.rows[0]) throw new SlugTakenError(slug);
  return toOrg(r.rows[0]);
}

/**
 * A signed-in user's new organisation, with them as its owner; it becomes their default
 * organisation when they had none. One transaction: no organisation is left without its owner.
 */
export async function createOrgWithOwner(sql: Sql, input: { name: string; slug?: string }, userId: string, now: Date): Promise<Organization> {
  return sql.transaction(async (tx) => {
    const org = await createOrg(tx, input);
    await addMembership(tx, org.id, userId, 'owner', now);
    await tx.query(`UPDATE users SET default_org_id = $2 WHERE id = $1 AND default_org_id IS NULL`, [userId, org.id]);
    return org;
  });
}

/** Renames an organisation (its slug stays: links and scripts keep working). */
export async function renameOrg(sql: Sql, orgId: string, name: string): Promise<Organization | undefined> {
  const r = await sql.query<Row>(`UPDATE organizations SET name = $2 WHERE id = $1 RETURNING ${columns}`, [orgId, name]);
  return r.rows[0] && toOrg(r.rows[0]);
}

/**
 * Deletes an organisation and, by cascade, everything it owns (keys, series, points, rules, alerts,
 * members, invitations). Users stay; their default organisation and sessions stop pointing at it.
 */
export async function deleteOrg(sql: Sql, orgId: string): Promise<boolean> {
  const r = await sql.query('DELETE FROM organizations WHERE id = $1', [orgId]);
  return r.rowCount > 0;
}

export async function getOrg(sql: Sql, orgId: string): Promise<Organization | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM organizations WHERE id = $1`, [orgId]);
  return r.rows[0] && toOrg(r.rows[0]);
}

/** For operators (CLI): find an organisation by slug or id. */
export async function findOrg(sql: Sql, slugOrId: string): Promise<Organization | undefined> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(slugOrId);
  const r = await sql.query<Row>(`SELECT ${columns} FROM organizations WHERE ${isUuid ? 'id = $1::uuid' : 'slug = $1'}`, [slugOrId]);
  return r.rows[0] && toOrg(r.rows[0]);
}

/** For operators (CLI) and system jobs that visit every tenant. */
export async function listOrgs(sql: Sql): Promise<Organization[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM organizations ORDER BY created_at, id`);
  return r.rows.map(toOrg);
}
