import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatValue } from './format.js';
import { matrixJson, type MatrixSeries } from './matrix-json.js';

test('matrixJson writes every value as formatValue does, and the same JSON as JSON.stringify', () => {
  let seed = 99;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const n = 20_000;
  const steps = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_500);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const decimals = Math.floor(random() * 9);
    const magnitude = 10 ** Math.floor(random() * 18 - 6);
    const sign = random() < 0.5 ? -1 : 1;
    const kind = i % 4;
    values[i] = kind === 0 ? sign * (Math.round(random() * magnitude * 10 ** decimals) / 10 ** decimals) : kind === 1 ? sign * random() * magnitude : kind === 2 ? Math.round(random() * 1e6) : (values[i - 1] ?? 0);
  }
  values.set([NaN, Infinity, -Infinity, -0, 0, 2 ** 53, -(2 ** 60), 1e21, 1e-7, 5e-324], 100);
  const present = new Uint8Array(n).map((_, i) => (i % 7 === 3 ? 0 : 1));
  const series: MatrixSeries[] = [
    { labels: { __name__: 'a', q: 'quote " and \\ and é' }, values, present },
    { labels: {}, values: values.slice().reverse(), present: new Uint8Array(n).fill(1) },
  ];
  const want = JSON.stringify({
    resultType: 'matrix',
    result: series.map((s) => ({ metric: s.labels, values: [...steps].flatMap((t, i) => (s.present[i] ? [[t / 1000, formatValue(s.values[i]!)]] : [])) })),
  });
  assert.equal(matrixJson(steps, series).toString('utf8'), want);
  assert.equal(matrixJson(steps, []).toString('utf8'), '{"resultType":"matrix","result":[]}');
});
