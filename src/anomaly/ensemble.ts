// The ensemble: runs the chosen methods over a series, combines their calibrated scores with the
// weights, and reports the points whose combined score reaches the sensitivity's threshold.
//
// Combined score at t: the weighted mean of the highest method scores holding half the weight
// (./combine.ts). The score does not depend on the sensitivity; only the threshold does
// (./calibration.ts: strictly decreasing, above 1 at sensitivity 0), so 0 finds none. In batch every
// point at or above the threshold is reported; online, scores are damped after a high one so they
// peak at an episode's onset (./onset.ts), and one point per episode is reported (./refractory.ts).
// Both keep the count monotone in the sensitivity, and online reports stay causal. A method "flags" a
// point when its own score reaches the same threshold; `consensus` is the weighted share of methods
// that flag it.
import { thresholdFor } from './calibration.js';
import { combineScores } from './combine.js';
import { contextOf, type AnomalyContext } from './context.js';
import type { DetectionMode, IndexRange, MethodResult, ValueBounds } from './detector.js';
import { AnomalyError } from './errors.js';
import { decodeOnset, encodeOnset, ONSET_STATE, onsetScores } from './onset.js';
import { REFRACTORY, reportedPoints } from './refractory.js';
import { batchSegments, candidatePeriods, onlineSegments, type PeriodSegment } from './periods.js';
import { defaultMethodsFor, methods, type WeightedMethod } from './registry.js';
import { severityOf, type Severity } from './severity.js';
import { checkBaseline, checkBounds, checkLength, checkMethods, checkOptions, checkResume, checkSeries } from './validate.js';

export interface DetectOptions {
  /** 0..1, default 0.5; higher finds more. */
  sensitivity?: number;
  /** Methods and their relative weights; default every registered method with the weights of defaultMethodsFor(mode). */
  methods?: readonly WeightedMethod[];
  /** Default 'batch'. */
  mode?: DetectionMode;
  /** Neighbours reported with each anomaly; default 5 before and 5 after. */
  context?: { before: number; after: number };
  /** Seasonal periods (steps) worth testing; default a day and a week at the series' spacing. */
  candidatePeriods?: readonly number[];
  /** The values the series can take, when known; values outside score 1. Absent: strictly causal ranges. */
  bounds?: ValueBounds | null;
  /**
   * The period that defines normal, in ms (from inclusive, to exclusive): points after it are judged
   * against it alone (see MethodOptions.reference). It must hold at least MIN_BASELINE_POINTS points.
   */
  baseline?: { fromMs: number; toMs: number } | null;
  /** Online only: continue an earlier run (see DetectionResume). */
  resume?: DetectionResume | null;
}

/**
 * Continuing an online detection: values[0..from) were read by an earlier run (the methods without
 * state re-read them as warm-up; the stateful ones resume from `states`); only points from `from` on
 * are reported, and `lastReportIndex` (an index into this run's values, negative when the last report
 * lies before them, −Infinity for none) keeps one report per episode across runs.
 */
export interface DetectionResume {
  from: number;
  states: Readonly<Record<string, Uint8Array>>;
  lastReportIndex?: number;
}

/** One method's part in an anomaly. */
export interface MethodPart {
  name: string;
  /** The method's own confidence at the point, 0..1. */
  score: number;
  /** Its weight as given (relative). */
  weight: number;
  /** Its score reaches the threshold. */
  flagged: boolean;
}

export interface Anomaly {
  index: number;
  timestampMs: number;
  value: number;
  /** Combined confidence 0..1 (≥ the threshold). */
  score: number;
  severity: Severity;
  /** Weighted mean of the methods' expected values (those that have one). */
  expected: number;
  methods: MethodPart[];
  /** Weighted share (0..1) of the methods that flag the point. */
  consensus: number;
  context: AnomalyContext;
}

export interface EnsembleScores {
  /** Combined confidence per point (online: damped after an episode's onset, ./onset.ts). */
  scores: Float64Array;
  /**
   * The combined confidence before the onset damping: how anomalous each point is while an episode
   * lasts (the same array as `scores` in batch mode).
   */
  levels: Float64Array;
  /** Each method's scores and expected values, in the order of the methods asked for. */
  parts: { method: WeightedMethod; result: MethodResult }[];
  /** The seasonal periods used, and from which point (one segment in batch mode). */
  segments: PeriodSegment[];
  /**
   * Online: the saved state of every stateful method after the last point, and of the onset damping
   * under ONSET_STATE ('@onset'), for DetectionResume.states.
   */
  states: Record<string, Uint8Array>;
}

