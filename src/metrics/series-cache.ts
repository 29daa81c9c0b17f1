/**
 * Series ids by (org, identity), so a batch of known series needs no lookup. Bounded: when full,
 * the oldest half is dropped (Map iteration is insertion order). Only ids of committed series enter.
 */
export class SeriesCache {
  private readonly ids = new Map<string, number>();

  constructor(private readonly maxEntries = 500_000) {}

  get(orgId: string, identity: string): number | undefined {
    return this.ids.get(`${orgId}\u0002${identity}`);
  }

  set(orgId: string, identity: string, id: number): void {
    if (this.ids.size >= this.maxEntries) {
      let drop = this.maxEntries >> 1;
      for (const k of this.ids.keys()) {
        if (drop-- <= 0) break;
        this.ids.delete(k);
      }
    }
    this.ids.set(`${orgId}\u0002${identity}`, id);
  }

  get size(): number {
    return this.ids.size;
  }
}
