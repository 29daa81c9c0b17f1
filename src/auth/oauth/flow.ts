// Sign-in with a provider, without HTTP: start (state + PKCE, stored) and callback (take the state,
// exchange the code, read the profile, then find, link or create the account). The route turns the
// outcome into a session cookie and a redirect.
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';
import type { Sql } from '../../store/sql.js';
import type { OAuthClientSettings, PeopleDeps } from '../deps.js';
import { deleteOtherSessions } from '../sessions.js';
import { findIdentity, linkIdentity, providers, type Provider } from '../identities.js';
import { hashToken, isTokenShaped, newToken } from '../tokens.js';
import { createUser, EmailTakenError, findUserByEmail, getUser, markEmailVerified, normaliseEmail, setPasswordHash } from '../users.js';
import { codeChallengeOf, newCodeVerifier } from './pkce.js';
import { authorizeUrl, exchangeCode, type OAuthProvider, type ProviderProfile } from './provider.js';
import { oauthProviders } from './registry.js';
import { purgeExpiredOAuthStates, saveOAuthState, takeOAuthState } from './states.js';

export interface OAuthFlowDeps {
  sql: Sql;
  now: Clock;
  /** The configured providers. */
  oauth: PeopleDeps['oauth'];
  /** Per call to a provider; default {@link defaultProviderTimeoutMs}. */
  timeoutMs?: number;
}

export const defaultProviderTimeoutMs = 10_000;

/** The providers configured here, in a fixed order (for the sign-in page). */
export function configuredProviders(oauth: PeopleDeps['oauth']): OAuthProvider[] {
  return providers.filter((p) => oauth[p]).map((p) => oauthProviders[p]);
}

/** The provider named `name` with its settings; 404 when it is unknown or not configured. */
export function providerNamed(oauth: PeopleDeps['oauth'], name: string): { provider: OAuthProvider; settings: OAuthClientSettings } {
  const id = (providers as readonly string[]).includes(name) ? (name as Provider) : undefined;
  const settings = id && oauth[id];
  if (!id || !settings) {
    const configured = configuredProviders(oauth).map((p) => p.id);
    const message = id
      ? `Sign-in with ${oauthProviders[id].displayName} is not configured here (set OAUTH_${id.toUpperCase()}_CLIENT_ID and _CLIENT_SECRET)`
      : `There is no sign-in provider "${name.slice(0, 40)}"; known: ${providers.join(', ')}`;
    throw new AppError('provider_not_configured', message, { provider: name.slice(0, 40), configured });
  }
  return { provider: oauthProviders[id], settings };
}

/**
 * Starts a sign-in: a random state (stored hashed, with the PKCE verifier, the user to link when
 * `linkUserId` is set, and `returnTo`, for 10 minutes) and the provider's authorize URL.
 * `returnTo` must already be checked (return-to.ts).
 */
export async function startOAuth(
  deps: OAuthFlowDeps,
  req: { provider: string; redirectUri: string; linkUserId: string | null; returnTo: string | null },
): Promise<{ url: string; state: string }> {
  const { provider, settings } = providerNamed(deps.oauth, req.provider);
  const now = deps.now();
  const { token: state, hash } = newToken();
  const codeVerifier = newCodeVerifier();
  // Abandoned sign-ins go here rather than in a job: starts are rare and the delete uses the expiry index.
  await purgeExpiredOAuthStates(deps.sql, now);
  await saveOAuthState(deps.sql, hash, { provider: provider.id, codeVerifier, linkUserId: req.linkUserId, returnTo: req.returnTo }, now);
  return { url: authorizeUrl(provider, settings, { redirectUri: req.redirectUri, state, codeChallenge: codeChallengeOf(codeVerifier) }), state };
}

/** What a callback did: signed a user in (`created` when the account is new) or linked the provider to the signed-in user. */
export type AccountOutcome = { kind: 'signed_in'; userId: string; created: boolean; linkedByEmail: boolean } | { kind: 'linked'; userId: string };
export type OAuthOutcome = AccountOutcome & { returnTo: string | null };

/**
 * Finishes a sign-in at the callback: takes the state (once), exchanges the code with the stored
 * verifier, reads the profile, and resolves the account (see {@link accountFor}).
 * `signedInUserId` is the user of the session the callback request carries, if any.
 */
