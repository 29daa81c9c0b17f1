import type { FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import type { App } from '../types.js';
import {
  changePassword,
  confirmPasswordReset,
  endPresentedSession,
  register,
  requestPasswordReset,
  resendVerification,
  signIn,
  verifyEmail,
} from '../../auth/accounts.js';
import type { PeopleDeps } from '../../auth/deps.js';
import { maxPasswordLength, minPasswordLength } from '../../auth/password-policy.js';
import { deleteSession, listSessions } from '../../auth/sessions.js';
import type { User } from '../../auth/users.js';
import { AppError } from '../../core/errors.js';
import { personOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import { clearSessionCookies, csrfTokenFor, linkBase, secureCookies, sessionCookieName, setSessionCookies } from '../session-cookie.js';

const tags = ['accounts'];

export const UserSchema = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  emailVerified: Type.Boolean({ description: 'False until the link in the verification email is followed; unverified users cannot act in organisations' }),
  hasPassword: Type.Boolean({ description: 'False for accounts that sign in only through Google or GitHub' }),
  createdAt: DateTime,
});

export function userJson(u: User): Static<typeof UserSchema> {
  return { id: u.id, email: u.email, name: u.name, emailVerified: u.emailVerifiedAt !== null, hasPassword: u.passwordHash !== null, createdAt: u.createdAt.toISOString() };
}

const SessionSchema = Type.Object({
  id: Uuid,
  userAgent: Type.Union([Type.String(), Type.Null()], { description: 'The browser or client that signed in (its User-Agent)' }),
  address: Type.Union([Type.String(), Type.Null()], { description: 'The client address at sign-in' }),
  createdAt: DateTime,
  lastSeenAt: DateTime,
  expiresAt: DateTime,
  current: Type.Boolean({ description: 'The session of this request' }),
});

const Email = Type.String({ format: 'email', maxLength: 320 });
// The schema bounds the body; the password rules (length, common passwords) answer with weak_password.
const NewPassword = Type.String({ maxLength: 4096, description: `${minPasswordLength} to ${maxPasswordLength} characters, not a common password, not your email address` });
const AnyPassword = Type.String({ minLength: 1, maxLength: 4096 });
const Token = Type.String({ minLength: 1, maxLength: 200, description: 'The token from the link in the email' });

const Accepted = Type.Object({ status: Type.Literal('accepted'), message: Type.String() });
const Signedin = Type.Object({ user: UserSchema, csrfToken: Type.String({ description: 'Send as X-CSRF-Token on every state-changing request (also in the iv_csrf cookie)' }) });

const RegisterBody = Type.Object({ email: Email, password: NewPassword, name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }) }, { additionalProperties: false });
const LoginBody = Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: AnyPassword }, { additionalProperties: false });
const TokenBody = Type.Object({ token: Token }, { additionalProperties: false });
const ResetRequestBody = Type.Object({ email: Email }, { additionalProperties: false });
const ResetConfirmBody = Type.Object({ token: Token, password: NewPassword }, { additionalProperties: false });
const ChangePasswordBody = Type.Object(
  { currentPassword: Type.Optional(AnyPassword), newPassword: NewPassword },
  { additionalProperties: false, description: 'currentPassword may be left out only by an account without a password (provider sign-in only)' },
);


/** A throttled request's 429 carries Retry-After, as the key rate limits' do. */
async function withRetryAfter<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const seconds = err instanceof AppError && err.code === 'rate_limited' ? (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds : undefined;
    if (seconds !== undefined) reply.header('Retry-After', seconds);
    throw err;
  }
}

const accepted = (message: string) => ({ status: 'accepted' as const, message });

