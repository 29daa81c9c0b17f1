// A series' settings (its known value bounds), read and set through the API. One series, named by its
// key and exact dimensions; another organisation's series is as absent as one that never existed.
import { Type, type Static } from 'typebox';
import { AppError } from '../../core/errors.js';
import { metricKeyPattern } from '../../core/labels.js';
import { getSeriesSettings, setSeriesBounds, type SeriesSettings } from '../../metrics/series-settings.js';
import type { Sql } from '../../store/sql.js';
import { BoundsSchema, boundsParam } from '../bounds.js';
import { authOf } from '../plugins/auth.js';
import { Dimensions, parseDimensionFilter, responses } from '../schemas.js';
import type { App } from '../types.js';

const SettingsSchema = Type.Object({
  key: Type.String(),
  dimensions: Type.Record(Type.String(), Type.String()),
  bounds: Type.Union([Type.Object({ min: Type.Number(), max: Type.Number() }), Type.Null()], { description: 'The known value bounds, null when unknown' }),
});

const SettingsQuery = Type.Object(
  {
    key: Type.String({ pattern: metricKeyPattern.source }),
    dimensions: Type.Optional(Type.String({ maxLength: 16_384, description: 'JSON object of the series\' exact dimensions, e.g. {"host":"web-1"}; none: {}' })),
  },
  { additionalProperties: false },
);

const SettingsBody = Type.Object(
  {
    key: Type.String({ pattern: metricKeyPattern.source }),
    dimensions: Type.Optional(Dimensions),
    bounds: Type.Union([BoundsSchema, Type.Null()], { description: 'The known bounds, or null to clear them (detection then learns every range causally)' }),
  },
  { additionalProperties: false },
);

const json = (s: SeriesSettings) => ({ key: s.key, dimensions: s.dimensions, bounds: s.bounds });
const missing = (key: string, dimensions: Record<string, string>) => new AppError('not_found', `No series ${key} with exactly the dimensions ${JSON.stringify(dimensions)}`);

export function seriesSettingsRoutes(app: App, deps: { sql: Sql }): void {
  app.get<{ Querystring: Static<typeof SettingsQuery> }>(
    '/api/v1/series/settings',
    {
      config: { scope: 'read' },
      schema: { tags: ['query'], summary: 'One series\' settings (its known value bounds), by key and exact dimensions', querystring: SettingsQuery, response: responses({ 200: SettingsSchema }) },
    },
    async (req) => {
      const dimensions = parseDimensionFilter(req.query.dimensions);
      const s = await getSeriesSettings(deps.sql, authOf(req).orgId, req.query.key, dimensions);
      if (!s) throw missing(req.query.key, dimensions);
      return json(s);
    },
  );

  app.put<{ Body: Static<typeof SettingsBody> }>(
    '/api/v1/series/settings',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['query'],
        summary: 'Set one series\' settings: its known value bounds (or null), used by anomaly detection when a request gives none',
        body: SettingsBody,
        response: responses({ 200: SettingsSchema }),
      },
    },
    async (req) => {
      const b = req.body;
      const dimensions = b.dimensions ?? {};
      const bounds = b.bounds === null ? null : boundsParam(b.bounds, 'body.bounds');
      const s = await setSeriesBounds(deps.sql, authOf(req).orgId, b.key, dimensions, bounds);
      if (!s) throw missing(b.key, dimensions);
      return json(s);
    },
  );
}
