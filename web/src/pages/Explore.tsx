// Explore: find series in the catalogue, chart them over a time range with the latest forecast and
// the stored anomalies and the alert firings on them, forecast or detect now. The URL holds the series,
// range and search.
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { get, post, put, qs } from '../api';
import { boundsFromText, boundsLabel } from '../bounds';
import { SeriesChart } from '../chart/SeriesChart';
import { alertRegion, type AnomalyInput, type ForecastInput, type HistoryInput, type RegionInput } from '../chart/model';
import { useQueryState, useRouter } from '../router';
import { paramToRef, parseDimFilter, refLabel, refToParam, sameDims, type SeriesRef } from '../series-ref';
import { useSession } from '../session';
import { frequencyFor, medianSpacing, relativeRanges, resolveRange, stepFor, toLocalInput, type Range } from '../time-range';
import type { Alert, Anomaly, Backend, CatalogEntry, Forecast, QueryReply, SeriesSettings, ValueBounds } from '../types';
import { Empty, ErrorBox, Field, LoadStatus, Loading, formatNumber, formatTime, isApiError, TableWrap, useAction, useLoad } from '../ui';

interface SeriesData {
  ref: SeriesRef;
  history: HistoryInput;
  forecast: Forecast | undefined;
  anomalies: Anomaly[];
  /** Alerts of this series that overlap the range. */
  alerts: Alert[];
}

