// `node --import tsx bench/passwords.ts` (npm run bench:passwords): the cost of a sign-in's password
// check, scrypt through src/auth/passwords.ts — the median time of one hash (a verification costs the
// same) at each cost in BENCH_LOG_N (15,16,17; 17 is the default PASSWORD_SCRYPT_LOG_N), over
// BENCH_ROUNDS rounds (9), and at the default cost BENCH_CONCURRENT hashes (8) started at once: the
// module runs at most 2 at a time (memory and libuv's thread pool), so this gives the sign-ins a
// process can check per second and the peak memory. Writes bench/results/passwords.json.
import { loadavg } from 'node:os';
import { hashPassword, verifyPassword } from '../src/auth/passwords.js';
import { envInt, machine, median, percentile, round, runBench, writeResult } from './lib.js';

const logNs = (process.env.BENCH_LOG_N ?? '15,16,17').split(',').map((s) => Number(s.trim()));
for (const n of logNs) if (!Number.isInteger(n) || n < 10 || n > 20) throw new Error(`BENCH_LOG_N: ${n} is not a whole number from 10 to 20`);
const settings = { logN: logNs, rounds: envInt('BENCH_ROUNDS', 9), concurrent: envInt('BENCH_CONCURRENT', 8), defaultLogN: 17 };

runBench(async () => {
  const perCost: Record<string, { hashMsMedian: number; hashMsP90: number; verifyMsMedian: number; memoryMiB: number }> = {};
  for (const logN of logNs) {
    await hashPassword('warm-up password', logN);
    const hashMs: number[] = [];
    const verifyMs: number[] = [];
    for (let i = 0; i < settings.rounds; i++) {
      let t = performance.now();
      const h = await hashPassword(`bench password ${i}`, logN);
      hashMs.push(performance.now() - t);
      t = performance.now();
      if (!(await verifyPassword(`bench password ${i}`, h, logN)).ok) throw new Error('verification failed');
      verifyMs.push(performance.now() - t);
    }
    perCost[`ln${logN}`] = { hashMsMedian: round(median(hashMs)), hashMsP90: round(percentile(hashMs, 90)), verifyMsMedian: round(median(verifyMs)), memoryMiB: (128 * 8 * 2 ** logN) / 2 ** 20 };
    console.log(`ln=${logN}: hash median ${round(median(hashMs))} ms, verify median ${round(median(verifyMs))} ms`);
  }

  // A burst of sign-ins at the default cost: how many a process checks per second, and the memory it takes.
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: settings.concurrent }, async (_, i) => {
      const t = performance.now();
      await hashPassword(`burst password ${i}`, settings.defaultLogN);
      return performance.now() - t;
    }),
  );
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  const burst = {
    hashes: settings.concurrent,
    wallMs: Math.round(wallMs),
    perSecond: round((settings.concurrent * 1000) / wallMs, 2),
    latencyMsMedian: Math.round(median(latencies)),
    latencyMsMax: Math.round(Math.max(...latencies)),
    peakRssMiBAboveStart: Math.round((peakRss - rssBefore) / 2 ** 20),
  };
  console.log(`burst of ${settings.concurrent} at ln=${settings.defaultLogN}: ${burst.perSecond}/s, latency median ${burst.latencyMsMedian} ms, max ${burst.latencyMsMax} ms, peak RSS +${burst.peakRssMiBAboveStart} MiB`);

  const results = { perCost, burst };
  const file = writeResult('passwords', {
    bench: 'passwords',
    machine: await machine(),
    // Other work on the machine slows every figure here: measure on a quiet machine.
    loadAverage1m: round(loadavg()[0]!, 2),
    note: 'scrypt (r=8, p=1, 32-byte key) through src/auth/passwords.ts on libuv\'s thread pool, at most 2 at once per process. A sign-in costs one verification (the same as one hash); an unknown email costs the same (a dummy hash). Memory is 128·N·r bytes per hash in flight.',
    settings,
    results,
  });
  console.log(`wrote ${file}`);
});
