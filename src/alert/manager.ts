// The alert manager: runs rules against the store. One evaluation pass of a rule reads every matching
// series in one statement (samples for the rule's lookback and each series' last point time), runs
// detection (anomaly rules) or a forecast (forecast rules) where the rule needs one, evaluates each
// series (./evaluate.ts), moves its alert instance through the lifecycle (./lifecycle.ts) with the
// org's silences (./silence.ts), decides notifications (./dedup.ts) and stores the outcome in one
// transaction: series states, alert rows, transitions and queued deliveries. Delivery is separate
// (./delivery.ts): the 'notification-delivery' job sends what passes and actions queued.
//
// Concurrency: a pass and a manual action on the same rule lock the rule row first, so they take
// turns; the scheduled evaluator claims due rules with UPDATE … SKIP LOCKED, so several servers
// evaluate each rule once per interval.
import { AnomalyError } from '../anomaly/errors.js';
import { contextJson, upsertAnomalies } from '../anomaly/store.js';
import type { Logger } from '../core/logger.js';
import { AppError } from '../errors.js';
import { frequencyMs, type Frequency } from '../forecast/backend.js';
import type { BackendRegistry } from '../forecast/registry.js';
import { resample } from '../forecast/resample.js';
import { forecastGrid } from '../forecast/service.js';
import { readSeriesWindows, type SeriesWindow } from '../metrics/series-read.js';
import type { AlertEvent } from '../notify/notifier.js';
import type { Sql } from '../store/sql.js';
import { inlineDetect } from '../workers/inline.js';
import type { DetectRunner } from '../workers/pool.js';
import { getOrg, listOrgs } from '../tenancy/orgs.js';
import { getAlert, insertAlerts, insertTransitions, openAlertsOfRule, updateAlerts, type AlertChange, type NewAlert, type StoredAlert, type StoredTransition } from './alerts-store.js';
import { getChannels } from './channels-store.js';
import { decideNotification, type NotificationPolicy } from './dedup.js';
import { channelsToldOf, enqueueDeliveries, type NewDelivery, type StoredPayload } from './deliveries-store.js';
import { evaluateRule, ruleLookbackMs } from './evaluate.js';
import { alertFingerprint } from './fingerprint.js';
import { alertLabels } from './labels.js';
import { acknowledge, advanceAlert, resolve, type Actor, type ActorRef, type AlertInstance, type Transition } from './lifecycle.js';
import type { AlertRule, AnomalySample, EvaluationResult, ForecastCondition, ForecastSample, SeriesInput, SeriesState } from './rule.js';
import { findSilence } from './silence.js';
import { claimDueRules, getRule, loadSeriesStates, recordPass, ruleOf, ruleColumns, saveSeriesStates, type RuleRow, type StoredRule } from './store.js';
import { currentSilences, type StoredSilence } from './silences-store.js';
import { formatSeries } from './summary.js';

export interface DeliverySettings {
  /** Attempts per delivery, the first included, before it is dead (a retry by hand adds as many again). */
  maxAttempts: number;
}

export interface AlertingDeps {
  sql: Sql;
  /** Wall clock; tests pass a controlled one. */
  now: () => Date;
  /** Forecast backends, for forecast rules. */
  backends: BackendRegistry;
  /** Where anomaly rules' detection runs (the worker pool in the server); default this thread. */
  detector?: DetectRunner;
  log?: Logger;
  /** Base URL of the API for links in notifications (`{publicUrl}/api/v1/alerts/{id}`); null: no link. */
  publicUrl?: string | null;
  delivery?: Partial<DeliverySettings>;
  /** Called (not awaited) after deliveries were queued, so they go out at once (the server sends a delivery job). */
  onDeliveriesQueued?: () => void;
}

export const defaultDeliverySettings: DeliverySettings = { maxAttempts: 5 };

/** Most series one pass evaluates (a selector matching more is cut here, and the pass says so). */
export const maxSeriesPerPass = 1000;
/** Most raw samples read per series for threshold, rate-of-change and missing-data rules. */
export const maxSamplesPerSeries = 10_000;
/** Anomaly rules: detection runs over this much history before now (at most {@link maxDetectionPoints}). */
export const detectionHistoryMs = 24 * 3_600_000;
export const maxDetectionPoints = 2_000;

