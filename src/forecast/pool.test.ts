import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createForecastPool, inlineRunner } from './pool.js';

test('a forecast on a worker thread equals the same forecast on the calling thread', async () => {
  const y = new Float64Array(24 * 10).map((_, i) => 50 + 8 * Math.sin((2 * Math.PI * i) / 24) + 0.05 * i + ((i * 7919) % 13) / 13);
  const task = { values: y, candidatePeriods: [24, 168], horizon: 12, levels: [80, 95] };
  const pool = createForecastPool(1);
  try {
    const [onWorker, inline] = await Promise.all([pool.run(task), inlineRunner(task)]);
    assert.equal(onWorker.model, inline.model);
    assert.deepEqual(Array.from(onWorker.mean), Array.from(inline.mean));
    assert.deepEqual(onWorker.intervals.map((i) => [i.level, Array.from(i.lower), Array.from(i.upper)]), inline.intervals.map((i) => [i.level, Array.from(i.lower), Array.from(i.upper)]));
    assert.equal(y.length, 240, 'the caller keeps its history');
  } finally {
    await pool.close();
  }
});
