// When to try a delivery again, and how long to wait first. Pure: the random source is injected so
// tests are exact.
import type { DeliveryResult } from './notifier.js';

export interface BackoffPolicy {
  /** Delay before the second attempt, before jitter, in ms (> 0). */
  baseMs: number;
  /** Upper bound of the exponential delay, in ms (a Retry-After may exceed it). */
  maxMs: number;
  /** Growth per attempt (≥ 1; 2 doubles). */
  factor: number;
  /**
   * `full` (default): uniform in [0, delay], which spreads a burst of failing deliveries the most;
   * `equal`: delay/2 plus uniform in [0, delay/2], which keeps a floor; `none`: the delay itself.
   */
  jitter?: 'full' | 'equal' | 'none';
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
}

/** A sensible default for notification channels: 1 s, 2 s, 4 s … up to 5 min, full jitter. */
export const defaultBackoff: BackoffPolicy = { baseMs: 1000, maxMs: 5 * 60_000, factor: 2, jitter: 'full' };

/**
 * The wait in ms after failed attempt number `attempt` (1 for the first attempt) before the next:
 * min(maxMs, baseMs · factor^(attempt−1)) with jitter, and never less than the receiver's
 * Retry-After (`retryAfterMs`), which a receiver under load should be able to count on.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy, retryAfterMs?: number): number {
  const n = Math.max(1, Math.floor(attempt));
  const cap = Math.min(policy.maxMs, policy.baseMs * Math.pow(Math.max(1, policy.factor), n - 1));
  const r = Math.min(Math.max((policy.random ?? Math.random)(), 0), 1);
  const jitter = policy.jitter ?? 'full';
  const delay = jitter === 'none' ? cap : jitter === 'equal' ? cap / 2 + (r * cap) / 2 : r * cap;
  return Math.round(Math.max(delay, retryAfterMs ?? 0));
}

/** Whether failed attempt number `attempt` (1-based) should be followed by another. */
export function shouldRetry(result: DeliveryResult, attempt: number, maxAttempts: number): boolean {
  return !result.ok && result.retryable && attempt < maxAttempts;
}
