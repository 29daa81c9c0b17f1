// `node --import tsx bench/outbound.ts`: what the outbound guard costs a notification. One webhook-sized
// JSON POST (800 bytes) at a time to a receiver on 127.0.0.1, through:
//   - global-fetch: Node's fetch, as src/notify/http.ts posted before the guard (body read, 1 KB kept);
//   - undici-plain: undici's request over a plain Agent (no checks), the baseline of the next two;
//   - guarded: postJson as it is now, undici's request over the guard's dispatcher, keep-alive (a
//     literal host is checked once per connection);
//   - guarded-new-connection-by-name: the same to `localhost`, a new connection per POST, so every
//     POST pays a resolution and the check of every address (the worst case for the guard).
// And the check alone: OutboundGuard.checkHost over a mix of literal spellings and names.
// BENCH_OUTBOUND_POSTS posts per round (1000), BENCH_OUTBOUND_ROUNDS interleaved rounds (5); the
// figure is the median of the rounds' ms per POST. Writes bench/results/outbound.json.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { OutboundGuard } from '../src/net/outbound.js';
import { postJson } from '../src/notify/http.js';
import { envInt, machine, median, onCleanup, round, runBench, writeResult } from './lib.js';

const settings = { posts: envInt('BENCH_OUTBOUND_POSTS', 1000), rounds: envInt('BENCH_OUTBOUND_ROUNDS', 5), checks: 200_000 };

runBench(async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup('receiver', () => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/hook`;
  const body = JSON.stringify({ type: 'alert.firing', data: { pad: 'x'.repeat(760) } });

  const guard = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8', '::1/128'] });
  const plain = new Agent();
  onCleanup('agents', async () => {
    await guard.close();
    await plain.close();
  });
  const headers = { 'content-type': 'application/json' };

  const modes: Record<string, () => Promise<void>> = {
    'global-fetch': async () => {
      const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(5000) });
      await res.text();
      if (res.status !== 204) throw new Error(`status ${res.status}`);
    },
    'undici-plain': async () => {
      const res = await request(url, { method: 'POST', headers, body, dispatcher: plain, signal: AbortSignal.timeout(5000) });
      await res.body.dump();
      if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
    },
    guarded: async () => {
      const r = await postJson(url, body, { timeoutMs: 5000, now: new Date(), secrets: [], outbound: guard });
      if (!r.ok) throw new Error(JSON.stringify(r));
    },
    'guarded-new-connection-by-name': async () => {
      const res = await request(`http://localhost:${port}/hook`, { method: 'POST', headers, body, dispatcher: guard.dispatcher, reset: true, signal: AbortSignal.timeout(5000) });
      await res.body.dump();
      if (res.statusCode !== 204) throw new Error(`status ${res.statusCode}`);
    },
  };

  const rounds: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  for (const fn of Object.values(modes)) for (let i = 0; i < 50; i++) await fn(); // warm-up
  for (let r = 0; r < settings.rounds; r++) {
    for (const [name, fn] of Object.entries(modes)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < settings.posts; i++) await fn();
      rounds[name]!.push(Number(process.hrtime.bigint() - t0) / 1e6 / settings.posts);
    }
  }
  const msPerPost = Object.fromEntries(Object.entries(rounds).map(([m, v]) => [m, round(median(v), 3)]));
  for (const [m, v] of Object.entries(msPerPost)) console.log(`  ${m}: ${v} ms per POST`);

  const hosts = ['127.0.0.1', '2130706433', '[::ffff:127.0.0.1]', '169.254.169.254', '[fd00::1]', 'hooks.slack.com', '93.184.216.34', 'localhost'];
  const strict = new OutboundGuard();
  let refused = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < settings.checks; i++) if (strict.checkHost(hosts[i % hosts.length]!)) refused++;
  const checkUs = Number(process.hrtime.bigint() - t0) / 1e3 / settings.checks;
  console.log(`  checkHost: ${round(checkUs, 2)} µs per host (${refused} refused of ${settings.checks})`);

  const file = writeResult('outbound', {
    bench: 'outbound',
    machine: await machine(),
    note: 'One 800-byte JSON POST at a time to a receiver on 127.0.0.1 answering 204; median over interleaved rounds of ms per POST. global-fetch is how notifications were posted before the outbound guard; guarded is postJson now; guarded-new-connection-by-name resolves localhost and checks its addresses on every POST (a new connection each).',
    settings,
    msPerPost,
    rounds,
    checkHostMicroseconds: round(checkUs, 3),
  });
  console.log(`results in ${file}`);
});
