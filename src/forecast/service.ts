// Forecasting as a use case: read the history (a stored series or inline data), put it on the
// frequency grid, run the requested backend with fallback to the default, store the result.
import type { Logger } from '../core/logger.js';
import { AppError } from '../core/errors.js';
import { resolveOneSeries, type HistorySource } from '../metrics/history-source.js';
import { readSeriesPoints, type StoredSeries } from '../metrics/series-read.js';
import type { Sql } from '../store/sql.js';
import { maseScale } from './accuracy.js';
import { BackendError, frequencyMs, type BackendResult, type ForecastBackend, type Frequency } from './backend.js';
import type { BackendRegistry } from './registry.js';
import { resample, type Grid } from './resample.js';
import { insertForecast, type StoredForecast } from './store.js';
import type { Clock } from '../core/clock.js';

/**
 * The most history (grid steps) a forecast reads: two weeks at 1m, four weeks at 5m, twenty
 * weeks at 1h, three years at 1d — several cycles of the longest seasonality looked for.
 */
export const maxHistorySteps: Record<Frequency, number> = { '1m': 20_160, '5m': 8_064, '1h': 3_360, '1d': 1_095 };

/** The seasonal lag of the MASE denominator at each frequency (daily cycle; weekly at 1d). */
export const masePeriod: Record<Frequency, number> = { '1m': 1_440, '5m': 288, '1h': 24, '1d': 7 };

export interface ForecastDeps {
  sql: Sql;
  backends: BackendRegistry;
  now: Clock;
  log?: Logger;
  /** How long a backend may take before it counts as failed, ms (default 60 s). */
  backendTimeoutMs?: number;
}

export interface ForecastOptions {
  frequency: Frequency;
  /** Steps ahead, 1..720. */
  horizon: number;
  /** The backend asked for; the default when absent. */
  backend?: string;
  /** Interval levels in percent. */
  levels: number[];
  /** The scheduled run this forecast belongs to. */
  runId?: string;
}

/** Throws a 400 when `name` is not a registered backend. */
export function checkBackendName(backends: BackendRegistry, name: string | undefined): void {
  if (name !== undefined && !backends.get(name)) {
    const known = backends.list().map((b) => b.name);
    throw new AppError('validation_failed', `Unknown backend "${name}"; known backends: ${known.join(', ')}`, [{ field: 'body.backend', message: `must be one of ${known.join(', ')}` }]);
  }
}

/** The history on the frequency grid: the stored series' points in [from, to] or the inline data. */
export async function loadHistory(
  deps: Pick<ForecastDeps, 'sql' | 'now'>,
  orgId: string,
  source: HistorySource,
  frequency: Frequency,
): Promise<{ grid: Grid; series?: StoredSeries }> {
  const step = frequencyMs[frequency];
  const maxSteps = maxHistorySteps[frequency];
  if (source.kind === 'inline') return { grid: resample(source.timestampsMs, source.values, step, maxSteps) };
  const series = await resolveOneSeries(deps.sql, orgId, source.key, source.dimensions);
  return { grid: await loadSeriesGrid(deps, orgId, series, frequency, source.fromMs, source.toMs), series };
}

/** A stored series' points in [from, to] (default: the most history a forecast reads, up to now) on the grid. */
export async function loadSeriesGrid(deps: Pick<ForecastDeps, 'sql' | 'now'>, orgId: string, series: StoredSeries, frequency: Frequency, from?: number, to?: number): Promise<Grid> {
  const step = frequencyMs[frequency];
  const maxSteps = maxHistorySteps[frequency];
  const toMs = to ?? deps.now().getTime();
  const fromMs = from ?? toMs - maxSteps * step;
  if (fromMs > toMs) throw new AppError('validation_failed', 'from must not be after to', [{ field: 'body.from', message: 'must not be after to' }]);
  // Raw points per step can be many (10 s scrapes at 1h): read enough for the grid's span.
  const raw = await readSeriesPoints(deps.sql, orgId, series.id, fromMs, toMs, 500_000);
  return resample(raw.timestampsMs, raw.values, step, maxSteps);
}

interface Outcome {
  backend: ForecastBackend;
  result: BackendResult;
  fallbackReason: string | null;
}

/** Why `backend` cannot serve this request, or undefined when it can. */
function unfitReason(backend: ForecastBackend, grid: Grid, opts: ForecastOptions): string | undefined {
  const a = backend.availability();
  if (!a.available) return `${backend.name} is unavailable: ${a.reason ?? 'unknown reason'}`;
  const c = backend.capabilities;
  if (!c.frequencies.includes(opts.frequency)) return `${backend.name} does not support frequency ${opts.frequency}`;
  if (opts.horizon > c.maxHorizon) return `${backend.name} forecasts at most ${c.maxHorizon} steps`;
  if (c.intervalLevels !== 'any') {
    const allowed = c.intervalLevels;
    const missing = opts.levels.filter((l) => !allowed.includes(l));
    if (missing.length) return `${backend.name} does not produce ${missing.join(', ')}% intervals`;
  }
  const need = backend.minPoints(opts.frequency, opts.horizon);
  if (grid.values.length < need) return `${backend.name} needs at least ${need} points at ${opts.frequency}; the history has ${grid.values.length}`;
  return undefined;
}