export async function finishOAuth(
  deps: OAuthFlowDeps,
  req: { provider: string; state: string | undefined; code: string | undefined; error: string | undefined; errorDescription: string | undefined; redirectUri: string; signedInUserId: string | null },
): Promise<OAuthOutcome> {
  const { provider, settings } = providerNamed(deps.oauth, req.provider);
  if (!isTokenShaped(req.state)) throw new AppError('oauth_state_invalid', 'The callback carries no valid state: start the sign-in again');
  const st = await takeOAuthState(deps.sql, hashToken(req.state), deps.now());
  if (!st || st.provider !== provider.id) throw new AppError('oauth_state_invalid');
  if (req.error !== undefined) {
    const details = { provider: provider.id, error: req.error.slice(0, 100), description: req.errorDescription?.slice(0, 300) };
    const message = req.error === 'access_denied' ? `The sign-in was cancelled at ${provider.displayName}` : `${provider.displayName} refused the sign-in (${details.error})`;
    throw new AppError('oauth_failed', message, details);
  }
  if (!req.code) throw new AppError('oauth_failed', `${provider.displayName} returned no authorization code: start the sign-in again`, { provider: provider.id });
  // A link started by one signed-in user finishes only in that user's session (else a link URL sent
  // to someone else would attach their provider account to the sender's user).
  if (st.linkUserId && st.linkUserId !== req.signedInUserId) {
    throw new AppError('oauth_state_invalid', 'This link was started by another signed-in user (or the session ended): sign in and link the provider again');
  }

  const call = { settings, timeoutMs: deps.timeoutMs ?? defaultProviderTimeoutMs };
  const accessToken = await exchangeCode(provider, call, { code: req.code, codeVerifier: st.codeVerifier, redirectUri: req.redirectUri });
  const profile = await provider.profile(call, accessToken);
  const outcome = await accountFor(deps.sql, provider.id, profile, st.linkUserId, deps.now());
  return { ...outcome, returnTo: st.returnTo };
}

/** Longest address the users table takes. */
const maxEmailLength = 320;

/**
 * Finds, links or creates the account for a provider profile, in one transaction:
 * - linking mode (`linkUserId`): links to that user, unless the provider account belongs to another;
 * - a known provider account: its user;
 * - a user with the same email: linked only when the provider verified the address (else 409: sign
 *   in with the password and link from settings). If that account's own address was never verified,
 *   whoever set its password never proved they own the mailbox: the password and sessions are
 *   removed before linking (pre-registration takeover);
 * - otherwise a new user without a password, verified when the provider verified the address.
 */
export async function accountFor(sql: Sql, provider: Provider, profile: ProviderProfile, linkUserId: string | null, now: Date): Promise<AccountOutcome> {
  const email = profile.email === null ? null : normaliseEmail(profile.email);
  if (email !== null && email.length > maxEmailLength) throw new AppError('oauth_no_email', `The provider's email address is longer than ${maxEmailLength} characters`, { provider });
  const verifiedEmail = profile.emailVerified ? email : null;
  try {
    return await sql.transaction(async (tx): Promise<AccountOutcome> => {
      const known = await findIdentity(tx, provider, profile.subject);
      const link = (userId: string) => linkIdentity(tx, { userId, provider, subject: profile.subject, email }, now);
      const verifyIfSame = async (userId: string, userEmail: string) => {
        if (verifiedEmail !== null && verifiedEmail === userEmail) await markEmailVerified(tx, userId, now);
      };

      if (linkUserId) {
        if (known && known.userId !== linkUserId) throw new AppError('identity_in_use', `This ${provider} account is already linked to another user: unlink it there first`, { provider });
        const user = await getUser(tx, linkUserId);
        if (!user) throw new AppError('oauth_state_invalid', 'The account being linked no longer exists');
        if (!known) await link(user.id);
        await verifyIfSame(user.id, user.email);
        return { kind: 'linked', userId: user.id };
      }

      if (known) {
        const user = await getUser(tx, known.userId);
        if (user) await verifyIfSame(user.id, user.email);
        return { kind: 'signed_in', userId: known.userId, created: false, linkedByEmail: false };
      }

      if (email === null) throw new AppError('oauth_no_email', undefined, { provider });
      const existing = await findUserByEmail(tx, email);
      if (existing) {
        if (verifiedEmail === null) throw new AppError('oauth_email_unverified', undefined, { provider, email });
        if (!existing.emailVerifiedAt) {
          await setPasswordHash(tx, existing.id, null, now);
          await deleteOtherSessions(tx, existing.id, null);
          await markEmailVerified(tx, existing.id, now);
        }
        await link(existing.id);
        return { kind: 'signed_in', userId: existing.id, created: false, linkedByEmail: true };
      }

      const name = (profile.name ?? email.split('@')[0] ?? email).slice(0, 200) || email.slice(0, 200);
      const user = await createUser(tx, { email, name, passwordHash: null, emailVerifiedAt: verifiedEmail === null ? null : now }, now);
      await link(user.id);
      return { kind: 'signed_in', userId: user.id, created: true, linkedByEmail: false };
    });
  } catch (err) {
    // Two callbacks for the same new person at once: the second finds the row the first made.
    if (err instanceof EmailTakenError) throw new AppError('conflict', 'An account with this email was created at the same moment: sign in again', { provider });
    if ((err as { code?: string }).code === '23505') throw new AppError('identity_in_use', `This ${provider} account was linked to a user at the same moment: sign in again`, { provider });
    throw err;
  }
}
