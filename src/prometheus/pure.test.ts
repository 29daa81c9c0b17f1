// The pure parts of the Prometheus API, table-driven: matchers (anchoring, missing labels, what goes
// to the index), the platform series' builders (forecast bounds, anomaly grouping, ALERTS' sample
// times and spans), parameters (times, unknown names, Prometheus 3's escaped label names) and the
// envelopes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PromQLError, type LabelMatcher } from '../promql/types.js';
import { compileMatchers, indexedPart, matchesAll } from './matchers.js';
import { activeTimes, alertSeries, alertSpacingMs, anomalySeries, forecastSeries } from './platform-series.js';
import { labelNameFromPath, Params, timeWindow } from './params.js';
import { errorEnvelope, RawJson, successEnvelope } from './envelope.js';
import { labelsIdentity, mergeSameLabels, storedLabels } from './store-source.js';

const m = (name: string, type: LabelMatcher['type'], value: string): LabelMatcher => ({ name, type, value });

test('matchers: Prometheus semantics, anchored RE2 patterns, a missing label is the empty string', () => {
  const labels = { __name__: 'http_requests_total', job: 'api-1', path: '/a\nb' };
  const cases: [LabelMatcher, boolean][] = [
    [m('job', '=', 'api-1'), true],
    [m('job', '!=', 'api-1'), false],
    [m('job', '=~', 'api-.*'), true],
    [m('job', '=~', 'api'), false], // anchored
    [m('job', '=~', '(?i)API-1'), true],
    [m('job', '!~', 'db|api-1'), false],
    [m('zone', '=', ''), true],
    [m('zone', '!=', ''), false],
    [m('zone', '=~', '.*'), true],
    [m('zone', '=~', '.+'), false],
    [m('path', '=~', '/a.b'), false], // `.` does not match a newline
    [m('path', '=~', '(?s)/a.b'), true],
    [m('__name__', '=~', 'http_.*_total'), true],
  ];
  for (const [matcher, want] of cases) assert.equal(matchesAll(compileMatchers([matcher]), labels), want, JSON.stringify(matcher));
  assert.throws(() => compileMatchers([m('job', '=~', '(a')]), (e: unknown) => e instanceof PromQLError && e.type === 'bad_data' && /job=~"\(a"/.test(e.message));
  assert.throws(() => compileMatchers([m('job', '=~', '(a)\\1')]), (e: unknown) => e instanceof PromQLError && e.type === 'bad_data');
});

test('matchers: what the catalogue index answers', () => {
  const cases: [LabelMatcher[], ReturnType<typeof indexedPart>][] = [
    [[m('__name__', '=', 'cpu.util'), m('host', '=', 'a')], { keys: ['cpu.util'], pairs: { host: 'a' }, empty: false }],
    [[m('__name__', '=~', 'up|down|up')], { keys: ['up', 'down'], pairs: {}, empty: false }],
    [[m('__name__', '=~', 'cpu.util')], { keys: null, pairs: {}, empty: false }], // `.` is any character: not a literal list
    [[m('__name__', '=', 'a'), m('__name__', '=', 'b')], { keys: [], pairs: {}, empty: true }],
    [[m('host', '=', 'a'), m('host', '=', 'b')], { keys: null, pairs: { host: 'b' }, empty: true }],
    [[m('host', '=', ''), m('job', '!=', 'x'), m('zone', '=~', 'eu')], { keys: null, pairs: {}, empty: false }],
  ];
  for (const [ms, want] of cases) assert.deepEqual(indexedPart(ms), want, JSON.stringify(ms));
});

test('forecast series: the mean and each level\'s bounds, one sample per step inside the window', () => {
  const f = { key: 'cpu', dimensions: { host: 'a', key: 'shadowed' }, model: 'ets', startMs: 60_000, stepMs: 60_000, mean: [1, 2, 3], intervals: { '95': { lower: [0, 1, null], upper: [2, 3, 4] }, '80': { lower: [0.5, 1.5, 2.5], upper: [1.5, 2.5, 3.5] } } };
  const all = forecastSeries(f, { startMs: 0, endMs: 1e12 }, true);
  assert.deepEqual(
    all.map((s) => [s.labels.bound, s.labels.level, [...s.timestampsMs], [...s.values]]),
    [
      ['mean', undefined, [60_000, 120_000, 180_000], [1, 2, 3]],
      ['lower', '80', [60_000, 120_000, 180_000], [0.5, 1.5, 2.5]],
      ['upper', '80', [60_000, 120_000, 180_000], [1.5, 2.5, 3.5]],
      ['lower', '95', [60_000, 120_000], [0, 1]], // a missing bound is no sample
      ['upper', '95', [60_000, 120_000, 180_000], [2, 3, 4]],
    ],
  );
  assert.deepEqual(all[0]!.labels, { __name__: 'intentvision_forecast', host: 'a', key: 'cpu', model: 'ets', bound: 'mean' }); // the platform's `key` wins
  // The window is start-exclusive, end-inclusive.
  assert.deepEqual([...forecastSeries(f, { startMs: 60_000, endMs: 120_000 }, true)[0]!.timestampsMs], [120_000]);
  assert.deepEqual(forecastSeries(f, { startMs: 180_000, endMs: 1e12 }, true), []);
  // Labels only: every series with a step in the window, no samples.
  assert.deepEqual(forecastSeries(f, { startMs: 0, endMs: 60_000 }, false).map((s) => s.timestampsMs.length), [0, 0, 0, 0, 0]);
});

