// Request bodies of the ingest benchmark in each protocol, built by the load generator before the
// clock starts: the same points (point k = series k % series at step floor(k / series)) as JSON
// webhook batches, Prometheus remote-write 1.0 (protobuf + snappy), OTLP/HTTP protobuf (one gauge,
// a data point per series) and Influx line protocol. Encoded here with protobufjs' Writer and snappyjs
// directly, independent of the server's decoders.
import protobuf from 'protobufjs';
import snappy from 'snappyjs';

export const protocols = ['json', 'remote-write', 'otlp', 'influx'] as const;
export type Protocol = (typeof protocols)[number];

export interface BodySpec {
  key: string;
  points: number;
  batch: number;
  series: number;
  t0: number;
  intervalMs: number;
  timestamps: 'ms' | 'iso';
}

/** Where each protocol's bodies go and with which headers (the key's Authorization is added by the caller). */
export const protocolRequest: Record<Protocol, { path: string; headers: Record<string, string>; okStatus: number }> = {
  json: { path: '/api/v1/ingest', headers: { 'content-type': 'application/json' }, okStatus: 200 },
  'remote-write': {
    path: '/api/v1/write',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    okStatus: 204,
  },
  otlp: { path: '/v1/metrics', headers: { 'content-type': 'application/x-protobuf' }, okStatus: 200 },
  influx: { path: '/api/v2/write?bucket=bench&precision=ms', headers: { 'content-type': 'text/plain; charset=utf-8' }, okStatus: 204 },
};

/** Point k's value (series s): 2-decimal gauges nearly uncorrelated step to step, shared by the storage and codec benches. */
export const valueOf = (k: number, s: number) => Math.round(Math.sin(k / 97) * 1e4) / 100 + s / 100;

/** Length-delimited field `no` holding what `inner` writes. */
function sub(w: protobuf.Writer, no: number, inner: (w: protobuf.Writer) => void): void {
  w.uint32((no << 3) | 2).fork();
  inner(w);
  w.ldelim();
}

function str(w: protobuf.Writer, no: number, s: string): void {
  w.uint32((no << 3) | 2).string(s);
}

/** fixed64 of nanoseconds (beyond 2^53: written as two 32-bit halves, little-endian). */
function fixed64Nanos(w: protobuf.Writer, no: number, ms: number): void {
  const ns = BigInt(ms) * 1_000_000n;
  w.uint32((no << 3) | 1).fixed32(Number(ns & 0xffffffffn)).fixed32(Number(ns >> 32n));
}

function batchBody(protocol: Protocol, spec: BodySpec, b: number): Buffer {
  const { key, batch, series, t0, intervalMs } = spec;
  const at = (j: number) => {
    const k = b * batch + j;
    const s = k % series;
    return { k, s, t: t0 + Math.floor(k / series) * intervalMs };
  };
  if (protocol === 'json') {
    const ts = (ms: number) => (spec.timestamps === 'iso' ? JSON.stringify(new Date(ms).toISOString()) : String(ms));
    const parts: string[] = [];
    for (let j = 0; j < batch; j++) {
      const { k, s, t } = at(j);
      parts.push(`{"key":"${key}","value":${valueOf(k, s)},"timestamp":${ts(t)},"dimensions":{"host":"h${s}"}}`);
    }
    return Buffer.from(`{"metrics":[${parts.join(',')}]}`);
  }
  if (protocol === 'influx') {
    // key "bench.metric" = measurement "bench" + field "metric"
    const [measurement, field] = key.split('.') as [string, string];
    const lines: string[] = [];
    for (let j = 0; j < batch; j++) {
      const { k, s, t } = at(j);
      lines.push(`${measurement},host=h${s} ${field}=${valueOf(k, s)} ${t}`);
    }
    return Buffer.from(lines.join('\n'));
  }
  const w = protobuf.Writer.create();
  if (protocol === 'remote-write') {
    // WriteRequest{timeseries=1: TimeSeries{labels=1: Label{name=1, value=2}, samples=2: Sample{value=1 double, timestamp=2 int64}}}
    for (let j = 0; j < batch; j++) {
      const { k, s, t } = at(j);
      sub(w, 1, (ts) => {
        sub(ts, 1, (l) => (str(l, 1, '__name__'), str(l, 2, key)));
        sub(ts, 1, (l) => (str(l, 1, 'host'), str(l, 2, `h${s}`)));
        sub(ts, 2, (smp) => smp.uint32((1 << 3) | 1).double(valueOf(k, s)).uint32(2 << 3).int64(t));
      });
    }
    return Buffer.from(snappy.compress(w.finish()));
  }
  // ExportMetricsServiceRequest{resource_metrics=1: {scope_metrics=2: {metrics=2:
  //   Metric{name=1, gauge=5: Gauge{data_points=1: NumberDataPoint{attributes=7, time_unix_nano=3 fixed64, as_double=4}}}}}}
  // No resource attributes and an unnamed scope: the same points (key + host) as the other protocols;
  // a resource's attributes and a scope's name would add dimensions to every point.
  sub(w, 1, (rm) => {
    sub(rm, 2, (sm) => {
      sub(sm, 2, (m) => {
        str(m, 1, key);
        sub(m, 5, (g) => {
          for (let j = 0; j < batch; j++) {
            const { k, s, t } = at(j);
            sub(g, 1, (dp) => {
              sub(dp, 7, (kv) => (str(kv, 1, 'host'), sub(kv, 2, (v) => str(v, 1, `h${s}`))));
              fixed64Nanos(dp, 3, t);
              dp.uint32((4 << 3) | 1).double(valueOf(k, s));
            });
          }
        });
      });
    });
  });
  return Buffer.from(w.finish());
}

/** All request bodies of `spec` in `protocol`. */
export function makeBodies(protocol: Protocol, spec: BodySpec): Buffer[] {
  const bodies: Buffer[] = [];
  for (let b = 0; b < spec.points / spec.batch; b++) bodies.push(batchBody(protocol, spec, b));
  return bodies;
}
