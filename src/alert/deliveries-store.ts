// Notification deliveries (one event of one alert to one channel) and their attempts: storage,
// scoped by org in every query. An attempt keeps the receiver's status and a classification, never
// its answer (migration 0007 removed the column that held it).
//
// pending ──claim──▶ delivering ──ok──▶ delivered
//    ▲                  │ failed, retries left: back to pending at next_attempt_at
//    │                  │ failed for good (not retryable, or max_attempts reached)
//    └──retry by hand── dead
//
// A claim leases the row (lease_until); a worker that dies mid-delivery loses its lease and the row
// is claimed again, so a delivery is at least once, never lost.
import type { AlertEvent, AlertNotification } from '../notify/notifier.js';
import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'dead';

/** The payload stored with a delivery: the notification without its per-delivery id. */
export type StoredPayload = Omit<AlertNotification, 'deliveryId'>;

export interface Delivery {
  id: string;
  orgId: string;
  alertId: string | null;
  channelId: string;
  event: AlertEvent;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: Date;
  leaseUntil: Date | null;
  lastError: string | null;
  payload: StoredPayload;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

export interface Attempt {
  id: number;
  deliveryId: string;
  attempt: number;
  at: Date;
  ok: boolean;
  status: number | null;
  /** What happened in a word (http_4xx, timeout, refused_by_outbound_guard, …); see DeliveryClassification. */
  classification: string;
  retryable: boolean;
  error: string | null;
  durationMs: number;
}

/** The delivery table, in reply order. */
export const deliveryEntity = defineEntity<Delivery>()('notification_deliveries', {
  id: 'uuid', orgId: 'uuid', alertId: 'uuid?', channelId: 'uuid', event: 'text', status: 'text', attempts: 'int', maxAttempts: 'int', nextAttemptAt: 'timestamptz',
  leaseUntil: 'timestamptz?', lastError: 'text?', payload: 'jsonb', createdAt: 'timestamptz', updatedAt: 'timestamptz', deliveredAt: 'timestamptz?',
});

/** The attempt table, in reply order. */
export const attemptEntity = defineEntity<Attempt>()('notification_attempts', {
  id: 'serial', deliveryId: 'uuid', attempt: 'int', at: 'timestamptz', ok: 'bool', status: 'int?', retryable: 'bool', error: 'text?', classification: 'text', durationMs: 'float',
});

const columns = deliveryEntity.columns;
const deliveryOf = (r: Row): Delivery => fromRow(deliveryEntity, r);
const attemptOf = (r: Row): Attempt => fromRow(attemptEntity, r);

export interface NewDelivery {
  alertId: string | null;
  channelId: string;
  event: AlertEvent;
  payload: StoredPayload;
  maxAttempts: number;
}

/** Queues deliveries of `orgId` in one statement, due at `now`; returns their ids in order. */
export async function enqueueDeliveries(sql: Sql, orgId: string, items: NewDelivery[], now: Date, status: 'pending' | 'delivering' = 'pending'): Promise<string[]> {
  if (!items.length) return [];
  const r = await sql.query<{ id: string; n: number }>(
    `INSERT INTO notification_deliveries (org_id, alert_id, channel_id, event, status, max_attempts, next_attempt_at, payload, created_at, updated_at)
     SELECT $1, i.alert_id, i.channel_id, i.event, $4, i.max_attempts, $3, i.payload, $3, $3
     FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (alert_id uuid, channel_id uuid, event text, max_attempts integer, payload jsonb))
       WITH ORDINALITY AS i(alert_id, channel_id, event, max_attempts, payload, n)
     ORDER BY i.n
     RETURNING id`,
    [orgId, JSON.stringify(items.map((d) => ({ alert_id: d.alertId, channel_id: d.channelId, event: d.event, max_attempts: d.maxAttempts, payload: d.payload }))), now, status],
  );
  return r.rows.map((x) => x.id);
}

/**
 * Claims up to `limit` deliveries of `orgId` that are due (pending and next_attempt_at ≤ now, or
 * delivering with an expired lease): they become `delivering` until now + leaseMs. Rows another
 * worker holds are skipped.
 */
export async function claimDueDeliveries(sql: Sql, orgId: string, now: Date, limit: number, leaseMs: number): Promise<Delivery[]> {
  const r = await sql.query<Row>(
    `UPDATE notification_deliveries SET status = 'delivering', lease_until = $3, updated_at = $2
     WHERE id IN (
       SELECT id FROM notification_deliveries
       WHERE org_id = $1 AND ((status = 'pending' AND next_attempt_at <= $2) OR (status = 'delivering' AND lease_until < $2))
       ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
     RETURNING ${columns}`,
    [orgId, now, new Date(now.getTime() + leaseMs), limit],
  );
  return r.rows.map(deliveryOf).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime());
}

