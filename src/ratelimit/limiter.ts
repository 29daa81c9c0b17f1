/** Counts hits in fixed windows. Memory for one process, Redis to share limits across processes. */
export interface RateLimitStore {
  /** Counts one hit in `bucket`'s current window of `windowMs`; returns the count so far and ms until the window resets. */
  hit(bucket: string, windowMs: number): Promise<{ count: number; resetMs: number }>;
  /** The count of `bucket`'s current window without counting a hit (0 and 0 ms when none is open). */
  peek(bucket: string): Promise<{ count: number; resetMs: number }>;
  close(): Promise<void>;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
}

export interface RateLimitPolicy {
  max: number;
  windowSeconds: number;
}

/**
 * Applies a policy to a bucket. A store that fails (Redis unreachable) lets the request through and
 * reports it: an outage of the limiter must not become an outage of the API.
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly onStoreError: (err: Error) => void = () => undefined,
  ) {}

  async check(bucket: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    const windowMs = policy.windowSeconds * 1000;
    try {
      // The window length is part of the bucket so a changed policy starts a fresh count.
      const { count, resetMs } = await this.store.hit(`${bucket}:${policy.windowSeconds}`, windowMs);
      return {
        allowed: count <= policy.max,
        limit: policy.max,
        remaining: Math.max(0, policy.max - count),
        resetSeconds: Math.max(1, Math.ceil(resetMs / 1000)),
      };
    } catch (err) {
      this.onStoreError(err as Error);
      return { allowed: true, limit: policy.max, remaining: policy.max, resetSeconds: policy.windowSeconds };
    }
  }

  /**
   * Whether `bucket` is still under the policy's limit, without counting a hit: for counts that
   * only some outcomes add to (failed authentications), checked before the work they guard.
   */
  async peek(bucket: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    try {
      const { count, resetMs } = await this.store.peek(`${bucket}:${policy.windowSeconds}`);
      return {
        allowed: count < policy.max,
        limit: policy.max,
        remaining: Math.max(0, policy.max - count),
        resetSeconds: count ? Math.max(1, Math.ceil(resetMs / 1000)) : policy.windowSeconds,
      };
    } catch (err) {
      this.onStoreError(err as Error);
      return { allowed: true, limit: policy.max, remaining: policy.max, resetSeconds: policy.windowSeconds };
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
