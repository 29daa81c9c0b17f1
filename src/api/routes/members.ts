import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Role } from '../../auth/roles.js';
import { AppError } from '../../core/errors.js';
import type { Sql } from '../../store/sql.js';
import { changeMemberRole, listMembers, removeMember, type Member } from '../../tenancy/memberships.js';
import { enforce, removalRefusal, roleChangeRefusal, roleOfScopes } from '../../tenancy/owner-rules.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import type { App } from '../types.js';
import { RoleSchema } from './me.js';

const tags = ['members'];

const MemberSchema = Type.Object({ userId: Uuid, email: Type.String(), name: Type.String(), role: RoleSchema, joinedAt: DateTime });
const UserParams = Type.Object({ userId: Uuid });
const RoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });

const memberJson = (m: Member) => ({ userId: m.userId, email: m.email, name: m.name, role: m.role, joinedAt: m.joinedAt.toISOString() });

/** The caller's role for the member rules: a person's own, or what a key's scopes amount to. */
export function actingRole(req: FastifyRequest): Role {
  const a = authOf(req);
  return a.role ?? roleOfScopes(a.scopes);
}

const noSuchMember = (userId: string) => new AppError('not_found', `No member ${userId} in this organisation`, { userId });

/**
 * Members of the caller's organisation: list (read), change a role (admin; owners for anything
 * touching `owner`), remove (admin; anyone may remove themselves, which is leaving). The last owner
 * is neither demoted nor removed.
 */
export function memberRoutes(app: App, deps: { sql: Sql }): void {
  app.get(
    '/api/v1/members',
    { config: { scope: 'read' }, schema: { tags, summary: 'Members of the organisation with their roles, oldest first', response: responses({ 200: Type.Object({ members: Type.Array(MemberSchema) }) }) } },
    async (req) => ({ members: (await listMembers(deps.sql, authOf(req).orgId)).map(memberJson) }),
  );

  app.patch<{ Params: Static<typeof UserParams>; Body: Static<typeof RoleBody> }>(
    '/api/v1/members/:userId',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: "Change a member's role",
        description:
          'Admins change roles; only owners grant or take away `owner` (so an admin cannot change an owner): 403 insufficient_scope with details.required "owner". The last owner cannot be demoted: 409 last_owner. Takes effect on the member\'s next request.',
        params: UserParams,
        body: RoleBody,
        response: responses({ 200: MemberSchema }),
      },
    },
    async (req) => {
      const actor = actingRole(req);
      const { userId } = req.params;
      const m = await changeMemberRole(deps.sql, authOf(req).orgId, userId, req.body.role, (from, owners) => enforce(roleChangeRefusal(actor, from, req.body.role, owners), actor));
      if (!m) throw noSuchMember(userId);
      req.log.info({ memberId: userId, role: m.role }, 'member role changed');
      return memberJson(m);
    },
  );

  app.delete<{ Params: Static<typeof UserParams> }>(
    '/api/v1/members/:userId',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Remove a member, or leave the organisation (your own user id)',
        description:
          'Any member may leave; removing others needs an admin, and an owner to remove an owner (403 insufficient_scope). The last owner can neither be removed nor leave: 409 last_owner (make someone else owner, or delete the organisation).',
        params: UserParams,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      const actor = actingRole(req);
      const { userId } = req.params;
      const self = a.userId === userId;
      const removed = await removeMember(deps.sql, a.orgId, userId, (role, owners) => enforce(removalRefusal(actor, role, self, owners), actor));
      if (!removed) throw noSuchMember(userId);
      req.log.info({ memberId: userId, left: self }, self ? 'member left' : 'member removed');
      return reply.code(204).send(null);
    },
  );
}
