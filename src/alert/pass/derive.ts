// Derive: what a rule needs besides samples, made before the pure step — detection for anomaly rules,
// a forecast for forecast rules. This is the one place where a pass writes outside its own
// transaction: anomalies it found are stored (their ids are what the rule remembers), and a forecast
// it had to make is stored by the ForecastGridFunc (a later pass within the same grid step reuses it).
import { AnomalyError } from '../../anomaly/errors.js';
import { getDetectionSchedule } from '../../anomaly/schedules.js';
import { contextJson, scheduleAnomalies, upsertAnomalies, type StoredAnomaly } from '../../anomaly/store.js';
import { AppError } from '../../core/errors.js';
import { resample } from '../../forecast/resample.js';
import { latestForecastsOf } from '../../forecast/store.js';
import { ruleLookbackMs } from '../evaluate.js';
import type { AnomalyCondition, AnomalySample, ForecastCondition, ForecastSample, SeriesInput } from '../rule.js';
import { forecastPlan } from '../rules/forecast.js';
import { readSeriesBounds, type ValueBounds } from '../../metrics/series-settings.js';
import type { StoredRule } from '../store.js';
import { formatSeries } from '../summary.js';
import type { AlertingDeps, MadeForecast, SeriesSamples } from './deps.js';

type RuleOf<C> = StoredRule & { condition: C };

/**
 * The step's input for every series: samples as read, plus anomalies or a forecast where the rule's
 * kind needs them. A series whose detection or forecast failed gets none, and its error is returned.
 */
export async function deriveInputs(deps: AlertingDeps, rule: StoredRule, series: SeriesSamples[], now: Date): Promise<{ inputs: SeriesInput[]; errors: string[] }> {
  const kind = rule.condition.kind;
  const errors: string[] = [];
  const inputs: SeriesInput[] = [];
  const reusable = kind === 'forecast' ? await recentForecasts(deps, rule as RuleOf<ForecastCondition>, series.map((s) => s.id), now) : undefined;
  const scheduleId = kind === 'anomaly' ? (rule.condition as AnomalyCondition).detectionScheduleId : undefined;
  let stored: Map<number, StoredAnomaly[]> | undefined;
  let bounds: Map<number, ValueBounds> | undefined;
  if (scheduleId) {
    if (await getDetectionSchedule(deps.sql, rule.orgId, scheduleId)) {
      stored = await scheduleAnomalies(deps.sql, rule.orgId, scheduleId, series.map((s) => s.id), now.getTime() - ruleLookbackMs(rule), now.getTime());
    } else {
      stored = new Map();
      errors.push(`detection schedule ${scheduleId} no longer exists: change the rule`);
    }
  } else if (kind === 'anomaly') {
    bounds = await readSeriesBounds(deps.sql, rule.orgId, series.map((s) => s.id));
  }
  for (const s of series) {
    const input: SeriesInput = { seriesId: String(s.id), key: s.key, dimensions: s.dimensions, timestampsMs: s.timestampsMs, values: s.values, lastSeenMs: s.lastSeenMs };
    try {
      if (stored) input.anomalies = (stored.get(s.id) ?? []).map(sampleOfStored);
      else if (kind === 'anomaly') input.anomalies = await anomaliesOf(deps, rule as RuleOf<AnomalyCondition>, s, bounds?.get(s.id) ?? null, now);
      if (kind === 'forecast') input.forecast = await forecastOf(deps, rule as RuleOf<ForecastCondition>, s, reusable!);
    } catch (err) {
      errors.push(`${formatSeries(s.key, s.dimensions)}: ${(err as Error).message}`);
      if (kind === 'anomaly') input.anomalies = [];
      if (kind === 'forecast') input.forecast = undefined;
    }
    inputs.push(input);
  }
  return { inputs, errors };
}

/** A detection schedule's stored anomaly as the rule sees it. */
function sampleOfStored(a: StoredAnomaly): AnomalySample {
  return { id: a.id, timestampMs: a.timestampMs, value: a.value, expected: a.expected, score: a.score, severity: a.severity, methods: a.methods, context: a.context };
}

