// `node --import tsx bench/json-body.ts`: what the hardening of JSON bodies and replies costs per request —
// the scan for depth and overflowing numbers (src/api/plugins/json-body.ts) next to Fastify's own JSON
// parser it runs in front of, and the NaN walk over replies (src/api/plugins/finite-replies.ts) next to
// serialising them (JSON.stringify). Bodies: a 1000-point ingest batch (scrape-shaped, ~130 KB), the
// same with 14 dimensions a point (~650 KB), and a 10,000-point query reply.
// BENCH_ROUNDS rounds (5) of BENCH_ITERATIONS (200) each, medians reported. Writes bench/results/json-body.json.
import Fastify from 'fastify';
import { hasNaN } from '../src/api/plugins/finite-replies.js';
import { scanJson } from '../src/api/plugins/json-body.js';
import { envInt, machine, median, round, runBench, writeResult } from './lib.js';

const settings = { rounds: envInt('BENCH_ROUNDS', 5), iterations: envInt('BENCH_ITERATIONS', 200) };

function ingestBody(points: number, dims: number): string {
  const now = Date.now();
  const dimensions = Object.fromEntries(Array.from({ length: dims }, (_, d) => [`label_${d}`, `value-${d}-xxxxxxxxxxxxxxxx`]));
  return JSON.stringify({ metrics: Array.from({ length: points }, (_, i) => ({ key: `node_cpu_seconds_total_${i % 50}`, value: Math.random() * 1e6, timestamp: now, dimensions: { instance: `host-${i}:9100`, ...dimensions } })) });
}

/** Microseconds per call of `fn`, median over rounds. */
function time(fn: () => void): number {
  const perRound: number[] = [];
  for (let r = 0; r < settings.rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < settings.iterations; i++) fn();
    perRound.push(((performance.now() - t0) * 1000) / settings.iterations);
  }
  return round(median(perRound), 1);
}

runBench(async () => {
  const app = Fastify();
  const parse = app.getDefaultJsonParser('error', 'error');
  const fastifyParse = (text: string) => parse({} as never, text, (err) => {
    if (err) throw err;
  });
  const bodies = { 'ingest 1000 points': ingestBody(1000, 0), 'ingest 1000 points, 14 dimensions each': ingestBody(1000, 14) };
  const parsing = Object.entries(bodies).map(([name, text]) => {
    const parseUs = time(() => fastifyParse(text));
    const scanUs = time(() => scanJson(text));
    return { body: name, bytes: text.length, fastifyParseUs: parseUs, scanUs, overheadPercent: round((100 * scanUs) / parseUs, 1) };
  });

  const reply = { series: [{ key: 'k', dimensions: { host: 'a' }, points: Array.from({ length: 10_000 }, (_, i) => ({ timestamp: new Date(1.8e12 + i * 60_000).toISOString(), value: Math.random() })) }], nextCursor: null };
  const stringifyUs = time(() => JSON.stringify(reply));
  const walkUs = time(() => hasNaN(reply));
  const replies = [{ reply: 'query, 10,000 points', stringifyUs, nanWalkUs: walkUs, overheadPercent: round((100 * walkUs) / stringifyUs, 1) }];

  const result = { settings, machine: await machine(), parsing, replies };
  console.table(parsing);
  console.table(replies);
  console.log(`wrote ${writeResult('json-body', result)}`);
});
