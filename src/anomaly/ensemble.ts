// The ensemble: runs the chosen methods over a series, combines their calibrated scores with the
// weights, and reports the points whose combined score reaches the sensitivity's threshold.
//
// Combined score at t: the weighted mean of the highest method scores holding half the weight
// (./combine.ts). The score does not depend on the sensitivity; only the threshold does
// (./calibration.ts: strictly decreasing, above 1 at sensitivity 0), so 0 finds none. In batch every
// point at or above the threshold is reported; online, one per episode (./refractory.ts). Both keep
// the count monotone in the sensitivity, and online reports stay causal. A method "flags" a point when its own score
// reaches the same threshold; `consensus` is the weighted share of methods that flag it.
import { thresholdFor } from './calibration.js';
import { combineScores } from './combine.js';
import { contextOf, type AnomalyContext } from './context.js';
import type { DetectionMode, MethodResult } from './detector.js';
import { reportedPoints } from './refractory.js';
import { batchSegments, candidatePeriods, onlineSegments, type PeriodSegment } from './periods.js';
import { defaultMethods, methods, type WeightedMethod } from './registry.js';
import { severityOf, type Severity } from './severity.js';
import { checkLength, checkMethods, checkOptions, checkSeries } from './validate.js';

export interface DetectOptions {
  /** 0..1, default 0.5; higher finds more. */
  sensitivity?: number;
  /** Methods and their relative weights; default every registered method, weight 1. */
  methods?: readonly WeightedMethod[];
  /** Default 'batch'. */
  mode?: DetectionMode;
  /** Neighbours reported with each anomaly; default 5 before and 5 after. */
  context?: { before: number; after: number };
  /** Seasonal periods (steps) worth testing; default a day and a week at the series' spacing. */
  candidatePeriods?: readonly number[];
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
  /** Combined confidence per point. */
  scores: Float64Array;
  /** Each method's scores and expected values, in the order of the methods asked for. */
  parts: { method: WeightedMethod; result: MethodResult }[];
  /** The seasonal periods used, and from which point (one segment in batch mode). */
  segments: PeriodSegment[];
}

export interface Detection extends EnsembleScores {
  /** The score an anomaly needed at this sensitivity. */
  threshold: number;
  anomalies: Anomaly[];
}

/** Runs one method over every period segment (online: each segment from its own causal run). */
function runMethod(values: Float64Array, name: string, mode: DetectionMode, segments: PeriodSegment[]): MethodResult {
  const method = methods[name]!;
  if (segments.length === 1) return method.score(values, { mode, periods: segments[0]!.periods });
  const n = values.length;
  const scores = new Float64Array(n);
  const expected = new Float64Array(n);
  segments.forEach((seg, k) => {
    const end = segments[k + 1]?.start ?? n;
    // The run stops at the segment's end: a causal method's scores there need nothing later.
    const r = method.score(values.subarray(0, end), { mode, periods: seg.periods });
    scores.set(r.scores.subarray(seg.start, end), seg.start);
    expected.set(r.expected.subarray(seg.start, end), seg.start);
  });
  return { scores, expected };
}

/**
 * Per-point combined scores of a validated series (see `detectAnomalies` for the rules). Exposed for
 * benchmarks and charts that need every score and none of the anomaly objects.
 */
export function ensembleScores(values: Float64Array, timestampsMs: ArrayLike<number>, options: Omit<DetectOptions, 'sensitivity' | 'context'> = {}): EnsembleScores {
  const mode = options.mode ?? 'batch';
  const list = options.methods ?? defaultMethods;
  checkSeries(values, timestampsMs);
  checkMethods(list);
  checkLength(values.length, list, mode);
  const candidates = options.candidatePeriods ?? candidatePeriods(timestampsMs);
  const segments = mode === 'online' ? onlineSegments(values, candidates) : batchSegments(values, candidates);
  const parts = list.map((method) => ({ method, result: runMethod(values, method.name, mode, segments) }));
  const n = values.length;
  const scores = new Float64Array(n);
  const weights = parts.map((p) => p.method.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  const at = new Float64Array(parts.length);
  const order = new Int32Array(parts.length);
  for (let t = 0; t < n; t++) {
    for (let k = 0; k < parts.length; k++) at[k] = parts[k]!.result.scores[t]!;
    scores[t] = combineScores(at, weights, total, order);
  }
  return { scores, parts, segments };
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
  for (const t of mode === 'online' ? reportedPoints(ens.scores, threshold) : aboveThreshold(ens.scores, threshold)) {
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