// ---------------------------------------------------------------------------------------------
// Results

export interface PassSeries {
  seriesId: string;
  key: string;
  dimensions: Record<string, string>;
  /** Condition status after the pass. */
  status: string;
  value: number | null;
  summary: string;
  alertId: string | null;
  alertState: string | null;
}

export interface PassTransition {
  alertId: string;
  fingerprint: string;
  key: string;
  dimensions: Record<string, string>;
  from: string | null;
  to: string;
  at: Date;
  value: number | null;
  summary: string;
}

export interface PassResult {
  ruleId: string;
  evaluatedAt: Date;
  seriesCount: number;
  truncated: boolean;
  series: PassSeries[];
  transitions: PassTransition[];
  /** Deliveries queued. */
  notifications: number;
  /** Series that could not be evaluated, and why. */
  errors: string[];
}

// ---------------------------------------------------------------------------------------------
// Helpers

const toMs = (d: Date | null) => (d ? d.getTime() : null);
const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

function instanceOf(a: StoredAlert): AlertInstance {
  return {
    state: a.state,
    startedAtMs: a.startedAt.getTime(),
    firedAtMs: toMs(a.firedAt),
    acknowledgedAtMs: toMs(a.acknowledgedAt),
    resolvedAtMs: toMs(a.endedAt),
    silenceId: a.silenceId,
  };
}

function changeOf(a: StoredAlert): AlertChange {
  return {
    state: a.state,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value,
    summary: a.summary,
    details: a.details,
    anomalyId: a.anomalyId,
    firedAt: a.firedAt,
    endedAt: a.endedAt,
    silenceId: a.silenceId,
    acknowledgedAt: a.acknowledgedAt,
    acknowledgedBy: a.acknowledgedBy,
    resolvedBy: a.resolvedBy,
    notificationCount: a.notificationCount,
    lastNotifiedAt: a.lastNotifiedAt,
    lastEvent: a.lastEvent,
    ruleName: a.ruleName,
  };
}

function alertUrl(deps: AlertingDeps, id: string): string | null {
  return deps.publicUrl ? `${deps.publicUrl.replace(/\/+$/, '')}/api/v1/alerts/${id}` : null;
}

/** The notification of `event` for an alert as it is now (the delivery adds its own id). */
export function payloadOf(deps: AlertingDeps, org: { id: string; name: string }, a: StoredAlert | (NewAlert & { id: string }), event: AlertEvent, actor?: Actor): StoredPayload {
  return {
    event,
    org,
    alert: {
      id: a.id,
      fingerprint: a.fingerprint,
      ruleId: a.ruleId ?? '',
      ruleName: a.ruleName,
      ruleKind: a.ruleKind,
      severity: a.severity,
      state: a.state,
      summary: a.summary,
      labels: a.labels,
      annotations: a.annotations,
      value: a.value,
      startsAt: (a.firedAt ?? a.startedAt).toISOString(),
      endsAt: a.endedAt ? a.endedAt.toISOString() : null,
      url: alertUrl(deps, a.id),
      details: a.details,
      ...(actor && (event === 'acknowledged' || event === 'resolved') ? { actor: { kind: actor.kind, id: actor.id, comment: actor.comment } } : {}),
    },
  };
}

/** Deliveries of one event to every enabled channel of the rule. */
function deliveriesFor(channels: { id: string; enabled: boolean }[], alertId: string, event: AlertEvent, payload: StoredPayload, maxAttempts: number): NewDelivery[] {
  return channels.filter((c) => c.enabled).map((c) => ({ alertId, channelId: c.id, event, payload, maxAttempts }));
}

function settingsOf(deps: AlertingDeps): DeliverySettings {
  return { ...defaultDeliverySettings, ...deps.delivery };
}

