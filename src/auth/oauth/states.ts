// OAuth authorization requests in flight (oauth_states): the state's hash → the PKCE verifier, the
// user being linked and where to return. A state is taken (deleted) by the one callback that uses
// it, so a replayed callback finds nothing.
import type { Sql } from '../../store/sql.js';
import type { Provider } from '../identities.js';

/** How long a sign-in may take between start and callback. */
export const oauthStateTtlMs = 10 * 60_000;

export interface OAuthState {
  provider: Provider;
  codeVerifier: string;
  /** Set in linking mode: the signed-in user the provider account is linked to. */
  linkUserId: string | null;
  /** A relative path to return to after the callback. */
  returnTo: string | null;
  expiresAt: Date;
}

interface Row {
  provider: Provider;
  code_verifier: string;
  link_user_id: string | null;
  return_to: string | null;
  expires_at: Date;
}

/** Stores a new state (by hash) for {@link oauthStateTtlMs}. */
export async function saveOAuthState(sql: Sql, stateHash: string, s: Omit<OAuthState, 'expiresAt'>, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO oauth_states (state_hash, provider, code_verifier, link_user_id, return_to, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [stateHash, s.provider, s.codeVerifier, s.linkUserId, s.returnTo, now, new Date(now.getTime() + oauthStateTtlMs)],
  );
}

/** Takes the state with this hash: deleted whatever it holds; undefined when none exists or it expired. */
export async function takeOAuthState(sql: Sql, stateHash: string, now: Date): Promise<OAuthState | undefined> {
  const r = await sql.query<Row>(`DELETE FROM oauth_states WHERE state_hash = $1 RETURNING provider, code_verifier, link_user_id, return_to, expires_at`, [stateHash]);
  const row = r.rows[0];
  if (!row || row.expires_at.getTime() <= now.getTime()) return undefined;
  return { provider: row.provider, codeVerifier: row.code_verifier, linkUserId: row.link_user_id, returnTo: row.return_to, expiresAt: row.expires_at };
}

/** Deletes abandoned sign-ins (their callback never came). */
export async function purgeExpiredOAuthStates(sql: Sql, now: Date): Promise<number> {
  const r = await sql.query(`DELETE FROM oauth_states WHERE expires_at <= $1`, [now]);
  return r.rowCount;
}
