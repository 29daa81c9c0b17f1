// One platform alert as Alertmanager sees it: label and annotation names it accepts, its fingerprint,
// its status and Go's spelling of times. Shared by the `alertmanager` channel (API v2 alerts) and the
// webhook's `format: "alertmanager"` body, so both show an alert with the same labels and fingerprint.
// Pure functions, no clock.
import type { AlertNotification } from '../notifier.js';

type Alert = AlertNotification['alert'];
export type KV = Record<string, string>;

/** How Go's encoding/json writes the zero time.Time: Alertmanager's `endsAt` of a firing alert. */
export const goZeroTime = '0001-01-01T00:00:00Z';

/**
 * A name as Alertmanager 0.25 accepts it (`^[a-zA-Z_][a-zA-Z0-9_]*$`): every other character becomes
 * `_`, so a dimension `http.status` arrives as `http_status` instead of failing the whole post (400).
 */
export function alertmanagerName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(s) ? s : `_${s}`;
}

/**
 * `kv` with names made valid by {@link alertmanagerName}. When two names become the same, the one that
 * was already valid wins, else the first by name; `dropEmpty` leaves out empty values as Alertmanager
 * does for labels (an empty label is no label). Keys are sorted, as Go's JSON writes maps.
 */
export function alertmanagerKV(kv: Readonly<Record<string, string>>, dropEmpty: boolean): KV {
  const out = new Map<string, string>();
  const exact = new Set<string>();
  for (const name of Object.keys(kv).sort()) {
    const value = kv[name]!;
    if (dropEmpty && value === '') continue;
    const target = alertmanagerName(name);
    if (target === name) {
      out.set(target, value);
      exact.add(target);
    } else if (!out.has(target) && !exact.has(target)) {
      out.set(target, value);
    }
  }
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The alert's labels for Alertmanager: the platform's (`alertname`, `severity`, `__name__` = the metric key, the dimensions and rule labels). */
export function alertmanagerLabels(a: Alert): KV {
  return alertmanagerKV(a.labels, true);
}

/**
 * The alert's annotations for Alertmanager: the rule's, plus `summary` (the platform's one-line
 * summary) unless the rule sets its own, plus `acknowledged: "true"` while someone has acknowledged
 * it (Alertmanager has no acknowledgement; the alert stays firing there).
 */
export function alertmanagerAnnotations(a: Alert): KV {
  const extra: KV = {};
  if (!Object.hasOwn(a.annotations, 'summary') && a.summary) extra.summary = a.summary;
  if (a.state === 'acknowledged') extra.acknowledged = 'true';
  return alertmanagerKV({ ...a.annotations, ...extra }, false);
}

const fnvOffset = 0xcbf29ce484222325n;
const fnvPrime = 0x100000001b3n;
const mask64 = 0xffffffffffffffffn;
const utf8 = new TextEncoder();

/**
 * Alertmanager's fingerprint of a label set (Prometheus' `model.LabelSet.Fingerprint`): FNV-1a 64 over
 * the names in byte order, each name and value followed by the byte 0xff; 16 lower-case hex digits.
 */
export function labelsFingerprint(labels: Readonly<KV>): string {
  let h = fnvOffset;
  const add = (bytes: Uint8Array) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * fnvPrime) & mask64;
  };
  const sep = Uint8Array.of(0xff);
  const names = Object.keys(labels).map((n) => [n, utf8.encode(n)] as const);
  names.sort(([, a], [, b]) => Buffer.compare(a, b));
  for (const [name, bytes] of names) {
    add(bytes);
    add(sep);
    add(utf8.encode(labels[name]!));
    add(sep);
  }
  return h.toString(16).padStart(16, '0');
}

/** An ISO-8601 time as Go's time.Time marshals it (RFC 3339, fraction without trailing zeros): `…T12:00:00Z`, `…T12:00:00.5Z`. */
export function goTime(iso: string | Date): string {
  const s = (typeof iso === 'string' ? new Date(iso) : iso).toISOString();
  return s.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** The alerts a notification is about: its group's, or its one alert. */
export function alertsOf(n: AlertNotification): Alert[] {
  return n.group ? n.group.alerts : [n.alert];
}

/** firing or resolved, Alertmanager's only two states: an alert of a `resolved` event, or one whose state is resolved, is resolved. */
export function alertStatus(n: AlertNotification, a: Alert): 'firing' | 'resolved' {
  if (a.state === 'resolved') return 'resolved';
  return !n.group && n.event === 'resolved' ? 'resolved' : 'firing';
}

/** The status of the whole message: the group's, else the event's. */
export function notificationStatus(n: AlertNotification): 'firing' | 'resolved' {
  if (n.group) return n.group.status;
  return n.event === 'resolved' ? 'resolved' : 'firing';
}

/** When a resolved alert ended: its `endsAt`, else the time of the message. */
export function resolvedAt(a: Alert, now: Date): string {
  return a.endsAt ?? now.toISOString();
}
