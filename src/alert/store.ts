// Alert rules and the per-(rule, series) evaluation state: storage, scoped by org in every query.
import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import type { ActorRef } from './lifecycle.js';
import type { AlertRule, SeriesState } from './rule.js';

/** A stored rule: the shared contract plus its bookkeeping. */
export interface StoredRule extends AlertRule {
  /** When the evaluator next picks the rule up (null while disabled). */
  nextEvaluationAt: Date | null;
  lastEvaluatedAt: Date | null;
  /** The last pass's error; null when it succeeded. */
  lastError: string | null;
  /** Series the last pass evaluated. */
  lastSeriesCount: number | null;
  createdAt: Date;
  updatedAt: Date;
  /** Who created the rule and who changed it last (null: before people acted, or a system write). */
  createdBy: ActorRef | null;
  updatedBy: ActorRef | null;
}

/** What the API sets on a rule. */
export type RuleInput = Omit<AlertRule, 'id' | 'orgId'>;

/** The rule table, in reply order (the `kind` column is the condition's, kept for filtering). */
export const ruleEntity = defineEntity<StoredRule>()('alert_rules', {
  id: 'uuid', orgId: 'uuid', name: 'text', key: 'text', dimensions: 'jsonb', severity: 'text', labels: 'jsonb', annotations: 'jsonb',
  evaluationIntervalSeconds: 'int', channels: 'uuid[]', dedupWindowSeconds: 'int', repeatIntervalSeconds: 'int', enabled: 'bool', condition: 'jsonb',
  nextEvaluationAt: 'timestamptz?', lastEvaluatedAt: 'timestamptz?', lastError: 'text?', lastSeriesCount: 'int?', createdAt: 'timestamptz', updatedAt: 'timestamptz',
  createdBy: 'jsonb?', updatedBy: 'jsonb?',
});

const ruleColumns = ruleEntity.columns;

/** The rule of one row selected with `ruleEntity.columns`. */
export const ruleOf = (r: Row): StoredRule => fromRow(ruleEntity, r);

/** A rule's columns in the order the INSERT and the UPDATE below take them, after the org (and id). */
function ruleParams(input: RuleInput): unknown[] {
  return [
    input.name,
    input.key,
    JSON.stringify(input.dimensions),
    input.severity,
    JSON.stringify(input.labels),
    JSON.stringify(input.annotations),
    input.evaluationIntervalSeconds,
    input.channels,
    input.dedupWindowSeconds,
    input.repeatIntervalSeconds,
    input.enabled,
    input.condition.kind,
    JSON.stringify(input.condition),
  ];
}

/**
 * Creates a rule of `orgId` by `by` (null: no one to name); an enabled rule is due at once
 * (evaluated at the evaluator's next tick).
 */
export async function createRule(sql: Sql, orgId: string, input: RuleInput, now: Date, by: ActorRef | null = null): Promise<StoredRule> {
  const actor = by && JSON.stringify({ kind: by.kind, id: by.id });
  const r = await sql.query<Row>(
    `INSERT INTO alert_rules (org_id, name, key, dimensions, severity, labels, annotations, evaluation_interval_seconds, channels, dedup_window_seconds,
       repeat_interval_seconds, enabled, kind, condition, next_evaluation_at, created_at, updated_at, created_by, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::uuid[], $10, $11, $12, $13, $14, $15, $16, $16, $17, $17) RETURNING ${ruleColumns}`,
    [orgId, ...ruleParams(input), input.enabled ? now : null, now, actor],
  );
  return ruleOf(r.rows[0]!);
}

export async function getRule(sql: Sql, orgId: string, id: string): Promise<StoredRule | undefined> {
  const r = await sql.query<Row>(`SELECT ${ruleColumns} FROM alert_rules WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && ruleOf(r.rows[0]);
}

export interface RuleFilter {
  enabled?: boolean;
  kind?: string;
  limit: number;
  /** Continue after this (created_at, id), creation order. */
  after?: { createdAtMs: number; id: string };
}

/** Rules of `orgId` in creation order. */
export async function listRules(sql: Sql, orgId: string, q: RuleFilter): Promise<{ items: StoredRule[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${ruleColumns} FROM alert_rules
     WHERE org_id = $1 AND ($2::boolean IS NULL OR enabled = $2) AND ($3::text IS NULL OR kind = $3)
       AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5::uuid))
     ORDER BY created_at, id LIMIT $6`,
    [orgId, q.enabled ?? null, q.kind ?? null, q.after ? new Date(q.after.createdAtMs) : null, q.after?.id ?? null, q.limit + 1],
  );
  return { items: r.rows.slice(0, q.limit).map(ruleOf), more: r.rows.length > q.limit };
}

/**
 * Replaces a rule's settings. A changed condition, key or dimension filter forgets the series'
 * evaluation state (it described another condition); enabling makes the rule due now, disabling
 * takes it off the evaluator's list.
 */
