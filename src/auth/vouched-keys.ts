/**
 * API keys this process verified recently, by the SHA-256 of the secret ({@link hashApiKey}; never the
 * secret). Used only to let a known-good key through while its client address is in a
 * failed-authentication streak; the key is still looked up and checked (revocation, expiry) like any
 * other. The caller hashes once per request and passes the hash to every method.
 */
export class VouchedKeys {
  private readonly verifiedAt = new Map<string, number>();

  /** @param ttlMs how long a verification vouches for a key, ms. @param maxEntries most keys kept (oldest dropped). */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  add(keyHash: string, nowMs: number): void {
    this.verifiedAt.delete(keyHash); // re-inserted last: the Map's order is oldest first
    this.verifiedAt.set(keyHash, nowMs);
    if (this.verifiedAt.size > this.maxEntries) this.verifiedAt.delete(this.verifiedAt.keys().next().value!);
  }

  has(keyHash: string, nowMs: number): boolean {
    const at = this.verifiedAt.get(keyHash);
    return at !== undefined && nowMs - at < this.ttlMs;
  }

  delete(keyHash: string): void {
    this.verifiedAt.delete(keyHash);
  }
}
