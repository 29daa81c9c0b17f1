// The contract every anomaly method implements: a pure function from a series to one calibrated score
// per point. No I/O, no clock. Methods live one per file in ./methods and are registered in
// ../registry.ts; the ensemble (./ensemble.ts) runs them and combines their scores.

/**
 * `batch`: a point's score may use the whole series (centred windows, models fitted on everything).
 * `online`: causal — the score at t uses only values[0..t], so scoring a prefix gives the same first
 * scores as scoring the whole series (what a streaming detector sees).
 */
export type DetectionMode = 'batch' | 'online';

export interface MethodOptions {
  mode: DetectionMode;
  /**
   * Seasonal periods present in the series, in steps, ascending (may be empty). The ensemble detects
   * them; in online mode it only passes periods it found from data before the scored points.
   */
  periods: readonly number[];
}

export interface MethodResult {
  /**
   * One confidence per point in [0, 1], on the shared scale of ./calibration.ts (z = 3 robust standard
   * deviations → 0.5). 0 during the method's warm-up. Owned by the caller after return.
   */
  scores: Float64Array;
  /** What the method expected at each point, in the series' units; NaN where it has no opinion (warm-up). */
  expected: Float64Array;
}

export interface AnomalyMethod {
  /** Stable identifier used in requests and responses, e.g. "robust-zscore". */
  readonly name: string;
  /** One sentence for users: what kind of anomaly it catches. */
  readonly description: string;
  /** The fewest points the method needs in this mode to score anything (shorter series are refused). */
  minPoints(mode: DetectionMode): number;
  /** Scores every point of `values` (finite, evenly spaced; not modified). */
  score(values: Float64Array, options: MethodOptions): MethodResult;
}
