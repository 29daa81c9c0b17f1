// The Explore time range: relative (last 1h/24h/7d/30d, ending now) or absolute, and the step that
// keeps a long range light (the API aggregates per bucket).

export const relativeRanges = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type RelativeRange = keyof typeof relativeRanges;

export interface Range {
  fromMs: number;
  toMs: number;
}

export function resolveRange(range: string | null, from: string | null, to: string | null, nowMs: number): Range {
  if (range === 'custom' && from && to) {
    const f = Date.parse(from);
    const t = Date.parse(to);
    if (Number.isFinite(f) && Number.isFinite(t) && f < t) return { fromMs: f, toMs: t };
  }
  const span = relativeRanges[(range ?? '24h') as RelativeRange] ?? relativeRanges['24h'];
  return { fromMs: nowMs - span, toMs: nowMs };
}

/** No step up to a day (raw points); 5-minute buckets up to a week, hourly up to 90 days, then daily. */
export function stepFor(r: Range): '5m' | '1h' | '1d' | undefined {
  const span = r.toMs - r.fromMs;
  if (span <= 86_400_000) return undefined;
  if (span <= 7 * 86_400_000) return '5m';
  if (span <= 90 * 86_400_000) return '1h';
  return '1d';
}

/** The forecast grid that fits points spaced `spacingMs` apart. */
export function frequencyFor(spacingMs: number): '1m' | '5m' | '1h' | '1d' {
  if (spacingMs <= 60_000) return '1m';
  if (spacingMs <= 300_000) return '5m';
  if (spacingMs <= 3_600_000) return '1h';
  return '1d';
}

/** Median gap between consecutive timestamps (ms); 0 with fewer than two. */
export function medianSpacing(tsMs: number[]): number {
  if (tsMs.length < 2) return 0;
  const gaps = tsMs.slice(1).map((t, i) => t - tsMs[i]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/** `<input type="datetime-local">` text for an instant, in local time. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
