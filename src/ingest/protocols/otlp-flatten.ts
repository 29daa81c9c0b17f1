/**
 * An OTLP ExportMetricsServiceRequest → webhook-shaped items {key, value, timestamp?, dimensions}
 * (pure). The same walk reads a decoded protobuf message and an OTLP/JSON body: both use the JSON
 * field names; JSON's int64 arrive as decimal strings (or numbers), protobuf's as Long.
 *
 * Mapping (the Prometheus conventions for OTLP):
 * - key = the metric name as sent (a source's mapping may rename it; a name that does not match the
 *   key pattern is rejected by validation, dead-lettered and counted in partialSuccess);
 * - dimensions = resource attributes, then `otel_scope_name` / `otel_scope_version`, then the data
 *   point's attributes (a later one wins on a clash); non-string values as text (bool, int, double;
 *   arrays and kvlists as JSON; bytes as base64);
 * - timestamp = timeUnixNano truncated to ms (0: the time received);
 * - gauge and sum: one item per data point (sums, cumulative or delta, monotonic or not, as sent);
 *   histogram: `_bucket{le}` cumulative counts up to `le="+Inf"` (= count), `_sum`, `_count`;
 *   exponential histogram: `_sum`, `_count`; summary: `{quantile}`, `_sum`, `_count`.
 * Data points flagged NO_RECORDED_VALUE and NaN values are skipped (neither stored nor rejected);
 * ±Infinity and semantically broken data points become undecodable items (rejected). A body whose
 * structure is not OTLP (a string where an array belongs …) throws {@link OtlpMalformed}.
 */
import type { ItemError } from '../validate.js';
import { OtlpMalformed } from './otlp-wire.js';

export interface OtlpItem {
  key: string;
  value: number;
  /** Epoch ms; absent when the data point has no time (the time received applies). */
  timestamp?: number;
  dimensions: Record<string, string>;
}

export interface OtlpUndecodable {
  raw: unknown;
  error: ItemError;
  /** The data point's ordinal in the request. */
  point: number;
}

export interface OtlpBatch {
  items: OtlpItem[];
  /** Per item: the ordinal of the data point it came from. */
  pointOf: number[];
  /** Per item: what it is within its data point (`_bucket{le="0.5"}`), '' for gauges and sums. */
  partOf: string[];
  /**
   * Per metric with data points, in request order: the path of its data (`resourceMetrics[0].scopeMetrics[0].metrics[1].sum`)
   * and the ordinal of its first data point. Data point paths are built from these on demand ({@link pointPath}):
   * they are only needed for errors, and one string per point was a large share of the flattening's garbage.
   */
  pointRuns: { path: string; first: number }[];
  undecodable: OtlpUndecodable[];
  /** Data points in the request (every type, skipped ones included). */
  dataPoints: number;
  /** Data points or values skipped on purpose: NO_RECORDED_VALUE, NaN. */
  skipped: number;
}

/** The path of data point `point` (an ordinal) in the request: `resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[3]`. */
export function pointPath(batch: OtlpBatch, point: number): string {
  const runs = batch.pointRuns;
  // The last run starting at or before `point` (runs are in ordinal order).
  let lo = 0;
  let hi = runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid]!.first <= point) lo = mid;
    else hi = mid - 1;
  }
  const run = runs[lo]!;
  return `${run.path}.dataPoints[${point - run.first}]`;
}

/** Where item i sits, for error fields. */
export function itemPath(batch: OtlpBatch, i: number): string {
  const part = batch.partOf[i];
  return `${pointPath(batch, batch.pointOf[i]!)}${part ? ` ${part}` : ''}`;
}

type Rec = Record<string, unknown>;

const noRecordedValue = 1;
const temporality = { delta: 1, cumulative: 2 } as const;
const temporalityNames: Record<string, number> = { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 };
/** kvlists and arrays nest; deeper than this is refused rather than recursed into. */
const maxValueDepth = 16;

