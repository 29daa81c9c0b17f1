// `npm run bench:sessions`: what a signed-in person's requests cost against a key's, on the real
// server (bin/intentvision.js as a child process) over the embedded store and PostgreSQL.
//
// Each store starts fresh with BOOTSTRAP_ADMIN_EMAIL/PASSWORD (the first owner, verified) at the
// production scrypt cost (PASSWORD_SCRYPT_LOG_N default), so:
//   sign-in  — BENCH_LOGINS (5) POST /api/v1/auth/login, one at a time: the password hash's cost as
//              a client sees it (p50, max); and the hash alone in the bench process (3 runs).
//   reads    — BENCH_CLIENTS (16) concurrent keep-alive clients send BENCH_REQUESTS (4,000) requests
//              per case after BENCH_WARMUP (400), for two shapes:
//                current — GET /api/v1/orgs/current (authentication dominates: one small row)
//                series  — POST /api/v1/query, one series' 100-point window (as the dashboard reads)
//              with the session cookie (+ X-CSRF-Token on the POST) vs a read key; the two
//              credentials alternate over BENCH_ROUNDS (2) rounds so drift hits both alike.
// Prints req/s, p50 and p99 per case; writes bench/results/sessions.json. BENCH_STORES=embedded,postgres.
// BENCH_BIN: another bin/intentvision.js (a build elsewhere).
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { hashPassword } from '../src/auth/passwords.js';
import { options as configOptions } from '../src/config.js';
import { bin, cpuMeter, envInt, envList, machine, openStore, percentile, round, runBench, startIntentVision, writeResult, type ChildServer, type CpuShare } from './lib.js';

const kinds = ['embedded', 'postgres'] as const;
type Kind = (typeof kinds)[number];
const settings = {
  logins: envInt('BENCH_LOGINS', 5),
  clients: envInt('BENCH_CLIENTS', 16),
  requests: envInt('BENCH_REQUESTS', 4000),
  warmup: envInt('BENCH_WARMUP', 400),
  rounds: envInt('BENCH_ROUNDS', 2),
  points: 1000,
  window: 100,
  stores: envList('BENCH_STORES', kinds, kinds),
};
const shapes = ['current', 'series'] as const;
type Shape = (typeof shapes)[number];
const credentials = ['session', 'key'] as const;
type Credential = (typeof credentials)[number];

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

function send(agent: http.Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: payload ? { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) } : headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${url.pathname}: no reply in 120 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The value of cookie `name` among a reply's Set-Cookie headers. */
function cookieOf(r: Reply, name: string): string {
  for (const c of r.headers['set-cookie'] ?? []) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m?.[1]) return m[1];
  }
  throw new Error(`no ${name} cookie in ${JSON.stringify(r.headers['set-cookie'])}`);
}

interface Request {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** `count` requests, `clients` in flight over keep-alive connections; every reply must be 200. */
async function load(req: Request, count: number, clients: number): Promise<{ wallMs: number; latencies: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < count) {
          next++;
          const r = await send(agent, req.url, req.method, req.headers, req.body);
          if (r.status !== 200) throw new Error(`${req.method} ${req.url.pathname}: ${r.status} ${r.body.slice(0, 300)}`);
          latencies.push(r.ms);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { wallMs: performance.now() - t0, latencies };
}

interface CaseResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** req/s of each round. */
  rounds: number[];
  cpu: CpuShare;
}

interface StoreResult {
  signInMs: { p50: number; max: number; all: number[] };
  cases: Record<Shape, Record<Credential, CaseResult>>;
  /** key req/s ÷ session req/s per shape. */
  keyOverSession: Record<Shape, number>;
}

