// What an alert pass needs from outside alert/, as function types (the way Prometheus' rules package
// declares QueryFunc and NotifyFunc; detection's is the anomaly domain's own DetectFunc). The
// composition root (src/compose.ts) passes the implementations in — the worker pool, the forecast
// service — so alert/ imports neither.
import type { DetectFunc } from '../../anomaly/detect-func.js';
import type { Clock } from '../../core/clock.js';
import type { Labels } from '../../core/labels.js';
import type { Logger } from '../../core/logger.js';
import type { Frequency } from '../../forecast/backend.js';
import type { Grid } from '../../forecast/resample.js';
import type { Sql } from '../../store/sql.js';
import type { TimeRange } from '../../core/time-range.js';

/** Runs anomaly detection over one series window (the anomaly domain's contract: the worker pool in the server). */
export type { DetectFunc };

/** One series of a rule with its samples in the read window (ascending) and the time of its newest point ever. */
export interface SeriesSamples {
  id: number;
  key: string;
  dimensions: Labels;
  timestampsMs: Float64Array;
  values: Float64Array;
  /** Epoch ms of the newest stored point (also outside the window); null when the series has none. */
  lastSeenMs: number | null;
}

/** What a rule reads: the window, at most `maxPoints` recent points (or `bucketMs` means) per series, at most `maxSeries` series. */
export interface SamplesWindow extends TimeRange {
  maxPoints: number;
  maxSeries: number;
  bucketMs?: number;
}

/**
 * Reads every series of `key` whose dimensions include `dimensions`, with its samples in `window`
 * (the metrics store's readSeriesWindows in the server); `truncated` when more series match.
 */
export type SamplesFunc = (orgId: string, key: string, dimensions: Labels, window: SamplesWindow) => Promise<{ series: SeriesSamples[]; truncated: boolean }>;

/** The series a forecast is made for, as the forecast store records it. */
export interface ForecastSeries {
  id: number;
  key: string;
  dimensions: Labels;
}

/** A stored forecast as a forecast rule reads it: step i is at startMs + i × step; intervals by level ("95"). */
export interface MadeForecast {
  startMs: number;
  mean: number[];
  intervals: Record<string, { lower: number[]; upper: number[] }>;
  model: string;
}

/**
 * Makes and stores a forecast of `grid` for `series` (the forecast service's `forecastGrid` with its
 * deps bound). Throws AppError `insufficient_data` when the history is too short.
 */
export type ForecastGridFunc = (orgId: string, grid: Grid, series: ForecastSeries, opts: { frequency: Frequency; horizon: number; levels: number[] }) => Promise<MadeForecast>;

export interface DeliverySettings {
  /** Attempts per delivery, the first included, before it is dead (a retry by hand adds as many again). */
  maxAttempts: number;
}

export const defaultDeliverySettings: DeliverySettings = { maxAttempts: 5 };

export interface AlertingDeps {
  sql: Sql;
  /** Wall clock; tests pass a controlled one. */
  now: Clock;
  /** The samples rules read. */
  samples: SamplesFunc;
  /** Detection for anomaly rules. */
  detect: DetectFunc;
  /** Forecasts for forecast rules. */
  forecast: ForecastGridFunc;
  log?: Logger;
  /** Base URL of the API for links in notifications (`{publicUrl}/api/v1/alerts/{id}`); null: no link. */
  publicUrl?: string | null;
  delivery?: Partial<DeliverySettings>;
  /** Called (not awaited) after deliveries were queued, so they go out at once (the server sends a delivery job). */
  onDeliveriesQueued?: () => void;
}

/** The delivery settings of `deps` with defaults filled in. */
export function deliverySettings(deps: Pick<AlertingDeps, 'delivery'>): DeliverySettings {
  return { ...defaultDeliverySettings, ...deps.delivery };
}
