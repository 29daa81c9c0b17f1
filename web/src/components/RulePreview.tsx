// The rule editor's preview: a series the rule matches, drawn with the Explore chart over the rule's
// window, with the condition on it (the threshold as a line; a forecast rule's latest forecast band
// with its value; an anomaly rule's anomalies at or above its severity; a rate rule's current rate).
import { useMemo, useState } from 'react';
import { get, post, qs } from '../api';
import { conditionText, duration, type Condition } from '../alerting';
import { SeriesChart } from '../chart/SeriesChart';
import type { AnomalyInput, ForecastInput, HistoryInput } from '../chart/model';
import { refLabel, refToParam, sameDims, type SeriesRef } from '../series-ref';
import { stepFor, type Range } from '../time-range';
import type { Anomaly, CatalogEntry, Dimensions, Forecast, QueryReply } from '../types';
import { Empty, ErrorBox, Loading, formatNumber, formatTime, useLoad } from '../ui';
import { SelectField } from './form';

const hour = 3_600_000;
const severityRank = { low: 1, medium: 2, high: 3, critical: 4 } as const;

/** How much history the preview shows before now: what the rule reads, with context around it. */
export function previewWindowMs(c: Condition): number {
  const clamp = (ms: number) => Math.min(30 * 24 * hour, Math.max(hour, ms));
  switch (c.kind) {
    case 'threshold':
      return clamp(Math.max(6 * hour, 3 * (c.forSeconds * 1000 + 300_000)));
    case 'rate_of_change':
      return clamp(3 * c.windowSeconds * 1000);
    case 'anomaly':
      return 24 * hour;
    case 'forecast':
      return c.horizonHours <= 6 ? 3 * 24 * hour : 7 * 24 * hour;
    case 'missing_data':
      return clamp(Math.max(24 * hour, 3 * c.expectedIntervalMs));
  }
}

