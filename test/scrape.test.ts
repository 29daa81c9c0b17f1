// Issue 15, Prometheus scraping: prometheus-scrape sources' targets are scraped by the job's core
// (scrapeDue, called here with the test's clock) from real local exporters, through the outbound
// guard, into the one ingest pipeline, with up / scrape_duration_seconds / scrape_samples_scraped
// recorded per target as Prometheus does. Both stores.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { OutboundGuard } from '../src/net/outbound.js';
import { claimDueTargets, runScraper, scrapeDue } from '../src/sources/scrape-due.js';
import type { ScrapeDeps } from '../src/sources/scrape.js';
import type { MappingRule } from '../src/sources/source.js';
import type { Sql } from '../src/store/sql.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { countRows, storedPoints } from './helpers/ingest.js';
import { loopbackOutbound } from './helpers/receivers.js';
import { storeKinds } from './helpers/stores.js';

// ———————————————————————————————————— a local exporter ————————————————————————————————————

const textBody = [
  '# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.',
  '# TYPE node_cpu_seconds_total counter',
  'node_cpu_seconds_total{cpu="0",mode="idle"} 1.5e+06',
  'node_cpu_seconds_total{cpu="0",mode="user"} 2.25',
  '# TYPE node_load1 gauge',
  'node_load1 0.5',
  '# A summary without observations has NaN quantiles: counted, not stored.',
  'rpc_seconds{quantile="0.5"} NaN',
  'rpc_seconds_count 0',
  // An exposed label named like a target label is kept as exported_<name>.
  'pushed{job="batch",path="C:\\\\tmp"} 7',
  '',
].join('\n');

const omTs = 1_700_000_000_000; // explicit OpenMetrics timestamp (seconds in the body)
const omBody = [
  '# TYPE app_requests counter',
  '# HELP app_requests Requests.',
  `app_requests_total{code="200"} 42 ${omTs / 1000} # {trace_id="abc"} 1`,
  'app_requests_created{code="200"} 1699999000',
  '# TYPE app_temp gauge',
  '# UNIT app_temp celsius',
  'app_temp 21.5',
  '# EOF',
  '',
].join('\n');

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

interface Exporter {
  base: string;
  port: number;
  requests: Seen[];
  connections: number;
  close(): Promise<void>;
}

/** An HTTP exporter on 127.0.0.1 answering each path its own way; it keeps what it was asked. */
async function startExporter(): Promise<Exporter> {
  const requests: Seen[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers });
    // The query only tells the tests' targets apart.
    const route = path.split('?')[0]!;
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(body);
    };
    if (route === '/text') send(200, 'text/plain; version=0.0.4; charset=utf-8', textBody);
    else if (route === '/om') send(200, 'application/openmetrics-text; version=1.0.0; charset=utf-8', omBody);
    else if (route === '/gzip') send(200, 'text/plain; version=0.0.4', gzipSync(textBody), { 'content-encoding': 'gzip' });
    else if (route === '/truncated') send(200, 'application/openmetrics-text; version=1.0.0', omBody.replace('# EOF\n', ''));
    else if (route === '/garbage') send(200, 'text/html', '<html><body>not metrics</body></html>');
    else if (route === '/fail') send(500, 'text/plain', 'boom');
    else if (route === '/big') send(200, 'text/plain', `${'x_big 1\n'.repeat(4096)}`);
    else if (route === '/hang') {
      /* never answers: the scrape times out */
    } else send(404, 'text/plain', 'no such path');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ——————————————————————————— sources, through the sources API ———————————————————————————

