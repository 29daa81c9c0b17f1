// Real Prometheus confirms the engine's answers. Instant queries: for each case the engine evaluates
// expressions over series written in promtool's notation, the answers become the expected samples of
// a `promtool test rules` file, and Debian's promtool (Prometheus' own engine) must pass it. Range
// queries: the same series backfilled into a Prometheus server, whose /api/v1/query_range must give
// the engine's matrices. Eval times sit between samples (hh:mm:30) so window edges hold no sample:
// Prometheus 2.42 closes the windows' left ends where Prometheus 3 (and this engine) opens them, and
// that is the one place the two may differ.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { instantQuery, rangeQuery } from '../src/promql/engine.js';
import { durationMs } from '../src/promql/duration.js';
import { MemorySource, rawSeries } from '../src/promql/memory-source.js';
import type { RawSeries } from '../src/promql/types.js';
import { startDaemon, type Daemon } from './helpers/daemon.js';

const promtool = '/usr/bin/promtool';
const prometheus = '/usr/bin/prometheus';
const dir = mkdtempSync(join(tmpdir(), 'promql-promtool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  name: string;
  interval?: string;
  series: [string, string][];
  exprs: [expr: string, evalTime: string][];
  /** Expressions expected to return nothing (promtool checks that too), at 10m30s unless given. */
  empty?: (string | [expr: string, evalTime: string])[];
}

const counters: [string, string][] = [
  ['http_requests_total{job="api", instance="a"}', '0+10x30'],
  ['http_requests_total{job="api", instance="b"}', '5+3x10 0+4x19'], // a counter reset at 11m
  ['http_requests_total{job="web", instance="c"}', '100+7x30'],
];
const gauges: [string, string][] = [
  ['temperature{room="kitchen"}', '20 21 23 22 25 24 26 28 27 29 30 29 31 30 33 32 34 33 35 36'],
  ['temperature{room="office"}', '18 18.5 19 17.5 18 19.5 20 21 20.5 19 18 17 16.5 17 18 19 20 21 22 21'],
];

const cases: Case[] = [
  {
    name: 'selectors, matchers and offset',
    series: [...counters, ...gauges],
    exprs: [
      ['http_requests_total', '10m30s'],
      ['http_requests_total{job="api"}', '10m30s'],
      ['http_requests_total{job!="api"}', '10m30s'],
      ['http_requests_total{instance=~"a|c"}', '10m30s'],
      ['http_requests_total{instance!~"a|c"}', '10m30s'],
      ['{__name__="temperature", room="office"}', '7m30s'],
      ['http_requests_total offset 3m', '10m30s'],
      ['http_requests_total - http_requests_total offset 5m', '20m30s'],
      ['-temperature offset 1m', '10m30s'],
      ['sum by (job) (http_requests_total offset 2m)', '10m30s'],
      ['rate(http_requests_total[5m] offset 2m)', '12m30s'],
      ['2 * temperature offset 1m > 50', '15m30s'],
    ],
  },
  {
    name: 'lookback: a sample stays visible for 5 minutes',
    series: [['gap_metric{a="1"}', '1 2 3 _ _ _ _ _ _ _ _ _ 7']],
    exprs: [
      ['gap_metric', '2m30s'],
      ['gap_metric', '6m30s'],
      ['gap_metric', '12m30s'],
    ],
    empty: [['gap_metric', '7m30s']],
  },
  {
    name: 'rate, irate, increase, delta, idelta, deriv',
    series: [...counters, ...gauges],
    exprs: [
      ['rate(http_requests_total[5m])', '10m30s'],
      ['rate(http_requests_total[5m])', '13m30s'],
      ['rate(http_requests_total[2m])', '1m30s'],
      ['irate(http_requests_total[5m])', '11m30s'],
      ['irate(http_requests_total[5m])', '15m30s'],
      ['increase(http_requests_total[10m])', '15m30s'],
      ['increase(http_requests_total[3m] offset 2m)', '20m30s'],
      ['delta(temperature[5m])', '12m30s'],
      ['delta(temperature[2m])', '12m30s'],
      ['idelta(temperature[5m])', '12m30s'],
      ['deriv(temperature[10m])', '15m30s'],
      ['deriv(http_requests_total[5m])', '12m30s'],
    ],
  },
  {
    name: '*_over_time',
    series: gauges,
    exprs: [
      ['avg_over_time(temperature[5m])', '9m30s'],
      ['min_over_time(temperature[5m])', '9m30s'],
      ['max_over_time(temperature[5m])', '9m30s'],
      ['sum_over_time(temperature[5m])', '9m30s'],
      ['count_over_time(temperature[5m])', '9m30s'],
      ['count_over_time(temperature[30m])', '9m30s'],
      ['last_over_time(temperature[5m])', '9m30s'],
      ['stddev_over_time(temperature[10m])', '15m30s'],
      ['quantile_over_time(0.9, temperature[10m])', '15m30s'],
      ['quantile_over_time(0.25, temperature[7m])', '15m30s'],
    ],
  },
  {
    name: 'aggregations with by and without, topk and bottomk',
    series: [...counters, ...gauges],
    exprs: [
      ['sum(http_requests_total)', '10m30s'],
      ['sum by (job) (http_requests_total)', '10m30s'],
      ['sum without (instance) (http_requests_total)', '10m30s'],
      ['avg by (job) (http_requests_total)', '10m30s'],
      ['min by (job) (http_requests_total)', '10m30s'],
      ['max without (instance) (http_requests_total)', '10m30s'],
      ['count by (job) (http_requests_total)', '10m30s'],
      ['count(temperature)', '10m30s'],
      ['sum by (job) (rate(http_requests_total[5m]))', '12m30s'],
      ['topk(2, http_requests_total)', '10m30s'],
      ['bottomk(1, http_requests_total)', '10m30s'],
      ['topk by (job) (1, http_requests_total)', '10m30s'],
      ['bottomk(1, temperature)', '4m30s'],
    ],
  },
  {
    name: 'arithmetic and comparisons, scalars and one-to-one matching',
    series: [
      ...gauges,
      ['disk_used_bytes{host="h1", mount="/"}', '100+10x20'],
      ['disk_used_bytes{host="h2", mount="/"}', '400+20x20'],
      ['disk_size_bytes{host="h1", mount="/"}', '1000+0x20'],
      ['disk_size_bytes{host="h2", mount="/"}', '700+0x20'],
      ['disk_info{host="h1", mount="/", model="x"}', '1+0x20'],
      ['disk_info{host="h2", mount="/", model="y"}', '2+0x20'],
    ],
    exprs: [
      ['temperature * 2 + 1', '5m30s'],
      ['2 ^ temperature / 1e6', '5m30s'],
      ['temperature % 7', '5m30s'],
      ['-temperature', '5m30s'],
      ['100 - temperature', '5m30s'],
      ['disk_used_bytes / disk_size_bytes', '10m30s'],
      ['disk_used_bytes / on(host) disk_size_bytes', '10m30s'],
      ['disk_used_bytes * ignoring(model) disk_info', '10m30s'],
      ['disk_used_bytes / on(host, mount) disk_info', '10m30s'],
      ['temperature > 25', '9m30s'],
      ['temperature > bool 25', '9m30s'],
      ['30 > temperature', '14m30s'],
      ['temperature == 20', '16m30s'],
      ['temperature != bool 20', '16m30s'],
      ['disk_used_bytes > disk_size_bytes', '19m30s'],
      ['disk_used_bytes >= bool disk_size_bytes', '19m30s'],
      ['disk_used_bytes <= disk_size_bytes', '19m30s'],
      ['disk_used_bytes and ignoring(model) disk_info{model="x"}', '3m30s'],
      ['disk_used_bytes unless on(host) disk_size_bytes{host="h1"}', '3m30s'],
      ['disk_size_bytes{host="h1"} or disk_used_bytes', '3m30s'],
      ['temperature - scalar(max(temperature))', '9m30s'],
    ],
    empty: ['temperature > 100', 'disk_used_bytes and disk_info', 'disk_used_bytes / on(host) disk_info{host="nope"}'],
  },
  {
    name: 'functions: abs, clamp, round, scalar, vector, time',
    series: [
      ...gauges,
      ['balance{account="x"}', '-5 -3.5 -1 0.25 2 4.5 7 -9.75'],
    ],
    exprs: [
      ['abs(balance)', '3m30s'],
      ['abs(balance)', '7m30s'],
      ['clamp(temperature, 19, 25)', '6m30s'],
      ['clamp_min(balance, 0)', '2m30s'],
      ['clamp_max(temperature, 20)', '6m30s'],
      ['round(balance)', '5m30s'],
      ['round(balance)', '1m30s'],
      ['round(temperature, 5)', '12m30s'],
      ['round(balance, 0.5)', '6m30s'],
      ['vector(7)', '3m30s'],
      ['vector(time())', '3m30s'],
      ['scalar(temperature{room="office"}) * temperature', '6m30s'],
      ['time() - temperature', '6m30s'],
    ],
  },
  {
    name: 'histogram_quantile over classic buckets',
    interval: '15s',
    series: [
      ['request_duration_seconds_bucket{le="0.05", handler="/a"}', '0+1x40'],
      ['request_duration_seconds_bucket{le="0.1", handler="/a"}', '0+3x40'],
      ['request_duration_seconds_bucket{le="0.5", handler="/a"}', '0+7x40'],
      ['request_duration_seconds_bucket{le="1", handler="/a"}', '0+9x40'],
      ['request_duration_seconds_bucket{le="+Inf", handler="/a"}', '0+10x40'],
      ['request_duration_seconds_bucket{le="0.05", handler="/b"}', '0+5x40'],
      ['request_duration_seconds_bucket{le="0.1", handler="/b"}', '0+6x40'],
      ['request_duration_seconds_bucket{le="0.5", handler="/b"}', '0+6x40'],
      ['request_duration_seconds_bucket{le="1", handler="/b"}', '0+8x40'],
      ['request_duration_seconds_bucket{le="+Inf", handler="/b"}', '0+8x40'],
    ],
    exprs: [
      ['histogram_quantile(0.5, request_duration_seconds_bucket)', '5m10s'],
      ['histogram_quantile(0.9, rate(request_duration_seconds_bucket[1m]))', '5m10s'],
      ['histogram_quantile(0.99, rate(request_duration_seconds_bucket[2m]))', '7m10s'],
      ['histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[1m])))', '5m10s'],
      ['histogram_quantile(0.75, sum without (handler) (request_duration_seconds_bucket))', '8m10s'],
      ['histogram_quantile(0.01, request_duration_seconds_bucket)', '5m10s'],
    ],
  },
];

/** Expands promtool's series notation (`a+bxn`, `a-bxn`, `_`, plain numbers) into samples every `intervalMs`. */
function expandSeries(notation: string, intervalMs: number): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  for (const token of notation.trim().split(/\s+/)) {
    if (token === '_') {
      i++;
      continue;
    }
    const m = /^(-?[\d.]+(?:e[+-]?\d+)?)([+-])([\d.]+(?:e[+-]?\d+)?)x(\d+)$/i.exec(token);
    if (m) {
      const start = Number(m[1]);
      const step = (m[2] === '-' ? -1 : 1) * Number(m[3]);
      for (let k = 0; k <= Number(m[4]); k++) out.push([i++ * intervalMs, start + k * step]);
      continue;
    }
    const v = Number(token);
    assert.ok(Number.isFinite(v), `unsupported series notation token ${token}`);
    out.push([i++ * intervalMs, v]);
  }
  return out;
}

