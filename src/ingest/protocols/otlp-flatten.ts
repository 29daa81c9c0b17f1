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
  /** Per data point: its path in the request (`resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[3]`). */
  pointPaths: string[];
  undecodable: OtlpUndecodable[];
  /** Data points in the request (every type, skipped ones included). */
  dataPoints: number;
  /** Data points or values skipped on purpose: NO_RECORDED_VALUE, NaN. */
  skipped: number;
}

/** Where item i sits, for error fields. */
export function itemPath(batch: OtlpBatch, i: number): string {
  const part = batch.partOf[i];
  return `${batch.pointPaths[batch.pointOf[i]!]}${part ? ` ${part}` : ''}`;
}

type Rec = Record<string, unknown>;

const noRecordedValue = 1;
const temporality = { delta: 1, cumulative: 2 } as const;
const temporalityNames: Record<string, number> = { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 };
/** kvlists and arrays nest; deeper than this is refused rather than recursed into. */
const maxValueDepth = 16;

/** A field that was sent: own property (a decoded message's absent fields live on its prototype), not null. */
function sent(o: Rec, camel: string, snake?: string): unknown {
  if (Object.hasOwn(o, camel) && o[camel] !== null) return o[camel];
  if (snake !== undefined && Object.hasOwn(o, snake) && o[snake] !== null) return o[snake];
  return undefined;
}

function obj(v: unknown, path: string): Rec | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) throw new OtlpMalformed('must be an object', path);
  return v as Rec;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new OtlpMalformed('must be an array', path);
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new OtlpMalformed('must be a string', path);
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
function int64(v: unknown, path: string, unsigned: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || (unsigned && v < 0)) throw new OtlpMalformed(`must be ${unsigned ? 'a non-negative' : 'an'} integer`, path);
    return v;
  }
  if (typeof v === 'string') {
    if (!intText.test(v) || (unsigned && v.startsWith('-'))) throw new OtlpMalformed(`must be ${unsigned ? 'a non-negative' : 'an'} integer (a decimal string)`, path);
    return Number(v);
  }
  if (isLong(v)) return Number(longToBigInt(v));
  throw new OtlpMalformed('must be an integer (a decimal string or number)', path);
}

/** The decimal text of an int64 attribute value, exact beyond 2^53. */
function int64Text(v: unknown, path: string): string {
  if (typeof v === 'string' && intText.test(v)) return BigInt(v).toString();
  if (isLong(v)) return longToBigInt(v).toString();
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v).toString();
  throw new OtlpMalformed('must be an integer (a decimal string or number)', path);
}

/** fixed64 nanoseconds since the epoch → epoch ms, truncated; null for 0 / absent (no time). */
function nanosToMs(v: unknown, path: string): number | null {
  if (v === undefined) return null;
  let ms: number;
  if (typeof v === 'string') {
    if (!/^\d{1,20}$/.test(v)) throw new OtlpMalformed('must be nanoseconds since the epoch (a decimal string)', path);
    ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
    if (ms === 0 && /^0+$/.test(v)) return null;
  } else if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new OtlpMalformed('must be nanoseconds since the epoch', path);
    if (v === 0) return null;
    ms = Math.floor(v / 1e6);
  } else if (isLong(v)) {
    const high = v.high >>> 0;
    const low = v.low >>> 0;
    if (high === 0 && low === 0) return null;
    // Exact without BigInt: 2^32 ns = 4294 ms + 967296 ns, and every partial sum stays below 2^53.
    ms = high * 4294 + Math.floor((high * 967_296 + low) / 1e6);
  } else {
    throw new OtlpMalformed('must be nanoseconds since the epoch (a decimal string)', path);
  }
  return ms;
}

const specialDoubles: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** A double field: a number, or (protobuf JSON mapping) "NaN", "Infinity", "-Infinity" or a numeric string. */
function double(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v in specialDoubles) return specialDoubles[v]!;
    const n = v.trim() === '' ? NaN : Number(v);
    if (!Number.isNaN(n)) return n;
  }
  throw new OtlpMalformed('must be a number', path);
}

function uint32(v: unknown, path: string): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return v;
  throw new OtlpMalformed('must be a uint32', path);
}

function enumValue(v: unknown, names: Record<string, number>, path: string): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && v in names) return names[v]!;
  throw new OtlpMalformed('must be an enum number', path);
}

function base64(v: unknown, path: string): string {
  if (typeof v === 'string') return v; // JSON: already base64
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  throw new OtlpMalformed('must be bytes (base64)', path);
}

