import { Type, type Static, type TOptional, type TProperties } from 'typebox';
import { getChannels } from '../../alert/channels-store.js';
import { removeRule } from '../../alert/actions.js';
import type { AlertingDeps } from '../../alert/pass/deps.js';
import type { PassResult } from '../../alert/pass/result.js';
import { evaluateRuleNow } from '../../alert/pass/run.js';
import { changedRuleInput, newRuleInput } from '../../alert/rule-input.js';
import { Condition, ruleKinds } from '../../alert/rules/index.js';
import { literals } from '../../alert/rules/kind.js';
import { createRule, getRule, listRules, ruleEntity, updateRule, type StoredRule } from '../../alert/store.js';
import { getDetectionSchedule } from '../../anomaly/schedules.js';
import { AppError } from '../../core/errors.js';
import { metricKeyPattern } from '../../core/labels.js';
import { alertSeverities } from '../../notify/notifier.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { actorOf, authOf } from '../plugins/auth.js';
import { DateTime, Dimensions, Uuid, responses } from '../schemas.js';
import type { App } from '../types.js';
import { toReply } from '../../store/entity.js';
import { replySchema } from '../entity-schema.js';

export const Severity = literals(alertSeverities);

const LabelMap = Type.Record(Type.String({ pattern: metricKeyPattern.source }), Type.String({ maxLength: 1024 }), { maxProperties: 32, additionalProperties: false });
const AnnotationMap = Type.Record(Type.String({ pattern: metricKeyPattern.source }), Type.String({ maxLength: 4096 }), {
  maxProperties: 32,
  additionalProperties: false,
  description:
    'Templates rendered for each alert when it is written (Prometheus’ alert template subset: `{{ $labels.host }}`, `{{ $value | humanize }}`); a rendered `summary` is the alert’s summary. Checked on create and change: 400 naming the annotation and the line and column.',
});

const ruleFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  key: Type.String({ pattern: metricKeyPattern.source, description: 'Metric key the rule watches' }),
  dimensions: Dimensions,
  severity: Severity,
  labels: LabelMap,
  annotations: AnnotationMap,
  evaluationIntervalSeconds: Type.Integer({ minimum: 60, maximum: 86_400 }),
  channels: Type.Array(Uuid, { maxItems: 20, uniqueItems: true, description: 'Channel ids notified of the alerts' }),
  dedupWindowSeconds: Type.Integer({ minimum: 0, maximum: 7 * 86_400, description: 'While an alert stays open, repeated firings within this window send nothing' }),
  repeatIntervalSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400, description: 'Re-notify an open alert this long after its last notification (0 = never)' }),
  enabled: Type.Boolean(),
  condition: Condition,
};

/** Every property of `props`, optional. */
const optional = <T extends TProperties>(props: T) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof T]: TOptional<T[K]> };

// Name, key and condition are required on create; a patch needs at least one field.
const CreateBody = Type.Object({ ...optional(ruleFields), name: ruleFields.name, key: ruleFields.key, condition: ruleFields.condition }, { additionalProperties: false });
const PatchBody = Type.Object(optional(ruleFields), { additionalProperties: false, minProperties: 1 });

const StringMap = Type.Record(Type.String(), Type.String());
const ActorRefSchema = Type.Union(
  [Type.Object({ kind: Type.Union([Type.Literal('user'), Type.Literal('key'), Type.Literal('system')]), id: Type.Union([Type.String(), Type.Null()]) }), Type.Null()],
  { description: 'The user or API key that did it; null for rules written before this was recorded' },
);
export const RuleSchema = replySchema(ruleEntity, ['orgId'], {
  createdBy: ActorRefSchema,
  updatedBy: ActorRefSchema,
  dimensions: StringMap,
  labels: StringMap,
  annotations: StringMap,
  condition: Type.Record(Type.String(), Type.Unknown(), { description: 'As given, with defaults filled in' }),
});

