// Anomalies: the stored anomalies with filters (severity, key, time), each linking to its chart.
import { useId, useState } from 'react';
import { get, qs } from '../api';
import { Link, useQueryState } from '../router';
import { refLabel, refToParam } from '../series-ref';
import { relativeRanges, type RelativeRange } from '../time-range';
import type { Anomaly, Severity } from '../types';
import { Empty, ErrorBox, Loading, TableWrap, formatNumber, formatTime, useAction, useLoad } from '../ui';

const severities: Severity[] = ['low', 'medium', 'high', 'critical'];
const hour = 3_600_000;

/** The Explore view around one anomaly: its series, 12 hours either side. */
function chartLink(a: Anomaly): string {
  const t = Date.parse(a.timestamp);
  const s = refToParam({ key: a.key ?? '', dimensions: a.dimensions ?? {} });
  return `/explore?${new URLSearchParams({ s, range: 'custom', from: new Date(t - 12 * hour).toISOString(), to: new Date(t + 12 * hour).toISOString() })}`;
}

export function AnomaliesPage() {
  const [params, setParams] = useQueryState();
  const ids = { sev: useId(), key: useId(), range: useId() };
  const minSeverity = params.get('severity') ?? '';
  const key = params.get('key') ?? '';
  const range = (params.get('range') ?? '7d') as RelativeRange;
  const [more, setMore] = useState<{ items: Anomaly[]; cursor: string | null } | null>(null);
  const query = (cursor?: string) =>
    `/api/v1/anomalies${qs({ minSeverity, key: /^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(key) ? key : undefined, from: new Date(Date.now() - (relativeRanges[range] ?? relativeRanges['7d'])).toISOString(), limit: 100, cursor })}`;
  const list = useLoad(
    (signal) => {
      setMore(null);
      return get<{ items: Anomaly[]; nextCursor: string | null }>(query(), signal);
    },
    [minSeverity, key, range],
  );
  const loadMore = useAction(async () => {
    const cursor = more?.cursor ?? list.data?.nextCursor;
    if (!cursor) return;
    const r = await get<{ items: Anomaly[]; nextCursor: string | null }>(query(cursor));
    setMore((m) => ({ items: [...(m?.items ?? []), ...r.items], cursor: r.nextCursor }));
  });
  const items = [...(list.data?.items ?? []), ...(more?.items ?? [])];
  const next = more ? more.cursor : list.data?.nextCursor;
  return (
    <main id="main" className="page">
      <h1>Anomalies</h1>
      <div className="inline-form" role="search" aria-label="Filter anomalies">
        <span className="field-inline">
          <label htmlFor={ids.sev}>Severity at least</label>
          <select id={ids.sev} value={minSeverity} onChange={(e) => setParams({ severity: e.target.value })}>
            <option value="">any</option>
            {severities.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </span>
        <span className="field-inline">
          <label htmlFor={ids.key}>Metric key</label>
          <input id={ids.key} value={key} placeholder="exact key, e.g. cpu.load" onChange={(e) => setParams({ key: e.target.value })} />
        </span>
        <span className="field-inline">
          <label htmlFor={ids.range}>Since</label>
          <select id={ids.range} value={range} onChange={(e) => setParams({ range: e.target.value })}>
            {Object.keys(relativeRanges).map((r) => (
              <option key={r} value={r}>
                last {r}
              </option>
            ))}
          </select>
        </span>
      </div>
      {list.loading && !list.data && <Loading what="Loading anomalies" />}
      <ErrorBox error={list.error ?? loadMore.error} onRetry={list.error ? list.reload : undefined} />
      {list.data && items.length === 0 && (
        <Empty>
          No anomalies match. Detection runs from Explore (“Detect now”), <Link to="/detection-schedules">detection schedules</Link>, anomaly alert rules and the API.
        </Empty>
      )}
      {items.length > 0 && (
        <TableWrap label="Anomalies">
          <table>
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
              {items.map((a) => (
                <tr key={a.id ?? a.timestamp}>
                  <td>
                    <time dateTime={a.timestamp}>{formatTime(a.timestamp)}</time>
                  </td>
                  <td>
                    <Link to={chartLink(a)}>{refLabel({ key: a.key ?? '', dimensions: a.dimensions ?? {} })}</Link>
                  </td>
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
      )}
      {next && (
        <button type="button" className="secondary" disabled={loadMore.busy} onClick={() => void loadMore.run()}>
          Load more
        </button>
      )}
    </main>
  );
}
