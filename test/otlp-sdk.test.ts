// The official OpenTelemetry JS SDK exporting to the platform over a real port: a MeterProvider with
// the OTLP/HTTP exporters (JSON from exporter-metrics-otlp-http, protobuf from
// exporter-metrics-otlp-proto), plain and gzip, against both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { OTLPMetricExporter as JsonExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { startTestApp, type TestApp } from './helpers/app.js';
import { storedPoints } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

type Options = NonNullable<ConstructorParameters<typeof JsonExporter>[0]>;

const variants = [
  { name: 'JSON (exporter-metrics-otlp-http)', make: (o: Options) => new JsonExporter(o) },
  { name: 'protobuf (exporter-metrics-otlp-proto)', make: (o: Options) => new ProtoExporter(o) },
] as const;

const base = { 'service.name': 'checkout', 'service.version': '1.2.3', otel_scope_name: 'shop', otel_scope_version: '0.1.0' };

/**
 * A loopback relay in front of the server that keeps the request heads it passes on, so the test
 * sees what the exporter really sent (Content-Type, Content-Encoding).
 */
async function recordingRelay(port: number): Promise<{ port: number; heads(): string[]; server: Server }> {
  const streams: { text: string }[] = [];
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    const stream = { text: '' };
    streams.push(stream);
    client.on('data', (c: Buffer) => (stream.text += c.toString('latin1')));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Request heads in the order sent on each connection (bodies are skipped over by the search).
  const heads = () => streams.flatMap((s) => [...s.text.matchAll(/POST \/v1\/metrics HTTP\/1\.1\r\n[^]*?\r\n\r\n/g)].map((m) => m[0].toLowerCase()));
  return { port: (server.address() as AddressInfo).port, heads, server };
}

/** A provider whose reader exports only when flushed (the interval is an hour). */
function providerFor(exporter: PushMetricExporter): MeterProvider {
  return new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.2.3' }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000, exportTimeoutMillis: 30_000 })],
  });
}

for (const kind of storeKinds) {
  describe(`OpenTelemetry JS SDK → POST /v1/metrics (${kind.name})`, () => {
    let t: TestApp;
    let url: string;
    let relay: Awaited<ReturnType<typeof recordingRelay>>;
    before(async () => {
      t = await startTestApp({ kind });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      relay = await recordingRelay((t.app.server.address() as AddressInfo).port);
      url = `http://127.0.0.1:${relay.port}/v1/metrics`;
    });
    after(async () => {
      relay.server.close();
      await t.close();
    });

    for (const variant of variants) {
      for (const compression of ['none', 'gzip'] as const) {
        test(`${variant.name}, compression ${compression}: an observable gauge, a counter and a histogram are stored exactly`, async () => {
          const o = await t.newOrg(`sdk ${variant.name} ${compression}`);
          const exporter = variant.make({ url, headers: { Authorization: `Bearer ${o.key}` }, compression: compression as Options['compression'] });
          const provider = providerFor(exporter);
          try {
            const meter = provider.getMeter('shop', '0.1.0');
            meter.createObservableGauge('queue.size').addCallback((r) => {
              r.observe(17, { queue: 'orders' });
              r.observe(2.5, { queue: 'mail' });
            });
            const counter = meter.createCounter('orders.placed');
            const attrs = { route: '/checkout', code: 200, ok: true, ratio: 0.5, tags: ['a', 'b'] };
            counter.add(3, attrs);
            counter.add(4, attrs);
            const histogram = meter.createHistogram('http.server.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
            for (const v of [0.05, 0.5, 0.7, 20]) histogram.record(v, { method: 'GET' });

            const from = Date.now();
            const sent = relay.heads().length;
            await provider.forceFlush();
            const to = Date.now();
            const heads = relay.heads().slice(sent);
            assert.equal(heads.length, 1, heads.join('\n---\n'));
            assert.match(heads[0]!, /^post \/v1\/metrics http\/1\.1\r\n/);
            assert.match(heads[0]!, variant.name.startsWith('JSON') ? /\r\ncontent-type: application\/json/ : /\r\ncontent-type: application\/x-protobuf/);
            assert.equal(/\r\ncontent-encoding: gzip/.test(heads[0]!), compression === 'gzip');

            const points = await storedPoints(t.sql, o.org.id);
            const ts = points[0]?.ts ?? 0;
            assert.ok(ts >= from && ts <= to, `timestamp ${ts} outside the flush ${from}…${to}`);
            assert.ok(points.every((p) => p.ts === ts), 'one collection, one time');
            const byLe = (a: { dimensions: Record<string, string> }, b: { dimensions: Record<string, string> }) => Number(a.dimensions.le?.replace('+Inf', 'Infinity')) - Number(b.dimensions.le?.replace('+Inf', 'Infinity'));
            const sorted = [...points].sort((a, b) => a.key.localeCompare(b.key) || (a.key.endsWith('_bucket') ? byLe(a, b) : (a.dimensions.queue ?? '').localeCompare(b.dimensions.queue ?? '')));
            const h = { ...base, method: 'GET' };
            assert.deepEqual(sorted, [
              { key: 'http.server.duration_bucket', dimensions: { ...h, le: '0.1' }, ts, value: 1 },
              { key: 'http.server.duration_bucket', dimensions: { ...h, le: '1' }, ts, value: 3 },
              { key: 'http.server.duration_bucket', dimensions: { ...h, le: '10' }, ts, value: 3 },
              { key: 'http.server.duration_bucket', dimensions: { ...h, le: '+Inf' }, ts, value: 4 },
              { key: 'http.server.duration_count', dimensions: h, ts, value: 4 },
              { key: 'http.server.duration_sum', dimensions: h, ts, value: 21.25 },
              { key: 'orders.placed', dimensions: { ...base, route: '/checkout', code: '200', ok: 'true', ratio: '0.5', tags: '["a","b"]' }, ts, value: 7 },
              { key: 'queue.size', dimensions: { ...base, queue: 'mail' }, ts, value: 2.5 },
              { key: 'queue.size', dimensions: { ...base, queue: 'orders' }, ts, value: 17 },
            ]);
            const dead = await t.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters WHERE org_id = $1', [o.org.id]);
            assert.equal(dead.rows[0]!.n, 0);
          } finally {
            await provider.shutdown();
          }
        });
      }

      test(`${variant.name}: with delta temporality each export stores the counter's increment, cumulative its running total`, async () => {
        for (const temporality of [AggregationTemporalityPreference.DELTA, AggregationTemporalityPreference.CUMULATIVE]) {
          const o = await t.newOrg(`sdk temporality ${variant.name} ${temporality}`);
          const provider = providerFor(variant.make({ url, headers: { Authorization: `Bearer ${o.key}` }, temporalityPreference: temporality }));
          try {
            const counter = provider.getMeter('shop', '0.1.0').createCounter('jobs.done');
            counter.add(3);
            await provider.forceFlush();
            await sleep(5); // the second export's time is a later millisecond
            counter.add(4);
            await provider.forceFlush();
            const values = (await storedPoints(t.sql, o.org.id, 'jobs.done')).map((p) => p.value);
            assert.deepEqual(values, temporality === AggregationTemporalityPreference.DELTA ? [3, 4] : [3, 7]);
          } finally {
            await provider.shutdown();
          }
        }
      });
    }
  });
}