/*
 * Error paths cost nothing until an error is raised. The helpers below take a path in two parts
 * (`at` + `field`, joined only when throwing), and inside a data point paths are relative to it
 * (`.flags`, `.attributes[2].value.stringValue`): the loops over data points, attributes and
 * buckets catch a {@link Malformed} and rethrow it with their element's path in front ({@link under}).
 */

/** An {@link OtlpMalformed} that keeps its message without the path, so that a path can be put in front. */
class Malformed extends OtlpMalformed {
  constructor(
    readonly reason: string,
    path: string,
  ) {
    super(reason, path);
  }
}

function fail(message: string, at: string, field = ''): never {
  throw new Malformed(message, at + field);
}

/** `e` with `prefix` in front of its path (other errors as they are). */
function under(prefix: string, e: unknown): unknown {
  return e instanceof Malformed ? new Malformed(e.reason, prefix + (e.path ?? '')) : e;
}

/** `list.map(f)`; an element's error gets `${at}[i]` in front of its path. */
function mapAt<T>(list: unknown[], at: string, f: (v: unknown) => T): T[] {
  const out: T[] = [];
  let i = 0;
  try {
    for (; i < list.length; i++) out.push(f(list[i]));
  } catch (e) {
    throw under(`${at}[${i}]`, e);
  }
  return out;
}

/** A field that was sent: own property (a decoded message's absent fields live on its prototype), not null. */
function sent(o: Rec, camel: string, snake?: string): unknown {
  if (Object.hasOwn(o, camel) && o[camel] !== null) return o[camel];
  if (snake !== undefined && Object.hasOwn(o, snake) && o[snake] !== null) return o[snake];
  return undefined;
}

function obj(v: unknown, at: string, field = ''): Rec | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) fail('must be an object', at, field);
  return v as Rec;
}

function arr(v: unknown, at: string, field = ''): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail('must be an array', at, field);
  return v;
}

function str(v: unknown, at: string, field = ''): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') fail('must be a string', at, field);
  return v;
}

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

function isLong(v: unknown): v is LongLike {
  return typeof v === 'object' && v !== null && typeof (v as LongLike).low === 'number' && typeof (v as LongLike).high === 'number';
}

function longToBigInt(v: LongLike): bigint {
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

const intText = /^-?\d{1,20}$/;

/** An int64/uint64/fixed64 field: Long (protobuf), decimal string or integer number (JSON). */
function int64(v: unknown, unsigned: boolean, at: string, field = ''): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || (unsigned && v < 0)) fail(`must be ${unsigned ? 'a non-negative' : 'an'} integer`, at, field);
    return v;
  }
  if (typeof v === 'string') {
    if (!intText.test(v) || (unsigned && v.startsWith('-'))) fail(`must be ${unsigned ? 'a non-negative' : 'an'} integer (a decimal string)`, at, field);
    return Number(v);
  }
  if (isLong(v)) return Number(longToBigInt(v));
  return fail('must be an integer (a decimal string or number)', at, field);
}

/** The decimal text of an int64 attribute value, exact beyond 2^53. */
function int64Text(v: unknown, at: string, field = ''): string {
  if (typeof v === 'string' && intText.test(v)) return BigInt(v).toString();
  if (isLong(v)) return longToBigInt(v).toString();
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v).toString();
  return fail('must be an integer (a decimal string or number)', at, field);
}

/** fixed64 nanoseconds since the epoch → epoch ms, truncated; null for 0 / absent (no time). */
function nanosToMs(v: unknown, at: string, field = ''): number | null {
  if (v === undefined) return null;
  let ms: number;
  if (typeof v === 'string') {
    if (!/^\d{1,20}$/.test(v)) fail('must be nanoseconds since the epoch (a decimal string)', at, field);
    ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
    if (ms === 0 && /^0+$/.test(v)) return null;
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) fail('must be nanoseconds since the epoch', at, field);
    if (v === 0) return null;
    ms = Math.floor(v / 1e6);
  } else if (isLong(v)) {
    const high = v.high >>> 0;
    const low = v.low >>> 0;
    if (high === 0 && low === 0) return null;
    // Exact without BigInt: 2^32 ns = 4294 ms + 967296 ns, and every partial sum stays below 2^53.
    ms = high * 4294 + Math.floor((high * 967_296 + low) / 1e6);
  } else {
    return fail('must be nanoseconds since the epoch (a decimal string)', at, field);
  }
  return ms;
}