function finite(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

// ---------------------------------------------------------------------------------------------
// Reading what a rule needs

/** The forecast frequency, grid history and refresh period of a forecast rule. */
function forecastPlan(c: ForecastCondition): { frequency: Frequency; historyMs: number; horizon: number } {
  const frequency: Frequency = c.horizonHours <= 6 ? '5m' : '1h';
  const step = frequencyMs[frequency];
  const horizon = Math.min(720, Math.max(1, Math.ceil((c.horizonHours * 3_600_000) / step) + 1));
  return { frequency, historyMs: frequency === '5m' ? 3 * 86_400_000 : 28 * 86_400_000, horizon };
}

/** Reads the series of a rule with the samples its kind needs. */
async function readInputs(deps: AlertingDeps, rule: StoredRule, nowMs: number): Promise<{ series: SeriesWindow[]; truncated: boolean }> {
  const c = rule.condition;
  const base = { toMs: nowMs, maxSeries: maxSeriesPerPass };
  if (c.kind === 'forecast') {
    const plan = forecastPlan(c);
    const step = frequencyMs[plan.frequency];
    return readSeriesWindows(deps.sql, rule.orgId, rule.key, rule.dimensions, { ...base, fromMs: nowMs - plan.historyMs, maxPoints: Math.ceil(plan.historyMs / step) + 1, bucketMs: step });
  }
  const lookback = ruleLookbackMs(rule);
  if (c.kind === 'anomaly') {
    return readSeriesWindows(deps.sql, rule.orgId, rule.key, rule.dimensions, { ...base, fromMs: nowMs - Math.max(lookback, detectionHistoryMs), maxPoints: maxDetectionPoints });
  }
  // Missing-data rules read no samples (lookback 0): an empty window still brings each series' last point time.
  return readSeriesWindows(deps.sql, rule.orgId, rule.key, rule.dimensions, { ...base, fromMs: lookback > 0 ? nowMs - lookback : nowMs + 1, maxPoints: maxSamplesPerSeries });
}

/** Anomaly rules: online detection over the window; anomalies within the rule's lookback are stored (ids stable per point) and returned. */
async function anomaliesOf(deps: AlertingDeps, rule: StoredRule & { condition: { kind: 'anomaly' } }, s: SeriesWindow, now: Date): Promise<AnomalySample[]> {
  if (s.values.length === 0) return [];
  let found;
  try {
    found = await (deps.detector ?? inlineDetect)({ values: s.values, timestampsMs: s.timestampsMs, sensitivity: rule.condition.sensitivity, mode: 'online', context: { before: 5, after: 5 } });
  } catch (err) {
    if (err instanceof AnomalyError && err.reason === 'too_few_points') return [];
    throw err;
  }
  const since = now.getTime() - ruleLookbackMs(rule);
  const recent = found.anomalies.filter((a) => a.timestampMs >= since);
  if (!recent.length) return [];
  const ids = await upsertAnomalies(deps.sql, rule.orgId, s, recent, { sensitivity: rule.condition.sensitivity, mode: 'online', detectedAt: now });
  return recent.map((a, i) => ({
    id: ids[i]!,
    timestampMs: a.timestampMs,
    value: a.value,
    expected: Number.isFinite(a.expected) ? a.expected : null,
    score: a.score,
    severity: a.severity,
    methods: a.methods,
    context: contextJson(a),
  }));
}

/**
 * Forecast rules: the newest stored forecast of the series at the rule's frequency and level made
 * within the last step is reused (a new grid step is what changes a forecast); otherwise one is made
 * and stored. Null when the history is too short.
 */
async function forecastOf(deps: AlertingDeps, rule: StoredRule & { condition: ForecastCondition }, s: SeriesWindow, now: Date, recent: Map<number, ForecastSample>): Promise<ForecastSample | null> {
  const reused = recent.get(s.id);
  if (reused) return reused;
  const plan = forecastPlan(rule.condition);
  const step = frequencyMs[plan.frequency];
  const grid = resample(s.timestampsMs, s.values, step, Math.ceil(plan.historyMs / step));
  try {
    const f = await forecastGrid({ sql: deps.sql, backends: deps.backends, now: deps.now, log: deps.log }, rule.orgId, grid, s, { frequency: plan.frequency, horizon: plan.horizon, levels: [rule.condition.level] });
    const iv = f.intervals[String(rule.condition.level)]!;
    return sampleOf(f.startMs, step, f.mean, iv, rule.condition.level, f.model);
  } catch (err) {
    if (err instanceof AppError && err.code === 'insufficient_data') return null;
    throw err;
  }
}

function sampleOf(startMs: number, step: number, mean: number[], iv: { lower: number[]; upper: number[] }, level: 80 | 95, model: string): ForecastSample {
  return {
    timestampsMs: Float64Array.from(mean, (_, i) => startMs + i * step),
    mean: Float64Array.from(mean),
    lower: Float64Array.from(iv.lower),
    upper: Float64Array.from(iv.upper),
    level,
    model,
  };
}

/** Stored forecasts of these series fresh enough to reuse (generated within the last step, long enough, with the level). */
async function recentForecasts(deps: AlertingDeps, rule: StoredRule & { condition: ForecastCondition }, seriesIds: number[], now: Date): Promise<Map<number, ForecastSample>> {
  const plan = forecastPlan(rule.condition);
  const step = frequencyMs[plan.frequency];
  const level = rule.condition.level;
  const r = await deps.sql.query<{ series_id: string; start_at: Date; mean: number[]; intervals: Record<string, { lower: number[]; upper: number[] }>; model: string }>(
    `SELECT DISTINCT ON (series_id) series_id, start_at, mean, intervals, model FROM forecasts
     WHERE org_id = $1 AND series_id = ANY($2::bigint[]) AND frequency = $3 AND horizon >= $4 AND $5::float8 = ANY(levels)
       AND generated_at > $6 AND generated_at <= $7
     ORDER BY series_id, generated_at DESC`,
    [rule.orgId, seriesIds, plan.frequency, plan.horizon, level, new Date(now.getTime() - step), now],
  );
  const out = new Map<number, ForecastSample>();
  for (const x of r.rows) {
    const iv = x.intervals[String(level)];
    if (iv) out.set(Number(x.series_id), sampleOf(x.start_at.getTime(), step, x.mean.map(Number), iv, level, x.model));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One pass

interface Evaluated {
  input: SeriesInput;
  result: EvaluationResult | null;
  error?: string;
}

/**
 * What every pass of one org's tick shares: the org's name, its channels and its silences, read once
 * per tick instead of once per rule (a silence or channel created during a tick counts from the next).
 */
export interface OrgContext {
  org: { id: string; name: string };
  channels: Map<string, { id: string; enabled: boolean }>;
  silences: StoredSilence[];
}

/** Reads an org's {@link OrgContext} at `now`. */
export async function orgContext(sql: Sql, orgId: string, now: Date): Promise<OrgContext> {
  const org = (await getOrg(sql, orgId)) ?? { id: orgId, name: '' };
  const channels = await sql.query<{ id: string; enabled: boolean }>('SELECT id, enabled FROM channels WHERE org_id = $1', [orgId]);
  return { org: { id: org.id, name: org.name }, channels: new Map(channels.rows.map((c) => [c.id, c])), silences: await currentSilences(sql, orgId, now) };
}

/** Evaluates a rule now over every matching series (the scheduled evaluator and "evaluate now" both come here). */
export async function evaluateRuleNow(deps: AlertingDeps, rule: StoredRule, context?: OrgContext): Promise<PassResult> {
  const now = deps.now();
  try {
    return await runPass(deps, rule, now, context ?? (await orgContext(deps.sql, rule.orgId, now)));
  } catch (err) {
    await recordPass(deps.sql, rule.orgId, rule.id, { at: now, error: (err as Error).message, seriesCount: null }).catch(() => undefined);
    throw err;
  }
}

async function runPass(deps: AlertingDeps, rule: StoredRule, now: Date, context: OrgContext): Promise<PassResult> {
  const nowMs = now.getTime();
  const orgId = rule.orgId;
  const { series, truncated } = await readInputs(deps, rule, nowMs);

  // Detection and forecasts (the slow parts) run before the transaction.
  const errors: string[] = [];
  const inputs: SeriesInput[] = [];
  const forecasts = rule.condition.kind === 'forecast' ? await recentForecasts(deps, rule as StoredRule & { condition: ForecastCondition }, series.map((s) => s.id), now) : undefined;
  for (const s of series) {
    const input: SeriesInput = { seriesId: String(s.id), key: s.key, dimensions: s.dimensions, timestampsMs: s.timestampsMs, values: s.values, lastSeenMs: s.lastSeenMs };
    try {
      if (rule.condition.kind === 'anomaly') input.anomalies = await anomaliesOf(deps, rule as StoredRule & { condition: { kind: 'anomaly' } }, s, now);
      if (rule.condition.kind === 'forecast') input.forecast = await forecastOf(deps, rule as StoredRule & { condition: ForecastCondition }, s, now, forecasts!);
    } catch (err) {
      errors.push(`${formatSeries(s.key, s.dimensions)}: ${(err as Error).message}`);
      if (rule.condition.kind === 'anomaly') input.anomalies = [];
      if (rule.condition.kind === 'forecast') input.forecast = undefined;
    }
    inputs.push(input);
  }

  const { org, silences } = context;
  const maxAttempts = settingsOf(deps).maxAttempts;

  const out = await deps.sql.transaction(async (tx) => {
    // The rule as it is now, locked (a concurrent pass or action on it waits), and the pass recorded;
    // an evaluation error found below is added at the end.
    const locked = await tx.query<RuleRow>(
      `UPDATE alert_rules SET last_evaluated_at = $3, last_error = $4, last_series_count = $5 WHERE org_id = $1 AND id = $2 RETURNING ${ruleColumns}`,
      [orgId, rule.id, now, errors.length ? errors.slice(0, 5).join('; ') : null, series.length],
    );
    if (!locked.rows[0]) return undefined;
    const current = ruleOf(locked.rows[0]);
    const channels = current.channels.flatMap((id) => context.channels.get(id) ?? []);
    const states = await loadSeriesStates(tx, orgId, rule.id);
    const open = await openAlertsOfRule(tx, orgId, rule.id);
    const detectionErrors = errors.length;

    const evaluated: Evaluated[] = inputs.map((input) => {
      try {
        return { input, result: evaluateRule(current, states.get(input.seriesId), input, nowMs) };
      } catch (err) {
        return { input, result: null, error: (err as Error).message };
      }
    });

    const newStates: { seriesId: string; state: SeriesState }[] = [];
    type Ref = { key: string; dimensions: Record<string, string> };
    const inserts: { alert: NewAlert; ref: Ref; transitions: Transition[]; send: AlertEvent | null; value: number | null; seriesIndex: number }[] = [];
    const updates: { alert: StoredAlert; ref: Ref; change: AlertChange; transitions: Transition[]; send: AlertEvent | null; value: number | null; seriesIndex: number | null }[] = [];
    const seen = new Set<string>();
    const passSeries: PassSeries[] = [];

    evaluated.forEach(({ input, result, error }, i) => {
      const dims = input.dimensions;
      const fingerprint = alertFingerprint(orgId, rule.id, { key: input.key, dimensions: dims });
      seen.add(fingerprint);
      const existing = open.get(fingerprint);
      if (!result) {
        errors.push(`${formatSeries(input.key, dims)}: ${error}`);
        passSeries.push({ seriesId: input.seriesId, key: input.key, dimensions: dims, status: 'error', value: null, summary: error ?? 'evaluation failed', alertId: existing?.id ?? null, alertState: existing?.state ?? null });
        return;
      }
      const prev = states.get(input.seriesId);
      if (!prev || JSON.stringify(prev) !== JSON.stringify(result.state)) newStates.push({ seriesId: input.seriesId, state: result.state });
      const labels = alertLabels(current, { key: input.key, dimensions: dims });
      const silence = findSilence(silences, labels, nowMs);
      const step = advanceAlert(existing ? instanceOf(existing) : null, result, silence?.id ?? null, nowMs);
      passSeries.push({ seriesId: input.seriesId, key: input.key, dimensions: dims, status: result.state.status, value: finite(result.value), summary: result.summary, alertId: existing?.id ?? null, alertState: step.instance?.state ?? null });
      if (!step.instance) return;
      const inst = step.instance;
      const anomalyId = typeof result.details.anomalyId === 'string' ? result.details.anomalyId : null;
      const base = existing && !step.newInstance ? existing : undefined;
      const decision = decideNotification(
        { state: inst.state, lastNotifiedAtMs: toMs(base?.lastNotifiedAt ?? null), lastNotifiedEvent: base?.lastEvent ?? null, notificationCount: base?.notificationCount ?? 0 },
        current,
        nowMs,
      );
      const fields = {
        state: inst.state,
        severity: current.severity,
        labels,
        annotations: current.annotations,
        value: finite(result.value),
        summary: result.summary,
        details: result.details,
        anomalyId: anomalyId ?? base?.anomalyId ?? null,
        firedAt: toDate(inst.firedAtMs),
        endedAt: toDate(inst.resolvedAtMs),
        silenceId: inst.silenceId,
        acknowledgedAt: toDate(inst.acknowledgedAtMs),
        notificationCount: decision.next.notificationCount,
        lastNotifiedAt: toDate(decision.next.lastNotifiedAtMs),
        lastEvent: decision.next.lastNotifiedEvent,
        ruleName: current.name,
      };
      if (base) {
        updates.push({ alert: base, ref: { key: input.key, dimensions: dims }, change: { ...fields, acknowledgedBy: base.acknowledgedBy, resolvedBy: inst.state === 'resolved' ? { kind: 'system', id: null, comment: 'condition no longer holds' } : base.resolvedBy }, transitions: step.transitions, send: decision.send, value: fields.value, seriesIndex: passSeries.length - 1 });
      } else {
        inserts.push({
          alert: { ...fields, ruleId: rule.id, ruleKind: current.condition.kind, seriesId: input.seriesId, key: input.key, dimensions: dims, fingerprint, startedAt: new Date(inst.startedAtMs), acknowledgedBy: null, resolvedBy: null },
          ref: { key: input.key, dimensions: dims },
          transitions: step.transitions,
          send: decision.send,
          value: fields.value,
          seriesIndex: passSeries.length - 1,
        });
      }
    });

    // Open alerts of series the rule no longer sees (deleted, or the selector changed) resolve.
    if (!truncated) {
      for (const [fingerprint, a] of open) {
        if (seen.has(fingerprint)) continue;
        const step = advanceAlert(instanceOf(a), { state: { status: 'inactive', activeSinceMs: null } }, null, nowMs);
        const inst = step.instance!;
        const decision = decideNotification({ state: inst.state, lastNotifiedAtMs: toMs(a.lastNotifiedAt), lastNotifiedEvent: a.lastEvent, notificationCount: a.notificationCount }, current, nowMs);
        const comment = 'the series no longer matches the rule';
        updates.push({
          alert: a,
          ref: { key: a.key, dimensions: a.dimensions },
          change: {
            ...changeOf(a),
            state: inst.state,
            endedAt: toDate(inst.resolvedAtMs),
            silenceId: null,
            resolvedBy: { kind: 'system', id: null, comment },
            notificationCount: decision.next.notificationCount,
            lastNotifiedAt: toDate(decision.next.lastNotifiedAtMs),
            lastEvent: decision.next.lastNotifiedEvent,
          },
          transitions: step.transitions.map((t) => ({ ...t, actor: { ...t.actor, comment } })),
          send: decision.send,
          value: a.value,
          seriesIndex: null,
        });
      }
    }

    await saveSeriesStates(tx, orgId, rule.id, newStates, now);
    const inserted = await insertAlerts(tx, orgId, inserts.map((x) => x.alert), now);
    await updateAlerts(tx, orgId, updates.map((u) => ({ id: u.alert.id, change: u.change })), now);

    const transitions: Omit<StoredTransition, 'id'>[] = [];
    const passTransitions: PassTransition[] = [];
    const deliveries: NewDelivery[] = [];
    // Follow-ups also reach channels told of the firing that the rule no longer names.
    const told = await channelsToldOf(tx, orgId, updates.filter((u) => u.send === 'acknowledged' || u.send === 'resolved').map((u) => u.alert.id));
    const record = (alert: StoredAlert | (NewAlert & { id: string }), ref: Ref, ts: Transition[], value: number | null, send: AlertEvent | null) => {
      for (const t of ts) {
        transitions.push({ alertId: alert.id, at: new Date(t.at), from: t.from, to: t.to, actor: t.actor, value });
        passTransitions.push({ alertId: alert.id, fingerprint: alert.fingerprint, key: ref.key, dimensions: ref.dimensions, from: t.from, to: t.to, at: new Date(t.at), value, summary: alert.summary });
      }
      if (!send) return;
      const extra = (told.get(alert.id) ?? []).filter((id) => !current.channels.includes(id)).flatMap((id) => context.channels.get(id) ?? []);
      deliveries.push(...deliveriesFor([...channels, ...extra], alert.id, send, payloadOf(deps, org, alert, send, ts[ts.length - 1]?.actor), maxAttempts));
    };
    inserts.forEach((x, i) => {
      const a = inserted[i]!;
      passSeries[x.seriesIndex]!.alertId = a.id;
      record(a, x.ref, x.transitions, x.value, x.send);
    });
    for (const u of updates) record({ ...u.alert, ...u.change }, u.ref, u.transitions, u.value, u.send);
    await insertTransitions(tx, orgId, transitions);
    await enqueueDeliveries(tx, orgId, deliveries, now);
    if (errors.length > detectionErrors) await recordPass(tx, orgId, rule.id, { at: now, error: errors.slice(0, 5).join('; '), seriesCount: series.length });
    return { passSeries, passTransitions, notifications: deliveries.length };
  });

  if (out?.notifications) deps.onDeliveriesQueued?.();
  return {
    ruleId: rule.id,
    evaluatedAt: now,
    seriesCount: series.length,
    truncated,
    series: out?.passSeries ?? [],
    transitions: out?.passTransitions ?? [],
    notifications: out?.notifications ?? 0,
    errors,
  };
}

// ---------------------------------------------------------------------------------------------
// The scheduled evaluator

/** Most rules one org's tick claims; the rest stay due for the next tick. */
export const maxRulesPerTick = 1000;

/**
 * One tick of the 'alert-evaluator' job: every enabled rule due at `now` (any org) is claimed and
 * evaluated. Claiming moves the rule to its next time first, so a failing rule is retried at its
 * next interval, not in a loop, and several servers never evaluate one rule twice per interval.
 */
export async function tickAlertRules(deps: AlertingDeps): Promise<{ rules: number; failed: number; transitions: number; notifications: number }> {
  const totals = { rules: 0, failed: 0, transitions: 0, notifications: 0 };
  for (const org of await listOrgs(deps.sql)) {
    const due = await claimDueRules(deps.sql, org.id, deps.now(), maxRulesPerTick);
    const context = due.length ? await orgContext(deps.sql, org.id, deps.now()) : undefined;
    for (const rule of due) {
      totals.rules++;
      try {
        const r = await evaluateRuleNow(deps, rule, context);
        totals.transitions += r.transitions.length;
        totals.notifications += r.notifications;
      } catch (err) {
        totals.failed++;
        deps.log?.warn({ err, ruleId: rule.id, orgId: org.id }, 'alert rule evaluation failed');
      }
    }
  }
  return totals;
}

// ---------------------------------------------------------------------------------------------
// Manual actions

const noPolicy: NotificationPolicy = { dedupWindowSeconds: 0, repeatIntervalSeconds: 0 };

async function manualAction(deps: AlertingDeps, orgId: string, alertId: string, action: 'acknowledge' | 'resolve', actor: ActorRef, comment: string | null): Promise<StoredAlert> {
  const now = deps.now();
  const nowMs = now.getTime();
  const org = (await getOrg(deps.sql, orgId)) ?? { id: orgId, name: '' };
  const out = await deps.sql.transaction(async (tx) => {
    const before = await getAlert(tx, orgId, alertId);
    if (!before) throw new AppError('not_found', 'No such alert');
    // Lock order as in a pass: the rule, then the alert.
    const ruleRow = before.ruleId ? (await tx.query<RuleRow>(`SELECT ${ruleColumns} FROM alert_rules WHERE org_id = $1 AND id = $2 FOR UPDATE`, [orgId, before.ruleId])).rows[0] : undefined;
    const rule = ruleRow && ruleOf(ruleRow);
    const a = (await getAlert(tx, orgId, alertId, true))!;
    const step = action === 'acknowledge' ? acknowledge(instanceOf(a), actor, comment, nowMs) : resolve(instanceOf(a), actor, comment, nowMs);
    const inst = step.instance;
    const decision = decideNotification({ state: inst.state, lastNotifiedAtMs: toMs(a.lastNotifiedAt), lastNotifiedEvent: a.lastEvent, notificationCount: a.notificationCount }, rule ?? noPolicy, nowMs);
    const who: Actor = { kind: actor.kind, id: actor.id, comment };
    const change: AlertChange = {
      ...changeOf(a),
      state: inst.state,
      acknowledgedAt: toDate(inst.acknowledgedAtMs),
      acknowledgedBy: action === 'acknowledge' ? who : a.acknowledgedBy,
      endedAt: toDate(inst.resolvedAtMs),
      resolvedBy: action === 'resolve' ? who : a.resolvedBy,
      silenceId: inst.silenceId,
      notificationCount: decision.next.notificationCount,
      lastNotifiedAt: toDate(decision.next.lastNotifiedAtMs),
      lastEvent: decision.next.lastNotifiedEvent,
    };
    await updateAlerts(tx, orgId, [{ id: a.id, change }], now);
    await insertTransitions(tx, orgId, [{ alertId: a.id, at: new Date(step.transition.at), from: step.transition.from, to: step.transition.to, actor: step.transition.actor, value: a.value }]);
    let queued = 0;
    if (decision.send) {
      const after = { ...a, ...change };
      // The rule's channels and any other told of the firing (the rule may have changed, or be gone).
      const told = (await channelsToldOf(tx, orgId, [a.id])).get(a.id) ?? [];
      const channels = await getChannels(tx, orgId, [...new Set([...(rule?.channels ?? []), ...told])]);
      const deliveries = deliveriesFor(channels, a.id, decision.send, payloadOf(deps, org, after, decision.send, who), settingsOf(deps).maxAttempts);
      await enqueueDeliveries(tx, orgId, deliveries, now);
      queued = deliveries.length;
    }
    return { queued };
  });
  if (out.queued) deps.onDeliveriesQueued?.();
  return (await getAlert(deps.sql, orgId, alertId))!;
}

/** Acknowledges a firing alert (409 from any other state); the acknowledgement is notified (PagerDuty: acknowledge). */
export function acknowledgeAlert(deps: AlertingDeps, orgId: string, alertId: string, actor: ActorRef, comment: string | null): Promise<StoredAlert> {
  return manualAction(deps, orgId, alertId, 'acknowledge', actor, comment);
}

/** Resolves an open alert (409 when resolved already); the resolution is notified to every channel told of it. */
export function resolveAlert(deps: AlertingDeps, orgId: string, alertId: string, actor: ActorRef, comment: string | null): Promise<StoredAlert> {
  return manualAction(deps, orgId, alertId, 'resolve', actor, comment);
}

/**
 * Deletes a rule: its open alerts are resolved first (by `actor`) and the resolutions queued, since
 * their channels would otherwise keep them open forever; history stays with the rule's name.
 */
export async function removeRule(deps: AlertingDeps, orgId: string, ruleId: string, actor: Actor): Promise<boolean> {
  const rule = await getRule(deps.sql, orgId, ruleId);
  if (!rule) return false;
  for (const a of (await openAlertsOfRule(deps.sql, orgId, ruleId)).values()) {
    try {
      await resolveAlert(deps, orgId, a.id, actor, actor.comment);
    } catch (err) {
      if (!(err instanceof AppError && (err.code === 'conflict' || err.code === 'not_found'))) throw err;
    }
  }
  const r = await deps.sql.query('DELETE FROM alert_rules WHERE org_id = $1 AND id = $2', [orgId, ruleId]);
  return r.rowCount > 0;
}
