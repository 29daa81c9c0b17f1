/**
 * The Prometheus text exposition format (0.0.4) and OpenMetrics 1.0, parsed in one pass into
 * webhook-shaped items {key, value, timestamp?, dimensions}. Pure: no I/O, never throws.
 *
 * What a scrape needs and what Prometheus does by default:
 * - a sample's name is its key, its labels its dimensions (an empty label value is no label);
 * - NaN and ±Inf are counted, not stored (only finite values are points here);
 * - OpenMetrics `<family>_created` samples of counters, histograms, summaries and gauge histograms
 *   are counted and skipped, exemplars (after ` # `) ignored;
 * - timestamps: milliseconds (integer) in the text format, seconds (may be fractional) in OpenMetrics;
 * - an OpenMetrics body must end with `# EOF`: without it the body is truncated and refused;
 * - the first malformed line refuses the whole body, naming its line (a scrape is stored whole or not);
 * - quoted UTF-8 names of Prometheus 3 / OpenMetrics 2 (`{"my.metric", "a.b"="v"}`) are read.
 */
import type { Labels } from '../../core/labels.js';

export type ExpositionFormat = 'text' | 'openmetrics';

/** One stored sample, shaped as a JSON-webhook item. */
export interface ExpositionItem {
  key: string;
  value: number;
  /** Epoch milliseconds; absent when the sample has no timestamp (the scrape's time applies). */
  timestamp?: number;
  dimensions: Labels;
}

export interface ParsedExposition {
  ok: true;
  items: ExpositionItem[];
  /** The 1-based line of each item (same order). */
  lines: number[];
  /** Sample lines read, stored or not (Prometheus' scrape_samples_scraped). */
  samples: number;
  /** Samples whose value was NaN, +Inf or -Inf: counted, not stored. */
  nonFinite: number;
  /** OpenMetrics `_created` samples skipped. */
  created: number;
}

export interface ExpositionError {
  ok: false;
  /** 1-based line of the problem (the last line + 1 for a missing `# EOF`). */
  line: number;
  message: string;
}

export type ExpositionResult = ParsedExposition | ExpositionError;

export interface ExpositionOptions {
  /** Refuse a body with more samples than this (Prometheus' sample_limit); default unlimited. */
  maxSamples?: number;
}

const textTypes = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const openMetricsTypes = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown']);
/** Families whose OpenMetrics `_created` sample carries a creation time, not a value. */
const withCreated = new Set(['counter', 'histogram', 'summary', 'gaugehistogram']);

const numberPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const integerPattern = /^-?\d+$/;

/** Thrown inside the parser only; turned into an {@link ExpositionError}. */
class LineError extends Error {}

