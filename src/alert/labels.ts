// The labels of an alert: what silences match on and what notifications carry.
import type { Labels } from '../core/labels.js';
import type { AlertRule } from './rule.js';

/**
 * The series' dimensions, then the rule's labels, then `__name__` = the metric key (Prometheus' name
 * for it), `alertname` = rule name and `severity` = rule severity. Later entries win on a clash: a rule
 * label overrides a dimension of the same name, and `__name__`, `alertname` and `severity` are always
 * the platform's. Built with fromEntries so a name like `__proto__` is an ordinary own key.
 */
export function alertLabels(rule: Pick<AlertRule, 'name' | 'severity' | 'labels'>, series: { key: string; dimensions: Readonly<Labels> }): Labels {
  const merged = new Map<string, string>(Object.entries(series.dimensions));
  for (const [k, v] of Object.entries(rule.labels)) merged.set(k, v);
  merged.set('__name__', series.key);
  merged.set('alertname', rule.name);
  merged.set('severity', rule.severity);
  return Object.fromEntries(merged);
}
