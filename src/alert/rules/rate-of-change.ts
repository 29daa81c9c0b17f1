// Rate-of-change rules: fire when the series moves faster than maxRate per unit over a trailing
// window. The rate is (last − first) / elapsed over the samples in [now − window, now]: robust to
// irregular spacing and cheap, at the price of ignoring what happens between the two ends.
import { Type } from 'typebox';
import { samplesBetween } from '../samples.js';
import { formatDuration, formatSeries, formatValue, iso } from '../summary.js';
import { finiteSetting, type RuleKindSpec } from './kind.js';

const unitMs: Readonly<Record<RateOfChangeCondition['unit'], number>> = { per_minute: 60_000, per_hour: 3_600_000 };
const unitText: Readonly<Record<RateOfChangeCondition['unit'], string>> = { per_minute: '/min', per_hour: '/h' };

/** Whether a rate (per unit) breaks the limit in the condition's direction (strictly beyond maxRate). */
export function exceeds(rate: number, c: Pick<RateOfChangeCondition, 'maxRate' | 'direction'>): boolean {
  switch (c.direction) {
    case 'up':
      return rate > c.maxRate;
    case 'down':
      return rate < -c.maxRate;
    case 'both':
      return Math.abs(rate) > c.maxRate;
  }
}

export interface RateOfChangeCondition {
  kind: 'rate_of_change';
  /** Fires when |rate| (per unit) exceeds this, in the given direction. */
  maxRate: number;
  unit: 'per_minute' | 'per_hour';
  /** The rate is measured over this trailing window: (last − first) / elapsed, scaled to the unit. */
  windowSeconds: number;
  /** Default 'both'. */
  direction: 'up' | 'down' | 'both';
}

const schema = Type.Object(
  {
    kind: Type.Literal('rate_of_change'),
    maxRate: Type.Number({ minimum: 0 }),
    unit: Type.Union([Type.Literal('per_minute'), Type.Literal('per_hour')], { default: 'per_minute' }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86_400 }),
    direction: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('both')], { default: 'both' }),
  },
  { additionalProperties: false, description: '(last − first) / elapsed over the trailing window, scaled to the unit, beyond maxRate' },
);

export const rateOfChange: RuleKindSpec<RateOfChangeCondition, typeof schema> = {
  kind: 'rate_of_change',
  schema,
  normalise: (c) => ({ kind: 'rate_of_change', maxRate: c.maxRate, unit: c.unit ?? 'per_minute', windowSeconds: c.windowSeconds, direction: c.direction ?? 'both' }),

  lookbackMs: (c) => c.windowSeconds * 1000,

  evaluate(rule, prev, input, nowMs) {
    const c = rule.condition;
    finiteSetting(c.maxRate, 'maxRate');
    const windowMs = c.windowSeconds * 1000;
    const series = formatSeries(input.key, input.dimensions);
    const window = formatDuration(windowMs);
    const limit = `${formatValue(c.maxRate)}${unitText[c.unit]}`;
    const base = { unit: c.unit, windowSeconds: c.windowSeconds, direction: c.direction, maxRate: c.maxRate };
    // A sample exactly at now − window is inside the window.
    const samples = samplesBetween(input, nowMs - windowMs, nowMs);
    const first = samples[0];
    const last = samples.at(-1);
    if (!first || !last || last.t <= first.t) {
      return {
        state: { status: 'inactive', activeSinceMs: null },
        value: null,
        summary: `${series}: too few points in the last ${window} to measure a rate`,
        details: { ...base, reason: 'insufficient_data', points: samples.length, rate: null },
      };
    }

    const rate = rateBetween(first, last, unitMs[c.unit]);
    const finite = Number.isFinite(rate);
    const points = { first: { at: iso(first.t), value: first.v }, last: { at: iso(last.t), value: last.v } };
    const moving = rate > 0 ? 'rising' : rate < 0 ? 'falling' : 'flat';
    const speed = rate === 0 ? '' : finite ? ` at ${formatValue(Math.abs(rate))}${unitText[c.unit]}` : ` at a rate beyond the range of a double`;
    // An infinite rate exceeds every limit in its direction; it is reported as null (JSON has no Infinity).
    const firing = exceeds(rate, c);
    const activeSinceMs = firing ? (prev && prev.status !== 'inactive' && prev.activeSinceMs !== null ? prev.activeSinceMs : nowMs) : null;
    return {
      state: { status: firing ? 'firing' : 'inactive', activeSinceMs },
      value: finite ? rate : null,
      summary: `${series} ${moving}${speed} over ${window} (limit ${limit}${c.direction === 'both' ? '' : ` ${c.direction}`})`,
      details: { ...base, rate: finite ? rate : null, ...(finite ? {} : { reason: 'rate_beyond_double_range' }), ...points, points: samples.length },
    };
  },
};

/**
 * (last − first) / elapsed, per unit. Values near ±1e308 overflow the difference: it is then taken at
 * half scale; a rate beyond the double range comes back as ±Infinity (its sign still says the direction).
 */
export function rateBetween(first: { t: number; v: number }, last: { t: number; v: number }, unitMs: number): number {
  const rate = ((last.v - first.v) / (last.t - first.t)) * unitMs;
  if (Number.isFinite(rate)) return rate;
  return ((last.v / 2 - first.v / 2) / (last.t - first.t)) * unitMs * 2;
}
