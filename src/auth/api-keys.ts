import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../store/sql.js';
import type { Scope } from './scopes.js';

/** `iv_` + base64url of 24 random bytes (32 characters). */
export const apiKeyPattern = /^iv_[A-Za-z0-9_-]{32}$/;
const prefixLength = 11; // "iv_" + 8 characters: enough to tell keys apart, useless for guessing

export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  rateLimit: { max: number; windowSeconds: number } | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  /** The user who created the key; null for keys created by keys, the CLI or first start. */
  createdBy: string | null;
  /** The source everything this key ingests goes through; null: unbound (it may name one per request). */
  sourceId: string | null;
}

export interface NewApiKey {
  name: string;
  scopes: Scope[];
  createdBy?: string | null;
  expiresAt?: Date | null;
  rateLimit?: { max: number; windowSeconds: number } | null;
  sourceId?: string | null;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateApiKey(): { secret: string; hash: string; prefix: string } {
  const secret = `iv_${randomBytes(24).toString('base64url')}`;
  return { secret, hash: hashApiKey(secret), prefix: secret.slice(0, prefixLength) };
}

interface Row {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  rate_limit_max: number | null;
  rate_limit_window_seconds: number | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_by: string | null;
  source_id: string | null;
}

const columns = 'id, org_id, name, prefix, scopes, rate_limit_max, rate_limit_window_seconds, created_at, expires_at, revoked_at, last_used_at, created_by, source_id';

function toKey(r: Row): ApiKey {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    rateLimit: r.rate_limit_max !== null && r.rate_limit_window_seconds !== null ? { max: r.rate_limit_max, windowSeconds: r.rate_limit_window_seconds } : null,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    createdBy: r.created_by,
    sourceId: r.source_id,
  };
}

/** Creates a key for `orgId`; the secret is returned here once and never stored. */
export async function createApiKey(sql: Sql, orgId: string, input: NewApiKey): Promise<{ key: ApiKey; secret: string }> {
  const { secret, hash, prefix } = generateApiKey();
  const r = await sql.query<Row>(
    `INSERT INTO api_keys (org_id, name, key_hash, prefix, scopes, expires_at, rate_limit_max, rate_limit_window_seconds, created_by, source_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${columns}`,
    [orgId, input.name, hash, prefix, input.scopes, input.expiresAt ?? null, input.rateLimit?.max ?? null, input.rateLimit?.windowSeconds ?? null, input.createdBy ?? null, input.sourceId ?? null],
  );
  return { key: toKey(r.rows[0]!), secret };
}

export async function listApiKeys(sql: Sql, orgId: string): Promise<ApiKey[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM api_keys WHERE org_id = $1 ORDER BY created_at, id`, [orgId]);
  return r.rows.map(toKey);
}

export async function getApiKey(sql: Sql, orgId: string, id: string): Promise<ApiKey | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM api_keys WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && toKey(r.rows[0]);
}

/**
 * The key with this secret, of whichever organisation: the one lookup not scoped by org, because
 * it is how a request learns its org. Matches on the SHA-256 hash only.
 */
export async function findApiKeyBySecret(sql: Sql, secret: string): Promise<ApiKey | undefined> {
  return findApiKeyByHash(sql, hashApiKey(secret));
}

/** The key whose secret hashes to `keyHash` ({@link hashApiKey}), for callers that hashed it already. */
export async function findApiKeyByHash(sql: Sql, keyHash: string): Promise<ApiKey | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM api_keys WHERE key_hash = $1`, [keyHash], { prepare: 'auth-api-key-by-hash' });
  return r.rows[0] && toKey(r.rows[0]);
}

/** Revokes a key (idempotent: a revoked key keeps its first revocation time). */
export async function revokeApiKey(sql: Sql, orgId: string, id: string, now: Date): Promise<ApiKey | undefined> {
  const r = await sql.query<Row>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE org_id = $1 AND id = $2 RETURNING ${columns}`,
    [orgId, id, now],
  );
  return r.rows[0] && toKey(r.rows[0]);
}

/**
 * Records use of a key, at most once a minute: the row is only written when the stored time is
 * older than that, so many processes and requests cost one write a minute per key.
 */
export async function touchApiKey(sql: Sql, orgId: string, id: string, now: Date): Promise<boolean> {
  const r = await sql.query(
    `UPDATE api_keys SET last_used_at = $3
     WHERE org_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < $3::timestamptz - interval '1 minute')`,
    [orgId, id, now],
  );
  return r.rowCount > 0;
}

/** Deletes keys of `orgId` revoked or expired before `cutoff`; returns how many. */
export async function purgeDeadApiKeys(sql: Sql, orgId: string, cutoff: Date): Promise<number> {
  const r = await sql.query(
    'DELETE FROM api_keys WHERE org_id = $1 AND (revoked_at < $2 OR expires_at < $2)',
    [orgId, cutoff],
  );
  return r.rowCount;
}
