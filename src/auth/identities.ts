import type { Sql } from '../store/sql.js';

export type Provider = 'google' | 'github';
export const providers: readonly Provider[] = ['google', 'github'];

/** A provider account linked to a user, by the provider's stable subject id. */
export interface Identity {
  userId: string;
  provider: Provider;
  subject: string;
  email: string | null;
  createdAt: Date;
}

interface Row {
  user_id: string;
  provider: Provider;
  subject: string;
  email: string | null;
  created_at: Date;
}

const identityOf = (r: Row): Identity => ({ userId: r.user_id, provider: r.provider, subject: r.subject, email: r.email, createdAt: r.created_at });
const columns = 'user_id, provider, subject, email, created_at';

/** The providers linked to `userId`, oldest first. */
export async function listIdentities(sql: Sql, userId: string): Promise<Identity[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM user_identities WHERE user_id = $1 ORDER BY created_at, provider`, [userId]);
  return r.rows.map(identityOf);
}

export async function findIdentity(sql: Sql, provider: Provider, subject: string): Promise<Identity | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM user_identities WHERE provider = $1 AND subject = $2`, [provider, subject]);
  return r.rows[0] && identityOf(r.rows[0]);
}

/** Links a provider account to a user (a user has at most one account per provider: the new one replaces it). */
export async function linkIdentity(sql: Sql, i: { userId: string; provider: Provider; subject: string; email: string | null }, now: Date): Promise<Identity> {
  const r = await sql.query<Row>(
    `INSERT INTO user_identities (user_id, provider, subject, email, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id, provider) DO UPDATE SET subject = EXCLUDED.subject, email = EXCLUDED.email, created_at = EXCLUDED.created_at
     RETURNING ${columns}`,
    [i.userId, i.provider, i.subject, i.email, now],
  );
  return identityOf(r.rows[0]!);
}

export async function unlinkIdentity(sql: Sql, userId: string, provider: Provider): Promise<boolean> {
  const r = await sql.query(`DELETE FROM user_identities WHERE user_id = $1 AND provider = $2`, [userId, provider]);
  return r.rowCount > 0;
}

/**
 * Unlinks `provider` from the user unless it is their last way to sign in (no password and no other
 * provider). The user's row is locked, so two unlinks at once cannot both remove the last two ways.
 */
export async function unlinkIdentityKeepingSignIn(sql: Sql, userId: string, provider: Provider): Promise<'unlinked' | 'not_linked' | 'last_sign_in_method'> {
  return sql.transaction(async (tx) => {
    const u = await tx.query<{ has_password: boolean }>(`SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    if (!u.rows[0]) return 'not_linked';
    const linked = await tx.query<{ provider: Provider }>(`SELECT provider FROM user_identities WHERE user_id = $1`, [userId]);
    if (!linked.rows.some((r) => r.provider === provider)) return 'not_linked';
    if (!u.rows[0].has_password && linked.rows.length === 1) return 'last_sign_in_method';
    await unlinkIdentity(tx, userId, provider);
    return 'unlinked';
  });
}
