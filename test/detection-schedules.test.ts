// Detection schedules over HTTP and their runs, on both stores: CRUD, validation and org isolation;
// runs that continue from the saved state (only new points, one report per episode across runs, the
// same reports as one long online run); the tick; "run now"; anomaly rules reading a schedule's anomalies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { evaluateRuleNow } from '../src/alert/pass/run.js';
import { getRule } from '../src/alert/store.js';
import { executeDetectionRun, tickDetectionSchedules, warmupPoints, type DetectionRunData } from '../src/anomaly/detection-runner.js';
import { defaultMethods, methods } from '../src/anomaly/registry.js';
import { encodeStates } from '../src/anomaly/state-codec.js';
import { detectOnThisThread } from '../src/anomaly/detect-func.js';
import { detectAnomalies } from '../src/anomaly/ensemble.js';
import type { DetectTask } from '../src/anomaly/worker-task.js';
import { createLogger } from '../src/core/logger.js';
import { JobQueue } from '../src/jobs/queue.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { alertingDeps } from './helpers/alerting.js';
import { noise } from './helpers/anomaly-series.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { assertError, ingestOk, minute, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

interface ScheduleReply {
  id: string;
  name: string;
  key: string;
  dimensions: Record<string, string>;
  intervalSeconds: number;
  sensitivity: number;
  methods: { name: string; weight: number }[] | null;
  bounds: { min: number; max: number } | null;
  baseline: { from: string; to: string } | null;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastError: string | null;
  seriesCount: number;
  createdAt: string;
  updatedAt: string;
}
interface SeriesReply {
  seriesId: string;
  dimensions: Record<string, string>;
  lastPointAt: string | null;
  pointsProcessed: number;
  anomaliesFound: number;
  stateBytes: number;
  lastError: string | null;
}

const T0 = Date.UTC(2026, 10, 20, 0, 0);
/** Minutely values: noise around 100, a spike at 400 and a raised episode over 590..659. */
const N = 900;
const SPIKE = 400;
const EPISODE = [590, 660] as const;
const series = (() => {
  const y = noise(N, 1, 11, 100);
  y[SPIKE] = y[SPIKE]! + 25;
  for (let i = EPISODE[0]; i < EPISODE[1]; i++) y[i] = y[i]! + 15;
  return y;
})();
const stamps = Float64Array.from({ length: N }, (_, i) => T0 + i * minute);
const pointsOf = (key: string, host: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => ({ key, value: series[from + k]!, timestamp: stamps[from + k]!, dimensions: { host } }));

test('the warm-up covers the stateless methods\' windows and three days of a daily cycle, within bounds', () => {
  assert.equal(warmupPoints(3_600_000), 3_000); // hourly: a week's period is tested after 504 points
  assert.equal(warmupPoints(300_000), 3_000); // 5-minutely: 865 points for the daily cycle
  assert.equal(warmupPoints(60_000), 3 * 1440 + 1); // minutely: the daily cycle needs 4,321
  assert.equal(warmupPoints(10_000), 5_000); // finer: capped
  assert.equal(warmupPoints(NaN), 3_000);
});

