import { Type, type Static } from 'typebox';
import { dropChannelGroups } from '../../alert/grouping/store.js';
import { groupingDefaults, groupingLimits, parseGrouping, sameGroupBy, type Grouping } from '../../alert/grouping/config.js';
import { channelEntity, createChannel, deleteChannel, getChannel, listChannels, updateChannel, type StoredChannel } from '../../alert/channels-store.js';
import { toReply } from '../../store/entity.js';
import { replySchema } from '../entity-schema.js';
import { testChannel, type DeliveryDeps } from '../../alert/delivery.js';
import { strictOutboundGuard } from '../../net/outbound.js';
import { checkDestinations } from '../../notify/validate.js';
import { rulesUsingChannel } from '../../alert/store.js';
import { AppError } from '../../core/errors.js';
import { channelTypes, notifierFor } from '../../notify/registry.js';
import { generateWebhookSecret } from '../../notify/webhook/notifier.js';
import type { Notifier } from '../../notify/notifier.js';
import { getOrg } from '../../tenancy/orgs.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { authOf } from '../plugins/auth.js';
import { Uuid, responses } from '../schemas.js';
import type { App } from '../types.js';

const ChannelType = Type.Union(channelTypes.map((t) => Type.Literal(t)));
const Config = Type.Record(Type.String(), Type.Unknown(), { description: "The channel type's configuration; secrets are never shown again (see the type's documentation)" });

const seconds = (k: 'groupWaitSeconds' | 'groupIntervalSeconds' | 'repeatIntervalSeconds', what: string) =>
  Type.Integer({ minimum: groupingLimits[k][0], maximum: groupingLimits[k][1], description: `${what}, s (default ${groupingDefaults[k]})` });
const groupingFields = {
  groupBy: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    minItems: 1,
    maxItems: groupingLimits.groupByNames,
    description: 'Label names whose values make a group (alertname, severity, __name__, dimensions, rule labels), or exactly ["..."]: every distinct label set is its own group',
  }),
  groupWaitSeconds: seconds('groupWaitSeconds', "Wait before a new group's first notification"),
  groupIntervalSeconds: seconds('groupIntervalSeconds', 'Wait between looks at a group after its first notification; alerts arriving meanwhile go out together'),
  repeatIntervalSeconds: seconds('repeatIntervalSeconds', 'A group whose alerts still fire is notified again after this long'),
};
const GroupingInput = Type.Union(
  [
    Type.Object(
      { groupBy: groupingFields.groupBy, groupWaitSeconds: Type.Optional(groupingFields.groupWaitSeconds), groupIntervalSeconds: Type.Optional(groupingFields.groupIntervalSeconds), repeatIntervalSeconds: Type.Optional(groupingFields.repeatIntervalSeconds) },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: "Alertmanager-style grouping: alerts of one group are notified together, one message per group (null: one message per alert event). Not for type alertmanager, which groups itself." },
);
const GroupingPatch = Type.Union(
  [
    Type.Object(
      { groupBy: Type.Optional(groupingFields.groupBy), groupWaitSeconds: Type.Optional(groupingFields.groupWaitSeconds), groupIntervalSeconds: Type.Optional(groupingFields.groupIntervalSeconds), repeatIntervalSeconds: Type.Optional(groupingFields.repeatIntervalSeconds) },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { description: 'Merged into the current grouping (null turns grouping off). Changing groupBy or turning grouping off drops the pending groups: grouping starts over.' },
);

const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: ChannelType,
    config: Config,
    enabled: Type.Boolean({ default: true }),
    grouping: Type.Optional(GroupingInput),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON merge patch of the configuration: given fields replace, null removes; secrets not given stay' })),
    enabled: Type.Optional(Type.Boolean()),
    grouping: Type.Optional(GroupingPatch),
  },
  { additionalProperties: false, minProperties: 1 },
);

const ChannelSchema = replySchema(channelEntity, ['orgId'], {
  config: Type.Record(Type.String(), Type.Unknown(), { description: 'Redacted: secrets show as "********"' }),
  grouping: Type.Union([Type.Object(groupingFields), Type.Null()], { description: 'How the channel groups alerts (Alertmanager-style), or null: one message per alert event' }),
});
const CreatedSchema = Type.Intersect([
  ChannelSchema,
  Type.Object({ generatedSecret: Type.Optional(Type.String({ description: 'webhook: the signing secret generated because none was given; shown only in this response' })) }),
]);
const TestSchema = Type.Object({
  deliveryId: Uuid,
  ok: Type.Boolean(),
  status: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status or SMTP reply code' }),
  classification: Type.String({
    description:
      "What happened, in a word: http_2xx, http_3xx, http_4xx, http_5xx, smtp_2xx, smtp_4xx, smtp_5xx, smtp_error, timeout, aborted, connection_refused, connection_reset, dns_error, tls_error, network_error, refused_by_outbound_guard, notifier_error. The receiver's answer itself is never shown or stored.",
  }),
  error: Type.Union([Type.String(), Type.Null()], { description: "Why it failed, in the platform's words (never the receiver's)" }),
  durationMs: Type.Number(),
});

const ListQuery = Type.Object(
  { type: Type.Optional(ChannelType), limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }), cursor: Type.Optional(Type.String({ maxLength: 512 })) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Uuid });

