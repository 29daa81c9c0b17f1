// The functions a template may call: Go text/template's built-ins that fit the data (comparisons,
// and/or/not, len, index, print, printf) and Prometheus' alerting functions. Each states its
// argument count, checked when the template is parsed. Regular expressions run on RE2 (linear time).
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import { patternProblem } from '../../core/pattern.js';
import { formatDefault, sprintf, TemplateCallError } from './gofmt.js';
import { humanize, humanize1024, humanizeDuration, humanizePercentage, humanizeTimestamp } from './humanize.js';
import { GoInt, TemplateRoot, goTypeName, isMap, truth, type Value } from './value.js';

/** Longest string a function may build (a template's whole output is bounded the same way). */
export const maxValueLength = 4096;

export interface TemplateFunction {
  /** Fewest and most arguments (a piped value counts as the last one). */
  min: number;
  max: number;
  /** The first argument is a regular expression: a literal one is checked when the template is parsed. */
  pattern?: boolean;
  /** and/or: arguments are evaluated lazily by the evaluator, which implements them. */
  lazy?: boolean;
  call(args: Value[]): Value;
}

// ————————————————————————————————————— conversions —————————————————————————————————————

function str(v: Value): string {
  if (typeof v === 'string') return v;
  if (v === null) throw new TemplateCallError('invalid value; expected string');
  throw new TemplateCallError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

/** Go strconv.ParseFloat's decimal syntax (with Inf, Infinity and NaN in any case). */
function parseFloat64(s: string): number {
  const m = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (m) return m[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) throw new TemplateCallError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
    return v;
  }
  throw new TemplateCallError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** Prometheus' ConvertToFloat: numbers as they are, strings parsed. */
function toFloat(v: Value): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoInt) return v.n;
  if (typeof v === 'string') return parseFloat64(v);
  throw new TemplateCallError(`can't convert ${goTypeName(v)} to float`);
}

// ————————————————————————————————————— comparisons —————————————————————————————————————

type Basic = 'bool' | 'number' | 'string';

function basicKind(v: Value): Basic {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || v instanceof GoInt) return 'number';
  throw new TemplateCallError('invalid type for comparison');
}

const num = (v: Value): number => (v instanceof GoInt ? v.n : (v as number));

/** Go's eq for two values; ints and floats compare by value (Go refuses the mix). */
function equal(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  if (isMap(a) || a instanceof TemplateRoot || isMap(b) || b instanceof TemplateRoot) throw new TemplateCallError(`non-comparable type ${goTypeName(isMap(a) || a instanceof TemplateRoot ? a : b)}`);
  const ka = basicKind(a);
  if (ka !== basicKind(b)) throw new TemplateCallError('incompatible types for comparison');
  return ka === 'number' ? num(a) === num(b) : a === b;
}

function less(a: Value, b: Value): boolean {
  const ka = basicKind(a);
  if (ka === 'bool') throw new TemplateCallError('invalid type for comparison');
  if (ka !== basicKind(b)) throw new TemplateCallError('incompatible types for comparison');
  return ka === 'number' ? num(a) < num(b) : (a as string) < (b as string);
}

// ————————————————————————————————————— strings —————————————————————————————————————

/** Per code point case mapping, as Go's strings.ToUpper/ToLower (ß stays ß; no special casing). */
function mapCase(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

const wordChar = /[\p{L}\p{M}\p{Nd}_]/u;
const midLetter = new Set(["'", '.', ':', '’', '·']);

/**
 * Upper-cases the first letter of each word and leaves the rest (Prometheus' `title`:
 * cases.Title with NoLower). Words break as Unicode's word segmentation does for common text:
 * `aa bb-cc` → `Aa Bb-Cc`, but `foo.bar`, `don't`, `1st` and `a_b` stay one word.
 */
function title(s: string): string {
  const chars = [...s];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const prev = chars[i - 1];
    const joined = prev !== undefined && (wordChar.test(prev) || (midLetter.has(prev) && /\p{L}/u.test(chars[i - 2] ?? '') && /\p{L}/u.test(ch)));
    out += !joined && /\p{L}/u.test(ch) ? mapCase(ch, true) : ch;
  }
  return out;
}

