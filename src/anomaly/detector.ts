// The contract every anomaly method implements: a pure function from a series to one calibrated score
// per point. No I/O, no clock. Methods live one per file in ./methods and are registered in
// ../registry.ts; the ensemble (./ensemble.ts) runs them and combines their scores.

/**
 * `batch`: a point's score may use the whole series (centred windows, models fitted on everything).
 * `online`: causal — the score at t uses only values[0..t], so scoring a prefix gives the same first
 * scores as scoring the whole series (what a streaming detector sees).
 */
export type DetectionMode = 'batch' | 'online';

/** The values a series can take, when known (0–100 for a percentage, 0–1 for a ratio); min < max, both finite. */
export interface ValueBounds {
  min: number;
  max: number;
}

/** Indices [start, end) of a series. */
export interface IndexRange {
  start: number;
  end: number;
}

/**
 * Where a stateful method resumes: `state` is what it returned after reading values[0..from) in an
 * earlier run, so it reads only values[from..] now (points before `from` are context for the other
 * methods and score 0 here).
 */
export interface MethodResume {
  from: number;
  state: Uint8Array;
}

export interface MethodOptions {
  mode: DetectionMode;
  /**
   * Seasonal periods present in the series, in steps, ascending (may be empty). The ensemble detects
   * them; in online mode it only passes periods it found from data before the scored points.
   */
  periods: readonly number[];
  /**
   * The series' known range, or null/absent: then every range a method uses (quantisation, scaling)
   * is learnt causally from the values themselves. Values outside the bounds are anomalous whatever
   * the method says (the ensemble scores them 1).
   */
  bounds?: ValueBounds | null;
  /**
   * A reference period that defines normal (a request's `baseline`), or null/absent. Every point at or
   * after `reference.end` is judged against statistics (levels, spreads, seasonal profiles, learnt
   * contexts, the history of z's) taken from values[start, end) only; points before `reference.end`
   * are judged as without a reference. Causal in online mode: the reference ends before what it judges.
   */
  reference?: IndexRange | null;
  /** Stateful methods only: resume from a saved state instead of reading values from 0. */
  resume?: MethodResume | null;
}

export interface MethodResult {
  /**
   * One confidence per point in [0, 1], on the shared scale of ./calibration.ts (z = 3 robust standard
   * deviations → 0.5). 0 during the method's warm-up. Owned by the caller after return.
   */
  scores: Float64Array;
  /** What the method expected at each point, in the series' units; NaN where it has no opinion (warm-up). */
  expected: Float64Array;
  /**
   * Stateful methods, online mode: the state after the last value, to pass back as `resume.state`
   * (with `resume.from` = the index of the next unseen value) so a later run continues where this one
   * stopped. Compact and bounded in size whatever the series' length.
   */
  state?: Uint8Array;
}

export interface AnomalyMethod {
  /** Stable identifier used in requests and responses, e.g. "robust-zscore". */
  readonly name: string;
  /** One sentence for users: what kind of anomaly it catches. */
  readonly description: string;
  /** The fewest points the method needs in this mode to score anything (shorter series are refused). */
  minPoints(mode: DetectionMode): number;
  /** True for methods that return `state` online and honour `resume` (the others are re-run over a warm-up window). */
  readonly stateful?: boolean;
  /** Scores every point of `values` (finite, evenly spaced; not modified). */
  score(values: Float64Array, options: MethodOptions): MethodResult;
}