/** Every point of one series in the range (pages followed, at most 200,000 points). */
async function loadHistory(ref: SeriesRef, range: Range, signal: AbortSignal): Promise<HistoryInput> {
  const ts: number[] = [];
  const values: (number | null)[] = [];
  const step = stepFor(range);
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const r = await post<QueryReply>('/api/v1/query', {
      key: ref.key,
      dimensions: ref.dimensions,
      from: range.fromMs,
      to: range.toMs,
      limit: 10_000,
      ...(step ? { step } : {}),
      ...(cursor ? { cursor } : {}),
    });
    if (signal.aborted) break;
    // The render benchmark (bench/dashboard.ts) times the chart from here: the last page arrived.
    if (!r.nextCursor) performance.mark('iv:data');
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

/**
 * Alerts that may overlap the range, newest first: pages of the org's alerts until one starts a week
 * before the range (an alert open longer than that still shows while open: the open ones come first).
 */
async function loadAlerts(range: Range, signal: AbortSignal): Promise<Alert[]> {
  const lookbackMs = 7 * 86_400_000;
  const open = await get<{ items: Alert[] }>(`/api/v1/alerts${qs({ state: 'open', limit: 500 })}`, signal);
  const all: Alert[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 4; page++) {
    const r: { items: Alert[]; nextCursor: string | null } = await get(`/api/v1/alerts${qs({ limit: 500, cursor })}`, signal);
    all.push(...r.items);
    const last = r.items[r.items.length - 1];
    if (!r.nextCursor || !last || Date.parse(last.startedAt) < range.fromMs - lookbackMs) break;
    cursor = r.nextCursor;
  }
  const byId = new Map([...open.items, ...all].map((a) => [a.id, a]));
  return [...byId.values()].filter((a) => Date.parse(a.firedAt ?? a.startedAt) <= range.toMs && (!a.endedAt || Date.parse(a.endedAt) >= range.fromMs));
}

/** Whether an alert is about this series: its key (`__name__` in its labels) and exactly its dimensions. */
function alertOfSeries(a: Alert, ref: SeriesRef): boolean {
  return (a.labels?.__name__ ?? a.key) === ref.key && sameDims(a.dimensions, ref.dimensions);
}

async function loadSeries(ref: SeriesRef, range: Range, signal: AbortSignal): Promise<Omit<SeriesData, 'alerts'>> {
  const dims = Object.keys(ref.dimensions).length ? JSON.stringify(ref.dimensions) : undefined;
  const [history, forecasts, anomalies] = await Promise.all([
    loadHistory(ref, range, signal),
    get<{ items: Forecast[] }>(`/api/v1/forecasts${qs({ key: ref.key, dimensions: dims, limit: 20 })}`, signal),
    get<{ items: Anomaly[] }>(`/api/v1/anomalies${qs({ key: ref.key, dimensions: dims, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(), limit: 1000 })}`, signal),
  ]);
  return {
    ref,
    history,
    forecast: forecasts.items.find((f) => sameDims(f.dimensions, ref.dimensions)),
    anomalies: anomalies.items.filter((a) => sameDims(a.dimensions, ref.dimensions)),
  };
}

function toForecastInput(label: string, f: Forecast): ForecastInput {
  const intervals: ForecastInput['intervals'] = {};
  for (const level of f.levels) {
    const k = String(level);
    intervals[k] = { lower: f.points.map((p) => p.intervals[k]?.lower ?? p.value), upper: f.points.map((p) => p.intervals[k]?.upper ?? p.value) };
  }
  return { label, ts: f.points.map((p) => Date.parse(p.timestamp) / 1000), mean: f.points.map((p) => p.value), intervals };
}

export function ExplorePage() {
  const [params, setParams] = useQueryState();
  const { navigate } = useRouter();
  const refs = useMemo(() => params.getAll('s').map(paramToRef).filter((r): r is SeriesRef => !!r), [params]);
  const rangeName = params.get('range') ?? '24h';
  const [now, setNow] = useState(() => Date.now());
  const range = useMemo(() => resolveRange(rangeName, params.get('from'), params.get('to'), now), [rangeName, params, now]);
  const refsKey = refs.map(refToParam).join('\n');

  const data = useLoad(
    async (signal) => {
      const [series, alerts] = await Promise.all([Promise.all(refs.map((r) => loadSeries(r, range, signal))), loadAlerts(range, signal)]);
      return series.map((s): SeriesData => ({ ...s, alerts: alerts.filter((a) => alertOfSeries(a, s.ref)) }));
    },
    [refsKey, range.fromMs, range.toMs],
  );

  const setSeries = (next: SeriesRef[]) => {
    const u = new URLSearchParams(window.location.search);
    u.delete('s');
    for (const r of next) u.append('s', refToParam(r));
    navigate(`${window.location.pathname}?${u}`);
  };
  const add = (r: SeriesRef) => !refs.some((x) => refToParam(x) === refToParam(r)) && setSeries([...refs, r]);
  const remove = (r: SeriesRef) => setSeries(refs.filter((x) => refToParam(x) !== refToParam(r)));

  return (
    <main id="main" className="page explore">
      <h1>Explore</h1>
      <div className="explore-grid">
        <Catalogue selected={refs} onAdd={add} onRemove={remove} />
        <section aria-labelledby="chart-heading" className="chart-panel">
          <h2 id="chart-heading" className="visually-hidden">
            Chart
          </h2>
          <RangePicker range={range} name={rangeName} onChange={(patch) => (setParams(patch, { push: true }), setNow(Date.now()))} onRefresh={() => setNow(Date.now())} />
          {refs.length === 0 && <Empty>Pick a series from the catalogue to chart it.</Empty>}
          {refs.length > 0 && <ExploreChart refs={refs} range={range} data={data.data} loading={data.loading} error={data.error} reload={data.reload} />}
        </section>
      </div>
    </main>
  );
}

function ExploreChart({ refs, range, data, loading, error, reload }: { refs: SeriesRef[]; range: Range; data: SeriesData[] | undefined; loading: boolean; error: unknown; reload: () => void }) {
  const { can } = useSession();
  const current = data && data.length === refs.length && data.every((d, i) => refToParam(d.ref) === refToParam(refs[i]!)) ? data : undefined;
  const histories = useMemo(() => current?.map((d) => d.history) ?? [], [current]);
  const forecasts = useMemo(() => current?.flatMap((d) => (d.forecast ? [toForecastInput(d.history.label, d.forecast)] : [])) ?? [], [current]);
  const anomalies = useMemo(
    () =>
      current?.flatMap((d) =>
        d.anomalies.map((a): AnomalyInput => ({ id: a.id ?? `${a.timestamp}`, label: d.history.label, ts: Date.parse(a.timestamp) / 1000, value: a.value, severity: a.severity, score: a.score, methods: a.methods, expected: a.expected })),
      ) ?? [],
    [current],
  );
  const regions = useMemo(() => {
    const nowSec = Date.now() / 1000;
    return current?.flatMap((d) => d.alerts.flatMap((a): RegionInput[] => {
        const r = alertRegion(a, d.history.label, nowSec);
        return r ? [r] : [];
      })) ?? [];
  }, [current]);
  const empty = current && current.every((d) => d.history.ts.length === 0);
  return (
    <>
      {can('member') && current && current.length > 0 && <Actions series={current} range={range} onDone={reload} />}
      {loading && <Loading what="Loading the series" />}
      <ErrorBox error={error} onRetry={reload} />
      {empty && <Empty>No points of {refs.map(refLabel).join(', ')} in this range. Try a longer range.</Empty>}
      {current && !empty && <SeriesChart histories={histories} forecasts={forecasts} anomalies={anomalies} regions={regions} />}
      {current && !empty && <ForecastSummary series={current} />}
      {current && <KnownBounds refs={current.map((d) => d.ref)} />}
      {current && !empty && <AnomalyTable anomalies={anomalies} />}
      {current && !empty && <AlertRegions regions={regions} />}
    </>
  );
}

/** Each charted series' known bounds (a series setting detection uses), editable by members. */
function KnownBounds({ refs }: { refs: SeriesRef[] }) {
  const refsKey = refs.map(refToParam).join('\n');
  const settings = useLoad(
    (signal) =>
      Promise.all(
        refs.map((r) =>
          get<SeriesSettings>(`/api/v1/series/settings${qs({ key: r.key, dimensions: JSON.stringify(r.dimensions) })}`, signal).catch((e: unknown) => {
            if (isApiError(e, 'not_found')) return null; // a series named in the URL that does not exist
            throw e;
          }),
        ),
      ),
    [refsKey],
  );
  return (
    <section aria-labelledby="bounds-heading" className="known-bounds">
      <h3 id="bounds-heading">Known bounds</h3>
      <p className="muted small">The values a series can take, when known (0–100 for a percentage, 0–1 for a ratio): detection counts a value outside them as an anomaly and scales its methods to them.</p>
      <LoadStatus state={settings} what="Loading bounds" />
      {settings.data?.map((s, i) => (s ? <BoundsRow key={refToParam(s)} settings={s} onSaved={settings.reload} /> : <p key={i} className="muted">{refLabel(refs[i]!)}: no such series.</p>))}
    </section>
  );
}

function BoundsRow({ settings, onSaved }: { settings: SeriesSettings; onSaved: () => void }) {
  const { can } = useSession();
  const label = refLabel(settings);
  const [min, setMin] = useState(settings.bounds ? String(settings.bounds.min) : '');
  const [max, setMax] = useState(settings.bounds ? String(settings.bounds.max) : '');
  const [note, setNote] = useState<string | null>(null);
  const save = useAction(async (bounds: ValueBounds | null) => {
    setNote(null);
    const r = await put<SeriesSettings>('/api/v1/series/settings', { key: settings.key, dimensions: settings.dimensions, bounds });
    setMin(r.bounds ? String(r.bounds.min) : '');
    setMax(r.bounds ? String(r.bounds.max) : '');
    setNote(r.bounds ? `Bounds of ${label} saved: ${boundsLabel(r.bounds)}.` : `Bounds of ${label} cleared.`);
    onSaved();
  });
  if (!can('member')) {
    return (
      <p data-bounds-of={label}>
        {label}: {settings.bounds ? boundsLabel(settings.bounds) : 'none set'}
      </p>
    );
  }
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save.run(boundsFromText(min, max));
  };
  return (
    <form onSubmit={onSubmit} aria-label={`Known bounds of ${label}`} data-bounds-of={label}>
      <fieldset>
        <legend>
          {label}: {settings.bounds ? boundsLabel(settings.bounds) : 'none set'}
        </legend>
        <div className="inline-form">
          <Field label="Lowest value" type="number" step="any" value={min} onChange={(e) => setMin(e.target.value)} />
          <Field label="Highest value" type="number" step="any" value={max} onChange={(e) => setMax(e.target.value)} />
          <button type="submit" disabled={save.busy}>
            Save bounds
          </button>
          {settings.bounds && (
            <button type="button" className="secondary" disabled={save.busy} onClick={() => void save.run(null)}>
              Clear bounds
            </button>
          )}
        </div>
      </fieldset>
      <ErrorBox error={save.error} />
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
    </form>
  );
}

