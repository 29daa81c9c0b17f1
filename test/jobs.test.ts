import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiKey, listApiKeys, revokeApiKey } from '../src/auth/api-keys.js';
import { createLogger } from '../src/core/logger.js';
import { JobQueue, type JobDefinition, type JobState } from '../src/jobs/queue.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { loadMigrations, migrate } from '../src/store/migrate.js';
import { createOrg } from '../src/tenancy/orgs.js';
import { testDeps } from './helpers/app.js';
import { storeKinds, type TestStore } from './helpers/stores.js';

const day = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined; fails after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const finalStates: JobState[] = ['completed', 'failed', 'cancelled'];

for (const kind of storeKinds) {
  describe(`job queue (${kind.name})`, () => {
    let store: TestStore | undefined;
    let queue: JobQueue | undefined;
    const now = new Date();

    /** Attempts seen by the handlers, per job id. */
    const attempts = new Map<string, { retryCount: number; threw: boolean }[]>();
    function record(jobId: string, retryCount: number, threw: boolean) {
      attempts.set(jobId, [...(attempts.get(jobId) ?? []), { retryCount, threw }]);
    }
    let cronRuns = 0;
    let cronFirstRunAt: number | undefined;
    let startedAt = 0;

    const flaky: JobDefinition<{ tag?: string }> = {
      name: 'test-flaky',
      retryLimit: 2,
      retryDelaySeconds: 1,
      retryBackoff: false,
      expireInSeconds: 60,
      async handler(_data, ctx) {
        const first = !attempts.has(ctx.jobId);
        record(ctx.jobId, ctx.retryCount, first);
        if (first) throw new Error('flaky: first attempt fails');
        return { ok: true };
      },
    };
    const broken: JobDefinition = {
      name: 'test-broken',
      retryLimit: 1,
      retryDelaySeconds: 1,
      retryBackoff: false,
      expireInSeconds: 60,
      async handler(_data, ctx) {
        record(ctx.jobId, ctx.retryCount, true);
        throw new Error('broken: always fails');
      },
    };
    const every: JobDefinition = {
      name: 'test-cron',
      cron: '* * * * *',
      retryLimit: 0,
      retryDelaySeconds: 1,
      retryBackoff: false,
      expireInSeconds: 60,
      async handler() {
        cronRuns++;
        cronFirstRunAt ??= Date.now();
      },
    };

    /** Polls a job until it reaches a final state; returns every state seen, in order, and the final job. */
    async function follow(name: string, id: string, timeoutMs = 20_000) {
      const seen: JobState[] = [];
      const job = await waitFor(`job ${name} ${id} to finish`, timeoutMs, async () => {
        const j = await queue!.getJob(name, id);
        assert.ok(j, `job ${id} exists`);
        if (seen[seen.length - 1] !== j.state) seen.push(j.state);
        return finalStates.includes(j.state) ? j : undefined;
      });
      return { seen, job };
    }

    before(async () => {
      store = await kind.open();
      await migrate(store.sql, loadMigrations());
      startedAt = Date.now();
      queue = await JobQueue.start({
        sql: store.sql,
        logger: createLogger({ level: 'silent' }),
        definitions: [flaky, broken, every, ...jobDefinitions(testDeps({ sql: store.sql, now: () => now }))],
        schema: kind.name === 'postgres' ? `${store.namespace}_boss` : undefined,
        pollingIntervalSeconds: 0.5,
        cronMonitorIntervalSeconds: 1,
      });
    });

    after(async () => {
      try {
        await queue?.stop();
      } finally {
        await store?.drop();
      }
    });

    test('a job that fails once is retried and completes, with retryCount 1', async () => {
      const id = await queue!.send('test-flaky', { tag: 'x' });
      const { seen, job } = await follow('test-flaky', id);
      assert.equal(job.state, 'completed', `states seen: ${seen.join(' → ')}`);
      assert.equal(job.retryCount, 1);
      assert.ok(seen.includes('retry'), `the failure was recorded as a retry; states seen: ${seen.join(' → ')}`);
      assert.ok(seen.indexOf('retry') < seen.indexOf('completed'));
      assert.deepEqual(attempts.get(id), [
        { retryCount: 0, threw: true },
        { retryCount: 1, threw: false },
      ]);
    });

    test('a job that always fails ends failed after its retries, with the error recorded', async () => {
      const id = await queue!.send('test-broken');
      const { seen, job } = await follow('test-broken', id);
      assert.equal(job.state, 'failed', `states seen: ${seen.join(' → ')}`);
      assert.equal(job.retryCount, 1);
      assert.deepEqual(attempts.get(id), [
        { retryCount: 0, threw: true },
        { retryCount: 1, threw: true },
      ]);
      assert.match(JSON.stringify(job.output), /broken: always fails/);
    });

    test('an unknown job id yields undefined', async () => {
      assert.equal(await queue!.getJob('test-flaky', '00000000-0000-4000-8000-000000000000'), undefined);
    });

    test('a cron schedule is listed and run by the scheduler', async () => {
      const schedules = await queue!.schedules();
      assert.deepEqual(
        schedules.filter((s) => s.name === 'test-cron' || s.name === 'maintenance').sort((a, b) => a.name.localeCompare(b.name)),
        [
          { name: 'maintenance', cron: '17 * * * *' },
          { name: 'test-cron', cron: '* * * * *' },
        ],
      );
      assert.ok(!schedules.some((s) => s.name === 'test-flaky'), 'jobs without cron are not scheduled');
      // Nothing but the scheduler enqueues test-cron; it must have run within ~15 s of the start.
      const deadline = startedAt + 15_000;
      await waitFor('the cron job to run', Math.max(0, deadline - Date.now()), () => (cronRuns >= 1 ? cronRuns : undefined), 200);
      assert.ok(cronRuns >= 1);
      assert.ok(cronFirstRunAt! - startedAt <= 15_000, `first cron run ${cronFirstRunAt! - startedAt} ms after start`);
    });

    test('the maintenance job deletes keys revoked or expired more than 30 days ago, per organisation', async () => {
      const sql = store!.sql;
      async function seed(name: string) {
        const org = await createOrg(sql, { name, slug: `${name}-${Math.random().toString(36).slice(2, 8)}` });
        const mk = (n: string, expiresAt?: Date) => createApiKey(sql, org.id, { name: n, scopes: ['read'], expiresAt }).then((r) => r.key.id);
        const ids = {
          revokedOld: await mk('revoked-40d', undefined),
          expiredOld: await mk('expired-40d', new Date(now.getTime() - 40 * day)),
          revokedFresh: await mk('revoked-1d'),
          expiredFresh: await mk('expired-1d', new Date(now.getTime() - day)),
          live: await mk('live'),
        };
        await revokeApiKey(sql, org.id, ids.revokedOld, new Date(now.getTime() - 40 * day));
        await revokeApiKey(sql, org.id, ids.revokedFresh, new Date(now.getTime() - day));
        return { org, ids };
      }
      const a = await seed('maint-a');
      const b = await seed('maint-b');
      const remaining = async (orgId: string) => (await listApiKeys(sql, orgId)).map((k) => k.id).sort();
      assert.equal((await remaining(a.org.id)).length, 5);

      const id = await queue!.send('maintenance');
      const { seen, job } = await follow('maintenance', id);
      assert.equal(job.state, 'completed', `states seen: ${seen.join(' → ')}; output ${JSON.stringify(job.output)}`);
      // The handler's result is the job's stored output: 2 old keys in each of the two seeded orgs.
      const output = job.output as { organizations: number; deletedApiKeys: number };
      assert.equal(output.deletedApiKeys, 4);
      assert.ok(output.organizations >= 2);

      for (const { org, ids } of [a, b]) {
        assert.deepEqual(await remaining(org.id), [ids.revokedFresh, ids.expiredFresh, ids.live].sort(), org.slug);
      }
    });
  });
}