for (const kind of storeKinds) {
  describe(`detection schedules (${kind.name})`, () => {
    let t: TestApp;
    let clock = T0;
    const now = () => new Date(clock);
    before(async () => {
      t = await startTestApp({ kind, now });
    });
    after(async () => t.close());

    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, key = t.adminKey): Promise<Injected> =>
      t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
    const create = async (body: object): Promise<ScheduleReply> => {
      const r = await call('POST', '/api/v1/detection-schedules', body);
      assert.equal(r.statusCode, 201, r.body);
      return r.json() as ScheduleReply;
    };
    const seriesOf = async (id: string): Promise<SeriesReply[]> => {
      const r = await call('GET', `/api/v1/detection-schedules/${id}/series`);
      assert.equal(r.statusCode, 200, r.body);
      return r.json().items as SeriesReply[];
    };
    const runDeps = () => ({ sql: t.sql, now });
    const ingestRange = async (key: string, host: string, from: number, to: number) => {
      for (let i = from; i < to; i += 1000) await ingestOk(t, pointsOf(key, host, i, Math.min(to, i + 1000)));
    };
    const stored = async (key: string) =>
      (await t.sql.query<{ id: string; t: number; score: number; schedule_id: string | null; detected_at: Date }>(
        `SELECT id, (extract(epoch FROM ts) * 1000)::float8 AS t, score, schedule_id, detected_at FROM anomalies WHERE org_id = $1 AND key = $2 ORDER BY ts`,
        [t.org.id, key],
      )).rows.map((r) => ({ id: r.id, t: Number(r.t), score: Number(r.score), scheduleId: r.schedule_id, detectedAt: r.detected_at.getTime() }));

    test('create, read, list, change and delete; defaults as the contract says', async () => {
      clock = T0;
      const s = await create({ name: 'cpu', key: 'ds.crud' });
      assert.deepEqual(
        [s.name, s.key, s.dimensions, s.intervalSeconds, s.sensitivity, s.methods, s.bounds, s.baseline, s.paused, s.nextRunAt, s.lastRunAt, s.lastError, s.seriesCount],
        ['cpu', 'ds.crud', {}, 60, 0.5, null, null, null, false, new Date(T0).toISOString(), null, null, 0],
      );
      assert.ok(!('orgId' in s) && !('revision' in s));
      const full = await create({
        name: 'full',
        key: 'ds.crud',
        dimensions: { host: 'a' },
        intervalSeconds: 300,
        sensitivity: 0.7,
        methods: [{ name: 'robust-zscore', weight: 1 }],
        bounds: { min: 0, max: 100 },
        baseline: { from: '2026-11-01T00:00:00Z', to: Date.UTC(2026, 10, 2) },
        paused: true,
      });
      assert.deepEqual(
        [full.dimensions, full.intervalSeconds, full.sensitivity, full.methods, full.bounds, full.baseline, full.paused, full.nextRunAt],
        [{ host: 'a' }, 300, 0.7, [{ name: 'robust-zscore', weight: 1 }], { min: 0, max: 100 }, { from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T00:00:00.000Z' }, true, null],
      );
      assert.deepEqual((await call('GET', `/api/v1/detection-schedules/${full.id}`)).json(), full);

      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = (await call('GET', `/api/v1/detection-schedules?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json() as { items: ScheduleReply[]; nextCursor: string | null };
        ids.push(...page.items.map((x) => x.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(ids.sort(), [s.id, full.id].sort());

      clock = T0 + 5 * minute;
      const resumed = (await call('PATCH', `/api/v1/detection-schedules/${full.id}`, { paused: false, bounds: null, methods: null, name: 'renamed' })).json() as ScheduleReply;
      assert.deepEqual([resumed.paused, resumed.nextRunAt, resumed.bounds, resumed.methods, resumed.name], [false, new Date(clock).toISOString(), null, null, 'renamed']);
      const paused = (await call('PATCH', `/api/v1/detection-schedules/${full.id}`, { paused: true })).json() as ScheduleReply;
      assert.deepEqual([paused.paused, paused.nextRunAt], [true, null]);

      assert.equal((await call('DELETE', `/api/v1/detection-schedules/${full.id}`)).statusCode, 204);
      assertError(await call('GET', `/api/v1/detection-schedules/${full.id}`), 404, 'not_found');
      assertError(await call('DELETE', `/api/v1/detection-schedules/${full.id}`), 404, 'not_found');
      assertError(await call('PATCH', `/api/v1/detection-schedules/${full.id}`, { name: 'x' }), 404, 'not_found');
      assert.equal((await call('DELETE', `/api/v1/detection-schedules/${s.id}`)).statusCode, 204);
    });

    test('bad settings: 400 naming the field; a read key cannot change; another organisation sees nothing', async () => {
      const base = { name: 'x', key: 'ds.bad' };
      const field = (r: Injected) => (assertError(r, 400, 'validation_failed').details as { field: string }[]).map((d) => d.field).join(',');
      for (const [body, name] of [
        [{ ...base, name: '' }, /name/],
        [{ ...base, intervalSeconds: 30 }, /intervalSeconds/],
        [{ ...base, intervalSeconds: 86_401 }, /intervalSeconds/],
        [{ ...base, sensitivity: 1.5 }, /sensitivity/],
        [{ ...base, methods: [{ name: 'nope', weight: 1 }] }, /body\.methods/],
        [{ ...base, methods: [{ name: 'robust-zscore', weight: 0 }] }, /body\.methods/],
        [{ ...base, bounds: { min: 5, max: 5 } }, /body\.bounds/],
        [{ ...base, baseline: { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' } }, /body\.baseline/],
        [{ ...base, key: 'bad key!' }, /key/],
        [{ ...base, extra: 1 }, /extra|body/],
      ] as const) {
        assert.match(field(await call('POST', '/api/v1/detection-schedules', body)), name, JSON.stringify(body));
      }
      const s = await create(base);
      assert.match(field(await call('PATCH', `/api/v1/detection-schedules/${s.id}`, { sensitivity: -1 })), /sensitivity/);
      assertError(await call('PATCH', `/api/v1/detection-schedules/${s.id}`, {}), 400, 'validation_failed');

      const reader = await t.newKey(['read']);
      assertError(await call('POST', '/api/v1/detection-schedules', base, reader.secret), 403, 'insufficient_scope');
      assertError(await call('POST', `/api/v1/detection-schedules/${s.id}/run`, undefined, reader.secret), 403, 'insufficient_scope');
      assert.equal((await call('GET', `/api/v1/detection-schedules/${s.id}/series`, undefined, reader.secret)).statusCode, 200);

      const other = await t.newOrg('Other');
      for (const [method, url] of [
        ['GET', `/api/v1/detection-schedules/${s.id}`],
        ['GET', `/api/v1/detection-schedules/${s.id}/series`],
        ['POST', `/api/v1/detection-schedules/${s.id}/run`],
        ['DELETE', `/api/v1/detection-schedules/${s.id}`],
      ] as const) {
        assertError(await call(method, url, undefined, other.key), 404, 'not_found');
      }
      assertError(await call('PATCH', `/api/v1/detection-schedules/${s.id}`, { name: 'mine' }, other.key), 404, 'not_found');
      assert.deepEqual((await call('GET', '/api/v1/detection-schedules', undefined, other.key)).json().items, []);
      assert.equal((await call('GET', `/api/v1/detection-schedules/${s.id}`)).json().name, 'x');
      assert.equal((await call('DELETE', `/api/v1/detection-schedules/${s.id}`)).statusCode, 204);
    });

    // The default ensemble (its stateful methods resume from their states), and robust z-score alone,
    // whose scores stay high through the episode, so only what the first run saved keeps the second
    // from reporting it again.
    for (const [label, key, list] of [
      ['the default ensemble', 'ds.run', undefined],
      ['robust z-score alone', 'ds.run-z', [{ name: 'robust-zscore', weight: 1 }]],
    ] as const) {
      test(`runs continue from the saved state (${label}): only new points, one report per episode, the same reports as one long online run`, async () => {
        const methodList = list ? [...list] : undefined;
        // One online run over the whole series; the runs' boundary B falls just after its report of the
        // episode, so the episode spans both runs.
        const whole = detectAnomalies(series, stamps, { mode: 'online', sensitivity: 0.5, methods: methodList });
        const episodeReport = whole.anomalies.findIndex((a) => a.timestampMs >= stamps[EPISODE[0]]!);
        assert.ok(episodeReport >= 0 && whole.anomalies[episodeReport]!.timestampMs < stamps[EPISODE[0] + 10]!, 'the episode is reported at its start');
        const B = (whole.anomalies[episodeReport]!.timestampMs - T0) / minute + 2;
        clock = T0 + B * minute;
        await ingestRange(key, 'a', 0, B);
        const s = await create({ name: 'run', key, ...(methodList ? { methods: methodList } : {}) });
        const data: DetectionRunData = { orgId: t.org.id, scheduleId: s.id };

        const first = await executeDetectionRun(runDeps(), data);
        assert.deepEqual([first.status, first.series, first.points, first.errors], ['completed', 1, B, 0]);
        const run1At = clock;
        const afterFirst = await stored(key);
        assert.ok(afterFirst.some((a) => a.t === stamps[SPIKE]), `the spike is found: ${JSON.stringify(afterFirst)}`);
        assert.ok(afterFirst.every((a) => a.scheduleId === s.id));
        assert.equal(first.anomalies, afterFirst.length);
        // The anomalies API shows which schedule found each anomaly and filters by it.
        const bySchedule = (await call('GET', `/api/v1/anomalies?key=${key}&scheduleId=${s.id}&limit=1000`)).json() as { items: { id: string; scheduleId: string | null }[] };
        assert.deepEqual(bySchedule.items.map((a) => [a.id, a.scheduleId]).sort(), afterFirst.map((a) => [a.id, s.id]).sort());
        assert.deepEqual((await call('GET', `/api/v1/anomalies?key=${key}&scheduleId=00000000-0000-4000-8000-000000000000`)).json().items, []);
        assert.equal((await call('GET', `/api/v1/anomalies?scheduleId=nope`)).statusCode, 400);
        let [state] = await seriesOf(s.id);
        assert.deepEqual(
          [state!.dimensions, state!.lastPointAt, state!.pointsProcessed, state!.anomaliesFound, state!.lastError],
          [{ host: 'a' }, new Date(stamps[B - 1]!).toISOString(), B, afterFirst.length, null],
        );
        assert.equal((await call('GET', `/api/v1/detection-schedules/${s.id}`)).json().lastRunAt, new Date(run1At).toISOString());

        // Nothing new: nothing happens.
        clock += minute;
        assert.deepEqual(await executeDetectionRun(runDeps(), data), { status: 'completed', series: 1, points: 0, anomalies: 0, errors: 0 });
        assert.deepEqual(await stored(key), afterFirst);

        clock = T0 + N * minute;
        await ingestRange(key, 'a', B, N);
        const second = await executeDetectionRun(runDeps(), data);
        assert.deepEqual([second.points, second.errors], [N - B, 0]);
        [state] = await seriesOf(s.id);
        const all = await stored(key);
        assert.deepEqual([state!.lastPointAt, state!.pointsProcessed, state!.anomaliesFound], [new Date(stamps[N - 1]!).toISOString(), N, all.length]);
        // The saved state is the one run's after every point, byte for byte.
        const saved = await t.sql.query<{ states: Uint8Array | null }>('SELECT states FROM detection_states WHERE org_id = $1 AND schedule_id = $2', [t.org.id, s.id]);
        const bytes = saved.rows[0]!.states;
        assert.deepEqual(bytes ? [...bytes] : null, ((b) => (b ? [...b] : null))(encodeStates(whole.states)));
        assert.equal(state!.stateBytes, bytes?.length ?? 0);
        // The first run's anomalies were not stored again (same rows, same detection time).
        for (const a of afterFirst) assert.deepEqual(all.find((x) => x.id === a.id), { ...a, detectedAt: run1At });
        assert.equal(second.anomalies, all.length - afterFirst.length);

        // The same reports as one online run over the whole series (the series is shorter than the warm-up).
        assert.deepEqual(all.map((a) => a.t), whole.anomalies.map((a) => a.timestampMs));
        for (const [i, a] of all.entries()) assert.ok(Math.abs(a.score - whole.anomalies[i]!.score) < 1e-9);
        // The episode over the boundary is reported once, before it.
        const inEpisode = all.filter((a) => a.t >= stamps[EPISODE[0]]! && a.t < stamps[EPISODE[1]]!);
        assert.equal(inEpisode.length, 1, JSON.stringify(inEpisode));
        assert.ok(inEpisode[0]!.t < stamps[B]!);
        if (methodList) {
          // Robust z-score's points after the boundary score above the threshold: a second run that
          // forgot what the first saved (its last report, the ensemble's episode state) would report
          // the episode again.
          const forgetful = detectAnomalies(series, stamps, { mode: 'online', sensitivity: 0.5, methods: methodList, resume: { from: B, states: {} } });
          assert.ok(forgetful.anomalies.some((a) => a.timestampMs >= stamps[B]! && a.timestampMs < stamps[EPISODE[1]]!), 'the episode still scores high after the boundary');
        }

        // A change of sensitivity drops the states; a new name does not.
        await call('PATCH', `/api/v1/detection-schedules/${s.id}`, { name: 'renamed' });
        assert.equal((await seriesOf(s.id)).length, 1);
        await call('PATCH', `/api/v1/detection-schedules/${s.id}`, { sensitivity: 0.6 });
        assert.deepEqual(await seriesOf(s.id), []);
        assert.equal((await call('DELETE', `/api/v1/detection-schedules/${s.id}`)).statusCode, 204);
        // Stored anomalies stay, unlinked.
        assert.deepEqual((await stored(key)).map((a) => [a.id, a.scheduleId]), all.map((a) => [a.id, null]));
      });
    }

    test('on a long series a run re-reads only the warm-up and resumes the stateful methods from the saved bytes', async () => {
      const key = 'ds.long';
      const n = 5_000;
      const extra = 12;
      const y = noise(n + extra, 1, 5, 100);
      y[n + 6] = y[n + 6]! + 30;
      const ts = Float64Array.from(y, (_, i) => T0 + i * minute);
      const pts = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ key, value: y[from + k]!, timestamp: ts[from + k]!, dimensions: { host: 'l' } }));
      clock = ts[n - 1]! + minute;
      for (let i = 0; i < n; i += 1000) await ingestOk(t, pts(i, i + 1000));
      const s = await create({ name: 'long', key });
      const data = { orgId: t.org.id, scheduleId: s.id };
      const first = await executeDetectionRun(runDeps(), data);
      assert.equal(first.points, n);
      const whole = detectAnomalies(y.subarray(0, n), ts.subarray(0, n), { mode: 'online', sensitivity: 0.5 });
      const [state] = await seriesOf(s.id);
      assert.equal(state!.stateBytes, encodeStates(whole.states)?.length ?? 0);

      clock = ts[n + extra - 1]! + minute;
      await ingestOk(t, pts(n, n + extra));
      const second = await executeDetectionRun(runDeps(), data);
      assert.equal(second.points, extra);
      // What the run should have scored: the warm-up of the minutely series (three days of a daily
      // cycle) and the new points, the stateful methods resuming from the first run's states.
      const w = warmupPoints(minute);
      assert.ok(w < n);
      const lastReport = whole.anomalies.length ? (whole.anomalies[whole.anomalies.length - 1]!.timestampMs - ts[0]!) / minute - (n - w) : -Infinity;
      const expected = detectAnomalies(y.subarray(n - w), ts.subarray(n - w), { mode: 'online', sensitivity: 0.5, resume: { from: w, states: whole.states, lastReportIndex: lastReport } });
      const news = (await stored(key)).filter((a) => a.t >= ts[n]!);
      assert.deepEqual(news.map((a) => [a.t, a.score]), expected.anomalies.map((a) => [a.timestampMs, a.score]));
      assert.ok(news.some((a) => a.t === ts[n + 6]), 'the spike among the new points is found');
      // The saved state is the stateful methods' after every point, byte for byte (none: no bytes).
      const saved = await t.sql.query<{ states: Uint8Array | null }>('SELECT states FROM detection_states WHERE org_id = $1 AND schedule_id = $2', [t.org.id, s.id]);
      const bytes = saved.rows[0]!.states;
      assert.deepEqual(bytes ? [...bytes] : null, ((b) => (b ? [...b] : null))(encodeStates(expected.states)));
      if (defaultMethods.some((m) => methods[m.name]!.stateful)) {
        // Which a run that forgot the first run's states would not have.
        const forgetful = detectAnomalies(y.subarray(n - w), ts.subarray(n - w), { mode: 'online', sensitivity: 0.5, resume: { from: w, states: {} } });
        assert.notDeepEqual([...bytes!], [...encodeStates(forgetful.states)!]);
      }
      assert.equal((await call('DELETE', `/api/v1/detection-schedules/${s.id}`)).statusCode, 204);
    });

    test('a baseline older than what a run reads is read too, and defines normal', async () => {
      const key = 'ds.baseline';
      // A calm reference period ten days back, then the last 600 minutes at a level 10 higher.
      clock = T0 + 20 * 86_400_000;
      const baseStart = clock - 10 * 86_400_000;
      const y = noise(720, 1, 13, 100);
      const reference = Array.from({ length: 120 }, (_, i) => ({ key, value: y[i]!, timestamp: baseStart + i * minute, dimensions: { host: 'b' } }));
      const recent = Array.from({ length: 600 }, (_, i) => ({ key, value: y[120 + i]! + 10, timestamp: clock - (600 - i) * minute, dimensions: { host: 'b' } }));
      await ingestOk(t, reference);
      await ingestOk(t, recent);
      const baseline = { from: new Date(baseStart).toISOString(), to: new Date(baseStart + 120 * minute).toISOString() };
      const withBaseline = await create({ name: 'baseline', key, baseline });
      const without = await create({ name: 'no baseline', key });
      for (const s of [withBaseline, without]) {
        const r = await executeDetectionRun(runDeps(), { orgId: t.org.id, scheduleId: s.id });
        assert.deepEqual([r.points, r.errors], [600, 0], JSON.stringify((await seriesOf(s.id))[0]));
      }
      // Judged against the reference, the raised level is anomalous from its first point; learnt from
      // the recent points alone, it is just the level.
      const of = async (id: string) => (await stored(key)).filter((a) => a.scheduleId === id).map((a) => a.t);
      const early = (xs: number[]) => xs.filter((x) => x <= recent[59]!.timestamp);
      assert.ok(early(await of(withBaseline.id)).length > 0, JSON.stringify(await of(withBaseline.id)));
      assert.deepEqual(early(await of(without.id)), []);
      for (const s of [withBaseline, without]) await call('DELETE', `/api/v1/detection-schedules/${s.id}`);
    });

    test('a run that started before a settings change saves nothing; per-series failures are recorded and do not stop the others', async () => {
      const key = 'ds.fail';
      clock = T0 + 600 * minute;
      await ingestRange(key, 'long', 0, 600);
      await ingestOk(t, pointsOf(key, 'short', 0, 5));
      const s = await create({ name: 'fail', key });
      // A settings change lands while detection runs: the run must not save under the new settings.
      let changed = false;
      const deps = {
        ...runDeps(),
        detect: async (task: DetectTask) => {
          const out = await detectOnThisThread(task);
          if (!changed) {
            changed = true;
            await call('PATCH', `/api/v1/detection-schedules/${s.id}`, { sensitivity: 0.4 });
          }
          return out;
        },
      };
      const r = await executeDetectionRun(deps, { orgId: t.org.id, scheduleId: s.id });
      assert.deepEqual([r.series, r.points, r.anomalies, r.errors], [2, 0, 0, 1]);
      assert.deepEqual(await stored(key), []);
      const rows = await seriesOf(s.id);
      assert.deepEqual(rows.map((x) => [x.dimensions.host, x.pointsProcessed, x.lastPointAt]), [['short', 0, null]]);
      assert.match(rows[0]!.lastError!, /at least/);
      assert.match((await call('GET', `/api/v1/detection-schedules/${s.id}`)).json().lastError, /1 series failed/);
      // The next run, under the new settings, saves.
      const again = await executeDetectionRun(runDeps(), { orgId: t.org.id, scheduleId: s.id });
      assert.deepEqual([again.points, again.errors], [600, 1]);
      assert.equal((await call('DELETE', `/api/v1/detection-schedules/${s.id}`)).statusCode, 204);
    });

    test('the tick runs due, unpaused schedules once however many servers tick; run now without a queue marks the schedule due', async () => {
      clock = T0;
      const due = await create({ name: 'due', key: 'ds.tick', intervalSeconds: 120 });
      const paused = await create({ name: 'paused', key: 'ds.tick', paused: true });
      const sent: DetectionRunData[] = [];
      const send = async (d: DetectionRunData) => void sent.push(d);
      clock = T0 + 30_000;
      const ticked = await tickDetectionSchedules(t.sql, now(), send);
      assert.deepEqual(sent, [{ orgId: t.org.id, scheduleId: due.id }]);
      assert.equal(ticked.runsQueued, 1);
      // A second server ticking the same minute claims nothing more.
      assert.deepEqual(await tickDetectionSchedules(t.sql, now(), send), { runsQueued: 0 });
      assert.equal((await call('GET', `/api/v1/detection-schedules/${due.id}`)).json().nextRunAt, new Date(T0 + 150_000).toISOString());
      clock = T0 + 150_000;
      await tickDetectionSchedules(t.sql, now(), send);
      assert.deepEqual(sent.map((d) => d.scheduleId), [due.id, due.id]);

      // Run now, where this server has no job queue: due at once, the next tick takes it.
      clock = T0 + 160_000;
      const r = await call('POST', `/api/v1/detection-schedules/${due.id}/run`);
      assert.equal(r.statusCode, 202, r.body);
      assert.deepEqual(r.json(), { queued: true });
      await tickDetectionSchedules(t.sql, now(), send);
      assert.deepEqual(sent.map((d) => d.scheduleId), [due.id, due.id, due.id]);
      assert.ok(!sent.some((d) => d.scheduleId === paused.id));
      for (const id of [due.id, paused.id]) await call('DELETE', `/api/v1/detection-schedules/${id}`);
    });

    test('run now through the real job queue detects and stores', async () => {
      const key = 'ds.queue';
      clock = T0 + 600 * minute;
      await ingestRange(key, 'q', 0, 600);
      const queue = await JobQueue.start({
        sql: t.sql,
        logger: createLogger({ level: 'silent' }),
        schema: kind.name === 'postgres' ? `${t.store.namespace}_boss` : undefined,
        definitions: jobDefinitions(testDeps({ sql: t.sql, now })),
        pollingIntervalSeconds: 0.5,
        schedule: false,
      });
      const withJobs = await startTestApp({ kind, store: t.store, jobs: queue, now });
      try {
        const s = await create({ name: 'queued', key, paused: true });
        const r = await withJobs.app.inject({ method: 'POST', url: `/api/v1/detection-schedules/${s.id}/run`, headers: bearer(t.adminKey) });
        assert.equal(r.statusCode, 202, r.body);
        let rows: SeriesReply[] = [];
        for (let i = 0; i < 100 && !rows.length; i++) {
          await sleep(100);
          rows = await seriesOf(s.id);
        }
        assert.deepEqual(rows.map((x) => [x.pointsProcessed, x.lastError]), [[600, null]]);
        assert.ok((await stored(key)).some((a) => a.t === stamps[SPIKE] && a.scheduleId === s.id));
      } finally {
        await withJobs.app.close();
        await queue.stop();
      }
    });

    test('an anomaly rule that detects itself uses the series\' bounds setting: a value above the max is an anomaly of score 1', async () => {
      const key = 'ds.bounded';
      clock = T0 + 30 * 86_400_000;
      const y = noise(600, 0.3, 17, 99);
      for (let i = 595; i < 600; i++) y[i] = 100.2; // just above a percentage's maximum: unremarkable without it
      await ingestOk(t, Array.from({ length: 600 }, (_, i) => ({ key, value: y[i]!, timestamp: clock - (600 - i) * minute, dimensions: { host: 'p' } })));
      const created = await call('POST', '/api/v1/alert-rules', { name: 'bounded', key, condition: { kind: 'anomaly', minSeverity: 'low' } });
      assert.equal(created.statusCode, 201, created.body);
      const rule = (await getRule(t.sql, t.org.id, created.json().id))!;
      const evaluate = async () => {
        const pass = await evaluateRuleNow(alertingDeps(t.sql, now), rule);
        assert.deepEqual(pass.errors, []);
        return (await stored(key)).filter((a) => a.t >= clock - 10 * minute);
      };
      const unbounded = await evaluate();
      assert.ok(!unbounded.some((a) => a.score === 1), JSON.stringify(unbounded));
      await t.sql.query('UPDATE series SET value_min = 0, value_max = 100 WHERE org_id = $1 AND key = $2', [t.org.id, key]);
      const bounded = await evaluate();
      assert.ok(bounded.some((a) => a.score === 1 && a.t >= clock - 5 * minute), JSON.stringify(bounded));
      assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
    });

    test('an anomaly rule naming a schedule fires from its stored anomalies without detecting; an unknown schedule is a 400', async () => {
      const key = 'ds.rule';
      clock = T0 + 600 * minute;
      await ingestRange(key, 'r', 0, 600);
      const s = await create({ name: 'for rules', key });
      await executeDetectionRun(runDeps(), { orgId: t.org.id, scheduleId: s.id });
      const found = await stored(key);
      const newest = found[found.length - 1]!;
      // The rule's lookback ends at the newest stored anomaly, so that is what it alerts on.
      clock = newest.t + minute;
      const created = await call('POST', '/api/v1/alert-rules', { name: 'from schedule', key, condition: { kind: 'anomaly', minSeverity: 'low', detectionScheduleId: s.id } });
      assert.equal(created.statusCode, 201, created.body);
      const rule = (await getRule(t.sql, t.org.id, created.json().id))!;
      assert.equal((rule.condition as { detectionScheduleId?: string }).detectionScheduleId, s.id);
      const noDetection = { ...alertingDeps(t.sql, now), detect: async () => assert.fail('the rule must not run detection') };
      const pass = await evaluateRuleNow(noDetection, rule);
      assert.deepEqual(pass.errors, []);
      assert.deepEqual(pass.transitions.map((x) => x.to), ['firing']);
      const alert = (await call('GET', `/api/v1/alerts/${pass.transitions[0]!.alertId}`)).json() as { anomalyId: string };
      assert.equal(alert.anomalyId, newest.id);

      const bad = (r: Injected) => (assertError(r, 400, 'validation_failed').details as { field: string }[])[0]!.field;
      assert.equal(bad(await call('POST', '/api/v1/alert-rules', { name: 'unknown', key, condition: { kind: 'anomaly', detectionScheduleId: '00000000-0000-4000-8000-000000000000' } })), 'body.condition.detectionScheduleId');
      const other = await t.newOrg('Rules elsewhere');
      assert.equal(bad(await call('POST', '/api/v1/alert-rules', { name: 'theirs', key, condition: { kind: 'anomaly', detectionScheduleId: s.id } }, other.key)), 'body.condition.detectionScheduleId');
      assert.equal(bad(await call('PATCH', `/api/v1/alert-rules/${rule.id}`, { condition: { kind: 'anomaly', detectionScheduleId: '00000000-0000-4000-8000-000000000000' } })), 'body.condition.detectionScheduleId');
      assert.equal((await call('DELETE', `/api/v1/alert-rules/${rule.id}`)).statusCode, 204);
      await call('DELETE', `/api/v1/detection-schedules/${s.id}`);
    });
  });
}
