// Forecasts against what happened: a stored forecast against the actuals that arrived since,
// the trend over past runs, and rolling-origin backtests that compare backends on one series.
import { AppError } from '../core/errors.js';
import { readSeriesPoints } from '../metrics/series-read.js';
import type { Sql } from '../store/sql.js';
import { accuracy, maseScale, type Accuracy } from './accuracy.js';
import { frequencyMs, type Frequency } from './backend.js';
import type { BackendRegistry } from './registry.js';
import type { HistorySource } from '../metrics/history-source.js';
import { checkBackendName, loadHistory, masePeriod, type ForecastDeps } from './service.js';
import { listForecasts, type ForecastFilter, type StoredForecast } from './store.js';
import type { Labels } from '../core/labels.js';

export interface Evaluation extends Accuracy {
  forecastId: string;
  /** Forecast steps whose time has come (the rest are still in the future). */
  stepsElapsed: number;
  horizon: number;
}

/**
 * Compares a stored forecast with the series' actuals: each forecast step gets the mean of the
 * points in its bucket; steps with no point yet are skipped.
 */
export async function evaluateForecast(sql: Sql, orgId: string, f: StoredForecast, now: Date): Promise<Evaluation> {
  if (f.seriesId === null) throw new AppError('bad_request', 'This forecast was made from inline data: there is no stored series to compare it with');
  const step = frequencyMs[f.frequency];
  const endMs = f.startMs + f.horizon * step - 1;
  const raw = await readSeriesPoints(sql, orgId, f.seriesId, f.startMs, endMs, 1_000_000);
  // Bucket means as sums of value / count: finite for any finite values (a sum of two 1e308s is not).
  const bucket = (i: number) => Math.floor((raw.timestampsMs[i]! - f.startMs) / step);
  const counts = new Uint32Array(f.horizon);
  for (let i = 0; i < raw.values.length; i++) counts[bucket(i)]!++;
  const actual = new Float64Array(f.horizon).fill(Number.NaN);
  for (let i = 0; i < raw.values.length; i++) {
    const k = bucket(i);
    actual[k] = (Number.isNaN(actual[k]!) ? 0 : actual[k]!) + raw.values[i]! / counts[k]!;
  }
  const stepsElapsed = Math.max(0, Math.min(f.horizon, Math.floor((now.getTime() - f.startMs) / step) + 1));
  const figures = accuracy({
    actual,
    forecast: f.mean,
    intervals: f.levels.map((level) => ({ level, ...f.intervals[String(level)]! })),
    maseScale: f.maseScale,
  });
  return { forecastId: f.id, stepsElapsed, horizon: f.horizon, ...figures };
}

export interface AccuracyTrend {
  runs: (Evaluation & { generatedAt: string; backend: string; model: string; key: string | null; dimensions: Labels | null })[];
  /** Means over the runs that compared at least one point. */
  mean: MeanAccuracy;
}

/** Mean of the non-null values as a sum of value / count: finite whenever the values are. */
const meanOf = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b / v.length, 0) : null;
};

export type MeanAccuracy = {
  mae: number | null;
  rmse: number | null;
  mape: number | null;
  smape: number | null;
  mase: number | null;
  coverage: Record<string, number>;
  /** Figures that are null because every evaluation's was (see Accuracy.nullReasons). */
  nullReasons?: Record<string, string>;
};

const figureNames = ['mae', 'rmse', 'mape', 'smape', 'mase'] as const;

/** Each figure averaged over the evaluations that have it. */
function meanAccuracy(list: Accuracy[]): MeanAccuracy {
  const levels = [...new Set(list.flatMap((r) => Object.keys(r.coverage)))];
  const out: MeanAccuracy = {
    mae: meanOf(list.map((r) => r.mae)),
    rmse: meanOf(list.map((r) => r.rmse)),
    mape: meanOf(list.map((r) => r.mape)),
    smape: meanOf(list.map((r) => r.smape)),
    mase: meanOf(list.map((r) => r.mase)),
    coverage: Object.fromEntries(levels.map((l) => [l, meanOf(list.map((r) => r.coverage[l] ?? null))!])),
  };
  const reasons: Record<string, string> = {};
  for (const name of figureNames) {
    const reason = list.find((r) => r.nullReasons?.[name])?.nullReasons?.[name];
    if (out[name] === null && reason) reasons[name] = reason;
  }
  if (Object.keys(reasons).length) out.nullReasons = reasons;
  return out;
}

