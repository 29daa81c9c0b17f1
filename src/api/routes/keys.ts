import type { App } from '../types.js';
import { Type, type Static } from 'typebox';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey, type ApiKey } from '../../auth/api-keys.js';
import { roleGrants } from '../../auth/roles.js';
import { scopes } from '../../auth/scopes.js';
import { AppError } from '../../core/errors.js';
import type { Sql } from '../../store/sql.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import type { Clock } from '../../core/clock.js';
import { sourceById } from '../../sources/resolve.js';

export const RateLimitSchema = Type.Object(
  { max: Type.Integer({ minimum: 1, maximum: 10_000_000 }), windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }) },
  { additionalProperties: false },
);

export const ApiKeySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to tell keys apart' }),
  scopes: Type.Array(Type.String()),
  rateLimit: Type.Union([RateLimitSchema, Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  createdAt: DateTime,
  expiresAt: Type.Union([DateTime, Type.Null()]),
  revokedAt: Type.Union([DateTime, Type.Null()]),
  lastUsedAt: Type.Union([DateTime, Type.Null()]),
  createdBy: Type.Union([Uuid, Type.Null()], { description: 'The user who created the key; null when a key, the CLI or first start did' }),
  sourceId: Type.Union([Uuid, Type.Null()], { description: 'The source everything this key ingests goes through; null: unbound (it may name one per request)' }),
});

export const CreatedApiKeySchema = Type.Intersect([ApiKeySchema, Type.Object({ key: Type.String({ description: 'The secret, shown only in this response' }) })]);

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(Type.Union(scopes.map((s) => Type.Literal(s))), { minItems: 1, uniqueItems: true }),
    expiresAt: Type.Optional(Type.Union([DateTime, Type.Null()])),
    rateLimit: Type.Optional(Type.Union([RateLimitSchema, Type.Null()])),
    sourceId: Type.Optional(
      Type.Union([Uuid, Type.Null()], { description: 'Binds the key to a source of this organisation: everything it ingests goes through it, and naming another source is refused (403 source_mismatch)' }),
    ),
  },
  { additionalProperties: false },
);

export function keyJson(k: ApiKey, now: Date) {
  const status = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt <= now ? 'expired' : 'active';
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    rateLimit: k.rateLimit,
    status: status as 'active' | 'expired' | 'revoked',
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    createdBy: k.createdBy,
    sourceId: k.sourceId,
  };
}

/** API keys of the caller's organisation: create (secret shown once), list, revoke. */
export function keyRoutes(app: App, deps: { sql: Sql; now: Clock }): void {
  app.post<{ Body: Static<typeof CreateKeyBody> }>(
    '/api/v1/keys',
    {
      config: { scope: 'admin' },
      schema: { tags: ['keys'], summary: 'Create an API key; the secret is returned once', body: CreateKeyBody, response: responses({ 201: CreatedApiKeySchema }) },
    },
    async (req, reply) => {
      const { orgId, scopes: granted, userId, role } = authOf(req);
      if (userId && role) {
        // A person's key never holds more than their role allows (`*` only for owners).
        const beyond = req.body.scopes.filter((s) => !roleGrants(role, [s]));
        if (beyond.length) {
          throw new AppError('insufficient_scope', `Your role "${role}" cannot grant ${beyond.map((s) => `"${s}"`).join(', ')} to a key`, { required: beyond, role, granted });
        }
      } else {
        // A key cannot mint a stronger one: it may grant only scopes it holds itself (or anything with `*`).
        const beyond = req.body.scopes.filter((s) => !granted.includes('*') && !granted.includes(s));
        if (beyond.length) {
          throw new AppError('insufficient_scope', `A key can grant only scopes it holds; this key lacks ${beyond.map((s) => `"${s}"`).join(', ')}`, { required: beyond, granted });
        }
      }
      const now = deps.now();
      const expiresAt = req.body.expiresAt ? new Date(req.body.expiresAt) : null;
      if (expiresAt && expiresAt <= now) {
        throw new AppError('validation_failed', 'expiresAt must be in the future', [{ field: 'body.expiresAt', message: 'must be in the future' }]);
      }
      const sourceId = req.body.sourceId ?? null;
      // Only a source of the caller's organisation: another's is as unknown as one that never existed.
      const unknownSource = () => new AppError('validation_failed', `No source ${sourceId} in this organisation`, [{ field: 'body.sourceId', message: 'is not a source of this organisation' }]);
      if (sourceId && !(await sourceById(deps.sql, orgId, sourceId))) throw unknownSource();
      let created: Awaited<ReturnType<typeof createApiKey>>;
      try {
        created = await createApiKey(deps.sql, orgId, { name: req.body.name, scopes: req.body.scopes, expiresAt, rateLimit: req.body.rateLimit ?? null, createdBy: userId ?? null, sourceId });
      } catch (err) {
        // The source was deleted since the check (the foreign key refuses the binding).
        if (sourceId && (err as { code?: string }).code === '23503') throw unknownSource();
        throw err;
      }
      const { key, secret } = created;
      req.log.info({ apiKeyId: key.id, scopes: key.scopes, createdBy: key.createdBy, sourceId: key.sourceId }, 'api key created');
      return reply.status(201).send({ ...keyJson(key, now), key: secret });
    },
  );

  app.get(
    '/api/v1/keys',
    { config: { scope: 'admin' }, schema: { tags: ['keys'], summary: 'List API keys (never their secrets)', response: responses({ 200: Type.Object({ keys: Type.Array(ApiKeySchema) }) }) } },
    async (req) => {
      const now = deps.now();
      return { keys: (await listApiKeys(deps.sql, authOf(req).orgId)).map((k) => keyJson(k, now)) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/keys/:id',
    { config: { scope: 'admin' }, schema: { tags: ['keys'], summary: 'One API key', params: Type.Object({ id: Uuid }), response: responses({ 200: ApiKeySchema }) } },
    async (req) => {
      const key = await getApiKey(deps.sql, authOf(req).orgId, req.params.id);
      if (!key) throw new AppError('not_found', `No API key ${req.params.id}`);
      return keyJson(key, deps.now());
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/keys/:id',
    {
      config: { scope: 'admin' },
      schema: { tags: ['keys'], summary: 'Revoke an API key (effective on the next request, on every server)', params: Type.Object({ id: Uuid }), response: responses({ 200: ApiKeySchema }) },
    },
    async (req) => {
      const now = deps.now();
      const key = await revokeApiKey(deps.sql, authOf(req).orgId, req.params.id, now);
      if (!key) throw new AppError('not_found', `No API key ${req.params.id}`);
      req.log.info({ apiKeyId: key.id }, 'api key revoked');
      return keyJson(key, now);
    },
  );
}
