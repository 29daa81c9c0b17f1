// Which group an alert joins on a grouped channel: the values of the channel's groupBy labels among
// the alert's labels (Alertmanager's group labels) and a stable key from them. Pure.
import type { Labels } from '../../core/labels.js';
import { allLabels } from './config.js';

/**
 * The alert's labels named by `groupBy` (only those it has, as Alertmanager does), or all of them for
 * `["..."]`; built with fromEntries so a name like `__proto__` is an ordinary own key.
 */
export function groupLabelsOf(groupBy: readonly string[], labels: Readonly<Labels>): Labels {
  if (groupBy.length === 1 && groupBy[0] === allLabels) return Object.fromEntries(Object.entries(labels));
  return Object.fromEntries(groupBy.filter((n) => Object.hasOwn(labels, n)).map((n) => [n, labels[n]!]));
}

/**
 * The group's key: the channel id and the group labels sorted by name, in Prometheus' notation with
 * values JSON-quoted, e.g. `3f…:{alertname="High CPU",env="prod"}` (Alertmanager's groupKey shape).
 */
export function groupKeyOf(channelId: string, groupLabels: Readonly<Labels>): string {
  const names = Object.keys(groupLabels).sort();
  return `${channelId}:{${names.map((n) => `${n}=${JSON.stringify(groupLabels[n])}`).join(',')}}`;
}
