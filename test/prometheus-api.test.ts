// The Prometheus HTTP API (/prometheus/api/v1/) through the real server on both stores: series are
// ingested through the platform's own ingest endpoint, forecasts, anomalies and alerts are seeded with
// their stores' own functions, and every answer is compared with values worked out by hand (the
// envelopes byte for byte where they are small). GET and Grafana's form-encoded POST alike.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { insertAlerts, type NewAlert } from '../src/alert/alerts-store.js';
import { upsertAnomalies } from '../src/anomaly/store.js';
import { fixedClock } from '../src/core/clock.js';
import { insertForecast } from '../src/forecast/store.js';
import { selectSeries, StoreSource } from '../src/prometheus/store-source.js';
import { PromQLError } from '../src/promql/types.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, daysAgo, ingestOk, minute, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

const T0 = daysAgo(1); // midnight UTC yesterday: every sample is in the past and minute-aligned
const NOW = T0 + 40 * minute;
const s = (ms: number) => ms / 1000;
const api = '/prometheus/api/v1';

type Params = Record<string, string | number | (string | number)[]>;

function queryString(p: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) for (const x of [v].flat()) q.append(k, String(x));
  return q.toString();
}

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}
interface Matrix {
  metric: Record<string, string>;
  values: [number, string][];
}

