// Single-use tokens sent by email (verify the address, reset the password): only their SHA-256 is
// stored; a token is consumed once, atomically, and says why it cannot be when it cannot.
import type { Sql } from '../store/sql.js';
import { hashToken, isTokenShaped, newToken } from './tokens.js';

export type TokenPurpose = 'verify_email' | 'password_reset';

/** Why a token cannot be used: never issued (or mistyped), already used, or past its expiry. */
export type TokenRefusal = 'invalid_token' | 'token_used' | 'token_expired';

export type TokenLookup = { ok: true; userId: string; expiresAt: Date } | { ok: false; reason: TokenRefusal };

/** Issues a token for `userId`; the raw token goes in the email and is never stored. */
export async function issueUserToken(sql: Sql, userId: string, purpose: TokenPurpose, ttlMs: number, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const { token, hash } = newToken();
  const expiresAt = new Date(now.getTime() + ttlMs);
  await sql.query(`INSERT INTO user_tokens (user_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`, [userId, purpose, hash, now, expiresAt]);
  return { token, expiresAt };
}

async function classify(sql: Sql, hash: string, purpose: TokenPurpose, now: Date): Promise<TokenLookup> {
  const r = await sql.query<{ user_id: string; used_at: Date | null; expires_at: Date }>(`SELECT user_id, used_at, expires_at FROM user_tokens WHERE token_hash = $1 AND purpose = $2`, [hash, purpose]);
  const row = r.rows[0];
  if (!row) return { ok: false, reason: 'invalid_token' };
  if (row.used_at) return { ok: false, reason: 'token_used' };
  if (row.expires_at.getTime() <= now.getTime()) return { ok: false, reason: 'token_expired' };
  return { ok: true, userId: row.user_id, expiresAt: row.expires_at };
}

/** Whether `token` could be consumed now, without consuming it (to check a new password before spending the link). */
export async function peekUserToken(sql: Sql, token: string, purpose: TokenPurpose, now: Date): Promise<TokenLookup> {
  if (!isTokenShaped(token)) return { ok: false, reason: 'invalid_token' };
  return classify(sql, hashToken(token), purpose, now);
}

/**
 * Marks `token` used and returns its user, in one statement: of two requests with the same token,
 * exactly one succeeds. Otherwise says why not.
 */
export async function consumeUserToken(sql: Sql, token: string, purpose: TokenPurpose, now: Date): Promise<TokenLookup> {
  if (!isTokenShaped(token)) return { ok: false, reason: 'invalid_token' };
  const hash = hashToken(token);
  const r = await sql.query<{ user_id: string; expires_at: Date }>(
    `UPDATE user_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id, expires_at`,
    [hash, purpose, now],
  );
  const row = r.rows[0];
  if (row) return { ok: true, userId: row.user_id, expiresAt: row.expires_at };
  const why = await classify(sql, hash, purpose, now);
  // Lost a race between the update and the look-up: the other request used it.
  return why.ok ? { ok: false, reason: 'token_used' } : why;
}

/** Spends every unused token of the user for `purpose` (a reset link dies when the password changes). */
export async function revokeUserTokens(sql: Sql, userId: string, purpose: TokenPurpose, now: Date): Promise<number> {
  const r = await sql.query(`UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, [userId, purpose, now]);
  return r.rowCount;
}

/**
 * Deletes tokens expired more than `graceMs` ago (the maintenance job). The grace keeps a late click
 * answered "expired" or "used" for a while rather than "not valid".
 */
export async function purgeExpiredUserTokens(sql: Sql, now: Date, graceMs = 7 * 86_400_000): Promise<number> {
  const r = await sql.query(`DELETE FROM user_tokens WHERE expires_at <= $1`, [new Date(now.getTime() - graceMs)]);
  return r.rowCount;
}
