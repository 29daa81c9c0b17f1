import assert from 'node:assert/strict';
import { readPoints } from '../../src/metrics/points/read.js';
import type { Sql } from '../../src/store/sql.js';
import { bearer, type TestApp } from './app.js';

export type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;

export const minute = 60_000;
export const hour = 3_600_000;
export const day = 86_400_000;

/** Midnight UTC `days` days ago: a day-aligned time safely in the past. */
export function daysAgo(days: number): number {
  return Math.floor(Date.now() / day) * day - days * day;
}

/** Asserts a `{error: {code, message, details?}}` body with this status and code; returns the error object. */
export function assertError(r: Injected, status: number, code: string): { code: string; message: string; details?: unknown } {
  assert.equal(r.statusCode, status, r.body);
  assert.match(String(r.headers['content-type']), /application\/json/);
  const body = r.json();
  assert.deepEqual(Object.keys(body), ['error'], r.body);
  assert.equal(body.error.code, code, r.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  for (const k of Object.keys(body.error)) assert.ok(['code', 'message', 'details'].includes(k), `unexpected error field ${k}`);
  return body.error;
}

export interface Metric {
  key: unknown;
  value: unknown;
  timestamp: unknown;
  dimensions?: unknown;
}

/** POST /api/v1/ingest with a JSON body (object, or raw text sent as is). */
export function postIngest(t: TestApp, body: unknown, opts: { key?: string; headers?: Record<string, string> } = {}): Promise<Injected> {
  const headers: Record<string, string> = { ...bearer(opts.key ?? t.adminKey), ...opts.headers };
  if (typeof body === 'string') headers['content-type'] ??= 'application/json';
  return t.app.inject({ method: 'POST', url: '/api/v1/ingest', headers, payload: body as string | object });
}

/** Ingests and asserts 200; returns the reply body. */
export async function ingestOk(t: TestApp, metrics: unknown[], opts: { key?: string; headers?: Record<string, string>; source?: string } = {}) {
  const r = await postIngest(t, opts.source ? { metrics, source: opts.source } : { metrics }, opts);
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as { accepted: number; rejected: number; duplicates: number; errors: { index: number; code: string; message: string; field: string }[] };
}

/** POST /api/v1/query. */
export function postQuery(t: TestApp, body: unknown, key = t.adminKey): Promise<Injected> {
  return t.app.inject({ method: 'POST', url: '/api/v1/query', headers: bearer(key), payload: body as object });
}

export interface QueriedSeries {
  key: string;
  dimensions: Record<string, string>;
  points: { timestamp: string; value: number }[];
}

/** Every page of a query, following nextCursor; returns the pages. */
export async function queryAll(t: TestApp, body: Record<string, unknown>, apiKey = t.adminKey, maxPages = 1000): Promise<{ series: QueriedSeries[]; nextCursor: string | null }[]> {
  const pages = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const r = await postQuery(t, cursor ? { ...body, cursor } : body, apiKey);
    assert.equal(r.statusCode, 200, r.body);
    const page = r.json() as { series: QueriedSeries[]; nextCursor: string | null };
    pages.push(page);
    if (!page.nextCursor) return pages;
    cursor = page.nextCursor;
  }
  assert.fail(`more than ${maxPages} pages`);
}

/**
 * Stored points of one org (optionally of one key), by key then time then dimensions, read through
 * the store's reader (hot rows and chunks merged), so compacted points count as well.
 */
export async function storedPoints(sql: Sql, orgId: string, key?: string): Promise<{ key: string; dimensions: Record<string, string>; ts: number; value: number }[]> {
  // The database orders keys and dimensions (its collation, jsonb's text form), as the ORDER BY did before.
  const r = await sql.query<{ id: string; key: string; dimensions: Record<string, string>; kr: number; dr: number }>(
    `SELECT id, key, dimensions, dense_rank() OVER (ORDER BY key)::int AS kr, dense_rank() OVER (ORDER BY dimensions::text)::int AS dr
     FROM series WHERE org_id = $1 AND ($2::text IS NULL OR key = $2)`,
    [orgId, key ?? null],
  );
  const points = await readPoints(sql, orgId, r.rows.map((x) => Number(x.id)), {});
  const out: { key: string; dimensions: Record<string, string>; ts: number; value: number; kr: number; dr: number }[] = [];
  for (const s of r.rows) {
    const p = points.get(Number(s.id));
    if (!p) continue;
    for (let i = 0; i < p.timestampsMs.length; i++) out.push({ key: s.key, dimensions: s.dimensions, ts: p.timestampsMs[i]!, value: p.values[i]!, kr: s.kr, dr: s.dr });
  }
  out.sort((a, b) => a.kr - b.kr || a.ts - b.ts || a.dr - b.dr);
  return out.map(({ key: k, dimensions, ts, value }) => ({ key: k, dimensions, ts, value }));
}

/** Rows of `table` belonging to `orgId`; for `points`, the org's stored points (hot rows and chunked ones). */
export async function countRows(sql: Sql, table: 'points' | 'series' | 'dead_letters' | 'idempotency_keys', orgId: string): Promise<number> {
  if (table === 'points') {
    const ids = await sql.query<{ id: string }>('SELECT id FROM series WHERE org_id = $1', [orgId]);
    const points = await readPoints(sql, orgId, ids.rows.map((x) => Number(x.id)), {});
    let n = 0;
    for (const p of points.values()) n += p.timestampsMs.length;
    return n;
  }
  const r = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE org_id = $1`, [orgId]);
  return r.rows[0]!.n;
}
