// Known bounds and a baseline period in anomaly detection over HTTP, and a series' bounds setting
// (PUT/GET /api/v1/series/settings, shown in the catalogue), on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, startTestApp, type TestApp } from './helpers/app.js';
import { assertError, ingestOk, minute, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

interface DetectReply {
  anomalies: { id: string | null; timestamp: string; value: number; score: number }[];
  scores?: number[];
  threshold: number;
  pointsAnalysed: number;
  bounds: { min: number; max: number } | null;
  baseline: { from: string; to: string } | null;
}
interface Settings {
  key: string;
  dimensions: Record<string, string>;
  bounds: { min: number; max: number } | null;
}

const now = Date.UTC(2026, 10, 20, 12);
const step = 5 * minute;
const n = 1000;
const start = now - n * step;
const at = (i: number) => start + i * step;
/** Deterministic noise in [−1, 1]. */
const noise = (i: number) => Math.sin(i * 12.9898) * Math.cos(i * 4.1414);

/** A percentage near its ceiling (98.1–99.9); one reading at 600 just above 100, which a percentage cannot be. */
const overAt = 600;
const pct = (i: number) => (i === overAt ? 100.05 : 99 + 0.9 * noise(i));
/** A queue depth near 50 that shifts to 65 at 600 and stays there. */
const shiftAt = 600;
const depth = (i: number) => (i >= shiftAt ? 65 : 50) + noise(i);

const disk = { key: 'disk.used_pct', dimensions: { host: 'db-1' } };
const queue = { key: 'queue.depth', dimensions: { host: 'q-1' } };

for (const kind of storeKinds) {
  describe(`known bounds and baselines over HTTP (${kind.name})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ kind, now: () => new Date(now) });
      for (const [s, f] of [
        [disk, pct],
        [queue, depth],
      ] as const) {
        const metrics = Array.from({ length: n }, (_, i) => ({ ...s, value: f(i), timestamp: at(i) }));
        await ingestOk(t, metrics.slice(0, 500));
        await ingestOk(t, metrics.slice(500));
      }
    });
    after(async () => t.close());

    const inject = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, key = t.adminKey): Promise<Injected> =>
      t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
    const detect = (payload: object, key?: string) => inject('POST', '/api/v1/anomalies/detect', payload, key);
    const detectOk = async (payload: object): Promise<DetectReply> => {
      const r = await detect(payload);
      assert.equal(r.statusCode, 200, r.body);
      return r.json() as DetectReply;
    };
    const putSettings = (payload: object, key?: string) => inject('PUT', '/api/v1/series/settings', payload, key);
    const getSettings = (s: { key: string; dimensions: Record<string, string> }, key?: string) =>
      inject('GET', `/api/v1/series/settings?key=${s.key}&dimensions=${encodeURIComponent(JSON.stringify(s.dimensions))}`, undefined, key);
    const wholeDisk = { ...disk, from: start, to: now, includeScores: true };
    const overTime = new Date(at(overAt)).toISOString();

    test('bounds that are not finite with min < max are refused with a 400 naming body.bounds', async () => {
      const cases: [unknown, string][] = [
        [{ min: 5, max: 5 }, 'body.bounds'],
        [{ min: 100, max: 0 }, 'body.bounds'],
        [{ min: -1.5e308, max: 1.5e308 }, 'body.bounds'],
        [{ min: 0 }, 'body.bounds.max'],
        [{ min: 'low', max: 1 }, 'body.bounds.min'],
        [{ min: 0, max: 1, step: 1 }, 'body.bounds.step'],
        [[0, 100], 'body.bounds'],
      ];
      for (const [bounds, field] of cases) {
        const e = assertError(await detect({ ...wholeDisk, bounds }), 400, 'validation_failed');
        const fields = (e.details as { field: string }[]).map((d) => d.field);
        assert.ok(fields.includes(field), `${JSON.stringify(bounds)}: ${JSON.stringify(e)}`);
      }
      // A number beyond the range of a double (JSON allows it; it parses to Infinity).
      const overflow = await t.app.inject({
        method: 'POST',
        url: '/api/v1/anomalies/detect',
        headers: { ...bearer(t.adminKey), 'content-type': 'application/json' },
        payload: `{"key":"${disk.key}","dimensions":{"host":"db-1"},"bounds":{"min":0,"max":1e309}}`,
      });
      assert.equal(overflow.statusCode, 400, overflow.body);
    });

    test('a value outside the request\'s bounds is an anomaly with score 1; without them, or within wider ones, it is not forced', async () => {
      const bounded = await detectOk({ ...wholeDisk, bounds: { min: 0, max: 100 } });
      assert.deepEqual(bounded.bounds, { min: 0, max: 100 });
      assert.equal(bounded.baseline, null);
      const over = bounded.anomalies.find((a) => a.timestamp === overTime);
      assert.ok(over, `found ${bounded.anomalies.map((a) => a.timestamp).join(', ')}`);
      assert.equal(over.score, 1);
      assert.equal(over.value, 100.05);
      assert.equal(bounded.scores![overAt], 1);
      const free = await detectOk({ ...wholeDisk, bounds: null });
      assert.equal(free.bounds, null);
      assert.ok(free.scores![overAt]! < 1, `score without bounds ${free.scores![overAt]}`);
      // Wider bounds hold the value: nothing forces it (the methods may scale differently).
      const wide = await detectOk({ ...wholeDisk, bounds: { min: 0, max: 200 } });
      assert.deepEqual(wide.bounds, { min: 0, max: 200 });
      assert.ok(wide.scores![overAt]! < 1, `score within wide bounds ${wide.scores![overAt]}`);
      // Online too, and for inline data.
      const timestamps = Array.from({ length: n }, (_, i) => at(i));
      const values = timestamps.map((_, i) => pct(i));
      const online = await detectOk({ series: { timestamps, values }, mode: 'online', bounds: { min: 0, max: 100 }, includeScores: true });
      assert.equal(online.scores![overAt], 1);
      assert.ok(online.anomalies.some((a) => a.timestamp === overTime && a.score === 1 && a.id === null));
    });

    test('a series\' bounds setting: set, read, listed in the catalogue, applied when a request gives none, cleared', async () => {
      const before = await getSettings(disk);
      assert.equal(before.statusCode, 200, before.body);
      assert.deepEqual(before.json(), { ...disk, bounds: null });

      const put = await putSettings({ ...disk, bounds: { min: 0, max: 100 } });
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual(put.json(), { ...disk, bounds: { min: 0, max: 100 } });
      assert.deepEqual((await getSettings(disk)).json(), { ...disk, bounds: { min: 0, max: 100 } });
      const catalogue = (await inject('GET', '/api/v1/metrics?prefix=disk.')).json() as { series: { key: string; bounds: unknown }[] };
      assert.deepEqual(catalogue.series.map((s) => [s.key, s.bounds]), [['disk.used_pct', { min: 0, max: 100 }]]);
      const other = (await inject('GET', '/api/v1/metrics?prefix=queue.')).json() as { series: { bounds: unknown }[] };
      assert.deepEqual(other.series.map((s) => s.bounds), [null]);

      // A request without bounds uses the setting; `bounds: null` asks for none; its own bounds win.
      const bySetting = await detectOk(wholeDisk);
      assert.deepEqual(bySetting.bounds, { min: 0, max: 100 });
      assert.equal(bySetting.anomalies.find((a) => a.timestamp === overTime)?.score, 1);
      const none = await detectOk({ ...wholeDisk, bounds: null });
      assert.equal(none.bounds, null);
      assert.ok(none.scores![overAt]! < 1);
      const own = await detectOk({ ...wholeDisk, bounds: { min: 0, max: 200 } });
      assert.deepEqual(own.bounds, { min: 0, max: 200 });
      assert.ok(own.scores![overAt]! < 1);

      const cleared = await putSettings({ ...disk, bounds: null });
      assert.equal(cleared.statusCode, 200, cleared.body);
      assert.deepEqual(cleared.json(), { ...disk, bounds: null });
      const after = await detectOk(wholeDisk);
      assert.equal(after.bounds, null);
      assert.ok(after.scores![overAt]! < 1);
    });

    test('series settings refuse bad bounds, unknown series and other organisations', async () => {
      for (const bounds of [{ min: 1, max: 1 }, { min: 2, max: 1 }]) {
        const e = assertError(await putSettings({ ...disk, bounds }), 400, 'validation_failed');
        assert.deepEqual((e.details as { field: string }[]).map((d) => d.field), ['body.bounds']);
      }
      assertError(await putSettings({ ...disk }), 400, 'validation_failed');
      // One series by its exact dimensions: a subset names none.
      assertError(await putSettings({ key: disk.key, dimensions: {}, bounds: { min: 0, max: 1 } }), 404, 'not_found');
      assertError(await putSettings({ key: 'disk.nothing', dimensions: disk.dimensions, bounds: { min: 0, max: 1 } }), 404, 'not_found');
      assertError(await getSettings({ key: disk.key, dimensions: { host: 'db-2' } }), 404, 'not_found');
      // Setting is a member's action (scope write); reading needs read.
      const reader = await t.newKey(['read']);
      assertError(await putSettings({ ...disk, bounds: { min: 0, max: 1 } }, reader.secret), 403, 'insufficient_scope');
      assert.equal((await getSettings(disk, reader.secret)).statusCode, 200);

      const stranger = await t.newOrg('Bounds Stranger');
      assertError(await getSettings(disk, stranger.key), 404, 'not_found');
      assertError(await putSettings({ ...disk, bounds: { min: 0, max: 1 } }, stranger.key), 404, 'not_found');
      // Their refusal changed nothing here.
      assert.deepEqual((await getSettings(disk)).json(), { ...disk, bounds: null });
      // Nor do they see the series through detection.
      assertError(await detect({ ...disk, bounds: { min: 0, max: 100 } }, stranger.key), 404, 'not_found');
    });

    test('baseline: after a reference period, a sustained shift stays anomalous; the lead-in is context only', async () => {
      const baseline = { from: new Date(at(0)).toISOString(), to: new Date(at(400)).toISOString() };
      // The range asked for starts after the baseline: the baseline is read too, but only [from, to] comes back.
      const batch = await detectOk({ ...queue, from: at(500), to: now, baseline, includeScores: true });
      assert.deepEqual(batch.baseline, baseline);
      assert.equal(batch.pointsAnalysed, n - 500);
      assert.equal(batch.scores!.length, n - 500);
      assert.ok(batch.anomalies.every((a) => Date.parse(a.timestamp) >= at(500)));
      // Judged against the baseline alone, the new level is abnormal to the end of the series: batch
      // reports every point at or above the threshold, so the episode is reported throughout.
      const late = batch.scores!.slice(shiftAt - 500 + 100);
      const above = late.filter((x) => x >= batch.threshold).length;
      assert.ok(above >= 0.9 * late.length, `${above} of the ${late.length} points long after the shift score at or above ${batch.threshold}`);
      const reportedLate = batch.anomalies.filter((a) => Date.parse(a.timestamp) >= at(shiftAt + 100)).length;
      assert.equal(reportedLate, above);
      // Before the shift, the series looks like its baseline.
      const calm = batch.scores!.slice(0, shiftAt - 500);
      assert.ok(calm.every((x) => x < batch.threshold), `calm scores up to ${Math.max(...calm)}`);

      // Online, causal: the shift's onset is reported (one report per episode), nothing in the lead-in.
      const online = await detectOk({ ...queue, from: at(500), to: now, mode: 'online', baseline, includeScores: true });
      assert.equal(online.pointsAnalysed, n - 500);
      assert.ok(online.anomalies.every((a) => Date.parse(a.timestamp) >= at(500)));
      assert.ok(online.anomalies.some((a) => Math.abs(Date.parse(a.timestamp) - at(shiftAt)) <= 5 * step), `reports ${online.anomalies.map((a) => a.timestamp).join(', ')}`);
    });

    test('baseline refusals: too few points, reversed, malformed', async () => {
      const short = { from: new Date(at(0)).toISOString(), to: new Date(at(10)).toISOString() };
      const e = assertError(await detect({ ...queue, from: start, to: now, baseline: short }), 400, 'validation_failed');
      assert.match(e.message, /10 points.*at least 20/);
      assert.deepEqual((e.details as { field: string }[]).map((d) => d.field), ['body.baseline']);
      // A baseline where the series has no points is too short too.
      const empty = { from: new Date(at(-500)).toISOString(), to: new Date(at(-1)).toISOString() };
      assertError(await detect({ ...queue, from: start, to: now, baseline: empty }), 400, 'validation_failed');
      const reversed = assertError(await detect({ ...queue, baseline: { from: at(400), to: at(0) } }), 400, 'validation_failed');
      assert.deepEqual((reversed.details as { field: string }[]).map((d) => d.field), ['body.baseline']);
      const bad = assertError(await detect({ ...queue, baseline: { from: 'yesterday', to: at(10) } }), 400, 'validation_failed');
      assert.deepEqual((bad.details as { field: string }[]).map((d) => d.field), ['body.baseline.from']);
      assertError(await detect({ ...queue, baseline: { from: at(0) } }), 400, 'validation_failed');
      // Inline data: the baseline is counted in the data sent.
      const timestamps = Array.from({ length: 200 }, (_, i) => at(i));
      const inline = assertError(await detect({ series: { timestamps, values: timestamps.map((_, i) => depth(i)) }, baseline: { from: at(190), to: at(300) } }), 400, 'validation_failed');
      assert.match(inline.message, /10 points/);
    });
  });
}
