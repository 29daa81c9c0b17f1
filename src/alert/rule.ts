// The alerting contract shared by rule evaluation (./rules/*), the lifecycle (./lifecycle.ts), the
// pass that runs them against the store (./pass), and the API. Evaluation is a pure function of
// (rule, previous state of one series, that series' samples, now): no I/O, no clock.
import type { Labels } from '../core/labels.js';
import type { Severity as AnomalySeverity } from '../anomaly/severity.js';
import type { RuleCondition } from './rules/index.js';
import type { AlertSeverity } from '../notify/notifier.js';

export type { AlertSeverity };

export const operators = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type Operator = (typeof operators)[number];

// Each kind's condition lives with the kind (./rules/<kind>.ts); the union follows from the registry.
export type { RuleCondition, RuleKind } from './rules/index.js';
export type { AnomalyCondition } from './rules/anomaly.js';
export type { ForecastCondition } from './rules/forecast.js';
export type { MissingDataCondition } from './rules/missing-data.js';
export type { RateOfChangeCondition } from './rules/rate-of-change.js';
export type { ThresholdCondition } from './rules/threshold.js';

export interface AlertRule {
  id: string;
  orgId: string;
  name: string;
  /** Metric key the rule watches. */
  key: string;
  /** Dimension filter (subset match); every matching series gets its own alert instance. */
  dimensions: Labels;
  severity: AlertSeverity;
  labels: Labels;
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

/** One anomaly as the anomaly rule sees it (already detected and stored by the pass: ./pass/derive.ts). */
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

/** Everything evaluation needs about one series, read by the pass before calling `evaluate`. */
export interface SeriesInput {
  /** Stable series identity (the store's series id as a string). */
  seriesId: string;
  key: string;
  dimensions: Labels;
  /** Recent points, ascending by time (ms). The pass reads enough for the rule's windows. */
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
