// A channel's grouping settings (Alertmanager's group_by, group_wait, group_interval, repeat_interval):
// their shape, defaults and validation. Pure.
import { AppError } from '../../core/errors.js';
import { metricKeyPattern } from '../../core/labels.js';

/** How a channel groups the alerts it is told of; null on a channel: one message per alert event. */
export interface Grouping {
  /** Label names whose values make the group, or exactly `["..."]`: every distinct label set is its own group. */
  groupBy: string[];
  /** Wait before a new group's first notification, s (Alertmanager's group_wait). */
  groupWaitSeconds: number;
  /** Wait between looks at a group after its first notification, s (group_interval). */
  groupIntervalSeconds: number;
  /** Re-send a group whose alerts still fire after this long, s (repeat_interval). */
  repeatIntervalSeconds: number;
}

/** Alertmanager's defaults: 30 s, 5 min, 4 h. */
export const groupingDefaults = { groupWaitSeconds: 30, groupIntervalSeconds: 300, repeatIntervalSeconds: 14_400 } as const;

/** Bounds of the settings, s; groupBy has at most `groupByNames` names. */
export const groupingLimits = { groupWaitSeconds: [0, 86_400], groupIntervalSeconds: [1, 86_400], repeatIntervalSeconds: [1, 30 * 86_400], groupByNames: 32 } as const;

/** The group-by value that makes every label set its own group. */
export const allLabels = '...';

/** Channel types that refuse grouping: an Alertmanager groups (and times) alerts itself. */
export const typesWithoutGrouping: readonly string[] = ['alertmanager'];

type Detail = { field: string; message: string };

/**
 * Checks a grouping setting as given in a request body (`undefined` and `null` stay as they are)
 * and fills in the defaults; throws AppError `validation_failed` naming `field` (e.g.
 * `body.grouping.groupBy[1]`) when it is not valid for a channel of `type`.
 */
export function parseGrouping(raw: unknown, type: string, field = 'body.grouping'): Grouping | null | undefined {
  if (raw === undefined || raw === null) return raw;
  const fail = (details: Detail[]): never => {
    throw new AppError('validation_failed', `Invalid grouping: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details);
  };
  if (typesWithoutGrouping.includes(type)) fail([{ field, message: `is not allowed for a channel of type ${type}: it groups alerts itself` }]);
  if (typeof raw !== 'object' || Array.isArray(raw)) return fail([{ field, message: 'must be an object or null' }]);
  const o = raw as Record<string, unknown>;
  const details: Detail[] = [];
  const known = ['groupBy', 'groupWaitSeconds', 'groupIntervalSeconds', 'repeatIntervalSeconds'];
  for (const k of Object.keys(o)) if (!known.includes(k)) details.push({ field: `${field}.${k}`, message: 'is not a grouping setting' });

  const groupBy = o.groupBy;
  if (!Array.isArray(groupBy) || groupBy.length === 0) details.push({ field: `${field}.groupBy`, message: 'must be a non-empty array of label names, or ["..."] for all labels' });
  else if (groupBy.length > groupingLimits.groupByNames) details.push({ field: `${field}.groupBy`, message: `must have at most ${groupingLimits.groupByNames} names` });
  else {
    const seen = new Set<string>();
    groupBy.forEach((name, i) => {
      const f = `${field}.groupBy[${i}]`;
      if (name === allLabels) {
        if (groupBy.length > 1) details.push({ field: f, message: '"..." groups by all labels and must be the only entry' });
      } else if (typeof name !== 'string' || !metricKeyPattern.test(name)) details.push({ field: f, message: 'must be a label name (a letter or _, then letters, digits, _ . : -)' });
      else if (seen.has(name)) details.push({ field: f, message: 'is repeated' });
      if (typeof name === 'string') seen.add(name);
    });
  }
  const seconds = (k: 'groupWaitSeconds' | 'groupIntervalSeconds' | 'repeatIntervalSeconds'): number => {
    const v = o[k];
    if (v === undefined) return groupingDefaults[k];
    const [min, max] = groupingLimits[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) details.push({ field: `${field}.${k}`, message: `must be a whole number of seconds from ${min} to ${max}` });
    return v as number;
  };
  const out: Grouping = {
    groupBy: Array.isArray(groupBy) ? (groupBy as string[]) : [],
    groupWaitSeconds: seconds('groupWaitSeconds'),
    groupIntervalSeconds: seconds('groupIntervalSeconds'),
    repeatIntervalSeconds: seconds('repeatIntervalSeconds'),
  };
  if (details.length) fail(details);
  return out;
}

/** Whether two settings group alerts the same way (same groupBy in the same order): when not, existing groups start over. */
export function sameGroupBy(a: Grouping | null, b: Grouping | null): boolean {
  if (!a || !b) return a === b;
  return a.groupBy.length === b.groupBy.length && a.groupBy.every((x, i) => x === b.groupBy[i]);
}