const SeriesRef = Type.Object({ key: Type.String(), dimensions: StringMap });
const EvaluateResult = Type.Object({
  ruleId: Uuid,
  evaluatedAt: DateTime,
  seriesCount: Type.Integer(),
  truncated: Type.Boolean({ description: 'More series matched than one pass evaluates' }),
  series: Type.Array(
    Type.Object({
      seriesId: Type.String(),
      ...SeriesRef.properties,
      status: Type.String({ description: 'Condition status: inactive, pending or firing' }),
      value: Type.Union([Type.Number(), Type.Null()]),
      summary: Type.String(),
      alertId: Type.Union([Uuid, Type.Null()]),
      alertState: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  transitions: Type.Array(
    Type.Object({
      alertId: Uuid,
      fingerprint: Type.String(),
      ...SeriesRef.properties,
      from: Type.Union([Type.String(), Type.Null()]),
      to: Type.String(),
      at: DateTime,
      value: Type.Union([Type.Number(), Type.Null()]),
      summary: Type.String(),
    }),
  ),
  notifications: Type.Integer({ description: 'Deliveries queued by this pass' }),
  errors: Type.Array(Type.String(), { description: 'Series that could not be evaluated and why' }),
});

const ListQuery = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    kind: Type.Optional(literals(ruleKinds)),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Uuid });


/** A rule as replies show it: the stored rule but its org. */
export const ruleJson = (r: StoredRule) => toReply(ruleEntity, r, ['orgId']);

export function passJson(p: PassResult) {
  return {
    ruleId: p.ruleId,
    evaluatedAt: p.evaluatedAt.toISOString(),
    seriesCount: p.seriesCount,
    truncated: p.truncated,
    series: p.series,
    transitions: p.transitions.map((t) => ({ ...t, at: t.at.toISOString() })),
    notifications: p.notifications,
    errors: p.errors,
  };
}

/** A condition whose kind is missing or unknown: a 400 listing the kinds (before schema validation, whose message cannot). */
async function checkKind(req: { body: unknown }): Promise<void> {
  const c = (req.body as { condition?: unknown } | null)?.condition;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return;
  const kind = (c as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(ruleKinds as readonly string[]).includes(kind)) {
    const message = `must be one of ${ruleKinds.join(', ')}`;
    throw new AppError('validation_failed', `condition.kind ${message}`, [{ field: 'body.condition.kind', message }]);
  }
}

const isCursor = (p: Record<string, unknown>): p is { t: number; i: string } => Number.isSafeInteger(p.t) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i);

