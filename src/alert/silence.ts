// Silences, Alertmanager style: a time window and label matchers (=, !=, =~, !~). A silence matches an
// alert when it is active and every matcher matches the alert's labels (./labels.ts). As in
// Alertmanager, an absent label matches as the empty string, regexes are RE2 (linear time, through
// ../core/pattern.ts) anchored at both ends, and a silence needs at least one matcher that does not
// match the empty string (else it silences everything).
import type { Labels } from '../core/labels.js';
import { tryCompilePattern, patternProblem } from '../core/pattern.js';
import { AppError } from '../core/errors.js';

export interface Matcher {
  name: string;
  value: string;
  /** `=~` / `!~`: value is a regular expression (RE2 syntax, as Alertmanager's), matched against the whole label value. */
  isRegex: boolean;
  /** false: the negated operator (`!=`, `!~`). */
  isEqual: boolean;
}

/** The part of a silence matching needs; epoch ms, active when startsAtMs ≤ now < endsAtMs. */
export interface SilenceWindow {
  matchers: readonly Matcher[];
  startsAtMs: number;
  endsAtMs: number;
}

export interface FieldError {
  field: string;
  message: string;
  /** Set when the problem is a pattern RE2 refuses: the error code is then `invalid_pattern`. */
  pattern?: true;
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$/;
const maxValueLength = 1024;
const maxMatchers = 64;

/**
 * Checks matchers from the API: an array of `{name, value, isRegex?, isEqual?}` (defaults false, true)
 * or of strings `name="value"`, `name!=value`, `name=~"re"`, `name!~re` (quotes optional; a quoted
 * value is a JSON string). Throws AppError with details [{field, message}] (fields like
 * `matchers[2].value`) listing every problem: `invalid_pattern` when a regex is among them (RE2
 * refuses it: syntax, backreferences, lookarounds), else `validation_failed`.
 */
export function parseMatchers(raw: unknown, field = 'matchers'): Matcher[] {
  const errors: FieldError[] = [];
  if (!Array.isArray(raw)) throw invalid([{ field, message: 'must be an array of matchers' }]);
  if (raw.length === 0) errors.push({ field, message: 'must contain at least one matcher' });
  if (raw.length > maxMatchers) errors.push({ field, message: `at most ${maxMatchers} matchers` });
  const out: Matcher[] = [];
  raw.forEach((item, i) => {
    const at = `${field}[${i}]`;
    const m = typeof item === 'string' ? parseMatcherString(item, at, errors) : parseMatcherObject(item, at, errors);
    if (m && checkMatcher(m, at, errors)) out.push(m);
  });
  if (!errors.length && out.length && out.every((m) => matcherMatches(m, {}))) {
    errors.push({ field, message: 'at least one matcher must not match the empty string, or the silence would match every alert' });
  }
  if (errors.length) throw invalid(errors);
  return out;
}

function invalid(details: FieldError[]): AppError {
  const first = details.find((d) => d.pattern) ?? details[0]!;
  return new AppError(first.pattern ? 'invalid_pattern' : 'validation_failed', `${first.field} ${first.message}`, details.map(({ field, message }) => ({ field, message })));
}

function parseMatcherObject(item: unknown, at: string, errors: FieldError[]): Matcher | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    errors.push({ field: at, message: 'must be an object {name, value, isRegex, isEqual} or a string like name="value"' });
    return null;
  }
  const o = item as Record<string, unknown>;
  let ok = true;
  for (const [k, type] of [['name', 'string'], ['value', 'string'], ['isRegex', 'boolean'], ['isEqual', 'boolean']] as const) {
    const required = type === 'string';
    if (o[k] === undefined ? required : typeof o[k] !== type) {
      errors.push({ field: `${at}.${k}`, message: `must be a ${type}` });
      ok = false;
    }
  }
  if (!ok) return null;
  return { name: o.name as string, value: o.value as string, isRegex: (o.isRegex as boolean | undefined) ?? false, isEqual: (o.isEqual as boolean | undefined) ?? true };
}