test('anomaly series: one score series per stored series, one 1-valued series per severity', () => {
  const rows = [
    { seriesId: 1, key: 'cpu', dimensions: { host: 'a' }, tMs: 1000, score: 0.9, severity: 'high' },
    { seriesId: 1, key: 'cpu', dimensions: { host: 'a' }, tMs: 2000, score: 0.99, severity: 'critical' },
    { seriesId: 1, key: 'cpu', dimensions: { host: 'a' }, tMs: 3000, score: 0.95, severity: 'high' },
    { seriesId: 2, key: 'cpu', dimensions: { host: 'b' }, tMs: 1000, score: 0.93, severity: 'high' },
  ];
  assert.deepEqual(
    anomalySeries('intentvision_anomaly_score', rows, true).map((s) => [s.labels, [...s.timestampsMs], [...s.values]]),
    [
      [{ __name__: 'intentvision_anomaly_score', host: 'a', key: 'cpu' }, [1000, 2000, 3000], [0.9, 0.99, 0.95]],
      [{ __name__: 'intentvision_anomaly_score', host: 'b', key: 'cpu' }, [1000], [0.93]],
    ],
  );
  assert.deepEqual(
    anomalySeries('intentvision_anomaly', rows, true).map((s) => [s.labels.host, s.labels.severity, [...s.timestampsMs], [...s.values]]),
    [
      ['a', 'high', [1000, 3000], [1, 1]],
      ['a', 'critical', [2000], [1]],
      ['b', 'high', [1000], [1]],
    ],
  );
});

test('ALERTS sample times: at the state\'s start, then on the spacing grid, inside the window and the span', () => {
  const min = 60_000;
  const cases: [number, number, { startMs: number; endMs: number }, number[]][] = [
    [90_000, 5 * min, { startMs: 0, endMs: 10 * min }, [90_000, 2 * min, 3 * min, 4 * min]],
    [90_000, 5 * min, { startMs: 3 * min, endMs: 10 * min }, [4 * min]], // start outside the window
    [90_000, 5 * min, { startMs: 0, endMs: 2 * min }, [90_000, 2 * min]],
    [2 * min, 3 * min, { startMs: 0, endMs: 10 * min }, [2 * min]],
    [2 * min, 2 * min, { startMs: 0, endMs: 10 * min }, []], // an empty span
    [0, 5 * min, { startMs: 0, endMs: 10 * min }, [min, 2 * min, 3 * min, 4 * min]], // start on the window's open end
  ];
  for (const [from, to, w, want] of cases) assert.deepEqual(activeTimes(from, to, w, min), want, `${from}–${to} in ${JSON.stringify(w)}`);
  assert.equal(alertSpacingMs({ startMs: 0, endMs: 86_400_000 }, 300_000), 60_000);
  assert.equal(alertSpacingMs({ startMs: 0, endMs: 30 * 86_400_000 }, 300_000), 150_000); // under half the lookback
  assert.equal(alertSpacingMs({ startMs: 0, endMs: 86_400_000 }, 60_000), 30_000);
});

test('ALERTS spans: pending until fired, firing until resolved or now; labels as Prometheus shows an alert', () => {
  const min = 60_000;
  const a = { key: 'cpu', labels: { __name__: 'cpu', host: 'a', alertname: 'x', severity: 'info' }, ruleName: 'High', severity: 'critical', startedMs: 2 * min, firedMs: 4 * min, endedMs: 6 * min };
  const w = { startMs: 0, endMs: 20 * min };
  const got = alertSeries('ALERTS', a, w, 30 * min, min, true);
  assert.deepEqual(
    got.map((s) => [s.labels, [...s.timestampsMs]]),
    [
      [{ host: 'a', alertname: 'High', severity: 'critical', key: 'cpu', alertstate: 'pending', __name__: 'ALERTS' }, [2 * min, 3 * min]],
      [{ host: 'a', alertname: 'High', severity: 'critical', key: 'cpu', alertstate: 'firing', __name__: 'ALERTS' }, [4 * min, 5 * min]],
    ],
  );
  // Never fired: pending only; still open: up to now, not beyond.
  assert.deepEqual(alertSeries('ALERTS', { ...a, firedMs: null, endedMs: null }, w, 4 * min, min, true).map((s) => [s.labels.alertstate, [...s.timestampsMs]]), [['pending', [2 * min, 3 * min, 4 * min]]]);
  const forState = alertSeries('ALERTS_FOR_STATE', a, w, 30 * min, min, true);
  assert.deepEqual(forState.map((s) => [s.labels.alertstate, [...s.values]]), [[undefined, [120, 120, 120, 120]]]);
  // Outside the window: nothing.
  assert.deepEqual(alertSeries('ALERTS', a, { startMs: 10 * min, endMs: 20 * min }, 30 * min, min, true), []);
});