const specialDoubles: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A double field: a number, or (protobuf JSON mapping) "NaN", "Infinity", "-Infinity" or a numeric string. */
function double(v: unknown, at: string, field = ''): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v in specialDoubles) return specialDoubles[v]!;
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isNaN(n)) return n;
  }
  return fail('must be a number', at, field);
}

function uint32(v: unknown, at: string, field = ''): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  return fail('must be a uint32', at, field);
}

function enumValue(v: unknown, names: Record<string, number>, at: string, field = ''): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && v in names) return names[v]!;
  return fail('must be an enum number', at, field);
}

function base64(v: unknown, at: string, field = ''): string {
  if (typeof v === 'string') return v; // JSON: already base64
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return fail('must be bytes (base64)', at, field);
}

/** An AnyValue as JSON (inside arrays and kvlists): ints as numbers when exact, else text. Rare: paths are built eagerly. */
function anyToJson(v: unknown, path: string, depth: number): unknown {
  const o = obj(v, path);
  if (!o) return null;
  if (depth > maxValueDepth) fail(`attribute values nest deeper than ${maxValueDepth} levels`, path);
  let x: unknown;
  if ((x = sent(o, 'stringValue', 'string_value')) !== undefined) return str(x, path, '.stringValue');
  if ((x = sent(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') fail('must be a boolean', path, '.boolValue');
    return x;
  }
  if ((x = sent(o, 'intValue', 'int_value')) !== undefined) {
    const t = int64Text(x, path, '.intValue');
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : t;
  }
  if ((x = sent(o, 'doubleValue', 'double_value')) !== undefined) {
    const d = double(x, path, '.doubleValue');
    return Number.isFinite(d) ? d : String(d);
  }
  if ((x = sent(o, 'arrayValue', 'array_value')) !== undefined) {
    const a = obj(x, path, '.arrayValue');
    return arr(a && sent(a, 'values'), path, '.arrayValue.values').map((e, i) => anyToJson(e, `${path}.arrayValue.values[${i}]`, depth + 1));
  }
  if ((x = sent(o, 'kvlistValue', 'kvlist_value')) !== undefined) {
    const l = obj(x, path, '.kvlistValue');
    const out: Rec = {};
    arr(l && sent(l, 'values'), path, '.kvlistValue.values').forEach((kv, i) => {
      const p = `${path}.kvlistValue.values[${i}]`;
      const e = obj(kv, p) ?? {};
      Object.defineProperty(out, str(sent(e, 'key'), p, '.key'), { value: anyToJson(sent(e, 'value'), `${p}.value`, depth + 1), enumerable: true, writable: true, configurable: true });
    });
    return out;
  }
  if ((x = sent(o, 'bytesValue', 'bytes_value')) !== undefined) return base64(x, path, '.bytesValue');
  return null;
}

/** An attribute's AnyValue as a dimension value. An empty AnyValue is ''. */
function anyToText(v: unknown, path: string): string {
  const o = obj(v, path);
  if (!o) return '';
  let x: unknown;
  if ((x = sent(o, 'stringValue', 'string_value')) !== undefined) return str(x, path, '.stringValue');
  if ((x = sent(o, 'intValue', 'int_value')) !== undefined) return int64Text(x, path, '.intValue');
  if ((x = sent(o, 'doubleValue', 'double_value')) !== undefined) return String(double(x, path, '.doubleValue'));
  if ((x = sent(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') fail('must be a boolean', path, '.boolValue');
    return String(x);
  }
  if ((x = sent(o, 'bytesValue', 'bytes_value')) !== undefined) return base64(x, path, '.bytesValue');
  const j = anyToJson(o, path, 0);
  return j === null ? '' : JSON.stringify(j);
}

function setDim(dims: Record<string, string>, name: string, value: string): void {
  // defineProperty: an attribute named `__proto__` must become a dimension, not a prototype.
  if (name === '__proto__') Object.defineProperty(dims, name, { value, enumerable: true, writable: true, configurable: true });
  else dims[name] = value;
}

/** Adds `attributes` (repeated KeyValue, at `at` + `field`) to `dims`. */
function addAttributes(dims: Record<string, string>, attributes: unknown, at: string, field: string): void {
  const list = arr(attributes, at, field);
  let i = 0;
  try {
    // Paths relative to the attribute: its own path is put in front only on an error.
    for (; i < list.length; i++) {
      const kv = obj(list[i], '') ?? {};
      setDim(dims, str(sent(kv, 'key'), '.key'), anyToText(sent(kv, 'value'), '.value'));
    }
  } catch (e) {
    throw under(`${at}${field}[${i}]`, e);
  }
}

/** `le` and `quantile` values: the shortest decimal form ("0.5", "10", "1e+21"), ±Inf as Prometheus writes them. */
function boundText(b: number): string {
  if (b === Infinity) return '+Inf';
  if (b === -Infinity) return '-Inf';
  return String(b);
}

const metricKinds = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
] as const;

/** Flattens a request (decoded protobuf message or parsed OTLP/JSON body) into items. */
export function flattenOtlp(request: unknown): OtlpBatch {
  const batch: OtlpBatch = { items: [], pointOf: [], partOf: [], pointRuns: [], undecodable: [], dataPoints: 0, skipped: 0 };
  if (typeof request !== 'object' || request === null || Array.isArray(request)) fail('must be an ExportMetricsServiceRequest object', 'body');
  const top = request as Rec;
  const rms = arr(sent(top, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics');
  for (let r = 0; r < rms.length; r++) {
    const rPath = `resourceMetrics[${r}]`;
    const rm = obj(rms[r], rPath) ?? {};
    const resource = obj(sent(rm, 'resource'), rPath, '.resource');
    const resourceDims: Record<string, string> = {};
    if (resource) addAttributes(resourceDims, sent(resource, 'attributes'), rPath, '.resource.attributes');
    const sms = arr(sent(rm, 'scopeMetrics', 'scope_metrics'), rPath, '.scopeMetrics');
    for (let s = 0; s < sms.length; s++) {
      const sPath = `${rPath}.scopeMetrics[${s}]`;
      const sm = obj(sms[s], sPath) ?? {};
      const scope = obj(sent(sm, 'scope'), sPath, '.scope');
      const base: Record<string, string> = { ...resourceDims };
      if (scope) {
        // Prometheus' OTLP convention; scope attributes are not added.
        const name = str(sent(scope, 'name'), sPath, '.scope.name');
        const version = str(sent(scope, 'version'), sPath, '.scope.version');
        if (name) base.otel_scope_name = name;
        if (version) base.otel_scope_version = version;
      }
      const metrics = arr(sent(sm, 'metrics'), sPath, '.metrics');
      for (let m = 0; m < metrics.length; m++) flattenMetric(batch, metrics[m], `${sPath}.metrics[${m}]`, base);
    }
  }
  return batch;
}

/**
 * The data point being flattened: one per metric, moved from point to point (no object per point).
 * Its methods turn NaN into a skip and ±Inf into a rejected item.
 */
class PointCursor {
  /** Index within the metric's data points. */
  index = 0;
  /** Ordinal within the request. */
  ordinal = 0;
  timestamp: number | null = null;

  constructor(
    private readonly batch: OtlpBatch,
    private readonly kindPath: string,
  ) {}

  path(): string {
    return `${this.kindPath}.dataPoints[${this.index}]`;
  }

  emit(key: string, value: number, dimensions: Record<string, string>, part = ''): void {
    const b = this.batch;
    if (Number.isNaN(value)) {
      b.skipped++;
      return;
    }
    const item: OtlpItem = this.timestamp === null ? { key, value, dimensions } : { key, value, timestamp: this.timestamp, dimensions };
    if (!Number.isFinite(value)) {
      const at = `${this.path()}${part ? ` ${part}` : ''}`;
      this.reject({ ...item, value: String(value) }, 'unsupported_value', `${at}.value`, `value ${value} is not finite: only finite numbers are stored`);
      return;
    }
    b.items.push(item);
    b.pointOf.push(this.ordinal);
    b.partOf.push(part);
  }

  /** The whole data point is unusable (no value, buckets that do not match the bounds …). */
  refuse(raw: unknown, message: string, code: ItemError['code'] = 'invalid_data_point'): void {
    this.reject(raw, code, this.path(), message);
  }

  private reject(raw: unknown, code: ItemError['code'], field: string, message: string): void {
    this.batch.undecodable.push({ raw, point: this.ordinal, error: { index: this.ordinal, code, field, message } });
  }
}

function flattenMetric(batch: OtlpBatch, raw: unknown, mPath: string, base: Record<string, string>): void {
  const metric = obj(raw, mPath) ?? {};
  const name = str(sent(metric, 'name'), mPath, '.name');
  // Most requests carry no resource attributes or scope name: no copy of an empty `base` per point then.
  const baseEmpty = Object.keys(base).length === 0;
  for (const [camel, snake] of metricKinds) {
    const data = sent(metric, camel, snake);
    if (data === undefined) continue;
    const kPath = `${mPath}.${camel}`;
    const d = obj(data, kPath)!;
    const points = arr(sent(d, 'dataPoints', 'data_points'), kPath, '.dataPoints');
    const temp = camel === 'gauge' || camel === 'summary' ? null : enumValue(sent(d, 'aggregationTemporality', 'aggregation_temporality'), temporalityNames, kPath, '.aggregationTemporality');
    if (points.length) batch.pointRuns.push({ path: kPath, first: batch.dataPoints });
    const reader = readers[camel];
    const c = new PointCursor(batch, kPath);
    for (let i = 0; i < points.length; i++) {
      c.index = i;
      c.ordinal = batch.dataPoints++;
      let flags: number;
      let dims: Record<string, string>;
      let decoded: unknown;
      try {
        // Paths relative to the data point (see `under`).
        const p = obj(points[i], '') ?? {};
        flags = uint32(sent(p, 'flags'), '.flags');
        c.timestamp = nanosToMs(sent(p, 'timeUnixNano', 'time_unix_nano'), '.timeUnixNano');
        dims = baseEmpty ? {} : { ...base };
        addAttributes(dims, sent(p, 'attributes'), '', '.attributes');
        // Decode the whole point before skipping it: a malformed body is refused even where flagged.
        decoded = reader.decode(p);
      } catch (e) {
        throw under(c.path(), e);
      }
      if (flags & noRecordedValue) {
        batch.skipped++;
        continue;
      }
      if (temp !== null && temp !== temporality.delta && temp !== temporality.cumulative) {
        c.refuse({ metric: name, dimensions: dims, aggregationTemporality: temp }, `aggregationTemporality ${temp} is neither DELTA (1) nor CUMULATIVE (2)`);
        continue;
      }
      reader.emit(c, name, dims, decoded);
    }
    return; // `data` is a oneof: one kind per metric
  }
  // A metric without data (no gauge, sum, … set) carries nothing to store.
}

/** A data point kind: `decode` reads a point (error paths relative to it), `emit` turns what it read into items. */
interface Reader<D> {
  decode(p: Rec): D;
  emit(c: PointCursor, name: string, dims: Record<string, string>, d: D): void;
}

// Module-level so that mapping a point's lists creates no closure per point.
const bucketCount = (c: unknown) => int64(c, true, '');
const explicitBound = (b: unknown) => double(b, '');
const quantileValue = (q: unknown) => {
  const o = obj(q, '') ?? {};
  const qv = sent(o, 'quantile');
  const v = sent(o, 'value');
  return { quantile: qv === undefined ? 0 : double(qv, '.quantile'), value: v === undefined ? 0 : double(v, '.value') };
};

/** Gauge and sum data points: asDouble or asInt. */
const numberPoint: Reader<number | undefined> = {
  decode(p) {
    const d = sent(p, 'asDouble', 'as_double');
    const n = d === undefined ? sent(p, 'asInt', 'as_int') : undefined;
    return d !== undefined ? double(d, '.asDouble') : n !== undefined ? int64(n, false, '.asInt') : undefined;
  },
  emit(c, name, dims, value) {
    if (value === undefined) return c.refuse({ metric: name, dimensions: dims }, 'the data point has neither asDouble nor asInt');
    c.emit(name, value, dims);
  },
};

const histogram: Reader<{ count: number; sum: number | undefined; counts: number[]; bounds: number[] }> = {
  decode(p) {
    const count = int64(sent(p, 'count'), true, '.count');
    const sumRaw = sent(p, 'sum');
    const sum = sumRaw === undefined ? undefined : double(sumRaw, '.sum');
    const counts = mapAt(arr(sent(p, 'bucketCounts', 'bucket_counts'), '.bucketCounts'), '.bucketCounts', bucketCount);
    const bounds = mapAt(arr(sent(p, 'explicitBounds', 'explicit_bounds'), '.explicitBounds'), '.explicitBounds', explicitBound);
    return { count, sum, counts, bounds };
  },
  emit(c, name, dims, { count, sum, counts, bounds }) {
    if (counts.length && counts.length !== bounds.length + 1) {
      return c.refuse({ metric: name, dimensions: dims, bucketCounts: counts, explicitBounds: bounds }, `bucketCounts has ${counts.length} entries for ${bounds.length} explicitBounds (expected ${bounds.length + 1})`);
    }
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
      return c.refuse({ metric: name, dimensions: dims, explicitBounds: bounds.map(String) }, 'explicitBounds must be finite and strictly increasing');
    }
    let cumulative = 0;
    for (let i = 0; i < counts.length - 1; i++) {
      cumulative += counts[i]!;
      const le = boundText(bounds[i]!);
      c.emit(`${name}_bucket`, cumulative, { ...dims, le }, `_bucket{le="${le}"}`);
    }
    c.emit(`${name}_bucket`, count, { ...dims, le: '+Inf' }, '_bucket{le="+Inf"}');
    if (sum !== undefined) c.emit(`${name}_sum`, sum, dims, '_sum');
    c.emit(`${name}_count`, count, dims, '_count');
  },
};

const exponentialHistogram: Reader<{ count: number; sum: number | undefined }> = {
  decode(p) {
    const count = int64(sent(p, 'count'), true, '.count');
    const sumRaw = sent(p, 'sum');
    return { count, sum: sumRaw === undefined ? undefined : double(sumRaw, '.sum') };
  },
  // Buckets (scale, offsets, counts) have no classic-histogram form: only _sum and _count are kept.
  emit(c, name, dims, { count, sum }) {
    if (sum !== undefined) c.emit(`${name}_sum`, sum, dims, '_sum');
    c.emit(`${name}_count`, count, dims, '_count');
  },
};

const summary: Reader<{ count: number; sum: number; quantiles: { quantile: number; value: number }[] }> = {
  decode(p) {
    const count = int64(sent(p, 'count'), true, '.count');
    const sumRaw = sent(p, 'sum');
    const sum = sumRaw === undefined ? 0 : double(sumRaw, '.sum');
    const quantiles = mapAt(arr(sent(p, 'quantileValues', 'quantile_values'), '.quantileValues'), '.quantileValues', quantileValue);
    return { count, sum, quantiles };
  },
  emit(c, name, dims, { count, sum, quantiles }) {
    for (const q of quantiles) {
      const quantile = boundText(q.quantile);
      c.emit(name, q.value, { ...dims, quantile }, `{quantile="${quantile}"}`);
    }
    c.emit(`${name}_sum`, sum, dims, '_sum');
    c.emit(`${name}_count`, count, dims, '_count');
  },
};

const readers: Record<(typeof metricKinds)[number][0], Reader<unknown>> = { gauge: numberPoint, sum: numberPoint, histogram, exponentialHistogram, summary };