// Applied to the trimmed string: no two quantifiers compete for the same characters, so it runs in
// linear time (`\s*(.*?)\s*$` on the raw string was quadratic: 30,000 spaces took 0.75 s).
const matcherString = /^([^\s=!~"]+)\s*(=~|!~|!=|=)\s*(.*)$/s;
// A name, an operator and a value of maxValueLength characters, each escaped as \uXXXX in JSON.
const maxMatcherStringLength = 200 + 2 + 2 + 6 * maxValueLength;

function parseMatcherString(s: string, at: string, errors: FieldError[]): Matcher | null {
  if (s.length > maxMatcherStringLength) {
    errors.push({ field: at, message: `must be at most ${maxMatcherStringLength} characters` });
    return null;
  }
  const m = matcherString.exec(s.trim());
  if (!m) {
    errors.push({ field: at, message: 'must look like name="value", name!="value", name=~"regex" or name!~"regex"' });
    return null;
  }
  const [, name, op, rawValue] = m as unknown as [string, string, string, string];
  let value = rawValue;
  if (rawValue.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(rawValue);
      if (typeof parsed !== 'string') throw new Error('not a string');
      value = parsed;
    } catch {
      errors.push({ field: at, message: 'has a badly quoted value (use a JSON string: "…" with \\" and \\\\ escapes)' });
      return null;
    }
  }
  return { name, value, isRegex: op.endsWith('~'), isEqual: op.startsWith('=') };
}

function checkMatcher(m: Matcher, at: string, errors: FieldError[]): boolean {
  const before = errors.length;
  if (!namePattern.test(m.name)) errors.push({ field: `${at}.name`, message: `must match ${namePattern.source}` });
  if (m.value.length > maxValueLength) errors.push({ field: `${at}.value`, message: `must be at most ${maxValueLength} characters` });
  else if (m.isRegex) {
    const problem = patternProblem(m.value);
    if (problem) errors.push({ field: `${at}.value`, message: `is not a valid RE2 pattern: ${problem}`, pattern: true });
  }
  return errors.length === before;
}

/** Whether one matcher matches the labels (an absent label is the empty string). */
export function matcherMatches(m: Matcher, labels: Readonly<Labels>): boolean {
  const v = Object.hasOwn(labels, m.name) ? labels[m.name]! : '';
  if (!m.isRegex) return (v === m.value) === m.isEqual;
  // Compiled once per source (cached). A pattern RE2 refuses can only be one stored before RE2 was
  // enforced: it matches nothing, so it hides no alert.
  const re = tryCompilePattern(m.value);
  if (!re) return false;
  return re.matches(v) === m.isEqual;
}

/** Active at nowMs: startsAtMs ≤ nowMs < endsAtMs. */
export function silenceActive(s: Pick<SilenceWindow, 'startsAtMs' | 'endsAtMs'>, nowMs: number): boolean {
  return s.startsAtMs <= nowMs && nowMs < s.endsAtMs;
}

/** Whether the silence is active at nowMs and every matcher matches the alert's labels. */
export function silenceMatches(s: SilenceWindow, labels: Readonly<Labels>, nowMs: number): boolean {
  return silenceActive(s, nowMs) && s.matchers.length > 0 && s.matchers.every((m) => matcherMatches(m, labels));
}

/** The first active silence matching the labels (its id goes to advanceAlert), or null. */
export function findSilence<S extends SilenceWindow>(silences: readonly S[], labels: Readonly<Labels>, nowMs: number): S | null {
  return silences.find((s) => silenceMatches(s, labels, nowMs)) ?? null;
}

/** A matcher as text, e.g. `host=~"web-.*"` (the value as a JSON string). */
export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.isEqual ? '=' : '!'}${m.isRegex ? '~' : m.isEqual ? '' : '='}${JSON.stringify(m.value)}`;
}
