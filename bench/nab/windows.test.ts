import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNabTimestamp } from './timestamp.js';
import { parseWindowsJson, rowLabels, windowsToRows } from './windows.js';

test('NAB timestamps read as UTC wall time, with or without microseconds', () => {
  const cases: [string, number][] = [
    ['2014-04-10 16:15:00', Date.UTC(2014, 3, 10, 16, 15, 0)],
    ['2014-04-10 16:15:00.000000', Date.UTC(2014, 3, 10, 16, 15, 0)],
    ['2014-04-10T16:15:00.5', Date.UTC(2014, 3, 10, 16, 15, 0, 500)],
    ['2016-02-29 23:59:59', Date.UTC(2016, 1, 29, 23, 59, 59)],
  ];
  for (const [text, ms] of cases) assert.equal(parseNabTimestamp(text), ms, text);
  for (const bad of ['2014-04-10', '2014-04-10 16:15', '10/04/2014 16:15:00', '2014-02-30 00:00:00', '2014-04-10 24:00:00', '2014-04-10 16:60:00', ' 2014-04-10 16:15:00']) {
    assert.throws(() => parseNabTimestamp(bad), /NAB timestamp/, bad);
  }
});

const times = Float64Array.from(['2014-01-01 00:00:00', '2014-01-01 00:05:00', '2014-01-01 00:10:00', '2014-01-01 00:15:00', '2014-01-01 00:20:00'], parseNabTimestamp);

test('windows map to inclusive row indices by exact timestamp', () => {
  const w = windowsToRows(times, [['2014-01-01 00:05:00.000000', '2014-01-01 00:05:00.000000'], ['2014-01-01 00:15:00.000000', '2014-01-01 00:20:00.000000']], 'f');
  assert.deepEqual(w.map(({ start, end }) => [start, end]), [[1, 1], [3, 4]]);
  assert.equal(w[1]!.startTime, '2014-01-01 00:15:00.000000');
  assert.deepEqual([...rowLabels(5, w)], [0, 1, 0, 1, 1]);
});

test('windows that match no row, run backwards or overlap are refused', () => {
  assert.throws(() => windowsToRows(times, [['2014-01-01 00:06:00', '2014-01-01 00:10:00']], 'f'), /f: window limit 2014-01-01 00:06:00 matches no row/);
  assert.throws(() => windowsToRows(times, [['2014-01-01 00:10:00', '2014-01-01 00:05:00']], 'f'), /ends before it starts/);
  assert.throws(
    () => windowsToRows(times, [['2014-01-01 00:05:00', '2014-01-01 00:15:00'], ['2014-01-01 00:15:00', '2014-01-01 00:20:00']], 'f'),
    /overlaps/,
  );
});

test('combined_windows.json shape is checked', () => {
  assert.deepEqual([...parseWindowsJson({ 'a/b.csv': [['x', 'y']], 'a/c.csv': [] })], [['a/b.csv', [['x', 'y']]], ['a/c.csv', []]]);
  assert.throws(() => parseWindowsJson([]), /object keyed by data file/);
  assert.throws(() => parseWindowsJson({ 'a/b.csv': {} }), /a list of windows/);
  assert.throws(() => parseWindowsJson({ 'a/b.csv': [['x']] }), /window 0 must be \[start, end\]/);
});
