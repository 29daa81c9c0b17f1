// Sign-in with Google and GitHub: the provider list, start (→ the provider), callback (→ a session
// and the page to return to), and unlinking. The flow itself is src/auth/oauth/flow.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { App } from '../types.js';
import type { PeopleDeps } from '../../auth/deps.js';
import { providers, unlinkIdentityKeepingSignIn, type Provider } from '../../auth/identities.js';
import { configuredProviders, finishOAuth, providerNamed, startOAuth } from '../../auth/oauth/flow.js';
import { oauthStateTtlMs } from '../../auth/oauth/states.js';
import { safeReturnTo } from '../../auth/oauth/return-to.js';
import { createSession, deleteSession, resolveSession } from '../../auth/sessions.js';
import { hashToken, isTokenShaped } from '../../auth/tokens.js';
import { AppError } from '../../core/errors.js';
import { personOf } from '../plugins/auth.js';
import { responses } from '../schemas.js';
import { platformOrigin, secureCookies, sessionCookieName, setSessionCookies } from '../session-cookie.js';

const tags = ['sign-in'];

/**
 * Binds a sign-in to the browser that started it: the state also goes in this cookie, and the
 * callback requires both to match, so a callback URL planted in someone else's browser (login CSRF:
 * signing the victim into the attacker's account) is refused. SameSite=Lax still sends it on the
 * provider's top-level redirect back.
 */
const stateCookieName = 'iv_oauth_state';
const stateCookiePath = (provider: string) => `/api/v1/auth/oauth/${provider}/`;

/** Sign-in starts per client address (each stores a row for 10 minutes, so this bounds the table). */
export const oauthStartPolicy = { max: 30, windowSeconds: 60 };

const ProviderParams = Type.Object({ provider: Type.String({ minLength: 1, maxLength: 40, description: 'google or github' }) });
const StartQuery = Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 2000, description: 'A path on this platform to go to after signing in (default /)' })) }, { additionalProperties: false });
// What the provider appends to the redirect URI: code and state, or error (with a description) when
// the person declined. Providers add others (scope, authuser, iss), which are ignored.
const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048 })),
  state: Type.Optional(Type.String({ maxLength: 200 })),
  error: Type.Optional(Type.String({ maxLength: 200 })),
  error_description: Type.Optional(Type.String({ maxLength: 2000 })),
});
const ProvidersReply = Type.Object({
  providers: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), startUrl: Type.String({ description: 'GET it in the browser (add ?returnTo=/path)' }) })),
});
const Redirect = Type.Null({ description: 'Redirect (Location header)' });

const sameSecret = (a: string, b: string) => timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** The live session the request's cookie holds (public routes are not authenticated by the plugin). */
async function cookieSession(deps: PeopleDeps, req: FastifyRequest): Promise<{ userId: string; sessionId: string } | undefined> {
  const token = req.cookies?.[sessionCookieName];
  if (!isTokenShaped(token)) return undefined;
  const s = await resolveSession(deps.sql, hashToken(token), null, deps.now());
  return s && { userId: s.user.id, sessionId: s.session.id };
}

function callbackUri(deps: PeopleDeps, req: FastifyRequest, provider: string): string {
  return `${platformOrigin(deps.publicUrl, req)}/api/v1/auth/oauth/${provider}/callback`;
}

async function limitStarts(deps: PeopleDeps, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const d = await deps.limiter.check(`oauth-start:${req.ip}`, oauthStartPolicy);
  if (d.allowed) return;
  reply.header('Retry-After', d.resetSeconds);
  throw new AppError('rate_limited', `Too many sign-ins started from this address; retry in ${d.resetSeconds} s`, { retryAfterSeconds: d.resetSeconds, limit: d.limit });
}

