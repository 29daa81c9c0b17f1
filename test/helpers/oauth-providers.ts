// Local Google and GitHub sign-in servers (node:http on 127.0.0.1) speaking the real endpoints'
// protocol: authorize (redirects back with a code bound to the client, redirect_uri and PKCE
// challenge), token (checks the client secret, redirect_uri and SHA-256(code_verifier) = challenge,
// answering errors the way each provider does) and the profile endpoints (Google userinfo; GitHub
// /user and /user/emails). The person "signed in at the provider" is whoever `signIn` last named.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OAuthClientSettings } from '../../src/auth/deps.js';

/** An account at the provider. */
export interface ProviderAccount {
  /** Google `sub` (string) or GitHub numeric `id`. */
  id: string | number;
  /** The primary address; null: none shared (Google without the email scope, GitHub without emails). */
  email: string | null;
  emailVerified: boolean;
  name?: string | null;
  /** GitHub's login (default derived from the id). */
  login?: string;
  /** GitHub: more (non-primary) addresses. */
  otherEmails?: { email: string; verified: boolean }[];
}

/** One request the server received (for assertions on what the platform sent). */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  form?: URLSearchParams;
}

export interface LocalProvider {
  kind: 'google' | 'github';
  /** What the platform is configured with (client id and secret, the local endpoints). */
  settings: OAuthClientSettings;
  /** Sets the account the next authorizations grant. */
  signIn(account: ProviderAccount): void;
  /** The next authorization is declined by the person (error=access_denied). */
  declineNext(): void;
  /** Every token endpoint reply is this status with a non-JSON body until reset (null). */
  failTokenEndpoint(status: number | null): void;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  account: ProviderAccount;
  used: boolean;
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(302, { location: to }).end();
}

