// The Explore chart: uPlot with each history as a line, each forecast as a dashed line inside its
// 95 % and 80 % bands, anomalies as points coloured by severity (hover: score and methods), and alert
// firings as shaded time regions coloured by severity (hover: the rule).
// The legend and the anomaly tooltip are React; uPlot only draws.
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot, { type Options, type Series } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber, formatTime } from '../ui';
import { alertSeverityColor, palette, severityColor, withAlpha } from './colors';
import { buildModel, nearestAnomaly, regionsAt, severities, type AnomalyInput, type ForecastInput, type HistoryInput, type RegionInput } from './model';

export interface SeriesChartProps {
  histories: HistoryInput[];
  forecasts: ForecastInput[];
  anomalies: AnomalyInput[];
  /** Alert firings, shaded under the lines. */
  regions?: RegionInput[];
}

const noRegions: RegionInput[] = [];
const regionColor = (severity: string) => alertSeverityColor[severity] ?? alertSeverityColor.info!;

/**
 * User Timing for the render benchmark: `iv:render` from the data's arrival (mark `iv:data`, set by
 * the loader) to uPlot's first draw, `iv:frame` to the frame that shows it.
 */
function measureFirstDraw(): void {
  if (!performance.getEntriesByName('iv:data', 'mark').length) return;
  performance.measure('iv:render', 'iv:data');
  requestAnimationFrame(() => performance.measure('iv:frame', 'iv:data'));
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Bumps when the system switches between light and dark, so the chart redraws in the new colours. */
function useColorScheme(): number {
  const [v, setV] = useState(0);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const on = () => setV((x) => x + 1);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return v;
}

export function SeriesChart({ histories, forecasts, anomalies, regions = noRegions }: SeriesChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hover, setHover] = useState<{ a: AnomalyInput; left: number; top: number } | null>(null);
  const [regionHover, setRegionHover] = useState<{ rs: RegionInput[]; left: number } | null>(null);
  const scheme = useColorScheme();
  const model = useMemo(() => buildModel(histories, forecasts, anomalies), [histories, forecasts, anomalies]);
  const seriesColor = (i: number) => palette[i % palette.length]!;
  /** A forecast takes the colour of the history it continues. */
  const forecastColor = (label: string, i: number) => {
    const h = histories.findIndex((x) => x.label === label);
    return seriesColor(h >= 0 ? h : histories.length + i);
  };

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--fg-muted', '#555');
    const grid = cssVar('--grid', 'rgba(128,128,128,0.2)');
    const series: Series[] = [{ label: 'Time', value: (_u, v) => (v == null ? '–' : formatTime(v * 1000)) }];
    histories.forEach((h, i) => series.push({ label: h.label, stroke: seriesColor(i), width: 1.5, spanGaps: true, points: { show: false } }));
    const bands: uPlot.Band[] = [];
    forecasts.forEach((f, i) => {
      const color = forecastColor(f.label, i);
      const cols = model.forecast[i]!;
      series.push({ label: `${f.label} forecast`, stroke: color, width: 1.5, dash: [6, 4], spanGaps: true, points: { show: false } });
      for (const b of cols.bands) {
        series.push({ label: `${f.label} ${b.level}% lower`, stroke: 'transparent', spanGaps: true, points: { show: false } });
        series.push({ label: `${f.label} ${b.level}% upper`, stroke: 'transparent', spanGaps: true, points: { show: false } });
        bands.push({ series: [b.upper, b.lower], fill: withAlpha(color, Number(b.level) >= 90 ? 0.14 : 0.26) });
      }
    });
    for (const s of severities) {
      if (model.anomalies[s] === undefined) continue; // a column only for severities that have marks
      const c = severityColor[s];
      series.push({ label: `${s} anomalies`, stroke: c, fill: c, paths: () => null, points: { show: true, size: 11, width: 2, stroke: cssVar('--bg', '#fff'), fill: c } });
    }
    let drawn = false;
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: Options = {
      width: Math.max(280, el.clientWidth),
      height: el.clientWidth < 600 ? 260 : 380,
      series,
      bands,
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { show: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 60, values: (_u, vals) => vals.map((v) => formatNumber(v)) }],
      hooks: {
        // Alert regions go under the lines: drawn with the axes, before the series.
        drawAxes: [
          (u) => {
            if (!regions.length) return;
            const { ctx } = u;
            const { left, top, width, height } = u.bbox;
            ctx.save();
            for (const r of regions) {
              const x0 = Math.max(left, u.valToPos(r.from, 'x', true));
              const x1 = Math.min(left + width, u.valToPos(r.to, 'x', true));
              if (!(x1 >= x0)) continue; // outside the range shown
              const w = Math.max(3 * devicePixelRatio, x1 - x0); // one that began a moment ago stays visible
              ctx.fillStyle = withAlpha(regionColor(r.severity), 0.16);
              ctx.fillRect(x0, top, w, height);
              ctx.fillStyle = withAlpha(regionColor(r.severity), 0.85);
              ctx.fillRect(x0, top, w, 4 * devicePixelRatio); // a solid strip on top marks the span
            }
            ctx.restore();
          },
        ],
        draw: [
          () => {
            if (!drawn) {
              drawn = true;
              measureFirstDraw();
            }
          },
        ],
        setCursor: [
          (u) => {
            const left = u.cursor.left ?? -1;
            const a = left < 0 || !anomalies.length ? undefined : nearestAnomaly(anomalies, left, (ts) => u.valToPos(ts, 'x'));
            setHover((old) => (a ? (old?.a === a ? old : { a, left: u.valToPos(a.ts, 'x'), top: u.valToPos(a.value, 'y') }) : null));
            // Over an alert region (and no anomaly mark): the rules that fired there.
            const rs = a || left < 0 || !regions.length ? [] : regionsAt(regions, left, (ts) => u.valToPos(ts, 'x'));
            setRegionHover((old) => (rs.length ? (old && old.rs.length === rs.length && old.rs.every((r, i) => r === rs[i]) ? old : { rs, left }) : null));
          },
        ],
      },
    };
    const u = new uPlot(opts, model.data as uPlot.AlignedData, el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: w < 600 ? 260 : 380 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
      setHover(null);
      setRegionHover(null);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [model, scheme, regions]);

  const legend = [
    ...histories.map((h, i) => ({ label: h.label, color: seriesColor(i), kind: 'line' })),
    ...forecasts.map((f, i) => ({ label: `${f.label} forecast (80 % and 95 % bands)`, color: forecastColor(f.label, i), kind: 'dash' })),
    ...severities.filter((s) => anomalies.some((a) => a.severity === s)).map((s) => ({ label: `${s} anomalies`, color: severityColor[s], kind: 'dot' })),
    ...[...new Set(regions.map((r) => r.severity))].map((s) => ({ label: `${s} alerts firing`, color: regionColor(s), kind: 'region' })),
  ];

  return (
    <figure className="chart" aria-label={`Chart of ${histories.map((h) => h.label).join(', ')}`} data-histories={histories.length} data-forecasts={forecasts.length} data-anomalies={anomalies.length} data-regions={regions.length}>
      <div className="chart-canvas" ref={box} data-testid="chart">
        {hover && (
          <div className="tooltip" role="tooltip" style={{ left: hover.left + 12, top: Math.max(0, hover.top - 10) }} data-testid="anomaly-tooltip">
            <strong>
              {hover.a.severity} anomaly · score {hover.a.score.toFixed(2)}
            </strong>
            <div>{formatTime(hover.a.ts * 1000)}</div>
            <div>
              value {formatNumber(hover.a.value)}
              {hover.a.expected !== null && <> · expected {formatNumber(hover.a.expected)}</>}
            </div>
            <div>methods: {hover.a.methods.filter((m) => m.flagged).map((m) => `${m.name} ${m.score.toFixed(2)}`).join(', ') || 'none flagged alone'}</div>
          </div>
        )}
        {regionHover && (
          <div className="tooltip" role="tooltip" style={{ left: regionHover.left + 12, top: 8 }} data-testid="region-tooltip">
            {regionHover.rs.map((r) => (
              <div key={r.id}>
                <strong>{r.ruleName}</strong> · {r.severity} · {r.state}
                <div className="small">
                  {formatTime(r.from * 1000)} – {r.state === 'resolved' ? formatTime(r.to * 1000) : 'now'}
                  {histories.length > 1 ? ` · ${r.label}` : ''}
                </div>
              </div>
            ))}
          </div>
        )}
      </div>
      <figcaption>
        <ul className="legend" aria-label="Legend">
          {legend.map((l) => (
            <li key={l.label}>
              <span
                className={`swatch ${l.kind}`}
                style={l.kind === 'region' ? { color: l.color, height: '0.8rem', width: '1rem', borderTopWidth: '3px', background: withAlpha(l.color, 0.25) } : { color: l.color }}
                aria-hidden="true"
              />
              {l.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