/** Go's net.SplitHostPort, or null when the text is not host:port. */
function splitHostPort(hp: string): { host: string; port: string } | null {
  const i = hp.lastIndexOf(':');
  if (i < 0) return null;
  let host: string;
  let j = 0;
  let k = 0;
  if (hp[0] === '[') {
    const end = hp.indexOf(']');
    if (end < 0 || end + 1 !== i) return null;
    host = hp.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hp.slice(0, i);
    if (host.includes(':')) return null;
  }
  if (hp.indexOf('[', j) >= 0 || hp.indexOf(']', k) >= 0) return null;
  return { host, port: hp.slice(i + 1) };
}

function stripPort(hp: string): string {
  return splitHostPort(hp)?.host ?? hp;
}

function stripDomain(hp: string): string {
  const split = splitHostPort(hp);
  const host = split?.host ?? hp;
  if (isIP(host) !== 0) return hp;
  const short = host.split('.')[0]!;
  if (!split || split.port === '') return short;
  return short.includes(':') ? `[${short}]:${split.port}` : `${short}:${split.port}`;
}

/** Go's url.QueryEscape: spaces as `+`, everything but letters, digits and `-_.~` percent-encoded. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

// ————————————————————————————————————— regular expressions —————————————————————————————————————

const compiled = new Map<string, RE2JS>();

/** The pattern compiled by RE2 (Go's regexp syntax, unanchored as Go's MatchString); refused as the platform's patterns are. */
function regex(pattern: string): RE2JS {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  const problem = patternProblem(pattern);
  if (problem !== null) throw new TemplateCallError(`not a valid RE2 pattern: ${problem}`);
  if (compiled.size >= 500) compiled.delete(compiled.keys().next().value!);
  const re = RE2JS.compile(pattern);
  compiled.set(pattern, re);
  return re;
}

/** Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; unknown or unmatched groups are empty. */
function expand(repl: string, group: (name: string | number) => string | null): string {
  let out = '';
  let i = 0;
  while (i < repl.length) {
    const d = repl.indexOf('$', i);
    if (d < 0) break;
    out += repl.slice(i, d);
    i = d + 1;
    if (repl[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    const m = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(repl.slice(i));
    if (!m) {
      out += '$';
      continue;
    }
    i += m[0].length;
    const name = m[1] ?? m[2]!;
    const n = /^\d+$/.test(name) && name.length < 9 ? Number(name) : -1;
    try {
      out += group(n >= 0 ? n : name) ?? '';
    } catch {
      // A group the pattern does not have expands to nothing, as in Go.
    }
  }
  return out + repl.slice(i);
}

/** Go's Regexp.ReplaceAllString, with the result bounded by {@link maxValueLength}. */
function replaceAll(pattern: string, repl: string, text: string): string {
  const re = regex(pattern);
  const m = re.matcher(text);
  let out = '';
  let lastEnd = 0;
  let search = 0;
  while (search <= text.length && m.find(search)) {
    const start = m.start();
    const end = m.end();
    out += text.slice(lastEnd, start);
    // As Go: no replacement for an empty match right after the previous match.
    if (end > lastEnd || start === 0) out += expand(repl, (g) => (typeof g === 'number' && g > m.groupCount() ? null : m.group(g)));
    if (out.length > maxValueLength) throw new TemplateCallError(`result longer than ${maxValueLength} characters`);
    lastEnd = end;
    const width = search < text.length ? (text.codePointAt(search)! > 0xffff ? 2 : 1) : 1;
    search = search + width > end ? search + width : end;
  }
  out += text.slice(lastEnd);
  if (out.length > maxValueLength) throw new TemplateCallError(`result longer than ${maxValueLength} characters`);
  return out;
}

// ————————————————————————————————————— the table —————————————————————————————————————

const fixed = (n: number, call: (args: Value[]) => Value): TemplateFunction => ({ min: n, max: n, call });
const float1 = (f: (v: number) => string) => fixed(1, ([v]) => f(toFloat(v!)));
const str1 = (f: (s: string) => string) => fixed(1, ([v]) => f(str(v!)));

/** Go's fmt.Sprint: a space between operands when neither side is a string. */
function sprint(args: Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatDefault(a);
  });
  return out;
}

