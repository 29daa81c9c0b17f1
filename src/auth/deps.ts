import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SendMail } from '../mail/mailer.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { Sql } from '../store/sql.js';
import type { SessionPolicy } from './sessions.js';

/** One sign-in provider's client registration and endpoints (settings, so tests run a local provider). */
export interface OAuthClientSettings {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  /** Google: the userinfo endpoint; GitHub: the REST API base (`/user`, `/user/emails`). */
  apiUrl: string;
}

/** What the people routes (accounts, sessions, sign-in providers, members, invitations) are given. */
export interface PeopleDeps {
  sql: Sql;
  now: Clock;
  log: Logger;
  /** Throttles failed sign-ins per account and per address, and re-sending of emails. */
  limiter: RateLimiter;
  sendMail: SendMail;
  /** Base of links in emails and OAuth redirects; unset: the request's own origin. */
  publicUrl: string | undefined;
  sessions: SessionPolicy;
  /** scrypt cost, log2 N. */
  passwordScryptLogN: number;
  /** Configured providers only. */
  oauth: { google?: OAuthClientSettings; github?: OAuthClientSettings };
}
