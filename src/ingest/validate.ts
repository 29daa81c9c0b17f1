import { type Labels, maxDimensionValueLength, maxDimensions, metricKeyPattern } from '../core/labels.js';

/** One valid metric point, normalised: epoch milliseconds, string dimensions. */
export interface MetricPoint {
  key: string;
  value: number;
  /** Epoch milliseconds. */
  timestampMs: number;
  dimensions: Labels;
}

/** Why one item of a batch was rejected; `field` is a path such as `metrics[3].value`. */
export interface ItemError {
  index: number;
  code: ItemErrorCode;
  message: string;
  field: string;
}

export type ItemErrorCode =
  | 'invalid_item'
  | 'invalid_key'
  | 'invalid_value'
  | 'invalid_timestamp'
  | 'timestamp_in_future'
  | 'invalid_dimensions'
  | 'too_many_dimensions'
  | 'invalid_dimension_name'
  | 'invalid_dimension_value'
  // Refused by a protocol's decoder before validation (src/ingest/protocols/):
  | 'invalid_line'
  | 'invalid_data_point'
  | 'unsupported_value';


// ISO-8601 date-time with a zone (Z or ±hh:mm); seconds and fractions optional.
const isoPattern = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;
// 1970-01-01 … 9999-12-31: anything outside is a unit mistake (seconds, nanoseconds), not a time.
const minMs = 0;
/**
 * Numeric timestamps below 10¹¹ ms (before 1973-03-03) are refused as epoch seconds: today's epoch
 * seconds (~1.8·10⁹) read as milliseconds would land in January 1970 and be stored silently. No
 * operational metric dates from 1970–72; an ISO string still can.
 */
const minNumericMs = 1e11;
const maxMs = 253_402_300_799_999;

/** A client string echoed in an error: cut short, NULs made visible (jsonb and text refuse U+0000). */
function shown(s: string): string {
  return s.slice(0, 64).replace(/\u0000/g, '\ufffd');
}

export type TimestampResult = { ok: true; ms: number } | { ok: false; message: string };

/** ISO-8601 string or epoch milliseconds → epoch milliseconds (rounded to whole ms). */
export function parseTimestamp(raw: unknown): TimestampResult {
  let ms: number;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { ok: false, message: 'timestamp must be a finite number of epoch milliseconds or an ISO-8601 string' };
    ms = Math.round(raw);
    if (ms >= minMs && ms < minNumericMs) return { ok: false, message: `timestamp ${raw} looks like epoch seconds (it would be ${new Date(ms).toISOString()}); send epoch milliseconds or an ISO-8601 string` };
  } else if (typeof raw === 'string') {
    if (!isoPattern.test(raw)) return { ok: false, message: `timestamp "${shown(raw)}" is not ISO-8601 with a time zone (e.g. 2026-11-26T10:00:00Z) nor epoch milliseconds` };
    ms = Date.parse(raw.replace(' ', 'T'));
    // Date.parse rolls a day past the month's end over (2026-02-30 → 2026-03-02): refuse it instead.
    const [y, m, d] = raw.slice(0, 10).split('-').map(Number) as [number, number, number];
    if (Number.isNaN(ms) || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return { ok: false, message: `timestamp "${shown(raw)}" is not a valid date` };
  } else {
    return { ok: false, message: 'timestamp is required: an ISO-8601 string or epoch milliseconds' };
  }
  if (ms < minMs || ms > maxMs) return { ok: false, message: `timestamp ${raw} is outside 1970–9999 (epoch milliseconds expected, not seconds or nanoseconds)` };
  return { ok: true, ms };
}

export interface ValidationLimits {
  /** Now, epoch ms. */
  nowMs: number;
  /** How far ahead of now a timestamp may be, ms. */
  maxFutureSkewMs: number;
  /** The time of an item sent without a timestamp, epoch ms (default `nowMs`: the time received). */
  receivedMs?: number;
}

/**
 * Keys and dimension names already seen to match {@link metricKeyPattern}: a batch repeats the same
 * few (one key and its dimension names across thousands of points), and a set look-up costs a
 * fraction of the pattern test. Bounded: emptied when full (only valid names ever enter).
 */
const knownNames = new Set<string>();
const maxKnownNames = 4096;

function isName(s: string): boolean {
  // Longer strings never match (the pattern allows 200 characters): not hashed for nothing.
  if (s.length <= 200 && knownNames.has(s)) return true;
  if (!metricKeyPattern.test(s)) return false;
  if (knownNames.size >= maxKnownNames) knownNames.clear();
  knownNames.add(s);
  return true;
}

