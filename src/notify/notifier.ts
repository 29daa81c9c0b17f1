// The contract every notification channel implements (email, slack, webhook, pagerduty): validate a
// channel's configuration, hide its secrets, and deliver one alert event. Retries, backoff and the
// record of attempts belong to the delivery engine, not to the channels. Every connection a notifier
// makes goes through the outbound guard it is given (src/net/outbound.ts).
import type { NetworkFailureClass } from '../net/failure.js';
import type { OutboundGuard } from '../net/outbound.js';
import type { Labels } from '../core/labels.js';

/** Alert severities, PagerDuty's scale (its Events API takes exactly these). */
export const alertSeverities = ['critical', 'error', 'warning', 'info'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

/** What happened to the alert: each event is delivered once per channel. */
export type AlertEvent = 'firing' | 'acknowledged' | 'resolved' | 'test';

export interface AlertNotification {
  event: AlertEvent;
  /** Unique per delivery attempt series (webhook-id, idempotency on the receiver side). */
  deliveryId: string;
  org: { id: string; name: string };
  alert: {
    id: string;
    /** Stable per (org, rule, series labels): PagerDuty dedup_key, Slack/email threading. */
    fingerprint: string;
    ruleId: string;
    ruleName: string;
    /** threshold | anomaly | forecast | rate_of_change | missing_data */
    ruleKind: string;
    severity: AlertSeverity;
    state: 'pending' | 'firing' | 'acknowledged' | 'resolved' | 'suppressed';
    /** One line for humans, e.g. "cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)". */
    summary: string;
    /** Series labels (key and dimensions) plus the rule's labels. */
    labels: Labels;
    annotations: Record<string, string>;
    /** The value that triggered or resolved the alert, when there is one. */
    value: number | null;
    /** ISO-8601. */
    startsAt: string;
    endsAt: string | null;
    /** Link to the alert in the API/dashboard. */
    url: string | null;
    /** Rule-kind details (anomaly context, forecast breach, current rate, missing duration, …). */
    details: Record<string, unknown>;
    /** Who acknowledged or resolved, and the comment, for those events. */
    actor?: { kind: 'key' | 'user' | 'system'; id: string | null; comment: string | null };
  };
  /** The platform's public URL (Alertmanager's `externalURL`); null when not configured. */
  externalUrl?: string | null;
  /**
   * Set when the channel groups alerts (Alertmanager's grouping): this one message stands for the
   * whole group, `event` is the group's status and `alert` its first alert. Channels render every
   * alert of `group.alerts`; without `group`, a notification is about `alert` alone.
   */
  group?: NotificationGroup;
}

/** A group of alerts notified together (Alertmanager's aggregation group, one per channel and groupBy values). */
export interface NotificationGroup {
  /** Stable id of the group: the channel and the values of its groupBy labels (Alertmanager's groupKey). */
  key: string;
  /** The groupBy labels and their values shared by the group's alerts. */
  labels: Labels;
  /** The channel's name (Alertmanager's receiver). */
  receiver: string;
  /** firing while any alert of the group fires, else resolved. */
  status: 'firing' | 'resolved';
  /** The alerts of this notification: firing ones first, then resolved ones, each by startsAt. */
  alerts: AlertNotification['alert'][];
  /** Alerts left out to keep the message bounded. */
  truncatedAlerts: number;
}

/**
 * What happened to an attempt, in a word: the receiver's status class, or how the connection failed.
 * With the status, it is all an attempt keeps of the receiver's answer: the answer itself is never
 * read into a result, stored or shown, since a channel pointed at an internal service would
 * otherwise read that service's replies back through the API.
 */
export type DeliveryClassification =
  | 'http_2xx'
  | 'http_3xx'
  | 'http_4xx'
  | 'http_5xx'
  | 'smtp_2xx'
  | 'smtp_4xx'
  | 'smtp_5xx'
  | 'smtp_error'
  | 'aborted'
  | 'channel_unavailable'
  | 'notifier_error'
  | NetworkFailureClass;

/** The outcome of one delivery attempt. */
export interface DeliveryResult {
  ok: boolean;
  /** HTTP status (or SMTP reply code) when the receiver answered. */
  status?: number;
  classification: DeliveryClassification;
  /** Worth retrying: network errors, timeouts, 429, 5xx (SMTP 4xx); never other 4xx. */
  retryable: boolean;
  /** Why it failed, in the platform's own words (status, error code); never the receiver's text or secrets. */
  error?: string;
  /** The receiver's Retry-After (429/503), in ms from the attempt; the backoff waits at least this long. */
  retryAfterMs?: number;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** Wall clock for signatures and timestamps (tests pass a fixed one). */
  now: Date;
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Every connection goes through it. */
  outbound: OutboundGuard;
}

/** A host the channel connects to, and the configuration field that names it. */
export interface Destination {
  /** e.g. `config.url`. */
  field: string;
  /** A URL's hostname (IPv6 in brackets) or an SMTP host, as configured. */
  host: string;
}

export interface Notifier<C = unknown> {
  /** Registry name and the channel's `type`. */
  readonly type: string;
  /**
   * Checks a raw configuration (from the API) and returns it typed; throws AppError
   * ('validation_failed', with details [{field, message}], fields like `config.url`) when invalid.
   */
  parseConfig(raw: unknown): C;
  /** The configuration as the API may show it: secrets replaced by "********" (or omitted). */
  redact(config: C): Record<string, unknown>;
  /** The hosts `config` connects to: the API refuses literal internal addresses among them at once. */
  destinations(config: C): Destination[];
  /** Delivers one event; never throws for delivery failures (returns ok: false). */
  send(config: C, notification: AlertNotification, options: SendOptions): Promise<DeliveryResult>;
}
