// Alert rules, channels, deliveries and silences as the API shows them (GET /docs/json), and what the
// forms need to know about each rule kind and channel type: fields, defaults, the body they send.
import { ApiError } from './api';
import type { Dimensions } from './types';

export type RuleSeverity = 'critical' | 'error' | 'warning' | 'info';
export const ruleSeverities: RuleSeverity[] = ['critical', 'error', 'warning', 'info'];

export type Operator = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
export const operators: { value: Operator; text: string }[] = [
  { value: 'gt', text: '> greater than' },
  { value: 'gte', text: '≥ at least' },
  { value: 'lt', text: '< less than' },
  { value: 'lte', text: '≤ at most' },
  { value: 'eq', text: '= equal to' },
  { value: 'neq', text: '≠ not equal to' },
];
export const operatorSymbol: Record<Operator, string> = { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=', neq: '≠' };

export type Condition =
  | { kind: 'threshold'; operator: Operator; value: number; forSeconds: number }
  | { kind: 'anomaly'; minSeverity: 'low' | 'medium' | 'high' | 'critical'; sensitivity: number; detectionScheduleId?: string }
  | { kind: 'forecast'; horizonHours: number; operator: Operator; value: number; level: 80 | 95 }
  | { kind: 'rate_of_change'; maxRate: number; unit: 'per_minute' | 'per_hour'; windowSeconds: number; direction: 'up' | 'down' | 'both' }
  | { kind: 'missing_data'; expectedIntervalMs: number };
export type RuleKind = Condition['kind'];

/** Each kind's name in the interface and a condition with the API's defaults (src/alert/rules/*.ts). */
export const ruleKinds: { kind: RuleKind; text: string; help: string }[] = [
  { kind: 'threshold', text: 'Threshold', help: 'The latest value compared with a fixed value, optionally for a while before it fires.' },
  { kind: 'anomaly', text: 'Anomaly', help: 'An anomaly at or above a severity, found by detection over the last day.' },
  { kind: 'forecast', text: 'Forecast', help: 'The forecast crosses a value within the horizon (the interval edge on the operator’s side).' },
  { kind: 'rate_of_change', text: 'Rate of change', help: '(last − first) / elapsed over a trailing window, beyond a maximum rate.' },
  { kind: 'missing_data', text: 'Missing data', help: 'A series stopped reporting for longer than its expected interval.' },
];
export const kindText = (k: string) => ruleKinds.find((x) => x.kind === k)?.text ?? k;

export function defaultCondition(kind: RuleKind): Condition {
  switch (kind) {
    case 'threshold':
      return { kind, operator: 'gt', value: 0, forSeconds: 0 };
    case 'anomaly':
      return { kind, minSeverity: 'medium', sensitivity: 0.5 };
    case 'forecast':
      return { kind, horizonHours: 24, operator: 'gt', value: 0, level: 95 };
    case 'rate_of_change':
      return { kind, maxRate: 1, unit: 'per_minute', windowSeconds: 600, direction: 'both' };
    case 'missing_data':
      return { kind, expectedIntervalMs: 600_000 };
  }
}

/** One line for a condition, e.g. "> 90 for 5m". */
export function conditionText(c: Condition): string {
  switch (c.kind) {
    case 'threshold':
      return `${operatorSymbol[c.operator]} ${c.value}${c.forSeconds ? ` for ${duration(c.forSeconds * 1000)}` : ''}`;
    case 'anomaly':
      return c.detectionScheduleId ? `anomaly ≥ ${c.minSeverity} (from a detection schedule)` : `anomaly ≥ ${c.minSeverity} (sensitivity ${c.sensitivity})`;
    case 'forecast':
      return `forecast ${operatorSymbol[c.operator]} ${c.value} within ${c.horizonHours}h (${c.level} %)`;
    case 'rate_of_change':
      return `${c.direction === 'both' ? '|rate|' : c.direction === 'up' ? 'rise' : 'fall'} > ${c.maxRate}${c.unit === 'per_minute' ? '/min' : '/h'} over ${duration(c.windowSeconds * 1000)}`;
    case 'missing_data':
      return `no data for ${duration(c.expectedIntervalMs)}`;
  }
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s % 86_400 === 0 && s >= 86_400) return `${s / 86_400}d`;
  if (s % 3600 === 0 && s >= 3600) return `${s / 3600}h`;
  if (s % 60 === 0 && s >= 60) return `${s / 60}m`;
  return `${s}s`;
}