export function oauthRoutes(app: App, deps: PeopleDeps): void {
  const flow = { sql: deps.sql, now: deps.now, oauth: deps.oauth };

  app.get(
    '/api/v1/auth/providers',
    { config: { scope: 'public' }, schema: { tags, summary: 'The sign-in providers configured here (for the sign-in page)', response: responses({ 200: ProvidersReply }) } },
    async () => ({ providers: configuredProviders(deps.oauth).map((p) => ({ id: p.id, name: p.displayName, startUrl: `/api/v1/auth/oauth/${p.id}/start` })) }),
  );

  app.get<{ Params: Static<typeof ProviderParams>; Querystring: Static<typeof StartQuery> }>(
    '/api/v1/auth/oauth/:provider/start',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: 'Sign in (or, with a session, link an account) with a provider: redirects to it',
        description:
          'Authorization code flow with PKCE (S256) and state, valid 10 minutes. Without a session this signs in (or signs up); with one, the provider account is linked to the signed-in user. 404 provider_not_configured for a provider not set up here.',
        params: ProviderParams,
        querystring: StartQuery,
        response: responses({ 302: Redirect }),
      },
    },
    async (req, reply) => {
      const { provider } = req.params;
      providerNamed(deps.oauth, provider);
      const returnTo = safeReturnTo(req.query.returnTo);
      await limitStarts(deps, req, reply);
      const session = await cookieSession(deps, req);
      const { url, state } = await startOAuth(flow, { provider, redirectUri: callbackUri(deps, req, provider), linkUserId: session?.userId ?? null, returnTo });
      reply.setCookie(stateCookieName, state, { path: stateCookiePath(provider), httpOnly: true, sameSite: 'lax', secure: secureCookies(deps.publicUrl, req), maxAge: oauthStateTtlMs / 1000 });
      return reply.redirect(url, 302);
    },
  );

  app.get<{ Params: Static<typeof ProviderParams>; Querystring: Static<typeof CallbackQuery> }>(
    '/api/v1/auth/oauth/:provider/callback',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        summary: "The provider's redirect back: signs in (a session cookie) or links, then redirects to returnTo",
        description:
          'The state is single-use and must come from the browser that started the sign-in. An unknown account with an email the provider verified is linked to the user with that email, else created; an unverified email matching an existing user is refused (409 oauth_email_unverified). Provider failures: 400 oauth_failed (refused or declined), 502 oauth_provider_error (unreachable, misconfigured).',
        params: ProviderParams,
        querystring: CallbackQuery,
        response: responses({ 302: Redirect }),
      },
    },
    async (req, reply) => {
      const { provider } = req.params;
      providerNamed(deps.oauth, provider); // 404 first: nothing below applies to a provider not configured here
      const secure = secureCookies(deps.publicUrl, req);
      const bound = req.cookies?.[stateCookieName];
      reply.clearCookie(stateCookieName, { path: stateCookiePath(provider), httpOnly: true, sameSite: 'lax', secure });
      if (req.query.state !== undefined && (bound === undefined || !sameSecret(bound, req.query.state))) {
        throw new AppError('oauth_state_invalid', 'This sign-in was started in another browser (or its cookie expired): start it again here');
      }
      const current = await cookieSession(deps, req);
      const outcome = await finishOAuth(flow, {
        provider,
        state: req.query.state,
        code: req.query.code,
        error: req.query.error,
        errorDescription: req.query.error_description,
        redirectUri: callbackUri(deps, req, provider),
        signedInUserId: current?.userId ?? null,
      });
      if (outcome.kind === 'signed_in') {
        // A session the browser already had ends: a cookie planted before sign-in never becomes a signed-in one.
        if (current) await deleteSession(deps.sql, current.userId, current.sessionId);
        const { token } = await createSession(deps.sql, { userId: outcome.userId, userAgent: req.headers['user-agent'] ?? null, address: req.ip }, deps.now(), deps.sessions);
        setSessionCookies(reply, token, { secure, maxAgeSeconds: Math.floor(deps.sessions.maxMs / 1000) });
      }
      req.log.info({ provider, userId: outcome.userId, outcome: outcome.kind === 'linked' ? 'linked' : outcome.created ? 'created' : outcome.linkedByEmail ? 'linked_by_email' : 'signed_in' }, 'provider sign-in');
      return reply.redirect(outcome.returnTo ?? '/', 302);
    },
  );

  app.delete<{ Params: Static<typeof ProviderParams> }>(
    '/api/v1/auth/identities/:provider',
    {
      config: { scope: 'user' },
      schema: {
        tags,
        summary: 'Unlink a sign-in provider from your account',
        description: '409 last_sign_in_method when it is your only way to sign in (no password, no other provider).',
        params: ProviderParams,
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      const { userId } = personOf(req);
      const { provider } = req.params;
      if (!(providers as readonly string[]).includes(provider)) throw new AppError('not_found', `There is no sign-in provider "${provider}"; known: ${providers.join(', ')}`, { provider });
      const r = await unlinkIdentityKeepingSignIn(deps.sql, userId, provider as Provider);
      if (r === 'not_linked') throw new AppError('not_found', `No ${provider} account is linked to yours`, { provider });
      if (r === 'last_sign_in_method') throw new AppError('last_sign_in_method', undefined, { provider });
      req.log.info({ provider, userId }, 'provider unlinked');
      return reply.code(204).send();
    },
  );
}
