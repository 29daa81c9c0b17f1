import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { alertEntity, getAlert, listAlerts, transitionsOf, type AlertState, type StoredAlert } from '../../alert/alerts-store.js';
import { toReply } from '../../store/entity.js';
import { replySchema } from '../entity-schema.js';
import { attemptEntity, attemptsOf, deliveriesOfAlert, deliveryEntity, getDelivery, listDeliveries, retryDeadDelivery, type Attempt, type Delivery, type DeliveryStatus } from '../../alert/deliveries-store.js';
import { alertStates } from '../../alert/lifecycle.js';
import { acknowledgeAlert, resolveAlert } from '../../alert/actions.js';
import { defaultDeliverySettings, type AlertingDeps } from '../../alert/pass/deps.js';
import { AppError } from '../../core/errors.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { actorOf, authOf } from '../plugins/auth.js';
import { DateTime, Uuid, responses } from '../schemas.js';
import type { App } from '../types.js';
import { Severity } from './alert-rules.js';

const StringMap = Type.Record(Type.String(), Type.String());
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const ActorSchema = Type.Object({ kind: Type.Union([Type.Literal('key'), Type.Literal('user'), Type.Literal('system')]), id: Nullable(Type.String()), comment: Nullable(Type.String()) });

const AlertSchema = replySchema(alertEntity, ['orgId', 'seriesId', 'createdAt'], {
  fingerprint: Type.String({ description: 'Stable per (rule, series): PagerDuty dedup_key' }),
  state: Type.String({ description: 'pending, firing, acknowledged, suppressed or resolved' }),
  dimensions: StringMap,
  labels: StringMap,
  annotations: StringMap,
  details: Type.Record(Type.String(), Type.Unknown()),
  acknowledgedBy: Nullable(ActorSchema),
  resolvedBy: Nullable(ActorSchema),
  notificationCount: Type.Integer({ description: 'Notifications sent plus firing passes swallowed by the dedup window' }),
});

const AttemptSchema = replySchema(attemptEntity, ['id', 'deliveryId'], {
  classification: Type.String({ description: "What happened in a word (http_4xx, timeout, refused_by_outbound_guard, …); the receiver's answer is never stored" }),
});
const DeliverySchema = Type.Object({
  ...replySchema(deliveryEntity, ['orgId', 'leaseUntil', 'payload'], {
    event: Type.String({ description: 'firing, acknowledged, resolved or test' }),
    status: Type.String({ description: 'pending, delivering, delivered or dead' }),
  }).properties,
  attemptLog: Type.Optional(Type.Array(AttemptSchema)),
});
const AlertDetail = Type.Intersect([
  AlertSchema,
  Type.Object({
    transitions: Type.Array(Type.Object({ at: DateTime, from: Nullable(Type.String()), to: Type.String(), actor: ActorSchema, value: Nullable(Type.Number()) })),
    notifications: Type.Array(DeliverySchema),
  }),
]);

const stateFilter = '^(open|pending|firing|acknowledged|resolved|suppressed)(,(open|pending|firing|acknowledged|resolved|suppressed))*$';
const ListQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ pattern: stateFilter, description: 'Comma-separated states; "open" stands for every state but resolved' })),
    ruleId: Type.Optional(Uuid),
    severity: Type.Optional(Severity),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
const DeliveryQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(['pending', 'delivering', 'delivered', 'dead'].map((s) => Type.Literal(s)))),
    alertId: Type.Optional(Uuid),
    channelId: Type.Optional(Uuid),
    event: Type.Optional(Type.Union(['firing', 'acknowledged', 'resolved', 'test'].map((s) => Type.Literal(s)))),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Uuid });
const ActionBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });

/** An alert as replies show it: the stored alert but its org, series and creation time. */
export const alertJson = (a: StoredAlert) => toReply(alertEntity, a, ['orgId', 'seriesId', 'createdAt']);

const attemptJson = (a: Attempt) => toReply(attemptEntity, a, ['id', 'deliveryId']);

