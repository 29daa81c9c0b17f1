// The pure step of a pass: (rule, each series' previous state, its input, the mute lookup, now) →
// new states, the alerts it moves (with their transitions) and the per-series report. No I/O, no
// clock: everything it needs is read before and everything it decides is written after.
import type { Labels } from '../../core/labels.js';
import type { AlertChange, NewAlert, StoredAlert } from '../alerts-store.js';
import { evaluateRule } from '../evaluate.js';
import { alertFingerprint } from '../fingerprint.js';
import { alertLabels } from '../labels.js';
import { advanceAlert, type AlertInstance, type Transition } from '../lifecycle.js';
import type { AlertRule, EvaluationResult, SeriesInput, SeriesState } from '../rule.js';
import { formatSeries } from '../summary.js';
import { expandAnnotations } from '../template/index.js';
import type { PassSeries } from './result.js';
import type { Mute } from './stages/silence.js';
import { changeOf, instanceOf, toDate } from './stored-alert.js';

/** The fields the dedup stage fills in (what was last notified). */
export type Bookkeeping = 'notificationCount' | 'lastNotifiedAt' | 'lastEvent';

/** One alert instance this pass moves. */
export interface AlertMove {
  /** The stored alert this updates; undefined: a new alert (see `identity`). */
  stored?: StoredAlert;
  /** A new alert's identity. */
  identity?: Omit<NewAlert, keyof AlertChange>;
  ref: { key: string; dimensions: Labels };
  instance: AlertInstance;
  transitions: Transition[];
  /** The alert after the pass, but for the notification bookkeeping (the dedup stage adds it). */
  change: Omit<AlertChange, Bookkeeping>;
  value: number | null;
  /** The alert's series in {@link StepOutcome.series}; null for an alert whose series vanished. */
  seriesIndex: number | null;
}

/** What the store holds for a rule before the step: series states and open alerts by fingerprint. */
export interface Prior {
  states: Map<string, SeriesState>;
  open: Map<string, StoredAlert>;
}

export interface StepOutcome {
  /** Series states that changed (to store). */
  states: { seriesId: string; state: SeriesState }[];
  /** Alerts moved, new ones and updates in series order, then open alerts of vanished series. */
  moves: AlertMove[];
  series: PassSeries[];
  /** Series the rule could not evaluate, and why. */
  errors: string[];
}

const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/** The rendered `summary` annotation on one line, or the generated summary when there is none or it renders empty. */
function summaryOf(annotation: string | undefined, generated: string): string {
  const line = annotation?.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return line ? line : generated;
}

/**
 * Evaluates `rule` over every input and moves each series' alert through the lifecycle. With
 * `complete` (the read was not truncated), open alerts of series no longer seen resolve.
 */
export function step(orgId: string, rule: AlertRule, prior: Prior, inputs: readonly SeriesInput[], mute: Mute, nowMs: number, complete: boolean): StepOutcome {
  const out: StepOutcome = { states: [], moves: [], series: [], errors: [] };
  const seen = new Set<string>();
  for (const input of inputs) {
    const dims = input.dimensions;
    const fingerprint = alertFingerprint(orgId, rule.id, { key: input.key, dimensions: dims });
    seen.add(fingerprint);
    const existing = prior.open.get(fingerprint);
    let result: EvaluationResult;
    try {
      result = evaluateRule(rule, prior.states.get(input.seriesId), input, nowMs);
    } catch (err) {
      const error = (err as Error).message;
      out.errors.push(`${formatSeries(input.key, dims)}: ${error}`);
      out.series.push({ seriesId: input.seriesId, key: input.key, dimensions: dims, status: 'error', value: null, summary: error ?? 'evaluation failed', alertId: existing?.id ?? null, alertState: existing?.state ?? null });
      continue;
    }
    const prev = prior.states.get(input.seriesId);
    if (!prev || JSON.stringify(prev) !== JSON.stringify(result.state)) out.states.push({ seriesId: input.seriesId, state: result.state });
    const labels = alertLabels(rule, { key: input.key, dimensions: dims });
    const moved = advanceAlert(existing ? instanceOf(existing) : null, result, mute(labels), nowMs);
    out.series.push({ seriesId: input.seriesId, key: input.key, dimensions: dims, status: result.state.status, value: finite(result.value), summary: result.summary, alertId: existing?.id ?? null, alertState: moved.instance?.state ?? null });
    if (!moved.instance) continue;
    const inst = moved.instance;
    const anomalyId = typeof result.details.anomalyId === 'string' ? result.details.anomalyId : null;
    const stored = existing && !moved.newInstance ? existing : undefined;
    // Annotations are templates over the alert's labels and value; a rendered `summary` annotation is the alert's summary.
    const annotations = expandAnnotations(rule.annotations, { labels, value: result.value });
    const fields = {
      state: inst.state,
      severity: rule.severity,
      labels,
      annotations,
      value: finite(result.value),
      summary: summaryOf(annotations.summary, result.summary),
      details: result.details,
      anomalyId: anomalyId ?? stored?.anomalyId ?? null,
      firedAt: toDate(inst.firedAtMs),
      endedAt: toDate(inst.resolvedAtMs),
      silenceId: inst.silenceId,
      acknowledgedAt: toDate(inst.acknowledgedAtMs),
      ruleName: rule.name,
    };
    const ref = { key: input.key, dimensions: dims };
    const seriesIndex = out.series.length - 1;
    if (stored) {
      const resolvedBy = inst.state === 'resolved' ? { kind: 'system' as const, id: null, comment: 'condition no longer holds' } : stored.resolvedBy;
      out.moves.push({ stored, ref, instance: inst, transitions: moved.transitions, change: { ...fields, acknowledgedBy: stored.acknowledgedBy, resolvedBy }, value: fields.value, seriesIndex });
    } else {
      const identity = { ruleId: rule.id, ruleKind: rule.condition.kind, seriesId: input.seriesId, key: input.key, dimensions: dims, fingerprint, startedAt: new Date(inst.startedAtMs) };
      out.moves.push({ identity, ref, instance: inst, transitions: moved.transitions, change: { ...fields, acknowledgedBy: null, resolvedBy: null }, value: fields.value, seriesIndex });
    }
  }
  if (complete) out.moves.push(...vanished(prior.open, seen, nowMs));
  return out;
}

/** Open alerts of series the rule no longer sees (deleted, or the selector changed) resolve. */
function vanished(open: Map<string, StoredAlert>, seen: Set<string>, nowMs: number): AlertMove[] {
  const comment = 'the series no longer matches the rule';
  const moves: AlertMove[] = [];
  for (const [fingerprint, a] of open) {
    if (seen.has(fingerprint)) continue;
    const moved = advanceAlert(instanceOf(a), { state: { status: 'inactive', activeSinceMs: null } }, null, nowMs);
    const inst = moved.instance!;
    moves.push({
      stored: a,
      ref: { key: a.key, dimensions: a.dimensions },
      instance: inst,
      transitions: moved.transitions.map((t) => ({ ...t, actor: { ...t.actor, comment } })),
      change: { ...changeOf(a), state: inst.state, endedAt: toDate(inst.resolvedAtMs), silenceId: null, resolvedBy: { kind: 'system', id: null, comment } },
      value: a.value,
      seriesIndex: null,
    });
  }
  return moves;
}
