import { Type, type Static } from 'typebox';
import { AppError } from '../../core/errors.js';
import { frequencies, type Frequency } from '../../forecast/backend.js';
import type { BackendRegistry } from '../../forecast/registry.js';
import { forecastRunJob, runScheduleNow } from '../../forecast/scheduler.js';
import { checkBackendName } from '../../forecast/service.js';
import { createSchedule, deleteSchedule, getSchedule, listRuns, listSchedules, runEntity, scheduleEntity, setPaused, type Run, type Schedule } from '../../forecast/schedules.js';
import { toReply } from '../../store/entity.js';
import { replySchema } from '../entity-schema.js';
import { metricKeyPattern } from '../../core/labels.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Sql } from '../../store/sql.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { authOf } from '../plugins/auth.js';
import { Dimensions, Uuid, responses } from '../schemas.js';
import type { App } from '../types.js';
import type { Clock } from '../../core/clock.js';

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    key: Type.String({ pattern: metricKeyPattern.source }),
    dimensions: Type.Optional(Dimensions),
    frequency: Type.Union(frequencies.map((f) => Type.Literal(f))),
    horizon: Type.Integer({ minimum: 1, maximum: 720 }),
    backend: Type.Optional(Type.String({ maxLength: 64 })),
    levels: Type.Optional(Type.Array(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100 }), { minItems: 1, maxItems: 5, uniqueItems: true })),
    schedule: Type.String({ minLength: 1, maxLength: 100, description: 'hourly, daily or a 5-field cron expression (UTC), e.g. "*/15 * * * *"' }),
  },
  { additionalProperties: false },
);

const ScheduleSchema = replySchema(scheduleEntity, ['orgId'], {
  dimensions: Type.Record(Type.String(), Type.String()),
  cron: Type.String({ description: 'The UTC cron the schedule runs on' }),
});

const RunSchema = replySchema(runEntity, ['orgId'], {
  status: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
});

const PageQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }), cursor: Type.Optional(Type.String({ maxLength: 512 })) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Uuid });

const scheduleJson = (s: Schedule) => toReply(scheduleEntity, s, ['orgId']);
const runJson = (r: Run) => toReply(runEntity, r, ['orgId']);

const isCursor = (p: Record<string, unknown>): p is { t: number; i: string } => Number.isSafeInteger(p.t) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i);

/** Forecast schedules (admin to change, read to list) and their runs. */
export function forecastScheduleRoutes(app: App, deps: { sql: Sql; backends: BackendRegistry; now: Clock; jobs?: JobQueue }): void {
  const tags = ['forecast schedules'];
  const found = async (orgId: string, id: string) => {
    const s = await getSchedule(deps.sql, orgId, id);
    if (!s) throw new AppError('not_found', 'No such forecast schedule');
    return s;
  };

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/forecast-schedules',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Forecast the series a selector matches on a schedule',
        description: 'Every series of key whose dimensions include the given pairs is forecast on each run; runs are jobs that retry with backoff.',
        body: CreateBody,
        response: responses({ 201: ScheduleSchema }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      checkBackendName(deps.backends, b.backend);
      const s = await createSchedule(
        deps.sql,
        authOf(req).orgId,
        { name: b.name, key: b.key, dimensions: b.dimensions ?? {}, frequency: b.frequency as Frequency, horizon: b.horizon, backend: b.backend ?? null, levels: b.levels ?? [80, 95], schedule: b.schedule },
        deps.now(),
      );
      return reply.code(201).send(scheduleJson(s));
    },
  );

  app.get<{ Querystring: Static<typeof PageQuery> }>(
    '/api/v1/forecast-schedules',
    { config: { scope: 'read' }, schema: { tags, summary: 'Forecast schedules in creation order', querystring: PageQuery, response: responses({ 200: Type.Object({ items: Type.Array(ScheduleSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) } },
    async (req) => {
      const shape = { limit: req.query.limit };
      const after = req.query.cursor ? decodeCursor(req.query.cursor, shape, isCursor) : undefined;
      const page = await listSchedules(deps.sql, authOf(req).orgId, req.query.limit, after && { createdAtMs: after.t, id: after.i });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(scheduleJson), nextCursor: page.more && last ? encodeCursor({ t: last.createdAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/forecast-schedules/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One forecast schedule', params: IdParams, response: responses({ 200: ScheduleSchema }) } },
    async (req) => scheduleJson(await found(authOf(req).orgId, req.params.id)),
  );

  for (const [action, paused] of [['pause', true], ['resume', false]] as const) {
    app.post<{ Params: Static<typeof IdParams> }>(
      `/api/v1/forecast-schedules/:id/${action}`,
      {
        config: { scope: 'admin' },
        schema: { tags, summary: paused ? 'Pause a schedule (no runs until resumed)' : 'Resume a schedule at its next tick (missed ticks are skipped)', params: IdParams, response: responses({ 200: ScheduleSchema }) },
      },
      async (req) => {
        const s = await setPaused(deps.sql, authOf(req).orgId, req.params.id, paused, deps.now());
        if (!s) throw new AppError('not_found', 'No such forecast schedule');
        return scheduleJson(s);
      },
    );
  }

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/forecast-schedules/:id',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Delete a schedule and its runs (forecasts stay)', params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      if (!(await deleteSchedule(deps.sql, authOf(req).orgId, req.params.id))) throw new AppError('not_found', 'No such forecast schedule');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/forecast-schedules/:id/run',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Run a schedule now (also when paused)', params: IdParams, response: responses({ 202: RunSchema }) } },
    async (req, reply) => {
      const { orgId } = authOf(req);
      await found(orgId, req.params.id);
      const jobs = deps.jobs;
      if (!jobs) throw new AppError('service_unavailable', 'The job queue is not running on this server');
      const run = await runScheduleNow(deps.sql, orgId, req.params.id, deps.now(), (data) => jobs.send(forecastRunJob, data));
      if (!run) throw new AppError('conflict', 'A run of this schedule for this instant exists already; retry in a moment');
      return reply.code(202).send(runJson(run));
    },
  );

  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof PageQuery> }>(
    '/api/v1/forecast-schedules/:id/runs',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Runs of a schedule, newest first', params: IdParams, querystring: PageQuery, response: responses({ 200: Type.Object({ items: Type.Array(RunSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) },
    },
    async (req) => {
      const { orgId } = authOf(req);
      await found(orgId, req.params.id);
      const shape = { id: req.params.id, limit: req.query.limit };
      const after = req.query.cursor ? decodeCursor(req.query.cursor, shape, isCursor) : undefined;
      const page = await listRuns(deps.sql, orgId, req.params.id, req.query.limit, after && { scheduledForMs: after.t, id: after.i });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(runJson), nextCursor: page.more && last ? encodeCursor({ t: last.scheduledFor.getTime(), i: last.id }, shape) : null };
    },
  );
}
