import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../src/core/logger.js';
import { createBackendRegistry } from '../src/forecast/registry.js';
import { executeRun, forecastRunJob, tickSchedules, type RunJobData } from '../src/forecast/scheduler.js';
import { JobQueue } from '../src/jobs/queue.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { assertError, hour, ingestOk, type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';

interface ScheduleReply {
  id: string;
  name: string;
  schedule: string;
  cron: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
}
interface RunReply {
  id: string;
  scheduleId: string;
  scheduledFor: string;
  status: string;
  attempts: number;
  error: string | null;
  seriesCount: number | null;
  forecastCount: number | null;
}

const T0 = Date.UTC(2026, 10, 20, 10, 30);
const points = (host: string, n: number) => Array.from({ length: n }, (_, i) => ({ key: 'sched.cpu', value: 50 + 10 * Math.sin((2 * Math.PI * i) / 24) + (i % 5), timestamp: T0 - (n - i) * hour, dimensions: { host } }));

for (const kind of storeKinds) {
  describe(`forecast schedules (${kind.name})`, () => {
    let t: TestApp;
    let clock = T0;
    const now = () => new Date(clock);
    before(async () => {
      t = await startTestApp({ kind, now });
      await ingestOk(t, [...points('a', 24 * 7), ...points('b', 24 * 7), ...points('tiny', 2).map((p) => ({ ...p, key: 'sched.tiny' }))]);
    });
    after(async () => t.close());

    const post = (url: string, payload?: object, key = t.adminKey): Promise<Injected> => t.app.inject({ method: 'POST', url, headers: bearer(key), ...(payload ? { payload } : {}) });
    const get = (url: string, key = t.adminKey) => t.app.inject({ method: 'GET', url, headers: bearer(key) });
    const create = async (body: object): Promise<ScheduleReply> => {
      const r = await post('/api/v1/forecast-schedules', body);
      assert.equal(r.statusCode, 201, r.body);
      return r.json() as ScheduleReply;
    };
    const runs = async (id: string): Promise<RunReply[]> => {
      const r = await get(`/api/v1/forecast-schedules/${id}/runs`);
      assert.equal(r.statusCode, 200, r.body);
      return r.json().items as RunReply[];
    };
    const forecastDeps = () => ({ sql: t.sql, backends: createBackendRegistry(), now });

    test('create, read, list, pause, resume and delete', async () => {
      clock = T0;
      const s = await create({ name: 'cpu hourly', key: 'sched.cpu', frequency: '1h', horizon: 24, schedule: 'hourly' });
      assert.deepEqual([s.schedule, s.cron, s.paused, s.nextRunAt, s.lastRunAt], ['hourly', '0 * * * *', false, '2026-11-20T11:00:00.000Z', null]);
      const d = await create({ name: 'daily', key: 'sched.cpu', frequency: '1d', horizon: 7, schedule: 'daily' });
      assert.equal(d.nextRunAt, '2026-11-21T00:00:00.000Z');
      const c = await create({ name: 'quarter', key: 'sched.cpu', dimensions: { host: 'a' }, frequency: '5m', horizon: 12, backend: 'stub', levels: [90], schedule: '*/15 * * * *' });
      assert.equal(c.nextRunAt, '2026-11-20T10:45:00.000Z');
      assert.deepEqual((await get(`/api/v1/forecast-schedules/${c.id}`)).json(), c);

      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page = (await get(`/api/v1/forecast-schedules?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json() as { items: ScheduleReply[]; nextCursor: string | null };
        ids.push(...page.items.map((x) => x.id));
        cursor = page.nextCursor;
      } while (cursor);
      for (const x of [s, d, c]) assert.ok(ids.includes(x.id));

      const paused = (await post(`/api/v1/forecast-schedules/${c.id}/pause`)).json() as ScheduleReply;
      assert.deepEqual([paused.paused, paused.nextRunAt], [true, null]);
      clock = T0 + 20 * 60_000; // 10:50: the 10:45 tick was missed while paused and is skipped
      const resumed = (await post(`/api/v1/forecast-schedules/${c.id}/resume`)).json() as ScheduleReply;
      assert.deepEqual([resumed.paused, resumed.nextRunAt], [false, '2026-11-20T11:00:00.000Z']);

      const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/forecast-schedules/${d.id}`, headers: bearer(t.adminKey) });
      assert.equal(del.statusCode, 204);
      assertError(await get(`/api/v1/forecast-schedules/${d.id}`), 404, 'not_found');
      assertError(await t.app.inject({ method: 'DELETE', url: `/api/v1/forecast-schedules/${d.id}`, headers: bearer(t.adminKey) }), 404, 'not_found');
      for (const id of [s.id, c.id]) await t.app.inject({ method: 'DELETE', url: `/api/v1/forecast-schedules/${id}`, headers: bearer(t.adminKey) });
    });

    test('bad schedules and scopes: 400 naming the problem, 403 for a read key', async () => {
      const base = { name: 'x', key: 'sched.cpu', frequency: '1h', horizon: 1 };
      for (const [schedule, message] of [
        ['weekly', /5 fields/],
        ['61 * * * *', /59/],
        ['* * * * * *', /5 fields/],
        ['0 0 30 2 *', /day of month/],
      ] as const) {
        const e = assertError(await post('/api/v1/forecast-schedules', { ...base, schedule }), 400, 'validation_failed');
        assert.match(e.message, message);
      }
      assertError(await post('/api/v1/forecast-schedules', { ...base, schedule: 'hourly', horizon: 721 }), 400, 'validation_failed');
      assertError(await post('/api/v1/forecast-schedules', { ...base, schedule: 'hourly', backend: 'nope' }), 400, 'validation_failed');
      const reader = await t.newKey(['read']);
      assertError(await post('/api/v1/forecast-schedules', { ...base, schedule: 'hourly' }, reader.secret), 403, 'insufficient_scope');
      assert.equal((await get('/api/v1/forecast-schedules', reader.secret)).statusCode, 200);
    });

    test('ticks turn due schedules into one run per tick; a run forecasts every selected series', async () => {
      clock = T0;
      const s = await create({ name: 'tick', key: 'sched.cpu', frequency: '1h', horizon: 6, schedule: 'hourly' });
      const sent: RunJobData[] = [];
      const send = async (data: RunJobData) => {
        sent.push(data);
        return `job-${sent.length}`;
      };
      clock = Date.UTC(2026, 10, 20, 10, 59);
      assert.deepEqual(await tickSchedules(t.sql, now(), send), { runsCreated: 0, runsEnqueued: 0 });
      clock = Date.UTC(2026, 10, 20, 11, 0, 30);
      assert.deepEqual(await tickSchedules(t.sql, now(), send), { runsCreated: 1, runsEnqueued: 1 });
      // A second server ticking the same minute creates nothing more.
      assert.deepEqual(await tickSchedules(t.sql, now(), send), { runsCreated: 0, runsEnqueued: 0 });
      assert.equal((await get(`/api/v1/forecast-schedules/${s.id}`)).json().nextRunAt, '2026-11-20T12:00:00.000Z');
      const [run] = await runs(s.id);
      assert.deepEqual([run!.status, run!.attempts, run!.scheduledFor], ['pending', 0, '2026-11-20T11:00:00.000Z']);
      assert.deepEqual(sent, [{ orgId: t.org.id, runId: run!.id }]);

      const result = await executeRun(forecastDeps(), sent[0]!, false);
      assert.deepEqual(result, { status: 'completed', series: 2, forecasts: 2 });
      const [done] = await runs(s.id);
      assert.deepEqual([done!.status, done!.attempts, done!.seriesCount, done!.forecastCount, done!.error], ['completed', 1, 2, 2, null]);
      const forecasts = (await get('/api/v1/forecasts?key=sched.cpu')).json().items as { runId: string; dimensions: { host: string }; points: unknown[] }[];
      const ofRun = forecasts.filter((f) => f.runId === run!.id);
      assert.deepEqual(ofRun.map((f) => f.dimensions.host).sort(), ['a', 'b']);
      for (const f of ofRun) assert.equal(f.points.length, 6);
      assert.equal((await get(`/api/v1/forecast-schedules/${s.id}`)).json().lastRunAt, new Date(clock).toISOString());
    });

    test('a run that cannot forecast waits for its retry, then fails for good with the error', async () => {
      clock = T0;
      const s = await create({ name: 'tiny', key: 'sched.tiny', frequency: '1h', horizon: 6, schedule: 'hourly' });
      let data: RunJobData | undefined;
      clock = Date.UTC(2026, 10, 20, 11, 1);
      await tickSchedules(t.sql, now(), async (d) => {
        data = d;
        return 'job';
      });
      await assert.rejects(executeRun(forecastDeps(), data!, false), /no series could be forecast: .*at least 3 points/);
      let [r] = await runs(s.id);
      assert.deepEqual([r!.status, r!.attempts], ['pending', 1]);
      assert.match(r!.error!, /at least 3 points/);
      await assert.rejects(executeRun(forecastDeps(), data!, true));
      [r] = await runs(s.id);
      assert.deepEqual([r!.status, r!.attempts], ['failed', 2]);
    });

    test('"run now" through the real job queue: pending → completed, forecasts stored', async () => {
      clock = T0;
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
        const s = await create({ name: 'now', key: 'sched.cpu', dimensions: { host: 'b' }, frequency: '1h', horizon: 3, backend: 'stub', schedule: '0 3 * * *' });
        const r = await withJobs.app.inject({ method: 'POST', url: `/api/v1/forecast-schedules/${s.id}/run`, headers: bearer(t.adminKey) });
        assert.equal(r.statusCode, 202, r.body);
        const run = r.json() as RunReply;
        assert.equal(run.status, 'pending');
        let last: RunReply | undefined;
        for (let i = 0; i < 100 && last?.status !== 'completed'; i++) {
          await sleep(100);
          last = (await runs(s.id)).find((x) => x.id === run.id);
        }
        assert.deepEqual([last?.status, last?.forecastCount, last?.attempts], ['completed', 1, 1]);
        const stored = (await get(`/api/v1/forecasts?key=sched.cpu&dimensions=${encodeURIComponent('{"host":"b"}')}`)).json().items as { runId: string | null; backend: string }[];
        assert.deepEqual(stored.filter((f) => f.runId === run.id).map((f) => f.backend), ['stub']);
        // Without a queue the route says so.
        assertError(await post(`/api/v1/forecast-schedules/${s.id}/run`), 503, 'service_unavailable');
      } finally {
        await withJobs.app.close();
        await queue.stop();
      }
    });
  });
}
