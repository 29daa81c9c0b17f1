// Alert instances and their transitions: storage, scoped by org in every query.
import type { Labels } from '../core/labels.js';
import type { AlertSeverity } from '../notify/notifier.js';
import type { NotifiedEvent } from './dedup.js';
import { defineEntity, fromRow, keysExcept, recordset, type Row, type WritableOf } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import type { Actor, AlertState } from './lifecycle.js';

export type { Actor, AlertState };

export interface StoredAlert {
  id: string;
  orgId: string;
  ruleId: string | null;
  ruleName: string;
  ruleKind: string;
  seriesId: string | null;
  key: string;
  dimensions: Labels;
  fingerprint: string;
  state: AlertState;
  severity: AlertSeverity;
  labels: Labels;
  annotations: Record<string, string>;
  value: number | null;
  summary: string;
  details: Record<string, unknown>;
  anomalyId: string | null;
  startedAt: Date;
  /** When the condition first fired (even while silenced); null while only pending. */
  firedAt: Date | null;
  endedAt: Date | null;
  /** The silence keeping it suppressed. */
  silenceId: string | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: Actor | null;
  resolvedBy: Actor | null;
  notificationCount: number;
  lastNotifiedAt: Date | null;
  lastEvent: NotifiedEvent | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredTransition {
  id: number;
  alertId: string;
  at: Date;
  from: AlertState | null;
  to: AlertState;
  actor: Actor;
  value: number | null;
}

/** The alert table: reply order; `writable` marks what a pass or an action may change. */
export const alertEntity = defineEntity<StoredAlert>()('alerts', {
  id: 'uuid', orgId: 'uuid', ruleId: 'uuid?', ruleName: { kind: 'text', writable: true }, ruleKind: 'text', fingerprint: 'text',
  state: { kind: 'text', writable: true }, severity: { kind: 'text', writable: true }, key: 'text', seriesId: 'bigint?', dimensions: 'jsonb',
  labels: { kind: 'jsonb', writable: true }, annotations: { kind: 'jsonb', writable: true }, value: { kind: 'float?', writable: true },
  summary: { kind: 'text', writable: true }, details: { kind: 'jsonb', writable: true }, anomalyId: { kind: 'uuid?', writable: true },
  silenceId: { kind: 'uuid?', writable: true }, startedAt: 'timestamptz', firedAt: { kind: 'timestamptz?', writable: true },
  endedAt: { kind: 'timestamptz?', writable: true }, acknowledgedAt: { kind: 'timestamptz?', writable: true }, acknowledgedBy: { kind: 'jsonb?', writable: true },
  resolvedBy: { kind: 'jsonb?', writable: true }, notificationCount: { kind: 'int', writable: true }, lastNotifiedAt: { kind: 'timestamptz?', writable: true },
  lastEvent: { kind: 'text?', writable: true }, createdAt: 'timestamptz', updatedAt: 'timestamptz',
});

const columns = alertEntity.columns;
const alertOf = (r: Row): StoredAlert => fromRow(alertEntity, r);

export type NewAlert = Omit<StoredAlert, 'id' | 'orgId' | 'createdAt' | 'updatedAt'>;

/** Everything an alert row holds that a pass or an action may change. */
export type AlertChange = Pick<StoredAlert, WritableOf<typeof alertEntity>>;

const inserted = recordset(alertEntity, keysExcept(alertEntity, ['id', 'orgId', 'createdAt', 'updatedAt']));
const changed = recordset(alertEntity, alertEntity.writable);

/** Inserts new alerts of `orgId` in one statement; returns them (with ids) in order. */
export async function insertAlerts(sql: Sql, orgId: string, items: NewAlert[], now: Date): Promise<StoredAlert[]> {
  if (!items.length) return [];
  const r = await sql.query<Row>(
    `INSERT INTO alerts (org_id, ${inserted.columns}, created_at, updated_at)
     SELECT $1, ${inserted.values}, $3, $3 FROM jsonb_to_recordset($2::jsonb) AS i(${inserted.types})
     RETURNING ${columns}`,
    [orgId, inserted.json(items), now],
  );
  const byFingerprint = new Map(r.rows.map(alertOf).map((x) => [`${x.fingerprint}\u0000${x.startedAt.getTime()}`, x]));
  return items.map((a) => byFingerprint.get(`${a.fingerprint}\u0000${a.startedAt.getTime()}`)!);
}

/** Applies changes to alerts of `orgId` in one statement. */
export async function updateAlerts(sql: Sql, orgId: string, changes: { id: string; change: AlertChange }[], now: Date): Promise<void> {
  if (!changes.length) return;
  await sql.query(
    `UPDATE alerts a SET ${changed.sets}, updated_at = $3
     FROM jsonb_to_recordset($2::jsonb) AS i(id uuid, ${changed.types})
     WHERE a.org_id = $1 AND a.id = i.id`,
    [orgId, changed.json(changes.map((c) => c.change), (i) => ({ id: changes[i]!.id })), now],
  );
}

/** Records transitions of alerts of `orgId` in one statement. */
export async function insertTransitions(sql: Sql, orgId: string, items: Omit<StoredTransition, 'id'>[]): Promise<void> {
  if (!items.length) return;
  await sql.query(
    `INSERT INTO alert_transitions (org_id, alert_id, at, from_state, to_state, actor_kind, actor_id, comment, value)
     SELECT $1, i.alert_id, i.at, i.from_state, i.to_state, i.actor_kind, i.actor_id, i.comment, i.value
     FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (alert_id uuid, at timestamptz, from_state text, to_state text, actor_kind text, actor_id text, comment text, value float8))
       WITH ORDINALITY AS i(alert_id, at, from_state, to_state, actor_kind, actor_id, comment, value, n)
     ORDER BY i.n`,
    [
      orgId,
      JSON.stringify(
        items.map((t) => ({
          alert_id: t.alertId,
          at: t.at.toISOString(),
          from_state: t.from,
          to_state: t.to,
          actor_kind: t.actor.kind,
          actor_id: t.actor.id,
          comment: t.actor.comment,
          value: Number.isFinite(t.value) ? t.value : null,
        })),
      ),
    ],
  );
}

/** The open (not resolved) alerts of a rule, by fingerprint. */
export async function openAlertsOfRule(sql: Sql, orgId: string, ruleId: string, forUpdate = false): Promise<Map<string, StoredAlert>> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM alerts WHERE org_id = $1 AND rule_id = $2 AND state <> 'resolved'${forUpdate ? ' FOR UPDATE' : ''}`, [orgId, ruleId]);
  return new Map(r.rows.map(alertOf).map((a) => [a.fingerprint, a]));
}

export async function getAlert(sql: Sql, orgId: string, id: string, forUpdate = false): Promise<StoredAlert | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM alerts WHERE org_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [orgId, id]);
  return r.rows[0] && alertOf(r.rows[0]);
}

export interface AlertFilter {
  states?: AlertState[];
  ruleId?: string;
  severity?: AlertSeverity;
  limit: number;
  /** Continue after this (started_at, id), newest first. */
  after?: { startedAtMs: number; id: string };
}

/** Alerts of `orgId`, newest first. */
export async function listAlerts(sql: Sql, orgId: string, q: AlertFilter): Promise<{ items: StoredAlert[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM alerts
     WHERE org_id = $1 AND ($2::text[] IS NULL OR state = ANY($2::text[])) AND ($3::uuid IS NULL OR rule_id = $3) AND ($4::text IS NULL OR severity = $4)
       AND ($5::timestamptz IS NULL OR (started_at, id) < ($5, $6::uuid))
     ORDER BY started_at DESC, id DESC LIMIT $7`,
    [orgId, q.states?.length ? q.states : null, q.ruleId ?? null, q.severity ?? null, q.after ? new Date(q.after.startedAtMs) : null, q.after?.id ?? null, q.limit + 1],
  );
  return { items: r.rows.slice(0, q.limit).map(alertOf), more: r.rows.length > q.limit };
}

