// The engine over an in-memory source, against hand-computed answers (the arithmetic is in the
// comments). Samples every minute from 0 to 10 minutes (epoch ms 0…600,000).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantQuery, rangeQuery, rangeQueryJson } from './engine.js';
import { MemorySource, rawSeries } from './memory-source.js';
import { PromQLError, type QueryLimits, type QueryResult, type RawSeries } from './types.js';

const m = 60_000;
const minutes = (values: number[]): [number, number][] => values.map((v, i) => [i * m, v]);
const range11 = Array.from({ length: 11 }, (_, i) => i);

const series: RawSeries[] = [
  rawSeries({ __name__: 'cpu.util', host: 'a', dc: 'eu' }, minutes(range11)), // value = minute
  rawSeries({ __name__: 'cpu.util', host: 'b', dc: 'us' }, minutes(range11.map((i) => 2 * i))),
  rawSeries({ __name__: 'req_total', path: '/x' }, minutes([0, 10, 20, 30, 40, 5, 15, 25, 35, 45, 55])), // reset at 5m
  rawSeries({ __name__: 'req2_total', path: '/x' }, minutes(range11.map(() => 1))),
  rawSeries({ __name__: 'late' }, [[0, 7]]),
  rawSeries({ __name__: 'multi', text: 'a\nb' }, [[0, 1]]),
  rawSeries({ __name__: 'special', unit: 'é' }, minutes([NaN, Infinity, -Infinity, -0, 1e21, 1.5e-7, 0.1, -2.5, 123456.789, 1 / 3, 5e-324])),
  rawSeries({ __name__: 'cpu_limit', host: 'a', team: 't1' }, minutes(range11.map(() => 20))),
  rawSeries({ __name__: 'cpu_limit', host: 'b', team: 't2' }, minutes(range11.map(() => 40))),
  rawSeries({ __name__: 'dup', dc: 'eu', n: '1' }, minutes(range11.map(() => 1))),
  rawSeries({ __name__: 'dup', dc: 'eu', n: '2' }, minutes(range11.map(() => 2))),
  rawSeries({ __name__: 'temp', room: 'k' }, minutes([3, -1.25, 4.5, 2, -7.75, 10, 0.5, 2.5, -2.5, 1, 6])),
  ...(
    [
      ['0.1', 2],
      ['0.5', 6],
      ['1', 8],
      ['+Inf', 10],
    ] as const
  ).map(([le, count]) => rawSeries({ __name__: 'lat_bucket', job: 'j1', le }, minutes(range11.map(() => count)))),
  rawSeries({ __name__: 'lat_bucket', job: 'j2', le: '1' }, minutes(range11.map(() => 0))),
  rawSeries({ __name__: 'lat_bucket', job: 'j2', le: '+Inf' }, minutes(range11.map(() => 0))),
];

/** `name{a="1", b="2"}` → value, for comparing vectors regardless of order. */
function flat(r: QueryResult): Record<string, string> | string {
  if (r.resultType === 'scalar' || r.resultType === 'string') return r.result[1];
  assert.equal(r.resultType, 'vector');
  const out: Record<string, string> = {};
  for (const s of r.result) {
    const { __name__: name, ...rest } = s.metric;
    const key = `${name ?? ''}{${Object.keys(rest)
      .sort()
      .map((k) => `${k}="${rest[k]}"`)
      .join(', ')}}`;
    assert.ok(!(key in out), `duplicate ${key}`);
    out[key] = s.value[1];
  }
  return out;
}

type Want = Record<string, string | number> | string;

