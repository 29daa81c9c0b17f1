// The alerting contract shared by rule evaluation (./rules/*), the lifecycle (./lifecycle.ts), the
// manager that runs them against the store, and the API. Evaluation is a pure function of
// (rule, previous state of one series, that series' samples, now): no I/O, no clock.
import type { Severity as AnomalySeverity } from '../anomaly/severity.js';
import type { AlertSeverity } from '../notify/notifier.js';

export type { AlertSeverity };

export const ruleKinds = ['threshold', 'anomaly', 'forecast', 'rate_of_change', 'missing_data'] as const;
export type RuleKind = (typeof ruleKinds)[number];

export const operators = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type Operator = (typeof operators)[number];

export interface ThresholdCondition {
  kind: 'threshold';
  operator: Operator;
  value: number;
  /** The condition must hold this long before the alert fires (pending until then); 0 fires at once. */
  forSeconds: number;
}

export interface AnomalyCondition {
  kind: 'anomaly';
  /** Fires on an anomaly at or above this severity. */
  minSeverity: AnomalySeverity;
  /** Detection sensitivity 0..1 (default 0.5). */
  sensitivity: number;
}

export interface ForecastCondition {
  kind: 'forecast';
  /** Look this far ahead (hours, > 0). */
  horizonHours: number;
  operator: Operator;
  value: number;
  /** Which interval must cross: the bound on the side of the operator (gt/gte: upper, lt/lte: lower). */
  level: 80 | 95;
}

export interface RateOfChangeCondition {
  kind: 'rate_of_change';
  /** Fires when |rate| (per unit) exceeds this, in the given direction. */
  maxRate: number;
  unit: 'per_minute' | 'per_hour';
  /** The rate is measured over this trailing window: (last − first) / elapsed, scaled to the unit. */
  windowSeconds: number;
  /** Default 'both'. */
  direction: 'up' | 'down' | 'both';
}

export interface MissingDataCondition {
  kind: 'missing_data';
  /** Fires when no point arrived for this long (ms); resolves by itself when data arrives. */
  expectedIntervalMs: number;
}

export type RuleCondition = ThresholdCondition | AnomalyCondition | ForecastCondition | RateOfChangeCondition | MissingDataCondition;

export interface AlertRule {
  id: string;
  orgId: string;
  name: string;
  /** Metric key the rule watches. */
  key: string;
  /** Dimension filter (subset match); every matching series gets its own alert instance. */
  dimensions: Record<string, string>;
  severity: AlertSeverity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  evaluationIntervalSeconds: number;
  /** Notification channel ids. */
  channels: string[];
  /** While an alert stays open, repeated firings within this window send nothing. */
  dedupWindowSeconds: number;
  /** Re-notify an alert that has been open this long since its last notification (0 = never). */
  repeatIntervalSeconds: number;
  enabled: boolean;
  condition: RuleCondition;
}

/** One anomaly as the anomaly rule sees it (already detected and stored by the manager). */
export interface AnomalySample {
  id: string;
  timestampMs: number;
  value: number;
  expected: number | null;
  score: number;
  severity: AnomalySeverity;
  methods: { name: string; score: number; weight: number; flagged: boolean }[];
  context: unknown;
}

/** A forecast as the forecast rule sees it: future steps with the interval at the rule's level. */
export interface ForecastSample {
  timestampsMs: Float64Array;
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  level: 80 | 95;
  /** Model that produced it, for the payload. */
  model: string;
}

/** Everything evaluation needs about one series, read by the manager before calling `evaluate`. */
export interface SeriesInput {
  /** Stable series identity (the store's series id as a string). */
  seriesId: string;
  key: string;
  dimensions: Record<string, string>;
  /** Recent points, ascending by time (ms). The manager reads enough for the rule's windows. */
  timestampsMs: Float64Array;
  values: Float64Array;
  /** Time of the newest point ever stored for the series (may be older than every sample); null if none. */
  lastSeenMs: number | null;
  /** anomaly rules: anomalies detected in the recent window, ascending by time. */
  anomalies?: AnomalySample[];
  /** forecast rules: the forecast from now on, or null when there is too little history. */
  forecast?: ForecastSample | null;
}

/** The condition's status for one series: not the alert's lifecycle state (see ./lifecycle.ts). */
export type ConditionStatus = 'inactive' | 'pending' | 'firing';

/** What evaluation remembers per (rule, series) between passes. */
export interface SeriesState {
  status: ConditionStatus;
  /** When the condition started to hold (pending since), ms; null when inactive. */
  activeSinceMs: number | null;
  /** anomaly rules: the newest anomaly already alerted on, so the same one does not fire twice. */
  lastAnomalyId?: string | null;
  /** anomaly rules: the timestamp (ms) of that anomaly, so "newer" survives it leaving the lookback window. */
  lastAnomalyAtMs?: number | null;
}

export interface EvaluationResult {
  state: SeriesState;
  /** The value that decided (the latest value, the rate, the predicted value, the anomaly's score…); null if none. */
  value: number | null;
  /** One line for humans, e.g. "cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)". */
  summary: string;
  /** Rule-kind details for the payload (anomaly context and link id, breach time, current rate, missing duration). */
  details: Record<string, unknown>;
}
