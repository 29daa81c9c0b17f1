// Threshold rules with Prometheus `for` semantics, made restart-proof by the samples themselves: the
// pending clock starts where the trailing run of samples satisfying the condition began, so an
// evaluator that restarts (or a rule that is created while the condition already holds) does not
// start the clock again.
import { Type } from 'typebox';
import { compare, operatorSymbols } from '../operators.js';
import { operators, type AlertRule, type Operator, type SeriesState } from '../rule.js';
import { samplesBetween, type Sample } from '../samples.js';
import { formatDuration, formatSeries, formatValue, iso } from '../summary.js';
import { finiteSetting, literals, type RuleKindSpec } from './kind.js';

/**
 * A sample older than this (ms) does not count as the series' current value, and a gap longer than
 * this between two samples breaks a run: max(2 evaluation intervals, 5 min), Prometheus' lookback delta.
 */
export function staleAfterMs(rule: Pick<AlertRule, 'evaluationIntervalSeconds'>): number {
  return Math.max(300_000, 2 * rule.evaluationIntervalSeconds * 1000);
}

type Rule = AlertRule & { condition: ThresholdCondition };

// The `for` duration plus one staleness allowance, so that a run covering the whole `for` duration
// shows a sample at or before now − for (when points arrive at least every staleAfterMs).
function lookback(c: ThresholdCondition, rule: Pick<AlertRule, 'evaluationIntervalSeconds'>): number {
  return c.forSeconds * 1000 + staleAfterMs(rule);
}

export interface ThresholdCondition {
  kind: 'threshold';
  operator: Operator;
  value: number;
  /** The condition must hold this long before the alert fires (pending until then); 0 fires at once. */
  forSeconds: number;
}

const schema = Type.Object(
  {
    kind: Type.Literal('threshold'),
    operator: literals(operators),
    value: Type.Number(),
    forSeconds: Type.Integer({ minimum: 0, maximum: 7 * 86_400, default: 0, description: 'The condition must hold this long before the alert fires (pending until then)' }),
  },
  { additionalProperties: false, description: 'The latest value compared with a fixed value' },
);

export const threshold: RuleKindSpec<ThresholdCondition, typeof schema> = {
  kind: 'threshold',
  schema,
  normalise: (c) => ({ kind: 'threshold', operator: c.operator, value: c.value, forSeconds: c.forSeconds ?? 0 }),

  lookbackMs: lookback,

  evaluate(rule, prev, input, nowMs) {
    const c = rule.condition;
    finiteSetting(c.value, 'value');
    const staleMs = staleAfterMs(rule);
    const samples = samplesBetween(input, nowMs - lookback(c, rule), nowMs);
    const last = samples.at(-1);
    const base = { operator: c.operator, threshold: c.value, forSeconds: c.forSeconds };
    const series = formatSeries(input.key, input.dimensions);
    const cond = `${operatorSymbols[c.operator]} ${formatValue(c.value)}`;

    // Stale (no sample in the last staleAfterMs) counts as "condition false": the alert resolves rather
    // than firing on an old value. Noticing that data stopped is the missing_data rule's job.
    if (!last || nowMs - last.t > staleMs) {
      return {
        state: inactive(),
        value: null,
        summary: `${series}: no data in the last ${formatDuration(staleMs)}, treated as not ${cond}`,
        details: { ...base, stale: true, latestAt: last ? iso(last.t) : null, latestValue: last?.v ?? null },
      };
    }
    const latest = { ...base, stale: false, latestAt: iso(last.t), latestValue: last.v };
    if (!compare(c.operator, last.v, c.value)) {
      return { state: inactive(), value: last.v, summary: `${series} not ${cond} (now ${formatValue(last.v)})`, details: latest };
    }

    const activeSinceMs = prev && prev.status !== 'inactive' && prev.activeSinceMs !== null ? prev.activeSinceMs : runStart(samples, rule, staleMs);
    const status = nowMs - activeSinceMs >= c.forSeconds * 1000 ? 'firing' : 'pending';
    const forText = c.forSeconds > 0 ? ` for ${formatDuration(c.forSeconds * 1000)}` : '';
    return {
      state: { status, activeSinceMs },
      value: last.v,
      summary: `${series} ${cond}${forText} (now ${formatValue(last.v)})`,
      details: { ...latest, activeSince: iso(activeSinceMs) },
    };
  },
};

/** Start of the trailing run of samples satisfying the condition (the last one does), unbroken by stale gaps. */
function runStart(samples: Sample[], rule: Rule, staleMs: number): number {
  let i = samples.length - 1;
  while (i > 0) {
    const before = samples[i - 1]!;
    if (samples[i]!.t - before.t > staleMs || !compare(rule.condition.operator, before.v, rule.condition.value)) break;
    i--;
  }
  return samples[i]!.t;
}

function inactive(): SeriesState {
  return { status: 'inactive', activeSinceMs: null };
}
