import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seriesIdentity, type Labels } from '../core/labels.js';
import { SeriesCache } from '../metrics/series-cache.js';
import type { Sql } from '../store/sql.js';
import type { MetricPoint } from './validate.js';
import { preparePoints } from './write-points.js';

const now = Date.UTC(2026, 5, 15, 12);
/** A store that must not be asked: every series below is cached, with its newest stored time remembered. */
const noStore = {
  driver: 'postgres',
  query: async () => {
    throw new Error('the store was queried');
  },
} as unknown as Sql;

/** A cache of `series` (key cpu, dimension host) with the given ids; each series' newest stored point an hour ago. */
function cacheOf(ids: number[]): SeriesCache {
  const cache = new SeriesCache();
  ids.forEach((id, i) => cache.set('org', seriesIdentity('cpu', { host: `h${i}` }), id));
  cache.lastTimestamps.remember(new Map(ids.map((id) => [id, now - 3_600_000])));
  return cache;
}

const point = (host: number, t: number, value: number, dimensions: Labels = { host: `h${host}` }): MetricPoint => ({ key: 'cpu', value, timestampMs: now - 60_000 + t, dimensions });

test('cached series are resolved without the store; repeats of (series, time) within the batch are counted once, per policy', async () => {
  // Ids far beyond 2^32 (both halves of the id matter) and ids that differ only in their high half.
  const ids = [2 ** 40 + 7, 7, 2 ** 33 + 7, 2 ** 52 + 1, 1];
  const batch = [point(0, 0, 1), point(1, 0, 2), point(2, 0, 3), point(0, 1000, 4), point(0, 0, 5), point(3, 0, 6), point(2, 0, 7), point(4, 0, 8), point(0, 1000, 9)];
  for (const policy of ['reject', 'overwrite'] as const) {
    const p = await preparePoints(noStore, 'org', batch, policy, now, cacheOf(ids));
    assert.equal(p.batchDuplicates, 3, policy);
    assert.deepEqual(p.rows.seriesIds, [ids[0], ids[1], ids[2], ids[0], ids[3], ids[4]], policy);
    assert.deepEqual(p.rows.timestampsMs, [0, 0, 0, 1000, 0, 0].map((t) => now - 60_000 + t), policy);
    // reject: the first of a repeated (series, time) wins; overwrite: the last.
    assert.deepEqual(p.rows.values, policy === 'reject' ? [1, 2, 3, 4, 6, 8] : [5, 2, 7, 9, 6, 8], policy);
  }
});

test('the same series whatever the order of its dimensions; a series not cached goes to the store', async () => {
  const cache = new SeriesCache();
  cache.set('org', seriesIdentity('cpu', { host: 'h0', dc: 'eu' }), 11);
  cache.lastTimestamps.remember(new Map([[11, now - 3_600_000]]));
  const p = await preparePoints(noStore, 'org', [point(0, 0, 1, { host: 'h0', dc: 'eu' }), point(0, 0, 2, { dc: 'eu', host: 'h0' })], 'reject', now, cache);
  assert.deepEqual(p.rows.seriesIds, [11]);
  assert.equal(p.batchDuplicates, 1);
  await assert.rejects(preparePoints(noStore, 'org', [point(0, 0, 1, { host: 'h0' })], 'reject', now, cache), /the store was queried/);
  await assert.rejects(preparePoints(noStore, 'other-org', [point(0, 0, 1, { host: 'h0', dc: 'eu' })], 'reject', now, cache), /the store was queried/);
});

test('a large batch of distinct series: every point keeps its row', async () => {
  const ids = Array.from({ length: 5000 }, (_, i) => 2 ** 35 * (i % 3) + i * 1_000_003);
  const batch = ids.map((_, i) => point(i, 0, i));
  const p = await preparePoints(noStore, 'org', batch, 'reject', now, cacheOf(ids));
  assert.equal(p.batchDuplicates, 0);
  assert.deepEqual(p.rows.seriesIds, ids);
  assert.deepEqual(p.rows.values, batch.map((b) => b.value));
});
