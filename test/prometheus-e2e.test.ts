// A real Prometheus (Debian's /usr/bin/prometheus) scrapes a local target every second and
// remote-writes to the platform on both stores at once (one remote_write queue per store, each with
// its own key): the samples arrive with the target's values and Prometheus' `job`/`instance` labels,
// metadata-only requests and staleness markers are taken without an error, and Prometheus counts no
// failed sample.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiKey } from '../src/auth/api-keys.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { countRows, postQuery, type QueriedSeries } from './helpers/ingest.js';
import { startPrometheus, type RunningPrometheus } from './helpers/prometheus.js';
import { storeKinds } from './helpers/stores.js';

/** What the target exposes; `cellar` can be removed to make Prometheus send a staleness marker. */
const target = { withCellar: true, requests: 0 };

function exposition(): string {
  const lines = [
    '# HELP e2e_temperature_celsius Room temperature.',
    '# TYPE e2e_temperature_celsius gauge',
    'e2e_temperature_celsius{room="kitchen"} 21.5',
    ...(target.withCellar ? ['e2e_temperature_celsius{room="cellar"} -3.25'] : []),
    '# HELP e2e_jobs_processed_total Jobs processed.',
    '# TYPE e2e_jobs_processed_total counter',
    'e2e_jobs_processed_total{queue="default"} 1027',
    '# HELP e2e_ratio A value Prometheus stores as NaN.',
    '# TYPE e2e_ratio gauge',
    'e2e_ratio NaN',
  ];
  return `${lines.join('\n')}\n`;
}

interface Platform {
  t: TestApp;
  port: number;
  key: string;
  sourceId: string;
  /** What the platform answered Prometheus: status codes and the skipped-sample counts of its reply headers. */
  replies: { statuses: number[]; stale: number; nonfinite: number };
}

/**
 * Records the platform's answers to remote-write requests as they go out on the wire (the app is
 * already built, so no Fastify hook can be added: the Node server's writeHead is observed instead).
 */
function observeReplies(t: TestApp, replies: Platform['replies']): void {
  t.app.server.prependListener('request', (req, res) => {
    if (!req.url?.startsWith('/api/v1/write')) return;
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof res.writeHead>) {
      const [status, headers] = args as [number, Record<string, unknown> | undefined];
      replies.statuses.push(status);
      const skipped = String(headers?.['x-remote-write-skipped'] ?? res.getHeader('x-remote-write-skipped') ?? '');
      replies.stale += Number(/stale=(\d+)/.exec(skipped)?.[1] ?? 0);
      replies.nonfinite += Number(/nonfinite=(\d+)/.exec(skipped)?.[1] ?? 0);
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
  });
}

const deadlineMs = 40_000;

async function until<T>(what: string, fn: () => Promise<T | undefined>, log: () => string): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`${what} did not happen within ${deadlineMs / 1000} s; Prometheus log:\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function series(p: Platform, key: string, from: number): Promise<QueriedSeries[]> {
  const r = await postQuery(p.t, { key, from, to: Date.now() + 60_000, limit: 10_000 }, p.key);
  assert.equal(r.statusCode, 200, r.body);
  return (r.json() as { series: QueriedSeries[] }).series;
}

/** Prometheus' own counter `name` summed over its remote_write queues, from its /metrics. */
async function prometheusCounter(webPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${webPort}/metrics`)).text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      found = true;
    }
  }
  assert.ok(found, `Prometheus exposes no ${name}`);
  return sum;
}