/** A delivery as replies show it (without its org, lease and payload), with its attempts when given. */
export function deliveryJson(d: Delivery, attempts?: Attempt[]) {
  return { ...toReply(deliveryEntity, d, ['orgId', 'leaseUntil', 'payload']), ...(attempts ? { attemptLog: attempts.map(attemptJson) } : {}) };
}

function statesOf(filter: string | undefined): AlertState[] | undefined {
  if (!filter) return undefined;
  const out = new Set<AlertState>();
  for (const s of filter.split(',')) {
    if (s === 'open') for (const x of alertStates) x !== 'resolved' && out.add(x);
    else out.add(s as AlertState);
  }
  return [...out].sort();
}

/**
 * A weak ETag of a list page: a hash of the org and the page as replied, so it changes exactly when
 * what the page shows changes (the query runs either way; a match saves the body and the client's work).
 */
export function listEtag(orgId: string, body: unknown): string {
  return `W/"${createHash('sha256').update(orgId).update('\u0000').update(JSON.stringify(body)).digest('base64url').slice(0, 32)}"`;
}

/** Whether an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks for If-None-Match). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === opaque(etag));
}

const isCursor = (p: Record<string, unknown>): p is { t: number; i: string } => Number.isSafeInteger(p.t) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i);

/** Alert instances (read), acknowledgement and resolution (admin), and notification deliveries with their dead letters. */
export function alertRoutes(app: App, deps: AlertingDeps): void {
  const tags = ['alerts'];

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/alerts',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Alerts, newest first',
        description:
          'The reply carries a weak `ETag` derived from the page it shows (every alert on it as replied, and the next cursor) and `Cache-Control: private, no-cache`. ' +
          'Send it back as `If-None-Match` to poll cheaply: while the page is unchanged the answer is `304 Not Modified` with no body. ' +
          'Any transition, acknowledgement or new alert in the filter changes the tag; changes in other organisations never do.',
        querystring: ListQuery,
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String({ maxLength: 1024, description: 'An ETag of an earlier reply: 304 when the page is unchanged' })) }),
        response: responses({
          200: Type.Object({ items: Type.Array(AlertSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          304: Type.Null({ description: 'Not modified: the page is what the If-None-Match tag names (no body)' }),
        }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const { orgId } = authOf(req);
      const states = statesOf(q.state);
      const shape = { states: states ?? null, ruleId: q.ruleId ?? null, severity: q.severity ?? null, limit: q.limit };
      const after = q.cursor ? decodeCursor(q.cursor, shape, isCursor) : undefined;
      const page = await listAlerts(deps.sql, orgId, { states, ruleId: q.ruleId, severity: q.severity, limit: q.limit, after: after && { startedAtMs: after.t, id: after.i } });
      const last = page.items[page.items.length - 1];
      const body = { items: page.items.map(alertJson), nextCursor: page.more && last ? encodeCursor({ t: last.startedAt.getTime(), i: last.id }, shape) : null };
      const etag = listEtag(orgId, body);
      // The list differs per organisation and per credential: shared caches keep none of it.
      reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'Authorization, Cookie, X-Org-Id');
      if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return body;
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/alerts/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One alert with its transitions and notification deliveries (every attempt)', params: IdParams, response: responses({ 200: AlertDetail }) } },
    async (req) => {
      const { orgId } = authOf(req);
      const a = await getAlert(deps.sql, orgId, req.params.id);
      if (!a) throw new AppError('not_found', 'No such alert');
      const [transitions, deliveries] = await Promise.all([transitionsOf(deps.sql, orgId, a.id), deliveriesOfAlert(deps.sql, orgId, a.id)]);
      const attempts = await attemptsOf(deps.sql, orgId, deliveries.map((d) => d.id));
      return {
        ...alertJson(a),
        transitions: transitions.map((t) => ({ at: t.at.toISOString(), from: t.from, to: t.to, actor: t.actor, value: t.value })),
        notifications: deliveries.map((d) => deliveryJson(d, attempts.get(d.id) ?? [])),
      };
    },
  );

  for (const action of ['acknowledge', 'resolve'] as const) {
    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ActionBody> }>(
      `/api/v1/alerts/:id/${action}`,
      {
        // Members acknowledge and resolve (write); configuring rules and channels is admin.
        config: { scope: 'write' },
        // The body is optional: no body means no comment.
        preValidation: async (req) => {
          if (req.body === undefined || req.body === null) req.body = {};
        },
        schema: {
          tags,
          summary: action === 'acknowledge' ? 'Acknowledge a firing alert' : 'Resolve an open alert',
          description:
            action === 'acknowledge'
              ? 'Only a firing alert can be acknowledged (409 otherwise). Channels told of the firing are told of the acknowledgement (PagerDuty: an acknowledge event).'
              : 'From any open state (409 when resolved already). Channels told of the alert are told of the resolution (PagerDuty: a resolve event). If the condition still holds, the next evaluation opens a new alert.',
          params: IdParams,
          body: ActionBody,
          response: responses({ 200: AlertSchema }),
        },
      },
      async (req) => {
        const fn = action === 'acknowledge' ? acknowledgeAlert : resolveAlert;
        return alertJson(await fn(deps, authOf(req).orgId, req.params.id, actorOf(req), req.body.comment ?? null));
      },
    );
  }

  const dtags = ['deliveries'];
  app.get<{ Querystring: Static<typeof DeliveryQuery> }>(
    '/api/v1/deliveries',
    {
      config: { scope: 'read' },
      schema: {
        tags: dtags,
        summary: 'Notification deliveries, newest first',
        description: 'One per (alert event, channel). `status=dead`: the dead letters, deliveries that failed for good (a permanent error or every attempt used); retry them with POST /api/v1/deliveries/{id}/retry.',
        querystring: DeliveryQuery,
        response: responses({ 200: Type.Object({ items: Type.Array(DeliverySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
      },
    },
    async (req) => {
      const q = req.query;
      const shape = { status: q.status ?? null, alertId: q.alertId ?? null, channelId: q.channelId ?? null, event: q.event ?? null, limit: q.limit };
      const after = q.cursor ? decodeCursor(q.cursor, shape, isCursor) : undefined;
      const page = await listDeliveries(deps.sql, authOf(req).orgId, {
        status: q.status as DeliveryStatus | undefined,
        alertId: q.alertId,
        channelId: q.channelId,
        event: q.event as Delivery['event'] | undefined,
        limit: q.limit,
        after: after && { createdAtMs: after.t, id: after.i },
      });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map((d) => deliveryJson(d)), nextCursor: page.more && last ? encodeCursor({ t: last.createdAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/deliveries/:id',
    { config: { scope: 'read' }, schema: { tags: dtags, summary: 'One delivery with every attempt', params: IdParams, response: responses({ 200: DeliverySchema }) } },
    async (req) => {
      const { orgId } = authOf(req);
      const d = await getDelivery(deps.sql, orgId, req.params.id);
      if (!d) throw new AppError('not_found', 'No such delivery');
      return deliveryJson(d, (await attemptsOf(deps.sql, orgId, [d.id])).get(d.id) ?? []);
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/deliveries/:id/retry',
    {
      config: { scope: 'admin' },
      schema: {
        tags: dtags,
        summary: 'Retry a dead delivery',
        description: 'The delivery goes back to pending with as many attempts again as a new one gets; its attempt history stays. 409 unless it is dead.',
        params: IdParams,
        response: responses({ 202: DeliverySchema }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const r = await retryDeadDelivery(deps.sql, orgId, req.params.id, deps.delivery?.maxAttempts ?? defaultDeliverySettings.maxAttempts, deps.now());
      if (!r) throw new AppError('not_found', 'No such delivery');
      if (r === 'not_dead') throw new AppError('conflict', 'Only a dead delivery can be retried');
      deps.onDeliveriesQueued?.();
      return reply.code(202).send(deliveryJson(r));
    },
  );
}