for (const kind of storeKinds) {
  describe(`Prometheus HTTP API (${kind.name})`, () => {
    let t: TestApp;
    let other: { key: string };

    const get = (path: string, p: Params = {}, key = t.adminKey) => t.app.inject({ method: 'GET', url: `${api}${path}${Object.keys(p).length ? `?${queryString(p)}` : ''}`, headers: bearer(key) });
    const form = (path: string, p: Params, key = t.adminKey) =>
      t.app.inject({ method: 'POST', url: `${api}${path}`, headers: { ...bearer(key), 'content-type': 'application/x-www-form-urlencoded' }, payload: queryString(p) });
    const ok = (r: Injected) => {
      assert.equal(r.statusCode, 200, r.body);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const body = r.json();
      assert.equal(body.status, 'success', r.body);
      return body as { status: 'success'; data: any; warnings?: string[] };
    };
    const promError = (r: Injected, status: number, type: string, message?: RegExp) => {
      assert.equal(r.statusCode, status, r.body);
      const body = r.json();
      assert.deepEqual(Object.keys(body).sort(), ['error', 'errorType', 'status'], r.body);
      assert.equal(body.status, 'error');
      assert.equal(body.errorType, type, r.body);
      assert.equal(typeof body.error, 'string');
      if (message) assert.match(body.error, message);
      return body.error as string;
    };
    const instant = async (query: string, timeMs: number, key = t.adminKey) => ok(await get('/query', { query, time: s(timeMs) }, key)).data as { resultType: string; result: Vector[] };
    const range = async (query: string, startMs: number, endMs: number, step: string | number) => ok(await get('/query_range', { query, start: s(startMs), end: s(endMs), step })).data as { resultType: string; result: Matrix[] };
    const instances = (r: { result: { metric: Record<string, string> }[] }) => r.result.map((x) => x.metric.instance);

    let cpuSeriesId: number;

    before(async () => {
      t = await startTestApp({ kind, now: fixedClock(NOW) });
      const metrics: object[] = [];
      for (let i = 0; i <= 30; i++) {
        const timestamp = T0 + i * minute;
        metrics.push({ key: 'http_requests_total', dimensions: { job: 'api', instance: 'a' }, timestamp, value: 10 * i });
        metrics.push({ key: 'http_requests_total', dimensions: { job: 'api', instance: 'b' }, timestamp, value: 5 * i });
        metrics.push({ key: 'http_requests_total', dimensions: { job: 'db', instance: 'c' }, timestamp, value: i });
        metrics.push({ key: 'cpu.util', dimensions: { host: 'web-1' }, timestamp, value: 0.5 });
        metrics.push({ key: 'cpu.util', dimensions: { host: 'web-2' }, timestamp, value: 0.75 });
      }
      const r = await ingestOk(t, metrics);
      assert.equal(r.accepted, metrics.length);
      cpuSeriesId = Number((await t.sql.query<{ id: string }>(`SELECT id FROM series WHERE org_id = $1 AND key = 'cpu.util' AND dimensions = '{"host":"web-1"}'`, [t.org.id])).rows[0]!.id);

      // Two forecasts of cpu.util{host="web-1"}: only the later one is the series' forecast.
      const forecast = (generatedAt: number, mean: number[]) =>
        insertForecast(t.sql, t.org.id, {
          seriesId: cpuSeriesId, key: 'cpu.util', dimensions: { host: 'web-1' }, runId: null, backend: 'statistical', requestedBackend: 'statistical', fallbackReason: null,
          model: 'ets', params: {}, frequency: '1m', horizon: 3, levels: [80, 95], historyStartMs: T0, historyPoints: 31, filledPoints: 0, startMs: NOW + minute, mean,
          intervals: { '80': { lower: mean.map((m) => m - 0.5), upper: mean.map((m) => m + 0.5) }, '95': { lower: mean.map((m) => m - 1), upper: mean.map((m) => m + 1) } },
          maseScale: null, generatedAt: new Date(generatedAt),
        });
      await forecast(NOW - 10 * minute, [7, 8, 9]);
      await forecast(NOW - minute, [1, 2, 3]);

      const anomaly = (at: number, score: number, severity: 'high' | 'critical') => ({
        index: 0, timestampMs: at, value: 0.5, score, severity, expected: 0.4, methods: [], consensus: 1, context: { before: [], after: [], stats: null },
      });
      await upsertAnomalies(t.sql, t.org.id, { id: cpuSeriesId, key: 'cpu.util', dimensions: { host: 'web-1' } }, [anomaly(T0 + 5 * minute, 0.9, 'high'), anomaly(T0 + 20 * minute, 0.99, 'critical')], {
        sensitivity: 0.9, mode: 'batch', detectedAt: new Date(NOW),
      });

      const alert = (over: Partial<NewAlert>): NewAlert => ({
        ruleId: null, ruleName: 'High CPU', ruleKind: 'threshold', seriesId: String(cpuSeriesId), key: 'cpu.util', dimensions: { host: 'web-1' }, fingerprint: 'fp-1',
        state: 'firing', severity: 'critical', labels: { __name__: 'cpu.util', host: 'web-1', team: 'ops', alertname: 'High CPU', severity: 'critical' }, annotations: {},
        value: 0.5, summary: 'cpu high', details: {}, anomalyId: null, startedAt: new Date(NOW - 10 * minute), firedAt: new Date(NOW - 5 * minute), endedAt: null,
        silenceId: null, acknowledgedAt: null, acknowledgedBy: null, resolvedBy: null, notificationCount: 0, lastNotifiedAt: null, lastEvent: null, ...over,
      });
      await insertAlerts(t.sql, t.org.id, [
        alert({}),
        // An earlier episode of the same alert: firing 2–4 minutes after T0, then resolved.
        alert({ state: 'resolved', startedAt: new Date(T0 + minute), firedAt: new Date(T0 + 2 * minute), endedAt: new Date(T0 + 4 * minute) }),
      ], new Date(NOW));

      other = await t.newOrg('Prometheus Other');
      await ingestOk(t, [{ key: 'http_requests_total', dimensions: { job: 'api', instance: 'a' }, timestamp: T0 + 10 * minute, value: 999 }], { key: other.key });
    });
    after(async () => t?.close());

    test('instant query: exact envelope, GET and form-encoded POST alike, times as unix seconds or RFC 3339', async () => {
      const expected = {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { __name__: 'http_requests_total', instance: 'a', job: 'api' }, value: [s(T0 + 10 * minute), '100'] },
            { metric: { __name__: 'http_requests_total', instance: 'b', job: 'api' }, value: [s(T0 + 10 * minute), '50'] },
          ],
        },
      };
      const query = 'http_requests_total{job="api"}';
      const viaGet = await get('/query', { query, time: s(T0 + 10 * minute) });
      assert.deepEqual(ok(viaGet), expected);
      const viaPost = await form('/query', { query, time: s(T0 + 10 * minute) });
      assert.equal(viaPost.body, viaGet.body);
      const rfc = await get('/query', { query, time: new Date(T0 + 10 * minute).toISOString() });
      assert.equal(rfc.body, viaGet.body);
      // Between samples the last one within the 5-minute lookback answers, with the query's time.
      assert.deepEqual((await instant(query, T0 + 10 * minute + 30_000)).result.map((x) => x.value), [[s(T0 + 10 * minute + 30_000), '100'], [s(T0 + 10 * minute + 30_000), '50']]);
      // Without `time`: now (the app's clock, 10 minutes after the last sample: nothing within the lookback).
      assert.deepEqual(ok(await get('/query', { query })).data, { resultType: 'vector', result: [] });
      // Scalars.
      assert.deepEqual(ok(await get('/query', { query: '1 + 2', time: 100 })).data, { resultType: 'scalar', result: [100, '3'] });
    });

    test('quoted UTF-8 metric names and all four matchers', async () => {
      const cpu = await instant('{"cpu.util"}', T0 + 10 * minute);
      assert.deepEqual(cpu.result, [
        { metric: { __name__: 'cpu.util', host: 'web-1' }, value: [s(T0 + 10 * minute), '0.5'] },
        { metric: { __name__: 'cpu.util', host: 'web-2' }, value: [s(T0 + 10 * minute), '0.75'] },
      ]);
      assert.deepEqual((await instant('{"cpu.util", host=~"web-2|web-3"}', T0 + 10 * minute)).result.map((x) => x.value[1]), ['0.75']);
      assert.deepEqual((await instant('{__name__=~"cpu\\\\.util", host!="web-2"}', T0 + 10 * minute)).result.map((x) => x.value[1]), ['0.5']);
      // A regular expression on the name that is not a plain list (`.` is any character here).
      assert.deepEqual((await instant('{__name__=~"cpu.util|nothing", host="web-1"}', T0 + 10 * minute)).result.map((x) => x.value[1]), ['0.5']);
      const cases: [string, string[]][] = [
        ['http_requests_total{job="api"}', ['a', 'b']],
        ['http_requests_total{job!="db"}', ['a', 'b']],
        ['http_requests_total{job=~"a.i"}', ['a', 'b']],
        ['http_requests_total{job=~"a"}', []], // anchored: the whole value must match
        ['http_requests_total{instance!~"a|b"}', ['c']],
        ['http_requests_total{job=~"db|api", instance!="b"}', ['a', 'c']],
        ['http_requests_total{zone=""}', ['a', 'b', 'c']], // a missing label matches the empty string
        ['http_requests_total{zone!=""}', []],
        ['{job="db"}', ['c']],
        ['{instance=~"[bc]", __name__!="nothing"}', ['b', 'c']],
      ];
      for (const [q, want] of cases) assert.deepEqual(instances(await instant(q, T0 + 10 * minute)), want, q);
    });

    test('range query: a matrix at every step, lookback between samples and after the last one', async () => {
      const r = await range('http_requests_total{instance="a"}', T0, T0 + 5 * minute, 60);
      assert.deepEqual(r, {
        resultType: 'matrix',
        result: [{ metric: { __name__: 'http_requests_total', instance: 'a', job: 'api' }, values: [0, 1, 2, 3, 4, 5].map((i) => [s(T0 + i * minute), String(10 * i)]) }],
      });
      // Step as a duration; POST form gives the same body.
      const p = { query: 'http_requests_total{instance="a"}', start: s(T0), end: s(T0 + 5 * minute), step: '1m' };
      assert.equal((await form('/query_range', p)).body, (await get('/query_range', { ...p, step: 60 })).body);
      // The last sample (T0+30m) answers for 5 minutes, then the series ends.
      const tail = await range('http_requests_total{instance="a"}', T0 + 30 * minute, T0 + 39 * minute, 90);
      assert.deepEqual(tail.result[0]!.values, [30, 31.5, 33, 34.5].map((m) => [s(T0 + m * minute), '300']));
    });

    test('functions and aggregations over stored series: rate and sum by, hand-computed', async () => {
      // A counter growing 10 a minute: 1/6 a second (the window ends on a sample; extrapolation adds the minute before the first).
      assert.deepEqual((await instant('rate(http_requests_total{instance="a"}[5m])', T0 + 10 * minute)).result, [
        { metric: { instance: 'a', job: 'api' }, value: [s(T0 + 10 * minute), '0.16666666666666666'] },
      ]);
      assert.deepEqual((await instant('sum by (job) (http_requests_total)', T0 + 10 * minute)).result, [
        { metric: { job: 'api' }, value: [s(T0 + 10 * minute), '150'] },
        { metric: { job: 'db' }, value: [s(T0 + 10 * minute), '10'] },
      ]);
      const summed = await range('sum(http_requests_total)', T0, T0 + 2 * minute, 60);
      assert.deepEqual(summed.result, [{ metric: {}, values: [[s(T0), '0'], [s(T0 + minute), '16'], [s(T0 + 2 * minute), '32']] }]);
    });

    test('series, labels, label values, metadata, buildinfo and exemplars', async () => {
      const series = ok(await get('/series', { 'match[]': ['http_requests_total{job="api"}', '{"cpu.util", host="web-1"}'], start: s(T0), end: s(NOW) }));
      assert.deepEqual(series.data, [
        { __name__: 'http_requests_total', job: 'api', instance: 'a' },
        { __name__: 'http_requests_total', job: 'api', instance: 'b' },
        { __name__: 'cpu.util', host: 'web-1' },
      ]);
      const posted = await form('/series', { 'match[]': ['http_requests_total{job="api"}', '{"cpu.util", host="web-1"}'], start: s(T0), end: s(NOW) });
      assert.deepEqual(ok(posted).data, series.data);
      // A window without data: no stored series.
      assert.deepEqual(ok(await get('/series', { 'match[]': 'http_requests_total', start: s(T0 - 3_600_000), end: s(T0 - 60_000) })).data, []);
      // limit
      const limited = ok(await get('/series', { 'match[]': 'http_requests_total', limit: 2 }));
      assert.equal(limited.data.length, 2);
      assert.deepEqual(limited.warnings, ['results truncated due to limit']);

      assert.deepEqual(ok(await get('/labels', { 'match[]': 'http_requests_total' })).data, ['__name__', 'instance', 'job']);
      const all = ok(await get('/labels')).data as string[];
      for (const name of ['__name__', 'host', 'instance', 'job', 'key', 'bound', 'level', 'model', 'severity', 'alertname', 'alertstate', 'team']) assert.ok(all.includes(name), `${name} in ${all}`);
      assert.deepEqual(ok(await form('/labels', { 'match[]': '{"cpu.util"}' })).data, ['__name__', 'host']);

      assert.deepEqual(ok(await get('/label/job/values')).data, ['api', 'db']);
      assert.deepEqual(ok(await get('/label/instance/values', { 'match[]': '{job="api"}' })).data, ['a', 'b']);
      const names = ok(await get('/label/__name__/values')).data as string[];
      for (const n of ['ALERTS', 'ALERTS_FOR_STATE', 'cpu.util', 'http_requests_total', 'intentvision_anomaly', 'intentvision_anomaly_score', 'intentvision_forecast']) assert.ok(names.includes(n), `${n} in ${names}`);
      assert.deepEqual(names, [...names].sort());
      assert.deepEqual(ok(await get('/label/nothing/values')).data, []);
      // Prometheus 3's escaping of names outside the classic set: U__ + `_2e_` for ".".
      await ingestOk(t, [{ key: 'dotted', dimensions: { 'k8s.pod': 'p-1' }, timestamp: T0, value: 1 }]);
      assert.deepEqual(ok(await get('/label/U__k8s_2e_pod/values')).data, ['p-1']);

      const meta = ok(await get('/metadata')).data as Record<string, { type: string; help: string; unit: string }[]>;
      assert.deepEqual(meta.http_requests_total, [{ type: 'unknown', help: '', unit: '' }]);
      assert.equal(meta.intentvision_forecast![0]!.type, 'gauge');
      assert.deepEqual(Object.keys(ok(await get('/metadata', { metric: 'cpu.util' })).data), ['cpu.util']);

      const info = ok(await get('/status/buildinfo')).data;
      assert.equal(info.version, '2.42.0');
      assert.equal(typeof info.intentvision, 'string');
      assert.deepEqual(ok(await get('/query_exemplars', { query: 'http_requests_total', start: s(T0), end: s(NOW) })).data, []);
      assert.deepEqual(ok(await get('/rules')).data, { groups: [] });
    });

    test("the platform's series: the latest forecast, anomalies, ALERTS and ALERTS_FOR_STATE", async () => {
      const mean = await range('intentvision_forecast{key="cpu.util", bound="mean"}', NOW + minute, NOW + 3 * minute, 60);
      assert.deepEqual(mean.result, [
        { metric: { __name__: 'intentvision_forecast', key: 'cpu.util', host: 'web-1', model: 'ets', bound: 'mean' }, values: [1, 2, 3].map((v) => [s(NOW + v * minute), String(v)]) },
      ]);
      const bounds = await instant('intentvision_forecast{host="web-1", bound!="mean"}', NOW + 2 * minute);
      assert.deepEqual(
        bounds.result.map((x) => [x.metric.bound, x.metric.level, x.value[1]]),
        [['lower', '80', '1.5'], ['lower', '95', '1'], ['upper', '80', '2.5'], ['upper', '95', '3']],
      );

      assert.deepEqual((await instant('intentvision_anomaly_score{key="cpu.util"}', T0 + 5 * minute)).result, [
        { metric: { __name__: 'intentvision_anomaly_score', key: 'cpu.util', host: 'web-1' }, value: [s(T0 + 5 * minute), '0.9'] },
      ]);
      const raw = ok(await get('/query', { query: 'intentvision_anomaly_score[1h]', time: s(T0 + 30 * minute) })).data;
      assert.deepEqual(raw.result[0].values, [[s(T0 + 5 * minute), '0.9'], [s(T0 + 20 * minute), '0.99']]);
      assert.deepEqual((await instant('intentvision_anomaly{severity="critical"}', T0 + 20 * minute)).result, [
        { metric: { __name__: 'intentvision_anomaly', key: 'cpu.util', host: 'web-1', severity: 'critical' }, value: [s(T0 + 20 * minute), '1'] },
      ]);
      assert.deepEqual((await instant('intentvision_anomaly{severity="critical"}', T0 + 19 * minute)).result, []);

      const labels = { __name__: 'ALERTS', alertname: 'High CPU', alertstate: 'firing', host: 'web-1', key: 'cpu.util', severity: 'critical', team: 'ops' };
      assert.deepEqual((await instant('ALERTS{alertstate="firing"}', NOW)).result, [{ metric: labels, value: [s(NOW), '1'] }]);
      // Firing from NOW-5m on: present at every step from then, absent before.
      const firing = await range('ALERTS{alertname="High CPU", alertstate="firing"}', NOW - 8 * minute, NOW, 60);
      assert.deepEqual(firing.result, [{ metric: labels, values: [5, 4, 3, 2, 1, 0].map((m) => [s(NOW - m * minute), '1']) }]);
      // Pending from NOW-10m until it fired.
      const pending = await range('ALERTS{alertstate="pending"}', NOW - 12 * minute, NOW - 6 * minute, 60);
      assert.deepEqual(pending.result.map((x) => x.values.map((v) => v[0])), [[10, 9, 8, 7, 6].map((m) => s(NOW - m * minute))]);
      // The earlier, resolved episode fired 2–4 minutes after T0 (same labels: one series).
      const early = await range('ALERTS{alertstate="firing"}', T0, T0 + 3 * minute + 30_000, 30);
      assert.deepEqual(early.result[0]!.values.map((v) => v[0]), [2, 2.5, 3, 3.5].map((m) => s(T0 + m * minute)));
      assert.deepEqual((await instant('ALERTS_FOR_STATE', NOW)).result, [
        { metric: { __name__: 'ALERTS_FOR_STATE', alertname: 'High CPU', host: 'web-1', key: 'cpu.util', severity: 'critical', team: 'ops' }, value: [s(NOW), String(s(NOW - 10 * minute))] },
      ]);
      // An expression over them, as a dashboard would draw: the forecast's width at 95 %.
      const width = await instant('intentvision_forecast{bound="upper", level="95"} - ignoring(bound) intentvision_forecast{bound="lower", level="95"}', NOW + minute);
      assert.deepEqual(width.result.map((x) => x.value[1]), ['2']);
      // Listings see them too: both states of the alert, and its labels' values.
      const listed = ok(await get('/series', { 'match[]': 'ALERTS', start: s(NOW - 15 * minute), end: s(NOW) })).data as Record<string, string>[];
      assert.deepEqual(listed.map((l) => l.alertstate).sort(), ['firing', 'pending']);
      assert.deepEqual(ok(await get('/series', { 'match[]': 'ALERTS', start: s(NOW - 4 * minute), end: s(NOW) })).data.map((l: Record<string, string>) => l.alertstate), ['firing']);
      assert.deepEqual(ok(await get('/label/alertstate/values')).data, ['firing', 'pending']);
      assert.deepEqual(ok(await get('/label/bound/values', { 'match[]': 'intentvision_forecast' })).data, ['lower', 'mean', 'upper']);
      // /alerts lists the open one.
      const alerts = ok(await get('/alerts')).data.alerts as { labels: Record<string, string>; state: string; activeAt: string }[];
      assert.deepEqual(alerts.map((a) => [a.labels.alertname, a.state, a.activeAt]), [['High CPU', 'firing', new Date(NOW - 10 * minute).toISOString()]]);
    });

    test('a stored series with the labels of a platform series is left out, with a warning', async () => {
      const dims = { alertname: 'High CPU', alertstate: 'firing', host: 'web-1', key: 'cpu.util', severity: 'critical', team: 'ops' };
      await ingestOk(t, [
        { key: 'ALERTS', dimensions: dims, timestamp: NOW - minute, value: 1 },
        { key: 'ALERTS', dimensions: { ...dims, alertname: 'From Prometheus' }, timestamp: NOW - minute, value: 1 },
      ]);
      const r = ok(await get('/query', { query: 'ALERTS{alertstate="firing"}', time: s(NOW) }));
      assert.deepEqual(r.data.result.map((x: Vector) => x.metric.alertname), ['From Prometheus', 'High CPU']);
      assert.equal(r.warnings?.length, 1);
      assert.match(r.warnings![0]!, /1 stored series has the same labels as the platform's own series \(ALERTS\)/);
    });

    test('errors: bad_data 400 for what cannot be read, execution 422, platform refusals for credentials and scope', async () => {
      promError(await get('/query', { query: 'sum(' }), 400, 'bad_data');
      promError(await get('/query', {}), 400, 'bad_data', /query/);
      promError(await get('/query', { query: 'up', time: 'yesterday' }), 400, 'bad_data', /time/);
      promError(await form('/query', { query: 'up', time: 'yesterday' }), 400, 'bad_data', /time/);
      promError(await get('/query', { query: 'up', stpe: '1' }), 400, 'bad_data', /unknown parameter "stpe"/);
      promError(await get('/query_range', { query: 'up', start: 0, end: 60 }), 400, 'bad_data', /step/);
      promError(await get('/query_range', { query: 'up', start: 0, end: 60, step: 'often' }), 400, 'bad_data', /step/);
      promError(await get('/query_range', { query: 'up', start: 0, end: 60, step: 0 }), 400, 'bad_data', /zero or negative/);
      promError(await get('/query_range', { query: 'up', start: 60, end: 0, step: 1 }), 400, 'bad_data', /end timestamp must not be before start time/);
      promError(await get('/query_range', { query: 'up', start: 0, end: 11_001, step: 1 }), 400, 'bad_data', /11,000 points/);
      promError(await get('/query_range', { query: 'http_requests_total[5m]', start: 0, end: 60, step: 1 }), 400, 'bad_data', /range query/);
      promError(await get('/query', { query: 'http_requests_total{job=~"(a"}' }), 400, 'bad_data');
      promError(await get('/series', {}), 400, 'bad_data', /no match\[\] parameter provided/);
      promError(await get('/series', { 'match[]': 'sum(up)' }), 400, 'bad_data', /match\[\]/);
      promError(await get('/label/job/values', { limit: '-1' }), 400, 'bad_data', /limit/);
      // Many-to-one matching without group_left: an execution error, as in Prometheus.
      promError(await get('/query', { query: 'http_requests_total{instance="a"} + on(job) http_requests_total{job="api"}', time: s(T0 + 10 * minute) }), 422, 'execution');

      assertError(await t.app.inject({ method: 'GET', url: `${api}/query?query=up` }), 401, 'missing_api_key');
      const writer = await t.newKey(['write']);
      assertError(await get('/query', { query: 'up' }, writer.secret), 403, 'insufficient_scope');
      assertError(await get('/label/job/values', {}, writer.secret), 403, 'insufficient_scope');
      const reader = await t.newKey(['read']);
      assert.equal((await instant('http_requests_total', T0 + 10 * minute, reader.secret)).result.length, 3);
      // The rest of the API is unchanged: a form body elsewhere is still refused.
      const elsewhere = await t.app.inject({ method: 'POST', url: '/api/v1/query', headers: { ...bearer(t.adminKey), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'key=x' });
      assertError(elsewhere, 415, 'unsupported_media_type');
    });

    test('the store source: a selector matching more series than allowed is an execution error; one read for all series', async () => {
      const req = { matchers: [{ name: '__name__', type: '=' as const, value: 'http_requests_total' }], startMs: T0, endMs: T0 + 2 * minute };
      const opts = { nowMs: NOW, lookbackMs: 300_000, samples: true, warn: () => undefined };
      await assert.rejects(selectSeries(t.sql, t.org.id, req, { ...opts, maxSeries: 2 }), (e: unknown) => e instanceof PromQLError && e.type === 'execution' && /more than 2 series/.test(e.message));
      const three = await selectSeries(t.sql, t.org.id, req, { ...opts, maxSeries: 3 });
      assert.deepEqual(three.map((x) => [x.labels.instance, [...x.timestampsMs], [...x.values]]), [
        ['a', [T0 + minute, T0 + 2 * minute], [10, 20]],
        ['b', [T0 + minute, T0 + 2 * minute], [5, 10]],
        ['c', [T0 + minute, T0 + 2 * minute], [1, 2]],
      ]);
      // Another organisation's id reads nothing of these.
      assert.deepEqual(await selectSeries(t.sql, (await t.newOrg('Empty')).org.id, req, { ...opts, maxSeries: 3 }), []);
      assert.deepEqual(await new StoreSource(t.sql, t.org.id, { nowMs: NOW }).select({ ...req, matchers: [...req.matchers, { name: 'instance', type: '=~', value: 'b|c' }] }).then((r) => r.length), 2);
    });

    test("another organisation's key sees only its own series", async () => {
      const theirs = await instant('http_requests_total', T0 + 10 * minute, other.key);
      assert.deepEqual(theirs.result, [{ metric: { __name__: 'http_requests_total', instance: 'a', job: 'api' }, value: [s(T0 + 10 * minute), '999'] }]);
      for (const q of ['{"cpu.util"}', 'ALERTS', 'intentvision_forecast', 'intentvision_anomaly_score', 'ALERTS_FOR_STATE']) {
        assert.deepEqual((await instant(q, NOW, other.key)).result, [], q);
      }
      assert.deepEqual(ok(await get('/label/host/values', {}, other.key)).data, []);
      assert.deepEqual(ok(await get('/label/job/values', {}, other.key)).data, ['api']);
      assert.deepEqual(ok(await get('/series', { 'match[]': '{__name__=~".+"}' }, other.key)).data, [{ __name__: 'http_requests_total', job: 'api', instance: 'a' }]);
      assert.deepEqual(ok(await get('/labels', {}, other.key)).data, ['__name__', 'instance', 'job']);
      assert.deepEqual(ok(await get('/alerts', {}, other.key)).data, { alerts: [] });
      assert.deepEqual(Object.keys(ok(await get('/metadata', {}, other.key)).data).filter((n) => !n.startsWith('intentvision_') && !n.startsWith('ALERTS')), ['http_requests_total']);
    });
  });
}
