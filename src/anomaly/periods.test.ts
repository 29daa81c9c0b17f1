import assert from 'node:assert/strict';
import { test } from 'node:test';
import { candidatePeriods, medianStepMs, onlineSegments, ONLINE_CYCLES } from './periods.js';
import { synthetic } from '../../test/helpers/anomaly-series.js';

const every = (n: number, stepMs: number) => Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * stepMs);

test('candidate periods: a day and a week in steps of the median spacing', () => {
  assert.deepEqual(candidatePeriods(every(50, 300_000)), [288, 2016]);
  assert.deepEqual(candidatePeriods(every(50, 3_600_000)), [24, 168]);
  assert.deepEqual(candidatePeriods(every(50, 86_400_000)), [7]);
  assert.deepEqual(candidatePeriods(every(50, 7 * 86_400_000)), []);
  assert.deepEqual(candidatePeriods(every(1, 60_000)), []);
  // A gap and a repeated stamp do not move the median spacing.
  const ts = every(20, 60_000);
  ts[10] = ts[9]!;
  ts[15] = ts[15]! + 3_600_000;
  assert.equal(medianStepMs(ts), 60_000);
});

test('online segments: a period applies only from its checkpoint, decided on the data before it', () => {
  const y = synthetic({ n: 24 * 30, level: 50, seasons: [{ amplitude: 10, period: 24 }], noise: 1, seed: 3 });
  const segs = onlineSegments(y, [24, 168]);
  assert.deepEqual(segs[0], { start: 0, periods: [] });
  assert.deepEqual(segs[1], { start: ONLINE_CYCLES * 24, periods: [24] });
  // The same segments come out of any prefix that reaches them.
  for (const cut of [100, 600]) {
    const part = onlineSegments(y.subarray(0, cut), [24, 168]);
    assert.deepEqual(part, segs.filter((s) => s.start < cut));
  }
});
