import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { PeopleDeps } from '../../auth/deps.js';
import type { Role } from '../../auth/roles.js';
import { getUser } from '../../auth/users.js';
import { AppError } from '../../core/errors.js';
import { acceptInvitation, assertOpen, createInvitation, getInvitation, invitationStatus, listPendingInvitations, renewInvitation, revokeInvitation, type Invitation } from '../../tenancy/invitations.js';
import { getOrg } from '../../tenancy/orgs.js';
import { enforce, invitationRefusal } from '../../tenancy/owner-rules.js';
import { authOf, personOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import { linkBase } from '../session-cookie.js';
import type { App } from '../types.js';
import { MembershipSchema, Nullable, RoleSchema } from './me.js';
import { actingRole } from './members.js';

const tags = ['invitations'];

const InvitationSchema = Type.Object({
  id: Uuid,
  email: Type.String(),
  role: RoleSchema,
  status: Type.Union([Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('revoked'), Type.Literal('expired')]),
  invitedBy: Nullable(Uuid),
  createdAt: DateTime,
  expiresAt: DateTime,
  acceptedAt: Nullable(DateTime),
  revokedAt: Nullable(DateTime),
});

const InviteBody = Type.Object({ email: Type.String({ format: 'email', maxLength: 320 }), role: RoleSchema }, { additionalProperties: false });
const IdParams = Type.Object({ id: Uuid });
const AcceptBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200, description: 'The token from the invitation link' }) }, { additionalProperties: false });

/** Invitation emails per organisation and address: 5 an hour (sending and resending alike). */
const mailPolicy = { max: 5, windowSeconds: 3600 };

function invitationJson(i: Invitation, now: Date): Static<typeof InvitationSchema> {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    status: invitationStatus(i, now),
    invitedBy: i.invitedBy,
    createdAt: i.createdAt.toISOString(),
    expiresAt: i.expiresAt.toISOString(),
    acceptedAt: i.acceptedAt?.toISOString() ?? null,
    revokedAt: i.revokedAt?.toISOString() ?? null,
  };
}


/**
 * Invitations to the caller's organisation: invite by email (admin; owners invite owners), list the
 * pending ones, revoke, resend; and accepting one, by the signed-in invitee.
 */
