import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackendRegistry } from '../src/forecast/registry.js';
import { stubModelName } from '../src/forecast/backends/stub.js';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, hour, ingestOk, type Injected } from './helpers/ingest.js';
import { startFakeNixtla, type FakeNixtla } from './helpers/nixtla-server.js';
import { storeKinds } from './helpers/stores.js';

interface ForecastReply {
  id: string;
  backend: string;
  requestedBackend: string;
  fallbackReason?: string;
  model: string;
  frequency: string;
  horizon: number;
  levels: number[];
  generatedAt: string;
  key: string | null;
  dimensions: Record<string, string> | null;
  history: { start: string; points: number; filled: number };
  points: { timestamp: string; value: number; intervals: Record<string, { lower: number; upper: number }> }[];
}

const nixtlaKey = 'nixtla-test-key-123';
/** Fixed "now": the series below end 24 hours before it. */
const now = Date.UTC(2026, 10, 20, 12);
const start = now - 24 * 14 * hour;
/** Hourly, daily cycle of amplitude 10 around 100, a small deterministic wiggle. */
const seasonal = (i: number) => 100 + 10 * Math.sin((2 * Math.PI * i) / 24) + 0.5 * Math.sin(i * 1.7);
const seasonalPoints = (n: number, host: string) => Array.from({ length: n }, (_, i) => ({ key: 'svc.latency', value: seasonal(i), timestamp: start + i * hour, dimensions: { host, region: 'eu' } }));