/** Orgs with deliveries due at `now` (the delivery job visits only those). */
export async function orgsWithDueDeliveries(sql: Sql, orgIds: readonly string[], now: Date): Promise<string[]> {
  if (!orgIds.length) return [];
  const r = await sql.query<{ org_id: string }>(
    `SELECT DISTINCT org_id FROM notification_deliveries
     WHERE org_id = ANY($1::uuid[]) AND ((status = 'pending' AND next_attempt_at <= $2) OR (status = 'delivering' AND lease_until < $2))`,
    [orgIds, now],
  );
  return r.rows.map((x) => x.org_id);
}

/** Records one attempt and bumps the delivery's attempt count; returns the attempt number. */
export async function recordAttempt(
  sql: Sql,
  orgId: string,
  deliveryId: string,
  a: { at: Date; ok: boolean; status?: number; classification: string; retryable: boolean; error?: string; durationMs: number },
): Promise<number> {
  const r = await sql.query<{ attempts: number }>(
    `WITH d AS (UPDATE notification_deliveries SET attempts = attempts + 1, last_error = $4, updated_at = $3 WHERE org_id = $1 AND id = $2 RETURNING attempts)
     INSERT INTO notification_attempts (org_id, delivery_id, attempt, at, ok, status, retryable, error, classification, duration_ms)
     SELECT $1, $2, d.attempts, $3, $5, $6, $7, $4, $8, $9 FROM d RETURNING attempt AS attempts`,
    [orgId, deliveryId, a.at, a.ok ? null : (a.error ?? 'failed').slice(0, 2000), a.ok, a.status ?? null, a.retryable, a.classification, a.durationMs],
  );
  return r.rows[0]?.attempts ?? 0;
}

/** Ends a claimed delivery: delivered, dead, or pending again at `nextAttemptAt`. */
export async function finishDelivery(sql: Sql, orgId: string, id: string, outcome: { status: 'delivered' | 'dead' | 'pending'; nextAttemptAt?: Date; error?: string | null }, now: Date): Promise<void> {
  await sql.query(
    `UPDATE notification_deliveries SET status = $3, lease_until = NULL, next_attempt_at = coalesce($4, next_attempt_at),
       last_error = CASE WHEN $3 = 'delivered' THEN NULL ELSE coalesce($5, last_error) END,
       delivered_at = CASE WHEN $3 = 'delivered' THEN $6::timestamptz ELSE delivered_at END, updated_at = $6
     WHERE org_id = $1 AND id = $2`,
    [orgId, id, outcome.status, outcome.nextAttemptAt ?? null, outcome.error ?? null, now],
  );
}

export async function getDelivery(sql: Sql, orgId: string, id: string): Promise<Delivery | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM notification_deliveries WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && deliveryOf(r.rows[0]);
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  alertId?: string;
  channelId?: string;
  event?: AlertEvent;
  limit: number;
  /** Continue after this (created_at, id), newest first. */
  after?: { createdAtMs: number; id: string };
}