/** The channel as the API shows it: the configuration through the notifier's redact. */
export function channelJson(c: StoredChannel) {
  let config: Record<string, unknown>;
  try {
    const n: Notifier = notifierFor(c.type);
    config = n.redact(n.parseConfig(c.config));
  } catch {
    config = {}; // a configuration that no longer parses shows nothing rather than its raw secrets
  }
  return { ...toReply(channelEntity, c, ['orgId']), config };
}

/** `config.x` from the notifier becomes `body.config.x`, as for every other field of a body. */
function inBody(err: unknown): unknown {
  if (err instanceof AppError && err.code === 'validation_failed' && Array.isArray(err.details)) {
    const details = (err.details as { field: string; message: string }[]).map((d) => ({ ...d, field: d.field.startsWith('body.') ? d.field : `body.${d.field}` }));
    return new AppError('validation_failed', err.message, details);
  }
  return err;
}

/** RFC 7386 JSON merge patch of one level of objects (nested objects merge too). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const isCursor = (p: Record<string, unknown>): p is { t: number; i: string } => Number.isSafeInteger(p.t) && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i);

/** Notification channels: admin to change and test, read to list. Secrets are never returned. */
export function channelRoutes(app: App, deps: DeliveryDeps): void {
  const tags = ['channels'];
  const found = async (orgId: string, id: string) => {
    const c = await getChannel(deps.sql, orgId, id);
    if (!c) throw new AppError('not_found', 'No such channel');
    return c;
  };
  const outbound = deps.outbound ?? strictOutboundGuard;
  /** Parses a configuration and refuses literal internal destinations the guard does not allow. */
  const check = (notifier: Notifier, config: unknown) => {
    checkDestinations(notifier.type, notifier.destinations(notifier.parseConfig(config)), outbound);
  };
  const conflict = (name: string) => new AppError('conflict', `A channel named "${name}" exists already`, [{ field: 'body.name', message: 'is taken' }]);

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/channels',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create a notification channel',
        description: `Types: ${channelTypes.join(', ')}. The configuration is validated by the type's notifier; secrets in it are stored and never shown again. A webhook without a secret gets a generated one, returned once as generatedSecret. A destination that is a literal internal address (loopback, private, link-local, unique-local, carrier-grade NAT, multicast, unspecified, in any spelling) or localhost is refused (400) unless OUTBOUND_ALLOWED_CIDRS allows it; host names are checked address by address when connecting. \`grouping\` (Alertmanager's group_by, group_wait, group_interval, repeat_interval) sends the alerts of one group in one message per flush; acknowledgements and tests still go out one by one.`,
        body: CreateBody,
        response: responses({ 201: CreatedSchema }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const b = req.body;
      const notifier = notifierFor(b.type);
      let config: Record<string, unknown> = b.config;
      let generatedSecret: string | undefined;
      if (b.type === 'webhook' && (config.secret === undefined || config.secret === null)) {
        generatedSecret = generateWebhookSecret();
        config = { ...config, secret: generatedSecret };
      }
      try {
        check(notifier, config);
      } catch (err) {
        throw inBody(err);
      }
      const grouping = parseGrouping(b.grouping, b.type) ?? null;
      const c = await createChannel(deps.sql, orgId, { name: b.name, type: b.type, config, enabled: b.enabled, grouping }, deps.now());
      if (!c) throw conflict(b.name);
      return reply.code(201).send({ ...channelJson(c), ...(generatedSecret ? { generatedSecret } : {}) });
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/channels',
    { config: { scope: 'read' }, schema: { tags, summary: 'Channels in creation order (configurations redacted)', querystring: ListQuery, response: responses({ 200: Type.Object({ items: Type.Array(ChannelSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }) } },
    async (req) => {
      const q = req.query;
      const shape = { type: q.type ?? null, limit: q.limit };
      const after = q.cursor ? decodeCursor(q.cursor, shape, isCursor) : undefined;
      const page = await listChannels(deps.sql, authOf(req).orgId, { type: q.type, limit: q.limit, after: after && { createdAtMs: after.t, id: after.i } });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(channelJson), nextCursor: page.more && last ? encodeCursor({ t: last.createdAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/channels/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One channel (configuration redacted)', params: IdParams, response: responses({ 200: ChannelSchema }) } },
    async (req) => channelJson(await found(authOf(req).orgId, req.params.id)),
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof PatchBody> }>(
    '/api/v1/channels/:id',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Change a channel', description: 'The type cannot change. `config` and `grouping` are JSON merge patches: secrets not mentioned stay as stored; `grouping: null` turns grouping off.', params: IdParams, body: PatchBody, response: responses({ 200: ChannelSchema }) },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const old = await found(orgId, req.params.id);
      const b = req.body;
      const config = b.config ? (mergePatch(old.config, b.config) as Record<string, unknown>) : old.config;
      if (b.config) {
        try {
          check(notifierFor(old.type), config);
        } catch (err) {
          throw inBody(err);
        }
      }
      const grouping: Grouping | null = b.grouping === undefined ? old.grouping : (parseGrouping(b.grouping === null ? null : mergePatch(old.grouping, b.grouping), old.type) ?? null);
      const name = b.name ?? old.name;
      const c = await updateChannel(deps.sql, orgId, old.id, { name, config, enabled: b.enabled ?? old.enabled, grouping }, deps.now());
      if (c === 'conflict') throw conflict(name);
      if (!c) throw new AppError('not_found', 'No such channel');
      // Groups made by another groupBy would mix two ways of grouping: start over.
      if (!sameGroupBy(old.grouping, grouping)) await dropChannelGroups(deps.sql, orgId, c.id);
      return channelJson(c);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/channels/:id',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Delete a channel and its delivery records', description: '409 while alert rules still name it: remove it from them first.', params: IdParams, response: responses({ 204: Type.Null() }) },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      await found(orgId, req.params.id);
      const users = await rulesUsingChannel(deps.sql, orgId, req.params.id);
      if (users.length) throw new AppError('conflict', `The channel is used by alert rules: ${users.map((r) => r.name).join(', ')}`, { rules: users });
      if (!(await deleteChannel(deps.sql, orgId, req.params.id))) throw new AppError('not_found', 'No such channel');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/channels/:id/test',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Send a test notification now',
        description:
          'One attempt, no retries; the answer says whether the receiver accepted it (its status and a classification, never its answer). Recorded as a delivery of event "test". 400 when the stored configuration points to an internal address the outbound guard refuses.',
        params: IdParams,
        response: responses({ 200: TestSchema }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const c = await found(orgId, req.params.id);
      check(notifierFor(c.type), c.config);
      const org = (await getOrg(deps.sql, orgId))!;
      return testChannel(deps, c, { id: org.id, name: org.name });
    },
  );
}
