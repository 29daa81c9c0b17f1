// Words, colours and one-line renderings shared by the human-facing channels (email, Slack), so an
// alert reads the same everywhere.
import type { AlertEvent, AlertNotification, AlertSeverity } from './notifier.js';
import { clip } from './secrets.js';
import type { Labels } from '../core/labels.js';
import { createHash } from 'node:crypto';

type Alert = AlertNotification['alert'];

export const eventLabel: Record<AlertEvent, string> = {
  firing: 'FIRING',
  acknowledged: 'ACKNOWLEDGED',
  resolved: 'RESOLVED',
  test: 'TEST',
};

const severityEmoji: Record<AlertSeverity, string> = { critical: '🔴', error: '🟠', warning: '🟡', info: '🔵' };
const severityColour: Record<AlertSeverity, string> = { critical: '#d32f2f', error: '#ef6c00', warning: '#f9a825', info: '#1976d2' };

/** Firing alerts take their severity's emoji; the other events have their own. */
export function eventEmoji(n: AlertNotification): string {
  if (n.event === 'firing') return severityEmoji[n.alert.severity];
  return { acknowledged: '👀', resolved: '✅', test: '🧪' }[n.event];
}

/** Accent colour (CSS hex), same rule as {@link eventEmoji}. */
export function eventColour(n: AlertNotification): string {
  if (n.event === 'firing') return severityColour[n.alert.severity];
  return { acknowledged: '#7b1fa2', resolved: '#2e7d32', test: '#607d8b' }[n.event];
}

/** `[FIRING] critical: High CPU`. */
export function title(n: AlertNotification): string {
  return `[${eventLabel[n.event]}] ${n.alert.severity}: ${n.alert.ruleName}`;
}

/** `[FIRING] critical: High CPU — cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)`, one line, at most `max` characters. */
export function headline(n: AlertNotification, max = 200): string {
  return clip(oneLine(`${title(n)} — ${n.alert.summary}`), max);
}

/** `host=web-1, region=eu`, keys sorted; `—` when there are none. */
export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.length ? keys.map((k) => `${k}=${labels[k]}`).join(', ') : '—';
}

/** A value with up to 6 significant digits, `—` when there is none. */
export function formatValue(v: number | null): string {
  if (v === null) return '—';
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** One sentence on what the event means for the reader. */
export function eventSentence(n: AlertNotification): string {
  const a = n.alert;
  switch (n.event) {
    case 'firing':
      return `The alert is firing since ${a.startsAt}.`;
    case 'acknowledged':
      return `The alert was acknowledged${actorPhrase(a)}.`;
    case 'resolved':
      return `The alert resolved${a.endsAt ? ` at ${a.endsAt}` : ''}${actorPhrase(a)}.`;
    case 'test':
      return 'This is a test notification sent to check the channel; no action is needed.';
  }
}

function actorPhrase(a: Alert): string {
  if (!a.actor) return '';
  if (a.actor.kind === 'system') return ' automatically';
  return a.actor.id ? ` by ${a.actor.kind} ${a.actor.id}` : ` by a ${a.actor.kind}`;
}

/** Line breaks and other control characters become spaces (subjects, headers, Slack headers). */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** `url` when it is an absolute http(s) URL, else null: only such links are rendered clickable. */
export function safeLink(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

// ——————————————————————————————— groups (Alertmanager-style) ———————————————————————————————

type Group = NonNullable<AlertNotification['group']>;

/** The group's alerts that fire and that resolved (of those listed). */
export function groupCounts(g: Group): { firing: number; resolved: number } {
  const resolved = g.alerts.filter((a) => a.state === 'resolved').length;
  return { firing: g.alerts.length - resolved, resolved };
}

/** Labels every listed alert of the group shares (Alertmanager's CommonLabels). */
export function commonLabels(g: Group): Labels {
  const [first, ...rest] = g.alerts;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first.labels).filter(([k, v]) => rest.every((a) => Object.hasOwn(a.labels, k) && a.labels[k] === v)));
}

/**
 * Alertmanager's default title: `[FIRING:3] <group label values> (<other common label values>)`,
 * values in label-name order, e.g. `[FIRING:2] High CPU (cpu.usage critical web)`; `[RESOLVED] …`.
 */
export function groupTitle(g: Group): string {
  const values = (labels: Labels) => Object.keys(labels).sort().map((k) => labels[k]).join(' ');
  const common = commonLabels(g);
  const others = Object.fromEntries(Object.entries(common).filter(([k]) => !Object.hasOwn(g.labels, k)));
  const status = g.status === 'firing' ? `FIRING:${groupCounts(g).firing}` : 'RESOLVED';
  const head = values(g.labels) || g.alerts[0]?.ruleName || g.receiver;
  return oneLine(`[${status}] ${head}${Object.keys(others).length ? ` (${values(others)})` : ''}`);
}

/** One line on one alert of a group: `summary — host=web-1, … (value 0.97)`, plus when it ended. */
export function groupAlertLine(a: Alert): string {
  const ended = a.state === 'resolved' && a.endsAt ? `, resolved at ${a.endsAt}` : '';
  return oneLine(`${a.summary} — ${formatLabels(a.labels)} (value ${formatValue(a.value)}${ended})`);
}

/** What a group message says of alerts it left out. */
export function truncatedLine(g: Group, shown: number): string | null {
  const more = g.alerts.length - shown + g.truncatedAlerts;
  return more > 0 ? `… and ${more} more alert${more === 1 ? '' : 's'}` : null;
}

/** A short stable token for a group key (keys are long and hold any characters): 32 hex digits of its SHA-256. */
export function groupToken(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
