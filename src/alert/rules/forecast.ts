// Forecast rules: fire now when the forecast says the series will cross a value within the horizon.
// The bound that must cross is the interval's edge on the operator's side (gt/gte: upper, lt/lte:
// lower), so the rule fires when a breach is plausible at the forecast's level, not only expected;
// eq/neq compare the mean (an interval has no single edge to test equality on).
import { Type } from 'typebox';
import { frequencyMs, type Frequency } from '../../forecast/backend.js';
import { compare, operatorSymbols } from '../operators.js';
import { operators, type ForecastSample, type Operator } from '../rule.js';
import { formatDuration, formatSeries, formatValue, iso } from '../summary.js';
import { finiteSetting, literals, type RuleKindSpec } from './kind.js';

export type ForecastBound = 'upper' | 'lower' | 'mean';

/** Which series of the forecast the operator tests. */
export function boundFor(op: Operator): ForecastBound {
  return op === 'gt' || op === 'gte' ? 'upper' : op === 'lt' || op === 'lte' ? 'lower' : 'mean';
}

export interface ForecastCondition {
  kind: 'forecast';
  /** Look this far ahead (hours, > 0). */
  horizonHours: number;
  operator: Operator;
  value: number;
  /** Which interval must cross: the bound on the side of the operator (gt/gte: upper, lt/lte: lower). */
  level: 80 | 95;
}

/** The forecast frequency, grid step (ms), history (ms) and horizon (steps) of a forecast rule. */
export function forecastPlan(c: ForecastCondition): { frequency: Frequency; step: number; historyMs: number; horizon: number } {
  const frequency: Frequency = c.horizonHours <= 6 ? '5m' : '1h';
  const step = frequencyMs[frequency];
  const horizon = Math.min(720, Math.max(1, Math.ceil((c.horizonHours * 3_600_000) / step) + 1));
  return { frequency, step, historyMs: frequency === '5m' ? 3 * 86_400_000 : 28 * 86_400_000, horizon };
}

const schema = Type.Object(
  {
    kind: Type.Literal('forecast'),
    horizonHours: Type.Number({ exclusiveMinimum: 0, maximum: 720 }),
    operator: literals(operators),
    value: Type.Number(),
    level: Type.Union([Type.Literal(80), Type.Literal(95)], { default: 95, description: 'Interval whose edge on the operator side must cross (gt/gte: upper, lt/lte: lower)' }),
  },
  { additionalProperties: false, description: 'The forecast crosses a value within the horizon' },
);

export const forecast: RuleKindSpec<ForecastCondition, typeof schema> = {
  kind: 'forecast',
  schema,
  normalise: (c) => ({ kind: 'forecast', horizonHours: c.horizonHours, operator: c.operator, value: c.value, level: c.level ?? 95 }),

  // The rule reads the forecast, not samples (the forecast service reads its own history).
  lookbackMs: () => 0,

  // The history the forecast is made from, as bucket means on the plan's grid.
  readWindow(rule, nowMs) {
    const plan = forecastPlan(rule.condition);
    return { fromMs: nowMs - plan.historyMs, maxPoints: Math.ceil(plan.historyMs / plan.step) + 1, bucketMs: plan.step };
  },

  evaluate(rule, prev, input, nowMs) {
    const c = rule.condition;
    finiteSetting(c.value, 'value');
    const series = formatSeries(input.key, input.dimensions);
    const cond = `${operatorSymbols[c.operator]} ${formatValue(c.value)}`;
    const base = { operator: c.operator, threshold: c.value, horizonHours: c.horizonHours, bound: boundFor(c.operator) };
    const f = input.forecast;
    if (!f) {
      const reason = f === null ? 'insufficient_history' : 'no_forecast';
      const why = f === null ? 'too little history to forecast' : 'no forecast available';
      return { state: inactive(), value: null, summary: `${series}: ${why}`, details: { ...base, reason } };
    }

    const horizonEnd = nowMs + c.horizonHours * 3_600_000;
    const scan = findBreach(f, c, nowMs, horizonEnd);
    if (scan.breach === null) {
      const label = base.bound === 'mean' ? 'mean' : `${base.bound} ${f.level}% bound`;
      const word = base.bound === 'lower' ? 'min' : 'max';
      const peak = scan.extreme === null ? '' : ` (${label} ${word} ${formatValue(scan.extreme)})`;
      return {
        state: inactive(),
        value: null,
        summary: `${series}: no forecast breach of ${cond} within ${formatDuration(horizonEnd - nowMs)}${peak}`,
        details: { ...base, reason: 'no_breach', stepsChecked: scan.steps, model: f.model },
      };
    }

    const i = scan.breach;
    const at = f.timestampsMs[i]!;
    const mean = f.mean[i]!;
    const interval = { level: f.level, lower: finiteOrNull(f.lower[i]!), upper: finiteOrNull(f.upper[i]!) };
    const activeSinceMs = prev && prev.status !== 'inactive' && prev.activeSinceMs !== null ? prev.activeSinceMs : nowMs;
    const boundText = base.bound === 'mean' ? `mean ${formatValue(mean)}` : `${base.bound} ${f.level}% bound ${formatValue(base.bound === 'upper' ? f.upper[i]! : f.lower[i]!)}, mean ${formatValue(mean)}`;
    return {
      state: { status: 'firing', activeSinceMs },
      value: mean,
      summary: `${series} forecast ${cond} at ${iso(at)} (in ${formatDuration(at - nowMs)}, ${boundText})`,
      details: { ...base, predictedBreachAt: iso(at), predictedValue: mean, interval, model: f.model, activeSince: iso(activeSinceMs) },
    };
  },
};

interface Scan {
  /** Index of the first step that breaches, or null. */
  breach: number | null;
  /** Steps within the horizon with finite values. */
  steps: number;
  /** The tested bound's most extreme value toward the threshold (max for gt/gte/eq/neq, min for lt/lte), for the summary. */
  extreme: number | null;
}

/** First step in [nowMs, horizonEndMs] whose tested bound satisfies the operator; steps with non-finite values are skipped. */
function findBreach(f: ForecastSample, c: ForecastCondition, nowMs: number, horizonEndMs: number): Scan {
  const series = { upper: f.upper, lower: f.lower, mean: f.mean }[boundFor(c.operator)];
  const low = boundFor(c.operator) === 'lower';
  const n = Math.min(f.timestampsMs.length, series.length, f.mean.length);
  let steps = 0;
  let extreme: number | null = null;
  for (let i = 0; i < n; i++) {
    const t = f.timestampsMs[i]!;
    if (t < nowMs) continue;
    if (t > horizonEndMs) break;
    const v = series[i]!;
    if (!Number.isFinite(v) || !Number.isFinite(f.mean[i]!)) continue;
    steps++;
    if (compare(c.operator, v, c.value)) return { breach: i, steps, extreme: v };
    extreme = extreme === null ? v : low ? Math.min(extreme, v) : Math.max(extreme, v);
  }
  return { breach: null, steps, extreme };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function inactive() {
  return { status: 'inactive' as const, activeSinceMs: null };
}