export interface Detection extends EnsembleScores {
  /** The score an anomaly needed at this sensitivity. */
  threshold: number;
  anomalies: Anomaly[];
}

interface RunContext {
  mode: DetectionMode;
  segments: PeriodSegment[];
  bounds: ValueBounds | null;
  reference: IndexRange | null;
  resume: DetectionResume | null;
}

/**
 * Runs one method over every period segment (online: each segment from its own causal run). A stateful
 * method ignores seasonal periods (it learns its own sequences) and runs once, resuming when asked.
 */
function runMethod(values: Float64Array, name: string, ctx: RunContext): MethodResult {
  const method = methods[name]!;
  const { mode, segments, bounds, reference } = ctx;
  if (method.stateful) {
    const state = ctx.resume?.states[name];
    const resume = state && ctx.resume ? { from: ctx.resume.from, state } : null;
    return method.score(values, { mode, periods: segments[segments.length - 1]!.periods, bounds, reference, resume });
  }
  if (segments.length === 1) return method.score(values, { mode, periods: segments[0]!.periods, bounds, reference });
  const n = values.length;
  const scores = new Float64Array(n);
  const expected = new Float64Array(n);
  segments.forEach((seg, k) => {
    const end = segments[k + 1]?.start ?? n;
    // The run stops at the segment's end: a causal method's scores there need nothing later.
    const r = method.score(values.subarray(0, end), { mode, periods: seg.periods, bounds, reference });
    scores.set(r.scores.subarray(seg.start, end), seg.start);
    expected.set(r.expected.subarray(seg.start, end), seg.start);
  });
  return { scores, expected };
}

/** Fewest points a `baseline` period must hold. */
export const MIN_BASELINE_POINTS = 20;

/** The baseline's [start, end) indices: the points with fromMs ≤ t < toMs (timestamps ascending). */
export function baselineRange(timestampsMs: ArrayLike<number>, baseline: { fromMs: number; toMs: number }): IndexRange {
  let start = 0;
  while (start < timestampsMs.length && timestampsMs[start]! < baseline.fromMs) start++;
  let end = start;
  while (end < timestampsMs.length && timestampsMs[end]! < baseline.toMs) end++;
  return { start, end };
}

/**
 * Per-point combined scores of a validated series (see `detectAnomalies` for the rules). Exposed for
 * benchmarks and charts that need every score and none of the anomaly objects.
 */
export function ensembleScores(values: Float64Array, timestampsMs: ArrayLike<number>, options: Omit<DetectOptions, 'sensitivity' | 'context'> = {}): EnsembleScores {
  const mode = options.mode ?? 'batch';
  const list = options.methods ?? defaultMethodsFor(mode);
  checkSeries(values, timestampsMs);
  checkMethods(list);
  checkLength(values.length, list, mode);
  const bounds = options.bounds ?? null;
  if (bounds) checkBounds(bounds);
  let reference: IndexRange | null = null;
  if (options.baseline) {
    checkBaseline(options.baseline);
    reference = baselineRange(timestampsMs, options.baseline);
    if (reference.end - reference.start < MIN_BASELINE_POINTS) {
      throw new AnomalyError('invalid_option', `the baseline period holds ${reference.end - reference.start} points; it needs at least ${MIN_BASELINE_POINTS}`, { field: 'baseline', points: reference.end - reference.start, need: MIN_BASELINE_POINTS });
    }
  }
  const resume = options.resume ?? null;
  if (resume) checkResume(resume, values.length, mode);
  const candidates = options.candidatePeriods ?? candidatePeriods(timestampsMs);
  const segments = mode === 'online' ? onlineSegments(values, candidates) : batchSegments(values, candidates);
  const ctx: RunContext = { mode, segments, bounds, reference, resume };
  const parts = list.map((method) => ({ method, result: runMethod(values, method.name, ctx) }));
  const states: Record<string, Uint8Array> = {};
  for (const p of parts) if (p.result.state) states[p.method.name] = p.result.state;
  const combined = combineParts(
    values,
    parts.map((p) => p.result.scores),
    parts.map((p) => p.method.weight),
    bounds,
    mode === 'online' ? { from: resume?.from ?? 0, lastHigh: resume ? decodeOnset(resume.states[ONSET_STATE], resume.from) : -Infinity } : null,
  );
  if (combined.lastHigh !== null) states[ONSET_STATE] = encodeOnset(combined.lastHigh, values.length);
  const { scores, levels } = combined;
  return { scores, levels, parts, segments, states };
}

