// GitHub sign-in: `GET /user` gives the account (numeric id, login, name), `GET /user/emails` (scope
// user:email) the addresses with `primary` and `verified`. Only the primary address is used, and it
// counts as verified only when GitHub says so.
import { AppError } from '../../core/errors.js';
import { getWithToken, type OAuthProvider, type ProviderProfile } from './provider.js';

// GitHub's REST API refuses requests without a User-Agent, and pins its behaviour by version header.
const apiHeaders = { accept: 'application/vnd.github+json', 'user-agent': 'IntentVision', 'x-github-api-version': '2022-11-28' };

interface GithubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

export const github: OAuthProvider = {
  id: 'github',
  displayName: 'GitHub',
  scope: 'read:user user:email',
  // Without it GitHub's token endpoint answers application/x-www-form-urlencoded.
  tokenHeaders: { accept: 'application/json' },
  async profile(call, accessToken): Promise<ProviderProfile> {
    const base = call.settings.apiUrl.replace(/\/+$/, '');
    const [user, emails] = await Promise.all([
      getWithToken(github, call, `${base}/user`, accessToken, apiHeaders) as Promise<Record<string, unknown> | undefined>,
      getWithToken(github, call, `${base}/user/emails`, accessToken, apiHeaders),
    ]);
    const id = user?.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw new AppError('oauth_provider_error', "GitHub's /user reply has no account id", { provider: 'github' });
    if (!Array.isArray(emails)) throw new AppError('oauth_provider_error', "GitHub's /user/emails reply is not a list", { provider: 'github' });
    const primary = (emails as GithubEmail[]).find((e) => e && e.primary === true && typeof e.email === 'string' && e.email.includes('@'));
    const name = [user!.name, user!.login].find((n): n is string => typeof n === 'string' && n.trim() !== '');
    return { subject: String(id), email: (primary?.email as string | undefined) ?? null, emailVerified: primary?.verified === true, name: name?.trim() ?? null };
  },
};
