// The ensemble over the NAB corpus, as bench:nab and bench/nab-weights.ts run it: online (causal, as a
// stream sees it), either under NAB's rules (each file's min and max passed as `bounds`, as NAB gives
// every detector) or strictly causal (no bounds). Also the pieces the weight search recombines.
import { combineParts, ensembleScores } from '../../src/anomaly/ensemble.js';
import { reportedPoints } from '../../src/anomaly/refractory.js';
import type { WeightedMethod } from '../../src/anomaly/registry.js';
import type { NabCorpus, NabFile } from './corpus.js';

export type RunKind = 'bounds' | 'causal';

/** A file's own min and max: the `bounds` NAB's rules allow (NAB passes them to every detector). */
export function fileBounds(f: NabFile): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of f.values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // A constant file: any range around its value.
  return min < max ? { min, max } : { min: min - 1, max: max + 1 };
}

export interface CorpusRun {
  /** The ensemble's scores per file (what detectAnomalies thresholds). */
  scores: Map<string, Float64Array>;
  /** Every method's scores per file, in `methods` order (for recombining with other weights). */
  parts: Map<string, Float64Array[]>;
  /** Detection time in ms (one core, files one after another, no I/O). */
  ms: number;
}

export function runCorpus(corpus: NabCorpus, kind: RunKind, methods: readonly WeightedMethod[]): CorpusRun {
  const scores = new Map<string, Float64Array>();
  const parts = new Map<string, Float64Array[]>();
  let ms = 0;
  for (const f of corpus.files) {
    const t0 = performance.now();
    const e = ensembleScores(f.values, f.epochMs, { mode: 'online', methods, bounds: kind === 'bounds' ? fileBounds(f) : null });
    ms += performance.now() - t0;
    scores.set(f.name, e.scores);
    parts.set(f.name, e.parts.map((p) => p.result.scores));
  }
  return { scores, parts, ms };
}

/**
 * The ensemble's online scores from saved method scores with other weights (a caller may reshape one
 * method's scores first), combined exactly as ensembleScores combines them (combineParts).
 */
export function recombine(f: NabFile, parts: readonly Float64Array[], weights: readonly number[], bounds: { min: number; max: number } | null): Float64Array {
  return combineParts(f.values, parts, weights, bounds, { from: 0, lastHigh: -Infinity }).scores;
}

/** The detector's reports at a threshold as a NAB score stream (reported rows keep their score, others 0). */
export function reportsAt(results: ReadonlyMap<string, Float64Array>, threshold: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [name, s] of results) {
    const r = new Float64Array(s.length);
    for (const t of reportedPoints(s, threshold)) r[t] = s[t]!;
    out.set(name, r);
  }
  return out;
}
