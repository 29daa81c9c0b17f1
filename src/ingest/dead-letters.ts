import type { Sql } from '../store/sql.js';
import type { ItemError } from './validate.js';

export interface DeadLetter {
  id: string;
  source: string;
  /** The configured source the item came through (null: none, or since deleted). */
  sourceId: string | null;
  requestId: string | null;
  raw: unknown;
  errorCode: string;
  errorMessage: string;
  errorField: string | null;
  attempts: number;
  receivedAt: Date;
  updatedAt: Date;
}

export interface NewDeadLetter {
  source: string;
  /** The configured source the item came through; null or absent: none. */
  sourceId?: string | null;
  requestId: string | null;
  raw: unknown;
  error: Pick<ItemError, 'code' | 'message' | 'field'>;
}

interface Row {
  id: string;
  source: string;
  source_id: string | null;
  request_id: string | null;
  raw: unknown;
  error_code: string;
  error_message: string;
  error_field: string | null;
  attempts: number;
  received_at: Date;
  updated_at: Date;
}

const columns = 'id, source, source_id, request_id, raw, error_code, error_message, error_field, attempts, received_at, updated_at';

function toDeadLetter(r: Row): DeadLetter {
  return {
    id: r.id,
    source: r.source,
    sourceId: r.source_id,
    requestId: r.request_id,
    raw: r.raw,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    errorField: r.error_field,
    attempts: r.attempts,
    receivedAt: r.received_at,
    updatedAt: r.updated_at,
  };
}

/** Deeper parts of a raw item are not kept: a hostile nesting would overflow the stack here and in PostgreSQL. */
const maxRawDepth = 64;

/** jsonb refuses U+0000: keep the raw item, with NULs made visible as U+FFFD. */
function storable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replace(/\u0000/g, '\ufffd') : value;
  if (value && typeof value === 'object' && depth >= maxRawDepth) return `[nested deeper than ${maxRawDepth} levels: not kept]`;
  if (Array.isArray(value)) return value.map((v) => storable(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storable(k) as string] = storable(v, depth + 1);
    return out;
  }
  return value === undefined ? null : value;
}

/** Queues rejected items of `orgId` in one statement. */
export async function insertDeadLetters(sql: Sql, orgId: string, items: NewDeadLetter[], receivedAt: Date): Promise<void> {
  if (!items.length) return;
  const rows = items.map((i) => ({ source: i.source, source_id: i.sourceId ?? null, request_id: i.requestId, raw: storable(i.raw), error_code: i.error.code, error_message: i.error.message, error_field: i.error.field }));
  await sql.query(
    `INSERT INTO dead_letters (org_id, source, source_id, request_id, raw, error_code, error_message, error_field, received_at, updated_at)
     SELECT $1, source, source_id, request_id, raw, error_code, error_message, error_field, $3, $3
     FROM jsonb_to_recordset($2::jsonb) AS t(source text, source_id uuid, request_id text, raw jsonb, error_code text, error_message text, error_field text)`,
    [orgId, JSON.stringify(rows), receivedAt],
  );
}

export interface DeadLetterFilter {
  code?: string;
  source?: string;
  /** Only items that came through this configured source. */
  sourceId?: string;
  from?: Date;
  to?: Date;
  /** Continue after this (receivedAt, id), newest first. */
  after?: { receivedAt: Date; id: string };
  limit: number;
}

/** Newest first; returns one page and whether more follow. */
export async function listDeadLetters(sql: Sql, orgId: string, f: DeadLetterFilter): Promise<{ items: DeadLetter[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM dead_letters
     WHERE org_id = $1
       AND ($2::text IS NULL OR error_code = $2)
       AND ($3::text IS NULL OR source = $3)
       AND ($4::timestamptz IS NULL OR received_at >= $4)
       AND ($5::timestamptz IS NULL OR received_at <= $5)
       AND ($6::timestamptz IS NULL OR (received_at, id) < ($6, $7::uuid))
       AND ($9::uuid IS NULL OR source_id = $9)
     ORDER BY received_at DESC, id DESC
     LIMIT $8`,
    [orgId, f.code ?? null, f.source ?? null, f.from ?? null, f.to ?? null, f.after?.receivedAt ?? null, f.after?.id ?? null, f.limit + 1, f.sourceId ?? null],
  );
  return { items: r.rows.slice(0, f.limit).map(toDeadLetter), more: r.rows.length > f.limit };
}

/** The given dead letters of `orgId`, locked until the end of the caller's transaction (if any). */
export async function getDeadLetters(sql: Sql, orgId: string, ids: string[]): Promise<DeadLetter[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM dead_letters WHERE org_id = $1 AND id = ANY($2::uuid[]) FOR UPDATE`, [orgId, ids]);
  return r.rows.map(toDeadLetter);
}

export async function deleteDeadLetters(sql: Sql, orgId: string, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  return (await sql.query('DELETE FROM dead_letters WHERE org_id = $1 AND id = ANY($2::uuid[])', [orgId, ids])).rowCount;
}

/** Records a failed reprocessing attempt: the item (possibly corrected) and its new error. */
export async function recordDeadLetterFailure(sql: Sql, orgId: string, id: string, raw: unknown, error: NewDeadLetter['error'], now: Date): Promise<void> {
  await sql.query(
    `UPDATE dead_letters SET raw = $3, error_code = $4, error_message = $5, error_field = $6, attempts = attempts + 1, updated_at = $7
     WHERE org_id = $1 AND id = $2`,
    [orgId, id, JSON.stringify(storable(raw)), error.code, error.message, error.field, now],
  );
}

/** Deletes the dead letters of `orgId` received before `cutoff`; returns how many. */
export async function purgeDeadLetters(sql: Sql, orgId: string, cutoff: Date): Promise<number> {
  return (await sql.query('DELETE FROM dead_letters WHERE org_id = $1 AND received_at < $2', [orgId, cutoff])).rowCount;
}