/** The parts both providers share; `paths` and `dialect` make each one its provider. */
async function startProvider(kind: 'google' | 'github'): Promise<LocalProvider> {
  const clientId = `${kind}-client-${randomBytes(4).toString('hex')}`;
  const clientSecret = `${kind}-secret-${randomBytes(8).toString('hex')}`;
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, ProviderAccount>();
  const requests: SeenRequest[] = [];
  let account: ProviderAccount | undefined;
  let decline = false;
  let tokenFailure: number | null = null;

  const paths =
    kind === 'google'
      ? { authorize: '/o/oauth2/v2/auth', token: '/token', scopes: ['openid', 'email', 'profile'] }
      : { authorize: '/login/oauth/authorize', token: '/login/oauth/access_token', scopes: ['read:user', 'user:email'] };

  /** A token error as each provider sends it: Google with 4xx JSON, GitHub with 200 (JSON only when asked). */
  function tokenError(req: IncomingMessage, res: ServerResponse, googleStatus: number, error: string, description: string): void {
    if (kind === 'google') return json(res, googleStatus, { error, error_description: description });
    const body = { error, error_description: description, error_uri: `https://docs.github.com/apps/troubleshooting#${error}` };
    if (/application\/json/.test(req.headers.accept ?? '')) return json(res, 200, body);
    res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(new URLSearchParams(body).toString());
  }

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    // Real providers show an error page (not a redirect) for an unknown client or a bad request.
    if (q.get('client_id') !== clientId) return json(res, 400, { error: 'invalid_client', message: 'The OAuth client was not found.' });
    if (!redirectUri || !/^https?:\/\//.test(redirectUri)) return json(res, 400, { error: 'invalid_request', message: 'redirect_uri missing' });
    if (kind === 'google' && q.get('response_type') !== 'code') return json(res, 400, { error: 'unsupported_response_type' });
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? '')) return json(res, 400, { error: 'invalid_request', message: 'PKCE S256 challenge required' });
    const scopes = (q.get('scope') ?? '').split(/[ ,]+/);
    if (!paths.scopes.every((s) => scopes.includes(s))) return json(res, 400, { error: 'invalid_scope', message: `scope must include ${paths.scopes.join(' ')}` });
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (decline || !account) {
      decline = false;
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
      return redirect(res, back.toString());
    }
    const code = randomBytes(kind === 'google' ? 24 : 10).toString(kind === 'google' ? 'base64url' : 'hex');
    grants.set(code, { clientId, redirectUri, challenge: q.get('code_challenge')!, account: { ...account }, used: false });
    back.searchParams.set('code', code);
    redirect(res, back.toString());
  }

  async function token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    if (tokenFailure !== null) return void res.writeHead(tokenFailure, { 'content-type': 'text/html' }).end('<html>Server Error</html>');
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return tokenError(req, res, 401, kind === 'google' ? 'invalid_client' : 'incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    }
    if (kind === 'google' && form.get('grant_type') !== 'authorization_code') return tokenError(req, res, 400, 'unsupported_grant_type', 'Invalid grant_type');
    const grant = grants.get(form.get('code') ?? '');
    if (!grant || grant.used || grant.clientId !== clientId) return tokenError(req, res, 400, kind === 'google' ? 'invalid_grant' : 'bad_verification_code', 'The code passed is incorrect or expired.');
    if (form.get('redirect_uri') !== grant.redirectUri) return tokenError(req, res, 400, 'redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    const verifier = form.get('code_verifier');
    if (!verifier || s256(verifier) !== grant.challenge) return tokenError(req, res, 400, kind === 'google' ? 'invalid_grant' : 'bad_verification_code', 'Invalid code verifier.');
    grant.used = true;
    const accessToken = kind === 'google' ? `ya29.${randomBytes(24).toString('base64url')}` : `gho_${randomBytes(18).toString('hex')}`;
    tokens.set(accessToken, grant.account);
    if (kind === 'google') return json(res, 200, { access_token: accessToken, expires_in: 3599, scope: paths.scopes.join(' '), token_type: 'Bearer' });
    const body = { access_token: accessToken, token_type: 'bearer', scope: paths.scopes.join(',') };
    if (!/application\/json/.test(req.headers.accept ?? '')) {
      return void res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(new URLSearchParams(body).toString());
    }
    json(res, 200, body);
  }

  function bearerAccount(req: IncomingMessage): ProviderAccount | undefined {
    const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
    return m ? tokens.get(m[1]!) : undefined;
  }

  function api(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (kind === 'github' && !req.headers['user-agent']) return void res.writeHead(403, { 'content-type': 'text/plain' }).end('Request forbidden by administrative rules. Please make sure your request has a User-Agent header');
    const who = bearerAccount(req);
    if (kind === 'google' && path === '/v1/userinfo') {
      if (!who) return json(res, 401, { error: 'invalid_request', error_description: 'Invalid Credentials' });
      return json(res, 200, { sub: String(who.id), name: who.name ?? undefined, email: who.email ?? undefined, email_verified: who.email === null ? undefined : who.emailVerified });
    }
    if (kind === 'github' && (path === '/api/user' || path === '/api/user/emails')) {
      if (!who) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      if (path === '/api/user') return json(res, 200, { login: who.login ?? `user${who.id}`, id: Number(who.id), name: who.name ?? null, email: null, type: 'User' });
      const emails = [...(who.email === null ? [] : [{ email: who.email, primary: true, verified: who.emailVerified, visibility: 'private' }]), ...(who.otherEmails ?? []).map((e) => ({ ...e, primary: false, visibility: null }))];
      return json(res, 200, emails);
    }
    json(res, 404, { message: 'Not Found' });
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = req.method === 'POST' ? await readBody(req) : '';
      const form = req.method === 'POST' ? new URLSearchParams(body) : undefined;
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, form });
      if (req.method === 'GET' && url.pathname === paths.authorize) return authorize(url, res);
      if (req.method === 'POST' && url.pathname === paths.token) return token(req, res, form!);
      if (req.method === 'GET') return api(req, res, url.pathname);
      json(res, 405, { error: 'method_not_allowed' });
    })().catch((err: Error) => res.writeHead(500).end(err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    kind,
    settings: {
      clientId,
      clientSecret,
      authUrl: `${base}${paths.authorize}`,
      tokenUrl: `${base}${paths.token}`,
      apiUrl: kind === 'google' ? `${base}/v1/userinfo` : `${base}/api`,
    },
    signIn(a) {
      account = a;
    },
    declineNext() {
      decline = true;
    },
    failTokenEndpoint(status) {
      tokenFailure = status;
    },
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A local Google: authorize at /o/oauth2/v2/auth, token at /token, userinfo at /v1/userinfo. */
export const startGoogleServer = (): Promise<LocalProvider> => startProvider('google');

/** A local GitHub: /login/oauth/authorize, /login/oauth/access_token, and the API (/user, /user/emails) under /api. */
export const startGithubServer = (): Promise<LocalProvider> => startProvider('github');