/** Deliveries of `orgId`, newest first. */
export async function listDeliveries(sql: Sql, orgId: string, q: DeliveryFilter): Promise<{ items: Delivery[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM notification_deliveries
     WHERE org_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR alert_id = $3) AND ($4::uuid IS NULL OR channel_id = $4)
       AND ($5::text IS NULL OR event = $5)
       AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $8`,
    [orgId, q.status ?? null, q.alertId ?? null, q.channelId ?? null, q.event ?? null, q.after ? new Date(q.after.createdAtMs) : null, q.after?.id ?? null, q.limit + 1],
  );
  return { items: r.rows.slice(0, q.limit).map(deliveryOf), more: r.rows.length > q.limit };
}

/**
 * The channels told of these alerts' firing, by alert id: follow-ups (acknowledged, resolved) go to
 * them too. On a grouped channel, an alert is known to it while it is in one of its groups.
 */
export async function channelsToldOf(sql: Sql, orgId: string, alertIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!alertIds.length) return out;
  const r = await sql.query<{ alert_id: string; channel_id: string }>(
    `SELECT alert_id, channel_id FROM notification_deliveries WHERE org_id = $1 AND alert_id = ANY($2::uuid[]) AND event = 'firing'
     UNION
     SELECT a.alert_id, g.channel_id FROM notification_group_alerts a JOIN notification_groups g ON g.org_id = a.org_id AND g.id = a.group_id
     WHERE a.org_id = $1 AND a.alert_id = ANY($2::uuid[])`,
    [orgId, alertIds],
  );
  for (const x of r.rows) out.set(x.alert_id, [...(out.get(x.alert_id) ?? []), x.channel_id]);
  return out;
}

/** Deliveries of one alert, oldest first. */
export async function deliveriesOfAlert(sql: Sql, orgId: string, alertId: string): Promise<Delivery[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM notification_deliveries WHERE org_id = $1 AND alert_id = $2 ORDER BY created_at, id`, [orgId, alertId]);
  return r.rows.map(deliveryOf);
}

/** Attempts of deliveries of `orgId`, oldest first, grouped by delivery id. */
export async function attemptsOf(sql: Sql, orgId: string, deliveryIds: readonly string[]): Promise<Map<string, Attempt[]>> {
  const out = new Map<string, Attempt[]>();
  if (!deliveryIds.length) return out;
  const r = await sql.query<Row>(
    `SELECT ${attemptEntity.columns} FROM notification_attempts
     WHERE org_id = $1 AND delivery_id = ANY($2::uuid[]) ORDER BY delivery_id, id`,
    [orgId, deliveryIds],
  );
  for (const row of r.rows) {
    const a = attemptOf(row);
    const list = out.get(a.deliveryId) ?? [];
    list.push(a);
    out.set(a.deliveryId, list);
  }
  return out;
}

/**
 * A dead delivery goes back to pending, due now, with `extraAttempts` more attempts (its attempt
 * history stays and numbering continues). Undefined when missing; 'not_dead' when it is not dead.
 */
export async function retryDeadDelivery(sql: Sql, orgId: string, id: string, extraAttempts: number, now: Date): Promise<Delivery | undefined | 'not_dead'> {
  const r = await sql.query<Row>(
    `UPDATE notification_deliveries SET status = 'pending', max_attempts = attempts + $3, next_attempt_at = $4, lease_until = NULL, updated_at = $4
     WHERE org_id = $1 AND id = $2 AND status = 'dead' RETURNING ${columns}`,
    [orgId, id, extraAttempts, now],
  );
  if (r.rows[0]) return deliveryOf(r.rows[0]);
  return (await getDelivery(sql, orgId, id)) ? 'not_dead' : undefined;
}

/** Retention: deletes channel-test deliveries (no alert) created before `cutoff`, and their attempts. */
export async function purgeTestDeliveries(sql: Sql, orgId: string, cutoff: Date): Promise<number> {
  return (await sql.query(`DELETE FROM notification_deliveries WHERE org_id = $1 AND alert_id IS NULL AND status IN ('delivered', 'dead') AND created_at < $2`, [orgId, cutoff])).rowCount;
}