test('series with the same labels merge; identities ignore label order', () => {
  const s = (t: number[], labels: Record<string, string> = { a: '1', b: '2' }) => ({ labels, timestampsMs: Float64Array.from(t), values: Float64Array.from(t, (x) => x / 10) });
  const merged = mergeSameLabels([s([30, 40]), s([10, 20], { b: '2', a: '1' }), s([5], { a: '9' })]);
  assert.deepEqual(merged.map((x) => [...x.timestampsMs]), [[10, 20, 30, 40], [5]]);
  assert.equal(labelsIdentity({ a: '1', b: '2' }), labelsIdentity({ b: '2', a: '1' }));
  assert.deepEqual(storedLabels('cpu', { host: 'a', __name__: 'other' }), { host: 'a', __name__: 'cpu' });
});

test('parameters: form over query string, first value wins, unknown names refused, times and windows', () => {
  const p = new Params([{ query: 'a', time: '10' }, { query: ['b', 'c'] }], ['query', 'time']);
  assert.equal(p.get('query'), 'b');
  assert.equal(p.time('time', 0), 10_000);
  assert.equal(new Params([{ time: '2024-01-01T00:00:00.5Z' }], ['time']).time('time', 0), Date.UTC(2024, 0, 1, 0, 0, 0, 500));
  assert.throws(() => new Params([{ query: 'a', stpe: '1' }], ['query', 'step']), /unknown parameter "stpe"/);
  assert.doesNotThrow(() => new Params([{ query: 'a', stats: 'all' }], ['query']));
  assert.throws(() => new Params([{ time: 'soon' }], ['time']).time('time', 0), (e: unknown) => e instanceof PromQLError && e.type === 'bad_data');
  assert.equal(new Params([{ step: '1m30s' }], ['step']).duration('step'), 90_000);
  assert.equal(new Params([{ step: '0.5' }], ['step']).duration('step'), 500);
  assert.equal(new Params([{ limit: '0' }], ['limit']).limit(), undefined);
  assert.throws(() => new Params([{ limit: '1.5' }], ['limit']).limit(), /limit/);
  assert.deepEqual(timeWindow(new Params([{ start: '10', end: '20' }], ['start', 'end'])), { startMs: 10_000, endMs: 20_000, bounded: true });
  assert.equal(timeWindow(new Params([{}], ['start', 'end'])).bounded, false);
  assert.throws(() => timeWindow(new Params([{ start: '20', end: '10' }], ['start', 'end'])), /end timestamp must not be before start time/);
});

test("label names in paths: Prometheus 3's U__ escaping", () => {
  const cases: [string, string][] = [
    ['job', 'job'],
    ['U__k8s_2e_pod', 'k8s.pod'],
    ['U__a__b', 'a_b'],
    ['U__caf_e9_', 'café'],
    ['U___1F600_', '😀'],
    ['U__bad_zz_', 'U__bad_zz_'], // not valid escaping: taken as written
  ];
  for (const [raw, want] of cases) assert.equal(labelNameFromPath(raw), want, raw);
});

test('envelopes: success with warnings only when some, errors with their statuses', () => {
  assert.equal(successEnvelope([1]), '{"status":"success","data":[1]}');
  assert.equal(successEnvelope([], ['w']), '{"status":"success","data":[],"warnings":["w"]}');
  assert.equal(successEnvelope(new RawJson(Buffer.from('{"a":1}'))).toString(), '{"status":"success","data":{"a":1}}');
  assert.equal(successEnvelope(new RawJson(Buffer.from('[]')), ['w "x"']).toString(), '{"status":"success","data":[],"warnings":["w \\"x\\""]}');
  assert.deepEqual(errorEnvelope('bad_data', 'x'), { status: 400, body: '{"status":"error","errorType":"bad_data","error":"x"}' });
  assert.equal(errorEnvelope('execution', 'x').status, 422);
  assert.equal(errorEnvelope('timeout', 'x').status, 503);
});