const bounded = (s: string): string => {
  if (s.length > maxValueLength) throw new TemplateCallError(`result longer than ${maxValueLength} characters`);
  return s;
};

export const templateFunctions: Readonly<Record<string, TemplateFunction>> = Object.freeze({
  // Go built-ins.
  and: { min: 1, max: Infinity, lazy: true, call: (a) => a.find((v) => !truth(v)) ?? a[a.length - 1]! },
  or: { min: 1, max: Infinity, lazy: true, call: (a) => a.find((v) => truth(v)) ?? a[a.length - 1]! },
  not: fixed(1, ([v]) => !truth(v!)),
  len: fixed(1, ([v]) => {
    if (typeof v === 'string') return new GoInt(Buffer.byteLength(v, 'utf8'));
    if (isMap(v!)) return new GoInt(v.size);
    throw new TemplateCallError(`len of type ${goTypeName(v!)}`);
  }),
  index: {
    min: 1,
    max: Infinity,
    call: ([item, ...keys]) => {
      let v = item!;
      for (const k of keys) {
        if (v === null) throw new TemplateCallError('index of untyped nil');
        if (!isMap(v)) throw new TemplateCallError(`can't index item of type ${goTypeName(v)}`);
        if (typeof k !== 'string') throw new TemplateCallError(`value has type ${goTypeName(k)}; should be string`);
        v = v.get(k) ?? '';
      }
      return v;
    },
  },
  eq: { min: 2, max: Infinity, call: ([a, ...bs]) => bs.some((b) => equal(a!, b)) },
  ne: fixed(2, ([a, b]) => !equal(a!, b!)),
  lt: fixed(2, ([a, b]) => less(a!, b!)),
  le: fixed(2, ([a, b]) => less(a!, b!) || equal(a!, b!)),
  // As Go: gt is "not le" and ge "not lt" (so a NaN value is greater than anything).
  gt: fixed(2, ([a, b]) => !(less(a!, b!) || equal(a!, b!))),
  ge: fixed(2, ([a, b]) => !less(a!, b!)),
  print: { min: 0, max: Infinity, call: (a) => bounded(sprint(a)) },
  println: { min: 0, max: Infinity, call: (a) => bounded(a.map(formatDefault).join(' ') + '\n') },
  printf: { min: 1, max: Infinity, call: ([f, ...a]) => bounded(sprintf(str(f!), a)) },
  // Prometheus' functions.
  humanize: float1(humanize),
  humanize1024: float1(humanize1024),
  humanizeDuration: float1(humanizeDuration),
  humanizePercentage: float1(humanizePercentage),
  humanizeTimestamp: float1(humanizeTimestamp),
  toUpper: str1((s) => mapCase(s, true)),
  toLower: str1((s) => mapCase(s, false)),
  title: str1(title),
  stripPort: str1(stripPort),
  stripDomain: str1(stripDomain),
  safeHtml: str1((s) => s),
  urlQueryEscape: str1(queryEscape),
  match: { min: 2, max: 2, pattern: true, call: ([p, s]) => regex(str(p!)).matcher(str(s!)).find() },
  reReplaceAll: { min: 3, max: 3, pattern: true, call: ([p, r, s]) => replaceAll(str(p!), str(r!), str(s!)) },
});

/** The function called `name`, or undefined (`hasOwn`: `constructor` and friends are not functions). */
export function templateFunction(name: string): TemplateFunction | undefined {
  return Object.hasOwn(templateFunctions, name) ? templateFunctions[name] : undefined;
}
