import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { PeopleDeps } from '../../auth/deps.js';
import { listIdentities } from '../../auth/identities.js';
import { literals } from '../../alert/rules/kind.js';
import { roles } from '../../auth/roles.js';
import { setSessionOrg } from '../../auth/sessions.js';
import { getUser, updateUser, type User } from '../../auth/users.js';
import { AppError } from '../../core/errors.js';
import { membershipsOfUser } from '../../tenancy/memberships.js';
import { personOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import { csrfTokenFor } from '../session-cookie.js';
import { UserSchema, userJson } from './auth.js';
import type { App } from '../types.js';

const tags = ['me'];
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const RoleSchema = literals(roles);

/** A user's membership as /me lists it (and accepting an invitation returns it). */
export const MembershipSchema = Type.Object({ orgId: Uuid, name: Type.String(), slug: Type.String(), role: RoleSchema });

const MeSchema = Type.Object({
  user: UserSchema,
  memberships: Type.Array(MembershipSchema, { description: 'Oldest first' }),
  defaultOrgId: Nullable(Uuid),
  currentOrgId: Nullable(Type.String({ format: 'uuid', description: 'The organisation this request acts in (X-Org-Id, else the session\'s choice, else the default, else the oldest membership); null when none' })),
  identities: Type.Array(Type.Object({ provider: Type.String(), email: Nullable(Type.String()), linkedAt: DateTime }), { description: 'Linked Google/GitHub accounts' }),
  csrfToken: Type.String({ description: 'Send as X-CSRF-Token on every state-changing request' }),
});

const PatchMeBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    defaultOrgId: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false, minProperties: 1 },
);

const CurrentOrgBody = Type.Object({ orgId: Nullable(Uuid) }, { additionalProperties: false });

/** 403 not_a_member unless `orgId` is one of `userId`'s organisations. */
async function assertMember(deps: Pick<PeopleDeps, 'sql'>, userId: string, orgId: string, field: string): Promise<void> {
  const mine = await membershipsOfUser(deps.sql, userId);
  if (!mine.some((m) => m.orgId === orgId)) throw new AppError('not_a_member', `You are not a member of organisation ${orgId}`, { field, orgId });
}

/** The signed-in user: account, memberships, the organisation they act in, linked providers. */
export function meRoutes(app: App, deps: PeopleDeps): void {
  async function me(req: FastifyRequest, user: User, currentOrgId: string | null): Promise<Static<typeof MeSchema>> {
    const [memberships, identities] = await Promise.all([membershipsOfUser(deps.sql, user.id), listIdentities(deps.sql, user.id)]);
    return {
      user: userJson(user),
      memberships: memberships.map((m) => ({ orgId: m.orgId, name: m.orgName, slug: m.orgSlug, role: m.role })),
      defaultOrgId: user.defaultOrgId,
      currentOrgId,
      identities: identities.map((i) => ({ provider: i.provider, email: i.email, linkedAt: i.createdAt.toISOString() })),
      csrfToken: csrfTokenFor(personOf(req).sessionToken),
    };
  }

  async function signedInUser(req: FastifyRequest): Promise<User> {
    const user = await getUser(deps.sql, personOf(req).userId);
    if (!user) throw new AppError('session_expired', 'The account no longer exists');
    return user;
  }

  app.get(
    '/api/v1/me',
    { config: { scope: 'user' }, schema: { tags, summary: 'The signed-in user, their organisations and roles, and the CSRF token', response: responses({ 200: MeSchema }) } },
    async (req) => me(req, await signedInUser(req), req.auth?.orgId ?? null),
  );

  app.patch<{ Body: Static<typeof PatchMeBody> }>(
    '/api/v1/me',
    {
      config: { scope: 'user' },
      schema: {
        tags,
        summary: 'Change your name or default organisation',
        description: 'defaultOrgId must be one of your organisations (403 not_a_member), or null for none (then the oldest membership acts).',
        body: PatchMeBody,
        response: responses({ 200: MeSchema }),
      },
    },
    async (req) => {
      const { userId } = personOf(req);
      const b = req.body;
      if (b.defaultOrgId) await assertMember(deps, userId, b.defaultOrgId, 'body.defaultOrgId');
      const user = await updateUser(deps.sql, userId, { name: b.name?.trim(), defaultOrgId: b.defaultOrgId });
      if (!user) throw new AppError('session_expired', 'The account no longer exists');
      return me(req, user, req.auth?.orgId ?? null);
    },
  );

  app.put<{ Body: Static<typeof CurrentOrgBody> }>(
    '/api/v1/me/current-org',
    {
      config: { scope: 'user' },
      schema: {
        tags,
        summary: 'Choose the organisation this session acts in',
        description: 'For the dashboard\'s organisation switcher: later requests of this session act in it unless they send X-Org-Id. Only your organisations (403 not_a_member); null goes back to the default.',
        body: CurrentOrgBody,
        response: responses({ 200: MeSchema }),
      },
    },
    async (req) => {
      const person = personOf(req);
      const { orgId } = req.body;
      if (orgId) await assertMember(deps, person.userId, orgId, 'body.orgId');
      await setSessionOrg(deps.sql, person.userId, person.sessionId, orgId);
      const user = await signedInUser(req);
      if (req.headers['x-org-id']) return me(req, user, req.auth?.orgId ?? null); // the header still wins for this request
      // What the session acts in from now on: the choice, else the default, else the oldest membership.
      const mine = await membershipsOfUser(deps.sql, user.id);
      const current = orgId ?? mine.find((m) => m.orgId === user.defaultOrgId)?.orgId ?? mine[0]?.orgId ?? null;
      return me(req, user, current);
    },
  );
}
