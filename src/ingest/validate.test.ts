import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { maxDimensions, maxDimensionValueLength, type Labels } from '../core/labels.js';
import { checkItem, isItemError, parseTimestamp, validateItem, type ItemErrorCode } from './validate.js';

const nowMs = Date.parse('2026-06-15T12:00:00Z');
const limits = { nowMs, maxFutureSkewMs: 300_000 };
const ts = nowMs - 60_000;

/** `n` dimensions d0…d{n-1}. */
function dims(n: number): Labels {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, `v${i}`]));
}

describe('parseTimestamp', () => {
  const valid: [string, unknown, number][] = [
    ['epoch ms', 1_767_261_600_000, 1_767_261_600_000],
    ['epoch ms with a fraction rounds', 1_767_261_600_000.6, 1_767_261_600_001],
    ['ISO epoch 0 (a numeric one is refused as seconds)', '1970-01-01T00:00:00Z', 0],
    ['the first numeric ms accepted (1973-03-03)', 100_000_000_000, 100_000_000_000],
    ['last ms of 9999', 253_402_300_799_999, 253_402_300_799_999],
    ['ISO Z', '2026-01-01T10:00:00Z', Date.UTC(2026, 0, 1, 10)],
    ['ISO lower-case t and z', '2026-01-01t10:00:00z', Date.UTC(2026, 0, 1, 10)],
    ['ISO with a space', '2026-01-01 10:00:00Z', Date.UTC(2026, 0, 1, 10)],
    ['ISO without seconds', '2026-01-01T10:00Z', Date.UTC(2026, 0, 1, 10)],
    ['ISO with ms', '2026-01-01T10:00:00.250Z', Date.UTC(2026, 0, 1, 10, 0, 0, 250)],
    ['ISO with nanoseconds (truncated to ms)', '2026-01-01T10:00:00.123456789Z', Date.UTC(2026, 0, 1, 10, 0, 0, 123)],
    ['ISO +01:00', '2026-01-01T10:00:00+01:00', Date.UTC(2026, 0, 1, 9)],
    ['ISO -0530', '2026-01-01T10:00:00-0530', Date.UTC(2026, 0, 1, 15, 30)],
    ['29 February of a leap year', '2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['31 December', '2025-12-31T23:59:59Z', Date.UTC(2025, 11, 31, 23, 59, 59)],
  ];
  for (const [name, raw, ms] of valid) {
    test(`valid: ${name}`, () => assert.deepEqual(parseTimestamp(raw), { ok: true, ms }));
  }

  const invalid: [string, unknown][] = [
    ['missing', undefined],
    ['null', null],
    ['boolean', true],
    ['object', { t: 1 }],
    ['array', [1_767_261_600_000]],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['negative epoch', -1],
    ['epoch seconds', 1_767_261_600],
    ['epoch 0 as a number', 0],
    ['just below 10^11 ms', 99_999_999_999],
    ['nanoseconds', 1_767_261_600_000_000_000],
    ['microseconds', 1_767_261_600_000_000],
    ['past year 9999', 253_402_300_800_000],
    ['digits as a string', '1767261600000'],
    ['"NaN"', 'NaN'],
    ['"Infinity"', 'Infinity'],
    ['empty string', ''],
    ['date only', '2026-01-01'],
    ['no time zone', '2026-01-01T10:00:00'],
    ['RFC 2822', 'Thu, 01 Jan 2026 10:00:00 GMT'],
    ['year 10000', '10000-01-01T00:00:00Z'],
    ['expanded year', '+010000-01-01T00:00:00Z'],
    ['before 1970', '1969-12-31T23:59:59Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 0', '2026-00-10T00:00:00Z'],
    ['day 0', '2026-01-00T00:00:00Z'],
    ['30 February', '2026-02-30T00:00:00Z'],
    ['29 February of a common year', '2025-02-29T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['hour 25', '2026-01-01T25:00:00Z'],
    ['minute 60', '2026-01-01T10:60:00Z'],
    ['second 60', '2026-01-01T10:00:60Z'],
    ['offset +24:00', '2026-01-01T10:00:00+24:00'],
    ['trailing garbage', '2026-01-01T10:00:00Zjunk'],
    ['NUL inside', '2026-01-01T10:00:00\u0000Z'],
  ];
  for (const [name, raw] of invalid) {
    test(`invalid: ${name}`, () => {
      const r = parseTimestamp(raw);
      assert.equal(r.ok, false, JSON.stringify(r));
      if (!r.ok) {
        assert.ok(r.message.length > 0);
        assert.ok(!r.message.includes('\u0000'), 'a NUL is never echoed');
      }
    });
  }
});

describe('validateItem', () => {
  const ok = { key: 'cpu.load', value: 1.5, timestamp: ts };

  test('a valid item is normalised: epoch ms, dimensions copied', () => {
    const r = validateItem({ ...ok, timestamp: new Date(ts).toISOString(), dimensions: { host: 'web-1', region: 'eu' } }, 3, limits);
    assert.deepEqual(r, { ok: true, point: { key: 'cpu.load', value: 1.5, timestampMs: ts, dimensions: { host: 'web-1', region: 'eu' } } });
  });

  const validItems: [string, unknown][] = [
    ['no dimensions', ok],
    ['null dimensions', { ...ok, dimensions: null }],
    ['empty dimensions', { ...ok, dimensions: {} }],
    ['key of one letter', { ...ok, key: 'a' }],
    ['key starting with _', { ...ok, key: '_x' }],
    ['key with . : - _ and digits', { ...ok, key: 'a.b:c-d_e9' }],
    ['key of 200 characters', { ...ok, key: `k${'x'.repeat(199)}` }],
    ['value 0', { ...ok, value: 0 }],
    ['negative value', { ...ok, value: -42.5 }],
    ['largest double', { ...ok, value: Number.MAX_VALUE }],
    ['smallest double', { ...ok, value: Number.MIN_VALUE }],
    [`${maxDimensions} dimensions`, { ...ok, dimensions: dims(maxDimensions) }],
    [`dimension value of ${maxDimensionValueLength} characters`, { ...ok, dimensions: { a: 'x'.repeat(maxDimensionValueLength) } }],
    ['empty dimension value', { ...ok, dimensions: { a: '' } }],
    ['unicode dimension value', { ...ok, dimensions: { a: 'zürich ☃' } }],
    ['timestamp exactly at the skew limit', { ...ok, timestamp: nowMs + limits.maxFutureSkewMs }],
    ['extra fields are ignored', { ...ok, unit: 'ms' }],
  ];
  for (const [name, item] of validItems) {
    test(`valid: ${name}`, () => {
      const r = validateItem(item, 0, limits);
      assert.equal(r.ok, true, JSON.stringify(r));
    });
  }

  const invalidItems: [string, unknown, ItemErrorCode, string][] = [
    ['null', null, 'invalid_item', 'metrics[7]'],
    ['a number', 5, 'invalid_item', 'metrics[7]'],
    ['a string', 'cpu', 'invalid_item', 'metrics[7]'],
    ['an array', [ok], 'invalid_item', 'metrics[7]'],
    ['nested arrays', [[1, 2], [3]], 'invalid_item', 'metrics[7]'],
    ['missing key', { value: 1, timestamp: ts }, 'invalid_key', 'metrics[7].key'],
    ['numeric key', { ...ok, key: 5 }, 'invalid_key', 'metrics[7].key'],
    ['empty key', { ...ok, key: '' }, 'invalid_key', 'metrics[7].key'],
    ['key starting with a digit', { ...ok, key: '9lives' }, 'invalid_key', 'metrics[7].key'],
    ['key with a space', { ...ok, key: 'cpu load' }, 'invalid_key', 'metrics[7].key'],
    ['key with a slash', { ...ok, key: 'cpu/load' }, 'invalid_key', 'metrics[7].key'],
    ['key with NUL', { ...ok, key: 'cpu\u0000load' }, 'invalid_key', 'metrics[7].key'],
    ['key with a newline at the end', { ...ok, key: 'cpu\n' }, 'invalid_key', 'metrics[7].key'],
    ['key of 201 characters', { ...ok, key: `k${'x'.repeat(200)}` }, 'invalid_key', 'metrics[7].key'],
    ['missing value', { key: 'a', timestamp: ts }, 'invalid_value', 'metrics[7].value'],
    ['null value', { ...ok, value: null }, 'invalid_value', 'metrics[7].value'],
    ['string value', { ...ok, value: '1.5' }, 'invalid_value', 'metrics[7].value'],
    ['"NaN" value', { ...ok, value: 'NaN' }, 'invalid_value', 'metrics[7].value'],
    ['NaN value', { ...ok, value: Number.NaN }, 'invalid_value', 'metrics[7].value'],
    ['Infinity value', { ...ok, value: Number.POSITIVE_INFINITY }, 'invalid_value', 'metrics[7].value'],
    ['-Infinity value', { ...ok, value: Number.NEGATIVE_INFINITY }, 'invalid_value', 'metrics[7].value'],
    ['boolean value', { ...ok, value: true }, 'invalid_value', 'metrics[7].value'],
    ['array value', { ...ok, value: [1] }, 'invalid_value', 'metrics[7].value'],
    ['boolean timestamp', { ...ok, timestamp: true }, 'invalid_timestamp', 'metrics[7].timestamp'],
    ['timestamp in nanoseconds', { ...ok, timestamp: ts * 1_000_000 }, 'invalid_timestamp', 'metrics[7].timestamp'],
    ['negative timestamp', { ...ok, timestamp: -ts }, 'invalid_timestamp', 'metrics[7].timestamp'],
    ['year 10000', { ...ok, timestamp: '10000-01-01T00:00:00Z' }, 'invalid_timestamp', 'metrics[7].timestamp'],
    ['31 April', { ...ok, timestamp: '2026-04-31T00:00:00Z' }, 'invalid_timestamp', 'metrics[7].timestamp'],
    ['1 ms past the skew limit', { ...ok, timestamp: nowMs + limits.maxFutureSkewMs + 1 }, 'timestamp_in_future', 'metrics[7].timestamp'],
    ['far future ISO', { ...ok, timestamp: '9999-12-31T23:59:59Z' }, 'timestamp_in_future', 'metrics[7].timestamp'],
    ['dimensions as an array', { ...ok, dimensions: [['a', 'b']] }, 'invalid_dimensions', 'metrics[7].dimensions'],
    ['dimensions as a string', { ...ok, dimensions: 'a=b' }, 'invalid_dimensions', 'metrics[7].dimensions'],
    [`${maxDimensions + 1} dimensions`, { ...ok, dimensions: dims(maxDimensions + 1) }, 'too_many_dimensions', 'metrics[7].dimensions'],
    ['dimension name with a space', { ...ok, dimensions: { 'a b': 'x' } }, 'invalid_dimension_name', 'metrics[7].dimensions.a b'],
    ['empty dimension name', { ...ok, dimensions: { '': 'x' } }, 'invalid_dimension_name', 'metrics[7].dimensions.'],
    ['dimension name with NUL', { ...ok, dimensions: { 'a\u0000': 'x' } }, 'invalid_dimension_name', 'metrics[7].dimensions.a\ufffd'],
    ['numeric dimension value', { ...ok, dimensions: { a: 1 } }, 'invalid_dimension_value', 'metrics[7].dimensions.a'],
    ['null dimension value', { ...ok, dimensions: { a: null } }, 'invalid_dimension_value', 'metrics[7].dimensions.a'],
    ['object dimension value', { ...ok, dimensions: { a: { b: 'c' } } }, 'invalid_dimension_value', 'metrics[7].dimensions.a'],
    [`dimension value of ${maxDimensionValueLength + 1} characters`, { ...ok, dimensions: { a: 'x'.repeat(maxDimensionValueLength + 1) } }, 'invalid_dimension_value', 'metrics[7].dimensions.a'],
    ['dimension value with NUL', { ...ok, dimensions: { a: 'x\u0000y' } }, 'invalid_dimension_value', 'metrics[7].dimensions.a'],
  ];
  test('a missing (or null) timestamp is the time received: limits.receivedMs, else limits.nowMs', () => {
    for (const item of [{ key: 'a', value: 1 }, { key: 'a', value: 1, timestamp: null }]) {
      const r = validateItem(item, 0, limits);
      assert.ok(r.ok, JSON.stringify(r));
      if (r.ok) assert.equal(r.point.timestampMs, limits.nowMs);
      const later = validateItem(item, 0, { ...limits, receivedMs: limits.nowMs - 5_000 });
      assert.ok(later.ok && later.point.timestampMs === limits.nowMs - 5_000, JSON.stringify(later));
    }
  });

  for (const [name, item, code, field] of invalidItems) {
    test(`invalid: ${name} → ${code}`, () => {
      const r = validateItem(item, 7, limits);
      assert.equal(r.ok, false, JSON.stringify(r));
      if (r.ok) return;
      assert.equal(r.error.index, 7);
      assert.equal(r.error.code, code);
      assert.equal(r.error.field, field);
      assert.ok(r.error.message.length > 0);
      // Messages and fields go to jsonb/text columns, which refuse U+0000.
      assert.ok(!r.error.message.includes('\u0000') && !r.error.field.includes('\u0000'), JSON.stringify(r.error));
    });
  }

  test('the first failing field is reported (key before value before timestamp)', () => {
    const r = validateItem({ key: '1', value: 'x', timestamp: 'y' }, 0, limits);
    assert.equal(!r.ok && r.error.code, 'invalid_key');
    const r2 = validateItem({ key: 'a', value: 'x', timestamp: 'y' }, 0, limits);
    assert.equal(!r2.ok && r2.error.code, 'invalid_value');
  });

  test('a long bad key is echoed cut short', () => {
    const r = validateItem({ ...ok, key: `1${'x'.repeat(10_000)}` }, 0, limits);
    assert.ok(!r.ok && r.error.message.length < 200, 'message stays short');
  });

  test('a __proto__ dimension (from JSON.parse) is an ordinary dimension name', () => {
    const item = JSON.parse(`{"key":"a","value":1,"timestamp":${ts},"dimensions":{"__proto__":"x"}}`);
    const r = validateItem(item, 0, limits);
    assert.ok(r.ok);
    if (r.ok) {
      assert.deepEqual(Object.keys(r.point.dimensions), ['__proto__']);
      assert.equal(Object.getPrototypeOf(r.point.dimensions), Object.prototype, 'the copy is not re-prototyped');
    }
  });

  test('the skew limit follows the limits given', () => {
    const item = { ...ok, timestamp: nowMs + 3_600_000 };
    assert.equal(validateItem(item, 0, limits).ok, false);
    assert.equal(validateItem(item, 0, { nowMs, maxFutureSkewMs: 3_600_000 }).ok, true);
    assert.equal(validateItem(item, 0, { nowMs: nowMs + 3_600_000, maxFutureSkewMs: 0 }).ok, true);
  });
});

test('epoch seconds are refused with a message that says so', () => {
  const r = parseTimestamp(1_767_261_600);
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /looks like epoch seconds.*1970-01-21.*milliseconds/);
});

describe('checkItem (validateItem without the result object)', () => {
  const limitsFar = { nowMs: 300_000_000_000_000, maxFutureSkewMs: 0 };
  test('a numeric timestamp takes the same time and the same refusal as through parseTimestamp', () => {
    const raws = [99_999_999_999, 99_999_999_999.4, 99_999_999_999.5, 100_000_000_000, 100_000_000_000.5, 1_767_261_600_000.49, 253_402_300_799_999, 253_402_300_799_999.4, 253_402_300_800_000, -0, -1, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_VALUE];
    for (const raw of raws) {
      const parsed = parseTimestamp(raw);
      const r = checkItem({ key: 'a', value: 1, timestamp: raw }, 0, limitsFar);
      if (parsed.ok) assert.equal(isItemError(r) ? r.message : r.timestampMs, parsed.ms, String(raw));
      else assert.deepEqual(r, { index: 0, code: 'invalid_timestamp', field: 'metrics[0].timestamp', message: parsed.message }, String(raw));
    }
  });

  test('gives the point or the error validateItem wraps', () => {
    const items: unknown[] = [
      { key: 'cpu', value: 1, timestamp: ts, dimensions: { host: 'h1' } },
      { key: 'cpu', value: 1 },
      { key: '1cpu', value: 1, timestamp: ts },
      { key: 'cpu', value: 1, timestamp: ts, dimensions: { '1host': 'h1' } },
      { key: 'cpu', value: 1, timestamp: ts, dimensions: { host: 1 } },
      { key: 'cpu', value: 1, timestamp: nowMs + 3_600_000 },
      'x',
    ];
    items.forEach((item, i) => {
      const r = checkItem(item, i, limits, `line ${i + 1}`);
      assert.deepEqual(validateItem(item, i, limits, `line ${i + 1}`), isItemError(r) ? { ok: false, error: r } : { ok: true, point: r });
    });
  });

  test('keys and dimension names are checked every time, however many valid ones came before', () => {
    for (let i = 0; i < 5000; i++) assert.ok(!isItemError(checkItem({ key: `k${i}`, value: 1, timestamp: ts, dimensions: { [`n${i}`]: 'v' } }, 0, limits)));
    for (const key of ['1k', 'k k', `k${'x'.repeat(200)}`, '']) assert.equal((checkItem({ key, value: 1, timestamp: ts }, 0, limits) as { code?: string }).code, 'invalid_key', key);
    assert.equal((checkItem({ key: 'k1', value: 1, timestamp: ts, dimensions: { 'n 1': 'v' } }, 0, limits) as { code?: string }).code, 'invalid_dimension_name');
  });
});
