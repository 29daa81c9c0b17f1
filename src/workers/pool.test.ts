import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnomalyError } from '../anomaly/errors.js';
import { createWorkerPool } from './pool.js';
import { detectOnThisThread as inlineDetect } from '../anomaly/detect-func.js';
import { forecastOnThisThread as inlineForecast } from '../forecast/forecast-func.js';

test('a forecast on a worker thread equals the same forecast on the calling thread', async () => {
  const y = new Float64Array(24 * 10).map((_, i) => 50 + 8 * Math.sin((2 * Math.PI * i) / 24) + 0.05 * i + ((i * 7919) % 13) / 13);
  const task = { values: y, candidatePeriods: [24, 168], horizon: 12, levels: [80, 95] };
  const pool = createWorkerPool(1);
  try {
    const [onWorker, inline] = await Promise.all([pool.forecast(task), inlineForecast(task)]);
    assert.equal(onWorker.model, inline.model);
    assert.deepEqual(Array.from(onWorker.mean), Array.from(inline.mean));
    assert.deepEqual(onWorker.intervals.map((i) => [i.level, Array.from(i.lower), Array.from(i.upper)]), inline.intervals.map((i) => [i.level, Array.from(i.lower), Array.from(i.upper)]));
    assert.equal(y.length, 240, 'the caller keeps its history');
  } finally {
    await pool.close();
  }
});

test('detection on a worker thread equals detection on the calling thread; its errors arrive typed', async () => {
  const n = 600;
  const values = new Float64Array(n).map((_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 24) + (((i * 7919) % 17) / 17 - 0.5));
  values[450] = 160;
  const timestampsMs = new Float64Array(n).map((_, i) => Date.UTC(2026, 0, 1) + i * 3_600_000);
  const task = { values, timestampsMs, sensitivity: 0.5, mode: 'online' as const, context: { before: 3, after: 3 } };
  const pool = createWorkerPool(1);
  try {
    const [onWorker, inline] = await Promise.all([pool.detect(task), inlineDetect(task)]);
    assert.ok(inline.anomalies.some((a) => a.index === 450), 'the spike is found');
    assert.deepEqual(onWorker, inline);
    assert.equal(values.length, n, 'the caller keeps its series');
    await assert.rejects(pool.detect({ ...task, values: values.subarray(0, 5), timestampsMs: timestampsMs.subarray(0, 5) }), (e: unknown) => {
      assert.ok(e instanceof AnomalyError);
      assert.deepEqual([e.reason, e.code], ['too_few_points', 'insufficient_data']);
      return true;
    });
  } finally {
    await pool.close();
  }
});
