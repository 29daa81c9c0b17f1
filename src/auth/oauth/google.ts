// Google sign-in (OpenID Connect): the userinfo endpoint (settings' apiUrl) gives `sub`, `email`,
// `email_verified` and `name` for the scopes `openid email profile`.
import { AppError } from '../../core/errors.js';
import { getWithToken, type OAuthProvider, type ProviderProfile } from './provider.js';

/** OpenID Connect sends email_verified as a boolean; some Google endpoints have sent the string "true". */
const isTrue = (v: unknown): boolean => v === true || v === 'true';

export const google: OAuthProvider = {
  id: 'google',
  displayName: 'Google',
  scope: 'openid email profile',
  async profile(call, accessToken): Promise<ProviderProfile> {
    const info = (await getWithToken(google, call, call.settings.apiUrl, accessToken)) as Record<string, unknown> | undefined;
    const sub = info?.sub;
    if (typeof sub !== 'string' || sub === '' || sub.length > 255) throw new AppError('oauth_provider_error', "Google's userinfo reply has no account id (sub)", { provider: 'google' });
    const email = typeof info!.email === 'string' && info!.email.includes('@') ? info!.email : null;
    const name = typeof info!.name === 'string' && info!.name.trim() !== '' ? info!.name.trim() : null;
    return { subject: sub, email, emailVerified: email !== null && isTrue(info!.email_verified), name };
  },
};
