import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseTimeParam } from './duration.js';
import { formatValue, shortest } from './format.js';
import { PromQLError } from './types.js';

test('formatValue writes floats as Go strconv.FormatFloat(v, "f", -1, 64) does', () => {
  const table: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-42, '-42'],
    [0.1, '0.1'],
    [1 / 3, '0.3333333333333333'],
    [0.016666666666666666, '0.016666666666666666'],
    [1e21, '1000000000000000000000'],
    [1.5e21, '1500000000000000000000'],
    [123456789012345680000, '123456789012345680000'],
    [1.5e-7, '0.00000015'],
    [-2.5e-10, '-0.00000000025'],
    [1e-7, '0.0000001'],
    [0.000001, '0.000001'],
    [5e-324, `0.${'0'.repeat(323)}5`],
    [1.7976931348623157e308, `17976931348623157${'0'.repeat(292)}`],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  for (const [v, want] of table) assert.equal(formatValue(v), want, String(v));
});

test('parseDuration reads Prometheus durations and float seconds, in ms', () => {
  const table: [string, number][] = [
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1m30s500ms', 90_500],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['0', 0],
    ['15', 15_000],
    ['0.5', 500],
    ['1e1', 10_000],
  ];
  for (const [text, want] of table) assert.equal(parseDuration(text), want, text);
  for (const bad of ['', '1m1h', '5 m', 'm', '1.5m', 'abc', '1hh']) {
    assert.throws(() => parseDuration(bad), (e: unknown) => e instanceof PromQLError && e.type === 'bad_data' && e.message.includes('valid duration'), bad);
  }
});

test('parseTimeParam reads unix seconds (float) and RFC 3339, in ms', () => {
  const table: [string, number][] = [
    ['1700000000', 1_700_000_000_000],
    ['1700000000.5', 1_700_000_000_500],
    ['1700000000.123', 1_700_000_000_123],
    ['0', 0],
    ['2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1)],
    ['2026-01-01T01:30:00.250+01:00', Date.UTC(2026, 0, 1, 0, 30, 0, 250)],
  ];
  for (const [text, want] of table) assert.equal(parseTimeParam(text), want, text);
  for (const bad of ['', 'yesterday', '2026-01-01', '2026-13-45T00:00:00Z', '1e400']) {
    assert.throws(() => parseTimeParam(bad), (e: unknown) => e instanceof PromQLError && e.type === 'bad_data' && e.message.includes('valid timestamp'), bad);
  }
});

test('the few-decimals path gives the same text as the general one', () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const values: number[] = [0.1, 0.2, 0.3, 1.1, 2.675, 1e-6, 123456.789, 4503599627370.5, -0.5, 0.000001, 1.000001];
  for (let i = 0; i < 50_000; i++) {
    const decimals = Math.floor(random() * 8);
    const magnitude = 10 ** Math.floor(random() * 14 - 4);
    const sign = random() < 0.5 ? -1 : 1;
    values.push(sign * (Math.round(random() * magnitude * 10 ** decimals) / 10 ** decimals), sign * random() * magnitude, 0.1 * i, i / 3);
  }
  for (const v of values) if (!Number.isInteger(v)) assert.equal(formatValue(v), shortest(v), String(v));
  assert.equal(shortest(1.5e-7), '0.00000015');
});
