import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';

/** A person's account. `passwordHash` never leaves the server (replies say `hasPassword`). */
export interface User {
  id: string;
  email: string;
  name: string;
  passwordHash: string | null;
  emailVerifiedAt: Date | null;
  defaultOrgId: string | null;
  passwordChangedAt: Date | null;
  createdAt: Date;
}

export const userEntity = defineEntity<User>()('users', {
  id: 'uuid', email: 'text', name: 'text', passwordHash: 'text?', emailVerifiedAt: 'timestamptz?', defaultOrgId: 'uuid?', passwordChangedAt: 'timestamptz?', createdAt: 'timestamptz',
});

const columns = userEntity.columns;
const userOf = (r: Row): User => fromRow(userEntity, r);

/** Email addresses compare trimmed and lower-cased (one account per mailbox, whatever the spelling). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class EmailTakenError extends Error {
  constructor(readonly email: string) {
    super(`An account with ${email} exists`);
    this.name = 'EmailTakenError';
  }
}

export async function createUser(sql: Sql, u: { email: string; name: string; passwordHash: string | null; emailVerifiedAt?: Date | null }, now: Date): Promise<User> {
  try {
    const r = await sql.query<Row>(
      `INSERT INTO users (email, name, password_hash, email_verified_at, password_changed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${columns}`,
      [normaliseEmail(u.email), u.name, u.passwordHash, u.emailVerifiedAt ?? null, u.passwordHash ? now : null, now],
    );
    return userOf(r.rows[0]!);
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new EmailTakenError(normaliseEmail(u.email));
    throw err;
  }
}

export async function getUser(sql: Sql, id: string): Promise<User | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
  return r.rows[0] && userOf(r.rows[0]);
}

export async function findUserByEmail(sql: Sql, email: string): Promise<User | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM users WHERE email = $1`, [normaliseEmail(email)]);
  return r.rows[0] && userOf(r.rows[0]);
}

export async function markEmailVerified(sql: Sql, id: string, at: Date): Promise<void> {
  await sql.query(`UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $1`, [id, at]);
}

export async function setPasswordHash(sql: Sql, id: string, passwordHash: string | null, at: Date): Promise<void> {
  await sql.query(`UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`, [id, passwordHash, at]);
}

/** Changes the given fields; returns the user after the change (undefined when there is none). */
export async function updateUser(sql: Sql, id: string, change: { name?: string; defaultOrgId?: string | null }): Promise<User | undefined> {
  const r = await sql.query<Row>(
    `UPDATE users SET name = CASE WHEN $2 THEN $3 ELSE name END, default_org_id = CASE WHEN $4 THEN $5::uuid ELSE default_org_id END WHERE id = $1 RETURNING ${columns}`,
    [id, change.name !== undefined, change.name ?? null, change.defaultOrgId !== undefined, change.defaultOrgId ?? null],
  );
  return r.rows[0] && userOf(r.rows[0]);
}
