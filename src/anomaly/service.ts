// Anomaly detection as a use case: read the series (stored or inline), run the ensemble, store what
// was found in a stored series (ids stay stable per point), return it.
import { AppError } from '../core/errors.js';
import { resolveOneSeries, type HistorySource } from '../metrics/history-source.js';
import { readSeriesPoints, type StoredSeries } from '../metrics/series-read.js';
import { readSeriesBounds } from '../metrics/series-settings.js';
import type { Sql } from '../store/sql.js';
import { detectOnThisThread, type DetectFunc } from './detect-func.js';
import type { DetectionMode, ValueBounds } from './detector.js';
import { baselineRange, MIN_BASELINE_POINTS, type Anomaly } from './ensemble.js';
import { defaultMethodsFor, type WeightedMethod } from './registry.js';
import { upsertAnomalies } from './store.js';
import type { Clock } from '../core/clock.js';

/** Most points one detection reads from a stored series (the most recent of the range). */
export const maxDetectPoints = 100_000;
/** Range read when a request gives no `from`: the week before `to`. */
export const defaultDetectWindowMs = 7 * 86_400_000;

export interface DetectRequest {
  source: HistorySource;
  sensitivity: number;
  methods?: WeightedMethod[];
  mode: DetectionMode;
  context: { before: number; after: number };
  /**
   * The series' known value bounds (checked by the caller: finite, min < max); null for none. Absent
   * (undefined): a stored series' own bounds setting applies, inline data has none.
   */
  bounds?: ValueBounds | null;
  /** A reference period (epoch ms, from < to, checked by the caller) that defines normal; a stored series is read from its start. */
  baseline?: { fromMs: number; toMs: number } | null;
}

export interface DetectResult {
  series: StoredSeries | null;
  /** Stored ids in the order of `anomalies` (null for inline data, which is not stored). */
  ids: (string | null)[];
  anomalies: Anomaly[];
  scores: Float64Array;
  methods: WeightedMethod[];
  threshold: number;
  /** Points scored and returned (`scores` has one per point): those of the requested range. */
  pointsRead: number;
  /** The bounds detection used (the request's, or the series' setting), or null. */
  bounds: ValueBounds | null;
  /** The baseline period used, or null. */
  baseline: { fromMs: number; toMs: number } | null;
}

/** `deps.detector`: where the ensemble runs (the worker pool in the server; default this thread). */
export async function detect(deps: { sql: Sql; now: Clock; detector?: DetectFunc }, orgId: string, req: DetectRequest): Promise<DetectResult> {
  let timestamps: ArrayLike<number>;
  let values: Float64Array;
  let series: StoredSeries | null = null;
  let bounds = req.bounds ?? null;
  const baseline = req.baseline ?? null;
  /** Points before this time were read only as the baseline: neither reported nor returned. */
  let reportFromMs = -Infinity;
  if (req.source.kind === 'inline') {
    timestamps = req.source.timestampsMs;
    values = Float64Array.from(req.source.values);
  } else {
    series = await resolveOneSeries(deps.sql, orgId, req.source.key, req.source.dimensions);
    const toMs = req.source.toMs ?? deps.now().getTime();
    const fromMs = req.source.fromMs ?? toMs - defaultDetectWindowMs;
    if (fromMs > toMs) throw new AppError('validation_failed', 'from must not be after to', [{ field: 'body.from', message: 'must not be after to' }]);
    if (baseline && baseline.fromMs < fromMs) reportFromMs = fromMs;
    const raw = await readSeriesPoints(deps.sql, orgId, series.id, baseline ? Math.min(fromMs, baseline.fromMs) : fromMs, toMs, maxDetectPoints);
    timestamps = raw.timestampsMs;
    values = raw.values;
    if (req.bounds === undefined) bounds = (await readSeriesBounds(deps.sql, orgId, [series.id])).get(series.id) ?? null;
  }
  if (baseline) {
    const r = baselineRange(timestamps, baseline);
    const held = r.end - r.start;
    if (held < MIN_BASELINE_POINTS) {
      throw new AppError('validation_failed', `The baseline period holds ${held} points of the series; it needs at least ${MIN_BASELINE_POINTS}`, [
        { field: 'body.baseline', message: `holds ${held} points; needs at least ${MIN_BASELINE_POINTS}`, points: held, need: MIN_BASELINE_POINTS },
      ]);
    }
  }
  const methods = req.methods ?? [...defaultMethodsFor(req.mode)];
  const found = await (deps.detector ?? detectOnThisThread)({
    values,
    timestampsMs: timestamps instanceof Float64Array ? timestamps : Float64Array.from(timestamps),
    sensitivity: req.sensitivity,
    methods,
    mode: req.mode,
    context: req.context,
    bounds,
    baseline,
  });
  // The lead-in read for the baseline is context: the reply covers the requested range only.
  let first = 0;
  while (first < timestamps.length && timestamps[first]! < reportFromMs) first++;
  const anomalies = first ? found.anomalies.filter((a) => a.timestampMs >= reportFromMs) : found.anomalies;
  const ids: (string | null)[] = series
    ? await upsertAnomalies(deps.sql, orgId, series, anomalies, { sensitivity: req.sensitivity, mode: req.mode, detectedAt: deps.now() })
    : anomalies.map(() => null);
  return { series, ids, anomalies, scores: found.scores.subarray(first), methods, threshold: found.threshold, pointsRead: values.length - first, bounds, baseline };
}
