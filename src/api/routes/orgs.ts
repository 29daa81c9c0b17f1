import type { App } from '../types.js';
import { Type, type Static } from 'typebox';
import { createApiKey } from '../../auth/api-keys.js';
import { AppError } from '../../core/errors.js';
import type { Sql } from '../../store/sql.js';
import { createOrg, createOrgWithOwner, deleteOrg, getOrg, renameOrg, slugify, SlugTakenError, type Organization } from '../../tenancy/orgs.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import { CreatedApiKeySchema, keyJson } from './keys.js';
import type { Clock } from '../../core/clock.js';

export const OrgSchema = Type.Object({ id: Uuid, name: Type.String(), slug: Type.String(), createdAt: DateTime });

const OrgName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

const CreateOrgBody = Type.Object(
  {
    name: OrgName,
    slug: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
  },
  { additionalProperties: false },
);

const RenameOrgBody = Type.Object({ name: OrgName }, { additionalProperties: false });

export function orgJson(o: Organization) {
  return { id: o.id, name: o.name, slug: o.slug, createdAt: o.createdAt.toISOString() };
}

const tags = ['organizations'];

/**
 * Creates with the slug given, or else the one derived from the name; a derived slug that is taken
 * gets a random suffix ("acme" → "acme-x7k2"), so people need not pick one.
 */
async function createWithFreeSlug(name: string, slug: string | undefined, create: (input: { name: string; slug: string }) => Promise<Organization>): Promise<Organization> {
  if (slug !== undefined) return create({ name, slug });
  const base = slugify(name);
  for (let attempt = 0; ; attempt++) {
    const candidate = attempt === 0 ? base : `${base.slice(0, 57)}-${Math.random().toString(36).slice(2, 7)}`;
    try {
      return await create({ name, slug: candidate });
    } catch (err) {
      if (!(err instanceof SlugTakenError) || attempt >= 3) throw err;
    }
  }
}

/**
 * Organisations: the caller's own (read, rename, delete), and new ones, created by a signed-in user
 * (who becomes the owner) or by the platform organisation's admin keys (with a first key).
 */
export function orgRoutes(app: App, deps: { sql: Sql; now: Clock }): void {
  app.get(
    '/api/v1/orgs/current',
    { config: { scope: 'read' }, schema: { tags, summary: 'The organisation this request acts in (the key\'s, or the session\'s)', response: responses({ 200: OrgSchema }) } },
    async (req) => {
      const org = await getOrg(deps.sql, authOf(req).orgId);
      if (!org) throw new AppError('not_found', 'The organisation no longer exists');
      return orgJson(org);
    },
  );

  app.patch<{ Body: Static<typeof RenameOrgBody> }>(
    '/api/v1/orgs/current',
    { config: { scope: 'owner' }, schema: { tags, summary: 'Rename the organisation (owners; the slug stays)', body: RenameOrgBody, response: responses({ 200: OrgSchema }) } },
    async (req) => {
      const org = await renameOrg(deps.sql, authOf(req).orgId, req.body.name.trim());
      if (!org) throw new AppError('not_found', 'The organisation no longer exists');
      req.log.info({ name: org.name }, 'organisation renamed');
      return orgJson(org);
    },
  );

  app.delete(
    '/api/v1/orgs/current',
    {
      config: { scope: 'owner' },
      schema: {
        tags,
        summary: 'Delete the organisation and everything it holds (owners)',
        description: 'Keys, series, points, forecasts, rules, alerts, channels, members and invitations go with it; the members\' accounts stay. The platform organisation cannot be deleted (403 forbidden).',
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const org = await getOrg(deps.sql, orgId);
      if (!org) throw new AppError('not_found', 'The organisation no longer exists');
      if (org.isPlatform) throw new AppError('forbidden', 'The platform organisation cannot be deleted');
      await deleteOrg(deps.sql, orgId);
      req.log.info({ deletedOrgId: orgId, slug: org.slug }, 'organisation deleted');
      return reply.code(204).send(null);
    },
  );

  app.post<{ Body: Static<typeof CreateOrgBody> }>(
    '/api/v1/orgs',
    {
      config: { scope: 'user', keyScope: 'admin' },
      schema: {
        tags,
        summary: 'Create an organisation',
        description:
          'A signed-in user with a verified email creates an organisation and becomes its owner (it becomes their default organisation when they had none); the reply has no key. ' +
          'Admin keys of the platform organisation (the one created on first start) also create organisations; the reply then carries the new organisation\'s first admin key (`*`), shown once. ' +
          'Other keys: 403 forbidden. 409 conflict when the slug is taken.',
        body: CreateOrgBody,
        response: responses({ 201: Type.Object({ organization: OrgSchema, apiKey: Type.Optional(CreatedApiKeySchema) }) }),
      },
    },
    async (req, reply) => {
      const now = deps.now();
      try {
        if (req.person) {
          if (!req.person.emailVerified) throw new AppError('email_unverified', 'Verify your email address before creating an organisation');
          const org = await createWithFreeSlug(req.body.name.trim(), req.body.slug, (input) => createOrgWithOwner(deps.sql, input, req.person!.userId, now));
          req.log.info({ createdOrgId: org.id }, 'organisation created');
          return reply.status(201).send({ organization: orgJson(org) });
        }
        const caller = await getOrg(deps.sql, authOf(req).orgId);
        if (!caller?.isPlatform) throw new AppError('forbidden', 'Only the platform organisation may create organisations');
        const result = await deps.sql.transaction(async (tx) => {
          const org = await createOrg(tx, { name: req.body.name.trim(), slug: req.body.slug });
          const { key, secret } = await createApiKey(tx, org.id, { name: 'admin', scopes: ['*'] });
          return { org, key, secret };
        });
        req.log.info({ createdOrgId: result.org.id }, 'organisation created');
        return reply.status(201).send({ organization: orgJson(result.org), apiKey: { ...keyJson(result.key, now), key: result.secret } });
      } catch (err) {
        if (err instanceof SlugTakenError) throw new AppError('conflict', err.message, { field: 'slug', slug: err.slug });
        throw err;
      }
    },
  );
}
