// Accounts with email and password: register, verify the address, sign in, reset and change the
// password. No HTTP here: the routes (api/routes/auth.ts) translate. `linkBase` is where links in
// emails point: PUBLIC_URL, or the origin the request came to.
import { AppError } from '../core/errors.js';
import { passwordChangedEmail, passwordResetEmail, registrationAttemptEmail, verificationEmail } from '../mail/account-emails.js';
import type { Mail } from '../mail/mailer.js';
import type { RateLimitPolicy } from '../ratelimit/limiter.js';
import type { Sql } from '../store/sql.js';
import type { PeopleDeps } from './deps.js';
import { assertPasswordAllowed } from './password-policy.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { createSession, deleteOtherSessions, type Session } from './sessions.js';
import { assertSignInAllowed, defaultSignInThrottle, recordSignInFailure, type SignInThrottlePolicy } from './sign-in-throttle.js';
import { hashToken, isTokenShaped } from './tokens.js';
import { consumeUserToken, issueUserToken, peekUserToken, revokeUserTokens, type TokenRefusal } from './user-tokens.js';
import { createUser, EmailTakenError, findUserByEmail, getUser, markEmailVerified, setPasswordHash, type User } from './users.js';

/** A verification link works for 24 hours, a password-reset link for 1 hour. */
export const verifyEmailTtlMs = 24 * 3_600_000;
export const passwordResetTtlMs = 3_600_000;
/** Verification emails a signed-in user may ask for again: 3 an hour. */
export const resendVerificationPolicy: RateLimitPolicy = { max: 3, windowSeconds: 3600 };
/** Reset emails per account: 3 an hour; more requests get the same reply and no email (no inbox flooding). */
export const resetEmailPolicy: RateLimitPolicy = { max: 3, windowSeconds: 3600 };

/** The dashboard pages the emails link to; they post the token to the API. */
export const links = {
  verifyEmail: (base: string, token: string) => `${base}/verify-email?token=${token}`,
  resetPassword: (base: string, token: string) => `${base}/reset-password?token=${token}`,
  signIn: (base: string) => `${base}/sign-in`,
  forgotPassword: (base: string) => `${base}/reset-password`,
};

/**
 * Sends without waiting: the reply (and its timing) must not depend on the mail server, and a reply
 * that says "check your email" is the same whether or not this one goes out. Failures are logged.
 */
function sendInBackground(deps: PeopleDeps, mail: Mail, kind: string): void {
  deps.sendMail(mail).then(
    () => deps.log.info({ component: 'accounts', mailKind: kind }, 'account email sent'),
    (err: unknown) => deps.log.warn({ component: 'accounts', mailKind: kind, err }, 'could not send an account email'),
  );
}

function refuse(reason: TokenRefusal): never {
  throw new AppError(reason);
}

/**
 * Registers an unverified user and emails a verification link. With a taken address nothing is
 * created and the owner is told by email instead; the caller cannot tell the two apart (same reply,
 * and the same work: the password is checked and hashed either way).
 */
export async function register(deps: PeopleDeps, input: { email: string; password: string; name: string }, linkBase: string): Promise<void> {
  await assertPasswordAllowed(input.password, input.email);
  const passwordHash = await hashPassword(input.password, deps.passwordScryptLogN);
  const now = deps.now();
  let user: User;
  try {
    user = await createUser(deps.sql, { email: input.email, name: input.name.trim(), passwordHash }, now);
  } catch (err) {
    if (!(err instanceof EmailTakenError)) throw err;
    sendInBackground(deps, registrationAttemptEmail(err.email, links.signIn(linkBase), links.forgotPassword(linkBase)), 'registration_attempt');
    return;
  }
  const { token } = await issueUserToken(deps.sql, user.id, 'verify_email', verifyEmailTtlMs, now);
  sendInBackground(deps, verificationEmail(user.email, user.name, links.verifyEmail(linkBase, token), verifyEmailTtlMs), 'verify_email');
}