async function runStore(kind: Kind): Promise<StoreResult> {
  const store = await openStore(kind, 'sessions');
  const email = 'bench-owner@example.test';
  const password = randomBytes(18).toString('base64url');
  const server: ChildServer = await startIntentVision(store, { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password }, [], process.env.BENCH_BIN ?? bin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    if (!server.key) throw new Error(`${kind}: the server printed no first-start key:\n${server.output()}`);
    const at = (path: string) => new URL(path, server.url);
    const admin = { authorization: `Bearer ${server.key}` };

    // Sign-in: the password hash at the production cost, as a client sees it.
    const signIn: number[] = [];
    let login: Reply | undefined;
    for (let i = 0; i < settings.logins; i++) {
      login = await send(agent, at('/api/v1/auth/login'), 'POST', {}, JSON.stringify({ email, password }));
      if (login.status !== 200) throw new Error(`${kind}: sign-in: ${login.status} ${login.body}`);
      signIn.push(login.ms);
    }
    const cookie = `iv_session=${cookieOf(login!, 'iv_session')}`;
    const csrf = cookieOf(login!, 'iv_csrf');
    console.log(`  ${kind}: sign-in p50 ${round(percentile(signIn, 50))} ms, max ${round(Math.max(...signIn))} ms (${settings.logins} sign-ins)`);

    const created = await send(agent, at('/api/v1/keys'), 'POST', admin, JSON.stringify({ name: 'bench read', scopes: ['read'] }));
    if (created.status !== 201) throw new Error(`${kind}: key: ${created.status} ${created.body}`);
    const readKey = (JSON.parse(created.body) as { key: string }).key;

    // One series of 1,000 points a minute apart, ending an hour ago.
    const t0 = Math.floor((Date.now() - 3_600_000 - settings.points * 60_000) / 60_000) * 60_000;
    const metrics = Array.from({ length: settings.points }, (_, i) => ({ key: 'bench.sessions', value: Math.sin(i / 50) * 10, timestamp: t0 + i * 60_000, dimensions: { host: 'h1' } }));
    const ingested = await send(agent, at('/api/v1/ingest'), 'POST', admin, JSON.stringify({ metrics }));
    if (ingested.status !== 200) throw new Error(`${kind}: ingest: ${ingested.status} ${ingested.body.slice(0, 300)}`);
    const from = t0 + 400 * 60_000;
    const queryBody = JSON.stringify({ key: 'bench.sessions', dimensions: { host: 'h1' }, from: new Date(from).toISOString(), to: new Date(from + (settings.window - 1) * 60_000).toISOString(), limit: settings.window });

    const headersFor = (c: Credential, write: boolean): Record<string, string> => (c === 'key' ? { authorization: `Bearer ${readKey}` } : { cookie, ...(write && { 'x-csrf-token': csrf }) });
    const requestFor = (shape: Shape, c: Credential): Request =>
      shape === 'current' ? { method: 'GET', url: at('/api/v1/orgs/current'), headers: headersFor(c, false) } : { method: 'POST', url: at('/api/v1/query'), headers: headersFor(c, true), body: queryBody };

    // Both credentials reach the same organisation and the same points.
    const once = (r: Request) => send(agent, r.url, r.method, r.headers, r.body);
    for (const shape of shapes) {
      const [s, k] = [await once(requestFor(shape, 'session')), await once(requestFor(shape, 'key'))];
      if (s.status !== 200 || s.body !== k.body) throw new Error(`${kind} ${shape}: session and key replies differ: ${s.status} ${s.body.slice(0, 200)} / ${k.status} ${k.body.slice(0, 200)}`);
    }

    const cases = {} as StoreResult['cases'];
    for (const shape of shapes) {
      for (const c of credentials) await load(requestFor(shape, c), settings.warmup, settings.clients);
      const acc: Record<Credential, { wallMs: number; latencies: number[]; rounds: number[]; cpu: CpuShare[] }> = { session: { wallMs: 0, latencies: [], rounds: [], cpu: [] }, key: { wallMs: 0, latencies: [], rounds: [], cpu: [] } };
      for (let round_ = 0; round_ < settings.rounds; round_++) {
        // Alternate which goes first so neither always runs on a warmer server.
        for (const c of round_ % 2 === 0 ? credentials : [...credentials].reverse()) {
          const meter = await cpuMeter(server.pid, store.database);
          const r = await load(requestFor(shape, c), settings.requests, settings.clients);
          acc[c].cpu.push(await meter());
          acc[c].wallMs += r.wallMs;
          acc[c].latencies.push(...r.latencies);
          acc[c].rounds.push(Math.round((settings.requests / r.wallMs) * 1000));
        }
      }
      cases[shape] = {} as Record<Credential, CaseResult>;
      for (const c of credentials) {
        const a = acc[c];
        const cpu = a.cpu.reduce((s, x) => ({ ...x, loadGenerator: s.loadGenerator + x.loadGenerator / a.cpu.length, server: s.server + x.server / a.cpu.length, postgres: s.postgres + x.postgres / a.cpu.length, total: s.total + x.total / a.cpu.length, other: s.other + x.other / a.cpu.length }), { loadGenerator: 0, server: 0, postgres: 0, total: 0, other: 0, cores: a.cpu[0]!.cores });
        for (const f of ['loadGenerator', 'server', 'postgres', 'total', 'other'] as const) cpu[f] = round(cpu[f], 2);
        cases[shape][c] = {
          requests: a.latencies.length,
          requestsPerSecond: Math.round((a.latencies.length / a.wallMs) * 1000),
          p50Ms: round(percentile(a.latencies, 50), 2),
          p99Ms: round(percentile(a.latencies, 99), 2),
          rounds: a.rounds,
          cpu,
        };
        const x = cases[shape][c];
        console.log(`  ${kind.padEnd(9)} ${shape.padEnd(8)} ${c.padEnd(8)} ${String(x.requestsPerSecond).padStart(6)} req/s  p50 ${x.p50Ms} ms  p99 ${x.p99Ms} ms  (rounds ${x.rounds.join(', ')}; cores busy: server ${cpu.server}, postgres ${cpu.postgres}, others ${cpu.other})`);
      }
    }
    const keyOverSession = Object.fromEntries(shapes.map((s) => [s, round(cases[s].key.requestsPerSecond / cases[s].session.requestsPerSecond, 2)])) as Record<Shape, number>;
    return { signInMs: { p50: round(percentile(signIn, 50)), max: round(Math.max(...signIn)), all: signIn.map((x) => round(x)) }, cases, keyOverSession };
  } finally {
    agent.destroy();
    await server.stop();
    await store.drop();
  }
}