function ForecastSummary({ series }: { series: SeriesData[] }) {
  const withForecast = series.filter((s) => s.forecast);
  if (!withForecast.length) return <p className="muted">No forecast of {series.length === 1 ? 'this series' : 'these series'} yet.</p>;
  return (
    <ul className="muted plain">
      {withForecast.map((s) => (
        <li key={s.history.label}>
          Forecast of {s.history.label}: {s.forecast!.model} ({s.forecast!.backend}), {s.forecast!.horizon} × {s.forecast!.frequency} from {formatTime(s.forecast!.points[0]?.timestamp ?? s.forecast!.generatedAt)}, made{' '}
          {formatTime(s.forecast!.generatedAt)}
        </li>
      ))}
    </ul>
  );
}

/** The alert regions drawn on the chart, as a list (the keyboard's and screen readers' way to them). */
function AlertRegions({ regions }: { regions: RegionInput[] }) {
  if (!regions.length) return <p className="muted">No alerts fired on the charted series in this range.</p>;
  return (
    <section aria-labelledby="alert-regions-heading">
      <h3 id="alert-regions-heading">Alerts in this range</h3>
      <ul className="plain alert-regions">
        {[...regions].sort((a, b) => b.from - a.from).map((r) => (
          <li key={`${r.label} ${r.id}`} data-alert-id={r.id}>
            <span className={`badge sev-${r.severity}`}>{r.severity}</span> <strong>{r.ruleName}</strong> on {r.label}: {formatTime(r.from * 1000)} – {r.state === 'resolved' ? formatTime(r.to * 1000) : `now (${r.state})`}
          </li>
        ))}
      </ul>
    </section>
  );
}

