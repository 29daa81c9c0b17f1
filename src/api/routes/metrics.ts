import { Type, type Static } from 'typebox';
import { AppError } from '../../core/errors.js';
import { metricKeyPattern } from '../../core/labels.js';
import { getRetention } from '../../metrics/points/retention.js';
import { aggregations, listSeries, queryRange, steps, type Aggregation, type Step } from '../../metrics/query.js';
import type { Sql } from '../../store/sql.js';
import { decodeCursor, encodeCursor, timeParam } from '../cursor.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, Dimensions, TimeInput, parseDimensionFilter, responses } from '../schemas.js';
import type { App } from '../types.js';
import { RetentionFigures } from './retention.js';

const CatalogQuery = Type.Object(
  {
    prefix: Type.Optional(Type.String({ maxLength: 200 })),
    dimensions: Type.Optional(Type.String({ maxLength: 16_384, description: 'JSON object of dimension pairs every listed series must have, e.g. {"host":"web-1"}' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const QueryBody = Type.Object(
  {
    key: Type.String({ pattern: metricKeyPattern.source }),
    dimensions: Type.Optional(Dimensions),
    from: TimeInput,
    to: TimeInput,
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
    step: Type.Optional(Type.Union(Object.keys(steps).map((s) => Type.Literal(s)))),
    aggregation: Type.Optional(Type.Union(aggregations.map((a) => Type.Literal(a)))),
  },
  { additionalProperties: false },
);

const SeriesSchema = Type.Object({
  key: Type.String(),
  dimensions: Type.Record(Type.String(), Type.String()),
  points: Type.Array(
    Type.Object({
      timestamp: DateTime,
      value: Type.Union([Type.Number(), Type.Null()], { description: 'null only for a sum beyond the range of a double (reason says so)' }),
      reason: Type.Optional(Type.String()),
    }),
  ),
});

/** The series catalogue and range queries over stored points. */
export function metricRoutes(app: App, deps: { sql: Sql }): void {
  app.get<{ Querystring: Static<typeof CatalogQuery> }>(
    '/api/v1/metrics',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['query'],
        summary: "The series catalogue: key, dimensions, first and last timestamp, point count, known bounds; and the organisation's retention",
        querystring: CatalogQuery,
        response: responses({
          200: Type.Object({
            series: Type.Array(
              Type.Object({
                key: Type.String(),
                dimensions: Type.Record(Type.String(), Type.String()),
                firstTimestamp: Type.Union([DateTime, Type.Null()]),
                lastTimestamp: Type.Union([DateTime, Type.Null()]),
                pointCount: Type.Integer(),
                bounds: Type.Union([Type.Object({ min: Type.Number(), max: Type.Number() }), Type.Null()], { description: 'The series\' known value bounds (PUT /api/v1/series/settings), null when unknown' }),
              }),
            ),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
            retention: Type.Object(RetentionFigures.properties, { description: "How long the organisation's points are kept, days (GET/PUT /api/v1/retention)" }),
          }),
        }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const dimensions = parseDimensionFilter(req.query.dimensions);
      const shape = { prefix: req.query.prefix ?? null, dimensions };
      const after = req.query.cursor
        ? decodeCursor<{ k: string; s: number }>(req.query.cursor, shape, (p): p is { k: string; s: number } => typeof p.k === 'string' && Number.isSafeInteger(p.s))
        : undefined;
      const page = await listSeries(deps.sql, orgId, { keyPrefix: req.query.prefix, dimensions, limit: req.query.limit, after: after && { key: after.k, seriesId: after.s } });
      const last = page.items[page.items.length - 1];
      const { settings: retention } = await getRetention(deps.sql, orgId);
      return {
        series: page.items.map((e) => ({
          key: e.key,
          dimensions: e.dimensions,
          firstTimestamp: e.firstMs === null ? null : new Date(e.firstMs).toISOString(),
          lastTimestamp: e.lastMs === null ? null : new Date(e.lastMs).toISOString(),
          pointCount: e.pointCount,
          bounds: e.bounds,
        })),
        nextCursor: page.more && last ? encodeCursor({ k: last.key, s: last.seriesId }, shape) : null,
        retention,
      };
    },
  );

  app.post<{ Body: Static<typeof QueryBody> }>(
    '/api/v1/query',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['query'],
        summary: 'Points of every series of a key whose dimensions include the given pairs, in a time range',
        description: 'from and to are inclusive. With step, points are bucketed from the Unix epoch and aggregated (default avg). Pages are keyed by series and time: stable while data arrives.',
        body: QueryBody,
        response: responses({ 200: Type.Object({ series: Type.Array(SeriesSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const b = req.body;
      const fromMs = timeParam(b.from, 'body.from');
      const toMs = timeParam(b.to, 'body.to');
      if (fromMs > toMs) throw new AppError('validation_failed', 'from must not be after to', [{ field: 'body.from', message: 'must not be after to' }]);
      if (b.aggregation && !b.step) throw new AppError('validation_failed', 'aggregation needs a step (1m, 5m, 1h or 1d)', [{ field: 'body.aggregation', message: 'needs step' }]);
      const dimensions = b.dimensions ?? {};
      const step = b.step as Step | undefined;
      const aggregation = (b.aggregation ?? 'avg') as Aggregation;
      const shape = { key: b.key, dimensions, fromMs, toMs, step: step ?? null, aggregation: step ? aggregation : null };
      const after = b.cursor
        ? decodeCursor<{ s: number; t: number }>(b.cursor, shape, (p): p is { s: number; t: number } => Number.isSafeInteger(p.s) && Number.isSafeInteger(p.t))
        : undefined;
      const page = await queryRange(deps.sql, orgId, { key: b.key, dimensions, fromMs, toMs, limit: b.limit, step, aggregation, after: after && { seriesId: after.s, tsMs: after.t } });
      return {
        series: page.series.map((s) => ({ key: s.key, dimensions: s.dimensions, points: s.points.map((p) => ({ timestamp: new Date(p.tsMs).toISOString(), value: p.value, ...(p.reason ? { reason: p.reason } : {}) })) })),
        nextCursor: page.next ? encodeCursor({ s: page.next.seriesId, t: page.next.tsMs }, shape) : null,
      };
    },
  );
}