describe('a real Prometheus remote-writes to the platform (both stores)', () => {
  let server: Server;
  let targetPort: number;
  let prom: RunningPrometheus;
  const platforms: Platform[] = [];
  const started = Date.now() - 60_000;

  before(async () => {
    server = createServer((req, res) => {
      target.requests++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    targetPort = (server.address() as AddressInfo).port;
    for (const kind of storeKinds) {
      const t = await startTestApp({ kind });
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (t.app.server.address() as AddressInfo).port;
      // The key is bound to a remote-write source: its default dimension rides along.
      const r = await t.sql.query<{ id: string }>(
        `INSERT INTO sources (org_id, name, kind, default_dimensions, created_at, updated_at) VALUES ($1, 'prometheus', 'prometheus-remote-write', '{"cluster":"e2e"}', now(), now()) RETURNING id`,
        [t.org.id],
      );
      const sourceId = r.rows[0]!.id;
      const { secret } = await createApiKey(t.sql, t.org.id, { name: 'prometheus', scopes: ['write', 'read'], sourceId });
      const replies = { statuses: [], stale: 0, nonfinite: 0 };
      observeReplies(t, replies);
      platforms.push({ t, port, key: secret, sourceId, replies });
    }
    const writes = platforms
      .map(
        (p, i) => `  - url: http://127.0.0.1:${p.port}/api/v1/write
    name: ${storeKinds[i]!.name}
    authorization:
      credentials: ${p.key}
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 50ms
      max_backoff: 500ms
    metadata_config:
      send_interval: 1s`,
      )
      .join('\n');
    prom = await startPrometheus(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: e2e-target
    static_configs:
      - targets: ['127.0.0.1:${targetPort}']
remote_write:
${writes}
`);
  });

  after(async () => {
    await prom?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    for (const p of platforms) await p.t.close();
  });

  test('scraped samples arrive with the target values, job/instance labels and the source default; stale markers and NaN are no error', async () => {
    const instance = `127.0.0.1:${targetPort}`;
    const common = { cluster: 'e2e', instance, job: 'e2e-target' };
    for (const [i, p] of platforms.entries()) {
      const name = storeKinds[i]!.name;
      const temps = await until(
        `${name}: both rooms' temperatures`,
        async () => {
          const s = await series(p, 'e2e_temperature_celsius', started);
          return s.length === 2 && s.every((x) => x.points.length > 0) ? s : undefined;
        },
        prom.log,
      );
      const byRoom: Record<string, QueriedSeries> = Object.fromEntries(temps.map((s) => [s.dimensions.room, s]));
      assert.deepEqual(byRoom.kitchen!.dimensions, { ...common, room: 'kitchen' });
      assert.deepEqual(byRoom.cellar!.dimensions, { ...common, room: 'cellar' });
      assert.ok(byRoom.kitchen!.points.every((pt) => pt.value === 21.5));
      assert.ok(byRoom.cellar!.points.every((pt) => pt.value === -3.25));

      const jobs = await until(`${name}: the counter`, async () => {
        const s = await series(p, 'e2e_jobs_processed_total', started);
        return s[0] && s.length === 1 && s[0].points.length > 0 ? s[0] : undefined;
      }, prom.log);
      assert.deepEqual(jobs.dimensions, { ...common, queue: 'default' });
      assert.ok(jobs.points.every((pt) => pt.value === 1027));

      // Prometheus' own per-scrape series come through as well.
      const up = await until(`${name}: up`, async () => {
        const s = await series(p, 'up', started);
        return s[0] && s.length === 1 && s[0].points.length > 0 ? s[0] : undefined;
      }, prom.log);
      assert.deepEqual(up.dimensions, common);
      assert.ok(up.points.every((pt) => pt.value === 1));
    }

    // The cellar disappears from the target: Prometheus writes a staleness marker for it. Once a
    // kitchen sample scraped after that has arrived, the marker (written in the same scrape) has too.
    target.withCellar = false;
    const gone = Date.now() + 1000;
    for (const [i, p] of platforms.entries()) {
      await until(`${storeKinds[i]!.name}: a sample scraped after the cellar went away`, async () => {
        const s = await series(p, 'e2e_temperature_celsius', gone + 1000);
        return s.some((x) => x.dimensions.room === 'kitchen' && x.points.length > 0) ? true : undefined;
      }, prom.log);
      const after = await series(p, 'e2e_temperature_celsius', gone + 1000);
      assert.deepEqual(after.map((s) => s.dimensions.room), ['kitchen'], 'no cellar sample after it went away (the stale marker is not stored)');
      // NaN (e2e_ratio) and the staleness markers are skipped, not rejected: every reply was a 204.
      assert.deepEqual(await series(p, 'e2e_ratio', started), []);
      assert.ok(p.replies.stale >= 1, `stale markers seen: ${p.replies.stale}`);
      assert.ok(p.replies.nonfinite >= 1, `NaN samples seen: ${p.replies.nonfinite}`);
      assert.deepEqual([...new Set(p.replies.statuses)], [204]);
      assert.equal(await countRows(p.t.sql, 'dead_letters', p.t.org.id), 0);
      const c = await p.t.sql.query<{ points_accepted: string | number; points_rejected: string | number }>('SELECT points_accepted, points_rejected FROM sources WHERE id = $1', [p.sourceId]);
      assert.ok(Number(c.rows[0]!.points_accepted) > 0);
      assert.equal(Number(c.rows[0]!.points_rejected), 0);
    }
    const webPort = Number(/--web\.listen-address=127\.0\.0\.1:(\d+)/.exec(prom.process.spawnargs.join(' '))![1]);
    assert.equal(await prometheusCounter(webPort, 'prometheus_remote_storage_samples_failed_total'), 0, prom.log().slice(-4000));
    assert.ok((await prometheusCounter(webPort, 'prometheus_remote_storage_samples_total')) > 0);
    assert.ok(target.requests > 0);
  });
});
