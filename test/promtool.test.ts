// Debian's promtool (the `prometheus` package, 2.42) queries the platform's Prometheus API on a real
// port, as it would query Prometheus: `query instant`, `query range`, `query series` and `query
// labels` print the ingested data. promtool 2.42 has no --http.config.file; the API key goes as the
// password of the server URL (Basic authentication, which the platform reads as a key) and, for
// `query range`, also as an `Authorization: Bearer` header.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from './helpers/app.js';
import { daysAgo, ingestOk, minute } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

const promtool = '/usr/bin/promtool';
const run = promisify(execFile);
const T0 = daysAgo(1) + 3_600_000;

for (const kind of storeKinds) {
  describe(`promtool against the platform (${kind.name})`, () => {
    let t: TestApp;
    let key: string;
    let server: string;

    const query = async (...args: string[]) => {
      const r = await run(promtool, ['query', ...args], { timeout: 30_000, env: { PATH: process.env.PATH ?? '', NO_PROXY: '*', no_proxy: '*' } });
      return r.stdout;
    };

    before(async () => {
      assert.ok(existsSync(promtool), `${promtool} is missing: .ci/run installs the Debian package "prometheus" that ships it`);
      t = await startTestApp({ kind });
      key = (await t.newKey(['read'])).secret;
      const metrics: object[] = [];
      for (let i = 0; i <= 10; i++) {
        metrics.push({ key: 'promtool_jobs_total', dimensions: { queue: 'default', host: 'h1' }, timestamp: T0 + i * minute, value: 100 + 6 * i });
        metrics.push({ key: 'promtool_jobs_total', dimensions: { queue: 'urgent', host: 'h1' }, timestamp: T0 + i * minute, value: 3 * i });
        metrics.push({ key: 'disk.used', dimensions: { mount: '/var' }, timestamp: T0 + i * minute, value: 0.25 });
      }
      await ingestOk(t, metrics);
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (t.app.server.address() as AddressInfo).port;
      server = `http://promtool:${key}@127.0.0.1:${port}/prometheus`;
    });
    after(async () => t?.close());

    test('query instant prints each series with its value at the time', async () => {
      const out = await query('instant', `--time=${(T0 + 5 * minute) / 1000}`, server, 'promtool_jobs_total');
      const lines = out.trim().split('\n');
      assert.deepEqual(lines, [
        `promtool_jobs_total{host="h1", queue="default"} => 130 @[${(T0 + 5 * minute) / 1000}]`,
        `promtool_jobs_total{host="h1", queue="urgent"} => 15 @[${(T0 + 5 * minute) / 1000}]`,
      ]);
      const summed = await query('instant', `--time=${new Date(T0 + 10 * minute).toISOString()}`, server, 'sum by (queue) (rate(promtool_jobs_total[5m]))');
      assert.deepEqual(summed.trim().split('\n'), [`{queue="default"} => 0.1 @[${(T0 + 10 * minute) / 1000}]`, `{queue="urgent"} => 0.05 @[${(T0 + 10 * minute) / 1000}]`]);
      // A metric key with a dot, by its quoted name.
      const dotted = await query('instant', `--time=${(T0 + 5 * minute) / 1000}`, server, '{"disk.used"}');
      assert.match(dotted, /disk\.used.*mount="\/var".* => 0\.25 @\[/);
    });

    test('query range prints the samples at every step (key in the URL, and as a bearer header)', async () => {
      const args = ['range', `--start=${T0 / 1000}`, `--end=${(T0 + 2 * minute) / 1000}`, '--step=1m'];
      const out = await query(...args, server, 'promtool_jobs_total{queue="urgent"}');
      const values = [0, 1, 2].map((i) => `${3 * i} @[${(T0 + i * minute) / 1000}]`);
      assert.deepEqual(out.trim().split('\n'), ['promtool_jobs_total{host="h1", queue="urgent"} =>', ...values]);
      const bare = server.replace(`promtool:${key}@`, '');
      const withHeader = await query(...args, `--header=Authorization: Bearer ${key}`, bare, 'promtool_jobs_total{queue="urgent"}');
      assert.equal(withHeader, out);
    });

    test('query series and query labels list what was ingested', async () => {
      const series = await query('series', `--match=promtool_jobs_total`, `--match={"disk.used"}`, `--start=${T0 / 1000}`, `--end=${(T0 + 10 * minute) / 1000}`, server);
      const lines = series.trim().split('\n').sort();
      assert.equal(lines.length, 3, series);
      assert.ok(lines.includes('{__name__="promtool_jobs_total", host="h1", queue="default"}'), series);
      assert.ok(lines.includes('{__name__="promtool_jobs_total", host="h1", queue="urgent"}'), series);
      assert.ok(lines.some((l) => l.includes('"disk.used"') || l.includes('__name__="disk.used"')), series);
      const queues = await query('labels', server, 'queue');
      assert.deepEqual(queues.trim().split('\n'), ['default', 'urgent']);
      const names = await query('labels', '--match=promtool_jobs_total', server, '__name__');
      assert.deepEqual(names.trim().split('\n'), ['promtool_jobs_total']);
    });

    test('a wrong key is refused: promtool reports the failure', async () => {
      const bad = server.replace(key, `iv_${'x'.repeat(32)}`);
      await assert.rejects(query('instant', bad, 'promtool_jobs_total'), (err: { code?: number; stderr?: string }) => {
        assert.notEqual(err.code, 0);
        assert.match(String(err.stderr), /401|Unauthorized|invalid/i);
        return true;
      });
    });
  });
}
