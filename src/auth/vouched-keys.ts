import { hashApiKey } from './api-keys.js';

/**
 * API keys this process verified recently, by SHA-256 of the secret (never the secret). Used only
 * to let a known-good key through while its client address is in a failed-authentication streak;
 * the key is still looked up and checked (revocation, expiry) like any other.
 */
export class VouchedKeys {
  private readonly verifiedAt = new Map<string, number>();

  /** @param ttlMs how long a verification vouches for a key, ms. @param maxEntries most keys kept (oldest dropped). */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  add(secret: string, nowMs: number): void {
    const h = hashApiKey(secret);
    this.verifiedAt.delete(h); // re-inserted last: the Map's order is oldest first
    this.verifiedAt.set(h, nowMs);
    if (this.verifiedAt.size > this.maxEntries) this.verifiedAt.delete(this.verifiedAt.keys().next().value!);
  }

  has(secret: string, nowMs: number): boolean {
    const at = this.verifiedAt.get(hashApiKey(secret));
    return at !== undefined && nowMs - at < this.ttlMs;
  }

  delete(secret: string): void {
    this.verifiedAt.delete(hashApiKey(secret));
  }
}