export function invitationRoutes(app: App, deps: PeopleDeps): void {
  /** 429 past {@link mailPolicy} for this organisation and address. */
  async function throttle(reply: FastifyReply, orgId: string, email: string): Promise<void> {
    const d = await deps.limiter.check(`invite-mail:${orgId}:${email}`, mailPolicy);
    if (d.allowed) return;
    reply.header('Retry-After', d.resetSeconds);
    throw new AppError('rate_limited', `At most ${mailPolicy.max} invitation emails an hour to one address; retry in ${d.resetSeconds} s`, { retryAfterSeconds: d.resetSeconds, limit: d.limit });
  }

  /** Emails the link; when sending fails the invitation is withdrawn (no link anyone could use) and the request fails. */
  async function sendInvitation(req: FastifyRequest, i: Invitation, token: string): Promise<void> {
    const [org, inviter] = await Promise.all([getOrg(deps.sql, i.orgId), i.invitedBy ? getUser(deps.sql, i.invitedBy) : undefined]);
    const link = `${linkBase(deps.publicUrl, req)}/invitations/accept?token=${encodeURIComponent(token)}`;
    const who = inviter ? `${inviter.name} (${inviter.email})` : 'An administrator';
    const orgName = org?.name ?? 'an organisation';
    try {
      await deps.sendMail({
        to: i.email,
        subject: `You are invited to join ${orgName} on IntentVision`,
        text:
          `${who} invited you to join ${orgName} on IntentVision as ${article(i.role)} ${i.role}.\n\n` +
          `Accept the invitation: ${link}\n\n` +
          `Sign in (or create an account) with this address, ${i.email}, and verify it first. The link works once and expires at ${i.expiresAt.toISOString()}.\n` +
          'If you did not expect this invitation, ignore this email.',
      });
    } catch (err) {
      req.log.warn({ err, invitationId: i.id }, 'could not send the invitation email');
      await revokeInvitation(deps.sql, i.orgId, i.id, deps.now());
      throw new AppError('service_unavailable', 'The invitation email could not be sent; try again later', { invitationId: i.id });
    }
  }

  app.post<{ Body: Static<typeof InviteBody> }>(
    '/api/v1/invitations',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Invite someone by email',
        description:
          'Emails a single-use link (…/invitations/accept?token=…) valid for 7 days. Inviting as owner needs an owner (403 insufficient_scope). 409 already_member when the address is a member; a pending invitation of the same address is replaced (its link stops working). At most 5 emails an hour per address (429).',
        body: InviteBody,
        response: responses({ 201: InvitationSchema }),
      },
    },
    async (req, reply) => {
      const a = authOf(req);
      const actor = actingRole(req);
      enforce(invitationRefusal(actor, req.body.role), actor);
      const email = req.body.email.trim().toLowerCase();
      await throttle(reply, a.orgId, email);
      const now = deps.now();
      const { invitation, token } = await createInvitation(deps.sql, { orgId: a.orgId, email, role: req.body.role, invitedBy: a.userId ?? null }, now);
      await sendInvitation(req, invitation, token);
      req.log.info({ invitationId: invitation.id, role: invitation.role }, 'invitation sent');
      return reply.code(201).send(invitationJson(invitation, now));
    },
  );

  app.get(
    '/api/v1/invitations',
    { config: { scope: 'admin' }, schema: { tags, summary: 'Pending invitations (not accepted, revoked or expired), newest first', response: responses({ 200: Type.Object({ invitations: Type.Array(InvitationSchema) }) }) } },
    async (req) => {
      const now = deps.now();
      return { invitations: (await listPendingInvitations(deps.sql, authOf(req).orgId, now)).map((i) => invitationJson(i, now)) };
    },
  );

  /** The invitation `id` of the caller's organisation, when the caller may manage it (owner invitations need an owner). */
  async function manageable(req: FastifyRequest, id: string): Promise<Invitation> {
    const i = await getInvitation(deps.sql, authOf(req).orgId, id);
    if (!i) throw new AppError('not_found', `No invitation ${id}`);
    const actor: Role = actingRole(req);
    enforce(invitationRefusal(actor, i.role), actor);
    return i;
  }

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/invitations/:id',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Revoke an invitation: its link stops working', description: '409 invitation_used when it was accepted already.', params: IdParams, response: responses({ 200: InvitationSchema }) },
    },
    async (req) => {
      const now = deps.now();
      await manageable(req, req.params.id);
      const i = await revokeInvitation(deps.sql, authOf(req).orgId, req.params.id, now);
      if (!i) throw new AppError('not_found', `No invitation ${req.params.id}`);
      req.log.info({ invitationId: i.id }, 'invitation revoked');
      return invitationJson(i, now);
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/invitations/:id/resend',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Email the invitation again with a new link and a new 7-day expiry',
        description: 'The previous link stops working. Also for an expired invitation; 409 invitation_used or 410 invitation_revoked otherwise.',
        params: IdParams,
        response: responses({ 200: InvitationSchema }),
      },
    },
    async (req, reply) => {
      const before = await manageable(req, req.params.id);
      assertOpen(before); // refused before it counts against the email limit
      await throttle(reply, before.orgId, before.email);
      const now = deps.now();
      const renewed = await renewInvitation(deps.sql, before.orgId, before.id, now);
      if (!renewed) throw new AppError('not_found', `No invitation ${req.params.id}`);
      await sendInvitation(req, renewed.invitation, renewed.token);
      req.log.info({ invitationId: before.id }, 'invitation resent');
      return invitationJson(renewed.invitation, now);
    },
  );

  app.post<{ Body: Static<typeof AcceptBody> }>(
    '/api/v1/invitations/accept',
    {
      config: { scope: 'user' },
      schema: {
        tags,
        summary: 'Accept an invitation (signed in, with the invited address verified)',
        description:
          'Adds you to the organisation with the invited role and returns the membership. Errors: 400 invalid_token (unknown link), 409 invitation_used, 410 invitation_expired, 410 invitation_revoked, 403 invitation_email_mismatch (signed in with another address), 403 email_unverified.',
        body: AcceptBody,
        response: responses({ 200: MembershipSchema }),
      },
    },
    async (req) => {
      const person = personOf(req);
      const { invitation, membership } = await acceptInvitation(deps.sql, req.body.token, { id: person.userId, email: person.email, emailVerified: person.emailVerified }, deps.now());
      const org = await getOrg(deps.sql, membership.orgId);
      if (!org) throw new AppError('not_found', 'The organisation no longer exists');
      req.log.info({ invitationId: invitation.id, joinedOrgId: org.id, role: membership.role }, 'invitation accepted');
      return { orgId: org.id, name: org.name, slug: org.slug, role: membership.role };
    },
  );
}

const article = (role: Role) => (role === 'owner' || role === 'admin' ? 'an' : 'a');