/** Email and password accounts, sign-in sessions and password reset, under /api/v1/auth. */
export function accountRoutes(app: App, deps: PeopleDeps): void {
  app.post<{ Body: Static<typeof RegisterBody> }>(
    '/api/v1/auth/register',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Create an account; a verification link is emailed',
        description:
          'The reply is the same whether or not the address already has an account (the owner of a taken address gets an email saying so). Registration does not sign in: sign in with POST /login. 400 weak_password names the broken rule in details.rule.',
        body: RegisterBody,
        response: responses({ 202: Accepted }),
      },
    },
    async (req, reply) => {
      await register(deps, req.body, linkBase(deps.publicUrl, req));
      return reply.status(202).send(accepted('Check your inbox: we sent an email to this address. Follow its link to verify the address, then sign in.'));
    },
  );

  app.post<{ Body: Static<typeof TokenBody> }>(
    '/api/v1/auth/verify-email',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Verify an email address with the token from the verification link',
        description: 'Errors: invalid_token (unknown or mistyped), token_used (already followed), token_expired (older than 24 h): all 400.',
        body: TokenBody,
        response: responses({ 200: Type.Object({ user: UserSchema }) }),
      },
    },
    async (req) => ({ user: userJson(await verifyEmail(deps, req.body.token)) }),
  );

  app.post(
    '/api/v1/auth/verify-email/resend',
    {
      config: { scope: 'user' },
      schema: {
        tags,
        summary: 'Email a new verification link to the signed-in user',
        description: 'At most 3 an hour (429 rate_limited with Retry-After); 409 already_verified when there is nothing to verify.',
        response: responses({ 202: Type.Object({ status: Type.Literal('sent'), to: Type.String() }) }),
      },
    },
    async (req, reply) => {
      const { to } = await withRetryAfter(reply, () => resendVerification(deps, personOf(req).userId, linkBase(deps.publicUrl, req)));
      return reply.status(202).send({ status: 'sent' as const, to });
    },
  );

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/v1/auth/login',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Sign in with email and password: starts a session (cookie)',
        description:
          'Sets the HttpOnly session cookie iv_session and the readable iv_csrf cookie. Always a new session: one the request carried is ended. 401 invalid_credentials for an unknown email and a wrong password alike; failures are limited per account (5) and per address (20) in 15 minutes: 429 rate_limited with Retry-After and details.reason "account" or "address". Unverified users can sign in (user.emailVerified false) but cannot act in organisations until verified.',
        body: LoginBody,
        response: responses({ 200: Signedin }),
      },
    },
    async (req, reply) => {
      const { user, token } = await withRetryAfter(reply, () =>
        signIn(deps, { email: req.body.email, password: req.body.password, address: req.ip, userAgent: req.headers['user-agent'] ?? null }),
      );
      await endPresentedSession(deps.sql, req.cookies?.[sessionCookieName]);
      setSessionCookies(reply, token, { secure: secureCookies(deps.publicUrl, req), maxAgeSeconds: Math.floor(deps.sessions.maxMs / 1000) });
      req.log.info({ userId: user.id }, 'signed in');
      return { user: userJson(user), csrfToken: csrfTokenFor(token) };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { config: { scope: 'user' }, schema: { tags, summary: 'Sign out: ends this session and clears its cookies', response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      const person = personOf(req);
      await deleteSession(deps.sql, person.userId, person.sessionId);
      clearSessionCookies(reply, secureCookies(deps.publicUrl, req));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    {
      config: { scope: 'user' },
      schema: { tags, summary: "The signed-in user's live sessions, newest first", response: responses({ 200: Type.Object({ sessions: Type.Array(SessionSchema) }) }) },
    },
    async (req) => {
      const person = personOf(req);
      const sessions = await listSessions(deps.sql, person.userId, deps.now());
      return {
        sessions: sessions.map((s) => ({
          id: s.id,
          userAgent: s.userAgent,
          address: s.address,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: s.lastSeenAt.toISOString(),
          expiresAt: (s.expiresAt < s.absoluteExpiresAt ? s.expiresAt : s.absoluteExpiresAt).toISOString(),
          current: s.id === person.sessionId,
        })),
      };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/auth/sessions/:id',
    {
      config: { scope: 'user' },
      schema: { tags, summary: 'End one of your sessions (sign out a device)', params: Type.Object({ id: Uuid }), response: responses({ 204: Type.Null() }) },
    },
    async (req, reply) => {
      const person = personOf(req);
      if (!(await deleteSession(deps.sql, person.userId, req.params.id))) throw new AppError('not_found', `You have no session ${req.params.id}`);
      if (req.params.id === person.sessionId) clearSessionCookies(reply, secureCookies(deps.publicUrl, req));
      return reply.status(204).send();
    },
  );

  app.post<{ Body: Static<typeof ResetRequestBody> }>(
    '/api/v1/auth/password-reset/request',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Email a password-reset link (valid 1 hour) when an account has this address',
        description: 'The reply is the same whether or not an account exists.',
        body: ResetRequestBody,
        response: responses({ 202: Accepted }),
      },
    },
    async (req, reply) => {
      await requestPasswordReset(deps, req.body.email, linkBase(deps.publicUrl, req));
      return reply.status(202).send(accepted('If an account has this address, we sent it a link to choose a new password. The link works once, for 1 hour.'));
    },
  );

  app.post<{ Body: Static<typeof ResetConfirmBody> }>(
    '/api/v1/auth/password-reset/confirm',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Set a new password with the token from the reset link',
        description:
          'Ends every session of the account (sign in again) and marks the address verified. Errors: weak_password (the link stays usable), invalid_token, token_used, token_expired: all 400.',
        body: ResetConfirmBody,
        response: responses({ 200: Type.Object({ user: UserSchema }) }),
      },
    },
    async (req) => ({ user: userJson(await confirmPasswordReset(deps, req.body.token, req.body.password)) }),
  );

  app.post<{ Body: Static<typeof ChangePasswordBody> }>(
    '/api/v1/auth/password',
    {
      config: { scope: 'user' },
      schema: {
        tags,
        summary: 'Change your password (or set a first one on a provider-only account)',
        description:
          'Ends your other sessions; this one stays. 403 wrong_password when currentPassword is wrong (counted with failed sign-ins: 429 rate_limited after 5); 400 weak_password names the broken rule.',
        body: ChangePasswordBody,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const person = personOf(req);
      await withRetryAfter(reply, () =>
        changePassword(deps, { userId: person.userId, sessionId: person.sessionId, currentPassword: req.body.currentPassword, newPassword: req.body.newPassword, address: req.ip }, linkBase(deps.publicUrl, req)),
      );
      return reply.status(204).send();
    },
  );
}