/** Transitions of one alert, oldest first. */
export async function transitionsOf(sql: Sql, orgId: string, alertId: string): Promise<StoredTransition[]> {
  const r = await sql.query<{ id: string; alert_id: string; at: Date; from_state: AlertState | null; to_state: AlertState; actor_kind: Actor['kind']; actor_id: string | null; comment: string | null; value: number | null }>(
    'SELECT id, alert_id, at, from_state, to_state, actor_kind, actor_id, comment, value FROM alert_transitions WHERE org_id = $1 AND alert_id = $2 ORDER BY id',
    [orgId, alertId],
  );
  return r.rows.map((x) => ({
    id: Number(x.id),
    alertId: x.alert_id,
    at: x.at,
    from: x.from_state,
    to: x.to_state,
    actor: { kind: x.actor_kind, id: x.actor_id, comment: x.comment },
    value: x.value === null ? null : Number(x.value),
  }));
}

/**
 * Retention: deletes alerts resolved before `cutoff`, with their transitions, deliveries and attempts
 * (cascade). Open alerts are kept however old.
 */
export async function purgeResolvedAlerts(sql: Sql, orgId: string, cutoff: Date): Promise<number> {
  return (await sql.query(`DELETE FROM alerts WHERE org_id = $1 AND state = 'resolved' AND ended_at < $2`, [orgId, cutoff])).rowCount;
}
