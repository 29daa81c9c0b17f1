import type { Clock } from '../../core/clock.js';
import { Type, type Static } from 'typebox';
import { formatMatcher, parseMatchers } from '../../alert/silence.js';
import { createSilence, deleteSilence, expireSilence, getSilence, listSilences, silenceStatus, type SilenceStatus, type StoredSilence } from '../../alert/silences-store.js';
import { AppError } from '../../core/errors.js';
import type { Sql } from '../../store/sql.js';
import { decodeCursor, encodeCursor, timeParam } from '../cursor.js';
import { actorOf, authOf } from '../plugins/auth.js';
import { DateTime, TimeInput, Uuid, responses } from '../schemas.js';
import type { App } from '../types.js';

const CreateBody = Type.Object(
  {
    matchers: Type.Array(Type.Unknown(), {
      minItems: 1,
      maxItems: 64,
      description:
        'Every matcher must match the alert\'s labels (its series dimensions, the rule\'s labels, __name__ = metric key, alertname = rule name, severity): objects {name, value, isRegex?: false, isEqual?: true} or strings such as host="web-1", env!="dev", host=~"web-.*", dc!~"eu-.*". Regexes are RE2 syntax as in Alertmanager (linear-time matching; `(?i)` for case-insensitive; no backreferences or lookarounds: 400 invalid_pattern) and match the whole value; an absent label is "".',
    }),
    startsAt: Type.Optional(TimeInput),
    endsAt: TimeInput,
    comment: Type.String({ maxLength: 2000, default: '' }),
  },
  { additionalProperties: false },
);

const MatcherSchema = Type.Object({ name: Type.String(), value: Type.String(), isRegex: Type.Boolean(), isEqual: Type.Boolean(), text: Type.String({ description: 'e.g. host=~"web-.*"' }) });
const SilenceSchema = Type.Object({
  id: Uuid,
  matchers: Type.Array(MatcherSchema),
  startsAt: DateTime,
  endsAt: DateTime,
  comment: Type.String(),
  status: Type.String({ description: 'pending (not started), active or expired' }),
  createdBy: Type.Object({ kind: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }),
  createdAt: DateTime,
});

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('expired')])),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Uuid });

function silenceJson(s: StoredSilence, nowMs: number) {
  return {
    id: s.id,
    matchers: s.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex, isEqual: m.isEqual, text: formatMatcher(m) })),
    startsAt: new Date(s.startsAtMs).toISOString(),
    endsAt: new Date(s.endsAtMs).toISOString(),
    comment: s.comment,
    status: silenceStatus(s, nowMs),
    createdBy: { kind: s.createdBy.kind, id: s.createdBy.id },
    createdAt: s.createdAt.toISOString(),
  };
}

const isCursor = (p: Record<string, unknown>): p is { t: number; i: string } => Number.isSafeInteger(p.t) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i);

/** Silences: admin to create and delete, read to list. Active silences suppress matching alerts at their next evaluation. */
export function silenceRoutes(app: App, deps: { sql: Sql; now: Clock }): void {
  const tags = ['silences'];

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/silences',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Silence the alerts whose labels match, for a time',
        description: 'From startsAt (default now) until endsAt, matching alerts are suppressed (no notifications) at their next evaluation; acknowledged alerts are not touched.',
        body: CreateBody,
        response: responses({ 201: SilenceSchema }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const b = req.body;
      const now = deps.now();
      const matchers = parseMatchers(b.matchers, 'body.matchers');
      const startsAtMs = b.startsAt === undefined ? now.getTime() : timeParam(b.startsAt, 'body.startsAt');
      const endsAtMs = timeParam(b.endsAt, 'body.endsAt');
      if (endsAtMs <= startsAtMs) throw new AppError('validation_failed', 'endsAt must be after startsAt', [{ field: 'body.endsAt', message: 'must be after startsAt' }]);
      if (endsAtMs <= now.getTime()) throw new AppError('validation_failed', 'endsAt must be in the future', [{ field: 'body.endsAt', message: 'must be in the future' }]);
      const s = await createSilence(deps.sql, orgId, { matchers, startsAtMs, endsAtMs, comment: b.comment, createdBy: actorOf(req) }, now);
      return reply.code(201).send(silenceJson(s, now.getTime()));
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/silences',
    { config: { scope: 'read' }, schema: { tags, summary: 'Silences, newest first', querystring: ListQuery, response: responses({ 200: Type.Object({ items: Type.Array(SilenceSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) } },
    async (req) => {
      const q = req.query;
      const now = deps.now();
      const shape = { status: q.status ?? null, limit: q.limit };
      const after = q.cursor ? decodeCursor(q.cursor, shape, isCursor) : undefined;
      const page = await listSilences(deps.sql, authOf(req).orgId, { status: q.status as SilenceStatus | undefined, now, limit: q.limit, after: after && { createdAtMs: after.t, id: after.i } });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map((s) => silenceJson(s, now.getTime())), nextCursor: page.more && last ? encodeCursor({ t: last.createdAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/silences/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One silence', params: IdParams, response: responses({ 200: SilenceSchema }) } },
    async (req) => {
      const s = await getSilence(deps.sql, authOf(req).orgId, req.params.id);
      if (!s) throw new AppError('not_found', 'No such silence');
      return silenceJson(s, deps.now().getTime());
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/silences/:id/expire',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'End a silence now',
        description: 'As Alertmanager expires a silence: it stays listed, as expired; alerts it held back notify again at their next evaluation. Expiring an expired silence changes nothing.',
        params: IdParams,
        response: responses({ 200: SilenceSchema }),
      },
    },
    async (req) => {
      const now = deps.now();
      const s = await expireSilence(deps.sql, authOf(req).orgId, req.params.id, now);
      if (!s) throw new AppError('not_found', 'No such silence');
      return silenceJson(s, now.getTime());
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/silences/:id',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Delete a silence', description: 'Alerts it suppressed come back at their next evaluation.', params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      if (!(await deleteSilence(deps.sql, authOf(req).orgId, req.params.id))) throw new AppError('not_found', 'No such silence');
      return reply.code(204).send();
    },
  );
}
