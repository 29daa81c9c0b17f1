// Seasonal median: each step ahead gets the median of the latest values at its phase of the cycle
// (the latest values, when there is no cycle). Bursty operational series (idle CPU with spikes,
// request or byte counts that are mostly near a floor) have heavy-tailed errors: there the median,
// which minimises absolute error, beats every mean-seeking model, and a spike does not move it.
// Intervals are empirical: for each lead, the quantiles of the errors the same rule made that many
// steps ahead over the recent past (so they stay flat on stationary data and widen on wandering data).
import { checkHorizon, checkLevels } from '../intervals.js';
import type { FitOptions, FittedModel, Model } from '../model.js';
import { median, quantileSorted } from '../stats.js';

/** Values per phase the median is taken over: an odd number, robust to two spikes. */
const CYCLES = 5;
/** Latest values the median is taken over without a cycle. */
const WINDOW = 25;
/** Most past errors per lead the intervals are taken from. */
const ERRORS = 200;
/** Fewest errors a lead needs to have its own quantiles. */
const MIN_ERRORS = 10;

/**
 * The rule's forecast for time t from the values before `end` (≤ t): the median of the `k` latest
 * values at t's phase (period p) before `end`; fewer when the history is short, NaN when none.
 */
function ruleAt(y: Float64Array, t: number, end: number, p: number, k: number, buf: number[]): number {
  buf.length = 0;
  for (let s = t - p * Math.ceil((t - end + 1) / p); s >= 0 && buf.length < k; s -= p) buf.push(y[s]!);
  return buf.length ? median(buf) : NaN;
}

/** Sorted errors of forecasts made `lead` steps ahead over the recent past (each with at least half its values). */
function leadErrors(y: Float64Array, lead: number, p: number, k: number, buf: number[]): Float64Array {
  const out: number[] = [];
  const need = Math.ceil(k / 2);
  for (let t = y.length - 1; t >= 0 && out.length < ERRORS; t--) {
    const end = t - lead + 1;
    // The oldest value the rule would use must exist for `need` values.
    if (t - p * Math.ceil(lead / p) - (need - 1) * p < 0) break;
    out.push(y[t]! - ruleAt(y, t, end, p, k, buf));
  }
  return Float64Array.from(out).sort();
}

/** Fits the seasonal median with period m (m < 2 or m > n: the median of the latest values). y non-empty. */
export function medianFit(y: Float64Array, m: number): FittedModel {
  const n = y.length;
  if (n === 0) throw new RangeError('median needs at least one observation');
  const p = m >= 2 && n >= m ? Math.round(m) : 1;
  const k = p > 1 ? CYCLES : WINDOW;
  const buf: number[] = [];
  const level = Array.from({ length: p }, (_, j) => ruleAt(y, n + j, n, p, k, buf));
  return {
    name: p > 1 ? `Median[${p}]` : 'Median',
    params: { period: p, values: k },
    predict(h, levels) {
      checkHorizon(h);
      checkLevels(levels);
      const mean = Float64Array.from({ length: h }, (_, i) => level[i % p]!);
      // Errors at leads 1, 2, 4, … and h; a lead the history cannot supply reuses the longest one it can.
      const leads: number[] = [];
      for (let d = 1; d < h; d *= 2) leads.push(d);
      leads.push(h);
      const table: { lead: number; errors: Float64Array }[] = [];
      for (const d of leads) {
        const e = leadErrors(y, d, p, k, buf);
        if (e.length < MIN_ERRORS) break;
        table.push({ lead: d, errors: e });
      }
      const intervals = levels.map((l) => {
        const lower = new Float64Array(h);
        const upper = new Float64Array(h);
        const q = table.map(({ errors }) => [Math.min(0, quantileSorted(errors, 0.5 - l / 200)), Math.max(0, quantileSorted(errors, 0.5 + l / 200))] as const);
        for (let i = 0; i < h; i++) {
          let lo = 0;
          let hi = 0;
          if (q.length) {
            // Linear in the lead between the two nearest leads with errors; beyond the last, its own.
            const d = i + 1;
            let j = 0;
            while (j + 1 < table.length && table[j + 1]!.lead <= d) j++;
            const a = table[j]!;
            const b = table[j + 1];
            const w = b ? (d - a.lead) / (b.lead - a.lead) : 0;
            lo = q[j]![0] + w * ((b ? q[j + 1]![0] : q[j]![0]) - q[j]![0]);
            hi = q[j]![1] + w * ((b ? q[j + 1]![1] : q[j]![1]) - q[j]![1]);
          }
          lower[i] = mean[i]! + lo;
          upper[i] = mean[i]! + hi;
        }
        return { level: l, lower, upper };
      });
      return { mean, intervals };
    },
  };
}

/** The seasonal median on the first given period y covers; the plain median of the latest values without one. */
export const medianModel: Model = {
  name: 'median',
  minLength: () => 1,
  fit: (y: Float64Array, options: FitOptions) => medianFit(y, options.periods.find((p) => p >= 2 && y.length >= p) ?? 1),
};
