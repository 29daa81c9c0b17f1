import { LastTimestamps } from './points/last-timestamps.js';

/**
 * Series ids by (org, identity), so a batch of known series needs no lookup. Bounded: when full,
 * the oldest half is dropped (Map iteration is insertion order). Only ids of committed series enter.
 * Also carries the process' memory of each series' newest stored timestamp (the append path's hint).
 */
export class SeriesCache {
  private readonly ids = new Map<string, number>();
  /** Newest stored timestamp per series id, raised after each committed write (points/write.ts). */
  readonly lastTimestamps: LastTimestamps;

  constructor(private readonly maxEntries = 500_000) {
    this.lastTimestamps = new LastTimestamps(maxEntries * 2);
  }

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