export async function updateRule(sql: Sql, orgId: string, id: string, input: RuleInput, now: Date, by: ActorRef | null = null): Promise<StoredRule | undefined> {
  return sql.transaction(async (tx) => {
    const before = await tx.query<Row>(`SELECT ${ruleColumns} FROM alert_rules WHERE org_id = $1 AND id = $2 FOR UPDATE`, [orgId, id]);
    const old = before.rows[0] && ruleOf(before.rows[0]);
    if (!old) return undefined;
    const r = await tx.query<Row>(
      `UPDATE alert_rules SET name = $3, key = $4, dimensions = $5, severity = $6, labels = $7, annotations = $8, evaluation_interval_seconds = $9::integer,
         channels = $10::uuid[], dedup_window_seconds = $11, repeat_interval_seconds = $12, enabled = $13, kind = $14, condition = $15,
         next_evaluation_at = CASE WHEN NOT $13 THEN NULL WHEN NOT enabled OR next_evaluation_at IS NULL THEN $16::timestamptz
                                   ELSE least(next_evaluation_at, $16::timestamptz + make_interval(secs => $9::integer)) END,
         updated_at = $16, updated_by = $17
       WHERE org_id = $1 AND id = $2 RETURNING ${ruleColumns}`,
      [orgId, id, ...ruleParams(input), now, by && JSON.stringify({ kind: by.kind, id: by.id })],
    );
    const changed = JSON.stringify(old.condition) !== JSON.stringify(input.condition) || old.key !== input.key || JSON.stringify(old.dimensions) !== JSON.stringify(input.dimensions);
    if (changed) await tx.query('DELETE FROM alert_series_state WHERE org_id = $1 AND rule_id = $2', [orgId, id]);
    return ruleOf(r.rows[0]!);
  });
}

export async function deleteRule(sql: Sql, orgId: string, id: string): Promise<boolean> {
  const r = await sql.query('DELETE FROM alert_rules WHERE org_id = $1 AND id = $2', [orgId, id]);
  return r.rowCount > 0;
}

/** Rules of `orgId` that name any of these channels (a channel in use cannot be deleted). */
export async function rulesUsingChannel(sql: Sql, orgId: string, channelId: string): Promise<{ id: string; name: string }[]> {
  const r = await sql.query<{ id: string; name: string }>(`SELECT id, name FROM alert_rules WHERE org_id = $1 AND channels @> ARRAY[$2::uuid] ORDER BY created_at, id LIMIT 20`, [orgId, channelId]);
  return r.rows;
}

/**
 * Claims the enabled rules of `orgId` due at `now` (at most `limit`): each moves to its next time in
 * the same statement, and rows another server holds are skipped, so however many evaluators tick,
 * each due rule is evaluated once. The next time is the claim's minute plus the interval: ticks run a
 * few seconds into their minute, and a 60 s rule must still be due at the next one.
 */
export async function claimDueRules(sql: Sql, orgId: string, now: Date, limit: number): Promise<StoredRule[]> {
  const r = await sql.query<Row>(
    `UPDATE alert_rules r SET next_evaluation_at = date_trunc('minute', $2::timestamptz) + make_interval(secs => r.evaluation_interval_seconds)
     WHERE r.id IN (
       SELECT id FROM alert_rules WHERE org_id = $1 AND enabled AND next_evaluation_at <= $2
       ORDER BY next_evaluation_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING ${ruleColumns}`,
    [orgId, now, limit],
  );
  return r.rows.map(ruleOf);
}

/** Records the outcome of a pass. */
export async function recordPass(sql: Sql, orgId: string, ruleId: string, outcome: { at: Date; error: string | null; seriesCount: number | null }): Promise<void> {
  await sql.query('UPDATE alert_rules SET last_evaluated_at = $3, last_error = $4, last_series_count = coalesce($5, last_series_count) WHERE org_id = $1 AND id = $2', [
    orgId,
    ruleId,
    outcome.at,
    outcome.error,
    outcome.seriesCount,
  ]);
}

/**
 * Locks a rule for a pass (a concurrent pass or manual action on it waits) and records the pass in
 * the same statement; the rule as it is now, undefined when it is gone.
 */
export async function lockRuleForPass(sql: Sql, orgId: string, ruleId: string, outcome: { at: Date; error: string | null; seriesCount: number }): Promise<StoredRule | undefined> {
  const r = await sql.query<Row>(
    `UPDATE alert_rules SET last_evaluated_at = $3, last_error = $4, last_series_count = $5 WHERE org_id = $1 AND id = $2 RETURNING ${ruleColumns}`,
    [orgId, ruleId, outcome.at, outcome.error, outcome.seriesCount],
  );
  return r.rows[0] && ruleOf(r.rows[0]);
}

/** Locks a rule for a manual action on one of its alerts (lock order as in a pass: the rule, then the alert). */
export async function lockRule(sql: Sql, orgId: string, ruleId: string): Promise<StoredRule | undefined> {
  const r = await sql.query<Row>(`SELECT ${ruleColumns} FROM alert_rules WHERE org_id = $1 AND id = $2 FOR UPDATE`, [orgId, ruleId]);
  return r.rows[0] && ruleOf(r.rows[0]);
}

// ---------------------------------------------------------------------------------------------
// Evaluation state per (rule, series)

/** The stored state of every series of a rule, by series id. */
export async function loadSeriesStates(sql: Sql, orgId: string, ruleId: string): Promise<Map<string, SeriesState>> {
  const r = await sql.query<{ series_id: string; state: SeriesState }>('SELECT series_id, state FROM alert_series_state WHERE org_id = $1 AND rule_id = $2', [orgId, ruleId]);
  return new Map(r.rows.map((x) => [String(x.series_id), x.state]));
}

/** Writes the states of many series of one rule in one statement. */
export async function saveSeriesStates(sql: Sql, orgId: string, ruleId: string, states: { seriesId: string; state: SeriesState }[], now: Date): Promise<void> {
  if (!states.length) return;
  await sql.query(
    `INSERT INTO alert_series_state (org_id, rule_id, series_id, state, updated_at)
     SELECT $1, $2, i.series_id, i.state, $4 FROM jsonb_to_recordset($3::jsonb) AS i(series_id bigint, state jsonb)
     ON CONFLICT (rule_id, series_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    [orgId, ruleId, JSON.stringify(states.map((s) => ({ series_id: s.seriesId, state: s.state }))), now],
  );
}
