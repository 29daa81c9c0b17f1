// Detection schedules: continuous online anomaly detection over the series a key and dimension filter
// select (admin to change, read to list). Built in issue 16.
import { Type, type Static, type TOptional, type TSchema } from 'typebox';
import type { DetectFunc } from '../../anomaly/detect-func.js';
import { AnomalyError } from '../../anomaly/errors.js';
import type { WeightedMethod } from '../../anomaly/registry.js';
import {
  createDetectionSchedule,
  deleteDetectionSchedule,
  detectionScheduleEntity,
  getDetectionSchedule,
  listDetectionSchedules,
  listScheduleSeries,
  markDue,
  updateDetectionSchedule,
  type BaselinePeriod,
  type DetectionSchedule,
  type DetectionScheduleChange,
} from '../../anomaly/schedules.js';
import { checkMethods } from '../../anomaly/validate.js';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import { metricKeyPattern } from '../../core/labels.js';
import { detectionRunJob } from '../../jobs/names.js';
import type { JobQueue } from '../../jobs/queue.js';
import { toReply } from '../../store/entity.js';
import type { Sql } from '../../store/sql.js';
import { BaselineSchema, BoundsSchema, baselineParam, boundsParam } from '../bounds.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { replySchema } from '../entity-schema.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, Dimensions, Uuid, responses } from '../schemas.js';
import type { App } from '../types.js';

const MethodList = Type.Array(Type.Object({ name: Type.String({ maxLength: 64 }), weight: Type.Number({ minimum: 0 }) }, { additionalProperties: false }), {
  minItems: 1,
  maxItems: 20,
  description: 'Methods and weights as /api/v1/anomalies/detect takes them; null or absent: the default ensemble',
});

const settings = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  intervalSeconds: Type.Integer({ minimum: 60, maximum: 86_400, description: 'Seconds between runs (default 60)' }),
  sensitivity: Type.Number({ minimum: 0, maximum: 1, description: 'Detection sensitivity: higher finds more (default 0.5)' }),
  methods: Type.Union([MethodList, Type.Null()]),
  bounds: Type.Union([BoundsSchema, Type.Null()], { description: 'Known value bounds of every series; null: each series\' own bounds setting' }),
  baseline: Type.Union([BaselineSchema, Type.Null()]),
  paused: Type.Boolean(),
};
/** Every property of `o`, optional. */
const opt = <T extends Record<string, TSchema>>(o: T) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof T]: TOptional<T[K]> };

