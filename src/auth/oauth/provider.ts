// The contract every sign-in provider implements (one file a provider: google.ts, github.ts), and
// the parts of the authorization code flow they share: the authorize URL and the code exchange.
import { AppError } from '../../core/errors.js';
import type { OAuthClientSettings } from '../deps.js';
import type { Provider } from '../identities.js';
import { callProvider, providerText, type ProviderCall } from './http.js';

export type { ProviderCall } from './http.js';

/** What a provider says about the person who signed in. */
export interface ProviderProfile {
  /** The provider's stable account id (Google `sub`, GitHub numeric `id`): emails change, this does not. */
  subject: string;
  /** Null when the provider shares none. */
  email: string | null;
  /** True only when the provider says it verified that `email` belongs to this account. */
  emailVerified: boolean;
  name: string | null;
}

export interface OAuthProvider {
  id: Provider;
  /** For the sign-in page. */
  displayName: string;
  /** The scopes asked for, space-separated. */
  scope: string;
  /** Extra headers on the token request (GitHub answers form-encoded without `Accept: application/json`). */
  tokenHeaders?: Record<string, string>;
  /** Reads the profile with an access token. */
  profile(call: ProviderCall, accessToken: string): Promise<ProviderProfile>;
}

/** Where the browser goes to authorize: the code flow with state and an S256 PKCE challenge. */
export function authorizeUrl(p: OAuthProvider, settings: OAuthClientSettings, req: { redirectUri: string; state: string; codeChallenge: string }): string {
  const url = new URL(settings.authUrl);
  const q = url.searchParams;
  q.set('client_id', settings.clientId);
  q.set('redirect_uri', req.redirectUri);
  q.set('response_type', 'code');
  q.set('scope', p.scope);
  q.set('state', req.state);
  q.set('code_challenge', req.codeChallenge);
  q.set('code_challenge_method', 'S256');
  return url.toString();
}

// Token errors that mean the platform's client registration or request is wrong (the operator must
// fix the settings): 502. Every other error refuses this one code (expired, used, wrong verifier): 400.
const configurationErrors = new Set(['invalid_client', 'unauthorized_client', 'incorrect_client_credentials', 'redirect_uri_mismatch', 'unsupported_grant_type', 'invalid_request', 'invalid_scope']);

/** Exchanges an authorization code (with its PKCE verifier) for an access token. */
export async function exchangeCode(p: OAuthProvider, call: ProviderCall, req: { code: string; codeVerifier: string; redirectUri: string }): Promise<string> {
  const { settings } = call;
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: req.code,
    redirect_uri: req.redirectUri,
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
    code_verifier: req.codeVerifier,
  });
  const res = await callProvider(p, call, settings.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...p.tokenHeaders },
    body: body.toString(),
  });
  const reply = (res.body ?? {}) as Record<string, unknown>;
  // Google answers errors with 400/401; GitHub with 200 and an `error` field.
  if (typeof reply.error === 'string') {
    const details = { provider: p.id, error: providerText(reply.error), description: providerText(reply.error_description) };
    if (configurationErrors.has(reply.error)) {
      throw new AppError('oauth_provider_error', `${p.displayName} refused the platform's client registration (${details.error}): check the OAUTH_${p.id.toUpperCase()}_* settings`, details);
    }
    throw new AppError('oauth_failed', `${p.displayName} refused the authorization code (${details.error}): start the sign-in again`, details);
  }
  if (res.status !== 200 || typeof reply.access_token !== 'string' || reply.access_token === '') {
    throw new AppError('oauth_provider_error', `${p.displayName}'s token endpoint replied ${res.status} without an access token`, { provider: p.id, status: res.status });
  }
  return reply.access_token;
}

/** Reads a JSON resource with the access token; anything but 200 is the provider's failure (502). */
export async function getWithToken(p: OAuthProvider, call: ProviderCall, url: string, accessToken: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await callProvider(p, call, url, { method: 'GET', headers: { accept: 'application/json', authorization: `Bearer ${accessToken}`, ...headers } });
  if (res.status !== 200) throw new AppError('oauth_provider_error', `${p.displayName} replied ${res.status} to ${new URL(url).pathname}`, { provider: p.id, status: res.status });
  return res.body;
}