/** A float as Go's ParseFloat reads the formats' values: decimal, exponent (1e+06), NaN, ±Inf (any case). */
export function parseSampleValue(tok: string): number | undefined {
  if (numberPattern.test(tok)) return Number(tok);
  switch (tok.toLowerCase()) {
    case 'nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58; // a-z A-Z _ :
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const isBlank = (c: number) => c === 32 || c === 9;

/** One line being read: the text and a position in it. */
class Line {
  pos = 0;
  s = '';
  /** Starts reading `s` (one instance serves every line of a body). */
  reset(s: string): this {
    this.s = s;
    this.pos = 0;
    return this;
  }

  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): number {
    return this.s.charCodeAt(this.pos);
  }
  skipBlanks(): void {
    while (this.pos < this.s.length && isBlank(this.s.charCodeAt(this.pos))) this.pos++;
  }
  /** A bare name (`[A-Za-z_:][A-Za-z0-9_:]*`; no `:` when `label`); empty when none is here. */
  bareName(label: boolean): string {
    const start = this.pos;
    const s = this.s;
    if (this.pos < s.length && isNameStart(s.charCodeAt(this.pos)) && !(label && s.charCodeAt(this.pos) === 58)) {
      this.pos++;
      while (this.pos < s.length && isNameChar(s.charCodeAt(this.pos)) && !(label && s.charCodeAt(this.pos) === 58)) this.pos++;
    }
    return s.slice(start, this.pos);
  }
  /** A double-quoted string with `\\`, `\"` and `\n` escapes (others kept as written, as Prometheus does). */
  quoted(what: string): string {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== 34) throw new LineError(`expected a quoted ${what}`);
    const start = ++this.pos;
    let out: string | undefined;
    let from = start;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 34) {
        const tail = s.slice(from, this.pos);
        this.pos++;
        return out === undefined ? tail : out + tail;
      }
      if (c === 92) {
        const next = s.charCodeAt(this.pos + 1);
        if (Number.isNaN(next)) break;
        out = (out ?? '') + s.slice(from, this.pos) + (next === 110 ? '\n' : next === 92 ? '\\' : next === 34 ? '"' : `\\${String.fromCharCode(next)}`);
        this.pos += 2;
        from = this.pos;
        continue;
      }
      this.pos++;
    }
    throw new LineError(`unterminated quoted ${what}`);
  }
  /** The next token up to a blank or the end. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.s.length && !isBlank(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }
}

function setLabel(labels: Labels, name: string, value: string): void {
  if (Object.prototype.hasOwnProperty.call(labels, name)) throw new LineError(`label "${name}" appears twice`);
  // defineProperty: assigning a `__proto__` label would change the object's prototype instead.
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  else labels[name] = value;
}

/** `{…}`: labels, and (Prometheus 3 / OpenMetrics 2) a quoted metric name among them. */
function readLabels(l: Line, name: string): { name: string; labels: Labels } {
  const labels: Labels = {};
  l.pos++; // `{`
  for (;;) {
    l.skipBlanks();
    if (l.done) throw new LineError('unterminated label set: expected "}"');
    if (l.peek() === 125) {
      l.pos++;
      return { name, labels };
    }
    let label: string;
    if (l.peek() === 34) {
      label = l.quoted('name');
      l.skipBlanks();
      if (l.peek() !== 61) {
        // A quoted string alone is the metric's name.
        if (name) throw new LineError(`the metric's name is given twice ("${name}" and "${label}")`);
        if (!label) throw new LineError('empty metric name');
        name = label;
        label = '';
      }
    } else {
      label = l.bareName(true);
      if (!label) throw new LineError(`invalid label name at column ${l.pos + 1}`);
      l.skipBlanks();
    }
    if (label) {
      if (l.peek() !== 61) throw new LineError(`expected "=" after label "${label}"`);
      l.pos++;
      l.skipBlanks();
      const value = l.quoted(`value of label "${label}"`);
      if (label === '__name__') {
        if (name && name !== value) throw new LineError(`the metric's name is given twice ("${name}" and "${value}")`);
        name = value;
      } else if (value !== '') setLabel(labels, label, value); // an empty value is no label (Prometheus)
      l.skipBlanks();
    }
    const c = l.peek();
    if (c === 44) l.pos++;
    else if (c !== 125) throw new LineError(l.done ? 'unterminated label set: expected "}"' : `expected "," or "}" at column ${l.pos + 1}`);
  }
}

function readSample(l: Line, format: ExpositionFormat): ExpositionItem {
  let name = l.peek() === 34 ? '' : l.bareName(false);
  if (!name && l.peek() !== 123) throw new LineError(`invalid metric name at column ${l.pos + 1}`);
  let before = l.pos;
  l.skipBlanks();
  let labels: Labels = {};
  if (l.peek() === 123) {
    ({ name, labels } = readLabels(l, name));
    before = l.pos;
    l.skipBlanks();
  }
  if (!name) throw new LineError('the sample has no metric name');
  if (l.pos === before && !l.done) throw new LineError(`expected a blank before the value at column ${l.pos + 1}`);
  const vTok = l.token();
  if (!vTok) throw new LineError(`sample "${name}" has no value`);
  const value = parseSampleValue(vTok);
  if (value === undefined) throw new LineError(`invalid value "${vTok.slice(0, 40)}" of sample "${name}"`);
  l.skipBlanks();
  let timestampMs: number | undefined;
  if (!l.done && l.peek() !== 35) {
    const tTok = l.token();
    if (format === 'text') {
      if (!integerPattern.test(tTok)) throw new LineError(`invalid timestamp "${tTok.slice(0, 40)}": the text format's timestamps are integer milliseconds`);
      timestampMs = Number(tTok);
    } else {
      if (!numberPattern.test(tTok)) throw new LineError(`invalid timestamp "${tTok.slice(0, 40)}": OpenMetrics timestamps are seconds`);
      timestampMs = Math.round(Number(tTok) * 1000);
    }
    l.skipBlanks();
  }
  if (!l.done) {
    // OpenMetrics: ` # {…} value [timestamp]` is an exemplar, which is not stored.
    if (format !== 'openmetrics' || l.peek() !== 35) throw new LineError(`unexpected text after the value of sample "${name}" at column ${l.pos + 1}`);
  }
  return timestampMs === undefined ? { key: name, value, dimensions: labels } : { key: name, value, timestamp: timestampMs, dimensions: labels };
}