export interface Rule {
  id: string;
  name: string;
  key: string;
  dimensions: Dimensions;
  severity: RuleSeverity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  evaluationIntervalSeconds: number;
  channels: string[];
  dedupWindowSeconds: number;
  repeatIntervalSeconds: number;
  enabled: boolean;
  condition: Condition;
  nextEvaluationAt: string | null;
  lastEvaluatedAt: string | null;
  lastError: string | null;
  lastSeriesCount: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface EvaluateResult {
  ruleId: string;
  evaluatedAt: string;
  seriesCount: number;
  truncated: boolean;
  series: { seriesId: string; key: string; dimensions: Dimensions; status: string; value: number | null; summary: string; alertId: string | null; alertState: string | null }[];
  transitions: { alertId: string; key: string; dimensions: Dimensions; from: string | null; to: string; at: string; summary: string }[];
  notifications: number;
  errors: string[];
}

export type ChannelType = 'email' | 'slack' | 'webhook' | 'pagerduty' | 'alertmanager';

/** Channel types that refuse `grouping` (src/alert/grouping/config.ts): an Alertmanager groups alerts itself. */
export const typesWithoutGrouping: readonly ChannelType[] = ['alertmanager'];

/** The bodies a webhook channel can send (src/notify/webhook/notifier.ts): the platform's own, or Alertmanager's webhook message. */
export type WebhookFormat = 'intentvision' | 'alertmanager';
export const webhookFormats: { value: WebhookFormat; text: string }[] = [
  { value: 'intentvision', text: 'IntentVision (default)' },
  { value: 'alertmanager', text: 'Alertmanager webhook (version 4)' },
];

/** An alertmanager channel's configuration as the API shows it: password and token redacted. */
export interface AlertmanagerChannelConfig {
  url: string;
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
}

/** Alertmanager-style grouping of a channel's notifications (seconds); null on a channel: one message per alert event. */
export interface ChannelGrouping {
  groupBy: string[];
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
}

export interface Channel {
  id: string;
  name: string;
  type: ChannelType;
  config: Record<string, unknown>;
  enabled: boolean;
  grouping: ChannelGrouping | null;
  createdAt: string;
  updatedAt: string;
}

export interface ChannelTest {
  deliveryId: string;
  ok: boolean;
  status: number | null;
  classification: string;
  error: string | null;
  durationMs: number;
}

export interface Attempt {
  attempt: number;
  at: string;
  ok: boolean;
  status: number | null;
  retryable: boolean;
  error: string | null;
  classification: string;
  durationMs: number;
}

export interface Delivery {
  id: string;
  alertId: string | null;
  channelId: string;
  event: string;
  status: 'pending' | 'delivering' | 'delivered' | 'dead';
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  attemptLog?: Attempt[];
}

export type MatchOp = '=' | '!=' | '=~' | '!~';
export const matchOps: MatchOp[] = ['=', '!=', '=~', '!~'];

export interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: (Matcher & { text: string })[];
  startsAt: string;
  endsAt: string;
  comment: string;
  status: 'pending' | 'active' | 'expired';
  createdBy: { kind: string; id: string | null };
  createdAt: string;
}

export const opOf = (m: Pick<Matcher, 'isRegex' | 'isEqual'>): MatchOp => (m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=');
export const fromOp = (op: MatchOp) => ({ isRegex: op === '=~' || op === '!~', isEqual: op === '=' || op === '=~' });

/**
 * The API's per-field messages by field path without the `body.` prefix ("matchers[0].value",
 * "config.url"), so a form shows each one at its input.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return out;
  for (const d of err.details as { field?: unknown; message?: unknown }[]) {
    if (typeof d?.field !== 'string' || typeof d.message !== 'string') continue;
    const f = d.field.replace(/^body\./, '');
    out[f] = out[f] ? `${out[f]}; ${d.message}` : d.message;
  }
  return out;
}

/** "k=v, k2=v2" of a label map. */
export const pairsText = (d: Record<string, string>) =>
  Object.entries(d)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