/** An AnyValue as JSON (inside arrays and kvlists): ints as numbers when exact, else text. */
function anyToJson(v: unknown, path: string, depth: number): unknown {
  const o = obj(v, path);
  if (!o) return null;
  if (depth > maxValueDepth) throw new OtlpMalformed(`attribute values nest deeper than ${maxValueDepth} levels`, path);
  let x: unknown;
  if ((x = sent(o, 'stringValue', 'string_value')) !== undefined) return str(x, `${path}.stringValue`);
  if ((x = sent(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') throw new OtlpMalformed('must be a boolean', `${path}.boolValue`);
    return x;
  }
  if ((x = sent(o, 'intValue', 'int_value')) !== undefined) {
    const t = int64Text(x, `${path}.intValue`);
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : t;
  }
  if ((x = sent(o, 'doubleValue', 'double_value')) !== undefined) {
    const d = double(x, `${path}.doubleValue`);
    return Number.isFinite(d) ? d : String(d);
  }
  if ((x = sent(o, 'arrayValue', 'array_value')) !== undefined) {
    const a = obj(x, `${path}.arrayValue`);
    return arr(a && sent(a, 'values'), `${path}.arrayValue.values`).map((e, i) => anyToJson(e, `${path}.arrayValue.values[${i}]`, depth + 1));
  }
  if ((x = sent(o, 'kvlistValue', 'kvlist_value')) !== undefined) {
    const l = obj(x, `${path}.kvlistValue`);
    const out: Rec = {};
    arr(l && sent(l, 'values'), `${path}.kvlistValue.values`).forEach((kv, i) => {
      const p = `${path}.kvlistValue.values[${i}]`;
      const e = obj(kv, p) ?? {};
      Object.defineProperty(out, str(sent(e, 'key'), `${p}.key`), { value: anyToJson(sent(e, 'value'), `${p}.value`, depth + 1), enumerable: true, writable: true, configurable: true });
    });
    return out;
  }
  if ((x = sent(o, 'bytesValue', 'bytes_value')) !== undefined) return base64(x, `${path}.bytesValue`);
  return null;
}

/** An attribute's AnyValue as a dimension value. An empty AnyValue is ''. */
function anyToText(v: unknown, path: string): string {
  const o = obj(v, path);
  if (!o) return '';
  let x: unknown;
  if ((x = sent(o, 'stringValue', 'string_value')) !== undefined) return str(x, `${path}.stringValue`);
  if ((x = sent(o, 'intValue', 'int_value')) !== undefined) return int64Text(x, `${path}.intValue`);
  if ((x = sent(o, 'doubleValue', 'double_value')) !== undefined) return String(double(x, `${path}.doubleValue`));
  if ((x = sent(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') throw new OtlpMalformed('must be a boolean', `${path}.boolValue`);
    return String(x);
  }
  if ((x = sent(o, 'bytesValue', 'bytes_value')) !== undefined) return base64(x, `${path}.bytesValue`);
  const j = anyToJson(o, path, 0);
  return j === null ? '' : JSON.stringify(j);
}

function setDim(dims: Record<string, string>, name: string, value: string): void {
  // defineProperty: an attribute named `__proto__` must become a dimension, not a prototype.
  if (name === '__proto__') Object.defineProperty(dims, name, { value, enumerable: true, writable: true, configurable: true });
  else dims[name] = value;
}

/** Adds `attributes` (repeated KeyValue) to `dims`. */
function addAttributes(dims: Record<string, string>, attributes: unknown, path: string): void {
  const list = arr(attributes, path);
  for (let i = 0; i < list.length; i++) {
    const p = `${path}[${i}]`;
    const kv = obj(list[i], p) ?? {};
    setDim(dims, str(sent(kv, 'key'), `${p}.key`), anyToText(sent(kv, 'value'), `${p}.value`));
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
  const batch: OtlpBatch = { items: [], pointOf: [], partOf: [], pointPaths: [], undecodable: [], dataPoints: 0, skipped: 0 };
  if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new OtlpMalformed('must be an ExportMetricsServiceRequest object', 'body');
  const top = request as Rec;
  const rms = arr(sent(top, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics');
  for (let r = 0; r < rms.length; r++) {
    const rPath = `resourceMetrics[${r}]`;
    const rm = obj(rms[r], rPath) ?? {};
    const resource = obj(sent(rm, 'resource'), `${rPath}.resource`);
    const resourceDims: Record<string, string> = {};
    if (resource) addAttributes(resourceDims, sent(resource, 'attributes'), `${rPath}.resource.attributes`);
    const sms = arr(sent(rm, 'scopeMetrics', 'scope_metrics'), `${rPath}.scopeMetrics`);
    for (let s = 0; s < sms.length; s++) {
      const sPath = `${rPath}.scopeMetrics[${s}]`;
      const sm = obj(sms[s], sPath) ?? {};
      const scope = obj(sent(sm, 'scope'), `${sPath}.scope`);
      const base: Record<string, string> = { ...resourceDims };
      if (scope) {
        // Prometheus' OTLP convention; scope attributes are not added.
        const name = str(sent(scope, 'name'), `${sPath}.scope.name`);
        const version = str(sent(scope, 'version'), `${sPath}.scope.version`);
        if (name) base.otel_scope_name = name;
        if (version) base.otel_scope_version = version;
      }
      const metrics = arr(sent(sm, 'metrics'), `${sPath}.metrics`);
      for (let m = 0; m < metrics.length; m++) flattenMetric(batch, metrics[m], `${sPath}.metrics[${m}]`, base);
    }
  }
  return batch;
}

/** Adds one data point's output; the methods turn NaN into a skip and ±Inf into a rejected item. */
class PointSink {
  constructor(
    private readonly batch: OtlpBatch,
    readonly point: number,
    private readonly timestamp: number | null,
  ) {}

  emit(key: string, value: number, dimensions: Record<string, string>, part = ''): void {
    const b = this.batch;
    if (Number.isNaN(value)) {
      b.skipped++;
      return;
    }
    const item: OtlpItem = this.timestamp === null ? { key, value, dimensions } : { key, value, timestamp: this.timestamp, dimensions };
    if (!Number.isFinite(value)) {
      const at = `${b.pointPaths[this.point]}${part ? ` ${part}` : ''}`;
      this.reject(b, { ...item, value: String(value) }, 'unsupported_value', `${at}.value`, `value ${value} is not finite: only finite numbers are stored`);
      return;
    }
    b.items.push(item);
    b.pointOf.push(this.point);
    b.partOf.push(part);
  }

  /** The whole data point is unusable (no value, buckets that do not match the bounds …). */
  refuse(raw: unknown, message: string, code: ItemError['code'] = 'invalid_data_point'): void {
    this.reject(this.batch, raw, code, this.batch.pointPaths[this.point]!, message);
  }

  private reject(b: OtlpBatch, raw: unknown, code: ItemError['code'], field: string, message: string): void {
    b.undecodable.push({ raw, point: this.point, error: { index: this.point, code, field, message } });
  }
}

function flattenMetric(batch: OtlpBatch, raw: unknown, mPath: string, base: Record<string, string>): void {
  const metric = obj(raw, mPath) ?? {};
  const name = str(sent(metric, 'name'), `${mPath}.name`);
  for (const [camel, snake] of metricKinds) {
    const data = sent(metric, camel, snake);
    if (data === undefined) continue;
    const kPath = `${mPath}.${camel}`;
    const d = obj(data, kPath)!;
    const points = arr(sent(d, 'dataPoints', 'data_points'), `${kPath}.dataPoints`);
    const temp = camel === 'gauge' || camel === 'summary' ? null : enumValue(sent(d, 'aggregationTemporality', 'aggregation_temporality'), temporalityNames, `${kPath}.aggregationTemporality`);
    for (let i = 0; i < points.length; i++) {
      const pPath = `${kPath}.dataPoints[${i}]`;
      const p = obj(points[i], pPath) ?? {};
      const ordinal = batch.dataPoints++;
      batch.pointPaths.push(pPath);
      const flags = uint32(sent(p, 'flags'), `${pPath}.flags`);
      const ts = nanosToMs(sent(p, 'timeUnixNano', 'time_unix_nano'), `${pPath}.timeUnixNano`);
      const dims: Record<string, string> = { ...base };
      addAttributes(dims, sent(p, 'attributes'), `${pPath}.attributes`);
      const sink = new PointSink(batch, ordinal, ts);
      // Decode the whole point before skipping it: a malformed body is refused even where flagged.
      const read = readers[camel](p, pPath);
      if (flags & noRecordedValue) {
        batch.skipped++;
        continue;
      }
      if (temp !== null && temp !== temporality.delta && temp !== temporality.cumulative) {
        sink.refuse({ metric: name, dimensions: dims, aggregationTemporality: temp }, `aggregationTemporality ${temp} is neither DELTA (1) nor CUMULATIVE (2)`);
        continue;
      }
      read(name, dims, sink);
    }
    return; // `data` is a oneof: one kind per metric
  }
  // A metric without data (no gauge, sum, … set) carries nothing to store.
}

type Emit = (name: string, dims: Record<string, string>, sink: PointSink) => void;

const readers: Record<(typeof metricKinds)[number][0], (p: Rec, path: string) => Emit> = {
  gauge: numberPoint,
  sum: numberPoint,
  histogram(p, path) {
    const count = int64(sent(p, 'count'), `${path}.count`, true);
    const sumRaw = sent(p, 'sum');
    const sum = sumRaw === undefined ? undefined : double(sumRaw, `${path}.sum`);
    const counts = arr(sent(p, 'bucketCounts', 'bucket_counts'), `${path}.bucketCounts`).map((c, i) => int64(c, `${path}.bucketCounts[${i}]`, true));
    const bounds = arr(sent(p, 'explicitBounds', 'explicit_bounds'), `${path}.explicitBounds`).map((b, i) => double(b, `${path}.explicitBounds[${i}]`));
    return (name, dims, sink) => {
      if (counts.length && counts.length !== bounds.length + 1) {
        return sink.refuse({ metric: name, dimensions: dims, bucketCounts: counts, explicitBounds: bounds }, `bucketCounts has ${counts.length} entries for ${bounds.length} explicitBounds (expected ${bounds.length + 1})`);
      }
      if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
        return sink.refuse({ metric: name, dimensions: dims, explicitBounds: bounds.map(String) }, 'explicitBounds must be finite and strictly increasing');
      }
      let cumulative = 0;
      for (let i = 0; i < counts.length - 1; i++) {
        cumulative += counts[i]!;
        const le = boundText(bounds[i]!);
        sink.emit(`${name}_bucket`, cumulative, { ...dims, le }, `_bucket{le="${le}"}`);
      }
      sink.emit(`${name}_bucket`, count, { ...dims, le: '+Inf' }, '_bucket{le="+Inf"}');
      if (sum !== undefined) sink.emit(`${name}_sum`, sum, dims, '_sum');
      sink.emit(`${name}_count`, count, dims, '_count');
    };
  },
  exponentialHistogram(p, path) {
    const count = int64(sent(p, 'count'), `${path}.count`, true);
    const sumRaw = sent(p, 'sum');
    const sum = sumRaw === undefined ? undefined : double(sumRaw, `${path}.sum`);
    // Buckets (scale, offsets, counts) have no classic-histogram form: only _sum and _count are kept.
    return (name, dims, sink) => {
      if (sum !== undefined) sink.emit(`${name}_sum`, sum, dims, '_sum');
      sink.emit(`${name}_count`, count, dims, '_count');
    };
  },
  summary(p, path) {
    const count = int64(sent(p, 'count'), `${path}.count`, true);
    const sumRaw = sent(p, 'sum');
    const sum = sumRaw === undefined ? 0 : double(sumRaw, `${path}.sum`);
    const quantiles = arr(sent(p, 'quantileValues', 'quantile_values'), `${path}.quantileValues`).map((q, i) => {
      const qPath = `${path}.quantileValues[${i}]`;
      const o = obj(q, qPath) ?? {};
      const qv = sent(o, 'quantile');
      const v = sent(o, 'value');
      return { quantile: qv === undefined ? 0 : double(qv, `${qPath}.quantile`), value: v === undefined ? 0 : double(v, `${qPath}.value`) };
    });
    return (name, dims, sink) => {
      for (const q of quantiles) {
        const quantile = boundText(q.quantile);
        sink.emit(name, q.value, { ...dims, quantile }, `{quantile="${quantile}"}`);
      }
      sink.emit(`${name}_sum`, sum, dims, '_sum');
      sink.emit(`${name}_count`, count, dims, '_count');
    };
  },
};

/** Gauge and sum data points: asDouble or asInt. */
function numberPoint(p: Rec, path: string): Emit {
  const d = sent(p, 'asDouble', 'as_double');
  const n = d === undefined ? sent(p, 'asInt', 'as_int') : undefined;
  const value = d !== undefined ? double(d, `${path}.asDouble`) : n !== undefined ? int64(n, `${path}.asInt`, false) : undefined;
  return (name, dims, sink) => {
    if (value === undefined) return sink.refuse({ metric: name, dimensions: dims }, 'the data point has neither asDouble nor asInt');
    sink.emit(name, value, dims);
  };
}