const CreateBody = Type.Object(
  {
    ...opt(settings),
    name: settings.name,
    key: Type.String({ pattern: metricKeyPattern.source }),
    dimensions: Type.Optional(Dimensions),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(opt(settings), { additionalProperties: false, minProperties: 1 });

const ScheduleSchema = replySchema(detectionScheduleEntity, ['orgId', 'revision'], {
  dimensions: Type.Record(Type.String(), Type.String()),
  methods: Type.Union([Type.Array(Type.Object({ name: Type.String(), weight: Type.Number() })), Type.Null()]),
  bounds: Type.Union([Type.Object({ min: Type.Number(), max: Type.Number() }), Type.Null()]),
  baseline: Type.Union([Type.Object({ from: DateTime, to: DateTime }), Type.Null()]),
  seriesCount: Type.Integer({ description: 'Series the last run selected' }),
});

const SeriesSchema = Type.Object({
  seriesId: Type.String(),
  key: Type.String(),
  dimensions: Type.Record(Type.String(), Type.String()),
  lastPointAt: Type.Union([DateTime, Type.Null()], { description: 'The last point detected; null until a run has read the series' }),
  lastRunAt: DateTime,
  pointsProcessed: Type.Integer(),
  anomaliesFound: Type.Integer(),
  stateBytes: Type.Integer({ description: 'Bytes of the stateful methods\' saved state' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

const PageQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }), cursor: Type.Optional(Type.String({ maxLength: 512 })) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Uuid });

const scheduleJson = (s: DetectionSchedule) => toReply(detectionScheduleEntity, s, ['orgId', 'revision']);
const isCursor = (p: Record<string, unknown>): p is { t: number; i: string } => Number.isSafeInteger(p.t) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i);

/** Methods as given, refused (400 naming the field) unless every one is known, once, with weights summing above 0. */
function methodsParam(list: WeightedMethod[] | null | undefined): WeightedMethod[] | null | undefined {
  if (!list) return list;
  try {
    checkMethods(list);
  } catch (err) {
    if (err instanceof AnomalyError) throw new AppError('validation_failed', err.message, [{ field: 'body.methods', message: err.message }]);
    throw err;
  }
  return list.map((m) => ({ name: m.name, weight: m.weight }));
}

function baselineOf(b: Static<typeof BaselineSchema> | null | undefined): BaselinePeriod | null | undefined {
  if (!b) return b;
  const p = baselineParam(b, 'body.baseline');
  return { from: new Date(p.fromMs).toISOString(), to: new Date(p.toMs).toISOString() };
}

export function detectionScheduleRoutes(app: App, deps: { sql: Sql; now: Clock; detector?: DetectFunc; jobs?: JobQueue }): void {
  const tags = ['detection schedules'];
  const found = async (orgId: string, id: string) => {
    const s = await getDetectionSchedule(deps.sql, orgId, id);
    if (!s) throw new AppError('not_found', 'No such detection schedule');
    return s;
  };

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/detection-schedules',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Detect anomalies continuously in the series a selector matches',
        description:
          'Every intervalSeconds, each series of key whose dimensions include the given pairs (at most 1000) is detected online over the points that arrived since the last run, continuing from its saved state; the anomalies found are stored with the schedule\'s id and can feed anomaly alert rules (condition.detectionScheduleId).',
        body: CreateBody,
        response: responses({ 201: ScheduleSchema }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const s = await createDetectionSchedule(
        deps.sql,
        authOf(req).orgId,
        {
          name: b.name,
          key: b.key,
          dimensions: b.dimensions ?? {},
          intervalSeconds: b.intervalSeconds ?? 60,
          sensitivity: b.sensitivity ?? 0.5,
          methods: methodsParam(b.methods) ?? null,
          bounds: b.bounds ? boundsParam(b.bounds, 'body.bounds') : null,
          baseline: baselineOf(b.baseline) ?? null,
          paused: b.paused ?? false,
        },
        deps.now(),
      );
      return reply.code(201).send(scheduleJson(s));
    },
  );

  app.get<{ Querystring: Static<typeof PageQuery> }>(
    '/api/v1/detection-schedules',
    { config: { scope: 'read' }, schema: { tags, summary: 'Detection schedules in creation order', querystring: PageQuery, response: responses({ 200: Type.Object({ items: Type.Array(ScheduleSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) } },
    async (req) => {
      const shape = { limit: req.query.limit };
      const after = req.query.cursor ? decodeCursor(req.query.cursor, shape, isCursor) : undefined;
      const page = await listDetectionSchedules(deps.sql, authOf(req).orgId, req.query.limit, after && { createdAtMs: after.t, id: after.i });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(scheduleJson), nextCursor: page.more && last ? encodeCursor({ t: last.createdAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/detection-schedules/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One detection schedule', params: IdParams, response: responses({ 200: ScheduleSchema }) } },
    async (req) => scheduleJson(await found(authOf(req).orgId, req.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/api/v1/detection-schedules/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Change a detection schedule',
        description: 'A change of sensitivity, methods, bounds or baseline drops the saved states: every series relearns from its recent history at the next run. Pausing stops the runs; resuming runs at the next minute.',
        params: IdParams,
        body: PatchBody,
        response: responses({ 200: ScheduleSchema }),
      },
    },
    async (req) => {
      const b = req.body;
      const change: DetectionScheduleChange = {
        name: b.name,
        intervalSeconds: b.intervalSeconds,
        sensitivity: b.sensitivity,
        methods: methodsParam(b.methods),
        bounds: b.bounds ? boundsParam(b.bounds, 'body.bounds') : b.bounds,
        baseline: baselineOf(b.baseline),
        paused: b.paused,
      };
      const s = await updateDetectionSchedule(deps.sql, authOf(req).orgId, req.params.id, change, deps.now());
      if (!s) throw new AppError('not_found', 'No such detection schedule');
      return scheduleJson(s);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/detection-schedules/:id',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Delete a detection schedule and its saved states (its stored anomalies stay)', params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      if (!(await deleteDetectionSchedule(deps.sql, authOf(req).orgId, req.params.id))) throw new AppError('not_found', 'No such detection schedule');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/detection-schedules/:id/run',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Run a detection schedule now, whatever its interval',
        description: 'Queues a run (also of a paused schedule); where this server runs no job queue, the schedule is marked due and the next minute\'s tick runs it.',
        params: IdParams,
        response: responses({ 202: Type.Object({ queued: Type.Literal(true) }) }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const s = await found(orgId, req.params.id);
      if (deps.jobs) await deps.jobs.send(detectionRunJob, { orgId, scheduleId: s.id });
      else await markDue(deps.sql, orgId, s.id, deps.now());
      return reply.code(202).send({ queued: true as const });
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/detection-schedules/:id/series',
    { config: { scope: 'read' }, schema: { tags, summary: 'Where the schedule stands in each series it has detected (at most 1000)', params: IdParams, response: responses({ 200: Type.Object({ items: Type.Array(SeriesSchema) }) }) } },
    async (req) => {
      const { orgId } = authOf(req);
      await found(orgId, req.params.id);
      return { items: await listScheduleSeries(deps.sql, orgId, req.params.id) };
    },
  );
}
