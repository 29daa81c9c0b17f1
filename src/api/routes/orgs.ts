import type { App } from '../types.js';
import { Type, type Static } from 'typebox';
import { createApiKey } from '../../auth/api-keys.js';
import { AppError } from '../../core/errors.js';
import type { Sql } from '../../store/sql.js';
import { createOrg, getOrg, SlugTakenError, type Organization } from '../../tenancy/orgs.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import { CreatedApiKeySchema, keyJson } from './keys.js';
import type { Clock } from '../../core/clock.js';

const OrgSchema = Type.Object({ id: Uuid, name: Type.String(), slug: Type.String(), createdAt: DateTime });

const CreateOrgBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
  },
  { additionalProperties: false },
);

function orgJson(o: Organization) {
  return { id: o.id, name: o.name, slug: o.slug, createdAt: o.createdAt.toISOString() };
}

/** The caller's organisation, and creation of new organisations by the platform organisation. */
export function orgRoutes(app: App, deps: { sql: Sql; now: Clock }): void {
  app.get(
    '/api/v1/orgs/current',
    { config: { scope: 'read' }, schema: { tags: ['organizations'], summary: "The API key's organisation", response: responses({ 200: OrgSchema }) } },
    async (req) => {
      const org = await getOrg(deps.sql, authOf(req).orgId);
      if (!org) throw new AppError('not_found', 'The organisation no longer exists');
      return orgJson(org);
    },
  );

  app.post<{ Body: Static<typeof CreateOrgBody> }>(
    '/api/v1/orgs',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['organizations'],
        summary: 'Create an organisation with a first admin key (platform organisation only)',
        description: 'Only admin keys of the platform organisation (the one created on first start) may create organisations.',
        body: CreateOrgBody,
        response: responses({ 201: Type.Object({ organization: OrgSchema, apiKey: CreatedApiKeySchema }) }),
      },
    },
    async (req, reply) => {
      const caller = await getOrg(deps.sql, authOf(req).orgId);
      if (!caller?.isPlatform) throw new AppError('forbidden', 'Only the platform organisation may create organisations');
      const now = deps.now();
      try {
        const result = await deps.sql.transaction(async (tx) => {
          const org = await createOrg(tx, { name: req.body.name, slug: req.body.slug });
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
