// Walks the server's own OpenAPI document and sends, for every operation, seeded requests that break
// it in many ways (test/helpers/fuzz.ts): no reply may be a 5xx, every error is the catalog's
// {error: {code, message, details?}}, an overflowing number is a 400 and so is a body nested past the
// limit. FUZZ_SEED and FUZZ_CASES (per operation) change the run; a failure names its seed and case;
// FUZZ_TIMES=1 prints the slowest operations.
//
// Nothing leaves the machine: channels point at hosts under .invalid (RFC 2606: never resolves), POST /channels/{id}/test is only sent
// ids of channels that do not exist, and the job queue only enqueues (no worker runs deliveries).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../src/core/logger.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { JobQueue } from '../src/jobs/queue.js';
import { bearer, startTestApp, testDeps, type TestApp } from './helpers/app.js';
import { casesFor, collectionOf, operationsOf, Rng, type Fixtures, type FuzzCase, type Operation, type World } from './helpers/fuzz.js';
import { type Injected } from './helpers/ingest.js';
import { storeKinds } from './helpers/stores.js';
import { sessionHeaders, signedInUser } from './helpers/people.js';
import { createSession, defaultSessionPolicy } from '../src/auth/sessions.js';

const seed = Number(process.env.FUZZ_SEED ?? 11);
const casesPerOperation = Number(process.env.FUZZ_CASES ?? 50);
const hour = 3_600_000;

