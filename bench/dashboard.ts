// `node scripts/build.mjs --if-stale && node --import tsx bench/dashboard.ts`: the dashboard in a
// real headless Chromium (Debian's chromium, playwright-core) against the real server
// (bin/intentvision.js, the compiled build and dist/web) on a fresh embedded store:
//   first load — BENCH_LOADS (5) fresh browser contexts (cold cache) open / and wait for the sign-in
//                page: wall time to the heading, and Navigation Timing (response end, DOM content
//                loaded, load event); median and max.
//   render     — Explore charting one series of BENCH_POINTS (100,000) points from the last 24 h
//                (raw points, 10 query pages): the app's User Timing `iv:render`, from the last data
//                page's arrival to uPlot's first draw (JSON → columns → React → canvas), and
//                `iv:frame`, to the frame that shows it; BENCH_RENDERS (5) reloads, median and max.
// Writes bench/results/dashboard.json.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { chromiumPath } from '../test/helpers/browser.js';
import { bin, envInt, machine, median, openStore, round, runBench, startIntentVision, writeResult } from './lib.js';

const settings = {
  loads: envInt('BENCH_LOADS', 5),
  renders: envInt('BENCH_RENDERS', 5),
  points: envInt('BENCH_POINTS', 100_000),
};
const email = 'bench@example.test';
const password = 'bench dashboard password 7';
const key = 'bench.render';
const batch = 10_000;

async function ingest(base: string, apiKey: string): Promise<void> {
  const last = Date.now() - 60_000;
  const spacing = Math.floor(86_000_000 / settings.points); // all inside the last 24 h
  for (let start = 0; start < settings.points; start += batch) {
    const metrics = [];
    for (let i = start; i < Math.min(settings.points, start + batch); i++) {
      const ts = last - (settings.points - 1 - i) * spacing;
      metrics.push({ key, value: 100 + 30 * Math.sin((2 * Math.PI * ts) / 86_400_000) + 5 * Math.sin(i / 7) + ((i * 7919) % 13), timestamp: ts });
    }
    const res = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ metrics }) });
    const reply = (await res.json()) as { accepted?: number };
    if (!res.ok || reply.accepted !== metrics.length) throw new Error(`ingest: ${res.status} ${JSON.stringify(reply).slice(0, 300)}`);
  }
}

async function firstLoads(browser: Browser, base: string) {
  const wall: number[] = [];
  const nav: { responseEnd: number; domContentLoaded: number; load: number }[] = [];
  for (let i = 0; i < settings.loads; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Sign in to IntentVision' }).waitFor();
    wall.push(Date.now() - t0);
    nav.push(
      await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { responseEnd: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd };
      }),
    );
    await context.close();
  }
  return {
    wallToSignInMs: { median: round(median(wall)), max: round(Math.max(...wall)) },
    domContentLoadedMs: round(median(nav.map((n) => n.domContentLoaded))),
    loadEventMs: round(median(nav.map((n) => n.load))),
  };
}

async function renders(browser: Browser, base: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const login = await context.request.post(`${base}/api/v1/auth/login`, { data: { email, password } });
  if (!login.ok()) throw new Error(`sign-in: ${login.status()} ${await login.text()}`);
  const page = await context.newPage();
  const render: number[] = [];
  const frame: number[] = [];
  await page.goto(`${base}/explore?s=${key}&range=24h`);
  for (let i = 0; i < settings.renders; i++) {
    if (i > 0) await page.reload();
    await page.waitForFunction(() => performance.getEntriesByName('iv:frame').length > 0, undefined, { timeout: 120_000 });
    const m = await page.evaluate(() => ({ render: performance.getEntriesByName('iv:render')[0]!.duration, frame: performance.getEntriesByName('iv:frame')[0]!.duration }));
    render.push(m.render);
    frame.push(m.frame);
  }
  const drawnPoints = await page.locator('figure.chart').getAttribute('data-histories');
  if (drawnPoints !== '1') throw new Error('the chart did not show the series');
  await context.close();
  return { points: settings.points, toFirstDrawMs: { median: round(median(render)), max: round(Math.max(...render)) }, toFrameMs: { median: round(median(frame)), max: round(Math.max(...frame)) } };
}

runBench(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath}: apt-get install chromium`);
  const store = await openStore('embedded', 'dashboard');
  const server = await startIntentVision(store, { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password, INGEST_MAX_BATCH: String(batch), BODY_LIMIT: '16mb' }, [], process.env.BENCH_BIN ?? bin);
  if (!server.key) throw new Error('the first start printed no admin key');
  console.log(`ingesting ${settings.points} points…`);
  await ingest(server.url, server.key);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const load = await firstLoads(browser, server.url);
    console.log(`first load (cold cache) to the sign-in page: median ${load.wallToSignInMs.median} ms, max ${load.wallToSignInMs.max} ms; DOMContentLoaded ${load.domContentLoadedMs} ms, load ${load.loadEventMs} ms`);
    const render = await renders(browser, server.url);
    console.log(`chart of ${render.points} points, data arrived → first draw: median ${render.toFirstDrawMs.median} ms (max ${render.toFirstDrawMs.max}); → frame shown: median ${render.toFrameMs.median} ms (max ${render.toFrameMs.max})`);
    const file = writeResult('dashboard', { settings, machine: await machine(), firstLoad: load, render });
    console.log(`wrote ${file}`);
  } finally {
    await browser.close();
    await server.stop();
  }
});
