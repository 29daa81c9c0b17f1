/**
 * The newest stored timestamp of each series, as far as this process knows (issue 18's append path).
 * A hint, never the authority: a value lower than the truth (another process wrote since) only sends
 * a point to a unique violation and the checked path; a value higher than the truth (points deleted
 * since) only sends one to the checked path. Both stay exact; see src/metrics/points/write.ts.
 *
 * Bounded: when full, the oldest half is dropped (Map iteration is insertion order), as SeriesCache.
 * Keyed by series id alone: ids are unique across organisations.
 */
export class LastTimestamps {
  private readonly newest = new Map<number, number>();

  constructor(private readonly maxEntries = 1_000_000) {}

  /** The remembered newest timestamp (epoch ms) of a series; undefined when not remembered. */
  get(seriesId: number): number | undefined {
    return this.newest.get(seriesId);
  }

  /**
   * Raises each series' remembered timestamp to the given one (never lowers it). Call only after the
   * transaction that stored those points committed.
   */
  remember(newest: ReadonlyMap<number, number>): void {
    // forEach: no [key, value] array per entry (a batch brings a thousand of them).
    newest.forEach((ms, id) => {
      const known = this.newest.get(id);
      if (known !== undefined) {
        if (ms > known) this.newest.set(id, ms);
        return;
      }
      if (this.newest.size >= this.maxEntries) this.dropOldestHalf();
      this.newest.set(id, ms);
    });
  }

  get size(): number {
    return this.newest.size;
  }

  private dropOldestHalf(): void {
    let drop = this.maxEntries >> 1;
    for (const k of this.newest.keys()) {
      if (drop-- <= 0) break;
      this.newest.delete(k);
    }
  }
}
