import { Type, type Static } from 'typebox';
import type { Logger } from '../../core/logger.js';
import { AppError } from '../../core/errors.js';
import { frequencies, frequencyMs, type Frequency } from '../../forecast/backend.js';
import { accuracyTrend, backtest, evaluateForecast } from '../../forecast/evaluate.js';
import { checkBackendName, createForecast, type ForecastDeps } from '../../forecast/service.js';
import { getForecast, listForecasts, type StoredForecast } from '../../forecast/store.js';
import { metricKeyPattern } from '../../core/labels.js';
import { decodeCursor, encodeCursor, timeParam } from '../cursor.js';
import { historySource } from '../history-source.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, Dimensions, TimeInput, Uuid, parseDimensionFilter, responses } from '../schemas.js';
import type { App } from '../types.js';

const FrequencySchema = Type.Union(frequencies.map((f) => Type.Literal(f)), { description: 'Grid step: 1m, 5m, 1h or 1d' });
const Levels = Type.Array(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100 }), {
  minItems: 1,
  maxItems: 5,
  uniqueItems: true,
  description: 'Interval levels in percent; default [80, 95]',
});
const InlineSeries = Type.Object(
  {
    timestamps: Type.Array(TimeInput, { minItems: 1, maxItems: 100_000 }),
    values: Type.Array(Type.Number(), { minItems: 1, maxItems: 100_000 }),
  },
  { additionalProperties: false, description: 'Inline history instead of key/dimensions' },
);
const Horizon = Type.Integer({ minimum: 1, maximum: 720, description: 'Steps ahead (1–720)' });

const ForecastBody = Type.Object(
  {
    key: Type.Optional(Type.String({ pattern: metricKeyPattern.source })),
    dimensions: Type.Optional(Dimensions),
    series: Type.Optional(InlineSeries),
    frequency: FrequencySchema,
    horizon: Horizon,
    backend: Type.Optional(Type.String({ maxLength: 64 })),
    levels: Type.Optional(Levels),
    from: Type.Optional(TimeInput),
    to: Type.Optional(TimeInput),
  },
  { additionalProperties: false },
);

const BacktestBody = Type.Object(
  {
    key: Type.Optional(Type.String({ pattern: metricKeyPattern.source })),
    dimensions: Type.Optional(Dimensions),
    series: Type.Optional(InlineSeries),
    frequency: FrequencySchema,
    horizon: Horizon,
    folds: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
    backends: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 5, uniqueItems: true })),
    levels: Type.Optional(Levels),
    from: Type.Optional(TimeInput),
    to: Type.Optional(TimeInput),
  },
  { additionalProperties: false },
);

const Bounds = Type.Object({ lower: Type.Number(), upper: Type.Number() });
const ForecastSchema = Type.Object({
  id: Uuid,
  backend: Type.String(),
  requestedBackend: Type.String(),
  fallbackReason: Type.Optional(Type.String()),
  model: Type.String(),
  frequency: Type.String(),
  horizon: Type.Integer(),
  levels: Type.Array(Type.Number()),
  generatedAt: DateTime,
  key: Type.Union([Type.String(), Type.Null()]),
  dimensions: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  runId: Type.Union([Type.String(), Type.Null()]),
  history: Type.Object({ start: DateTime, points: Type.Integer(), filled: Type.Integer({ description: 'Empty grid steps filled by interpolation' }) }),
  params: Type.Record(Type.String(), Type.Unknown()),
  points: Type.Array(Type.Object({ timestamp: DateTime, value: Type.Number(), intervals: Type.Record(Type.String(), Bounds) })),
});

const Figures = {
  pointsCompared: Type.Integer(),
  mae: Type.Union([Type.Number(), Type.Null()]),
  rmse: Type.Union([Type.Number(), Type.Null()]),
  mape: Type.Union([Type.Number(), Type.Null()], { description: 'Percent; zero actuals skipped' }),
  mapeSkippedZeroActuals: Type.Integer(),
  smape: Type.Union([Type.Number(), Type.Null()], { description: 'Percent, 0–200' }),
  mase: Type.Union([Type.Number(), Type.Null()]),
  coverage: Type.Record(Type.String(), Type.Number(), { description: 'Share of actuals inside each interval, by level' }),
  nullReasons: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Figures that are null although points were compared, and why (a value beyond the range of a double)' })),
};
const EvaluationSchema = Type.Object({ forecastId: Uuid, stepsElapsed: Type.Integer(), horizon: Type.Integer(), ...Figures });
const MeanFigures = Type.Object({
  mae: Figures.mae,
  rmse: Figures.rmse,
  mape: Figures.mape,
  smape: Figures.smape,
  mase: Figures.mase,
  coverage: Figures.coverage,
  nullReasons: Figures.nullReasons,
});

