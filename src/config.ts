import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { LevelWithSilent } from 'pino';
import { parseCidrList } from './net/addresses.js';

/** Validated platform configuration. Built once in main.ts from the environment and flags. */
export interface Config {
  port: number;
  host: string;
  /** A postgres:// URL selects PostgreSQL; undefined selects the embedded store in {@link dataDir}. */
  databaseUrl: string | undefined;
  /** Embedded store directory (absolute). */
  dataDir: string;
  redisUrl: string | undefined;
  logLevel: LevelWithSilent;
  /** Default per-key limit: requests per window. */
  rateLimitMax: number;
  rateLimitWindowSeconds: number;
  /** Limit per client address for requests without a valid key (slows key guessing). */
  rateLimitAnonMax: number;
  /** Failed authentications per client address per window before it gets 429 ahead of any key lookup. */
  authFailureMax: number;
  /** The window of {@link authFailureMax}, seconds. */
  authFailureWindowSeconds: number;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /** Run the job queue workers and schedules in this process. */
  jobsEnabled: boolean;
  /** Most metrics one ingest request may carry (413 batch_too_large beyond). */
  ingestMaxBatch: number;
  /** How far in the future a timestamp may be, seconds (clock skew of senders). */
  ingestMaxFutureSkewSeconds: number;
  /** A point with the timestamp of a stored point of the same series: kept (`reject`) or replaced (`overwrite`). */
  duplicatePolicy: 'reject' | 'overwrite';
  /** How long an Idempotency-Key's reply is kept, hours. */
  idempotencyTtlHours: number;
  /** How long rejected items stay in the dead-letter queue, days. */
  deadLetterRetentionDays: number;
  /** Days resolved alerts, ended silences and channel tests are kept. */
  alertRetentionDays: number;
  /** Seconds between compaction runs (1–60): the job starts each minute and repeats within it when shorter. */
  compactionIntervalSeconds: number;
  /** Nixtla TimeGPT API key; the `nixtla-timegpt` backend is available only with one. Never logged. */
  nixtlaApiKey: string | undefined;
  /** Nixtla API base URL. */
  nixtlaBaseUrl: string;
  /** Worker threads for forecasting (0: on the event loop, for tiny deployments). */
  forecastWorkers: number;
  /** The platform's public base URL, for links in alert notifications; unset: notifications carry no link. */
  publicUrl: string | undefined;
  /**
   * CIDR ranges outbound connections (notification channels, Nixtla) may reach although internal
   * (loopback, private, link-local, …); default none. See src/net/outbound.ts.
   */
  outboundAllowedCidrs: string[];
  /** Sliding session lifetime, days (renewed on use). */
  sessionTtlDays: number;
  /** Absolute session lifetime, days: a session ends this long after sign-in however much it is used. */
  sessionMaxDays: number;
  /** smtp(s):// URL for account emails (verification, reset, invitations); unset: the message and its link are logged at info. */
  smtpUrl: string | undefined;
  /** Sender of account emails. */
  mailFrom: string;
  /** scrypt cost as log2 N (OWASP: 17 = 128 MiB per hash); lower only for tests. */
  passwordScryptLogN: number;
  /** On a start with no users: the first owner's email (owner of the platform organisation). */
  bootstrapAdminEmail: string | undefined;
  /** Its password; unset: a password-reset link is logged instead. Never logged. */
  bootstrapAdminPassword: string | undefined;
  /** Google sign-in: client id and secret (both or neither), and the endpoints (settings so tests can run a local provider). */
  oauthGoogleClientId: string | undefined;
  oauthGoogleClientSecret: string | undefined;
  oauthGoogleAuthUrl: string;
  oauthGoogleTokenUrl: string;
  oauthGoogleUserinfoUrl: string;
  /** GitHub sign-in: client id and secret (both or neither), and the endpoints. */
  oauthGithubClientId: string | undefined;
  oauthGithubClientSecret: string | undefined;
  oauthGithubAuthUrl: string;
  oauthGithubTokenUrl: string;
  /** GitHub's REST API base (`/user`, `/user/emails`). */
  oauthGithubApiUrl: string;
}

