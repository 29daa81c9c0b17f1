// Stored forecasts: every forecast (on demand or scheduled) is kept with what was asked, what
// answered, and its points with intervals, for evaluation against the actuals that follow.
import { defineEntity, fromRow, type Row } from '../store/entity.js';
import type { Sql } from '../store/sql.js';
import { frequencyMs, type Frequency } from './backend.js';
import type { Labels } from '../core/labels.js';

export interface StoredForecast {
  id: string;
  orgId: string;
  seriesId: number | null;
  key: string | null;
  dimensions: Labels | null;
  runId: string | null;
  backend: string;
  requestedBackend: string;
  fallbackReason: string | null;
  model: string;
  params: Record<string, unknown>;
  frequency: Frequency;
  horizon: number;
  levels: number[];
  /** Epoch ms of the first history step. */
  historyStartMs: number;
  historyPoints: number;
  filledPoints: number;
  /** Epoch ms of the first forecast step; step i is at startMs + i × frequency. */
  startMs: number;
  mean: number[];
  /** By level as a string ("80"): lower and upper bounds per step. */
  intervals: Record<string, { lower: number[]; upper: number[] }>;
  maseScale: number | null;
  generatedAt: Date;
}

export type NewForecast = Omit<StoredForecast, 'id' | 'orgId'>;

/** The forecast table (history and forecast starts in epoch ms). */
export const forecastEntity = defineEntity<StoredForecast>()('forecasts', {
  id: 'uuid', orgId: 'uuid', seriesId: 'serial?', key: 'text?', dimensions: 'jsonb?', runId: 'uuid?', backend: 'text', requestedBackend: 'text',
  fallbackReason: 'text?', model: 'text', params: 'jsonb', frequency: 'text', horizon: 'int', levels: 'float[]',
  historyStartMs: { kind: 'timestamptz_ms', column: 'history_start' }, historyPoints: 'int', filledPoints: 'int', startMs: { kind: 'timestamptz_ms', column: 'start_at' },
  mean: 'float[]', intervals: 'jsonb', maseScale: 'float?', generatedAt: 'timestamptz',
});

const columns = forecastEntity.columns;
const forecastOf = (r: Row): StoredForecast => fromRow(forecastEntity, r);

/** Stores a forecast of `orgId`; returns it with its id. */
export async function insertForecast(sql: Sql, orgId: string, f: NewForecast): Promise<StoredForecast> {
  const r = await sql.query<Row>(
    `INSERT INTO forecasts (org_id, series_id, key, dimensions, run_id, backend, requested_backend, fallback_reason, model, params, frequency, horizon,
       levels, history_start, history_points, filled_points, start_at, mean, intervals, mase_scale, generated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::float8[], $14, $15, $16, $17, $18::float8[], $19, $20, $21)
     RETURNING ${columns}`,
    [
      orgId,
      f.seriesId,
      f.key,
      f.dimensions === null ? null : JSON.stringify(f.dimensions),
      f.runId,
      f.backend,
      f.requestedBackend,
      f.fallbackReason,
      f.model,
      JSON.stringify(f.params),
      f.frequency,
      f.horizon,
      f.levels,
      new Date(f.historyStartMs),
      f.historyPoints,
      f.filledPoints,
      new Date(f.startMs),
      f.mean,
      JSON.stringify(f.intervals),
      f.maseScale,
      f.generatedAt,
    ],
  );
  return forecastOf(r.rows[0]!);
}

export async function getForecast(sql: Sql, orgId: string, id: string): Promise<StoredForecast | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM forecasts WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && forecastOf(r.rows[0]);
}

export interface ForecastFilter {
  key?: string;
  /** Series whose dimensions include these pairs. */
  dimensions?: Labels;
  backend?: string;
  runId?: string;
  /** Generated at or after / at or before, epoch ms. */
  fromMs?: number;
  toMs?: number;
  limit: number;
  /** Continue after this (generated_at, id), newest first. */
  after?: { generatedAtMs: number; id: string };
}

/** Forecasts of `orgId`, newest first. */
export async function listForecasts(sql: Sql, orgId: string, q: ForecastFilter): Promise<{ items: StoredForecast[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM forecasts
     WHERE org_id = $1
       AND ($2::text IS NULL OR key = $2)
       AND ($3::jsonb IS NULL OR dimensions @> $3::jsonb)
       AND ($4::text IS NULL OR backend = $4)
       AND ($5::uuid IS NULL OR run_id = $5)
       AND ($6::timestamptz IS NULL OR generated_at >= $6)
       AND ($7::timestamptz IS NULL OR generated_at <= $7)
       AND ($8::timestamptz IS NULL OR (generated_at, id) < ($8, $9::uuid))
     ORDER BY generated_at DESC, id DESC
     LIMIT $10`,
    [
      orgId,
      q.key ?? null,
      q.dimensions && Object.keys(q.dimensions).length ? JSON.stringify(q.dimensions) : null,
      q.backend ?? null,
      q.runId ?? null,
      q.fromMs === undefined ? null : new Date(q.fromMs),
      q.toMs === undefined ? null : new Date(q.toMs),
      q.after ? new Date(q.after.generatedAtMs) : null,
      q.after?.id ?? null,
      q.limit + 1,
    ],
  );
  return { items: r.rows.slice(0, q.limit).map(forecastOf), more: r.rows.length > q.limit };
}

/** Epoch ms of step i of a stored forecast. */
export function stepTime(f: Pick<StoredForecast, 'startMs' | 'frequency'>, i: number): number {
  return f.startMs + i * frequencyMs[f.frequency];
}

/**
 * The newest forecast of each of `seriesIds` at `frequency` with at least `minHorizon` steps and the
 * interval `level`, generated in (`after`, `atOrBefore`]: what an alert pass may reuse instead of
 * forecasting again. By series id.
 */
export async function latestForecastsOf(
  sql: Sql,
  orgId: string,
  q: { seriesIds: readonly number[]; frequency: Frequency; minHorizon: number; level: number; after: Date; atOrBefore: Date },
): Promise<Map<number, Pick<StoredForecast, 'startMs' | 'mean' | 'intervals' | 'model'>>> {
  const r = await sql.query<{ series_id: string; start_at: Date; mean: number[]; intervals: StoredForecast['intervals']; model: string }>(
    `SELECT DISTINCT ON (series_id) series_id, start_at, mean, intervals, model FROM forecasts
     WHERE org_id = $1 AND series_id = ANY($2::bigint[]) AND frequency = $3 AND horizon >= $4 AND $5::float8 = ANY(levels)
       AND generated_at > $6 AND generated_at <= $7
     ORDER BY series_id, generated_at DESC`,
    [orgId, q.seriesIds, q.frequency, q.minHorizon, q.level, q.after, q.atOrBefore],
  );
  return new Map(r.rows.map((x) => [Number(x.series_id), { startMs: x.start_at.getTime(), mean: x.mean.map(Number), intervals: x.intervals, model: x.model }]));
}
