// Missing-data rules: fire when a series that exists stopped receiving points. They read only when
// the series was last seen, so the pass must enumerate series from the store's series list, not
// from recent samples (a silent series has none).
import { Type } from 'typebox';
import { formatDuration, formatSeries, iso } from '../summary.js';
import type { RuleKindSpec } from './kind.js';

export interface MissingDataCondition {
  kind: 'missing_data';
  /** Fires when no point arrived for this long (ms); resolves by itself when data arrives. */
  expectedIntervalMs: number;
}

const schema = Type.Object(
  {
    kind: Type.Literal('missing_data'),
    expectedIntervalMs: Type.Integer({ minimum: 1000, maximum: 30 * 86_400_000, description: 'Fires when no point arrived for this long (ms)' }),
  },
  { additionalProperties: false, description: 'A series of the catalogue stopped reporting; resolves when data arrives' },
);

export const missingData: RuleKindSpec<MissingDataCondition, typeof schema> = {
  kind: 'missing_data',
  schema,
  normalise: (c) => ({ kind: 'missing_data', expectedIntervalMs: c.expectedIntervalMs }),

  // Only lastSeenMs is needed; samples passed anyway are used too (they may be newer than a cached lastSeenMs).
  lookbackMs: () => 0,

  evaluate(rule, _prev, input, nowMs) {
    const c = rule.condition;
    const series = formatSeries(input.key, input.dimensions);
    const lastSeenMs = newestSeen(input.lastSeenMs, input.timestampsMs, nowMs);
    const expected = formatDuration(c.expectedIntervalMs);
    // Never seen: not evaluated. A series that never reported is not "missing" (the pass only
    // evaluates series that exist, so this happens only for a series created without points).
    if (lastSeenMs === null) {
      return {
        state: { status: 'inactive', activeSinceMs: null },
        value: null,
        summary: `${series}: never reported, not evaluated`,
        details: { reason: 'never_seen', expectedIntervalMs: c.expectedIntervalMs, lastSeenAt: null, missingForMs: null },
      };
    }
    // A point stamped in the future (clock skew) counts as just seen.
    const missingForMs = Math.max(0, nowMs - lastSeenMs);
    // Strictly more than the interval: a point arriving exactly one interval after the last is on time.
    const firing = missingForMs > c.expectedIntervalMs;
    const details = { expectedIntervalMs: c.expectedIntervalMs, lastSeenAt: iso(lastSeenMs), missingForMs };
    return {
      // The episode began when the next point became overdue: the same on every pass and after a restart.
      state: firing ? { status: 'firing', activeSinceMs: lastSeenMs + c.expectedIntervalMs } : { status: 'inactive', activeSinceMs: null },
      value: missingForMs,
      summary: firing
        ? `${series}: no data for ${formatDuration(missingForMs)} (expected every ${expected}, last at ${iso(lastSeenMs)})`
        : `${series}: last point ${formatDuration(missingForMs)} ago (expected every ${expected})`,
      details,
    };
  },
};

/** The newest of lastSeenMs and the samples not after now. */
function newestSeen(lastSeenMs: number | null, timestampsMs: Float64Array, nowMs: number): number | null {
  let best = lastSeenMs !== null && Number.isFinite(lastSeenMs) ? lastSeenMs : null;
  for (let i = timestampsMs.length - 1; i >= 0; i--) {
    const t = timestampsMs[i]!;
    if (t > nowMs || !Number.isFinite(t)) continue;
    if (best === null || t > best) best = t;
    break;
  }
  return best;
}