function checkResult(backend: string, r: BackendResult, horizon: number, levels: number[]): void {
  const bad = (a: ArrayLike<number>) => a.length !== horizon || !Array.prototype.every.call(a, Number.isFinite);
  if (bad(r.mean)) throw new BackendError(`${backend} returned a forecast that is not ${horizon} finite values`, backend);
  for (const level of levels) {
    const iv = r.intervals.find((i) => i.level === level);
    if (!iv || bad(iv.lower) || bad(iv.upper)) throw new BackendError(`${backend} returned no valid ${level}% interval`, backend);
  }
}

async function attempt(deps: ForecastDeps, backend: ForecastBackend, grid: Grid, opts: ForecastOptions): Promise<BackendResult> {
  const signal = AbortSignal.timeout(deps.backendTimeoutMs ?? 60_000);
  const timedOut = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new BackendError(`${backend.name} took longer than ${(deps.backendTimeoutMs ?? 60_000) / 1000} s`, backend.name, true)), { once: true }));
  const r = await Promise.race([backend.forecast({ values: grid.values, start: grid.start, frequency: opts.frequency, horizon: opts.horizon, levels: opts.levels, signal }), timedOut]);
  checkResult(backend.name, r, opts.horizon, opts.levels);
  return floorAtZero(r, grid.values);
}

/**
 * A history that never was negative gets no negative forecast or bound, whichever backend answered
 * (a CPU percentage, a request count). Raising values to 0 keeps the intervals ordered and nested.
 */
function floorAtZero(r: BackendResult, history: Float64Array): BackendResult {
  for (let i = 0; i < history.length; i++) if (history[i]! < 0) return r;
  const up = (a: Float64Array) => Float64Array.from(a, (v) => Math.max(0, v));
  return { ...r, mean: up(r.mean), intervals: r.intervals.map((iv) => ({ level: iv.level, lower: up(iv.lower), upper: up(iv.upper) })) };
}

/** Runs the requested backend, falling back to the default when it cannot serve or fails. */
async function runWithFallback(deps: ForecastDeps, grid: Grid, opts: ForecastOptions): Promise<Outcome> {
  const fallback = deps.backends.get(deps.backends.defaultName)!;
  const requested = deps.backends.get(opts.backend ?? fallback.name)!;
  let fallbackReason: string | null = null;
  if (requested !== fallback) {
    const reason = unfitReason(requested, grid, opts);
    if (!reason) {
      try {
        return { backend: requested, result: await attempt(deps, requested, grid, opts), fallbackReason: null };
      } catch (err) {
        fallbackReason = `${requested.name} failed: ${(err as Error).message}`;
        deps.log?.warn({ err, backend: requested.name }, 'forecast backend failed; falling back');
      }
    } else fallbackReason = reason;
  }
  const need = fallback.minPoints(opts.frequency, opts.horizon);
  if (grid.values.length < need) {
    throw new AppError('insufficient_data', `A forecast at ${opts.frequency} needs at least ${need} points of history on the ${opts.frequency} grid; found ${grid.values.length}`, {
      needed: need,
      found: grid.values.length,
      frequency: opts.frequency,
    });
  }
  return { backend: fallback, result: await attempt(deps, fallback, grid, opts), fallbackReason };
}

/** Forecasts a grid and stores the forecast. */
export async function forecastGrid(deps: ForecastDeps, orgId: string, grid: Grid, series: StoredSeries | undefined, opts: ForecastOptions): Promise<StoredForecast> {
  const { backend, result, fallbackReason } = await runWithFallback(deps, grid, opts);
  const step = frequencyMs[opts.frequency];
  const intervals: StoredForecast['intervals'] = {};
  for (const level of opts.levels) {
    const iv = result.intervals.find((i) => i.level === level)!;
    intervals[String(level)] = { lower: Array.from(iv.lower), upper: Array.from(iv.upper) };
  }
  const period = masePeriod[opts.frequency];
  return insertForecast(deps.sql, orgId, {
    seriesId: series?.id ?? null,
    key: series?.key ?? null,
    dimensions: series?.dimensions ?? null,
    runId: opts.runId ?? null,
    backend: backend.name,
    requestedBackend: opts.backend ?? deps.backends.defaultName,
    fallbackReason,
    model: result.model,
    params: result.params ?? {},
    frequency: opts.frequency,
    horizon: opts.horizon,
    levels: opts.levels,
    historyStartMs: grid.start,
    historyPoints: grid.values.length,
    filledPoints: grid.filled,
    startMs: grid.start + grid.values.length * step,
    mean: Array.from(result.mean),
    intervals,
    maseScale: maseScale(grid.values, grid.values.length > period ? period : 1),
    generatedAt: deps.now(),
  });
}

/** `POST /api/v1/forecast`: history → grid → backend (with fallback) → stored forecast. */
export async function createForecast(deps: ForecastDeps, orgId: string, source: HistorySource, opts: ForecastOptions): Promise<StoredForecast> {
  checkBackendName(deps.backends, opts.backend);
  const { grid, series } = await loadHistory(deps, orgId, source, opts.frequency);
  return forecastGrid(deps, orgId, grid, series, opts);
}
