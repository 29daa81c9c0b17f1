// A SeriesSource over series held in memory: for tests, and for callers that already hold samples.
import type { RawSeries, SelectRequest, SeriesSource } from './types.js';
import { matchesAll } from './labels.js';

/** Serves `series` filtered by the request's matchers and window (startMs < t ≤ endMs); counts calls. */
export class MemorySource implements SeriesSource {
  /** Every request received, in order (tests assert the engine's fetch plan with it). */
  readonly requests: SelectRequest[] = [];

  constructor(private readonly series: readonly RawSeries[]) {}

  async select(req: SelectRequest): Promise<RawSeries[]> {
    this.requests.push(req);
    const out: RawSeries[] = [];
    for (const s of this.series) {
      if (!matchesAll(s.labels, req.matchers)) continue;
      const lo = upperBound(s.timestampsMs, req.startMs);
      const hi = upperBound(s.timestampsMs, req.endMs);
      out.push({ labels: s.labels, timestampsMs: s.timestampsMs.subarray(lo, hi), values: s.values.subarray(lo, hi) });
    }
    return out;
  }
}

/** Builds a RawSeries from `[epoch ms, value]` pairs (sorted here). */
export function rawSeries(labels: Record<string, string>, samples: readonly (readonly [number, number])[]): RawSeries {
  const sorted = [...samples].sort((a, b) => a[0] - b[0]);
  return { labels, timestampsMs: Float64Array.from(sorted, (s) => s[0]), values: Float64Array.from(sorted, (s) => s[1]) };
}

/** First index whose time is greater than `t` (arrays ascending). */
export function upperBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