/**
 * Anomaly rules that detect themselves: online detection over the window (with the series' known
 * bounds, when it has them); anomalies within the rule's lookback are stored (ids stable per point)
 * and returned.
 */
async function anomaliesOf(deps: AlertingDeps, rule: RuleOf<AnomalyCondition>, s: SeriesSamples, bounds: ValueBounds | null, now: Date): Promise<AnomalySample[]> {
  if (s.values.length === 0) return [];
  let found;
  try {
    found = await deps.detect({ values: s.values, timestampsMs: s.timestampsMs, sensitivity: rule.condition.sensitivity, mode: 'online', context: { before: 5, after: 5 }, bounds });
  } catch (err) {
    if (err instanceof AnomalyError && err.reason === 'too_few_points') return [];
    throw err;
  }
  const since = now.getTime() - ruleLookbackMs(rule);
  const recent = found.anomalies.filter((a) => a.timestampMs >= since);
  if (!recent.length) return [];
  const ids = await upsertAnomalies(deps.sql, rule.orgId, s, recent, { sensitivity: rule.condition.sensitivity, mode: 'online', detectedAt: now });
  return recent.map((a, i) => ({
    id: ids[i]!,
    timestampMs: a.timestampMs,
    value: a.value,
    expected: Number.isFinite(a.expected) ? a.expected : null,
    score: a.score,
    severity: a.severity,
    methods: a.methods,
    context: contextJson(a),
  }));
}

/**
 * Forecast rules: the newest stored forecast of the series at the rule's frequency and level made
 * within the last step is reused (a new grid step is what changes a forecast); otherwise one is made
 * and stored. Null when the history is too short.
 */
async function forecastOf(deps: AlertingDeps, rule: RuleOf<ForecastCondition>, s: SeriesSamples, reusable: Map<number, ForecastSample>): Promise<ForecastSample | null> {
  const reused = reusable.get(s.id);
  if (reused) return reused;
  const plan = forecastPlan(rule.condition);
  const grid = resample(s.timestampsMs, s.values, plan.step, Math.ceil(plan.historyMs / plan.step));
  try {
    const f = await deps.forecast(rule.orgId, grid, s, { frequency: plan.frequency, horizon: plan.horizon, levels: [rule.condition.level] });
    const sample = sampleOf(f, plan.step, rule.condition.level);
    if (!sample) throw new Error(`the forecast has no ${rule.condition.level}% interval`);
    return sample;
  } catch (err) {
    if (err instanceof AppError && err.code === 'insufficient_data') return null;
    throw err;
  }
}

/** A stored forecast as the rule sees it at `level`; undefined when it lacks that level. */
function sampleOf(f: MadeForecast, step: number, level: 80 | 95): ForecastSample | undefined {
  const iv = f.intervals[String(level)];
  if (!iv) return undefined;
  return {
    timestampsMs: Float64Array.from(f.mean, (_, i) => f.startMs + i * step),
    mean: Float64Array.from(f.mean),
    lower: Float64Array.from(iv.lower),
    upper: Float64Array.from(iv.upper),
    level,
    model: f.model,
  };
}

/** Stored forecasts of these series fresh enough to reuse (generated within the last step, long enough, with the level). */
async function recentForecasts(deps: AlertingDeps, rule: RuleOf<ForecastCondition>, seriesIds: number[], now: Date): Promise<Map<number, ForecastSample>> {
  const plan = forecastPlan(rule.condition);
  const level = rule.condition.level;
  const stored = await latestForecastsOf(deps.sql, rule.orgId, { seriesIds, frequency: plan.frequency, minHorizon: plan.horizon, level, after: new Date(now.getTime() - plan.step), atOrBefore: now });
  const out = new Map<number, ForecastSample>();
  for (const [id, f] of stored) {
    const sample = sampleOf(f, plan.step, level);
    if (sample) out.set(id, sample);
  }
  return out;
}