/** `name{a="b"}` text → labels with `__name__`. */
function parseSeriesText(text: string): Record<string, string> {
  const m = /^([A-Za-z_:][\w:]*)?\{(.*)\}$/.exec(text.trim());
  assert.ok(m, `series ${text}`);
  const labels: Record<string, string> = {};
  if (m[1]) labels.__name__ = m[1];
  for (const pair of m[2]!.matchAll(/([A-Za-z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = JSON.parse(`"${pair[2]}"`) as string;
  return labels;
}

/** Labels as promtool's expected-sample text: `name{a="b", …}`. */
function labelsText(labels: Record<string, string>): string {
  const { __name__: name, ...rest } = labels;
  const inner = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`)
    .join(', ');
  return `${name ?? ''}{${inner}}`;
}

function yamlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

describe('the engine agrees with Prometheus (promtool test rules)', () => {
  test('promtool is installed', () => {
    assert.ok(existsSync(promtool), `${promtool} is missing: .ci/run installs Debian's prometheus package, which ships it`);
  });

  test('promtool fails a wrong answer (the comparison is real)', () => {
    assert.ok(existsSync(promtool), `${promtool} is missing: .ci/run installs Debian's prometheus package, which ships it`);
    const file = join(dir, 'wrong.yml');
    const body = (value: number) =>
      ['tests:', '  - interval: 1m', '    input_series:', "      - series: 'up{job=\"a\"}'", "        values: '1+1x10'", '    promql_expr_test:', "      - expr: 'up'", '        eval_time: 5m30s', '        exp_samples:', "          - labels: 'up{job=\"a\"}'", `            value: ${value}`].join('\n');
    writeFileSync(file, `${body(7)}\n`);
    assert.notEqual(spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8' }).status, 0);
    writeFileSync(file, `${body(6)}\n`);
    assert.equal(spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8' }).status, 0);
  });

  for (const c of cases) {
    test(c.name, async () => {
      assert.ok(existsSync(promtool), `${promtool} is missing: .ci/run installs Debian's prometheus package, which ships it`);
      const interval = c.interval ?? '1m';
      const intervalMs = durationMs(interval)!;
      const series: RawSeries[] = c.series.map(([text, values]) => rawSeries(parseSeriesText(text), expandSeries(values, intervalMs)));
      const source = new MemorySource(series);
      const lines = ['tests:', `  - interval: ${interval}`, '    input_series:'];
      for (const [text, values] of c.series) lines.push(`      - series: ${yamlString(text)}`, `        values: ${yamlString(values)}`);
      lines.push('    promql_expr_test:');
      const all: [string, string, boolean][] = [...c.exprs.map(([e, t]) => [e, t, false] as [string, string, boolean])];
      for (const e of c.empty ?? []) {
        const [expr, at] = typeof e === 'string' ? [e, '10m30s'] : e;
        all.push([expr, at, true]);
      }
      for (const [expr, evalTime, wantEmpty] of all) {
        const result = await instantQuery(source, expr, durationMs(evalTime)!);
        let samples: { labels: string; value: string }[];
        if (result.resultType === 'scalar') samples = [{ labels: '{}', value: result.result[1] }];
        else {
          assert.equal(result.resultType, 'vector', expr);
          samples = result.result.map((s) => ({ labels: labelsText(s.metric), value: s.value[1] }));
        }
        // A case only proves something if the engine returned what the case expects to see.
        if (wantEmpty) assert.equal(samples.length, 0, `${expr} at ${evalTime} should be empty`);
        else assert.ok(samples.length > 0, `${expr} at ${evalTime} returned nothing`);
        for (const s of samples) assert.ok(!/NaN|Inf/.test(s.value), `${expr}: ${s.value} (keep the cases to finite values for promtool)`);
        lines.push(`      - expr: ${yamlString(expr)}`, `        eval_time: ${evalTime}`, samples.length ? '        exp_samples:' : '        exp_samples: []');
        for (const s of samples) lines.push(`          - labels: ${yamlString(s.labels)}`, `            value: ${s.value}`);
      }
      const file = join(dir, `${c.name.replace(/\W+/g, '-')}.yml`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const run = spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8' });
      assert.equal(run.status, 0, `promtool disagrees with the engine:\n${run.stdout}\n${run.stderr}\n--- ${file}\n${lines.join('\n')}`);
    });
  }
});

// Range queries against a Prometheus server: the same series backfilled into its TSDB with
// `promtool tsdb create-blocks-from openmetrics`, then /api/v1/query_range compared step by step
// (start at hh:mm:30 and whole-minute steps, ranges and offsets, for the reason given at the top).
describe('range queries agree with a Prometheus server over the same data', () => {
  const minute = 60_000;
  // Whole minutes four hours back: inside the default retention, clear of the (empty) head block.
  const t0 = Math.floor((Date.now() - 4 * 3_600_000) / minute) * minute;
  const input: [string, string][] = [
    ...counters,
    ...gauges,
    ['request_duration_seconds_bucket{le="0.1", handler="/a"}', '0+3x30'],
    ['request_duration_seconds_bucket{le="0.5", handler="/a"}', '0+7x30'],
    ['request_duration_seconds_bucket{le="+Inf", handler="/a"}', '0+10x30'],
  ];
  const series: RawSeries[] = input.map(([text, values]) => {
    const labels = parseSeriesText(text);
    return rawSeries(labels, expandSeries(values, minute).map(([t, v]) => [t0 + t, v]));
  });
  const queries: [query: string, stepMs: number][] = [
    ['http_requests_total', minute],
    ['temperature', 2 * minute],
    ['rate(http_requests_total[5m])', minute],
    ['irate(http_requests_total[3m])', minute],
    ['increase(http_requests_total[10m])', 3 * minute],
    ['delta(temperature[4m])', minute],
    ['idelta(temperature[4m])', minute],
    ['deriv(temperature[6m])', minute],
    ['sum by (job) (rate(http_requests_total[5m]))', minute],
    ['count without (instance) (http_requests_total)', minute],
    ['avg(temperature)', minute],
    ['topk(1, temperature)', minute],
    ['bottomk(2, http_requests_total)', minute],
    ['avg_over_time(temperature[5m])', minute],
    ['max_over_time(temperature[3m]) - min_over_time(temperature[3m])', minute],
    ['sum_over_time(temperature[4m]) / count_over_time(temperature[4m])', minute],
    ['stddev_over_time(temperature[10m])', minute],
    ['quantile_over_time(0.3, temperature[5m])', minute],
    ['last_over_time(temperature[5m])', minute],
    ['temperature > bool 25', minute],
    ['temperature < 20', minute],
    ['temperature offset 2m', minute],
    ['temperature offset -3m', minute],
    ['temperature - temperature offset 5m', minute],
    ['clamp(temperature, 20, 30) * 2', minute],
    ['round(temperature / 3, 0.5)', minute],
    ['abs(temperature - 25)', minute],
    ['histogram_quantile(0.9, rate(request_duration_seconds_bucket[3m]))', minute],
    ['http_requests_total{job="api"} / on(instance) http_requests_total{instance=~"a|b"} offset 1m', minute],
    ['http_requests_total unless on(instance) http_requests_total{instance="a"}', minute],
    ['scalar(sum(temperature))', minute],
    ['time()', 5 * minute],
    ['vector(1) + 1', minute],
  ];

  let server: Daemon | undefined;

  after(async () => server?.stop());

  test('Prometheus answers the same matrices', async () => {
    assert.ok(existsSync(prometheus) && existsSync(promtool), `${prometheus} or ${promtool} is missing: .ci/run installs Debian's prometheus package`);
    const data = join(dir, 'tsdb');
    const om = join(dir, 'input.om');
    const lines: string[] = [];
    for (const s of series) {
      const { __name__: name, ...rest } = s.labels;
      const labels = Object.entries(rest)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      for (let i = 0; i < s.timestampsMs.length; i++) lines.push(`${name}{${labels}} ${s.values[i]} ${s.timestampsMs[i]! / 1000}`);
    }
    writeFileSync(om, `${lines.join('\n')}\n# EOF\n`);
    const backfill = spawnSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', om, data], { encoding: 'utf8' });
    assert.equal(backfill.status, 0, `${backfill.stdout}\n${backfill.stderr}`);
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  evaluation_interval: 1m\n');
    const args = (port: number) => [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=promql-negative-offset'];
    // Ready once it has loaded the backfilled blocks.
    server = await startDaemon(prometheus, args, { dir: data, readyPath: '/-/ready', readyTimeoutMs: 60_000 });
    const base = server.url;

    const source = new MemorySource(series);
    const start = t0 + 30_000;
    const end = t0 + 40 * minute + 30_000; // past the last sample by more than the lookback
    for (const [query, stepMs] of queries) {
      const url = `${base}/api/v1/query_range?${new URLSearchParams({ query, start: String(start / 1000), end: String(end / 1000), step: String(stepMs / 1000) })}`;
      const res = await fetch(url);
      const body = (await res.json()) as { status: string; data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] } };
      assert.equal(body.status, 'success', `${query}: ${JSON.stringify(body)}`);
      const ours = await rangeQuery(source, query, start, end, stepMs);
      assert.equal(ours.resultType, 'matrix');
      if (ours.resultType !== 'matrix') return;
      assert.ok(ours.result.length > 0, `${query} returned nothing`);
      const theirs = new Map(body.data.result.map((s) => [JSON.stringify(sortedLabels(s.metric)), s.values]));
      assert.deepEqual(
        ours.result.map((s) => JSON.stringify(sortedLabels(s.metric))).sort(),
        [...theirs.keys()].sort(),
        `${query}: series differ`,
      );
      for (const s of ours.result) {
        const want = theirs.get(JSON.stringify(sortedLabels(s.metric)))!;
        assert.deepEqual(
          s.values.map(([t]) => t),
          want.map(([t]) => t),
          `${query} ${JSON.stringify(s.metric)}: steps differ`,
        );
        s.values.forEach(([t, v], i) => {
          const w = want[i]![1];
          const a = Number(v);
          const b = Number(w);
          const close = v === w || (Number.isFinite(a) && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));
          assert.ok(close, `${query} ${JSON.stringify(s.metric)} at ${t}: engine ${v}, Prometheus ${w}`);
        });
      }
    }
  });
});

function sortedLabels(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
