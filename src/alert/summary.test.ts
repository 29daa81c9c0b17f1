import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatSeries, formatValue } from './summary.js';

test('formatSeries: key{a=b,c=d}, sorted; bare key without dimensions', () => {
  assert.equal(formatSeries('cpu.usage', { region: 'eu', host: 'web-1' }), 'cpu.usage{host=web-1,region=eu}');
  assert.equal(formatSeries('cpu.usage', {}), 'cpu.usage');
});

test('formatDuration', () => {
  const table: [number, string][] = [
    [0, '0s'], [250, '250ms'], [1000, '1s'], [1500, '1s'], [45_000, '45s'], [300_000, '5m'], [90_000, '1m30s'],
    [5_400_000, '1h30m'], [3_600_000, '1h'], [86_400_000, '1d'], [90_061_000, '1d1h1m1s'], [-300_000, '-5m'],
  ];
  for (const [ms, want] of table) assert.equal(formatDuration(ms), want, String(ms));
});

test('formatValue: 6 significant digits, no float noise', () => {
  const table: [number, string][] = [[0.97, '0.97'], [0.1 + 0.2, '0.3'], [1234567, '1234570'], [-2.5, '-2.5'], [1e-7, '1e-7'], [0, '0'], [120, '120']];
  for (const [v, want] of table) assert.equal(formatValue(v), want, String(v));
});