export type ItemResult = { ok: true; point: MetricPoint } | { ok: false; error: ItemError };

function failAt(index: number, code: ItemErrorCode, field: string, message: string, at = `metrics[${index}]`): ItemError {
  return { index, code, message, field: `${at}${field ? `.${field}` : ''}` };
}

/**
 * Validates one raw item of an ingest batch on its own; never throws. `at` names the item in error
 * paths (default `metrics[index]`). An item without a timestamp gets `limits.nowMs`, the time the
 * request was received, as Prometheus, Influx and Datadog do.
 */
export function validateItem(raw: unknown, index: number, limits: ValidationLimits, at?: string): ItemResult {
  const r = checkItem(raw, index, limits, at);
  return isItemError(r) ? { ok: false, error: r } : { ok: true, point: r };
}

/** What {@link checkItem} returned is an error, not a point. */
export function isItemError(r: MetricPoint | ItemError): r is ItemError {
  return (r as Partial<ItemError>).code !== undefined;
}

/**
 * {@link validateItem} without the result wrapper: the point, or why the item was rejected. The
 * ingest pipeline's loop over every item of every batch calls this (no wrapper object per item).
 */
export function checkItem(raw: unknown, index: number, limits: ValidationLimits, at?: string): MetricPoint | ItemError {
  // Without `at` no closure is made: the hot path (every item of every batch) allocates nothing here.
  const fail = at === undefined ? failAt : (i: number, code: ItemErrorCode, field: string, message: string): ItemError => failAt(i, code, field, message, at);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(index, 'invalid_item', '', 'each metric must be an object with key, value and timestamp');
  const item = raw as Record<string, unknown>;

  const key = item.key;
  if (typeof key !== 'string' || !isName(key)) {
    return fail(index, 'invalid_key', 'key', typeof key === 'string' ? `key "${shown(key)}" must match ${metricKeyPattern.source}` : 'key is required and must be a string');
  }

  const value = item.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return fail(index, 'invalid_value', 'value', 'value must be a finite number');

  const rawTs = item.timestamp;
  let ms: number;
  if (typeof rawTs === 'number' && rawTs >= minNumericMs && rawTs <= maxMs) {
    // Epoch milliseconds in range, the common case: what parseTimestamp returns for them, without its result object.
    ms = Math.round(rawTs);
  } else if (rawTs === undefined || rawTs === null) {
    ms = limits.receivedMs ?? limits.nowMs;
  } else {
    const ts = parseTimestamp(rawTs);
    if (!ts.ok) return fail(index, 'invalid_timestamp', 'timestamp', ts.message);
    ms = ts.ms;
  }
  if (ms > limits.nowMs + limits.maxFutureSkewMs) {
    return fail(index, 'timestamp_in_future', 'timestamp', `timestamp ${new Date(ms).toISOString()} is more than ${Math.round(limits.maxFutureSkewMs / 1000)} s in the future`);
  }

  const rawDims = item.dimensions;
  if (rawDims === undefined || rawDims === null) return { key, value, timestampMs: ms, dimensions: {} };
  if (typeof rawDims !== 'object' || Array.isArray(rawDims)) return fail(index, 'invalid_dimensions', 'dimensions', 'dimensions must be an object of string values');
  const given = rawDims as Record<string, unknown>;
  const names = Object.keys(given);
  if (names.length > maxDimensions) return fail(index, 'too_many_dimensions', 'dimensions', `at most ${maxDimensions} dimensions, got ${names.length}`);
  for (const name of names) {
    const v = given[name];
    if (!isName(name)) return fail(index, 'invalid_dimension_name', `dimensions.${shown(name)}`, `dimension name "${shown(name)}" must match ${metricKeyPattern.source}`);
    if (typeof v !== 'string') return fail(index, 'invalid_dimension_value', `dimensions.${name}`, `dimension "${name}" must be a string`);
    if (v.length > maxDimensionValueLength) return fail(index, 'invalid_dimension_value', `dimensions.${name}`, `dimension "${name}" is longer than ${maxDimensionValueLength} characters`);
    if (v.includes('\u0000')) return fail(index, 'invalid_dimension_value', `dimensions.${name}`, `dimension "${name}" contains a NUL character`);
  }
  // Every own enumerable property is a valid dimension: the object itself is the point's Labels (no
  // copy per point). A `__proto__` dimension is an own property of it (JSON.parse and the decoders
  // define properties), read and serialised as any other.
  return { key, value, timestampMs: ms, dimensions: given as Labels };
}
