// Alert instances and their transitions: storage, scoped by org in every query.
import type { Labels } from '../core/labels.js';
import type { AlertSeverity } from '../notify/notifier.js';
import type { NotifiedEvent } from './dedup.js';
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

interface Row {
  id: string;
  org_id: string;
  rule_id: string | null;
  rule_name: string;
  rule_kind: string;
  series_id: string | null;
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
  anomaly_id: string | null;
  started_at: Date;
  fired_at: Date | null;
  ended_at: Date | null;
  silence_id: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: Actor | null;
  resolved_by: Actor | null;
  notification_count: number;
  last_notified_at: Date | null;
  last_event: NotifiedEvent | null;
  created_at: Date;
  updated_at: Date;
}

const columns = `id, org_id, rule_id, rule_name, rule_kind, series_id, key, dimensions, fingerprint, state, severity, labels, annotations, value, summary, details, anomaly_id,
  started_at, fired_at, ended_at, silence_id, acknowledged_at, acknowledged_by, resolved_by, notification_count, last_notified_at, last_event, created_at, updated_at`;

function alertOf(r: Row): StoredAlert {
  return {
    id: r.id,
    orgId: r.org_id,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    ruleKind: r.rule_kind,
    seriesId: r.series_id === null ? null : String(r.series_id),
    key: r.key,
    dimensions: r.dimensions,
    fingerprint: r.fingerprint,
    state: r.state,
    severity: r.severity,
    labels: r.labels,
    annotations: r.annotations,
    value: r.value === null ? null : Number(r.value),
    summary: r.summary,
    details: r.details,
    anomalyId: r.anomaly_id,
    startedAt: r.started_at,
    firedAt: r.fired_at,
    endedAt: r.ended_at,
    silenceId: r.silence_id,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    resolvedBy: r.resolved_by,
    notificationCount: r.notification_count,
    lastNotifiedAt: r.last_notified_at,
    lastEvent: r.last_event,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export type NewAlert = Omit<StoredAlert, 'id' | 'orgId' | 'createdAt' | 'updatedAt'>;

/** Everything an alert row holds that a pass or an action may change. */
export type AlertChange = Pick<
  StoredAlert,
  'state' | 'severity' | 'labels' | 'annotations' | 'value' | 'summary' | 'details' | 'anomalyId' | 'firedAt' | 'endedAt' | 'silenceId' | 'acknowledgedAt' | 'acknowledgedBy' | 'resolvedBy' | 'notificationCount' | 'lastNotifiedAt' | 'lastEvent' | 'ruleName'
>;

/** Inserts new alerts of `orgId` in one statement; returns them (with ids) in order. */
export async function insertAlerts(sql: Sql, orgId: string, items: NewAlert[], now: Date): Promise<StoredAlert[]> {
  if (!items.length) return [];
  const r = await sql.query<Row>(
    `INSERT INTO alerts (org_id, rule_id, rule_name, rule_kind, series_id, key, dimensions, fingerprint, state, severity, labels, annotations, value, summary, details, anomaly_id,
       started_at, fired_at, ended_at, silence_id, acknowledged_at, acknowledged_by, resolved_by, notification_count, last_notified_at, last_event, created_at, updated_at)
     SELECT $1, i.rule_id, i.rule_name, i.rule_kind, i.series_id, i.key, i.dimensions, i.fingerprint, i.state, i.severity, i.labels, i.annotations, i.value, i.summary, i.details, i.anomaly_id,
       i.started_at, i.fired_at, i.ended_at, i.silence_id, i.acknowledged_at, i.acknowledged_by, i.resolved_by, i.notification_count, i.last_notified_at, i.last_event, $3, $3
     FROM jsonb_to_recordset($2::jsonb) AS i(rule_id uuid, rule_name text, rule_kind text, series_id bigint, key text, dimensions jsonb, fingerprint text, state text, severity text,
       labels jsonb, annotations jsonb, value float8, summary text, details jsonb, anomaly_id uuid, started_at timestamptz, fired_at timestamptz, ended_at timestamptz,
       silence_id uuid, acknowledged_at timestamptz, acknowledged_by jsonb, resolved_by jsonb, notification_count integer, last_notified_at timestamptz, last_event text)
     RETURNING ${columns}`,
    [
      orgId,
      JSON.stringify(
        items.map((a) => ({
          rule_id: a.ruleId,
          rule_name: a.ruleName,
          rule_kind: a.ruleKind,
          series_id: a.seriesId,
          key: a.key,
          dimensions: a.dimensions,
          fingerprint: a.fingerprint,
          state: a.state,
          severity: a.severity,
          labels: a.labels,
          annotations: a.annotations,
          value: Number.isFinite(a.value) ? a.value : null,
          summary: a.summary,
          details: a.details,
          anomaly_id: a.anomalyId,
          started_at: a.startedAt.toISOString(),
          fired_at: a.firedAt?.toISOString() ?? null,
          ended_at: a.endedAt?.toISOString() ?? null,
          silence_id: a.silenceId,
          acknowledged_at: a.acknowledgedAt?.toISOString() ?? null,
          acknowledged_by: a.acknowledgedBy,
          resolved_by: a.resolvedBy,
          notification_count: a.notificationCount,
          last_notified_at: a.lastNotifiedAt?.toISOString() ?? null,
          last_event: a.lastEvent,
        })),
      ),
      now,
    ],
  );
  const byFingerprint = new Map(r.rows.map((x) => [`${x.fingerprint}\u0000${x.started_at.getTime()}`, alertOf(x)]));
  return items.map((a) => byFingerprint.get(`${a.fingerprint}\u0000${a.startedAt.getTime()}`)!);
}

/** Applies changes to alerts of `orgId` in one statement. */
export async function updateAlerts(sql: Sql, orgId: string, changes: { id: string; change: AlertChange }[], now: Date): Promise<void> {
  if (!changes.length) return;
  await sql.query(
    `UPDATE alerts a SET state = i.state, severity = i.severity, labels = i.labels, annotations = i.annotations, value = i.value, summary = i.summary,
       details = i.details, anomaly_id = i.anomaly_id, fired_at = i.fired_at, ended_at = i.ended_at, silence_id = i.silence_id, acknowledged_at = i.acknowledged_at, acknowledged_by = i.acknowledged_by,
       resolved_by = i.resolved_by, notification_count = i.notification_count, last_notified_at = i.last_notified_at, last_event = i.last_event,
       rule_name = i.rule_name, updated_at = $3
     FROM jsonb_to_recordset($2::jsonb) AS i(id uuid, state text, severity text, labels jsonb, annotations jsonb, value float8, summary text, details jsonb,
       anomaly_id uuid, fired_at timestamptz, ended_at timestamptz, silence_id uuid, acknowledged_at timestamptz, acknowledged_by jsonb, resolved_by jsonb, notification_count integer,
       last_notified_at timestamptz, last_event text, rule_name text)
     WHERE a.org_id = $1 AND a.id = i.id`,
    [
      orgId,
      JSON.stringify(
        changes.map(({ id, change: c }) => ({
          id,
          state: c.state,
          severity: c.severity,
          labels: c.labels,
          annotations: c.annotations,
          value: Number.isFinite(c.value) ? c.value : null,
          summary: c.summary,
          details: c.details,
          anomaly_id: c.anomalyId,
          fired_at: c.firedAt?.toISOString() ?? null,
          ended_at: c.endedAt?.toISOString() ?? null,
          silence_id: c.silenceId,
          acknowledged_at: c.acknowledgedAt?.toISOString() ?? null,
          acknowledged_by: c.acknowledgedBy,
          resolved_by: c.resolvedBy,
          notification_count: c.notificationCount,
          last_notified_at: c.lastNotifiedAt?.toISOString() ?? null,
          last_event: c.lastEvent,
          rule_name: c.ruleName,
        })),
      ),
      now,
    ],
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
  return new Map(r.rows.map((x) => [x.fingerprint, alertOf(x)]));
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
