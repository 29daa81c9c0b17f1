// Anomaly rules: fire on a detected anomaly at or above a severity. Anomalies are events, not levels,
// so the rule remembers the newest one it alerted on (state.lastAnomalyId / lastAnomalyAtMs) and only a
// newer one opens a new alert; an open alert stays firing while qualifying anomalies keep arriving and
// resolves after a quiet period without any. With `detectionScheduleId` the rule reads the anomalies
// that detection schedule stored (scored once, online, by the schedule) instead of detecting itself.
import { Type } from 'typebox';
import type { Severity } from '../../anomaly/severity.js';
import type { AlertRule, AnomalySample, SeriesState } from '../rule.js';
import { formatDuration, formatSeries, formatValue, iso } from '../summary.js';
import { literals, type RuleKindSpec } from './kind.js';

const severityRank: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 3, critical: 4 };

/**
 * How long (ms) after the newest qualifying anomaly the alert stays firing: max(5 evaluation
 * intervals, 10 min). An anomaly counts while now − its time < quietMs; it is also the lookback.
 */
export function quietMs(rule: Pick<AlertRule, 'evaluationIntervalSeconds'>): number {
  return Math.max(600_000, 5 * rule.evaluationIntervalSeconds * 1000);
}

/** The API path of a stored anomaly (relative: the pass knows the base URL). */
export function anomalyPath(id: string): string {
  return `/api/v1/anomalies/${encodeURIComponent(id)}`;
}

export interface AnomalyCondition {
  kind: 'anomaly';
  /** Fires on an anomaly at or above this severity. */
  minSeverity: Severity;
  /** Detection sensitivity 0..1 (default 0.5; unused with a detection schedule, which has its own). */
  sensitivity: number;
  /** Read the anomalies this detection schedule (of the rule's org) stored instead of detecting. */
  detectionScheduleId?: string;
}

/** Detection runs over this much history before now (at most {@link maxDetectionPoints}). */
export const detectionHistoryMs = 24 * 3_600_000;
export const maxDetectionPoints = 2_000;

const schema = Type.Object(
  {
    kind: Type.Literal('anomaly'),
    minSeverity: Type.Optional(literals(['low', 'medium', 'high', 'critical'] as const)),
    sensitivity: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'Detection sensitivity: higher finds more' }),
    detectionScheduleId: Type.Optional(
      Type.String({ format: 'uuid', description: 'A detection schedule of the organisation: the rule reads the anomalies it stored instead of running detection itself' }),
    ),
  },
  { additionalProperties: false, description: 'An anomaly at or above minSeverity (default medium) found by the detection ensemble (online mode)' },
);

export const anomaly: RuleKindSpec<AnomalyCondition, typeof schema> = {
  kind: 'anomaly',
  schema,
  normalise: (c) => ({ kind: 'anomaly', minSeverity: c.minSeverity ?? 'medium', sensitivity: c.sensitivity ?? 0.5, ...(c.detectionScheduleId ? { detectionScheduleId: c.detectionScheduleId } : {}) }),

  lookbackMs: (_c, rule) => quietMs(rule),

  // Detection needs history before the lookback to know what is normal; stored anomalies need no samples.
  readWindow: (rule, nowMs) =>
    rule.condition.detectionScheduleId ? { fromMs: nowMs - quietMs(rule), maxPoints: 1 } : { fromMs: nowMs - Math.max(quietMs(rule), detectionHistoryMs), maxPoints: maxDetectionPoints },

  evaluate(rule, prev, input, nowMs) {
    const c = rule.condition;
    const quiet = quietMs(rule);
    const qualifying = (input.anomalies ?? []).filter(
      (a) => a.timestampMs <= nowMs && nowMs - a.timestampMs < quiet && severityRank[a.severity] >= severityRank[c.minSeverity] && Number.isFinite(a.score),
    );
    const lastAt = lastAlertedAt(prev, input.anomalies ?? []);
    const remembered = { lastAnomalyId: prev?.lastAnomalyId ?? null, lastAnomalyAtMs: lastAt };
    const series = formatSeries(input.key, input.dimensions);
    const newest = qualifying.reduce<AnomalySample | undefined>((m, a) => (!m || a.timestampMs >= m.timestampMs ? a : m), undefined);
    const fresh = qualifying.filter((a) => lastAt === null || a.timestampMs > lastAt);
    const wasFiring = prev?.status === 'firing' && prev.activeSinceMs !== null;

    if (!newest || (!wasFiring && !fresh.length)) {
      const state: SeriesState = { status: 'inactive', activeSinceMs: null, ...remembered };
      const what = newest ? 'no new anomaly' : 'no anomaly';
      return {
        state,
        value: null,
        summary: `${series}: ${what} at or above ${c.minSeverity} in the last ${formatDuration(quiet)}`,
        details: { minSeverity: c.minSeverity, quietPeriodMs: quiet, lastAnomalyId: remembered.lastAnomalyId },
      };
    }

    // Firing: the episode began at the earliest new anomaly, or keeps the open episode's start.
    const activeSinceMs = wasFiring ? prev.activeSinceMs! : Math.min(...fresh.map((a) => a.timestampMs));
    // Remember the newest qualifying anomaly, unless the remembered one is newer (the rule's minimum
    // severity was raised since): "newer than alerted on" must never move backwards.
    const advance = lastAt === null || newest.timestampMs >= lastAt;
    const expected = newest.expected !== null && Number.isFinite(newest.expected) ? newest.expected : null;
    const expectedText = expected !== null ? `, expected ${formatValue(expected)}` : '';
    return {
      state: { status: 'firing', activeSinceMs, lastAnomalyId: advance ? newest.id : remembered.lastAnomalyId, lastAnomalyAtMs: advance ? newest.timestampMs : lastAt },
      value: newest.score,
      summary: `${series}: ${newest.severity} anomaly at ${iso(newest.timestampMs)} (value ${formatValue(newest.value)}${expectedText}, score ${formatValue(newest.score)})`,
      details: {
        anomalyId: newest.id,
        link: anomalyPath(newest.id),
        at: iso(newest.timestampMs),
        value: newest.value,
        expected,
        score: newest.score,
        severity: newest.severity,
        methods: newest.methods,
        context: newest.context,
        minSeverity: c.minSeverity,
        anomalyCount: qualifying.length,
        activeSince: iso(activeSinceMs),
      },
    };
  },
};

/**
 * Time of the anomaly last alerted on: the remembered timestamp, else that of the remembered id among
 * the input's anomalies; an id no longer in the input has left the window, so everything there is newer.
 */
function lastAlertedAt(prev: SeriesState | undefined, anomalies: readonly AnomalySample[]): number | null {
  if (prev?.lastAnomalyAtMs != null) return prev.lastAnomalyAtMs;
  if (prev?.lastAnomalyId == null) return null;
  return anomalies.find((a) => a.id === prev.lastAnomalyId)?.timestampMs ?? null;
}
