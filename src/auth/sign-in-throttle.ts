// Failed sign-ins are limited per account (a guessed password for one person) and per client address
// (one source trying many accounts). Only failures count; the counts are read before the password is
// checked, so a throttled attempt costs no hash. The account bucket is keyed by the email as typed
// (normalised), whether or not it exists: a 429 says nothing about existence.
import { AppError } from '../core/errors.js';
import type { RateLimiter, RateLimitPolicy } from '../ratelimit/limiter.js';
import { normaliseEmail } from './users.js';

export interface SignInThrottlePolicy {
  perAccount: RateLimitPolicy;
  perAddress: RateLimitPolicy;
}

/** 5 failures per account and 20 per address within 15 minutes. */
export const defaultSignInThrottle: SignInThrottlePolicy = {
  perAccount: { max: 5, windowSeconds: 900 },
  perAddress: { max: 20, windowSeconds: 900 },
};

const accountBucket = (email: string) => `signin-fail:account:${normaliseEmail(email)}`;
const addressBucket = (address: string) => `signin-fail:address:${address}`;

/**
 * Throws `rate_limited` (429) when the account or the address has used up its failures;
 * `details.reason` says which (`account` | `address`), `details.retryAfterSeconds` when to retry.
 */
export async function assertSignInAllowed(limiter: RateLimiter, who: { email: string; address: string }, policy: SignInThrottlePolicy = defaultSignInThrottle): Promise<void> {
  const [account, address] = await Promise.all([limiter.peek(accountBucket(who.email), policy.perAccount), limiter.peek(addressBucket(who.address), policy.perAddress)]);
  for (const [reason, d, p] of [['address', address, policy.perAddress], ['account', account, policy.perAccount]] as const) {
    if (d.allowed) continue;
    const what = reason === 'account' ? 'for this account' : 'from this address';
    throw new AppError('rate_limited', `Too many failed sign-ins ${what} (${p.max} in ${p.windowSeconds / 60} minutes); retry in ${d.resetSeconds} s, or reset your password`, {
      reason,
      retryAfterSeconds: d.resetSeconds,
      limit: d.limit,
    });
  }
}

/** Counts one failed sign-in against the account and the address. */
export async function recordSignInFailure(limiter: RateLimiter, who: { email: string; address: string }, policy: SignInThrottlePolicy = defaultSignInThrottle): Promise<void> {
  await Promise.all([limiter.check(accountBucket(who.email), policy.perAccount), limiter.check(addressBucket(who.address), policy.perAddress)]);
}