/** Creates one or two of every resource through the API; their ids by collection. */
async function makeFixtures(t: TestApp, w: World): Promise<Fixtures> {
  const h = bearer(t.adminKey);
  const call = async (method: 'GET' | 'POST', url: string, payload?: object): Promise<Injected> => {
    const r = await t.app.inject({ method, url, headers: h, payload });
    assert.ok(r.statusCode < 300, `fixture ${method} ${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
    return r;
  };
  const start = Math.floor(w.nowMs / hour) * hour - 240 * hour;
  const metrics = Array.from({ length: 240 }, (_, i) => ({ key: w.key, dimensions: w.dimensions, timestamp: start + i * hour, value: i === 200 ? 500 : 10 + 5 * Math.sin((2 * Math.PI * i) / 24) }));
  metrics.push({ key: w.key, dimensions: w.dimensions, timestamp: w.nowMs - 1000, value: 12 }); // fresh: threshold rules fire
  await call('POST', '/api/v1/ingest', { metrics: [...metrics, { key: '1bad', value: 1, timestamp: w.nowMs }, { key: w.key, value: 'x', timestamp: w.nowMs }] });
  // A series whose last two days alternate ±1e308, and a forecast whose window covers them.
  const extremes = Array.from({ length: 240 }, (_, i) => `{"key":"${w.extremeKey}","timestamp":${start + i * hour},"value":${i < 192 ? 10 + (i % 24) : i % 2 ? '1e308' : '-1.5e308'}}`);
  await call('POST', '/api/v1/ingest', JSON.parse(`{"metrics":[${extremes.join(',')}]}`) as object);
  const f: Fixtures = {};
  const add = (coll: string, id: unknown) => typeof id === 'string' && (f[coll] ??= []).push(id);
  add('forecasts', (await call('POST', '/api/v1/forecast', { key: w.extremeKey, frequency: '1h', horizon: 48, to: start + 191 * hour })).json().id);
  for (const horizon of [24, 48]) add('forecasts', (await call('POST', '/api/v1/forecast', { key: w.key, dimensions: w.dimensions, frequency: '1h', horizon })).json().id);
  for (const a of (await call('POST', '/api/v1/anomalies/detect', { key: w.key, dimensions: w.dimensions, sensitivity: 0.9 })).json().anomalies) add('anomalies', a.id);
  for (const n of [1, 2]) add('channels', (await call('POST', '/api/v1/channels', { name: `fuzz channel ${n}`, type: 'webhook', config: { url: `https://hooks.fuzz.invalid/hook${n}` } })).json().id);
  for (const n of [1, 2]) {
    const rule = (await call('POST', '/api/v1/alert-rules', { name: `fuzz rule ${n}`, key: w.key, channels: f.channels, condition: { kind: 'threshold', operator: 'gt', value: -1e308 } })).json();
    add('alert-rules', rule.id);
    await call('POST', `/api/v1/alert-rules/${rule.id}/evaluate`);
  }
  for (const a of (await call('GET', '/api/v1/alerts?limit=10')).json().items) add('alerts', a.id);
  for (const d of (await call('GET', '/api/v1/deliveries?limit=10')).json().items) add('deliveries', d.id);
  // Deliveries never run here (no worker): mark them dead, so that retrying one has something to do.
  await t.sql.query(`UPDATE notification_deliveries SET status = 'dead' WHERE org_id = $1`, [t.org.id]);
  for (const n of [1, 2]) add('forecast-schedules', (await call('POST', '/api/v1/forecast-schedules', { name: `fuzz schedule ${n}`, key: w.key, dimensions: w.dimensions, frequency: '1h', horizon: 3, schedule: 'hourly' })).json().id);
  for (const n of [1, 2]) add('silences', (await call('POST', '/api/v1/silences', { matchers: [`host="nothing-${n}"`], endsAt: new Date(w.nowMs + hour).toISOString(), comment: 'fuzz' })).json().id);
  for (const n of [1, 2]) add('keys', (await call('POST', '/api/v1/keys', { name: `fuzz key ${n}`, scopes: ['read'] })).json().id);
  for (const d of (await call('GET', '/api/v1/dead-letters?limit=10')).json().items) add('dead-letters', d.id);
  return f;
}

/** The failure of one reply, or null when it is acceptable. */
function problem(c: FuzzCase, r: Injected): string | null {
  if (r.statusCode >= 500) return `${r.statusCode} ${r.body.slice(0, 300)}`;
  if (r.statusCode >= 400) {
    let body: { error?: { code?: unknown; message?: unknown } };
    try {
      body = r.json();
    } catch {
      return `${r.statusCode} with a body that is not JSON: ${r.body.slice(0, 200)}`;
    }
    if (Object.keys(body).join() !== 'error' || typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') return `${r.statusCode} without the error shape: ${r.body.slice(0, 200)}`;
    if (c.expect === '400-nonfinite' && !(r.statusCode === 400 && body.error.code === 'validation_failed')) return `expected 400 validation_failed for a non-finite number, got ${r.statusCode} ${r.body.slice(0, 200)}`;
    if (c.expect === '400-deep' && !(r.statusCode === 400 && body.error.code === 'json_too_deep')) return `expected 400 json_too_deep, got ${r.statusCode} ${r.body.slice(0, 200)}`;
    return null;
  }
  if (c.expect !== 'any') return `expected a 400 (${c.expect}), got ${r.statusCode} ${r.body.slice(0, 200)}`;
  if (r.statusCode !== 204 && r.body.length) {
    try {
      JSON.parse(r.body);
    } catch {
      if (String(r.headers['content-type']).includes('json')) return `${r.statusCode} with invalid JSON: ${r.body.slice(0, 200)}`;
    }
  }
  return null;
}

for (const kind of storeKinds) {
  describe(`OpenAPI-driven fuzzing (${kind.name})`, () => {
    let t: TestApp;
    let queue: JobQueue;
    before(async () => {
      const store = await kind.open();
      // The queue only enqueues: nothing works deliveries or forecast runs, so nothing is sent anywhere.
      queue = await JobQueue.start({
        sql: store.sql,
        logger: createLogger({ level: 'silent' }),
        schema: kind.name === 'postgres' ? `${store.namespace}_boss` : undefined,
        definitions: jobDefinitions(testDeps({ sql: store.sql })),
        work: false,
        schedule: false,
      });
      t = await startTestApp({ kind, store, jobs: queue, platformOrg: true, logLevel: 'info' });
    });
    after(async () => {
      await t?.app.close();
      await queue?.stop();
      await t?.store.drop();
    });

    test(`every operation, ${casesPerOperation} seeded cases each (seed ${seed}): no 5xx, errors in the catalog shape`, async () => {
      const w: World = { fixtures: {}, key: 'fuzz.cpu', extremeKey: 'fuzz.extreme', dimensions: { host: 'a' }, nowMs: Date.now() };
      w.fixtures = await makeFixtures(t, w);
      const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
      // Alerts first (a changed rule resolves its alerts at its next evaluation), deletions last: the
      // other operations meet the fixtures while they exist and are open.
      const rank = (o: Operation) => (o.method === 'DELETE' ? 2 : ['alerts', 'deliveries'].includes(collectionOf(o.path)) ? 0 : 1);
      const ops = operationsOf(doc).sort((a, b) => rank(a) - rank(b));
      assert.ok(ops.length >= 50, `the document lists ${ops.length} operations`);
      const rng = new Rng(seed);
      const failures: string[] = [];
      let requests = 0;
      const succeeded = new Set<string>();
      const started = performance.now();
      const slowest: [number, string][] = [];
      // Routes for signed-in people (`user` scope) refuse keys before reading anything: their cases go
      // with a session of an owner of the org instead, a fresh one per case (a case may sign out).
      const person = await signedInUser(t, { role: 'owner' });
      const asPerson = async (c: FuzzCase): Promise<FuzzCase> => {
        if (c.headers.authorization !== bearer(t.adminKey).authorization) return c;
        const { token } = await createSession(t.sql, { userId: person.user.id }, new Date(), defaultSessionPolicy);
        const { authorization: _, ...rest } = c.headers;
        return { ...c, headers: { ...rest, ...sessionHeaders(token) } };
      };
      for (const op of ops) {
        const opStarted = performance.now();
        const probe = await t.app.inject({ method: op.method as 'GET', url: op.path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000'), headers: bearer(t.adminKey) });
        const forPeople = probe.statusCode === 403 && probe.json().error.code === 'user_required';
        let real: string | undefined;
        if (op.params.some((p) => p.name === 'cursor')) {
          const url = op.path.replace(/\{\w+\}/g, () => w.fixtures[collectionOf(op.path)]?.[0] ?? '00000000-0000-0000-0000-000000000000');
          const r = await t.app.inject({ method: 'GET', url: `${url}?limit=1`, headers: bearer(t.adminKey) });
          real = r.statusCode === 200 ? (r.json().nextCursor ?? undefined) : undefined;
        }
        for (const [i, made] of casesFor(op, casesPerOperation, rng, w, bearer(t.adminKey), { real }).entries()) {
          const c = forPeople ? await asPerson(made) : made;
          const r = await t.app.inject({ method: c.method as 'GET', url: c.url, headers: c.headers, payload: c.payload });
          requests++;
          if (r.statusCode < 300) succeeded.add(`${op.method} ${op.path}`);
          const p = problem(c, r);
          if (p && failures.length < 30) failures.push(`[seed ${seed}, case ${i}] ${c.label}\n    → ${p}`);
        }
        slowest.push([performance.now() - opStarted, `${op.method} ${op.path}`]);
      }
      if (process.env.FUZZ_TIMES) console.log(slowest.sort((a, b) => b[0] - a[0]).slice(0, 8).map(([ms, o]) => `${o} ${(ms / 1000).toFixed(1)} s`).join('\n'));
      const seconds = (performance.now() - started) / 1000;
      // The one line the README quotes: how much was sent and how long it took.
      console.log(`fuzz (${kind.name}): ${requests} requests over ${ops.length} operations in ${seconds.toFixed(1)} s, seed ${seed}`);
      assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed:\n${failures.join('\n')}`);
      // The cases reach the handlers, not only the validators: nearly every operation succeeded at least once.
      const never = ops.map((o) => `${o.method} ${o.path}`).filter((o) => !succeeded.has(o));
      console.log(`fuzz (${kind.name}): operations without a 2xx: ${never.join(', ') || 'none'}`);

      // Nothing was polluted or broken on the way: the server still answers a plain read.
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      const health = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200);
      const read = await t.app.inject({ method: 'POST', url: '/api/v1/query', headers: bearer(t.adminKey), payload: { key: w.key, from: w.nowMs - 400 * hour, to: w.nowMs } });
      assert.equal(read.statusCode, 200, read.body.slice(0, 300));
      assert.ok(read.json().series.length >= 1);
    });
  });
}