/** Alert rules: admin to change, read to list; evaluate one now. */
export function alertRuleRoutes(app: App, deps: AlertingDeps): void {
  const tags = ['alert rules'];
  const found = async (orgId: string, id: string) => {
    const r = await getRule(deps.sql, orgId, id);
    if (!r) throw new AppError('not_found', 'No such alert rule');
    return r;
  };
  /** Every channel id must name a channel of the org: a 400 naming each one that does not. */
  const checkChannels = async (orgId: string, ids: readonly string[]) => {
    const known = new Set((await getChannels(deps.sql, orgId, ids)).map((c) => c.id));
    const bad = ids.map((id, i) => ({ id, i })).filter((x) => !known.has(x.id));
    if (bad.length) {
      throw new AppError(
        'validation_failed',
        `No such channel: ${bad.map((b) => b.id).join(', ')}`,
        bad.map((b) => ({ field: `body.channels[${b.i}]`, message: 'is not a channel of this organisation' })),
      );
    }
  };
  /** An anomaly condition's detection schedule must be one of the org's: a 400 naming the field otherwise. */
  const checkDetectionSchedule = async (orgId: string, condition: { kind: string; detectionScheduleId?: string }) => {
    const id = condition.kind === 'anomaly' ? condition.detectionScheduleId : undefined;
    if (id && !(await getDetectionSchedule(deps.sql, orgId, id))) {
      throw new AppError('validation_failed', `No such detection schedule: ${id}`, [{ field: 'body.condition.detectionScheduleId', message: 'is not a detection schedule of this organisation' }]);
    }
  };
  const conflict = (name: string) => new AppError('conflict', `An alert rule named "${name}" exists already`, [{ field: 'body.name', message: 'is taken' }]);

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/alert-rules',
    {
      config: { scope: 'admin' },
      preValidation: checkKind,
      schema: {
        tags,
        summary: 'Create an alert rule',
        description: 'Every series of `key` whose dimensions include `dimensions` is its own alert instance. The rule is evaluated every `evaluationIntervalSeconds` (first at the next minute).',
        body: CreateBody,
        response: responses({ 201: RuleSchema }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const b = req.body;
      const input = newRuleInput(b);
      await checkChannels(orgId, input.channels);
      await checkDetectionSchedule(orgId, input.condition);
      try {
        return reply.code(201).send(ruleJson(await createRule(deps.sql, orgId, input, deps.now(), actorOf(req))));
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw conflict(b.name);
        throw err;
      }
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/alert-rules',
    { config: { scope: 'read' }, schema: { tags, summary: 'Alert rules in creation order', querystring: ListQuery, response: responses({ 200: Type.Object({ items: Type.Array(RuleSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) } },
    async (req) => {
      const q = req.query;
      const shape = { enabled: q.enabled ?? null, kind: q.kind ?? null, limit: q.limit };
      const after = q.cursor ? decodeCursor(q.cursor, shape, isCursor) : undefined;
      const page = await listRules(deps.sql, authOf(req).orgId, { enabled: q.enabled, kind: q.kind, limit: q.limit, after: after && { createdAtMs: after.t, id: after.i } });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(ruleJson), nextCursor: page.more && last ? encodeCursor({ t: last.createdAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/alert-rules/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One alert rule', params: IdParams, response: responses({ 200: RuleSchema }) } },
    async (req) => ruleJson(await found(authOf(req).orgId, req.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/api/v1/alert-rules/:id',
    {
      config: { scope: 'admin' },
      preValidation: checkKind,
      schema: {
        tags,
        summary: 'Change an alert rule',
        description: 'Fields given replace the stored ones (a condition is replaced whole). A changed condition, key or dimension filter forgets the series’ evaluation state; open alerts resolve at the next pass if the new condition does not hold.',
        params: IdParams,
        body: PatchBody,
        response: responses({ 200: RuleSchema }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const old = await found(orgId, req.params.id);
      const b = req.body;
      const input = changedRuleInput(old, b);
      if (b.channels) await checkChannels(orgId, input.channels);
      if (b.condition) await checkDetectionSchedule(orgId, input.condition);
      try {
        const r = await updateRule(deps.sql, orgId, req.params.id, input, deps.now(), actorOf(req));
        if (!r) throw new AppError('not_found', 'No such alert rule');
        return ruleJson(r);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw conflict(input.name);
        throw err;
      }
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/alert-rules/:id',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Delete an alert rule', description: 'Its alerts stay in the history (rule name kept); open ones are resolved and the resolution is notified.', params: IdParams, response: responses({ 204: Type.Null() }) },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      if (!(await removeRule(deps, authOf(req).orgId, req.params.id, { ...actor, comment: 'rule deleted' }))) throw new AppError('not_found', 'No such alert rule');
      // The row is gone: its deletion is recorded on the alerts it resolved and here, in the log.
      req.log.info({ ruleId: req.params.id, actor }, 'alert rule deleted');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/alert-rules/:id/evaluate',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Evaluate a rule now',
        description: 'One evaluation pass over every matching series (also for a disabled rule): alert transitions are stored and notified as in a scheduled pass, and returned.',
        params: IdParams,
        response: responses({ 200: EvaluateResult }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const rule = await found(orgId, req.params.id);
      return passJson(await evaluateRuleNow(deps, rule));
    },
  );
}
