import { Redis } from 'ioredis';
import type { RateLimitStore } from './limiter.js';

// INCR and the window's expiry in one atomic step, so every process sees one count per window.
const hitScript = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;

// The count and its remaining time, read together; nothing is written.
const peekScript = `
local c = redis.call('GET', KEYS[1])
if not c then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {0, 0} end
return {tonumber(c), ttl}`;

type LimiterRedis = Redis & { ivHit(key: string, windowMs: number): Promise<[number, number]>; ivPeek(key: string): Promise<[number, number]> };

/** Fixed windows in Redis: limits hold across every API process sharing the Redis. */
export class RedisRateLimitStore implements RateLimitStore {
  private constructor(
    private readonly redis: LimiterRedis,
    private readonly prefix: string,
  ) {}

  /** Connects and fails with a clear error when Redis does not answer. */
  static async connect(url: string, prefix = 'iv:rl:'): Promise<RedisRateLimitStore> {
    const redis = new Redis(url, {
      lazyConnect: true,
      // Fail fast while disconnected instead of queueing: the limiter then lets requests through.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
    }) as LimiterRedis;
    redis.on('error', () => undefined); // reported per call by the limiter; reconnects on its own
    redis.defineCommand('ivHit', { numberOfKeys: 1, lua: hitScript });
    redis.defineCommand('ivPeek', { numberOfKeys: 1, lua: peekScript });
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new Error(`cannot reach Redis at ${url.replace(/\/\/[^@]*@/, '//***@')}: ${(err as Error).message}`);
    }
    return new RedisRateLimitStore(redis, prefix);
  }

  async hit(bucket: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const [count, ttl] = await this.redis.ivHit(this.prefix + bucket, windowMs);
    return { count: Number(count), resetMs: Number(ttl) };
  }

  async peek(bucket: string): Promise<{ count: number; resetMs: number }> {
    const [count, ttl] = await this.redis.ivPeek(this.prefix + bucket);
    return { count: Number(count), resetMs: Number(ttl) };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