interface SourceSpec {
  name: string;
  targets: { url: string; labels?: Record<string, string> }[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  job?: string;
  enabled?: boolean;
  mapping?: MappingRule[];
  defaultDimensions?: Record<string, string>;
}

/** An organisation of the test app and its admin key. */
interface Org {
  id: string;
  key: string;
}

/** A prometheus-scrape source created by POST /api/v1/sources (its targets are due at once). */
async function createScrapeSource(t: TestApp, org: Org, spec: SourceSpec): Promise<string> {
  const settings = { targets: spec.targets, intervalSeconds: spec.intervalSeconds ?? 3600, timeoutSeconds: spec.timeoutSeconds ?? 5, ...(spec.job && { job: spec.job }) };
  const r = await t.app.inject({
    method: 'POST',
    url: '/api/v1/sources',
    headers: bearer(org.key),
    payload: { name: spec.name, kind: 'prometheus-scrape', enabled: spec.enabled ?? true, defaultDimensions: spec.defaultDimensions ?? {}, mapping: spec.mapping ?? [], settings },
  });
  assert.equal(r.statusCode, 201, r.body);
  return (r.json() as { id: string }).id;
}

/** GET /api/v1/sources/:id/targets: the targets' health as the last scrapes left it. */
async function targetHealth(t: TestApp, org: Org, id: string) {
  const r = await t.app.inject({ method: 'GET', url: `/api/v1/sources/${id}/targets`, headers: bearer(org.key) });
  assert.equal(r.statusCode, 200, r.body);
  return (r.json() as { targets: { url: string; up: boolean | null; lastScrapeAt: string | null; lastDurationMs: number | null; samplesScraped: number | null; lastError: string | null; nextScrapeAt: string }[] }).targets;
}

interface TargetRow {
  url: string;
  up: boolean | null;
  last_scrape_at: Date | null;
  last_duration_ms: number | null;
  samples_scraped: number | null;
  last_error: string | null;
  next_scrape_at: Date;
}

async function targetRows(sql: Sql, sourceId: string): Promise<TargetRow[]> {
  return (await sql.query<TargetRow>(`SELECT url, up, last_scrape_at, last_duration_ms, samples_scraped, last_error, next_scrape_at FROM scrape_targets WHERE source_id = $1 ORDER BY url`, [sourceId])).rows;
}

async function sourceCounters(sql: Sql, id: string) {
  const r = await sql.query<{ points_accepted: string; points_rejected: string; last_error: string | null }>(`SELECT points_accepted, points_rejected, last_error FROM sources WHERE id = $1`, [id]);
  const x = r.rows[0]!;
  return { accepted: Number(x.points_accepted), rejected: Number(x.points_rejected), lastError: x.last_error };
}

/** The report series of one target: {up, scrape_duration_seconds, scrape_samples_scraped} → value. */
async function report(sql: Sql, orgId: string, instance: string) {
  const out: Record<string, number> = {};
  for (const key of ['up', 'scrape_duration_seconds', 'scrape_samples_scraped']) {
    const pts = (await storedPoints(sql, orgId, key)).filter((p) => p.dimensions.instance === instance);
    assert.equal(pts.length, 1, `one ${key} point for ${instance}`);
    out[key] = pts[0]!.value;
  }
  return out;
}

const reportKeys = ['scrape_duration_seconds', 'scrape_samples_scraped', 'up'];

// ————————————————————————————————————————— tests —————————————————————————————————————————

for (const kind of storeKinds) {
  describe(`prometheus-scrape sources (${kind.name})`, () => {
    let t: TestApp;
    let exporter: Exporter;
    /** The test's clock: each test moves it on, so every pass has its own due times. */
    let nowMs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const clock = () => new Date(nowMs);
    let deps: ScrapeDeps;
    const newOrg = async (name: string): Promise<Org> => {
      const o = await t.newOrg(name);
      return { id: o.org.id, key: o.key };
    };

    before(async () => {
      t = await startTestApp({ kind, now: clock });
      exporter = await startExporter();
      // Loopback is allowed as OUTBOUND_ALLOWED_CIDRS=127.0.0.0/8,::1/128 allows it; production refuses it.
      deps = testDeps({ sql: t.sql, now: clock, scrape: { outbound: loopbackOutbound } }).scrape;
    });
    after(async () => {
      await exporter?.close();
      await t?.close();
    });
    // Each test scrapes only its own sources: the ones before it are switched off.
    afterEach(async () => {
      await t.sql.query(`UPDATE sources SET enabled = false`);
    });

    test('text format and OpenMetrics targets: samples with job, instance and target labels; up, duration and samples per target', async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape ok');
      const orgId = org.id;
      const id = await createScrapeSource(t, org, {
        name: 'node',
        intervalSeconds: 15,
        targets: [{ url: `${exporter.base}/text`, labels: { env: 'prod' } }, { url: `${exporter.base}/om` }],
      });
      const before = exporter.requests.length;
      const outcomes = await scrapeDue(deps, at);
      assert.deepEqual(outcomes.map((o) => [o.url, o.result?.up, o.result?.error]).sort(), [
        [`${exporter.base}/om`, true, null],
        [`${exporter.base}/text`, true, null],
      ]);
      // Prometheus' Accept header and its timeout header.
      const asked = exporter.requests.slice(before);
      assert.equal(asked.length, 2);
      for (const r of asked) {
        assert.equal(r.headers.accept, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
        assert.equal(r.headers['x-prometheus-scrape-timeout-seconds'], '5');
      }

      const instance = `127.0.0.1:${exporter.port}`;
      const textDims = { job: 'node', instance, env: 'prod' };
      const omDims = { job: 'node', instance };
      const ts = at.getTime();
      const stored = (await storedPoints(t.sql, orgId)).filter((p) => !reportKeys.includes(p.key));
      assert.deepEqual(stored, [
        { key: 'app_requests_total', dimensions: { ...omDims, code: '200' }, ts: omTs, value: 42 },
        { key: 'app_temp', dimensions: omDims, ts, value: 21.5 },
        { key: 'node_cpu_seconds_total', dimensions: { ...textDims, cpu: '0', mode: 'idle' }, ts, value: 1.5e6 },
        { key: 'node_cpu_seconds_total', dimensions: { ...textDims, cpu: '0', mode: 'user' }, ts, value: 2.25 },
        { key: 'node_load1', dimensions: textDims, ts, value: 0.5 },
        { key: 'pushed', dimensions: { ...textDims, exported_job: 'batch', path: 'C:\\tmp' }, ts, value: 7 },
        { key: 'rpc_seconds_count', dimensions: textDims, ts, value: 0 },
      ]);
      // The report series carry job and instance (and the target's labels), at the scrape's time.
      const upPoints = await storedPoints(t.sql, orgId, 'up');
      assert.deepEqual(upPoints.map((p) => [p.dimensions, p.ts, p.value]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [
        [textDims, ts, 1],
        [omDims, ts, 1],
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
      const samples = (await storedPoints(t.sql, orgId, 'scrape_samples_scraped')).map((p) => [p.dimensions.env ?? 'om', p.value]).sort();
      // text: 6 sample lines (the NaN one included); OpenMetrics: 3 (its _created included, as exposed).
      assert.deepEqual(samples, [
        ['om', 3],
        ['prod', 6],
      ]);
      for (const d of await storedPoints(t.sql, orgId, 'scrape_duration_seconds')) assert.ok(d.value >= 0 && Number.isFinite(d.value));

      const rows = await targetRows(t.sql, id);
      assert.deepEqual(
        rows.map((r) => [r.url, r.up, r.last_scrape_at?.getTime(), r.samples_scraped, r.last_error, r.next_scrape_at.getTime()]),
        [
          [`${exporter.base}/om`, true, ts, 3, null, ts + 15_000],
          [`${exporter.base}/text`, true, ts, 6, null, ts + 15_000],
        ],
      );
      for (const r of rows) assert.ok(r.last_duration_ms !== null && r.last_duration_ms >= 0);
      // The sources API shows the same health.
      const health = await targetHealth(t, org, id);
      assert.deepEqual(
        health.map((h) => [h.url, h.up, h.lastScrapeAt, h.samplesScraped, h.lastError, h.nextScrapeAt]),
        rows.map((r) => [r.url, r.up, r.last_scrape_at!.toISOString(), r.samples_scraped, r.last_error, r.next_scrape_at.toISOString()]),
      );
      // 7 samples and 6 report points went through the source; the NaN was neither stored nor rejected.
      assert.deepEqual(await sourceCounters(t.sql, id), { accepted: 13, rejected: 0, lastError: null });
      assert.equal(await countRows(t.sql, 'dead_letters', orgId), 0);

      // Claimed once: a second pass at the same time finds nothing due.
      assert.deepEqual(await scrapeDue(deps, at), []);
      // The next pass after the interval scrapes again, at the fixed phase.
      nowMs += 15_000;
      assert.equal((await scrapeDue(deps, clock())).length, 2);
      assert.equal((await targetRows(t.sql, id))[0]!.next_scrape_at.getTime(), ts + 30_000);
    });

    test('gzip-encoded exposition is read; settings.job names the job', async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape gzip');
      const orgId = org.id;
      await createScrapeSource(t, org, { name: 'zipped', job: 'node-exporter', targets: [{ url: `${exporter.base}/gzip` }] });
      const [o] = await scrapeDue(deps, at);
      assert.equal(o?.result?.up, true, o?.result?.error ?? '');
      const load = await storedPoints(t.sql, orgId, 'node_load1');
      assert.deepEqual(load.map((p) => [p.dimensions, p.value]), [[{ job: 'node-exporter', instance: `127.0.0.1:${exporter.port}` }, 0.5]]);
    });

    test('a target that times out, refuses, answers 500, garbage, a truncated OpenMetrics body or too big a body: up=0 and last_error, nothing else stored', async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape failures');
      const orgId = org.id;
      // A port nothing listens on: bind one, then close it.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const urls = {
        hang: `${exporter.base}/hang`,
        refused: `http://127.0.0.1:${closedPort}/metrics`,
        fail: `${exporter.base}/fail`,
        garbage: `${exporter.base}/garbage`,
        truncated: `${exporter.base}/truncated`,
      };
      // Four targets share one host:port, so one `instance`: a label tells them apart, as in Prometheus.
      const id = await createScrapeSource(t, org, { name: 'broken', timeoutSeconds: 1, targets: Object.entries(urls).map(([name, url]) => ({ url, labels: { case: name } })) });
      const outcomes = await scrapeDue(deps, at);
      assert.equal(outcomes.length, 5);
      const errors = Object.fromEntries((await targetHealth(t, org, id)).map((r) => [r.url, r]));
      const expected: [keyof typeof urls, RegExp][] = [
        ['hang', /^scrape timed out after 1 s$/],
        ['refused', /^connection refused \(ECONNREFUSED\)$/],
        ['fail', /^server returned HTTP status 500 Internal Server Error$/],
        ['garbage', /^line 1: invalid metric name at column 1$/],
        ['truncated', /^line 8: the OpenMetrics body does not end with "# EOF": it is truncated$/],
      ];
      for (const [name, message] of expected) {
        const row = errors[urls[name]]!;
        assert.equal(row.up, false, name);
        assert.match(row.lastError ?? '', message, name);
        assert.equal(row.samplesScraped, 0, name);
        assert.equal(row.lastScrapeAt, at.toISOString(), name);
      }
      // Only the report series: up=0, scrape_samples_scraped=0 for each of the five.
      const stored = await storedPoints(t.sql, orgId);
      assert.deepEqual([...new Set(stored.map((p) => p.key))], reportKeys);
      assert.equal(stored.length, 15);
      for (const p of stored) {
        assert.equal(p.dimensions.job, 'broken');
        if (p.key !== 'scrape_duration_seconds') assert.equal(p.value, 0, `${p.key} ${p.dimensions.instance}`);
      }
      assert.deepEqual(await report(t.sql, orgId, `127.0.0.1:${closedPort}`).then((r) => [r.up, r.scrape_samples_scraped]), [0, 0]);
      const c = await sourceCounters(t.sql, id);
      assert.equal(c.accepted, 15);
      assert.match(c.lastError ?? '', /^http:\/\/127\.0\.0\.1:\d+\/\w+: /);

      // The body cap, and the sample limit, fail the scrape the same way.
      nowMs += 60_000;
      const capped = await createScrapeSource(t, org, { name: 'big', targets: [{ url: `${exporter.base}/big` }] });
      const [big] = await scrapeDue({ ...deps, maxBodyBytes: 1024 }, clock());
      assert.deepEqual([big?.result?.up, big?.result?.error], [false, 'body exceeds the limit of 1024 bytes']);
      nowMs += 60_000;
      await t.sql.query(`UPDATE scrape_targets SET next_scrape_at = $2 WHERE source_id = $1`, [capped, clock()]);
      const [many] = await scrapeDue({ ...deps, sampleLimit: 100 }, clock());
      assert.deepEqual([many?.result?.up, many?.result?.error], [false, 'line 101: more than 100 samples (the sample limit)']);
      assert.deepEqual(await storedPoints(t.sql, orgId, 'x_big'), []);
    });

    test('the platform scrapes its own /metrics on its real port: the intentvision_… series arrive', async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape self');
      const orgId = org.id;
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (t.app.server.address() as AddressInfo).port;
      // A request first, so http_requests_total has a series.
      await fetch(`http://127.0.0.1:${port}/healthz`);
      await createScrapeSource(t, org, { name: 'self', targets: [{ url: `http://127.0.0.1:${port}/metrics` }] });
      const [o] = await scrapeDue(deps, at);
      assert.equal(o?.result?.up, true, o?.result?.error ?? '');
      const keys = new Set((await storedPoints(t.sql, orgId)).map((p) => p.key));
      for (const k of ['intentvision_process_cpu_user_seconds_total', 'intentvision_process_resident_memory_bytes', 'intentvision_nodejs_heap_size_total_bytes', 'http_requests_total', 'up']) {
        assert.ok(keys.has(k), `${k} stored (got ${[...keys].slice(0, 20).join(', ')} …)`);
      }
      const health = (await storedPoints(t.sql, orgId, 'http_requests_total')).find((p) => p.dimensions.route === '/healthz');
      assert.deepEqual(health && { ...health.dimensions, v: health.value >= 1 }, { job: 'self', instance: `127.0.0.1:${port}`, method: 'GET', route: '/healthz', status_code: '200', v: true });
      const up = await report(t.sql, orgId, `127.0.0.1:${port}`);
      assert.equal(up.up, 1);
      assert.ok(up.scrape_samples_scraped! > 50, `${up.scrape_samples_scraped} samples`);
    });

    test('a disabled source is not scraped, and is scraped once enabled again', async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape disabled');
      const orgId = org.id;
      const url = `${exporter.base}/text?disabled`;
      const id = await createScrapeSource(t, org, { name: 'off', enabled: false, targets: [{ url }] });
      assert.deepEqual(await scrapeDue(deps, at), []);
      assert.ok(!exporter.requests.some((r) => r.path === '/text?disabled'), 'the exporter was never asked');
      assert.deepEqual(await storedPoints(t.sql, orgId), []);
      assert.deepEqual((await targetRows(t.sql, id)).map((r) => [r.up, r.last_scrape_at]), [[null, null]]);

      const on = await t.app.inject({ method: 'PATCH', url: `/api/v1/sources/${id}`, headers: bearer(org.key), payload: { enabled: true } });
      assert.equal(on.statusCode, 200, on.body);
      const [o] = await scrapeDue(deps, at);
      assert.equal(o?.result?.up, true);
      assert.equal(exporter.requests.filter((r) => r.path === '/text?disabled').length, 1);
    });

    test('the outbound guard refuses internal targets before any connection (SSRF)', async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape ssrf');
      const orgId = org.id;
      const strict = { ...deps, outbound: new OutboundGuard() };
      // A name resolving to loopback is refused after resolution, before connecting.
      const rebinding = { ...deps, outbound: new OutboundGuard({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] }) };
      const id = await createScrapeSource(t, org, {
        name: 'ssrf',
        targets: [{ url: `${exporter.base}/text?ssrf-literal` }, { url: `http://localhost:${exporter.port}/text?ssrf-localhost` }, { url: `http://[::ffff:127.0.0.1]:${exporter.port}/text?ssrf-mapped` }],
      });
      const connections = exporter.connections;
      const outcomes = await scrapeDue(strict, at);
      assert.equal(outcomes.length, 3);
      for (const o of outcomes) {
        assert.equal(o.result?.up, false);
        assert.match(o.result?.error ?? '', /^refused by the outbound guard: .* is a loopback address; outbound connections to internal addresses are refused \(OUTBOUND_ALLOWED_CIDRS opens chosen ranges\)$/);
      }
      nowMs += 60_000;
      const named = await createScrapeSource(t, org, { name: 'ssrf-dns', targets: [{ url: `http://exporter.example:${exporter.port}/text?ssrf-dns` }] });
      const [dns] = await scrapeDue(rebinding, clock());
      assert.match(dns?.result?.error ?? '', /^refused by the outbound guard: exporter\.example resolves only to addresses that are not public/);
      assert.equal(exporter.connections, connections, 'no connection reached the exporter');
      assert.ok(!exporter.requests.some((r) => r.path.includes('ssrf')));
      assert.deepEqual([...new Set((await storedPoints(t.sql, orgId)).map((p) => p.key))], reportKeys);
      assert.match((await targetRows(t.sql, id))[0]!.last_error ?? '', /outbound guard/);
      assert.equal((await targetRows(t.sql, named))[0]!.up, false);
    });

    test("a target is scraped into its source's organisation only; a row naming another organisation is never claimed", async () => {
      nowMs += 60_000;
      const at = clock();
      const orgA = await newOrg('scrape org a');
      const orgB = await newOrg('scrape org b');
      const idB = await createScrapeSource(t, orgB, { name: 'b-node', targets: [{ url: `${exporter.base}/text?org-b` }] });
      // A forged row: org A's id on org B's source.
      // (No API writes such a row: only SQL can.)
      await t.sql.query(`INSERT INTO scrape_targets (source_id, org_id, url, next_scrape_at) VALUES ($1, $2, $3, $4)`, [idB, orgA.id, `${exporter.base}/text?forged`, new Date(at.getTime() - 1000)]);
      const outcomes = await scrapeDue(deps, at);
      assert.deepEqual(outcomes.map((o) => [o.orgId, o.url]), [[orgB.id, `${exporter.base}/text?org-b`]]);
      assert.ok(!exporter.requests.some((r) => r.path === '/text?forged'));
      assert.equal(await countRows(t.sql, 'points', orgA.id), 0);
      assert.ok((await countRows(t.sql, 'points', orgB.id)) > 0);
      // An organisation's scrape source is one of its own: same name in another organisation is another source.
      const idA = await createScrapeSource(t, orgA, { name: 'b-node', targets: [{ url: `${exporter.base}/om?org-a` }] });
      const [a] = await scrapeDue(deps, at);
      assert.deepEqual([a?.orgId, a?.sourceId], [orgA.id, idA]);
      assert.deepEqual((await storedPoints(t.sql, orgB.id)).filter((p) => p.key === 'app_temp'), []);
    });

    test('workers never scrape one target twice for one due time (claims skip locked rows)', async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape claims');
      const orgId = org.id;
      const targets = Array.from({ length: 6 }, (_, i) => ({ url: `${exporter.base}/text?claim-${i}` }));
      await createScrapeSource(t, org, { name: 'claims', targets });
      const other: Sql = t.store.connectAgain ? await t.store.connectAgain() : t.sql;
      const second = { ...deps, ingest: { ...deps.ingest, sql: other } };
      const [x, y] = await Promise.all([claimDueTargets(deps, at, 4), claimDueTargets(second, at, 4)]);
      const claimed = [...x!, ...y!].map((c) => c.url).sort();
      assert.deepEqual(claimed, targets.map((t) => t.url).sort(), 'each target claimed exactly once');
      assert.deepEqual(await claimDueTargets(deps, at, 10), []);
    });

    test('the job loop scrapes due targets and ends; it ends at once when there is no target', async () => {
      // Every earlier source is disabled: one look for targets, and the job is over.
      let queries = 0;
      const counting: Sql = Object.assign(Object.create(t.sql) as Sql, { query: (...a: Parameters<Sql['query']>) => (queries++, t.sql.query(...a)) });
      const none = { ...deps, ingest: { ...deps.ingest, sql: counting } };
      assert.deepEqual(await runScraper(none, { durationMs: 60_000 }), { scrapes: 0, up: 0, down: 0 });
      assert.equal(queries, 1);
      nowMs += 60_000;
      const org = await newOrg('scrape loop');
      const orgId = org.id;
      await createScrapeSource(t, org, { name: 'loop', targets: [{ url: `${exporter.base}/om?loop` }, { url: `${exporter.base}/fail?loop` }] });
      const ac = new AbortController();
      const totals = await runScraper({ ...deps, signal: ac.signal }, { durationMs: 300, tickMs: 50 });
      assert.deepEqual(totals, { scrapes: 2, up: 1, down: 1 });
      assert.equal((await storedPoints(t.sql, orgId, 'app_temp')).length, 1);

      // Shutdown (the signal) ends the loop and its scrapes in flight without recording a failure.
      nowMs += 60_000;
      const id = await createScrapeSource(t, org, { name: 'stopped', timeoutSeconds: 30, targets: [{ url: `${exporter.base}/hang?stopped` }] });
      const running = runScraper({ ...deps, signal: ac.signal }, { durationMs: 60_000, tickMs: 50 });
      while (!exporter.requests.some((r) => r.path === '/hang?stopped')) await new Promise((resolve) => setTimeout(resolve, 20));
      ac.abort();
      assert.deepEqual(await running, { scrapes: 0, up: 0, down: 0 });
      assert.deepEqual((await targetRows(t.sql, id)).map((r) => [r.up, r.last_scrape_at, r.last_error]), [[null, null, null]]);
      assert.deepEqual(await storedPoints(t.sql, orgId, 'up').then((u) => u.filter((p) => p.dimensions.job === 'stopped')), []);
    });

    test("the source's default dimensions apply to samples and report series; its mapping to samples only", async () => {
      nowMs += 60_000;
      const at = clock();
      const org = await newOrg('scrape mapping');
      const orgId = org.id;
      const mapping: MappingRule[] = [
        { action: 'drop', pattern: 'node_cpu_seconds_total' },
        { action: 'rename', pattern: 'node_(.*)', to: 'host.$1' },
        { action: 'labeldrop', regex: 'exported_job' },
        { action: 'prefix', prefix: 'lab.' },
      ];
      const id = await createScrapeSource(t, org, { name: 'mapped', defaultDimensions: { dc: 'ams', job: 'overridden' }, mapping, targets: [{ url: `${exporter.base}/text?mapped` }] });
      const [o] = await scrapeDue(deps, at);
      assert.equal(o?.result?.up, true, o?.result?.error ?? '');
      const stored = await storedPoints(t.sql, orgId);
      // The target's job wins over a default dimension of the same name (a point's own dimensions win).
      const dims = { job: 'mapped', instance: `127.0.0.1:${exporter.port}`, dc: 'ams' };
      assert.deepEqual(
        stored.filter((p) => !reportKeys.includes(p.key)).map((p) => [p.key, p.dimensions, p.value]),
        [
          ['lab.host.load1', dims, 0.5],
          ['lab.pushed', { ...dims, path: 'C:\\tmp' }, 7],
          ['lab.rpc_seconds_count', dims, 0],
        ],
      );
      // The report series keep their names: `up` is found whatever the rules rename or drop.
      assert.deepEqual(stored.filter((p) => reportKeys.includes(p.key)).map((p) => [p.key, p.dimensions]), reportKeys.map((k) => [k, dims]));
      // Dropped by the mapping: neither stored nor rejected.
      assert.deepEqual(await sourceCounters(t.sql, id), { accepted: 6, rejected: 0, lastError: null });
    });
  });
}
