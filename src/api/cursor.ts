import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.js';

/**
 * Opaque page cursors: base64url JSON of the position plus a short hash of the query they belong
 * to, so a cursor replayed with another query is refused instead of returning a wrong page.
 */
export function queryHash(query: unknown): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 12);
}

export function encodeCursor(position: Record<string, unknown>, query: unknown): string {
  return Buffer.from(JSON.stringify({ ...position, q: queryHash(query) })).toString('base64url');
}

/** The position in `cursor`, checked by `valid`; 400 invalid_cursor when malformed or from another query. */
export function decodeCursor<T>(cursor: string, query: unknown, valid: (p: Record<string, unknown>) => p is Record<string, unknown> & T): T {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('invalid_cursor', 'The cursor is malformed: pass nextCursor from the previous page unchanged');
  }
  if (!p || typeof p !== 'object' || !valid(p as Record<string, unknown>)) throw new AppError('invalid_cursor', 'The cursor is malformed: pass nextCursor from the previous page unchanged');
  if ((p as { q?: unknown }).q !== queryHash(query)) throw new AppError('invalid_cursor', 'The cursor belongs to a different query: keep the query unchanged while paging');
  return p as T;
}

/** ISO-8601 string or epoch milliseconds (number or digits) → epoch ms, or a 400 naming the field. */
export function timeParam(raw: string | number, field: string): number {
  const ms = typeof raw === 'number' ? raw : /^-?\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  // Years 0001–9999: what both ISO-8601 and PostgreSQL timestamps hold.
  if (!Number.isFinite(ms) || ms < -62_135_596_800_000 || ms > 253_402_300_799_999) {
    throw new AppError('validation_failed', `${field} must be an ISO-8601 time or epoch milliseconds`, [{ field, message: 'must be an ISO-8601 time or epoch milliseconds' }]);
  }
  return Math.round(ms);
}
