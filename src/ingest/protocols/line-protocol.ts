/**
 * Influx line protocol → the pipeline's items, in one pass over the text (no regular expressions):
 *
 *   measurement[,tag=value…] field=value[,field=value…] [timestamp]
 *
 * Each field becomes one point: key `measurement.field`, dimensions the tags, value the field's
 * (booleans 1 and 0). Escapes as InfluxDB documents them: `\,` and `\ ` in measurements; `\,`
 * `\=` `\ ` in tag keys, tag values and field keys; `\"` and `\\` in string values; `\\` is one
 * backslash everywhere and any other backslash is literal. `#` lines are comments; blank lines and
 * CRLF line ends are fine. A line that cannot be read is refused whole (`invalid_line`); string
 * fields are not numbers and are refused alone (`unsupported_value`), the line's other fields kept.
 * A newline always ends a line (as the documentation says, line protocol carries none in values).
 * Pure: no I/O, no clock (a point without a timestamp gets the time received in the pipeline).
 */
import type { UndecodableItem } from '../ingest.js';
import type { ItemErrorCode } from '../validate.js';
import { readTimestamp, readUnquotedValue, shown, unescapeRange, unescapeString, type Precision } from './line-protocol-values.js';

export type { Precision } from './line-protocol-values.js';

/** One point, shaped as the JSON webhook's items. */
export interface LinePoint {
  key: string;
  value: number;
  /** Epoch ms; absent when the line has none. */
  timestamp?: number;
  dimensions: Record<string, string>;
}

export interface ParsedLines {
  items: LinePoint[];
  /** The (1-based) line number of each item. */
  lineOf: number[];
  /** Refused lines and string fields: index = line − 1, raw = {line, text (≤ 1 KiB), field?}. */
  undecodable: UndecodableItem[];
  /** Lines that are neither blank nor comments. */
  lines: number;
}

const tab = 9;
const cr = 13;
const space = 32;
const quote = 34;
const hash = 35;
const comma = 44;
const equals = 61;
const backslash = 92;

/** Longest line text kept with a refused line. */
export const maxRawLineLength = 1024;
/** Past this many fields on one line, duplicates are found with a Set instead of a scan. */
const scanFieldsUpTo = 16;

/** End of a measurement: the first unescaped `,` or space. */
function measurementEnd(t: string, i: number, e: number): number {
  while (i < e) {
    const c = t.charCodeAt(i);
    if (c === backslash) i += 2;
    else if (c === comma || c === space) return i;
    else i++;
  }
  return e;
}

/** End of a tag key, tag value or field key: the first unescaped `,`, `=` or space. */
function nameEnd(t: string, i: number, e: number): number {
  while (i < e) {
    const c = t.charCodeAt(i);
    if (c === backslash) i += 2;
    else if (c === comma || c === space || c === equals) return i;
    else i++;
  }
  return e;
}

const inMeasurement = (c: number) => c === backslash || c === comma || c === space;
const inTagOrField = (c: number) => c === backslash || c === comma || c === space || c === equals;

/** `t[s,e)` with `\\`, `\,`, `\ ` (and `\=` when `equalsToo`) unescaped; other backslashes kept. */
function unescapeName(t: string, s: number, e: number, equalsToo: boolean): string {
  return unescapeRange(t, s, e, equalsToo ? inTagOrField : inMeasurement);
}

/** Sets a dimension; `__proto__` as a plain assignment would be dropped silently. */
function setDimension(dims: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(dims, name, { value, enumerable: true, writable: true, configurable: true });
  else dims[name] = value;
}

type Problem = { code: ItemErrorCode; message: string };

function invalid(message: string): Problem {
  return { code: 'invalid_line', message };
}

class LineReader {
  constructor(
    private readonly t: string,
    private readonly precision: Precision,
    private readonly out: ParsedLines,
  ) {}

  /** Reads the line `t[s,e)` (leading blanks skipped; `from` is where the line starts); refuses it whole on any error. */
  read(s: number, e: number, from: number, line: number): void {
    const { t, out } = this;
    const mark = out.items.length;
    const markUndecodable = out.undecodable.length;
    const problem = this.readPoints(s, e, from, line);
    if (problem === null) return;
    out.items.length = mark;
    out.lineOf.length = mark;
    out.undecodable.length = markUndecodable;
    out.undecodable.push(refusal(t, from, e, line, problem.code, problem.message));
  }

