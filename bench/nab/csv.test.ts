import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPythonFloat, formatResultsCsv, parseNabCsv } from './csv.js';

test('floats are written as Python repr writes them', () => {
  const cases: [number, string][] = [
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [0.5, '0.5'],
    [0.0301029996659, '0.0301029996659'],
    [10844, '10844.0'],
    [-2.5, '-2.5'],
    [123.456, '123.456'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.2345e100, '1.2345e+100'],
    [0.1 + 0.2, '0.30000000000000004'],
    [Number.NaN, 'nan'],
    [Number.POSITIVE_INFINITY, 'inf'],
  ];
  for (const [x, text] of cases) assert.equal(formatPythonFloat(x), text, String(x));
});

test('a NAB CSV parses by header name, with CRLF, blank lines and extra columns', () => {
  const text = 'timestamp,value,anomaly_score,label\r\n2014-01-01 00:00:00,1.5,0.25,0\r\n\r\n2014-01-01 00:05:00,-3,1.0,1\r\n';
  const r = parseNabCsv(text, ['anomaly_score', 'value'], 't.csv');
  assert.deepEqual(r.timestamps, ['2014-01-01 00:00:00', '2014-01-01 00:05:00']);
  assert.deepEqual(r.columns.map((c) => [...c]), [[0.25, 1], [1.5, -3]]);
});

test('a missing column or a cell that is not a number is refused with its line', () => {
  assert.throws(() => parseNabCsv('timestamp,value\n', ['anomaly_score'], 't.csv'), /t.csv: no "anomaly_score" column/);
  assert.throws(() => parseNabCsv('timestamp,value\nx,1\ny,abc\n', ['value'], 't.csv'), /t.csv:3: value "abc" is not a number/);
  assert.throws(() => parseNabCsv('timestamp,value\nx,\n', ['value'], 't.csv'), /t.csv:2: value "" is not a number/);
  assert.throws(() => parseNabCsv('timestamp,value\nx\n', ['value'], 't.csv'), /t.csv:2: value "" is not a number/);
});

test('results files have NAB runner columns; integral values stay integers as pandas keeps them', () => {
  const base = { timestamps: ['2014-01-01 00:00:00', '2014-01-01 00:05:00'], scores: Float64Array.of(0, 0.5), labels: Uint8Array.of(0, 1) };
  assert.equal(
    formatResultsCsv({ ...base, values: Float64Array.of(10844, 8127) }),
    'timestamp,value,anomaly_score,label\n2014-01-01 00:00:00,10844,0.0,0\n2014-01-01 00:05:00,8127,0.5,1\n',
  );
  assert.equal(
    formatResultsCsv({ ...base, values: Float64Array.of(1, 2.25) }),
    'timestamp,value,anomaly_score,label\n2014-01-01 00:00:00,1.0,0.0,0\n2014-01-01 00:05:00,2.25,0.5,1\n',
  );
  assert.throws(() => formatResultsCsv({ ...base, values: Float64Array.of(1) }), /differ in length/);
});
