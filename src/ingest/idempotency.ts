import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.js';
import type { Sql } from '../store/sql.js';

/** What a request carrying an Idempotency-Key may do. */
export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in_use' }
  | { kind: 'mismatch' };

export const maxIdempotencyKeyLength = 255;

/**
 * SHA-256 over the route and the request body in canonical JSON: a reused key must come with the
 * same request, and the same body with its object keys in another order (or numbers spelled
 * otherwise, `1.0` for `1`) is the same request.
 */
export function requestFingerprint(route: string, body: unknown): string {
  let text: string;
  try {
    text = canonicalJson(body ?? null);
  } catch {
    // Only a nesting deep enough to overflow the stack gets here (the body came from JSON.parse).
    throw new AppError('validation_failed', 'The request body is nested too deeply');
  }
  return createHash('sha256').update(route).update('\n').update(text).digest('hex');
}

/**
 * JSON with every object's keys sorted (by UTF-16 code units, as RFC 8785), arrays in order, and
 * JSON.stringify's spelling of strings and numbers. For parsed JSON values (no undefined, functions
 * or cycles).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export interface ClaimOptions {
  now: Date;
  ttlMs: number;
  /** A claim still in flight after this long belongs to a request that died; a retry may take it over. */
  abandonAfterMs: number;
}

/**
 * Claims `key` for this request, committed at once so that concurrent retries see it. A key whose
 * reply has expired is claimed anew; otherwise the stored reply, `in_use` or `mismatch` is returned.
 */
export async function claimIdempotencyKey(sql: Sql, orgId: string, key: string, fingerprint: string, opts: ClaimOptions): Promise<IdempotencyClaim> {
  const now = opts.now;
  for (let attempt = 0; attempt < 3; attempt++) {
    const claimed = await sql.query(
      `INSERT INTO idempotency_keys (org_id, key, fingerprint, state, created_at, locked_at, expires_at)
       VALUES ($1, $2, $3, 'in_flight', $4, $4, $5)
       ON CONFLICT (org_id, key) DO UPDATE SET
         fingerprint = EXCLUDED.fingerprint, state = 'in_flight', response_status = NULL, response_body = NULL,
         created_at = EXCLUDED.created_at, locked_at = EXCLUDED.locked_at, expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= $4
          OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.locked_at < $6 AND idempotency_keys.fingerprint = EXCLUDED.fingerprint)
       RETURNING 1`,
      [orgId, key, fingerprint, now, new Date(now.getTime() + opts.ttlMs), new Date(now.getTime() - opts.abandonAfterMs)],
    );
    if (claimed.rowCount > 0) return { kind: 'claimed' };
    const r = await sql.query<{ fingerprint: string; state: string; response_status: number | null; response_body: unknown }>(
      'SELECT fingerprint, state, response_status, response_body FROM idempotency_keys WHERE org_id = $1 AND key = $2',
      [orgId, key],
    );
    const row = r.rows[0];
    if (!row) continue; // released between the two statements: try again
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.state === 'in_flight') return { kind: 'in_use' };
    return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body };
  }
  return { kind: 'in_use' };
}

/** Stores the reply; call inside the transaction that commits the request's data. */
export async function completeIdempotencyKey(tx: Sql, orgId: string, key: string, status: number, body: unknown): Promise<void> {
  await tx.query(`UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4 WHERE org_id = $1 AND key = $2`, [orgId, key, status, JSON.stringify(body)]);
}

/** Gives the key up after a failure, so a retry is processed as new. */
export async function releaseIdempotencyKey(sql: Sql, orgId: string, key: string): Promise<void> {
  await sql.query(`DELETE FROM idempotency_keys WHERE org_id = $1 AND key = $2 AND state = 'in_flight'`, [orgId, key]);
}

/** Deletes the expired keys of `orgId`; returns how many. */
export async function purgeExpiredIdempotencyKeys(sql: Sql, orgId: string, now: Date): Promise<number> {
  return (await sql.query('DELETE FROM idempotency_keys WHERE org_id = $1 AND expires_at <= $2', [orgId, now])).rowCount;
}
