/**
 * Influx line protocol's field values and timestamps, read from a slice of the line without
 * regular expressions: floats (`1`, `-0.5`, `1e3`), integers (`12i`, signed 64-bit), unsigned
 * integers (`12u`), booleans (t/T/true/True/TRUE, f/F/false/False/FALSE) and quoted strings.
 * Pure functions, no I/O.
 */

/** Timestamp units: v2's ns|us|ms|s and v1's n|u|ms|s|m|h, normalised. */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

/** The precision a `precision=` parameter names (v1 and v2 spellings), or undefined. */
export function precisionOf(raw: string, flavour: 'v1' | 'v2'): Precision | undefined {
  if (flavour === 'v2') return raw === 'ns' || raw === 'us' || raw === 'ms' || raw === 's' ? raw : undefined;
  switch (raw) {
    case 'n':
    case 'ns':
      return 'ns';
    case 'u':
    case 'us':
    case 'µ':
      return 'us';
    case 'ms':
    case 's':
    case 'm':
    case 'h':
      return raw;
    default:
      return undefined;
  }
}

export type FieldValue = { kind: 'number'; value: number } | { kind: 'error'; message: string };

const zero = 48;
const nine = 57;
const minus = 45;

function isDigit(c: number): boolean {
  return c >= zero && c <= nine;
}

/** Whether `digits` (no sign, no leading zeros) is at most `max`, both decimal strings. */
function withinDigits(digits: string, max: string): boolean {
  return digits.length < max.length || (digits.length === max.length && digits <= max);
}

function stripZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === zero) i++;
  return i ? s.slice(i) : s;
}

/** `t[s,e)` consists of decimal digits only, at least one. */
function allDigits(t: string, s: number, e: number): boolean {
  if (s >= e) return false;
  for (let i = s; i < e; i++) if (!isDigit(t.charCodeAt(i))) return false;
  return true;
}

/**
 * A float as line protocol writes it: optional `-`, digits with an optional `.` (at least one
 * digit), an optional exponent `e`/`E`, sign, digits. NaN, Inf and hex are not numbers here.
 */
function isFloatSyntax(t: string, s: number, e: number): boolean {
  let i = s;
  if (i < e && t.charCodeAt(i) === minus) i++;
  let digits = 0;
  while (i < e && isDigit(t.charCodeAt(i))) (i++, digits++);
  if (i < e && t.charCodeAt(i) === 46 /* . */) {
    i++;
    while (i < e && isDigit(t.charCodeAt(i))) (i++, digits++);
  }
  if (digits === 0) return false;
  if (i < e && (t.charCodeAt(i) | 32) === 101 /* e */) {
    i++;
    if (i < e && (t.charCodeAt(i) === 43 || t.charCodeAt(i) === minus)) i++;
    if (!allDigits(t, i, e)) return false;
    return true;
  }
  return i === e;
}

/** Booleans are stored as 1 and 0 (none of their spellings ends in `i` or `u`). */
const booleans = new Map([['t', 1], ['T', 1], ['true', 1], ['True', 1], ['TRUE', 1], ['f', 0], ['F', 0], ['false', 0], ['False', 0], ['FALSE', 0]]);

/** The unquoted field value `t[s,e)`: a number (booleans as 1 and 0) or why it is none. */
export function readUnquotedValue(t: string, s: number, e: number): FieldValue {
  if (s >= e) return { kind: 'error', message: 'no value' };
  const last = t.charCodeAt(e - 1);
  if (last === 105 /* i */ || last === 117 /* u */) {
    const unsigned = last === 117;
    const negative = t.charCodeAt(s) === minus;
    const from = negative ? s + 1 : s;
    if (!allDigits(t, from, e - 1) || (unsigned && negative)) {
      return { kind: 'error', message: `value ${shown(t.slice(s, e))} is not ${unsigned ? 'an unsigned' : 'an'} integer` };
    }
    const digits = stripZeros(t.slice(from, e - 1));
    const max = unsigned ? '18446744073709551615' : negative ? '9223372036854775808' : '9223372036854775807';
    if (!withinDigits(digits, max)) return { kind: 'error', message: `value ${shown(t.slice(s, e))} is out of the ${unsigned ? 'unsigned ' : ''}64-bit integer range` };
    const v = Number(digits);
    return { kind: 'number', value: negative ? -v : v };
  }
  const c = t.charCodeAt(s) | 32; // lower-cased: only t… and f… can be booleans
  if (e - s <= 5 && (c === 116 || c === 102)) {
    const b = booleans.get(t.slice(s, e));
    if (b !== undefined) return { kind: 'number', value: b };
  }
  if (!isFloatSyntax(t, s, e)) return { kind: 'error', message: `value ${shown(t.slice(s, e))} is not a number, boolean or quoted string` };
  const v = Number(t.slice(s, e));
  if (!Number.isFinite(v)) return { kind: 'error', message: `value ${shown(t.slice(s, e))} is out of the 64-bit float range` };
  return { kind: 'number', value: v };
}