for (const kind of storeKinds) {
  describe(`forecasting over HTTP (${kind.name})`, () => {
    let t: TestApp;
    let nixtla: FakeNixtla;
    before(async () => {
      nixtla = await startFakeNixtla(nixtlaKey);
      const backends = createBackendRegistry({ nixtla: { apiKey: nixtlaKey, baseUrl: nixtla.url, maxRetries: 1, retryBaseDelayMs: 1, timeoutMs: 2000 } });
      t = await startTestApp({ kind, backends, now: () => new Date(now) });
      // 13 days of hourly history, and the 24 hours after it (the "actuals" of forecasts made at day 13).
      const all = seasonalPoints(24 * 14, 'web-1');
      for (let i = 0; i < all.length; i += 1000) await ingestOk(t, all.slice(i, i + 1000));
      await ingestOk(t, seasonalPoints(24 * 14, 'web-2'));
    });
    after(async () => {
      await t.close();
      await nixtla.close();
    });

    const post = (url: string, payload: object, key = t.adminKey): Promise<Injected> => t.app.inject({ method: 'POST', url, headers: bearer(key), payload });
    const get = (url: string, key = t.adminKey) => t.app.inject({ method: 'GET', url, headers: bearer(key) });
    const forecastOk = async (payload: object): Promise<ForecastReply> => {
      const r = await post('/api/v1/forecast', payload);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as ForecastReply;
    };
    const day13 = start + 24 * 13 * hour - 1;
    const web1 = { key: 'svc.latency', dimensions: { host: 'web-1', region: 'eu' } };

    describe('POST /api/v1/forecast', () => {
      test('a stored seasonal series: 48 hourly steps after the history, close to the cycle, nested intervals', async () => {
        const f = await forecastOk({ ...web1, frequency: '1h', horizon: 48, to: day13 });
        assert.equal(f.backend, 'statistical');
        assert.equal(f.requestedBackend, 'statistical');
        assert.equal(f.fallbackReason, undefined);
        assert.ok(f.model.length > 0);
        assert.deepEqual(f.levels, [80, 95]);
        assert.equal(f.history.points, 24 * 13);
        assert.equal(f.history.start, new Date(start).toISOString());
        assert.equal(f.points.length, 48);
        const first = start + 24 * 13 * hour;
        f.points.forEach((p, h) => {
          assert.equal(p.timestamp, new Date(first + h * hour).toISOString());
          const i80 = p.intervals['80']!;
          const i95 = p.intervals['95']!;
          assert.ok(i95.lower <= i80.lower && i80.lower <= p.value && p.value <= i80.upper && i80.upper <= i95.upper, JSON.stringify(p));
        });
        // The daily cycle is learnt: mean absolute error against the true pattern well under its amplitude.
        const mae = f.points.reduce((s, p, h) => s + Math.abs(p.value - seasonal(24 * 13 + h)), 0) / 48;
        assert.ok(mae < 2.5, `MAE ${mae}`);
        const stored = await get(`/api/v1/forecasts/${f.id}`);
        assert.equal(stored.statusCode, 200);
        assert.deepEqual(stored.json(), f);
      });

      test('inline data with the stub backend: the last value repeated, labelled as a stub, levels as asked', async () => {
        const f = await forecastOk({ series: { timestamps: [0, 60_000, '1970-01-01T00:02:00Z'], values: [1, 2, 4] }, frequency: '1m', horizon: 3, backend: 'stub', levels: [50, 99.5] });
        assert.equal(f.backend, 'stub');
        assert.equal(f.model, stubModelName);
        assert.deepEqual(f.points.map((p) => [p.timestamp, p.value]), [
          ['1970-01-01T00:03:00.000Z', 4],
          ['1970-01-01T00:04:00.000Z', 4],
          ['1970-01-01T00:05:00.000Z', 4],
        ]);
        assert.deepEqual(Object.keys(f.points[0]!.intervals), ['50', '99.5']);
        assert.ok(f.points[2]!.intervals['99.5']!.upper - 4 > f.points[0]!.intervals['99.5']!.upper - 4, 'intervals widen with the horizon');
        assert.equal(f.key, null);
      });

      test('a history that never was negative gets no negative forecast or bound, whichever backend answers', async () => {
        // The stub's random-walk interval around the last value (1) would reach well below 0.
        const series = { timestamps: [0, 60_000, 120_000, 180_000, 240_000], values: [0, 10, 0, 10, 1] };
        for (const backend of ['stub', 'statistical']) {
          const f = await forecastOk({ series, frequency: '1m', horizon: 5, backend, levels: [80, 99] });
          assert.equal(f.backend, backend);
          for (const p of f.points) for (const iv of Object.values(p.intervals)) assert.ok(iv.lower >= 0 && iv.lower <= p.value && p.value <= iv.upper, `${backend}: ${JSON.stringify(p)}`);
          assert.ok(f.points.some((p) => p.intervals['99']!.lower === 0), `${backend}: the floor is reached`);
        }
      });

      test('raw points are averaged per step and gaps interpolated before fitting', async () => {
        const f = await forecastOk({ series: { timestamps: [0, 30_000, 3 * 60_000], values: [1, 3, 8] }, frequency: '1m', horizon: 1, backend: 'stub' });
        assert.deepEqual(f.history, { start: '1970-01-01T00:00:00.000Z', points: 4, filled: 2 });
        assert.equal(f.points[0]!.value, 8);
      });

      test('bad requests are 400s that say what is wrong', async () => {
        const cases: [object, string, RegExp][] = [
          [{ ...web1, frequency: '1h', horizon: 0 }, 'validation_failed', /horizon/],
          [{ ...web1, frequency: '1h', horizon: 721 }, 'validation_failed', /horizon/],
          [{ ...web1, frequency: '2h', horizon: 1 }, 'validation_failed', /frequency/],
          [{ ...web1, frequency: '1h', horizon: 1, levels: [100] }, 'validation_failed', /levels/],
          [{ ...web1, frequency: '1h', horizon: 1, levels: [0] }, 'validation_failed', /levels/],
          [{ ...web1, frequency: '1h', horizon: 1, levels: [80, 80] }, 'validation_failed', /levels/],
          [{ ...web1, frequency: '1h', horizon: 1, backend: 'prophet' }, 'validation_failed', /Unknown backend .*prophet.*known backends: statistical/],
          [{ frequency: '1h', horizon: 1 }, 'validation_failed', /key or series/],
          [{ ...web1, series: { timestamps: [1], values: [1] }, frequency: '1h', horizon: 1 }, 'validation_failed', /not both/],
          [{ series: { timestamps: [1, 2], values: [1] }, frequency: '1h', horizon: 1 }, 'validation_failed', /pair up/],
          [{ series: { timestamps: ['yesterday'], values: [1] }, frequency: '1h', horizon: 1 }, 'validation_failed', /timestamps\[0\]/],
          [{ series: { timestamps: [1], values: ['1'] }, frequency: '1h', horizon: 1 }, 'validation_failed', /values/],
          [{ ...web1, frequency: '1h', horizon: 1, from: now, to: now - hour }, 'validation_failed', /from must not be after to/],
          [{ ...web1, frequency: '1h', horizon: 1, extra: true }, 'validation_failed', /extra/],
        ];
        for (const [body, code, message] of cases) {
          const e = assertError(await post('/api/v1/forecast', body), 400, code);
          assert.match(JSON.stringify(e), message, JSON.stringify(body));
        }
      });

      test('too little history: 400 insufficient_data naming the minimum', async () => {
        const e = assertError(await post('/api/v1/forecast', { series: { timestamps: [0, 3_600_000], values: [1, 2] }, frequency: '1h', horizon: 5 }), 400, 'insufficient_data');
        assert.match(e.message, /at least 3 points/);
        assert.deepEqual(e.details, { needed: 3, found: 2, frequency: '1h' });
      });

      test('an unknown series is 404; a selector matching several series is 400 listing them', async () => {
        assertError(await post('/api/v1/forecast', { key: 'svc.nothing', frequency: '1h', horizon: 1 }), 404, 'not_found');
        const e = assertError(await post('/api/v1/forecast', { key: 'svc.latency', dimensions: { region: 'eu' }, frequency: '1h', horizon: 1 }), 400, 'validation_failed');
        assert.match(e.message, /2 series/);
        assert.deepEqual(e.details, { matches: [{ host: 'web-1', region: 'eu' }, { host: 'web-2', region: 'eu' }] });
        // A partial selector that names one series is enough.
        const f = await forecastOk({ key: 'svc.latency', dimensions: { host: 'web-2' }, frequency: '1h', horizon: 1, backend: 'stub' });
        assert.deepEqual(f.dimensions, { host: 'web-2', region: 'eu' });
      });
    });

    describe('backends and fallback', () => {
      test('GET /api/v1/forecast/backends lists each with availability, default and capabilities', async () => {
        const r = await get('/api/v1/forecast/backends');
        assert.equal(r.statusCode, 200);
        const list = r.json().backends as { name: string; available: boolean; default: boolean; capabilities: { frequencies: string[]; maxHorizon: number } }[];
        assert.deepEqual(list.map((b) => [b.name, b.available, b.default]), [
          ['statistical', true, true],
          ['nixtla-timegpt', true, false],
          ['stub', true, false],
        ]);
        for (const b of list) assert.deepEqual([b.capabilities.frequencies, b.capabilities.maxHorizon], [['1m', '5m', '1h', '1d'], 720]);
      });

      test('without an API key TimeGPT is unavailable and a request for it falls back to the default, saying why', async () => {
        const noKey = await startTestApp({ kind, store: t.store });
        try {
          const b = (await noKey.app.inject({ method: 'GET', url: '/api/v1/forecast/backends', headers: bearer(noKey.adminKey) })).json().backends as { name: string; available: boolean; reason?: string }[];
          assert.deepEqual(b.find((x) => x.name === 'nixtla-timegpt'), { ...b.find((x) => x.name === 'nixtla-timegpt'), available: false, reason: 'NIXTLA_API_KEY is not set' });
          const r = await noKey.app.inject({ method: 'POST', url: '/api/v1/forecast', headers: bearer(noKey.adminKey), payload: { series: { timestamps: [0, 60_000, 120_000, 180_000], values: [1, 2, 3, 4] }, frequency: '1m', horizon: 2, backend: 'nixtla-timegpt' } });
          assert.equal(r.statusCode, 200, r.body);
          const f = r.json() as ForecastReply;
          assert.equal(f.backend, 'statistical');
          assert.equal(f.requestedBackend, 'nixtla-timegpt');
          assert.match(f.fallbackReason!, /nixtla-timegpt is unavailable: NIXTLA_API_KEY is not set/);
        } finally {
          await noKey.close();
        }
      });

      test('TimeGPT answering: its forecast is used and stored', async () => {
        nixtla.reset();
        const f = await forecastOk({ ...web1, frequency: '1h', horizon: 24, backend: 'nixtla-timegpt', to: day13 });
        assert.equal(f.backend, 'nixtla-timegpt');
        assert.equal(f.fallbackReason, undefined);
        assert.equal(nixtla.calls.length, 1);
        const sent = nixtla.calls[0]!.body as { series: { y: number[]; sizes: number[] }; h: number; freq: string };
        assert.deepEqual([sent.series.sizes, sent.h, sent.freq], [[24 * 13], 24, 'h']);
        // The fake answers a seasonal naive forecast: the last day repeated.
        f.points.forEach((p, h) => assert.ok(Math.abs(p.value - sent.series.y[24 * 12 + h]!) < 1e-9));
      });

      test('TimeGPT failing: retried, then the default answers and the reply says why', async () => {
        nixtla.reset();
        nixtla.always({ status: 503, body: { detail: 'overloaded' } });
        try {
          const f = await forecastOk({ ...web1, frequency: '1h', horizon: 6, backend: 'nixtla-timegpt', to: day13 });
          assert.equal(f.backend, 'statistical');
          assert.equal(f.requestedBackend, 'nixtla-timegpt');
          assert.match(f.fallbackReason!, /^nixtla-timegpt failed: .*503/);
          assert.equal(nixtla.calls.length, 2); // first attempt + 1 retry
        } finally {
          nixtla.reset();
        }
      });
    });

    describe('evaluation, accuracy and backtests', () => {
      test('a stored forecast against the actuals that followed: figures computed by hand from the stored values', async () => {
        const f = await forecastOk({ ...web1, frequency: '1h', horizon: 30, backend: 'stub', to: day13 });
        const r = await get(`/api/v1/forecasts/${f.id}/evaluation`);
        assert.equal(r.statusCode, 200, r.body);
        const e = r.json() as Record<string, number | null> & { coverage: Record<string, number> };
        // Actuals exist for the 24 steps of day 14; the 6 after are in the future.
        assert.equal(e.pointsCompared, 24);
        assert.equal(e.horizon, 30);
        assert.equal(e.stepsElapsed, 25); // the steps from now − 24 h to now
        const actual = Array.from({ length: 24 }, (_, h) => seasonal(24 * 13 + h));
        const errs = actual.map((y, h) => y - f.points[h]!.value);
        const close = (a: number | null | undefined, b: number) => assert.ok(a != null && Math.abs(a - b) < 1e-9, `${a} vs ${b}`);
        close(e.mae, errs.reduce((s, x) => s + Math.abs(x), 0) / 24);
        close(e.rmse, Math.sqrt(errs.reduce((s, x) => s + x * x, 0) / 24));
        close(e.mape, (100 * errs.reduce((s, x, h) => s + Math.abs(x) / actual[h]!, 0)) / 24);
        close(e.smape, (100 * errs.reduce((s, x, h) => s + (2 * Math.abs(x)) / (actual[h]! + Math.abs(f.points[h]!.value)), 0)) / 24);
        // MASE: scaled by the in-sample seasonal naive (lag 24) MAE of the 13 days of history.
        const hist = Array.from({ length: 24 * 13 }, (_, i) => seasonal(i));
        const scale = hist.slice(24).reduce((s, y, i) => s + Math.abs(y - hist[i]!), 0) / (hist.length - 24);
        close(e.mase, e.mae! / scale);
        const inside = actual.filter((y, h) => y >= f.points[h]!.intervals['95']!.lower && y <= f.points[h]!.intervals['95']!.upper).length;
        close(e.coverage['95']!, inside / 24);
      });

      test('evaluation of an inline forecast is a 400; of an unknown id a 404', async () => {
        const f = await forecastOk({ series: { timestamps: [0, 60_000, 120_000], values: [1, 2, 3] }, frequency: '1m', horizon: 1, backend: 'stub' });
        assertError(await get(`/api/v1/forecasts/${f.id}/evaluation`), 400, 'bad_request');
        assertError(await get('/api/v1/forecasts/00000000-0000-4000-8000-000000000000/evaluation'), 404, 'not_found');
        assertError(await get('/api/v1/forecasts/not-a-uuid'), 400, 'validation_failed');
      });

      test('GET /api/v1/accuracy: one entry per past run of the series, newest first, with means', async () => {
        const other = await t.newOrg('accuracy');
        await ingestOk(t, seasonalPoints(24 * 14, 'acc'), { key: other.key });
        const sel = { key: 'svc.latency', dimensions: { host: 'acc', region: 'eu' } };
        const ids: string[] = [];
        for (const backend of ['stub', 'statistical']) {
          const r = await post('/api/v1/forecast', { ...sel, frequency: '1h', horizon: 24, backend, to: day13 }, other.key);
          assert.equal(r.statusCode, 200, r.body);
          ids.push(r.json().id);
        }
        const r = await get(`/api/v1/accuracy?key=svc.latency&dimensions=${encodeURIComponent('{"host":"acc"}')}`, other.key);
        assert.equal(r.statusCode, 200, r.body);
        const body = r.json() as { runs: { forecastId: string; backend: string; mae: number; pointsCompared: number }[]; mean: { mae: number } };
        assert.deepEqual(body.runs.map((x) => x.forecastId).sort(), [...ids].sort());
        for (const run of body.runs) assert.equal(run.pointsCompared, 24);
        assert.ok(Math.abs(body.mean.mae - (body.runs[0]!.mae + body.runs[1]!.mae) / 2) < 1e-9);
        const stubRun = body.runs.find((x) => x.backend === 'stub')!;
        const statRun = body.runs.find((x) => x.backend === 'statistical')!;
        assert.ok(statRun.mae < stubRun.mae / 2, `statistical ${statRun.mae} vs stub ${stubRun.mae}`);
        const onlyStub = await get(`/api/v1/accuracy?key=svc.latency&backend=stub`, other.key);
        assert.deepEqual((onlyStub.json().runs as { backend: string }[]).map((x) => x.backend), ['stub']);
        assertError(await get('/api/v1/accuracy', other.key), 400, 'validation_failed');
      });

      test('POST /api/v1/backtest compares backends by rolling origin; a backend that cannot run says why', async () => {
        const r = await post('/api/v1/backtest', { ...web1, frequency: '1h', horizon: 24, folds: 3, backends: ['statistical', 'stub'], to: day13 });
        assert.equal(r.statusCode, 200, r.body);
        const b = r.json() as { historyPoints: number; origins: string[]; backends: { backend: string; error?: string; folds: { pointsCompared: number }[]; mean: { mase: number } }[] };
        assert.equal(b.historyPoints, 24 * 13);
        assert.deepEqual(b.origins, [10, 11, 12].map((d) => new Date(start + d * 24 * hour).toISOString()));
        const [stat, stub] = b.backends;
        assert.deepEqual([stat!.backend, stub!.backend], ['statistical', 'stub']);
        for (const x of [stat!, stub!]) assert.deepEqual(x.folds.map((f) => f.pointsCompared), [24, 24, 24]);
        assert.ok(stat!.mean.mase < stub!.mean.mase / 2, `statistical MASE ${stat!.mean.mase} vs naive ${stub!.mean.mase}`);

        const tooShort = await post('/api/v1/backtest', { series: { timestamps: [0, 60_000, 120_000, 180_000], values: [1, 2, 3, 4] }, frequency: '1m', horizon: 2, folds: 1, backends: ['statistical'] });
        assert.equal(tooShort.statusCode, 200, tooShort.body);
        assert.match(tooShort.json().backends[0].error, /needs at least 3 points/);
        assertError(await post('/api/v1/backtest', { ...web1, frequency: '1h', horizon: 1, backends: ['nope'] }), 400, 'validation_failed');
      });

      test('values alternating ±1e308: the forecast and the backtest reply with finite numbers', async () => {
        const n = 24 * 5;
        const series = { timestamps: Array.from({ length: n }, (_, i) => i * hour), values: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1e308 : -1e308)) };
        const f = await forecastOk({ series, frequency: '1h', horizon: 48, levels: [80, 95] });
        assert.equal(f.backend, 'statistical');
        assert.equal(f.points.length, 48);
        for (const p of f.points) {
          const row = [p.intervals['95']!.lower, p.intervals['80']!.lower, p.value, p.intervals['80']!.upper, p.intervals['95']!.upper];
          assert.ok(row.every((v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= Number.MAX_VALUE), JSON.stringify(row));
          for (let k = 1; k < row.length; k++) assert.ok(row[k - 1]! <= row[k]!, JSON.stringify(row));
        }
        const b = await post('/api/v1/backtest', { series, frequency: '1h', horizon: 24, folds: 2, backends: ['statistical'] });
        assert.equal(b.statusCode, 200, b.body);
        const stat = (b.json() as { backends: { backend: string; error?: string; models: string[]; folds: { pointsCompared: number }[] }[] }).backends[0]!;
        assert.equal(stat.error, undefined, stat.error);
        assert.deepEqual(stat.folds.map((x) => x.pointsCompared), [24, 24]);
      });

      test('GET /api/v1/forecasts lists stored forecasts newest first with cursor pagination and filters', async () => {
        const other = await t.newOrg('listing');
        const made: string[] = [];
        for (let i = 0; i < 5; i++) {
          const r = await post('/api/v1/forecast', { series: { timestamps: [0, 60_000], values: [i, i] }, frequency: '1m', horizon: 1, backend: 'stub' }, other.key);
          made.push(r.json().id);
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const r = await get(`/api/v1/forecasts?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, other.key);
          assert.equal(r.statusCode, 200, r.body);
          const page = r.json() as { items: { id: string }[]; nextCursor: string | null };
          seen.push(...page.items.map((x) => x.id));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual([...seen].sort(), [...made].sort());
        assert.equal(new Set(seen).size, 5);
        assert.equal((await get('/api/v1/forecasts?backend=statistical', other.key)).json().items.length, 0);
        assertError(await get('/api/v1/forecasts?cursor=garbage', other.key), 400, 'invalid_cursor');
      });
    });
  });
}