/**
 * The ensemble's score per point from its methods' scores (`partScores[k]` with `weights[k]`): combined
 * (./combine.ts), 1 where a value lies outside `bounds`, and with `onset` (online) damped after an
 * episode's onset from `onset.from` on (./onset.ts). `levels` are the scores before the damping (the
 * same array without `onset`); `lastHigh` is the onset state after the last point (null without onset).
 * Exported so benchmarks can recombine saved method scores with other weights exactly as detection does.
 */
export function combineParts(
  values: Float64Array,
  partScores: readonly Float64Array[],
  weights: readonly number[],
  bounds: ValueBounds | null,
  onset: { from: number; lastHigh: number } | null,
): { scores: Float64Array; levels: Float64Array; lastHigh: number | null } {
  const n = values.length;
  const scores = new Float64Array(n);
  const total = weights.reduce((a, b) => a + b, 0);
  const at = new Float64Array(partScores.length);
  const order = new Int32Array(partScores.length);
  for (let t = 0; t < n; t++) {
    for (let k = 0; k < partScores.length; k++) at[k] = partScores[k]![t]!;
    scores[t] = combineScores(at, weights, total, order);
  }
  // A value the series cannot take is anomalous whatever the methods learnt.
  const outside = (t: number) => bounds !== null && (values[t]! < bounds.min || values[t]! > bounds.max);
  for (let t = 0; t < n; t++) if (outside(t)) scores[t] = 1;
  if (!onset) return { scores, levels: scores, lastHigh: null };
  const levels = scores.slice();
  // Online scores peak at an episode's onset (./onset.ts), continuing across resumed runs.
  const lastHigh = onsetScores(scores, onset.from, onset.lastHigh);
  for (let t = onset.from; t < n; t++) if (outside(t)) scores[t] = 1;
  return { scores, levels, lastHigh };
}

function aboveThreshold(scores: Float64Array, threshold: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < scores.length; t++) if (scores[t]! >= threshold) out.push(t);
  return out;
}

/**
 * Finds the anomalies of a series. `values` and `timestampsMs` (ms, strictly increasing, evenly spaced
 * enough that a median step makes sense) are not modified. Throws AnomalyError on an invalid request:
 * too few points, non-finite values, unknown methods, weights summing to zero, bad options.
 */
export function detectAnomalies(values: Float64Array, timestampsMs: ArrayLike<number>, options: DetectOptions = {}): Detection {
  const sensitivity = options.sensitivity ?? 0.5;
  const mode = options.mode ?? 'batch';
  const ctx = options.context ?? { before: 5, after: 5 };
  checkOptions(sensitivity, mode, ctx);
  const ens = ensembleScores(values, timestampsMs, { ...options, mode });
  const threshold = thresholdFor(sensitivity);
  const anomalies: Anomaly[] = [];
  let weightSum = 0;
  for (const p of ens.parts) weightSum += p.method.weight;
  // Batch reports every point at or above the threshold (the caller sees the whole window, episodes
  // and all); online, one per episode (./refractory.ts), as a stream consumer wants.
  const resume = options.resume ?? null;
  const reported = mode === 'online' ? reportedPoints(ens.scores, threshold, REFRACTORY, resume?.from ?? 0, resume?.lastReportIndex ?? -Infinity) : aboveThreshold(ens.scores, threshold);
  for (const t of reported) {
    const score = ens.scores[t]!;
    let agree = 0;
    let expSum = 0;
    let expWeight = 0;
    const parts: MethodPart[] = ens.parts.map(({ method, result }) => {
      const s = result.scores[t]!;
      const flagged = s >= threshold;
      if (flagged) agree += method.weight;
      const e = result.expected[t]!;
      if (Number.isFinite(e)) {
        expSum += method.weight * e;
        expWeight += method.weight;
      }
      return { name: method.name, score: s, weight: method.weight, flagged };
    });
    anomalies.push({
      index: t,
      timestampMs: timestampsMs[t]!,
      value: values[t]!,
      score,
      severity: severityOf(score),
      expected: expWeight > 0 ? expSum / expWeight : NaN,
      methods: parts,
      consensus: agree / weightSum,
      context: contextOf(values, timestampsMs, t, ctx.before, ctx.after),
    });
  }
  return { ...ens, threshold, anomalies };
}