/** One option: its environment name, its flag, its default and its parser. */
interface OptionSpec<T> {
  env: string;
  flag: string;
  description: string;
  default: T;
  parse: (raw: string) => T;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`must be a whole number between ${min} and ${max}, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

const sizeUnits: Record<string, number> = { '': 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

/** "1048576", "512kb", "4mb" → bytes. */
export function parseSize(raw: string): number {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? sizeUnits[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`must be a size such as 1048576, 512kb or 4mb, got "${raw}"`);
  const n = Number(m[1]) * unit;
  if (n < 1024 || n > 1024 ** 3) throw new Error(`must be between 1kb and 1gb, got "${raw}"`);
  return n;
}

/** Text; empty means unset. */
function optionalText(raw: string): string | undefined {
  return raw.trim() || undefined;
}

/** A URL of one of `protocols` with a default when empty. */
function urlWithDefault(protocols: string[], what: string, fallback: string) {
  return (raw: string): string => optionalUrl(protocols, what)(raw) ?? fallback;
}

/** An optional URL of one of `protocols`; empty means unset. */
function optionalUrl(protocols: string[], what: string) {
  return (raw: string): string | undefined => {
    if (raw.trim() === '') return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`must be ${what}, got "${raw}"`);
    }
    if (!protocols.includes(url.protocol)) throw new Error(`must be ${what}, got protocol "${url.protocol}"`);
    return raw;
  };
}

function boolean(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`must be true or false, got "${raw}"`);
}

const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const options = {
  port: { env: 'PORT', flag: 'port', description: 'HTTP port', default: 8080, parse: integer(0, 65535) },
  host: {
    env: 'HOST', flag: 'host', description: 'Address to listen on', default: '0.0.0.0',
    parse: (raw: string) => {
      if (!raw.trim()) throw new Error('must not be empty');
      return raw.trim();
    },
  },
  databaseUrl: {
    env: 'DATABASE_URL', flag: 'database-url', description: 'postgres:// URL; unset: embedded store in DATA_DIR',
    default: undefined as string | undefined,
    parse: optionalUrl(['postgres:', 'postgresql:'], 'a postgres:// URL'),
  },
  dataDir: { env: 'DATA_DIR', flag: 'data-dir', description: 'Embedded store directory', default: './data', parse: (raw: string) => raw },
  redisUrl: {
    env: 'REDIS_URL', flag: 'redis-url', description: 'redis:// URL for shared rate limits (optional)',
    default: undefined as string | undefined,
    parse: optionalUrl(['redis:', 'rediss:'], 'a redis:// or rediss:// URL'),
  },
  logLevel: {
    env: 'LOG_LEVEL', flag: 'log-level', description: `One of ${levels.join(', ')}`, default: 'info' as LevelWithSilent,
    parse: (raw: string): LevelWithSilent => {
      const v = raw.trim().toLowerCase();
      if (!levels.includes(v)) throw new Error(`must be one of ${levels.join(', ')}, got "${raw}"`);
      return v as LevelWithSilent;
    },
  },
  rateLimitMax: { env: 'RATE_LIMIT_MAX', flag: 'rate-limit', description: 'Default requests per key per window', default: 600, parse: integer(1, 10_000_000) },
  rateLimitWindowSeconds: { env: 'RATE_LIMIT_WINDOW_SECONDS', flag: 'rate-limit-window', description: 'Rate-limit window, seconds', default: 60, parse: integer(1, 86_400) },
  rateLimitAnonMax: { env: 'RATE_LIMIT_ANON_MAX', flag: 'rate-limit-anon', description: 'Requests per client address per window without a valid key', default: 60, parse: integer(1, 10_000_000) },
  authFailureMax: { env: 'AUTH_FAILURE_MAX', flag: 'auth-failure-max', description: 'Failed authentications per client address per window before it gets 429 ahead of any key lookup (keys it used successfully still pass)', default: 20, parse: integer(1, 10_000_000) },
  authFailureWindowSeconds: { env: 'AUTH_FAILURE_WINDOW_SECONDS', flag: 'auth-failure-window', description: 'Window of AUTH_FAILURE_MAX, seconds', default: 300, parse: integer(1, 86_400) },
  bodyLimitBytes: { env: 'BODY_LIMIT', flag: 'body-limit', description: 'Largest request body (e.g. 4mb)', default: 4 * 1024 * 1024, parse: parseSize },
  ingestMaxBatch: { env: 'INGEST_MAX_BATCH', flag: 'ingest-max-batch', description: 'Most metrics per ingest request', default: 1000, parse: integer(1, 100_000) },
  ingestMaxFutureSkewSeconds: { env: 'INGEST_MAX_FUTURE_SKEW_SECONDS', flag: 'ingest-max-future-skew', description: 'How far in the future a timestamp may be, seconds', default: 300, parse: integer(0, 31_536_000) },
  duplicatePolicy: {
    env: 'DUPLICATE_POLICY', flag: 'duplicate-policy', description: 'reject or overwrite a point whose series and timestamp are stored', default: 'reject' as 'reject' | 'overwrite',
    parse: (raw: string): 'reject' | 'overwrite' => {
      const v = raw.trim().toLowerCase();
      if (v !== 'reject' && v !== 'overwrite') throw new Error(`must be reject or overwrite, got "${raw}"`);
      return v;
    },
  },
  idempotencyTtlHours: { env: 'IDEMPOTENCY_TTL_HOURS', flag: 'idempotency-ttl', description: 'Hours an Idempotency-Key reply is kept', default: 24, parse: integer(1, 24 * 365) },
  alertRetentionDays: { env: 'ALERT_RETENTION_DAYS', flag: 'alert-retention', description: 'Days resolved alerts (with history and notifications), ended silences and channel tests are kept', default: 90, parse: integer(1, 3650) },
  compactionIntervalSeconds: { env: 'COMPACTION_INTERVAL_SECONDS', flag: 'compaction-interval', description: 'Seconds between compaction runs of closed windows into chunks (1–60)', default: 60, parse: integer(1, 60) },
  deadLetterRetentionDays: { env: 'DEAD_LETTER_RETENTION_DAYS', flag: 'dead-letter-retention', description: 'Days rejected items are kept', default: 7, parse: integer(1, 3650) },
  nixtlaApiKey: {
    env: 'NIXTLA_API_KEY', flag: 'nixtla-api-key', description: 'Nixtla TimeGPT API key (enables the nixtla-timegpt backend)',
    default: undefined as string | undefined,
    parse: (raw: string) => raw.trim() || undefined,
  },
  nixtlaBaseUrl: { env: 'NIXTLA_BASE_URL', flag: 'nixtla-base-url', description: 'Nixtla API base URL', default: 'https://api.nixtla.io', parse: (raw: string) => optionalUrl(['https:', 'http:'], 'an http(s):// URL')(raw) ?? 'https://api.nixtla.io' },
  forecastWorkers: { env: 'FORECAST_WORKERS', flag: 'forecast-workers', description: 'Worker threads for forecasting (0: none, run inline)', default: Math.max(1, availableParallelism() - 1), parse: integer(0, 256) },
  publicUrl: { env: 'PUBLIC_URL', flag: 'public-url', description: 'Public base URL of the platform, for links in alert notifications', default: undefined as string | undefined, parse: optionalUrl(['https:', 'http:'], 'an http(s):// URL') },
  outboundAllowedCidrs: {
    env: 'OUTBOUND_ALLOWED_CIDRS', flag: 'outbound-allowed-cidrs', description: 'Comma-separated CIDR ranges outbound connections may reach although internal (e.g. 127.0.0.0/8 for local receivers); default none',
    default: [] as string[],
    parse: parseCidrList,
  },
  sessionTtlDays: { env: 'SESSION_TTL_DAYS', flag: 'session-ttl', description: 'Days a sign-in session lasts without use (renewed on use)', default: 30, parse: integer(1, 3650) },
  sessionMaxDays: { env: 'SESSION_MAX_DAYS', flag: 'session-max', description: 'Days a sign-in session lasts at most, however much it is used', default: 90, parse: integer(1, 3650) },
  smtpUrl: { env: 'SMTP_URL', flag: 'smtp-url', description: 'smtp(s)://user:pass@host:port for account emails; unset: emails (with their links) are logged', default: undefined as string | undefined, parse: optionalUrl(['smtp:', 'smtps:'], 'an smtp:// or smtps:// URL') },
  mailFrom: { env: 'MAIL_FROM', flag: 'mail-from', description: 'Sender of account emails', default: 'IntentVision <no-reply@intentvision.local>', parse: (raw: string) => raw.trim() || 'IntentVision <no-reply@intentvision.local>' },
  passwordScryptLogN: { env: 'PASSWORD_SCRYPT_LOG_N', flag: 'password-scrypt-log-n', description: 'Password hash cost, log2 of scrypt N (17: 128 MiB, OWASP)', default: 17, parse: integer(10, 20) },
  bootstrapAdminEmail: { env: 'BOOTSTRAP_ADMIN_EMAIL', flag: 'bootstrap-admin-email', description: 'First start: create this user as owner of the platform organisation', default: undefined as string | undefined, parse: optionalText },
  bootstrapAdminPassword: { env: 'BOOTSTRAP_ADMIN_PASSWORD', flag: 'bootstrap-admin-password', description: "The first owner's password; unset: a password-reset link is logged", default: undefined as string | undefined, parse: optionalText },
  oauthGoogleClientId: { env: 'OAUTH_GOOGLE_CLIENT_ID', flag: 'oauth-google-client-id', description: 'Google sign-in client id', default: undefined as string | undefined, parse: optionalText },
  oauthGoogleClientSecret: { env: 'OAUTH_GOOGLE_CLIENT_SECRET', flag: 'oauth-google-client-secret', description: 'Google sign-in client secret', default: undefined as string | undefined, parse: optionalText },
  oauthGoogleAuthUrl: { env: 'OAUTH_GOOGLE_AUTH_URL', flag: 'oauth-google-auth-url', description: "Google's authorization endpoint", default: 'https://accounts.google.com/o/oauth2/v2/auth', parse: urlWithDefault(['https:', 'http:'], 'an http(s):// URL', 'https://accounts.google.com/o/oauth2/v2/auth') },
  oauthGoogleTokenUrl: { env: 'OAUTH_GOOGLE_TOKEN_URL', flag: 'oauth-google-token-url', description: "Google's token endpoint", default: 'https://oauth2.googleapis.com/token', parse: urlWithDefault(['https:', 'http:'], 'an http(s):// URL', 'https://oauth2.googleapis.com/token') },
  oauthGoogleUserinfoUrl: { env: 'OAUTH_GOOGLE_USERINFO_URL', flag: 'oauth-google-userinfo-url', description: "Google's userinfo endpoint", default: 'https://openidconnect.googleapis.com/v1/userinfo', parse: urlWithDefault(['https:', 'http:'], 'an http(s):// URL', 'https://openidconnect.googleapis.com/v1/userinfo') },
  oauthGithubClientId: { env: 'OAUTH_GITHUB_CLIENT_ID', flag: 'oauth-github-client-id', description: 'GitHub sign-in client id', default: undefined as string | undefined, parse: optionalText },
  oauthGithubClientSecret: { env: 'OAUTH_GITHUB_CLIENT_SECRET', flag: 'oauth-github-client-secret', description: 'GitHub sign-in client secret', default: undefined as string | undefined, parse: optionalText },
  oauthGithubAuthUrl: { env: 'OAUTH_GITHUB_AUTH_URL', flag: 'oauth-github-auth-url', description: "GitHub's authorization endpoint", default: 'https://github.com/login/oauth/authorize', parse: urlWithDefault(['https:', 'http:'], 'an http(s):// URL', 'https://github.com/login/oauth/authorize') },
  oauthGithubTokenUrl: { env: 'OAUTH_GITHUB_TOKEN_URL', flag: 'oauth-github-token-url', description: "GitHub's token endpoint", default: 'https://github.com/login/oauth/access_token', parse: urlWithDefault(['https:', 'http:'], 'an http(s):// URL', 'https://github.com/login/oauth/access_token') },
  oauthGithubApiUrl: { env: 'OAUTH_GITHUB_API_URL', flag: 'oauth-github-api-url', description: "GitHub's REST API base", default: 'https://api.github.com', parse: urlWithDefault(['https:', 'http:'], 'an http(s):// URL', 'https://api.github.com') },
  jobsEnabled: { env: 'JOBS_ENABLED', flag: 'jobs', description: 'Run job workers and schedules in this process', default: true, parse: boolean },
} satisfies { [K in keyof Config]: OptionSpec<Config[K]> };

/**
 * Builds the configuration from environment variables, overridden by flags (`--port 9090` given as
 * `{port: '9090'}` keyed by flag name). Collects every problem and throws one {@link ConfigError}.
 */
export function loadConfig(env: Record<string, string | undefined>, flags: Record<string, string | undefined> = {}): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(options) as [keyof Config, OptionSpec<unknown>][]) {
    const fromFlag = flags[spec.flag];
    const raw = fromFlag ?? env[spec.env];
    if (raw === undefined) {
      out[name] = spec.default;
      continue;
    }
    try {
      out[name] = spec.parse(raw);
    } catch (e) {
      const source = fromFlag !== undefined ? `--${spec.flag}` : spec.env;
      problems.push(`${source} ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const config = out as unknown as Config;
  for (const p of ['Google', 'Github'] as const) {
    if ((config[`oauth${p}ClientId`] === undefined) !== (config[`oauth${p}ClientSecret`] === undefined)) {
      problems.push(`OAUTH_${p.toUpperCase()}_CLIENT_ID and OAUTH_${p.toUpperCase()}_CLIENT_SECRET must be set together`);
    }
  }
  if (config.sessionMaxDays < config.sessionTtlDays) problems.push(`SESSION_MAX_DAYS (${config.sessionMaxDays}) must be at least SESSION_TTL_DAYS (${config.sessionTtlDays})`);
  if (problems.length) throw new ConfigError(problems);
  config.dataDir = resolve(config.dataDir);
  return config;
}