const ListQuery = Type.Object(
  {
    key: Type.Optional(Type.String({ pattern: metricKeyPattern.source })),
    dimensions: Type.Optional(Type.String({ maxLength: 16_384, description: 'JSON object of dimension pairs, e.g. {"host":"web-1"}' })),
    backend: Type.Optional(Type.String({ maxLength: 64 })),
    from: Type.Optional(Type.String({ maxLength: 40, description: 'Generated at or after (ISO-8601 or epoch ms)' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'Generated at or before' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
const AccuracyQuery = Type.Object(
  {
    key: Type.String({ pattern: metricKeyPattern.source }),
    dimensions: ListQuery.properties.dimensions,
    backend: ListQuery.properties.backend,
    from: ListQuery.properties.from,
    to: ListQuery.properties.to,
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  },
  { additionalProperties: false },
);

/** The API shape of a stored forecast. */
export function forecastJson(f: StoredForecast) {
  const step = frequencyMs[f.frequency];
  return {
    id: f.id,
    backend: f.backend,
    requestedBackend: f.requestedBackend,
    ...(f.fallbackReason ? { fallbackReason: f.fallbackReason } : {}),
    model: f.model,
    frequency: f.frequency,
    horizon: f.horizon,
    levels: f.levels,
    generatedAt: f.generatedAt.toISOString(),
    key: f.key,
    dimensions: f.dimensions,
    runId: f.runId,
    history: { start: new Date(f.historyStartMs).toISOString(), points: f.historyPoints, filled: f.filledPoints },
    params: f.params,
    points: f.mean.map((value, i) => ({
      timestamp: new Date(f.startMs + i * step).toISOString(),
      value,
      intervals: Object.fromEntries(f.levels.map((l) => [String(l), { lower: f.intervals[String(l)]!.lower[i]!, upper: f.intervals[String(l)]!.upper[i]! }])),
    })),
  };
}

const defaultLevels = [80, 95];

/** Forecasts on demand, stored forecasts, their evaluation, accuracy trends and backtests. */
export function forecastRoutes(app: App, deps: ForecastDeps): void {
  app.post<{ Body: Static<typeof ForecastBody> }>(
    '/api/v1/forecast',
    {
      // Making (and storing) a forecast is a member's action; reading stored ones is a viewer's.
      config: { scope: 'write' },
      schema: {
        tags: ['forecast'],
        summary: 'Forecast a stored series (key, dimensions) or inline data',
        description:
          'Raw points are averaged onto the frequency grid and gaps interpolated. A requested backend that is unavailable or fails falls back to the default (statistical); the reply says which answered and why. The forecast is stored.',
        body: ForecastBody,
        response: responses({ 200: ForecastSchema }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const b = req.body;
      const f = await createForecast({ ...deps, log: req.log as Logger }, orgId, historySource(b), { frequency: b.frequency as Frequency, horizon: b.horizon, backend: b.backend, levels: b.levels ?? defaultLevels });
      return forecastJson(f);
    },
  );

  app.get(
    '/api/v1/forecast/backends',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['forecast'],
        summary: 'Forecast backends: availability, default, capabilities',
        response: responses({
          200: Type.Object({
            backends: Type.Array(
              Type.Object({
                name: Type.String(),
                description: Type.String(),
                available: Type.Boolean(),
                reason: Type.Optional(Type.String()),
                default: Type.Boolean(),
                capabilities: Type.Object({
                  frequencies: Type.Array(Type.String()),
                  maxHorizon: Type.Integer(),
                  intervalLevels: Type.Union([Type.Array(Type.Number()), Type.Literal('any')]),
                  anomalyDetection: Type.Boolean(),
                }),
              }),
            ),
          }),
        }),
      },
    },
    async () => ({
      backends: deps.backends.list().map((b) => {
        const a = b.availability();
        return {
          name: b.name,
          description: b.description,
          available: a.available,
          ...(a.reason ? { reason: a.reason } : {}),
          default: b.name === deps.backends.defaultName,
          capabilities: { ...b.capabilities, frequencies: [...b.capabilities.frequencies], intervalLevels: b.capabilities.intervalLevels === 'any' ? ('any' as const) : [...b.capabilities.intervalLevels] },
        };
      }),
    }),
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/forecasts',
    {
      config: { scope: 'read' },
      schema: { tags: ['forecast'], summary: 'Stored forecasts, newest first', querystring: ListQuery, response: responses({ 200: Type.Object({ items: Type.Array(ForecastSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const q = req.query;
      const filter = {
        key: q.key,
        dimensions: parseDimensionFilter(q.dimensions),
        backend: q.backend,
        fromMs: q.from === undefined ? undefined : timeParam(q.from, 'querystring.from'),
        toMs: q.to === undefined ? undefined : timeParam(q.to, 'querystring.to'),
      };
      const shape = { ...filter, limit: q.limit };
      const after = q.cursor ? decodeCursor<{ g: number; i: string }>(q.cursor, shape, (p): p is { g: number; i: string } => Number.isSafeInteger(p.g) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i)) : undefined;
      const page = await listForecasts(deps.sql, orgId, { ...filter, limit: q.limit, after: after && { generatedAtMs: after.g, id: after.i } });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(forecastJson), nextCursor: page.more && last ? encodeCursor({ g: last.generatedAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/forecasts/:id',
    { config: { scope: 'read' }, schema: { tags: ['forecast'], summary: 'One stored forecast', params: Type.Object({ id: Uuid }), response: responses({ 200: ForecastSchema }) } },
    async (req) => {
      const f = await getForecast(deps.sql, authOf(req).orgId, req.params.id);
      if (!f) throw new AppError('not_found', 'No such forecast');
      return forecastJson(f);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/forecasts/:id/evaluation',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['forecast'],
        summary: 'A stored forecast against the actuals that have arrived since',
        description: 'Each forecast step is compared with the mean of the points in its bucket; steps without points yet are skipped.',
        params: Type.Object({ id: Uuid }),
        response: responses({ 200: EvaluationSchema }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const f = await getForecast(deps.sql, orgId, req.params.id);
      if (!f) throw new AppError('not_found', 'No such forecast');
      return evaluateForecast(deps.sql, orgId, f, deps.now());
    },
  );

  app.get<{ Querystring: Static<typeof AccuracyQuery> }>(
    '/api/v1/accuracy',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['forecast'],
        summary: 'Accuracy of past forecasts of a series over time',
        querystring: AccuracyQuery,
        response: responses({
          200: Type.Object({
            runs: Type.Array(
              Type.Object({
                ...EvaluationSchema.properties,
                generatedAt: DateTime,
                backend: Type.String(),
                model: Type.String(),
                key: Type.Union([Type.String(), Type.Null()]),
                dimensions: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
              }),
            ),
            mean: MeanFigures,
          }),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      return accuracyTrend(
        deps.sql,
        authOf(req).orgId,
        {
          key: q.key,
          dimensions: parseDimensionFilter(q.dimensions),
          backend: q.backend,
          fromMs: q.from === undefined ? undefined : timeParam(q.from, 'querystring.from'),
          toMs: q.to === undefined ? undefined : timeParam(q.to, 'querystring.to'),
          limit: q.limit,
        },
        deps.now(),
      );
    },
  );

  app.post<{ Body: Static<typeof BacktestBody> }>(
    '/api/v1/backtest',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['forecast'],
        summary: 'Rolling-origin evaluation of backends on one series',
        description: 'Each backend forecasts the last `folds` windows of `horizon` steps from the history before each; nothing is stored.',
        body: BacktestBody,
        response: responses({
          200: Type.Object({
            frequency: Type.String(),
            horizon: Type.Integer(),
            historyPoints: Type.Integer(),
            origins: Type.Array(DateTime),
            backends: Type.Array(
              Type.Object({
                backend: Type.String(),
                error: Type.Optional(Type.String()),
                models: Type.Array(Type.String()),
                folds: Type.Array(Type.Object(Figures)),
                mean: MeanFigures,
              }),
            ),
          }),
        }),
      },
    },
    async (req) => {
      const b = req.body;
      const backends = b.backends ?? [deps.backends.defaultName];
      for (const name of backends) checkBackendName(deps.backends, name);
      return backtest({ ...deps, log: req.log as Logger }, authOf(req).orgId, historySource(b), { frequency: b.frequency as Frequency, horizon: b.horizon, folds: b.folds, backends, levels: b.levels ?? defaultLevels });
    },
  );
}
