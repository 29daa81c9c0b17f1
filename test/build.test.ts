// The compiled build (dist/, what `npm start` runs): no test code in it, and it runs on plain Node,
// worker threads included, without tsx. scripts/test.mjs builds dist/ before this file runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';

const dist = new URL('../dist/', import.meta.url);

test('dist/ holds the compiled sources and no tests, test helpers or sources-only files', () => {
  const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).map((f) => f.split('\\').join('/'));
  for (const f of ['main.js', 'cli.js', 'server.js', 'workers/pool.js', 'workers/tasks.js']) assert.ok(files.includes(f), f);
  assert.deepEqual(files.filter((f) => /\.test\.js$|(^|\/)test-[\w-]+\.js$|\.ts$|workers\/boot\.mjs$/.test(f)), []);
});

test('the compiled worker pool forecasts on a worker thread under plain Node (no tsx)', () => {
  const script = `
    const { createWorkerPool } = await import(${JSON.stringify(new URL('workers/pool.js', dist).href)});
    const pool = createWorkerPool(1);
    const values = Float64Array.from({ length: 240 }, (_, i) => 50 + 8 * Math.sin((2 * Math.PI * i) / 24));
    const r = await pool.forecast({ values, candidatePeriods: [24], horizon: 12, levels: [80] });
    await pool.close();
    console.log(JSON.stringify({ points: r.mean.length, levels: r.intervals.map((i) => i.level) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { points: 12, levels: [80] });
});
