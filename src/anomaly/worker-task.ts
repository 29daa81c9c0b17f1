// The CPU-bound part of anomaly detection, behind the DetectFunc (detect-func.ts) a worker pool implements. Only what
// callers use crosses back (anomalies, scores, threshold), not every method's arrays. Errors cross as
// plain data: a thrown AnomalyError would arrive as a bare Error without its reason and code.
import type { DetectionMode, ValueBounds } from './detector.js';
import { detectAnomalies, type Anomaly, type DetectionResume } from './ensemble.js';
import { AnomalyError, type AnomalyErrorReason } from './errors.js';
import type { WeightedMethod } from './registry.js';

export interface DetectTask {
  values: Float64Array;
  timestampsMs: Float64Array;
  sensitivity: number;
  methods?: WeightedMethod[];
  mode: DetectionMode;
  context: { before: number; after: number };
  bounds?: ValueBounds | null;
  baseline?: { fromMs: number; toMs: number } | null;
  resume?: DetectionResume | null;
}

export interface DetectOutcome {
  anomalies: Anomaly[];
  scores: Float64Array;
  threshold: number;
  /** Online: the stateful methods' states after the last point (for the next run's resume). */
  states: Record<string, Uint8Array>;
}

export type DetectTaskResult = { ok: true; value: DetectOutcome } | { ok: false; error: { reason: AnomalyErrorReason; message: string; details?: unknown } };

/** Runs the ensemble; pure, so it runs the same in a worker and inline. */
export default function runDetectTask(task: DetectTask): DetectTaskResult {
  try {
    const d = detectAnomalies(task.values, task.timestampsMs, {
      sensitivity: task.sensitivity,
      methods: task.methods,
      mode: task.mode,
      context: task.context,
      bounds: task.bounds,
      baseline: task.baseline,
      resume: task.resume,
    });
    return { ok: true, value: { anomalies: d.anomalies, scores: d.scores, threshold: d.threshold, states: d.states } };
  } catch (err) {
    if (err instanceof AnomalyError) return { ok: false, error: { reason: err.reason, message: err.message, details: err.details } };
    throw err;
  }
}

/** The outcome, or the AnomalyError the task reported, rebuilt on the calling thread. */
export function unwrapDetect(r: DetectTaskResult): DetectOutcome {
  if (r.ok) return r.value;
  throw new AnomalyError(r.error.reason, r.error.message, r.error.details);
}
