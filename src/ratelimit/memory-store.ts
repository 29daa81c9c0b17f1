import { systemClock, type Clock } from '../core/clock.js';
import type { RateLimitStore } from './limiter.js';

/** Fixed windows in this process's memory; expired windows are swept once a minute. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: Clock = systemClock) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async hit(bucket: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const t = this.clock().getTime();
    let w = this.windows.get(bucket);
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + windowMs };
      this.windows.set(bucket, w);
    }
    w.count++;
    return { count: w.count, resetMs: w.resetAt - t };
  }

  async peek(bucket: string): Promise<{ count: number; resetMs: number }> {
    const t = this.clock().getTime();
    const w = this.windows.get(bucket);
    return w && w.resetAt > t ? { count: w.count, resetMs: w.resetAt - t } : { count: 0, resetMs: 0 };
  }

  private sweep(): void {
    const t = this.clock().getTime();
    for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.windows.clear();
  }
}
