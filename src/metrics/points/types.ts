// The storage engine's contract between its parts (issue 18): what readers get back and how they ask.
// The implementations: read.ts (raw points: hot rows merged with chunks), buckets.ts (stepped
// aggregates, from rollups where they cover a bucket), write.ts (the append path), compact.ts (the
// compaction job), retention.ts (retention settings and enforcement), partitions.ts.

/** One series' points, ascending by time, timestamps unique. */
export interface PointArrays {
  /** Epoch ms (whole). */
  timestampsMs: Float64Array;
  values: Float64Array;
}

/** Ends of a read, each optional and all applied: afterMs < t, fromMs ≤ t, t < beforeMs, t ≤ toMs. */
export interface PointRange {
  afterMs?: number;
  fromMs?: number;
  beforeMs?: number;
  toMs?: number;
}

export interface ReadOptions {
  /** At most this many points a series: the oldest ones, or the newest with `newest`; ascending either way. */
  limit?: number;
  newest?: boolean;
}

/** First and last point time and point count of a series (hot rows and chunks together). */
export interface SeriesExtent {
  firstMs: number | null;
  lastMs: number | null;
  count: number;
}

export type BucketAggregation = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'last';

export interface BucketQuery {
  /** Inclusive ends, epoch ms: only points with fromMs ≤ t ≤ toMs count. */
  fromMs: number;
  toMs: number;
  /** Bucket width (ms); buckets start at multiples of it from the epoch (date_bin from the epoch). */
  stepMs: number;
  aggregation: BucketAggregation;
}

/** One series' buckets holding points, ascending by start. */
export interface BucketArrays {
  startsMs: Float64Array;
  /** NaN where the bucket's sum (sum, avg) lies beyond the double range (`overflow` is then 1). */
  values: Float64Array;
  /** 1 where `values` is NaN because a sum overflowed; the reader reports the reason. */
  overflow: Uint8Array;
}