runBench(async () => {
  console.log(`sessions bench: ${settings.clients} clients, ${settings.rounds} × ${settings.requests} requests per case after ${settings.warmup} warm-up, on ${settings.stores.join(', ')}`);
  // Other work on the machine skews throughput: the load average before and after goes in the result.
  const loadBefore = loadavg().map((x) => round(x, 2));
  const results: Partial<Record<Kind, StoreResult>> = {};
  for (const kind of settings.stores) results[kind] = await runStore(kind);
  const loadAfter = loadavg().map((x) => round(x, 2));
  // The hash alone, in this process, at the default cost: what a sign-in spends beyond its queries.
  const logN = configOptions.passwordScryptLogN.default;
  const hashMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await hashPassword('correct horse battery staple', logN);
    hashMs.push(round(performance.now() - t0));
  }
  console.log(`scrypt ln=${logN} hash alone: ${hashMs.join(', ')} ms`);
  const file = writeResult('sessions', {
    bench: 'sessions',
    description:
      'Session-cookie vs read-key authenticated reads through the real server (GET /api/v1/orgs/current; POST /api/v1/query of one 100-point window), concurrent keep-alive clients; sign-in latency at the production scrypt cost.',
    machine: { ...(await machine()), loadAverage: { before: loadBefore, after: loadAfter } },
    settings: { ...settings, passwordScryptLogN: logN },
    hashMs,
    results,
  });
  console.log(`wrote ${file}`);
});
