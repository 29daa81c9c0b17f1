// Label-set helpers the evaluator uses: identity keys, Prometheus' sort order, matcher tests.
import type { Labels } from '../core/labels.js';
import { compilePattern } from '../core/pattern.js';
import type { LabelMatcher } from './types.js';

export const metricNameLabel = '__name__';

/** A string identifying a label set (names sorted; separators no label text contains). */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let s = '';
  for (const n of names) s += `${n}\u0001${labels[n]}\u0000`;
  return s;
}

/** Prometheus' `labels.Compare`: label by label in name order, by name then value; a prefix sorts first. */
export function compareLabels(a: Labels, b: Labels): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an[i]!;
    const y = bn[i]!;
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x]!;
    const yv = b[y]!;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/** The labels without the metric name (what functions and arithmetic return). */
export function dropName(labels: Labels): Labels {
  if (!(metricNameLabel in labels)) return labels;
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) if (k !== metricNameLabel) out[k] = v;
  return out;
}

/** Whether a series' labels satisfy one matcher; an absent label reads as the empty string, as in Prometheus. */
export function matchesMatcher(labels: Labels, m: LabelMatcher): boolean {
  const v = labels[m.name] ?? '';
  switch (m.type) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return regexMatches(m.value, v);
    case '!~':
      return !regexMatches(m.value, v);
  }
}

/**
 * Anchored RE2 matching as Prometheus 3 does it, where `.` also matches a newline. Only values that
 * hold a newline need the dot-all form; the others keep the shared pattern's fast paths.
 */
function regexMatches(source: string, value: string): boolean {
  return compilePattern(value.includes('\n') ? `(?s:${source})` : source).matches(value);
}

export function matchesAll(labels: Labels, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((m) => matchesMatcher(labels, m));
}
