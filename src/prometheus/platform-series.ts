// The platform's own series, selectable in PromQL like stored ones (issue 17): forecasts, anomalies
// and alerts, built from their tables at query time (nothing is written as points).
//
//   intentvision_forecast{key, bound="mean"|"lower"|"upper", level="80"|"95" (bounds only), model, …dimensions}
//       the latest stored forecast of each series, one sample per forecast step
//   intentvision_anomaly_score{key, …dimensions}        = the anomaly's score (0–1), at its time
//   intentvision_anomaly{key, severity, …dimensions}    = 1 at each stored anomaly's time
//   ALERTS{alertname, alertstate="pending"|"firing", severity, key, …alert labels} = 1 while in that state
//   ALERTS_FOR_STATE{alertname, severity, key, …alert labels} = the alert's start (unix seconds) while open
//
// On a clash, the platform's labels win over a dimension of the same name (`key`, `bound`, …), as
// an alert rule's labels win over dimensions. Builders are pure; the readers below do the SQL.
import type { Labels } from '../core/labels.js';
import type { RawSeries } from '../promql/types.js';
import type { Sql } from '../store/sql.js';

export const platformNames = ['intentvision_forecast', 'intentvision_anomaly_score', 'intentvision_anomaly', 'ALERTS', 'ALERTS_FOR_STATE'] as const;
export type PlatformName = (typeof platformNames)[number];

/** What `GET /metadata` says of each. */
export const platformHelp: Record<PlatformName, string> = {
  intentvision_forecast: 'Latest stored forecast of each series: bound="mean", and "lower"/"upper" per interval level',
  intentvision_anomaly_score: 'Score (0-1) of each stored anomaly, at its timestamp',
  intentvision_anomaly: '1 at each stored anomaly, labelled with its severity',
  ALERTS: 'Alert instances of the platform\'s alert rules while pending or firing',
  ALERTS_FOR_STATE: 'Start time (unix seconds) of each open alert instance',
};

/** A window of a read: startMs < t ≤ endMs, as the engine's SelectRequest. */
export interface Window {
  startMs: number;
  endMs: number;
}

/** What a read of the platform's series needs besides the window. */
export interface PlatformRead extends Window {
  /** Now, epoch ms: open alerts are active up to here, not beyond. */
  nowMs: number;
  /** Only series of this metric key (a `key="…"` matcher), or all. */
  key: string | null;
  /** false: label sets only (the series and labels endpoints), with empty sample arrays. */
  samples: boolean;
  /** At most this many series per name; more is an error the caller turns into `execution`. */
  maxSeries: number;
}

