// Anomaly detection as a use case: read the series (stored or inline), run the ensemble, store what
// was found in a stored series (ids stay stable per point), return it.
import { AppError } from '../core/errors.js';
import { resolveOneSeries, type HistorySource } from '../metrics/history-source.js';
import { readSeriesPoints, type StoredSeries } from '../metrics/series-read.js';
import type { Sql } from '../store/sql.js';
import { detectOnThisThread, type DetectFunc } from './detect-func.js';
import type { DetectionMode } from './detector.js';
import type { Anomaly } from './ensemble.js';
import { defaultMethods, type WeightedMethod } from './registry.js';
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
}

export interface DetectResult {
  series: StoredSeries | null;
  /** Stored ids in the order of `anomalies` (null for inline data, which is not stored). */
  ids: (string | null)[];
  anomalies: Anomaly[];
  scores: Float64Array;
  methods: WeightedMethod[];
  threshold: number;
  pointsRead: number;
}

/** `deps.detector`: where the ensemble runs (the worker pool in the server; default this thread). */
export async function detect(deps: { sql: Sql; now: Clock; detector?: DetectFunc }, orgId: string, req: DetectRequest): Promise<DetectResult> {
  let timestamps: ArrayLike<number>;
  let values: Float64Array;
  let series: StoredSeries | null = null;
  if (req.source.kind === 'inline') {
    timestamps = req.source.timestampsMs;
    values = Float64Array.from(req.source.values);
  } else {
    series = await resolveOneSeries(deps.sql, orgId, req.source.key, req.source.dimensions);
    const toMs = req.source.toMs ?? deps.now().getTime();
    const fromMs = req.source.fromMs ?? toMs - defaultDetectWindowMs;
    if (fromMs > toMs) throw new AppError('validation_failed', 'from must not be after to', [{ field: 'body.from', message: 'must not be after to' }]);
    const raw = await readSeriesPoints(deps.sql, orgId, series.id, fromMs, toMs, maxDetectPoints);
    timestamps = raw.timestampsMs;
    values = raw.values;
  }
  const methods = req.methods ?? [...defaultMethods];
  const found = await (deps.detector ?? detectOnThisThread)({ values, timestampsMs: timestamps instanceof Float64Array ? timestamps : Float64Array.from(timestamps), sensitivity: req.sensitivity, methods, mode: req.mode, context: req.context });
  const ids: (string | null)[] = series
    ? await upsertAnomalies(deps.sql, orgId, series, found.anomalies, { sensitivity: req.sensitivity, mode: req.mode, detectedAt: deps.now() })
    : found.anomalies.map(() => null);
  return { series, ids, anomalies: found.anomalies, scores: found.scores, methods, threshold: found.threshold, pointsRead: values.length };
}
