import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseChunkSeconds, dayStartMs, DAY_S, medianSpacingMs, monthBoundsMs, TWO_HOURS_S, windowStartMs } from './window.js';

const spaced = (n: number, stepMs: number) => Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * stepMs);

test('windows are epoch-aligned and nest in UTC days', () => {
  const t = Date.UTC(2026, 11, 6, 13, 59, 59, 999);
  assert.equal(windowStartMs(t, TWO_HOURS_S), Date.UTC(2026, 11, 6, 12));
  assert.equal(windowStartMs(t, DAY_S), Date.UTC(2026, 11, 6));
  assert.equal(dayStartMs(t), Date.UTC(2026, 11, 6));
  assert.equal(windowStartMs(-1, TWO_HOURS_S), -7_200_000);
  for (let h = 0; h < 24; h += 2) assert.equal(dayStartMs(windowStartMs(Date.UTC(2026, 0, 1, h, 30), TWO_HOURS_S)), Date.UTC(2026, 0, 1));
});

test('month bounds cross years', () => {
  assert.deepEqual(monthBoundsMs(Date.UTC(2026, 11, 31, 23)), { startMs: Date.UTC(2026, 11, 1), endMs: Date.UTC(2027, 0, 1) });
});

test('the window width follows the median spacing: 30 s or faster gets 2 h windows', () => {
  assert.equal(chooseChunkSeconds(spaced(100, 15_000)), TWO_HOURS_S);
  assert.equal(chooseChunkSeconds(spaced(100, 30_000)), TWO_HOURS_S);
  assert.equal(chooseChunkSeconds(spaced(100, 31_000)), DAY_S);
  assert.equal(chooseChunkSeconds(spaced(100, 300_000)), DAY_S);
  assert.equal(chooseChunkSeconds(spaced(1, 1)), DAY_S, 'one point: no spacing known');
  // One long gap does not move the median.
  const ts = spaced(50, 10_000);
  ts[49] = ts[48]! + 86_400_000;
  assert.equal(medianSpacingMs(ts), 10_000);
});
