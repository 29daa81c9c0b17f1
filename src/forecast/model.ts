// The contract every forecasting model implements: pure functions over Float64Array, no I/O,
// no clock. `fit(y)` learns from the history, `predict(h, levels)` projects it.

/** A central prediction interval at `level` percent (e.g. 80, 95). */
export interface Interval {
  /** Percent in (0, 100). */
  level: number;
  lower: Float64Array;
  upper: Float64Array;
}

export interface Prediction {
  /** Point forecast, length h. */
  mean: Float64Array;
  /** One entry per requested level, in the order requested. */
  intervals: Interval[];
}

export interface FittedModel {
  /** What was fitted, readable by a user, e.g. "ETS(A,Ad,A)[24]" or "MSTL[24,168]+ETS(A,N,N)". */
  readonly name: string;
  /** Parameters worth storing with the forecast (smoothing constants, periods, …); JSON-serialisable. */
  readonly params: Record<string, unknown>;
  /** h ≥ 1 steps ahead; levels in (0, 100). */
  predict(h: number, levels: readonly number[]): Prediction;
}

export interface FitOptions {
  /** Seasonal periods to consider, in steps (e.g. [24, 168] for hourly data); may be empty. */
  periods: readonly number[];
}

export interface Model {
  /** Stable identifier, e.g. "seasonal-naive", "ets", "theta", "mstl". */
  readonly name: string;
  /** The fewest observations the model needs for these periods. */
  minLength(periods: readonly number[]): number;
  /** y: evenly spaced, finite values (resampled and gap-filled before). The caller keeps ownership of y. */
  fit(y: Float64Array, options: FitOptions): FittedModel;
}