/** The series' points in the range (pages followed, at most 100,000 points: a long window is aggregated by `step`). */
async function loadHistory(ref: SeriesRef, range: Range, signal: AbortSignal): Promise<HistoryInput> {
  const step = stepFor(range);
  const ts: number[] = [];
  const values: (number | null)[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10 && !signal.aborted; page++) {
    const r = await post<QueryReply>('/api/v1/query', { key: ref.key, dimensions: ref.dimensions, from: range.fromMs, to: range.toMs, limit: 10_000, ...(step ? { step } : {}), ...(cursor ? { cursor } : {}) });
    for (const s of r.series) {
      if (!sameDims(s.dimensions, ref.dimensions)) continue; // the query also returns series with more dimensions
      for (const p of s.points) {
        ts.push(Date.parse(p.timestamp) / 1000);
        values.push(p.value);
      }
    }
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return { label: refLabel(ref), ts, values };
}

function toForecastInput(label: string, f: Forecast): ForecastInput {
  const intervals: ForecastInput['intervals'] = {};
  for (const level of f.levels) {
    const k = String(level);
    intervals[k] = { lower: f.points.map((p) => p.intervals[k]?.lower ?? p.value), upper: f.points.map((p) => p.intervals[k]?.upper ?? p.value) };
  }
  return { label, ts: f.points.map((p) => Date.parse(p.timestamp) / 1000), mean: f.points.map((p) => p.value), intervals };
}

interface Loaded {
  history: HistoryInput;
  forecast?: Forecast;
  anomalies: Anomaly[];
}

/** `refresh` changes (after "Evaluate now"): the window moves to end now again. */
export function RulePreview({ ruleKey, dimensions, condition, refresh = 0 }: { ruleKey: string; dimensions: Dimensions | undefined; condition: Condition; refresh?: number }) {
  const [picked, setPicked] = useState('');
  const dimsJson = dimensions && Object.keys(dimensions).length ? JSON.stringify(dimensions) : undefined;
  const matching = useLoad(
    async (signal) => {
      if (!ruleKey || !dimensions) return [];
      const r = await get<{ series: CatalogEntry[] }>(`/api/v1/metrics${qs({ prefix: ruleKey, dimensions: dimsJson, limit: 50 })}`, signal);
      return r.series.filter((s) => s.key === ruleKey).map((s): SeriesRef => ({ key: s.key, dimensions: s.dimensions }));
    },
    [ruleKey, dimsJson],
  );
  const options = matching.data ?? [];
  const ref = options.find((r) => refToParam(r) === picked) ?? options[0];
  const windowMs = previewWindowMs(condition);
  // The window ends now; fixed per series and window so typing in the form does not refetch.
  const range = useMemo(() => ({ fromMs: Date.now() - windowMs, toMs: Date.now() }), [windowMs, ref && refToParam(ref), refresh]); // eslint-disable-line react-hooks/exhaustive-deps
  const needsForecast = condition.kind === 'forecast';
  const needsAnomalies = condition.kind === 'anomaly';
  const data = useLoad(
    async (signal): Promise<Loaded | undefined> => {
      if (!ref) return undefined;
      const dims = Object.keys(ref.dimensions).length ? JSON.stringify(ref.dimensions) : undefined;
      const [history, forecasts, anomalies] = await Promise.all([
        loadHistory(ref, range, signal),
        needsForecast ? get<{ items: Forecast[] }>(`/api/v1/forecasts${qs({ key: ref.key, dimensions: dims, limit: 20 })}`, signal) : undefined,
        needsAnomalies
          ? get<{ items: Anomaly[] }>(`/api/v1/anomalies${qs({ key: ref.key, dimensions: dims, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), limit: 1000 })}`, signal)
          : undefined,
      ]);
      return {
        history,
        forecast: forecasts?.items.find((f) => sameDims(f.dimensions, ref.dimensions)),
        anomalies: anomalies?.items.filter((a) => sameDims(a.dimensions, ref.dimensions)) ?? [],
      };
    },
    [ref && refToParam(ref), range.fromMs, range.toMs, needsForecast, needsAnomalies],
  );

  const d = data.data;
  const drawn = useMemo(() => (d ? drawCondition(d, condition, range) : undefined), [d, condition, range]);

  if (!ruleKey) return <Empty>Enter the metric key to preview the rule on one of its series.</Empty>;
  if (!dimensions) return <Empty>The dimension filter reads “name=value, name=value”.</Empty>;
  if (matching.loading && !matching.data) return <Loading what="Finding matching series" />;
  if (matching.error) return <ErrorBox error={matching.error} onRetry={matching.reload} />;
  if (!options.length) return <Empty>No series of {ruleKey} match yet: the preview appears when points arrive.</Empty>;
  return (
    <div className="rule-preview">
      <SelectField label="Series to preview" value={ref ? refToParam(ref) : ''} onChange={(e) => setPicked(e.target.value)} hint={`${options.length} matching series${options.length === 50 ? ' (the first 50)' : ''}; the last ${duration(windowMs)}`}>
        {options.map((r) => (
          <option key={refToParam(r)} value={refToParam(r)}>
            {refLabel(r)}
          </option>
        ))}
      </SelectField>
      {data.loading && <Loading what="Loading the series" />}
      <ErrorBox error={data.error} onRetry={data.reload} />
      {d && d.history.ts.length === 0 && <Empty>No points of this series in the last {duration(windowMs)}.</Empty>}
      {d && drawn && d.history.ts.length > 0 && (
        <>
          <SeriesChart histories={drawn.histories} forecasts={drawn.forecasts} anomalies={drawn.anomalies} />
          <p className="muted" data-testid="preview-note">
            {conditionText(condition)}: {drawn.note}
          </p>
        </>
      )}
    </div>
  );
}

/** The chart's inputs for the loaded series with the condition drawn on it, and a sentence about it. */
function drawCondition(d: Loaded, c: Condition, range: Range): { histories: HistoryInput[]; forecasts: ForecastInput[]; anomalies: AnomalyInput[]; note: string } {
  const label = d.history.label;
  const line = (text: string, value: number, toMs: number): HistoryInput => ({ label: text, ts: [range.fromMs / 1000, toMs / 1000], values: [value, value] });
  const last = lastPoint(d.history);
  switch (c.kind) {
    case 'threshold': {
      const note = last ? `the latest value is ${formatNumber(last.v)} at ${formatTime(last.t * 1000)}` : 'no value yet';
      return { histories: [d.history, line(`threshold ${c.value}`, c.value, range.toMs)], forecasts: [], anomalies: [], note };
    }
    case 'forecast': {
      if (!d.forecast) return { histories: [d.history, line(`threshold ${c.value}`, c.value, range.toMs)], forecasts: [], anomalies: [], note: 'no forecast of this series is stored yet (forecast it in Explore, or the rule makes one when it runs)' };
      const f = toForecastInput(label, d.forecast);
      const end = Math.max(range.toMs, (f.ts[f.ts.length - 1] ?? 0) * 1000);
      return { histories: [d.history, line(`threshold ${c.value}`, c.value, end)], forecasts: [f], anomalies: [], note: `the latest forecast (${d.forecast.model}, made ${formatTime(d.forecast.generatedAt)}) with its 80 % and 95 % bands` };
    }
    case 'anomaly': {
      const shown = d.anomalies.filter((a) => severityRank[a.severity] >= severityRank[c.minSeverity]);
      const anomalies = shown.map((a): AnomalyInput => ({ id: a.id ?? a.timestamp, label, ts: Date.parse(a.timestamp) / 1000, value: a.value, severity: a.severity, score: a.score, methods: a.methods, expected: a.expected }));
      return { histories: [d.history], forecasts: [], anomalies, note: `${shown.length} stored anomal${shown.length === 1 ? 'y' : 'ies'} at or above ${c.minSeverity} in this window` };
    }
    case 'rate_of_change': {
      const rate = rateOver(d.history, c.windowSeconds * 1000, c.unit === 'per_minute' ? 60_000 : hour);
      const note = rate === null ? `too few points in the last ${duration(c.windowSeconds * 1000)} to measure a rate` : `the rate over the last ${duration(c.windowSeconds * 1000)} is ${formatNumber(rate)}${c.unit === 'per_minute' ? '/min' : '/h'}`;
      return { histories: [d.history], forecasts: [], anomalies: [], note };
    }
    case 'missing_data': {
      const note = last ? `the last point arrived ${duration(Math.max(0, Date.now() - last.t * 1000))} ago` : 'no point in this window';
      return { histories: [d.history], forecasts: [], anomalies: [], note };
    }
  }
}

function lastPoint(h: HistoryInput): { t: number; v: number } | undefined {
  for (let i = h.ts.length - 1; i >= 0; i--) if (h.values[i] !== null && h.values[i] !== undefined) return { t: h.ts[i]!, v: h.values[i]! };
  return undefined;
}

/** (last − first) / elapsed over the trailing window, per unit (as the rule measures it). */
function rateOver(h: HistoryInput, windowMs: number, unitMs: number): number | null {
  const last = lastPoint(h);
  if (!last) return null;
  const from = last.t - windowMs / 1000;
  for (let i = 0; i < h.ts.length; i++) {
    const v = h.values[i];
    if (h.ts[i]! >= from && v !== null && v !== undefined) {
      if (h.ts[i]! >= last.t) return null;
      return ((last.v - v) / ((last.t - h.ts[i]!) * 1000)) * unitMs;
    }
  }
  return null;
}