  private readPoints(s: number, e: number, from: number, line: number): Problem | null {
    const { t, out } = this;
    let i = measurementEnd(t, s, e);
    if (i === s) return invalid('missing measurement');
    const measurement = unescapeName(t, s, i, false);

    const dims: Record<string, string> = {};
    while (i < e && t.charCodeAt(i) === comma) {
      const k = i + 1;
      const kEnd = nameEnd(t, k, e);
      if (kEnd === k) return invalid('missing tag key after ","');
      const name = unescapeName(t, k, kEnd, true);
      if (kEnd >= e || t.charCodeAt(kEnd) !== equals) return invalid(`tag "${shown(name)}" has no "=value"`);
      const vEnd = nameEnd(t, kEnd + 1, e);
      if (vEnd === kEnd + 1) return invalid(`tag "${shown(name)}" has an empty value (omit the tag instead)`);
      if (vEnd < e && t.charCodeAt(vEnd) === equals) return invalid(`tag "${shown(name)}" has an unescaped "=" in its value (write \\=)`);
      if (Object.hasOwn(dims, name)) return invalid(`tag "${shown(name)}" appears twice`);
      setDimension(dims, name, unescapeName(t, kEnd + 1, vEnd, true));
      i = vEnd;
    }
    while (i < e && t.charCodeAt(i) === space) i++;
    if (i >= e) return invalid('missing fields');

    const prefix = `${measurement}.`;
    const first = out.items.length;
    const names: string[] = [];
    let seen: Set<string> | null = null;
    for (;;) {
      const kEnd = nameEnd(t, i, e);
      if (kEnd === i) return invalid(i < e && t.charCodeAt(i) === equals ? 'missing field key before "="' : 'missing field after ","');
      const name = unescapeName(t, i, kEnd, true);
      if (kEnd >= e || t.charCodeAt(kEnd) !== equals) return invalid(`field "${shown(name)}" has no "=value"`);
      if (seen ? seen.has(name) : names.includes(name)) return invalid(`field "${shown(name)}" appears twice`);
      names.push(name);
      if (seen) seen.add(name);
      else if (names.length > scanFieldsUpTo) seen = new Set(names);
      i = kEnd + 1;
      if (i < e && t.charCodeAt(i) === quote) {
        let j = i + 1;
        while (j < e) {
          const c = t.charCodeAt(j);
          if (c === backslash) j += 2;
          else if (c === quote) break;
          else j++;
        }
        if (j >= e) return invalid(`field "${shown(name)}" has an unterminated string`);
        const text = unescapeString(t, i + 1, j);
        out.undecodable.push({
          raw: { line, text: lineText(t, from, e), field: name },
          error: { index: line - 1, code: 'unsupported_value', message: `line ${line}: field "${shown(name)}" is a string ("${shown(text)}"): only numbers and booleans are stored`, field: `line ${line}` },
        });
        i = j + 1;
      } else {
        let j = i;
        while (j < e) {
          const c = t.charCodeAt(j);
          if (c === comma || c === space) break;
          j++;
        }
        const v = readUnquotedValue(t, i, j);
        if (v.kind === 'error') return invalid(`field "${shown(name)}": ${v.message}`);
        out.items.push({ key: prefix + name, value: v.value, dimensions: dims });
        out.lineOf.push(line);
        i = j;
      }
      if (i >= e) break;
      const c = t.charCodeAt(i);
      if (c === comma) {
        i++;
        continue;
      }
      if (c === space) break;
      return invalid(`unexpected "${shown(t.slice(i, i + 16))}" after field "${shown(name)}"`);
    }

    while (i < e && t.charCodeAt(i) === space) i++;
    if (i >= e) return null;
    let j = i;
    while (j < e && t.charCodeAt(j) !== space && t.charCodeAt(j) !== tab) j++;
    const ts = readTimestamp(t, i, j, this.precision);
    if (!ts.ok) return { code: ts.range ? 'invalid_timestamp' : 'invalid_line', message: ts.message };
    while (j < e && (t.charCodeAt(j) === space || t.charCodeAt(j) === tab)) j++;
    if (j < e) return invalid(`unexpected "${shown(t.slice(j, j + 16))}" after the timestamp`);
    for (let k = first; k < out.items.length; k++) out.items[k]!.timestamp = ts.ms;
    return null;
  }
}

/** The line as kept with a refusal: cut to {@link maxRawLineLength}. */
function lineText(t: string, from: number, e: number): string {
  return t.slice(from, Math.min(e, from + maxRawLineLength));
}

function refusal(t: string, from: number, e: number, line: number, code: ItemErrorCode, problem: string): UndecodableItem {
  return { raw: { line, text: lineText(t, from, e) }, error: { index: line - 1, code, message: `line ${line}: ${problem}`, field: `line ${line}` } };
}

/** Reads a line-protocol body; never throws. `precision` is the unit of its timestamps (default ns). */
export function parseLineProtocol(text: string, precision: Precision = 'ns'): ParsedLines {
  const out: ParsedLines = { items: [], lineOf: [], undecodable: [], lines: 0 };
  const reader = new LineReader(text, precision, out);
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not part of the first measurement
  let line = 0;
  while (pos <= n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    line++;
    let e = nl;
    if (e > pos && text.charCodeAt(e - 1) === cr) e--;
    let s = pos;
    while (s < e && (text.charCodeAt(s) === space || text.charCodeAt(s) === tab)) s++;
    if (s < e && text.charCodeAt(s) !== hash) {
      out.lines++;
      reader.read(s, e, pos, line);
    }
    pos = nl + 1;
  }
  return out;
}
