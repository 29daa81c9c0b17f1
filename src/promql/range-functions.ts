// The functions over a range vector, as Prometheus defines them (promql/functions.go), each a pure
// function of one series' samples in one window: times `ts` and values `vs` from index `lo` to `hi`
// (exclusive), the window (rangeStartMs, rangeEndMs]. `undefined` means "no sample for this step".

/** One window of one series. */
export interface Window {
  ts: Float64Array;
  vs: Float64Array;
  lo: number;
  hi: number;
  rangeStartMs: number;
  rangeEndMs: number;
  rangeMs: number;
}

export type RangeFunction = (w: Window, param: number) => number | undefined;

/** Neumaier-compensated addition, as Prometheus' kahansum.Inc: returns the new sum; the compensation goes to `c[0]`. */
export function kahanInc(inc: number, sum: number, c: Float64Array): number {
  const t = sum + inc;
  if (!Number.isFinite(t) && !Number.isNaN(t)) c[0] = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c[0]! += sum - t + inc;
  else c[0]! += inc - t + sum;
  return t;
}

/** rate/increase/delta: the change over the window, extrapolated towards its edges (Prometheus' extrapolatedRate). */
function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const firstT = ts[lo]!;
  const lastT = ts[hi - 1]!;
  let result = vs[hi - 1]! - vs[lo]!;
  if (isCounter) {
    // A drop is a counter reset: the value before it had been reached, so it counts.
    for (let i = lo + 1; i < hi; i++) if (vs[i]! < vs[i - 1]!) result += vs[i - 1]!;
  }
  let durationToStart = (firstT - w.rangeStartMs) / 1000;
  let durationToEnd = (w.rangeEndMs - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  if (durationToStart >= extrapolationThreshold) durationToStart = averageDurationBetweenSamples / 2;
  if (isCounter) {
    // A counter does not go below zero: extrapolate no further back than where it would reach 0.
    let durationToZero = durationToStart;
    if (result > 0 && vs[lo]! >= 0) durationToZero = sampledInterval * (vs[lo]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= extrapolationThreshold) durationToEnd = averageDurationBetweenSamples / 2;
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

/** irate/idelta: from the last two samples only (Prometheus' instantValue). */
function instantValue(w: Window, isRate: boolean): number | undefined {
  const { ts, vs, hi } = w;
  if (hi - w.lo < 2) return undefined;
  const last = vs[hi - 1]!;
  const prev = vs[hi - 2]!;
  const interval = ts[hi - 1]! - ts[hi - 2]!;
  if (interval === 0) return undefined;
  // After a counter reset the last value is the increase since the reset.
  let result = isRate && last < prev ? last : last - prev;
  if (isRate) result /= interval / 1000;
  return result;
}

/** Least-squares slope per second, times taken relative to the first sample for accuracy (Prometheus' linearRegression). */
function deriv(w: Window): number | undefined {
  const { ts, vs, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const t0 = ts[lo]!;
  const initY = vs[lo]!;
  let constY = true;
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  const cX = new Float64Array(1);
  const cY = new Float64Array(1);
  const cXY = new Float64Array(1);
  const cX2 = new Float64Array(1);
  for (let i = lo; i < hi; i++) {
    const y = vs[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n++;
    const x = (ts[i]! - t0) / 1000;
    sumX = kahanInc(x, sumX, cX);
    sumY = kahanInc(y, sumY, cY);
    sumXY = kahanInc(x * y, sumXY, cXY);
    sumX2 = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) return Number.isFinite(initY) ? 0 : NaN;
  sumX += cX[0]!;
  sumY += cY[0]!;
  sumXY += cXY[0]!;
  sumX2 += cX2[0]!;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  return covXY / varX;
}

function sumOverTime(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  const c = new Float64Array(1);
  let sum = 0;
  for (let i = w.lo; i < w.hi; i++) sum = kahanInc(w.vs[i]!, sum, c);
  return Number.isFinite(sum) || Number.isNaN(sum) ? sum + c[0]! : sum;
}

/** Mean by compensated sum, switching to an incremental mean if the sum overflows (as Prometheus does). */
function avgOverTime(w: Window): number | undefined {
  const { vs, lo, hi } = w;
  if (hi <= lo) return undefined;
  let sum = vs[lo]!;
  let count = 1;
  const c = new Float64Array(1);
  let mean = 0;
  let incremental = false;
  for (let i = lo + 1; i < hi; i++) {
    const f = vs[i]!;
    count = i - lo + 1;
    if (!incremental) {
      const saved = c[0]!;
      const next = kahanInc(f, sum, c);
      if (Number.isFinite(next) || Number.isNaN(next)) {
        sum = next;
        continue;
      }
      c[0] = saved;
      incremental = true;
      mean = sum / (count - 1);
      c[0] = c[0]! / (count - 1);
    }
    const q = (count - 1) / count;
    c[0] = q * c[0]!;
    mean = kahanInc(f / count, q * mean, c);
  }
  return incremental ? mean + c[0]! : sum / count + c[0]! / count;
}

function compareOverTime(w: Window, better: (cur: number, best: number) => boolean): number | undefined {
  if (w.hi <= w.lo) return undefined;
  let best = w.vs[w.lo]!;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.vs[i]!;
    if (better(v, best) || Number.isNaN(best)) best = v;
  }
  return best;
}

/** Population standard deviation, Welford's update with compensated sums (Prometheus' varianceOverTime). */
function stddevOverTime(w: Window): number | undefined {
  if (w.hi <= w.lo) return undefined;
  let count = 0;
  let mean = 0;
  let aux = 0;
  const cMean = new Float64Array(1);
  const cAux = new Float64Array(1);
  for (let i = w.lo; i < w.hi; i++) {
    const f = w.vs[i]!;
    count++;
    const delta = f - (mean + cMean[0]!);
    mean = kahanInc(delta / count, mean, cMean);
    aux = kahanInc(delta * (f - (mean + cMean[0]!)), aux, cAux);
  }
  return Math.sqrt((aux + cAux[0]!) / count);
}

/** The φ-quantile of values, interpolating between neighbours (Prometheus' `quantile`). */
export function quantile(q: number, values: Float64Array): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

export const rangeFunctions: Readonly<Record<string, RangeFunction>> = {
  rate: (w) => extrapolatedRate(w, true, true),
  increase: (w) => extrapolatedRate(w, true, false),
  delta: (w) => extrapolatedRate(w, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  deriv,
  avg_over_time: avgOverTime,
  sum_over_time: sumOverTime,
  min_over_time: (w) => compareOverTime(w, (cur, best) => cur < best),
  max_over_time: (w) => compareOverTime(w, (cur, best) => cur > best),
  count_over_time: (w) => (w.hi > w.lo ? w.hi - w.lo : undefined),
  last_over_time: (w) => (w.hi > w.lo ? w.vs[w.hi - 1] : undefined),
  stddev_over_time: stddevOverTime,
  quantile_over_time: (w, q) => (w.hi > w.lo ? quantile(q, w.vs.subarray(w.lo, w.hi)) : undefined),
};

/** Range functions that keep the metric name (they return a sample of the series itself). */
export const keepsMetricName: ReadonlySet<string> = new Set(['last_over_time']);