/** Evaluation of each stored forecast matching the filter (newest first), and their means. */
export async function accuracyTrend(sql: Sql, orgId: string, filter: ForecastFilter, now: Date): Promise<AccuracyTrend> {
  const { items } = await listForecasts(sql, orgId, filter);
  const runs: AccuracyTrend['runs'] = [];
  for (const f of items) {
    if (f.seriesId === null) continue;
    const e = await evaluateForecast(sql, orgId, f, now);
    runs.push({ ...e, generatedAt: f.generatedAt.toISOString(), backend: f.backend, model: f.model, key: f.key, dimensions: f.dimensions });
  }
  return { runs, mean: meanAccuracy(runs.filter((r) => r.pointsCompared > 0)) };
}

export interface BacktestOptions {
  frequency: Frequency;
  horizon: number;
  /** Origins: the last `folds` non-overlapping windows of `horizon` steps. */
  folds: number;
  backends: string[];
  levels: number[];
}

export interface BacktestResult {
  frequency: Frequency;
  horizon: number;
  historyPoints: number;
  origins: string[];
  backends: {
    backend: string;
    /** Set when the backend could not run (unavailable, too little history, failure). */
    error?: string;
    models: string[];
    folds: Accuracy[];
    mean: MeanAccuracy;
  }[];
}

/**
 * Rolling-origin evaluation: for each of the last `folds` windows of `horizon` steps, each backend
 * forecasts from the history before the window and is scored on the window. Nothing is stored; a
 * backend that fails reports its error instead of falling back (the point is the comparison).
 */
export async function backtest(deps: ForecastDeps, orgId: string, source: HistorySource, opts: BacktestOptions): Promise<BacktestResult> {
  for (const b of opts.backends) checkBackendName(deps.backends, b);
  const { grid } = await loadHistory(deps, orgId, source, opts.frequency);
  const y = grid.values;
  const step = frequencyMs[opts.frequency];
  const train0 = y.length - opts.folds * opts.horizon;
  const origins = Array.from({ length: opts.folds }, (_, k) => train0 + k * opts.horizon);
  const result: BacktestResult = { frequency: opts.frequency, horizon: opts.horizon, historyPoints: y.length, origins: origins.map((o) => new Date(grid.start + o * step).toISOString()), backends: [] };
  for (const name of opts.backends) {
    result.backends.push(await backtestBackend(deps.backends, name, y, grid.start, origins, opts));
  }
  return result;
}

async function backtestBackend(registry: BackendRegistry, name: string, y: Float64Array, start: number, origins: number[], opts: BacktestOptions): Promise<BacktestResult['backends'][number]> {
  const backend = registry.get(name)!;
  const empty = { backend: name, models: [], folds: [], mean: { mae: null, rmse: null, mape: null, smape: null, mase: null, coverage: {} } };
  const a = backend.availability();
  if (!a.available) return { ...empty, error: `unavailable: ${a.reason ?? 'unknown reason'}` };
  const need = backend.minPoints(opts.frequency, opts.horizon);
  if (origins[0]! < need) {
    return { ...empty, error: `needs at least ${need} points before the first of ${opts.folds} folds of ${opts.horizon} steps: ${need + opts.folds * opts.horizon} points in all; the history has ${y.length}` };
  }
  const folds: Accuracy[] = [];
  const models: string[] = [];
  try {
    for (const o of origins) {
      const train = y.subarray(0, o);
      const r = await backend.forecast({ values: train, start, frequency: opts.frequency, horizon: opts.horizon, levels: opts.levels });
      models.push(r.model);
      const period = masePeriod[opts.frequency];
      folds.push(accuracy({ actual: y.subarray(o, o + opts.horizon), forecast: r.mean, intervals: r.intervals, maseScale: maseScale(train, train.length > period ? period : 1) }));
    }
  } catch (err) {
    return { ...empty, models, error: `failed: ${(err as Error).message}` };
  }
  return { backend: name, models, folds, mean: meanAccuracy(folds) };
}
