import { dimensionsIdentity, type Labels } from '../core/labels.js';
import { LastTimestamps } from './points/last-timestamps.js';

/**
 * The series with dimensions of one key: the first in place, the others in a map made when a second
 * comes (a key per series, as Graphite names them, costs no map).
 */
class KeySeries {
  more: Map<string, number> | null = null;
  /** `dims` is '' once the first was dropped (no series with dimensions has an empty dimensions identity). */
  constructor(
    public dims: string,
    public id: number,
  ) {}

  get(dims: string): number | undefined {
    return dims === this.dims ? this.id : this.more?.get(dims);
  }

  /** Returns how many entries were added (0 or 1). */
  set(dims: string, id: number): number {
    if (dims === this.dims) {
      this.id = id;
      return 0;
    }
    if (this.dims === '' && !this.more?.has(dims)) {
      this.dims = dims;
      this.id = id;
      return 1;
    }
    this.more ??= new Map();
    const before = this.more.size;
    this.more.set(dims, id);
    return this.more.size - before;
  }

  /** Drops up to `n` entries, the first one first; returns how many. */
  drop(n: number): number {
    let dropped = 0;
    if (n > 0 && this.dims !== '') {
      this.dims = '';
      dropped++;
    }
    if (this.more) {
      for (const d of this.more.keys()) {
        if (dropped >= n) break;
        this.more.delete(d);
        dropped++;
      }
    }
    return dropped;
  }

  get empty(): boolean {
    return this.dims === '' && !this.more?.size;
  }
}

/**
 * The cached series of one organisation, keyed by the two parts of their identity (core/labels.ts:
 * the key, then {@link dimensionsIdentity}): a look-up hashes the point's key as parsed and a short
 * dimensions string, never a fresh key-plus-dimensions string (hashing that was most of the time the
 * series look-up took per point). Series without dimensions (identity = key) sit in a map of their
 * own. Heap per series (500,000 cached): ~110 bytes for 1,000 keys of 500 series each, ~80 for keys
 * without dimensions, ~190 for a key per series with dimensions (~210, ~120 and ~170 when the cache
 * was one map keyed by the whole identity).
 */
export class OrgSeries {
  /** Series without dimensions, by key. */
  readonly plain = new Map<string, number>();
  /** Series with dimensions, by key then dimensions identity. */
  readonly byKey = new Map<string, KeySeries>();

  /** The id of the series (`key`, `dimensions`), if cached. */
  find(key: string, dimensions: Labels): number | undefined {
    const dims = dimensionsIdentity(dimensions);
    return dims === '' ? this.plain.get(key) : this.byKey.get(key)?.get(dims);
  }

  get(key: string, dims: string): number | undefined {
    return dims === '' ? this.plain.get(key) : this.byKey.get(key)?.get(dims);
  }

  /** By the parts of an identity; returns how many entries were added (0 or 1). */
  set(key: string, dims: string, id: number): number {
    if (dims === '') {
      const before = this.plain.size;
      this.plain.set(key, id);
      return this.plain.size - before;
    }
    const k = this.byKey.get(key);
    if (k) return k.set(dims, id);
    this.byKey.set(key, new KeySeries(dims, id));
    return 1;
  }

  /** Drops up to `n` entries, about the oldest first (plain series, then key by key, each key's series in its first place first); returns how many. */
  drop(n: number): number {
    let dropped = 0;
    for (const k of this.plain.keys()) {
      if (dropped >= n) return dropped;
      this.plain.delete(k);
      dropped++;
    }
    for (const [key, k] of this.byKey) {
      if (dropped >= n) break;
      dropped += k.drop(n - dropped);
      if (k.empty) this.byKey.delete(key);
    }
    return dropped;
  }
}

/** An identity's two parts: the key, then its dimensions (from the first U+0000 on, '' when none). */
function splitIdentity(identity: string): [key: string, dims: string] {
  const at = identity.indexOf('\u0000');
  return at < 0 ? [identity, ''] : [identity.slice(0, at), identity.slice(at)];
}

/**
 * Series ids by (org, identity), so a batch of known series needs no lookup. Bounded: when full,
 * about the oldest half is dropped (Map iteration is insertion order). Only ids of committed series enter.
 * Also carries the process' memory of each series' newest stored timestamp (the append path's hint).
 */
export class SeriesCache {
  // One entry per organisation: a lookup hashes the key and dimensions alone, not a fresh
  // org-prefixed string (measured ~13% of the ingest path's JavaScript work).
  private readonly orgs = new Map<string, OrgSeries>();
  private count = 0;
  /** Newest stored timestamp per series id, raised after each committed write (points/write.ts). */
  readonly lastTimestamps: LastTimestamps;

  constructor(private readonly maxEntries = 500_000) {
    this.lastTimestamps = new LastTimestamps(maxEntries * 2);
  }

  get(orgId: string, identity: string): number | undefined {
    const org = this.orgs.get(orgId);
    if (!org) return undefined;
    const [key, dims] = splitIdentity(identity);
    return org.get(key, dims);
  }

  /** The cached series of `orgId` (undefined while none are), for look-ups by key and dimensions: {@link OrgSeries.find}. */
  organisation(orgId: string): OrgSeries | undefined {
    return this.orgs.get(orgId);
  }

  set(orgId: string, identity: string, id: number): void {
    if (this.count >= this.maxEntries) this.dropOldestHalf();
    let org = this.orgs.get(orgId);
    if (!org) this.orgs.set(orgId, (org = new OrgSeries()));
    const [key, dims] = splitIdentity(identity);
    this.count += org.set(key, dims, id);
  }

  /** Drops half the entries, about the oldest first within each organisation (Map iteration is insertion order; see OrgSeries.drop). */
  private dropOldestHalf(): void {
    let drop = this.maxEntries >> 1;
    for (const [orgId, org] of this.orgs) {
      const n = org.drop(drop);
      this.count -= n;
      drop -= n;
      if (!org.plain.size && !org.byKey.size) this.orgs.delete(orgId);
      if (drop <= 0) break;
    }
  }

  get size(): number {
    return this.count;
  }
}