/** Thrown when a name yields more than `maxSeries` series. */
export class TooManySeries extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} series`);
  }
}

/** dimensions, then the platform's own labels over them, then the metric name. */
function labelsOf(name: PlatformName, dimensions: Labels, own: Labels): Labels {
  const out = new Map<string, string>(Object.entries(dimensions));
  for (const [k, v] of Object.entries(own)) out.set(k, v);
  out.set('__name__', name);
  return Object.fromEntries(out);
}

const empty = (): Pick<RawSeries, 'timestampsMs' | 'values'> => ({ timestampsMs: new Float64Array(0), values: new Float64Array(0) });

/** Samples (t, v) with t in the window, in time order. */
function inWindow(ts: readonly number[], vs: readonly (number | null | undefined)[], w: Window): Pick<RawSeries, 'timestampsMs' | 'values'> {
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < ts.length; i++) {
    const x = vs[i];
    if (ts[i]! > w.startMs && ts[i]! <= w.endMs && typeof x === 'number' && Number.isFinite(x)) {
      t.push(ts[i]!);
      v.push(x);
    }
  }
  return { timestampsMs: Float64Array.from(t), values: Float64Array.from(v) };
}

export interface ForecastRow {
  key: string;
  dimensions: Labels;
  model: string;
  startMs: number;
  stepMs: number;
  mean: number[];
  intervals: Record<string, { lower: (number | null)[]; upper: (number | null)[] }>;
}

/** The series of one stored forecast: the mean and each level's bounds, samples inside `w` (all of them when `samples` is false they are left empty). */
export function forecastSeries(f: ForecastRow, w: Window, samples: boolean): RawSeries[] {
  const times = f.mean.map((_, i) => f.startMs + i * f.stepMs);
  const out: RawSeries[] = [];
  const add = (own: Labels, values: readonly (number | null)[]) => {
    const labels = labelsOf('intentvision_forecast', f.dimensions, { key: f.key, model: f.model, ...own });
    if (!samples) {
      if (times.some((t) => t > w.startMs && t <= w.endMs)) out.push({ labels, ...empty() });
      return;
    }
    const s = inWindow(times, values, w);
    if (s.timestampsMs.length) out.push({ labels, ...s });
  };
  add({ bound: 'mean' }, f.mean);
  for (const level of Object.keys(f.intervals).sort((a, b) => Number(a) - Number(b))) {
    const iv = f.intervals[level]!;
    add({ bound: 'lower', level }, iv.lower);
    add({ bound: 'upper', level }, iv.upper);
  }
  return out;
}

export interface AnomalyRow {
  seriesId: number;
  key: string;
  dimensions: Labels;
  tMs: number;
  score: number;
  severity: string;
}

/**
 * Anomalies (ascending by series, then time) as `intentvision_anomaly_score` (one series per stored
 * series) or `intentvision_anomaly` (one per stored series and severity).
 */
export function anomalySeries(name: 'intentvision_anomaly_score' | 'intentvision_anomaly', rows: readonly AnomalyRow[], samples: boolean): RawSeries[] {
  const groups = new Map<string, { labels: Labels; t: number[]; v: number[] }>();
  for (const a of rows) {
    const own: Labels = name === 'intentvision_anomaly' ? { key: a.key, severity: a.severity } : { key: a.key };
    const id = name === 'intentvision_anomaly' ? `${a.seriesId}\u0000${a.severity}` : String(a.seriesId);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { labels: labelsOf(name, a.dimensions, own), t: [], v: [] }));
    g.t.push(a.tMs);
    g.v.push(name === 'intentvision_anomaly' ? 1 : a.score);
  }
  return [...groups.values()].map((g) => (samples ? { labels: g.labels, timestampsMs: Float64Array.from(g.t), values: Float64Array.from(g.v) } : { labels: g.labels, ...empty() }));
}

export interface AlertRow {
  key: string;
  labels: Labels;
  ruleName: string;
  severity: string;
  startedMs: number;
  /** null: never fired (only pending). */
  firedMs: number | null;
  /** null: still open. */
  endedMs: number | null;
}

/**
 * Sample spacing of ALERTS: Prometheus writes one sample per rule evaluation; here one a minute,
 * wider over long windows (at most 1,440 samples per state and window) but always under half the
 * lookback, so an instant selector anywhere inside an active span finds a sample.
 */
export function alertSpacingMs(w: Window, lookbackMs: number): number {
  const wide = Math.ceil((w.endMs - w.startMs) / 1440 / 60_000) * 60_000;
  return Math.max(1000, Math.min(Math.max(60_000, wide), Math.floor(lookbackMs / 2 / 1000) * 1000));
}

/**
 * Sample times of a state active over [fromMs, toMs) inside the window: at the state's start, then
 * at every multiple of `spacingMs` after it (epoch-aligned), so the series appears exactly when the
 * state began. After the state ends the last sample stays visible for up to the lookback, as a
 * series without a staleness marker does in Prometheus.
 */
export function activeTimes(fromMs: number, toMs: number, w: Window, spacingMs: number): number[] {
  const out: number[] = [];
  if (fromMs > w.startMs && fromMs <= w.endMs && fromMs < toMs) out.push(fromMs);
  let t = Math.floor(Math.max(fromMs, w.startMs) / spacingMs) * spacingMs + spacingMs;
  for (; t < toMs && t <= w.endMs; t += spacingMs) if (t > w.startMs && t > fromMs) out.push(t);
  return out;
}

/**
 * An alert's labels as Prometheus shows an alert's: without `__name__` (Prometheus drops it from
 * alert labels; the metric key goes to `key`), with `alertname` and `severity`.
 */
export function prometheusAlertLabels(a: Pick<AlertRow, 'key' | 'labels' | 'ruleName' | 'severity'>): Labels {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(a.labels)) if (k !== '__name__') out.set(k, v);
  out.set('key', a.key);
  out.set('alertname', a.ruleName);
  out.set('severity', a.severity);
  return Object.fromEntries(out);
}

/** ALERTS or ALERTS_FOR_STATE of one alert instance over the window (nothing when it was not active in it). */
export function alertSeries(name: 'ALERTS' | 'ALERTS_FOR_STATE', a: AlertRow, w: Window, nowMs: number, spacingMs: number, samples: boolean): RawSeries[] {
  // Active up to and including now while open; a state ends just before the time it changed.
  const end = Math.min(a.endedMs ?? nowMs + 1, nowMs + 1);
  const own = prometheusAlertLabels(a);
  const spans: { labels: Labels; from: number; to: number; value: number }[] = [];
  if (name === 'ALERTS_FOR_STATE') spans.push({ labels: labelsOf(name, {}, own), from: a.startedMs, to: end, value: a.startedMs / 1000 });
  else {
    const firing = a.firedMs ?? end;
    if (firing > a.startedMs) spans.push({ labels: labelsOf(name, {}, { ...own, alertstate: 'pending' }), from: a.startedMs, to: Math.min(firing, end), value: 1 });
    if (a.firedMs !== null && a.firedMs < end) spans.push({ labels: labelsOf(name, {}, { ...own, alertstate: 'firing' }), from: a.firedMs, to: end, value: 1 });
  }
  const out: RawSeries[] = [];
  for (const s of spans) {
    if (!samples) {
      if (s.from <= w.endMs && s.to > w.startMs) out.push({ labels: s.labels, ...empty() });
      continue;
    }
    const times = activeTimes(s.from, s.to, w, spacingMs);
    if (times.length) out.push({ labels: s.labels, timestampsMs: Float64Array.from(times), values: new Float64Array(times.length).fill(s.value) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Readers: one statement per name, scoped to the organisation.

const stepMsOf: Record<string, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

/** The latest forecast of each stored series of `orgId` (generated at or before now) whose steps reach into the window. */
export async function readForecasts(sql: Sql, orgId: string, r: PlatformRead): Promise<RawSeries[]> {
  const rows = await sql.query<{ key: string; dimensions: Labels; model: string; start_ms: number; frequency: string; mean: number[]; intervals: ForecastRow['intervals'] }>(
    `SELECT key, dimensions, model, (extract(epoch FROM start_at) * 1000)::float8 AS start_ms, frequency, mean, intervals FROM (
       SELECT DISTINCT ON (series_id) key, dimensions, model, start_at, frequency, horizon, mean, intervals FROM forecasts
       WHERE org_id = $1 AND series_id IS NOT NULL AND key IS NOT NULL AND ($2::text IS NULL OR key = $2) AND generated_at <= $5
       ORDER BY series_id, generated_at DESC, id DESC
     ) f
     WHERE start_at <= $4 AND start_at + (horizon * CASE frequency WHEN '1m' THEN 60 WHEN '5m' THEN 300 WHEN '1h' THEN 3600 ELSE 86400 END) * interval '1 second' > $3
     LIMIT $6`,
    [orgId, r.key, new Date(r.startMs), new Date(r.endMs), new Date(r.nowMs), r.maxSeries + 1],
  );
  if (rows.rows.length > r.maxSeries) throw new TooManySeries(r.maxSeries);
  return rows.rows.flatMap((x) =>
    forecastSeries(
      { key: x.key, dimensions: x.dimensions ?? {}, model: x.model, startMs: Number(x.start_ms), stepMs: stepMsOf[x.frequency] ?? 3_600_000, mean: x.mean.map(Number), intervals: x.intervals },
      r,
      r.samples,
    ),
  );
}

/** Samples of anomalies read at once, at most: beyond it the query is refused (execution). */
export const maxAnomalySamples = 1_000_000;

export async function readAnomalies(sql: Sql, orgId: string, name: 'intentvision_anomaly_score' | 'intentvision_anomaly', r: PlatformRead): Promise<RawSeries[]> {
  // Labels only: one row per series and severity, however many anomalies (a label listing over all time).
  const rows = await sql.query<{ series_id: string; key: string; dimensions: Labels; t: number; score: number; severity: string }>(
    r.samples
      ? `SELECT series_id, key, dimensions, round(date_part('epoch', ts) * 1000) AS t, score, severity FROM anomalies
         WHERE org_id = $1 AND ($2::text IS NULL OR key = $2) AND ts > $3 AND ts <= $4
         ORDER BY series_id, ts LIMIT $5`
      : `SELECT DISTINCT ON (series_id, severity) series_id, key, dimensions, 0 AS t, 0 AS score, severity FROM anomalies
         WHERE org_id = $1 AND ($2::text IS NULL OR key = $2) AND ts > $3 AND ts <= $4
         ORDER BY series_id, severity LIMIT $5`,
    [orgId, r.key, new Date(r.startMs), new Date(r.endMs), maxAnomalySamples + 1],
  );
  if (rows.rows.length > maxAnomalySamples) throw new TooManySeries(r.maxSeries);
  const list = anomalySeries(
    name,
    rows.rows.map((x) => ({ seriesId: Number(x.series_id), key: x.key, dimensions: x.dimensions, tMs: Number(x.t), score: Number(x.score), severity: x.severity })),
    r.samples,
  );
  if (list.length > r.maxSeries) throw new TooManySeries(r.maxSeries);
  return list;
}

/** Alert instances of `orgId` active (pending or firing) at some time in the window. */
export async function readAlerts(sql: Sql, orgId: string, name: 'ALERTS' | 'ALERTS_FOR_STATE', r: PlatformRead, lookbackMs: number): Promise<RawSeries[]> {
  if (!r.samples) return alertLabelSets(sql, orgId, name, r);
  const rows = await sql.query<{ key: string; labels: Labels; rule_name: string; severity: string; started: Date; fired: Date | null; ended: Date | null }>(
    `SELECT key, labels, rule_name, severity, started_at AS started, fired_at AS fired,
       CASE WHEN state = 'resolved' THEN coalesce(ended_at, updated_at) ELSE ended_at END AS ended
     FROM alerts
     WHERE org_id = $1 AND ($2::text IS NULL OR key = $2) AND started_at <= $4
       AND (state <> 'resolved' OR coalesce(ended_at, updated_at) > $3)
     ORDER BY started_at, id LIMIT $5`,
    [orgId, r.key, new Date(r.startMs), new Date(r.endMs), r.maxSeries + 1],
  );
  if (rows.rows.length > r.maxSeries) throw new TooManySeries(r.maxSeries);
  const spacing = alertSpacingMs(r, lookbackMs);
  return rows.rows.flatMap((x) =>
    alertSeries(
      name,
      { key: x.key, labels: x.labels, ruleName: x.rule_name, severity: x.severity, startedMs: x.started.getTime(), firedMs: x.fired?.getTime() ?? null, endedMs: x.ended?.getTime() ?? null },
      r,
      r.nowMs,
      spacing,
      r.samples,
    ),
  );
}

/**
 * The label sets of ALERTS / ALERTS_FOR_STATE in the window without samples: one row per alert
 * (rule and series) however many episodes it had, with whether it was pending and firing in the window.
 */
async function alertLabelSets(sql: Sql, orgId: string, name: 'ALERTS' | 'ALERTS_FOR_STATE', r: PlatformRead): Promise<RawSeries[]> {
  const rows = await sql.query<{ key: string; labels: Labels; rule_name: string; severity: string; pended: boolean; fired: boolean }>(
    `SELECT key, labels, rule_name, severity,
       bool_or(fired_at IS NULL OR fired_at > started_at AND fired_at > $3) AS pended,
       bool_or(fired_at IS NOT NULL AND fired_at <= $4) AS fired
     FROM (
       SELECT key, labels, rule_name, severity, started_at, fired_at FROM alerts
       WHERE org_id = $1 AND ($2::text IS NULL OR key = $2) AND started_at <= $4 AND started_at <= $5
         AND (state <> 'resolved' OR coalesce(ended_at, updated_at) > $3)
     ) a
     GROUP BY key, labels, rule_name, severity LIMIT $6`,
    [orgId, r.key, new Date(r.startMs), new Date(r.endMs), new Date(r.nowMs), r.maxSeries + 1],
  );
  if (rows.rows.length > r.maxSeries) throw new TooManySeries(r.maxSeries);
  const out: RawSeries[] = [];
  for (const x of rows.rows) {
    const own = prometheusAlertLabels({ key: x.key, labels: x.labels, ruleName: x.rule_name, severity: x.severity });
    const states = name === 'ALERTS_FOR_STATE' ? [null] : [...(x.pended ? ['pending'] : []), ...(x.fired ? ['firing'] : [])];
    for (const state of states) out.push({ labels: labelsOf(name, {}, state ? { ...own, alertstate: state } : own), ...empty() });
  }
  return out;
}

/** The series of one platform name. */
export function readPlatform(sql: Sql, orgId: string, name: PlatformName, r: PlatformRead, lookbackMs: number): Promise<RawSeries[]> {
  switch (name) {
    case 'intentvision_forecast':
      return readForecasts(sql, orgId, r);
    case 'intentvision_anomaly_score':
    case 'intentvision_anomaly':
      return readAnomalies(sql, orgId, name, r);
    case 'ALERTS':
    case 'ALERTS_FOR_STATE':
      return readAlerts(sql, orgId, name, r, lookbackMs);
  }
}