/**
 * `t[s,e)` with every backslash followed by a character `escaped` accepts replaced by that character;
 * other backslashes are kept (as InfluxDB reads them).
 */
export function unescapeRange(t: string, s: number, e: number, escaped: (code: number) => boolean): string {
  // Scanned by hand within [s, e): indexOf would search the rest of the body when there is none.
  let first = s;
  while (first < e && t.charCodeAt(first) !== 92) first++;
  if (first === e) return t.slice(s, e);
  let out = t.slice(s, first);
  let i = first;
  while (i < e) {
    if (t.charCodeAt(i) === 92 /* \ */ && i + 1 < e && escaped(t.charCodeAt(i + 1))) {
      out += t[i + 1];
      i += 2;
      continue;
    }
    out += t[i];
    i++;
  }
  return out;
}

const inString = (c: number) => c === 34 /* " */ || c === 92;

/** A string field's content `t[s,e)` (between the quotes) with `\"` and `\\` unescaped. */
export function unescapeString(t: string, s: number, e: number): string {
  return unescapeRange(t, s, e, inString);
}

/** The pipeline refuses numeric timestamps before this (src/ingest/validate.ts: epoch seconds sent as ms). */
const minMs = 100_000_000_000;
/** 9999-12-31T23:59:59.999Z, the pipeline's last time. */
const maxMs = 253_402_300_799_999;

/** `range`: a well-formed timestamp outside the times the platform stores. */
export type TimestampValue = { ok: true; ms: number } | { ok: false; message: string; range: boolean };

const unitMs: Record<Precision, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const unitName: Record<Precision, string> = { ns: 'nanoseconds', us: 'microseconds', ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours' };

/**
 * The timestamp `t[s,e)` (optional `-`, digits) in `precision` units → epoch milliseconds, cut to
 * the whole millisecond (sub-millisecond digits are dropped, exactly, without float rounding).
 * Times the platform cannot store (before 1973, after 9999) are refused with the precision named,
 * as the usual cause is a precision= that does not match the unit sent.
 */
export function readTimestamp(t: string, s: number, e: number, precision: Precision): TimestampValue {
  const negative = t.charCodeAt(s) === minus;
  const from = negative ? s + 1 : s;
  if (!allDigits(t, from, e)) return { ok: false, message: `timestamp ${shown(t.slice(s, e))} is not an integer`, range: false };
  const digits = stripZeros(t.slice(from, e));
  if (digits.length > 19) return { ok: false, message: `timestamp ${shown(t.slice(s, e))} is out of the 64-bit range`, range: false };
  let ms: number;
  // Drop the sub-millisecond digits as text: 19-digit nanoseconds are beyond a double's exact integers.
  if (precision === 'ns') ms = digits.length > 6 ? Number(digits.slice(0, -6)) : 0;
  else if (precision === 'us') ms = digits.length > 3 ? Number(digits.slice(0, -3)) : 0;
  else ms = Number(digits) * unitMs[precision];
  if (negative || ms < minMs || ms > maxMs) {
    const at = !negative && ms <= 8.64e15 ? ` (${new Date(ms).toISOString()})` : '';
    return { ok: false, message: `timestamp ${shown(t.slice(s, e))} read as ${unitName[precision]}${at} is outside 1973–9999: does precision= match the unit sent?`, range: true };
  }
  return { ok: true, ms };
}

/** A client value echoed in a message: cut short. */
export function shown(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