function AnomalyTable({ anomalies }: { anomalies: AnomalyInput[] }) {
  if (!anomalies.length) return <p className="muted">No anomalies stored in this range.</p>;
  const sorted = [...anomalies].sort((a, b) => b.ts - a.ts);
  return (
    <TableWrap label="Anomalies in this range">
      <table className="anomalies" aria-label="Anomalies in this range">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Series</th>
            <th scope="col">Severity</th>
            <th scope="col">Score</th>
            <th scope="col">Value</th>
            <th scope="col">Expected</th>
            <th scope="col">Methods</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((a) => (
            <tr key={a.id} data-timestamp={new Date(a.ts * 1000).toISOString()} data-severity={a.severity}>
              <td>
                <time dateTime={new Date(a.ts * 1000).toISOString()}>{formatTime(a.ts * 1000)}</time>
              </td>
              <td>{a.label}</td>
              <td>
                <span className={`badge sev-${a.severity}`}>{a.severity}</span>
              </td>
              <td>{a.score.toFixed(2)}</td>
              <td>{formatNumber(a.value)}</td>
              <td>{formatNumber(a.expected)}</td>
              <td>{a.methods.filter((m) => m.flagged).map((m) => m.name).join(', ') || '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function Actions({ series, range, onDone }: { series: SeriesData[]; range: Range; onDone: () => void }) {
  const ids = { freq: useId(), horizon: useId(), backend: useId(), sens: useId() };
  const spacing = medianSpacing(series[0]!.history.ts.map((t) => t * 1000));
  const [frequency, setFrequency] = useState<string>(() => frequencyFor(spacing || 3_600_000));
  const [horizon, setHorizon] = useState(24);
  const [backend, setBackend] = useState('');
  const [sensitivity, setSensitivity] = useState(0.5);
  const backends = useLoad((signal) => get<{ backends: Backend[] }>('/api/v1/forecast/backends', signal), []);
  const [note, setNote] = useState<string | null>(null);

  const forecast = useAction(async () => {
    setNote(null);
    for (const s of series) await post('/api/v1/forecast', { key: s.ref.key, dimensions: s.ref.dimensions, frequency, horizon, ...(backend ? { backend } : {}) });
    setNote(`Forecast ${series.length === 1 ? 'made' : `made for ${series.length} series`}.`);
    onDone();
  });
  const detect = useAction(async () => {
    setNote(null);
    let found = 0;
    let bounded = 0;
    for (const s of series) {
      // No bounds sent: each series' own known bounds (if set) apply.
      const r = await post<{ anomalies: Anomaly[]; bounds: ValueBounds | null }>('/api/v1/anomalies/detect', { key: s.ref.key, dimensions: s.ref.dimensions, from: range.fromMs, to: range.toMs, sensitivity });
      found += r.anomalies.length;
      if (r.bounds) bounded++;
    }
    const within = bounded === 0 ? '' : series.length === 1 ? ' (within the known bounds)' : ` (${bounded} of the series within known bounds)`;
    setNote(`Detection found ${found} ${found === 1 ? 'anomaly' : 'anomalies'}${within}.`);
    onDone();
  });
  const onForecast = (e: FormEvent) => {
    e.preventDefault();
    void forecast.run();
  };
  const onDetect = (e: FormEvent) => {
    e.preventDefault();
    void detect.run();
  };
  return (
    <div className="actions">
      <form onSubmit={onForecast} className="inline-form" aria-label="Forecast">
        <span className="field-inline">
          <label htmlFor={ids.freq}>Step</label>
          <select id={ids.freq} value={frequency} onChange={(e) => setFrequency(e.target.value)}>
            {['1m', '5m', '1h', '1d'].map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </span>
        <span className="field-inline">
          <label htmlFor={ids.horizon}>Horizon (steps)</label>
          <input id={ids.horizon} type="number" min={1} max={720} value={horizon} onChange={(e) => setHorizon(Number(e.target.value))} />
        </span>
        <span className="field-inline">
          <label htmlFor={ids.backend}>Backend</label>
          <select id={ids.backend} value={backend} onChange={(e) => setBackend(e.target.value)}>
            <option value="">default</option>
            {backends.data?.backends.map((b) => (
              <option key={b.name} value={b.name} disabled={!b.available}>
                {b.name}
                {b.available ? '' : ' (unavailable)'}
              </option>
            ))}
          </select>
        </span>
        <button type="submit" disabled={forecast.busy}>
          {forecast.busy ? 'Forecasting…' : 'Forecast now'}
        </button>
      </form>
      <form onSubmit={onDetect} className="inline-form" aria-label="Detect anomalies">
        <span className="field-inline">
          <label htmlFor={ids.sens}>Sensitivity</label>
          <input id={ids.sens} type="number" min={0} max={1} step={0.05} value={sensitivity} onChange={(e) => setSensitivity(Number(e.target.value))} />
        </span>
        <button type="submit" disabled={detect.busy}>
          {detect.busy ? 'Detecting…' : 'Detect now'}
        </button>
      </form>
      <ErrorBox error={forecast.error ?? detect.error} />
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
    </div>
  );
}

function RangePicker({ range, name, onChange, onRefresh }: { range: Range; name: string; onChange: (patch: Record<string, string | null>) => void; onRefresh: () => void }) {
  const ids = { from: useId(), to: useId() };
  const [from, setFrom] = useState(() => toLocalInput(range.fromMs));
  const [to, setTo] = useState(() => toLocalInput(range.toMs));
  // The absolute fields show the range in view, whichever way it was chosen.
  useEffect(() => {
    setFrom(toLocalInput(range.fromMs));
    setTo(toLocalInput(range.toMs));
  }, [range.fromMs, range.toMs]);
  const applyCustom = (e: FormEvent) => {
    e.preventDefault();
    const f = new Date(from).getTime();
    const t = new Date(to).getTime();
    if (Number.isFinite(f) && Number.isFinite(t) && f < t) onChange({ range: 'custom', from: new Date(f).toISOString(), to: new Date(t).toISOString() });
  };
  return (
    <div className="range">
      <div role="group" aria-label="Time range" className="segmented">
        {Object.keys(relativeRanges).map((r) => (
          <button key={r} type="button" aria-pressed={name === r} className={name === r ? 'on' : 'secondary'} onClick={() => onChange({ range: r, from: null, to: null })}>
            Last {r}
          </button>
        ))}
        <button type="button" className="secondary" onClick={onRefresh} aria-label="Refresh to now">
          ↻
        </button>
      </div>
      <form className="inline-form" onSubmit={applyCustom} aria-label="Absolute time range">
        <span className="field-inline">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
        </span>
        <span className="field-inline">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
        </span>
        <button type="submit" className={name === 'custom' ? 'on' : 'secondary'}>
          Apply
        </button>
      </form>
    </div>
  );
}

/** The organisation's retention, days (GET /api/v1/metrics). */
interface Retention {
  rawDays: number;
  rollup5mDays: number;
  rollup1hDays: number;
}

/** "30 days", "1 day", or whole years when the days make them ("5 years"). */
function daysLabel(days: number): string {
  if (days >= 365 && days % 365 === 0) return days === 365 ? '1 year' : `${days / 365} years`;
  return days === 1 ? '1 day' : `${days} days`;
}

function Catalogue({ selected, onAdd, onRemove }: { selected: SeriesRef[]; onAdd: (r: SeriesRef) => void; onRemove: (r: SeriesRef) => void }) {
  const [params, setParams] = useQueryState();
  const ids = { prefix: useId(), dims: useId() };
  const prefix = params.get('q') ?? '';
  const dimText = params.get('dims') ?? '';
  const dims = parseDimFilter(dimText);
  const list = useLoad(
    (signal) => {
      if (!dims) return Promise.resolve(undefined);
      const d = Object.keys(dims).length ? JSON.stringify(dims) : undefined;
      return get<{ series: CatalogEntry[]; nextCursor: string | null; retention?: Retention }>(`/api/v1/metrics${qs({ prefix, dimensions: d, limit: 50 })}`, signal);
    },
    [prefix, dimText],
  );
  const chosen = new Set(selected.map(refToParam));
  return (
    <section className="catalogue" aria-labelledby="catalogue-heading">
      <h2 id="catalogue-heading">Series</h2>
      <div className="field">
        <label htmlFor={ids.prefix}>Key starts with</label>
        <input id={ids.prefix} type="search" value={prefix} placeholder="e.g. cpu." onChange={(e) => setParams({ q: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={ids.dims}>Dimensions</label>
        <input id={ids.dims} value={dimText} placeholder="host=web-1, region=eu" aria-invalid={!dims} aria-describedby={`${ids.dims}-hint`} onChange={(e) => setParams({ dims: e.target.value })} />
        <small id={`${ids.dims}-hint`} className={dims ? 'muted' : 'error-text'}>
          {dims ? 'name=value pairs, comma-separated' : 'Write each pair as name=value'}
        </small>
      </div>
      {list.loading && <Loading what="Searching" />}
      <ErrorBox error={list.error} onRetry={list.reload} />
      {list.data && list.data.series.length === 0 && <Empty>No series match. Send points to POST /api/v1/ingest with an API key.</Empty>}
      {list.data && list.data.series.length > 0 && (
        <ul className="series-list">
          {list.data.series.map((s) => {
            const ref = { key: s.key, dimensions: s.dimensions };
            const on = chosen.has(refToParam(ref));
            return (
              <li key={refToParam(ref)}>
                <button type="button" className={on ? 'on pick' : 'secondary pick'} aria-pressed={on} onClick={() => (on ? onRemove(ref) : onAdd(ref))}>
                  <span className="series-name">{refLabel(ref)}</span>
                  <span className="muted small">
                    {s.pointCount} points{s.lastTimestamp ? ` · last ${formatTime(s.lastTimestamp)}` : ''}
                    {s.bounds ? ` · bounds ${boundsLabel(s.bounds)}` : ''}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {list.data?.nextCursor && <p className="muted small">More series match: narrow the search.</p>}
      {list.data?.retention && (
        <p className="muted small">
          Kept: every point {daysLabel(list.data.retention.rawDays)}, 5-minute aggregates {daysLabel(list.data.retention.rollup5mDays)}, hourly aggregates {daysLabel(list.data.retention.rollup1hDays)}.
        </p>
      )}
    </section>
  );
}
