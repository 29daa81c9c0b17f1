// Forecast accuracy against actuals: pure arithmetic over aligned arrays.

export interface IntervalBounds {
  level: number;
  lower: ArrayLike<number>;
  upper: ArrayLike<number>;
}

export interface AccuracyInput {
  /** Actual values; NaN where no actual arrived for that step (skipped). */
  actual: ArrayLike<number>;
  /** Point forecast, same length. */
  forecast: ArrayLike<number>;
  intervals?: readonly IntervalBounds[];
  /**
   * MASE scale: the in-sample mean absolute error of the seasonal naive forecast on the history
   * the forecast was fitted on. MASE is null when it is missing or zero.
   */
  maseScale?: number | null;
}

export interface Accuracy {
  /** Steps with an actual value. */
  pointsCompared: number;
  mae: number | null;
  rmse: number | null;
  /** Percent; steps whose actual is 0 are skipped (MAPE is undefined there) and counted below. */
  mape: number | null;
  mapeSkippedZeroActuals: number;
  /** Percent, 0–200 (M4 definition); steps where actual and forecast are both 0 count as 0. */
  smape: number | null;
  mase: number | null;
  /** Share (0–1) of actuals inside each interval, by level. */
  coverage: Record<string, number>;
}

/** MAE, RMSE, MAPE, sMAPE, MASE and interval coverage over the steps that have actuals. */
export function accuracy(input: AccuracyInput): Accuracy {
  const { actual, forecast } = input;
  if (actual.length !== forecast.length) throw new RangeError('actual and forecast differ in length');
  let n = 0;
  let absSum = 0;
  let sqSum = 0;
  let apeSum = 0;
  let apeN = 0;
  let smapeSum = 0;
  const inside = (input.intervals ?? []).map(() => 0);
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i]!;
    const f = forecast[i]!;
    if (!Number.isFinite(y)) continue;
    n++;
    const e = Math.abs(y - f);
    absSum += e;
    sqSum += e * e;
    if (y !== 0) {
      apeSum += e / Math.abs(y);
      apeN++;
    }
    const denom = Math.abs(y) + Math.abs(f);
    if (denom > 0) smapeSum += (2 * e) / denom;
    input.intervals?.forEach((iv, k) => {
      if (y >= iv.lower[i]! && y <= iv.upper[i]!) inside[k]!++;
    });
  }
  const coverage: Record<string, number> = {};
  input.intervals?.forEach((iv, k) => {
    if (n) coverage[String(iv.level)] = inside[k]! / n;
  });
  const scale = input.maseScale;
  return {
    pointsCompared: n,
    mae: n ? absSum / n : null,
    rmse: n ? Math.sqrt(sqSum / n) : null,
    mape: apeN ? (100 * apeSum) / apeN : null,
    mapeSkippedZeroActuals: n - apeN,
    smape: n ? (100 * smapeSum) / n : null,
    mase: n && scale && scale > 0 && Number.isFinite(scale) ? absSum / n / scale : null,
    coverage,
  };
}

/**
 * Mean absolute error of the seasonal naive forecast (lag `period`, 1 for none) within `y`: the
 * MASE denominator. Null when y is too short for one lag.
 */
export function maseScale(y: ArrayLike<number>, period: number): number | null {
  const m = Math.max(1, Math.floor(period));
  if (y.length <= m) return null;
  let s = 0;
  for (let t = m; t < y.length; t++) s += Math.abs(y[t]! - y[t - m]!);
  return s / (y.length - m);
}
