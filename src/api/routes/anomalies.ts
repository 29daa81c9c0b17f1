import { Type, type Static } from 'typebox';
import { contextJson, getAnomaly, listAnomalies, type StoredAnomaly } from '../../anomaly/store.js';
import { detect } from '../../anomaly/service.js';
import { SEVERITY_BANDS, type Severity } from '../../anomaly/severity.js';
import { AppError } from '../../core/errors.js';
import { metricKeyPattern } from '../../core/labels.js';
import type { Sql } from '../../store/sql.js';
import type { DetectFunc } from '../../anomaly/detect-func.js';
import { BaselineSchema, BoundsSchema, baselineParam, boundsParam } from '../bounds.js';
import { decodeCursor, encodeCursor, timeParam } from '../cursor.js';
import { historySource } from '../history-source.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, Dimensions, TimeInput, Uuid, parseDimensionFilter, responses } from '../schemas.js';
import type { App } from '../types.js';
import type { Clock } from '../../core/clock.js';

const severities = ['low', 'medium', 'high', 'critical'] as const;

const DetectBody = Type.Object(
  {
    key: Type.Optional(Type.String({ pattern: metricKeyPattern.source })),
    dimensions: Type.Optional(Dimensions),
    from: Type.Optional(TimeInput),
    to: Type.Optional(TimeInput),
    series: Type.Optional(
      Type.Object(
        { timestamps: Type.Array(TimeInput, { minItems: 1, maxItems: 100_000 }), values: Type.Array(Type.Number(), { minItems: 1, maxItems: 100_000 }) },
        { additionalProperties: false, description: 'Inline data instead of key/dimensions (not stored)' },
      ),
    ),
    sensitivity: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: '0 finds nothing; higher finds more' }),
    methods: Type.Optional(Type.Array(Type.Object({ name: Type.String({ maxLength: 64 }), weight: Type.Number({ minimum: 0 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 20 })),
    mode: Type.Union([Type.Literal('batch'), Type.Literal('online')], { default: 'batch', description: 'online: causal, each score uses only earlier points' }),
    context: Type.Object({ before: Type.Integer({ minimum: 0, maximum: 100, default: 10 }), after: Type.Integer({ minimum: 0, maximum: 100, default: 10 }) }, { additionalProperties: false, default: { before: 10, after: 10 } }),
    includeScores: Type.Boolean({ default: false }),
    bounds: Type.Optional(
      Type.Union([BoundsSchema, Type.Null()], { description: 'Known value bounds; absent: a stored series\' own bounds setting; null: none (every range learnt causally)' }),
    ),
    baseline: Type.Optional(Type.Union([BaselineSchema, Type.Null()])),
  },
  { additionalProperties: false },
);

const BoundsReply = Type.Union([Type.Object({ min: Type.Number(), max: Type.Number() }), Type.Null()], { description: 'The bounds used (the request\'s or the series\' setting), null for none' });
const BaselineReply = Type.Union([Type.Object({ from: DateTime, to: DateTime }), Type.Null()], { description: 'The baseline period used, null for none' });

const ContextPoint = Type.Object({ timestamp: DateTime, value: Type.Number() });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const AnomalySchema = Type.Object({
  id: Type.Union([Uuid, Type.Null()], { description: 'null for inline data (not stored)' }),
  key: Type.Union([Type.String(), Type.Null()]),
  dimensions: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  timestamp: DateTime,
  value: Type.Number(),
  expected: Type.Union([Type.Number(), Type.Null()]),
  score: Type.Number({ description: 'Confidence 0..1' }),
  severity: Type.Union(severities.map((s) => Type.Literal(s))),
  methods: Type.Array(Type.Object({ name: Type.String(), score: Type.Number(), weight: Type.Number(), flagged: Type.Boolean() })),
  consensus: Type.Number({ description: 'Weighted share of the methods that flag the point' }),
  context: Type.Object({
    before: Type.Array(ContextPoint),
    after: Type.Array(ContextPoint),
    // Nullable: a figure beyond the double range is null (stored contexts are jsonb, where a non-finite number becomes null).
    stats: Type.Union([
      Type.Object({ mean: NullableNumber, stdDev: Type.Union([Type.Number(), Type.Null()], { description: 'null when beyond the range of a double (values near ±1e308)' }), min: NullableNumber, max: NullableNumber }),
      Type.Null(),
    ]),
  }),
  scheduleId: Type.Union([Uuid, Type.Null()], { description: 'The detection schedule that found it; null for on-demand detection' }),
});

const ListQuery = Type.Object(
  {
    key: Type.Optional(Type.String({ pattern: metricKeyPattern.source })),
    dimensions: Type.Optional(Type.String({ maxLength: 16_384, description: 'JSON object of dimension pairs, e.g. {"host":"web-1"}' })),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    minSeverity: Type.Optional(Type.Union(severities.map((s) => Type.Literal(s)))),
    scheduleId: Type.Optional(Uuid),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

function storedJson(a: StoredAnomaly) {
  return {
    id: a.id,
    key: a.key,
    dimensions: a.dimensions,
    timestamp: new Date(a.timestampMs).toISOString(),
    value: a.value,
    expected: a.expected,
    score: a.score,
    severity: a.severity,
    methods: a.methods,
    consensus: a.consensus,
    context: a.context,
    scheduleId: a.scheduleId,
  };
}

const bands = `Severity by score: ${SEVERITY_BANDS.map((b) => `${b.severity} ≥ ${b.min}`).join(', ')}, low below.`;

/** Anomaly detection on demand and the stored anomalies. */
export function anomalyRoutes(app: App, deps: { sql: Sql; now: Clock; detector?: DetectFunc }): void {
  app.post<{ Body: Static<typeof DetectBody> }>(
    '/api/v1/anomalies/detect',
    {
      // Detection stores what it finds: a member's action (viewers read stored anomalies).
      config: { scope: 'write' },
      schema: {
        tags: ['anomalies'],
        summary: 'Find anomalies in a stored series (stored, ids stable per point) or inline data',
        description: `A weighted ensemble of methods scores every point 0..1; points at or above the sensitivity's threshold are anomalies. Values outside the known bounds (the request's \`bounds\`, else a stored series' setting) score 1. With \`baseline\`, points after it are judged against that period alone. ${bands}`,
        body: DetectBody,
        response: responses({
          200: Type.Object({
            anomalies: Type.Array(AnomalySchema),
            scores: Type.Optional(Type.Array(Type.Number())),
            methods: Type.Array(Type.Object({ name: Type.String(), weight: Type.Number() })),
            threshold: Type.Number({ description: 'The score an anomaly needed at this sensitivity' }),
            pointsAnalysed: Type.Integer({ description: 'Points of the requested range scored (a baseline before `from` is read too, as context)' }),
            bounds: BoundsReply,
            baseline: BaselineReply,
          }),
        }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const b = req.body;
      const source = historySource(b);
      const bounds = b.bounds ? boundsParam(b.bounds, 'body.bounds') : b.bounds;
      const baseline = b.baseline ? baselineParam(b.baseline, 'body.baseline') : null;
      const r = await detect(deps, orgId, { source, sensitivity: b.sensitivity, methods: b.methods, mode: b.mode, context: b.context, bounds, baseline });
      return {
        anomalies: r.anomalies.map((a, i) => ({
          id: r.ids[i]!,
          key: r.series?.key ?? null,
          dimensions: r.series?.dimensions ?? null,
          timestamp: new Date(a.timestampMs).toISOString(),
          value: a.value,
          expected: Number.isFinite(a.expected) ? a.expected : null,
          score: a.score,
          severity: a.severity,
          methods: a.methods,
          consensus: a.consensus,
          context: contextJson(a),
          scheduleId: null,
        })),
        ...(b.includeScores ? { scores: Array.from(r.scores) } : {}),
        methods: r.methods.map((m) => ({ name: m.name, weight: m.weight })),
        threshold: r.threshold,
        pointsAnalysed: r.pointsRead,
        bounds: r.bounds,
        baseline: r.baseline && { from: new Date(r.baseline.fromMs).toISOString(), to: new Date(r.baseline.toMs).toISOString() },
      };
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/anomalies',
    {
      config: { scope: 'read' },
      schema: { tags: ['anomalies'], summary: 'Stored anomalies, newest first', querystring: ListQuery, response: responses({ 200: Type.Object({ items: Type.Array(AnomalySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) },
    },
    async (req) => {
      const q = req.query;
      const filter = {
        key: q.key,
        dimensions: parseDimensionFilter(q.dimensions),
        fromMs: q.from === undefined ? undefined : timeParam(q.from, 'querystring.from'),
        toMs: q.to === undefined ? undefined : timeParam(q.to, 'querystring.to'),
        minSeverity: q.minSeverity as Severity | undefined,
        scheduleId: q.scheduleId,
      };
      const shape = { ...filter, limit: q.limit };
      const after = q.cursor ? decodeCursor<{ t: number; i: string }>(q.cursor, shape, (p): p is { t: number; i: string } => Number.isSafeInteger(p.t) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i)) : undefined;
      const page = await listAnomalies(deps.sql, authOf(req).orgId, { ...filter, limit: q.limit, after: after && { timestampMs: after.t, id: after.i } });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(storedJson), nextCursor: page.more && last ? encodeCursor({ t: last.timestampMs, i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/anomalies/:id',
    { config: { scope: 'read' }, schema: { tags: ['anomalies'], summary: 'One stored anomaly', params: Type.Object({ id: Uuid }), response: responses({ 200: AnomalySchema }) } },
    async (req) => {
      const a = await getAnomaly(deps.sql, authOf(req).orgId, req.params.id);
      if (!a) throw new AppError('not_found', 'No such anomaly');
      return storedJson(a);
    },
  );
}