/** A `# HELP|TYPE|UNIT name …` line's metric name (bare or quoted). */
function metadataName(l: Line, keyword: string): string {
  l.skipBlanks();
  const name = l.peek() === 34 ? l.quoted('metric name') : l.bareName(false);
  if (!name) throw new LineError(`# ${keyword} needs a metric name`);
  if (!l.done && !isBlank(l.peek())) throw new LineError(`invalid metric name in # ${keyword}`);
  l.skipBlanks();
  return name;
}

export function parseExposition(body: string, format: ExpositionFormat, opts: ExpositionOptions = {}): ExpositionResult {
  const om = format === 'openmetrics';
  const types = om ? openMetricsTypes : textTypes;
  const maxSamples = opts.maxSamples ?? Infinity;
  const items: ExpositionItem[] = [];
  const lines: number[] = [];
  let samples = 0;
  let nonFinite = 0;
  let created = 0;
  /** OpenMetrics: the family the last TYPE line declared, for `_created`. */
  let family = '';
  let familyType = '';
  const typed = new Set<string>();
  let sawEof = false;
  const l = new Line();
  let lineNo = 0;
  let start = 0;
  try {
    while (start < body.length) {
      let end = body.indexOf('\n', start);
      if (end < 0) end = body.length;
      lineNo++;
      // A CR before the LF is tolerated (exporters on Windows).
      const raw = body.slice(start, end > start && body.charCodeAt(end - 1) === 13 ? end - 1 : end);
      start = end + 1;
      if (sawEof) throw new LineError('text after "# EOF"');
      l.reset(raw);
      l.skipBlanks();
      if (l.done) continue;
      if (l.peek() === 35) {
        l.pos++;
        l.skipBlanks();
        const keyword = l.token();
        if (keyword === 'EOF' && om) {
          if (raw !== '# EOF') throw new LineError('"# EOF" must be alone on its line');
          sawEof = true;
        } else if (keyword === 'TYPE') {
          const name = metadataName(l, keyword);
          const type = l.token();
          if (!types.has(type)) throw new LineError(`unknown type "${type.slice(0, 40)}" of "${name}" (one of ${[...types].join(', ')})`);
          if (typed.has(name)) throw new LineError(`second TYPE line for "${name}"`);
          typed.add(name);
          family = name;
          familyType = type;
        } else if (keyword === 'HELP' || (keyword === 'UNIT' && om)) {
          metadataName(l, keyword);
        }
        // Any other `#` line is a comment.
        continue;
      }
      const s = readSample(l, format);
      samples++;
      if (samples > maxSamples) throw new LineError(`more than ${maxSamples} samples (the sample limit)`);
      if (om && withCreated.has(familyType) && s.key === `${family}_created`) {
        created++;
        continue;
      }
      if (!Number.isFinite(s.value)) {
        nonFinite++;
        continue;
      }
      items.push(s);
      lines.push(lineNo);
    }
  } catch (err) {
    if (err instanceof LineError) return { ok: false, line: lineNo, message: err.message };
    throw err;
  }
  if (om && !sawEof) return { ok: false, line: lineNo + 1, message: 'the OpenMetrics body does not end with "# EOF": it is truncated' };
  return { ok: true, items, lines, samples, nonFinite, created };
}
