// Silences: storage, scoped by org in every query. Matching is ./silence.ts's.
import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import type { ActorRef } from './lifecycle.js';
import type { Matcher, SilenceWindow } from './silence.js';

export interface StoredSilence extends SilenceWindow {
  id: string;
  orgId: string;
  matchers: Matcher[];
  comment: string;
  createdBy: ActorRef;
  createdAt: Date;
}

export type SilenceStatus = 'pending' | 'active' | 'expired';

/** pending before startsAt, active in [startsAt, endsAt), expired from endsAt. */
export function silenceStatus(s: Pick<SilenceWindow, 'startsAtMs' | 'endsAtMs'>, nowMs: number): SilenceStatus {
  return nowMs < s.startsAtMs ? 'pending' : nowMs < s.endsAtMs ? 'active' : 'expired';
}

/** The silence table (its window in epoch ms, as matching works in). */
export const silenceEntity = defineEntity<StoredSilence>()('silences', {
  id: 'uuid', orgId: 'uuid', matchers: 'jsonb', startsAtMs: { kind: 'timestamptz_ms', column: 'starts_at' }, endsAtMs: { kind: 'timestamptz_ms', column: 'ends_at' },
  comment: 'text', createdBy: 'jsonb', createdAt: 'timestamptz',
});

const columns = silenceEntity.columns;
const silenceOf = (r: Row): StoredSilence => fromRow(silenceEntity, r);

export async function createSilence(sql: Sql, orgId: string, s: { matchers: Matcher[]; startsAtMs: number; endsAtMs: number; comment: string; createdBy: ActorRef }, now: Date): Promise<StoredSilence> {
  const r = await sql.query<Row>(`INSERT INTO silences (org_id, matchers, starts_at, ends_at, comment, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`, [
    orgId,
    JSON.stringify(s.matchers),
    new Date(s.startsAtMs),
    new Date(s.endsAtMs),
    s.comment,
    JSON.stringify(s.createdBy),
    now,
  ]);
  return silenceOf(r.rows[0]!);
}

export async function getSilence(sql: Sql, orgId: string, id: string): Promise<StoredSilence | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM silences WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && silenceOf(r.rows[0]);
}

/** Silences of `orgId` not yet ended at `now` (active or pending): what a pass matches against. */
export async function currentSilences(sql: Sql, orgId: string, now: Date): Promise<StoredSilence[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM silences WHERE org_id = $1 AND ends_at > $2 ORDER BY starts_at, id`, [orgId, now]);
  return r.rows.map(silenceOf);
}

/** Silences of `orgId`, newest first, optionally in one status at `now`. */
export async function listSilences(sql: Sql, orgId: string, q: { status?: SilenceStatus; now: Date; limit: number; after?: { createdAtMs: number; id: string } }): Promise<{ items: StoredSilence[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM silences
     WHERE org_id = $1
       AND ($2::text IS NULL OR ($2 = 'pending' AND starts_at > $3) OR ($2 = 'active' AND starts_at <= $3 AND ends_at > $3) OR ($2 = 'expired' AND ends_at <= $3))
       AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $6`,
    [orgId, q.status ?? null, q.now, q.after ? new Date(q.after.createdAtMs) : null, q.after?.id ?? null, q.limit + 1],
  );
  return { items: r.rows.slice(0, q.limit).map(silenceOf), more: r.rows.length > q.limit };
}

/** Deletes a silence: the alerts it suppressed come back at their rule's next pass. */
/**
 * Ends a silence now, as Alertmanager expires one: it stays listed as expired (and is purged with the
 * others after the retention). A pending one ends before it began (starts moved to just before now);
 * an expired one is returned unchanged. Undefined when the org has no such silence.
 */
export async function expireSilence(sql: Sql, orgId: string, id: string, now: Date): Promise<StoredSilence | undefined> {
  const r = await sql.query<Row>(
    `UPDATE silences SET starts_at = LEAST(starts_at, $3::timestamptz - interval '1 millisecond'),
            ends_at = CASE WHEN ends_at > $3 THEN $3 ELSE ends_at END
      WHERE org_id = $1 AND id = $2 RETURNING ${columns}`,
    [orgId, id, now],
  );
  return r.rows[0] && silenceOf(r.rows[0]);
}

export async function deleteSilence(sql: Sql, orgId: string, id: string): Promise<boolean> {
  const r = await sql.query('DELETE FROM silences WHERE org_id = $1 AND id = $2', [orgId, id]);
  return r.rowCount > 0;
}

/** Retention: deletes silences that ended before `cutoff`. */
export async function purgeEndedSilences(sql: Sql, orgId: string, cutoff: Date): Promise<number> {
  return (await sql.query('DELETE FROM silences WHERE org_id = $1 AND ends_at < $2', [orgId, cutoff])).rowCount;
}