async function check(query: string, atMs: number, want: Want): Promise<void> {
  const got = flat(await instantQuery(new MemorySource(series), query, atMs));
  if (typeof want === 'string' || typeof got === 'string') {
    assert.deepEqual(got, want, query);
    return;
  }
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${query}: ${JSON.stringify(got)}`);
  for (const [k, w] of Object.entries(want)) {
    // Numbers: computed values whose last digit depends on summation order; strings: exact.
    if (typeof w === 'number') assert.ok(Math.abs(Number(got[k]) - w) < 1e-12, `${query} ${k}: ${got[k]} ≠ ${w}`);
    else assert.equal(got[k], w, `${query} ${k}`);
  }
}

async function refused(run: () => Promise<unknown>, type: 'bad_data' | 'execution', message: string): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof PromQLError, String(e));
    assert.equal(e.type, type, e.message);
    assert.ok(e.message.includes(message), e.message);
    return true;
  });
}

const A = 'cpu.util{dc="eu", host="a"}';
const B = 'cpu.util{dc="us", host="b"}';
const t5 = 5 * m;
const t5h = 5 * m + 30_000;

const table: [query: string, atMs: number, want: Want][] = [
  // Selectors and each matcher; quoted (UTF-8) names.
  ['{"cpu.util"}', t5, { [A]: '5', [B]: '10' }],
  ['{"cpu.util", host!="a"}', t5, { [B]: '10' }],
  [String.raw`{__name__=~"cpu\\..+", dc=~"e.*"}`, t5, { [A]: '5' }],
  ['{"cpu.util", dc!~"e.*"}', t5, { [B]: '10' }],
  ['{__name__="cpu.util", host="a"}', t5, { [A]: '5' }],
  ['cpu_util', t5, {}],
  ['cpu_limit{team="t2"}', t5, { 'cpu_limit{host="b", team="t2"}': '40' }],
  ['multi{text=~"a.b"}', 60_000, { 'multi{text="a\nb"}': '1' }], // "." matches a newline, as in Prometheus 3
  ['multi{text!~"a.*"}', 60_000, {}],
  // Lookback: the newest sample in (t − 5m, t]; the one exactly 5 minutes old is not seen.
  ['late', 0, { 'late{}': '7' }],
  ['late', t5 - 1, { 'late{}': '7' }],
  ['late', t5, {}],
  ['{"cpu.util", host="a"}', 30_000, { [A]: '0' }],
  // Offsets move the evaluation time back (or forward when negative).
  ['{"cpu.util", host="a"} offset 2m', t5, { [A]: '3' }],
  ['{"cpu.util", host="a"} offset -2m', t5, { [A]: '7' }],
  ['{"cpu.util", host="a"} offset 1h', t5, {}],
  // rate over (30s, 5m30s]: 10 20 30 40 5 → 5 − 10 + 40 (reset) = 35 over 240 s of samples,
  // extrapolated 30 s to each edge (both under 1.1 × the 60 s spacing): 35 × 300/240 = 43.75.
  ['rate(req_total[5m])', t5h, { '{path="/x"}': '0.14583333333333334' }], // 43.75 / 300
  ['increase(req_total[5m])', t5h, { '{path="/x"}': '43.75' }],
  ['irate(req_total[5m])', t5h, { '{path="/x"}': '0.08333333333333333' }], // reset: 5 / 60 s
  ['irate({"cpu.util"}[5m])', t5h, { '{dc="eu", host="a"}': '0.016666666666666666', '{dc="us", host="b"}': '0.03333333333333333' }],
  ['rate(late[5m])', 60_000, {}], // one sample: no rate
  // delta over (2m30s, 5m30s]: 2, −7.75, 10 → 8 over 120 s, extrapolated to 180 s: 12.
  ['delta(temp[3m])', t5h, { '{room="k"}': '12' }],
  ['idelta(temp[3m])', t5h, { '{room="k"}': '17.75' }], // 10 − (−7.75)
  // deriv: least squares over (30s, 5m30s]: x = 0,60,…,240 s, y = 1…5 → 600 / 36,000.
  ['deriv({"cpu.util"}[5m])', t5h, { '{dc="eu", host="a"}': '0.016666666666666666', '{dc="us", host="b"}': '0.03333333333333333' }],
  ['deriv(cpu_limit[5m])', t5h, { '{host="a", team="t1"}': '0', '{host="b", team="t2"}': '0' }],
  // *_over_time over (2m30s, 5m30s]: 2, −7.75, 10.
  ['avg_over_time(temp[3m])', t5h, { '{room="k"}': '1.4166666666666667' }], // 4.25 / 3
  ['min_over_time(temp[3m])', t5h, { '{room="k"}': '-7.75' }],
  ['max_over_time(temp[3m])', t5h, { '{room="k"}': '10' }],
  ['sum_over_time(temp[3m])', t5h, { '{room="k"}': '4.25' }],
  ['count_over_time(temp[3m])', t5h, { '{room="k"}': '3' }],
  ['last_over_time(temp[3m])', t5h, { 'temp{room="k"}': '10' }], // keeps the name
  ['stddev_over_time(temp[3m])', t5h, { '{room="k"}': 7.258137195972225 }], // √(158.0416…/3)
  ['quantile_over_time(0.5, temp[3m])', t5h, { '{room="k"}': '2' }],
  ['quantile_over_time(0.75, temp[3m])', t5h, { '{room="k"}': '6' }], // rank 1.5: (2 + 10) / 2
  ['count_over_time(late[1m] offset 4m30s)', t5h, {}], // (0s, 60s]: the sample at 0 lies on the open edge
  ['count_over_time(late[2m] offset 4m30s)', t5h, { '{}': '1' }], // (−1m, 1m]
  // Aggregations at 5m: a = 5, b = 10.
  ['sum({"cpu.util"})', t5, { '{}': '15' }],
  ['sum by (dc) ({"cpu.util"})', t5, { '{dc="eu"}': '5', '{dc="us"}': '10' }],
  ['sum without (host) ({"cpu.util"})', t5, { '{dc="eu"}': '5', '{dc="us"}': '10' }],
  ['avg({"cpu.util"})', t5, { '{}': '7.5' }],
  ['avg without (host, dc) ({"cpu.util"})', t5, { '{}': '7.5' }],
  ['min({"cpu.util"})', t5, { '{}': '5' }],
  ['max by (host) ({"cpu.util"})', t5, { '{host="a"}': '5', '{host="b"}': '10' }],
  ['count({"cpu.util"})', t5, { '{}': '2' }],
  ['count by (nothing) ({"cpu.util"})', t5, { '{}': '2' }],
  ['sum by (__name__) ({"cpu.util"})', t5, { 'cpu.util{}': '15' }],
  ['topk(1, {"cpu.util"})', t5, { [B]: '10' }],
  ['bottomk(1, {"cpu.util"})', t5, { [A]: '5' }],
  ['topk by (dc) (1, {"cpu.util"})', t5, { [A]: '5', [B]: '10' }],
  ['topk(5, {"cpu.util"})', t5, { [A]: '5', [B]: '10' }],
  ['topk(0, {"cpu.util"})', t5, {}],
  ['topk(1.9, {"cpu.util"})', t5, { [B]: '10' }],
  // Arithmetic with scalars drops the name; precedence and right-associative ^.
  ['{"cpu.util"} * 2', t5, { '{dc="eu", host="a"}': '10', '{dc="us", host="b"}': '20' }],
  ['2 - {"cpu.util"}', t5, { '{dc="eu", host="a"}': '-3', '{dc="us", host="b"}': '-8' }],
  ['-{"cpu.util"}', t5, { '{dc="eu", host="a"}': '-5', '{dc="us", host="b"}': '-10' }],
  ['{"cpu.util"} % 3 ^ 2', t5, { '{dc="eu", host="a"}': '5', '{dc="us", host="b"}': '1' }],
  ['2 ^ 3 ^ 2', t5, '512'],
  ['1 + 2 * 3', t5, '7'],
  ['(1 + 2) * 3', t5, '9'],
  ['7 % 4', t5, '3'],
  ['-7 % 4', t5, '-3'],
  ['1 / 0', t5, '+Inf'],
  ['-1 / 0', t5, '-Inf'],
  ['0 / 0', t5, 'NaN'],
  ['1 ^ NaN', t5, '1'], // Go's math.Pow
  ['"a string"', t5, 'a string'],
  // Comparisons filter (keeping the name and the vector's value) or, with bool, give 0/1.
  ['{"cpu.util"} > 6', t5, { [B]: '10' }],
  ['6 < {"cpu.util"}', t5, { [B]: '10' }],
  ['{"cpu.util"} > bool 6', t5, { '{dc="eu", host="a"}': '0', '{dc="us", host="b"}': '1' }],
  ['{"cpu.util"} == 5', t5, { [A]: '5' }],
  ['{"cpu.util"} != 5', t5, { [B]: '10' }],
  ['{"cpu.util"} >= 10', t5, { [B]: '10' }],
  ['{"cpu.util"} <= 5', t5, { [A]: '5' }],
  ['1 < bool 2', t5, '1'],
  ['2 == bool 3', t5, '0'],
  // One-to-one vector matching.
  ['{"cpu.util"} / on(host) cpu_limit', t5, { '{host="a"}': '0.25', '{host="b"}': '0.25' }],
  ['{"cpu.util"} / ignoring(dc, team) cpu_limit', t5, { '{host="a"}': '0.25', '{host="b"}': '0.25' }],
  ['{"cpu.util"} / ignoring(dc) cpu_limit', t5, {}], // team still differs
  ['{"cpu.util"} < on(host) cpu_limit', t5, { '{host="a"}': '5', '{host="b"}': '10' }],
  ['{"cpu.util"} < ignoring(dc, team) cpu_limit', t5, { 'cpu.util{host="a"}': '5', 'cpu.util{host="b"}': '10' }],
  ['{"cpu.util"} > on(host) cpu_limit', t5, {}],
  ['{"cpu.util"} < bool on(host) cpu_limit{host="a"}', t5, { '{host="a"}': '1' }],
  ['{"cpu.util"} - {"cpu.util"} offset 1m', t5, { '{dc="eu", host="a"}': '1', '{dc="us", host="b"}': '2' }],
  // Set operators.
  ['{"cpu.util"} and on(host) cpu_limit{host="a"}', t5, { [A]: '5' }],
  ['{"cpu.util"} unless on(host) cpu_limit{host="a"}', t5, { [B]: '10' }],
  ['cpu_limit{host="a"} or {"cpu.util"}', t5, { 'cpu_limit{host="a", team="t1"}': '20', [A]: '5', [B]: '10' }],
  ['cpu_limit{host="a"} or on(host) {"cpu.util"}', t5, { 'cpu_limit{host="a", team="t1"}': '20', [B]: '10' }],
  // Functions.
  ['abs(temp)', 4 * m, { '{room="k"}': '7.75' }],
  ['clamp(temp, -1, 1)', 4 * m, { '{room="k"}': '-1' }],
  ['clamp(temp, 2, 1)', 4 * m, {}], // max below min: nothing
  ['clamp_min(temp, 0)', 4 * m, { '{room="k"}': '0' }],
  ['clamp_max(temp, 5)', t5, { '{room="k"}': '5' }],
  ['round(temp)', 1 * m, { '{room="k"}': '-1' }], // −1.25
  ['round(temp)', 4 * m, { '{room="k"}': '-8' }], // −7.75
  ['round(temp)', 6 * m, { '{room="k"}': '1' }], // 0.5: ties round up
  ['round(temp)', 8 * m, { '{room="k"}': '-2' }], // −2.5: up is −2
  ['round(temp, 0.5)', 1 * m, { '{room="k"}': '-1' }],
  ['round(temp, 5)', 7 * m, { '{room="k"}': '5' }], // 2.5 → 5
  ['scalar({"cpu.util", host="a"})', t5, '5'],
  ['scalar({"cpu.util"})', t5, 'NaN'], // more than one
  ['scalar(nothing_here)', t5, 'NaN'],
  ['vector(3)', t5, { '{}': '3' }],
  ['time()', t5, '300'],
  ['vector(time() * 2)', t5, { '{}': '600' }],
  ['{"cpu.util"} - scalar({"cpu.util", host="a"})', t5, { '{dc="eu", host="a"}': '0', '{dc="us", host="b"}': '5' }],
  // histogram_quantile: j1 buckets 0.1:2 0.5:6 1:8 +Inf:10.
  ['histogram_quantile(0.5, lat_bucket{job="j1"})', t5, { '{job="j1"}': '0.4' }], // rank 5 in (0.1, 0.5]: 0.1 + 0.4 × 3/4
  ['histogram_quantile(0.1, lat_bucket{job="j1"})', t5, { '{job="j1"}': '0.05' }], // rank 1 in (0, 0.1]
  ['histogram_quantile(0.95, lat_bucket{job="j1"})', t5, { '{job="j1"}': '1' }], // in the +Inf bucket: the last finite bound
  ['histogram_quantile(0.5, lat_bucket)', t5, { '{job="j1"}': '0.4', '{job="j2"}': 'NaN' }], // j2 has no observations
  ['histogram_quantile(2, lat_bucket{job="j1"})', t5, { '{job="j1"}': '+Inf' }],
  ['histogram_quantile(0.5, sum by (le) (lat_bucket))', t5, { '{}': '0.4' }],
  ['histogram_quantile(0.5, {"cpu.util"})', t5, {}], // no le label
];

describe('instant queries: hand-computed answers', () => {
  for (const [query, at, want] of table) test(`${query} @ ${at / 1000}s`, () => check(query, at, want));
});

describe('range queries', () => {
  const src = () => new MemorySource(series);

  test('steps are start, start + step, … ≤ end', async () => {
    const r = await rangeQuery(src(), '{"cpu.util", host="a"}', 30_000, 5 * m, 2 * m);
    assert.deepEqual(r, {
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'cpu.util', host: 'a', dc: 'eu' },
          values: [
            [30, '0'],
            [150, '2'],
            [270, '4'],
          ],
        },
      ],
    });
  });

  test('a scalar becomes one series without labels', async () => {
    assert.deepEqual(await rangeQuery(src(), '1 + 1', 0, 2 * m, m), {
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [0, '2'],
            [60, '2'],
            [120, '2'],
          ],
        },
      ],
    });
  });

  test('series end where the lookback no longer reaches a sample', async () => {
    const r = await rangeQuery(src(), 'late', 0, 10 * m, m);
    assert.equal(r.resultType, 'matrix');
    assert.deepEqual(r.result[0]!.values, [
      [0, '7'],
      [60, '7'],
      [120, '7'],
      [180, '7'],
      [240, '7'],
    ]);
  });

  test('series sorted by labels as Prometheus sorts them', async () => {
    const r = await rangeQuery(src(), 'cpu_limit or {"cpu.util"}', 0, m, m);
    assert.equal(r.resultType, 'matrix');
    assert.deepEqual(
      r.result.map((s) => `${s.metric.__name__}/${s.metric.host}`),
      ['cpu.util/a', 'cpu.util/b', 'cpu_limit/a', 'cpu_limit/b'], // "." sorts before "_"
    );
  });

  test('every step equals the instant query at that time', async () => {
    const queries = [
      'rate(req_total[3m])',
      'irate(req_total[2m])',
      'delta(temp[4m] offset 1m)',
      'sum by (dc) (rate({"cpu.util"}[2m]))',
      'topk(1, temp or {"cpu.util"})',
      '{"cpu.util"} / on(host) cpu_limit > bool 0.2',
      'histogram_quantile(0.9, lat_bucket)',
      'avg_over_time(temp[150s])',
      'late offset -1m',
      'time() - 60',
    ];
    for (const q of queries) {
      const r = await rangeQuery(src(), q, 0, 10 * m, 30_000);
      assert.equal(r.resultType, 'matrix');
      const byStep = new Map<number, Record<string, string>>();
      for (const s of r.result) {
        for (const [t, v] of s.values) {
          const row = byStep.get(t) ?? {};
          row[JSON.stringify(s.metric)] = v;
          byStep.set(t, row);
        }
      }
      assert.ok(byStep.size > 0, q);
      for (let t = 0; t <= 10 * m; t += 30_000) {
        const one = await instantQuery(src(), q, t);
        const want: Record<string, string> = {};
        if (one.resultType === 'scalar') want['{}'] = one.result[1];
        else if (one.resultType === 'vector') for (const s of one.result) want[JSON.stringify(s.metric)] = s.value[1];
        assert.deepEqual(byStep.get(t / 1000) ?? {}, want, `${q} at ${t / 1000}s`);
      }
    }
  });

  test('rangeQueryJson writes exactly what JSON.stringify makes of rangeQuery', async () => {
    const queries = ['special', 'special * 3', '-special', 'special offset 30s', '{"cpu.util"}', 'rate(req_total[3m])', '1', 'vector(time())', 'temp / 3', 'nothing'];
    for (const q of queries) {
      for (const [start, end, step] of [
        [0, 10 * m, m],
        [15_500, 10 * m, 20_250],
      ] as const) {
        const objects = JSON.stringify(await rangeQuery(src(), q, start, end, step));
        const bytes = await rangeQueryJson(src(), q, start, end, step);
        assert.equal(bytes.toString('utf8'), objects, q);
      }
    }
    await refused(() => rangeQueryJson(src(), 'late[5m]', 0, 60_000, 1000), 'bad_data', 'invalid expression type "range vector"');
  });

  test('at most 11,000 points per series; bad steps and ranges refused', async () => {
    const limit = 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)';
    await refused(() => rangeQuery(src(), '1', 0, 11_001_000, 1000), 'bad_data', limit);
    const ok = await rangeQuery(src(), '1', 0, 11_000_000, 1000); // (end − start) / step = 11,000, as Prometheus counts
    assert.equal(ok.resultType === 'matrix' && ok.result[0]!.values.length, 11_001);
    await refused(() => rangeQuery(src(), '1', 0, 100_000, 1000, { maxPointsPerSeries: 50 }), 'bad_data', limit);
    await refused(() => rangeQuery(src(), '1', 0, 60_000, 0), 'bad_data', 'zero or negative query resolution step');
    await refused(() => rangeQuery(src(), '1', 60_000, 0, 1000), 'bad_data', 'end timestamp must not be before start time');
    await refused(() => rangeQuery(src(), 'late[5m]', 0, 60_000, 1000), 'bad_data', 'invalid expression type "range vector" for range query, must be Scalar or instant Vector');
    await refused(() => rangeQuery(src(), '"s"', 0, 60_000, 1000), 'bad_data', 'invalid expression type "string" for range query');
  });
});

describe('instant query result types and execution errors', () => {
  const src = () => new MemorySource(series);

  test('a range selector alone returns its raw samples as a matrix', async () => {
    assert.deepEqual(await instantQuery(src(), '{"cpu.util", host="a"}[3m]', t5), {
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'cpu.util', host: 'a', dc: 'eu' },
          values: [
            [180, '3'],
            [240, '4'],
            [300, '5'],
          ],
        },
      ],
    });
    const off = await instantQuery(src(), '{"cpu.util", host="a"}[3m] offset 1m', t5);
    assert.deepEqual(off.resultType === 'matrix' && off.result[0]!.values, [
      [120, '2'],
      [180, '3'],
      [240, '4'],
    ]);
  });

  test('scalar, string and vector results carry the evaluation time in seconds', async () => {
    assert.deepEqual(await instantQuery(src(), '1.5', 90_500), { resultType: 'scalar', result: [90.5, '1.5'] });
    assert.deepEqual(await instantQuery(src(), '"hi"', 90_500), { resultType: 'string', result: [90.5, 'hi'] });
    assert.deepEqual(await instantQuery(src(), 'late', 1000), { resultType: 'vector', result: [{ metric: { __name__: 'late' }, value: [1, '7'] }] });
  });

  test('two series with one label set once the name is dropped: execution error', async () => {
    await refused(() => instantQuery(src(), 'rate({__name__=~"req_total|req2_total"}[5m])', t5), 'execution', 'vector cannot contain metrics with the same labelset');
    await refused(() => instantQuery(src(), '{__name__=~"req_total|req2_total"} * 1', t5), 'execution', 'vector cannot contain metrics with the same labelset');
    // The same selector without the function keeps the names apart.
    await check('{__name__=~"req_total|req2_total"}', t5, { 'req_total{path="/x"}': '5', 'req2_total{path="/x"}': '1' });
  });

  test('many-to-many and many-to-one matches are refused as Prometheus refuses them', async () => {
    await refused(() => instantQuery(src(), '{"cpu.util"} + on(dc) dup', t5), 'execution', 'many-to-many matching not allowed: matching labels must be unique on one side');
    await refused(() => instantQuery(src(), '{"cpu.util"} + on() vector(1)', t5), 'execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
  });

  test('maxSamples bounds the samples a query may hold', async () => {
    const limits: Partial<QueryLimits> = { maxSamples: 5 };
    await refused(() => instantQuery(src(), '{"cpu.util"}', t5, limits), 'execution', 'query processing would load too many samples into memory in query execution');
    await refused(() => rangeQuery(src(), 'vector(1)', 0, 10 * m, m, { maxSamples: 10 }), 'execution', 'too many samples');
    assert.equal((await rangeQuery(src(), 'vector(1)', 0, 10 * m, m, { maxSamples: 11 })).resultType, 'matrix');
  });

  test('a lookback of another length is honoured', async () => {
    await check('late', 2 * m, { 'late{}': '7' });
    const r = await instantQuery(src(), 'late', 2 * m, { lookbackMs: 2 * m });
    assert.deepEqual(r, { resultType: 'vector', result: [] });
  });
});

describe('the fetch plan', () => {
  test('one select per distinct selector, covering every step, offset and range', async () => {
    const source = new MemorySource(series);
    await rangeQuery(source, '{"cpu.util"} - {"cpu.util"} offset 1m + on(host) rate(cpu_limit[10m] offset -2m)', 10 * m, 20 * m, m);
    const reqs = source.requests.map((r) => ({ first: r.matchers[0]!.value, startMs: r.startMs, endMs: r.endMs })).sort((a, b) => (a.first < b.first ? -1 : 1));
    assert.deepEqual(reqs, [
      { first: 'cpu.util', startMs: 4 * m, endMs: 20 * m }, // (10m − 1m − 5m lookback, 20m]
      { first: 'cpu_limit', startMs: 2 * m, endMs: 22 * m }, // (10m + 2m − 10m, 20m + 2m]
    ]);
  });

  test('selectors are fetched in parallel', async () => {
    let inFlight = 0;
    let most = 0;
    const inner = new MemorySource(series);
    const slow = {
      async select(req: Parameters<MemorySource['select']>[0]) {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return inner.select(req);
      },
    };
    await instantQuery(slow, 'sum(temp) + sum(cpu_limit) + sum(late)', t5);
    assert.equal(most, 3);
  });
});