/** Marks the address of the token's user verified; the token (and any other verification link) is spent. */
export async function verifyEmail(deps: PeopleDeps, token: string): Promise<User> {
  const now = deps.now();
  const used = await consumeUserToken(deps.sql, token, 'verify_email', now);
  if (!used.ok) refuse(used.reason);
  await markEmailVerified(deps.sql, used.userId, now);
  await revokeUserTokens(deps.sql, used.userId, 'verify_email', now);
  return (await getUser(deps.sql, used.userId))!;
}

/** Emails a new verification link to a signed-in, unverified user (rate-limited per user). */
export async function resendVerification(deps: PeopleDeps, userId: string, linkBase: string): Promise<{ to: string }> {
  const user = await getUser(deps.sql, userId);
  if (!user) throw new AppError('session_expired');
  if (user.emailVerifiedAt) throw new AppError('already_verified');
  const d = await deps.limiter.check(`verify-resend:${userId}`, resendVerificationPolicy);
  if (!d.allowed) {
    throw new AppError('rate_limited', `At most ${d.limit} verification emails an hour; retry in ${d.resetSeconds} s`, { reason: 'verification_resend', retryAfterSeconds: d.resetSeconds, limit: d.limit });
  }
  const now = deps.now();
  const { token } = await issueUserToken(deps.sql, user.id, 'verify_email', verifyEmailTtlMs, now);
  sendInBackground(deps, verificationEmail(user.email, user.name, links.verifyEmail(linkBase, token), verifyEmailTtlMs), 'verify_email');
  return { to: user.email };
}

/**
 * Checks an email and password and starts a new session. An unknown email, an account without a
 * password and a wrong password all get `invalid_credentials` after the same work (a hash
 * verification, against a dummy hash when there is no real one); failures are throttled per account
 * and per address (`rate_limited`, checked before any hashing). A hash made at another cost is
 * replaced after the sign-in.
 */
export async function signIn(
  deps: PeopleDeps,
  input: { email: string; password: string; address: string; userAgent?: string | null },
  throttle: SignInThrottlePolicy = defaultSignInThrottle,
): Promise<{ user: User; session: Session; token: string }> {
  const who = { email: input.email, address: input.address };
  await assertSignInAllowed(deps.limiter, who, throttle);
  const user = await findUserByEmail(deps.sql, input.email);
  const stored = user?.passwordHash ?? (await dummyHash(deps.passwordScryptLogN));
  const v = await verifyPassword(input.password, stored, deps.passwordScryptLogN);
  if (!user?.passwordHash || !v.ok) {
    await recordSignInFailure(deps.limiter, who, throttle);
    throw new AppError('invalid_credentials');
  }
  if (v.needsRehash) rehashInBackground(deps, user.id, user.passwordHash, input.password);
  const { session, token } = await createSession(deps.sql, { userId: user.id, userAgent: input.userAgent ?? null, address: input.address }, deps.now(), deps.sessions);
  return { user, session, token };
}

