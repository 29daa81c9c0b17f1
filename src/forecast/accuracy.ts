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
  /** Steps with an actual value and a finite forecast. */
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
  /** Figures that are null although points were compared, and why (e.g. `{"mae": "beyond the range of a double"}`). */
  nullReasons?: Record<string, string>;
}

/** Why a figure over finite values can still have none: it exceeds ±1.8e308. */
export const beyondDoubleRange = 'beyond the range of a double (values near ±1e308)';

/**
 * MAE, RMSE, MAPE, sMAPE, MASE and interval coverage over the steps that have actuals.
 * Overflow-safe for any finite inputs (±1e308 included): errors are taken at half scale (|y/2 − f/2|,
 * exact for every normal double), means are sums of terms already divided by their count, and RMSE
 * is a scaled sum of squares; a figure whose value itself exceeds the double range is null, named in
 * `nullReasons`.
 */
export function accuracy(input: AccuracyInput): Accuracy {
  const { actual, forecast } = input;
  if (actual.length !== forecast.length) throw new RangeError('actual and forecast differ in length');
  const compared: number[] = [];
  let apeN = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i]!) || !Number.isFinite(forecast[i]!)) continue;
    compared.push(i);
    if (actual[i] !== 0) apeN++;
  }
  const n = compared.length;
  const coverage: Record<string, number> = {};
  if (!n) return { pointsCompared: 0, mae: null, rmse: null, mape: null, mapeSkippedZeroActuals: 0, smape: null, mase: null, coverage };

  let halfMean = 0; // mean of |y − f| / 2
  let scale = 0; // RMSE: max |y − f| / 2 and the sum of squares relative to it
  let ssq = 0;
  let mape = 0;
  let smape = 0;
  const inside = (input.intervals ?? []).map(() => 0);
  for (const i of compared) {
    const y = actual[i]!;
    const f = forecast[i]!;
    const h = Math.abs(y / 2 - f / 2);
    halfMean += h / n;
    if (h > scale) {
      ssq = 1 + ssq * (scale / h) ** 2;
      scale = h;
    } else if (h > 0) {
      ssq += (h / scale) ** 2;
    }
    const e = Math.abs(y - f);
    if (y !== 0) mape += (Number.isFinite(e) ? e / Math.abs(y) : 2 * (h / Math.abs(y))) / apeN;
    const denom = Math.abs(y) + Math.abs(f);
    // 2|y − f| / (|y| + |f|), at half scale when the sums overflow; 0 when both are 0.
    if (Number.isFinite(denom) && Number.isFinite(e)) smape += denom > 0 ? (2 * (e / denom)) / n : 0;
    else smape += (2 * (h / (Math.abs(y) / 2 + Math.abs(f) / 2))) / n;
    input.intervals?.forEach((iv, k) => {
      if (y >= iv.lower[i]! && y <= iv.upper[i]!) inside[k]!++;
    });
  }
  input.intervals?.forEach((iv, k) => {
    coverage[String(iv.level)] = inside[k]! / n;
  });
  const nullReasons: Record<string, string> = {};
  const finite = (name: string, v: number): number | null => {
    if (Number.isFinite(v)) return v;
    nullReasons[name] = beyondDoubleRange;
    return null;
  };
  const mae = finite('mae', 2 * halfMean);
  const ms = input.maseScale;
  const result: Accuracy = {
    pointsCompared: n,
    mae,
    rmse: finite('rmse', 2 * (scale * Math.sqrt(ssq / n))),
    mape: apeN ? finite('mape', 100 * mape) : null,
    mapeSkippedZeroActuals: n - apeN,
    smape: 100 * smape,
    mase: ms && ms > 0 && Number.isFinite(ms) ? finite('mase', mae === null ? Infinity : mae / ms) : null,
    coverage,
  };
  if (Object.keys(nullReasons).length) result.nullReasons = nullReasons;
  return result;
}

/**
 * Mean absolute error of the seasonal naive forecast (lag `period`, 1 for none) within `y`: the
 * MASE denominator. Null when y is too short for one lag, or when the mean exceeds the double range.
 */
export function maseScale(y: ArrayLike<number>, period: number): number | null {
  const m = Math.max(1, Math.floor(period));
  if (y.length <= m) return null;
  const k = y.length - m;
  let half = 0;
  for (let t = m; t < y.length; t++) half += Math.abs(y[t]! / 2 - y[t - m]! / 2) / k;
  const s = 2 * half;
  return Number.isFinite(s) ? s : null;
}