/** Stores the password at the current cost, unless it changed meanwhile (compare-and-set on the old hash). */
function rehashInBackground(deps: PeopleDeps, userId: string, oldHash: string, password: string): void {
  hashPassword(password, deps.passwordScryptLogN)
    .then((hash) => deps.sql.query(`UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [userId, oldHash, hash]))
    .then(
      () => deps.log.info({ component: 'accounts', userId }, 'password rehashed at the current cost'),
      (err: unknown) => deps.log.warn({ component: 'accounts', userId, err }, 'could not rehash a password'),
    );
}

/**
 * Ends the session a presented cookie names, whoever it belongs to (session fixation: a sign-in never
 * keeps a session the browser already carried). Unknown or malformed tokens are ignored.
 */
export async function endPresentedSession(sql: Sql, token: string | undefined): Promise<boolean> {
  if (!isTokenShaped(token)) return false;
  const r = await sql.query(`DELETE FROM sessions WHERE token_hash = $1`, [hashToken(token)]);
  return r.rowCount > 0;
}

/**
 * Emails a reset link when an account has the address; does nothing otherwise. The caller replies
 * the same either way.
 */
export async function requestPasswordReset(deps: PeopleDeps, email: string, linkBase: string): Promise<void> {
  const user = await findUserByEmail(deps.sql, email);
  if (!user) return;
  const d = await deps.limiter.check(`reset-mail:${user.id}`, resetEmailPolicy);
  if (!d.allowed) {
    deps.log.info({ component: 'accounts', userId: user.id }, 'password reset requested too often; no email sent');
    return;
  }
  const { token } = await issueUserToken(deps.sql, user.id, 'password_reset', passwordResetTtlMs, deps.now());
  sendInBackground(deps, passwordResetEmail(user.email, links.resetPassword(linkBase, token), passwordResetTtlMs), 'password_reset');
}

/**
 * Sets a new password with a reset token. The password is checked before the token is spent (a weak
 * one does not cost the link). The address counts as verified (the link reached the mailbox), and
 * every session of the user ends, as do other reset links.
 */
export async function confirmPasswordReset(deps: PeopleDeps, token: string, password: string): Promise<User> {
  const now = deps.now();
  const peek = await peekUserToken(deps.sql, token, 'password_reset', now);
  if (!peek.ok) refuse(peek.reason);
  const user = await getUser(deps.sql, peek.userId);
  if (!user) refuse('invalid_token');
  await assertPasswordAllowed(password, user.email);
  const passwordHash = await hashPassword(password, deps.passwordScryptLogN);
  await deps.sql.transaction(async (tx) => {
    const used = await consumeUserToken(tx, token, 'password_reset', now);
    if (!used.ok) refuse(used.reason);
    await setPasswordHash(tx, user.id, passwordHash, now);
    await markEmailVerified(tx, user.id, now);
    await deleteOtherSessions(tx, user.id, null);
    await revokeUserTokens(tx, user.id, 'password_reset', now);
  });
  return (await getUser(deps.sql, user.id))!;
}

/**
 * Changes the password of a signed-in user: the current one is required when there is one (wrong
 * guesses count as failed sign-ins); an account without a password (provider sign-in only) sets its
 * first. Every other session ends; `sessionId` (the caller's) stays. The owner is told by email.
 */
export async function changePassword(
  deps: PeopleDeps,
  input: { userId: string; sessionId: string; currentPassword?: string; newPassword: string; address: string },
  linkBase: string,
  throttle: SignInThrottlePolicy = defaultSignInThrottle,
): Promise<void> {
  const user = await getUser(deps.sql, input.userId);
  if (!user) throw new AppError('session_expired');
  await assertPasswordAllowed(input.newPassword, user.email);
  if (user.passwordHash) {
    if (input.currentPassword === undefined) {
      throw new AppError('validation_failed', 'currentPassword is required: the account has a password', [{ field: 'body.currentPassword', message: 'is required when the account has a password' }]);
    }
    const who = { email: user.email, address: input.address };
    await assertSignInAllowed(deps.limiter, who, throttle);
    const v = await verifyPassword(input.currentPassword, user.passwordHash, deps.passwordScryptLogN);
    if (!v.ok) {
      await recordSignInFailure(deps.limiter, who, throttle);
      throw new AppError('wrong_password');
    }
  }
  const passwordHash = await hashPassword(input.newPassword, deps.passwordScryptLogN);
  const now = deps.now();
  await deps.sql.transaction(async (tx) => {
    await setPasswordHash(tx, user.id, passwordHash, now);
    await deleteOtherSessions(tx, user.id, input.sessionId);
    await revokeUserTokens(tx, user.id, 'password_reset', now);
  });
  sendInBackground(deps, passwordChangedEmail(user.email, links.forgotPassword(linkBase)), 'password_changed');
}
