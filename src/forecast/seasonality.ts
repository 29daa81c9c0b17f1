// Which seasonal periods a series shows. The test is built on the one the M4 organisers used to decide
// whether to deseasonalise (autocorrelation at lag m against a Bartlett band). It runs on the series
// after its trend and the already accepted shorter periods are taken out, so that a daily pattern does
// not make a weekly one look present (lag 168 is a multiple of 24) and a trend does not make every lag
// look seasonal; and its band comes from the noise alone, so that short series keep their power.
import { centredMovingAverage } from './decompose.js';
import { acf, acfAt } from './stats.js';

/** One-sided 95% normal critical value of the autocorrelation test. */
const Z_CRIT = 1.645;
/** Fewest cycles a period needs in y before it is tested. */
export const MIN_CYCLES = 2;

/**
 * The M4 benchmark test (Naive2, Theta): n ≥ 3m and |ACF(m)| > 1.645·√((1 + 2·Σ_{k<m} ACF_k²)/n).
 * Kept as published so the Naive2 benchmark is reproducible (R's `acf` stops at lag 10·log10 n, so
 * there periods beyond that never pass; here every lag is computed).
 */
export function m4SeasonalityTest(y: ArrayLike<number>, m: number): boolean {
  const n = y.length;
  if (m < 2 || n < 3 * m) return false;
  const r = acf(y, m);
  let s = 1;
  for (let k = 1; k < m; k++) s += 2 * r[k]! ** 2;
  return Math.abs(r[m]!) > 1.645 * Math.sqrt(s / n);
}

/** Subtracts, in place, the mean of each phase (index mod p) so that nothing of period p is left. */
function removePhaseMeans(x: Float64Array, p: number): void {
  const sum = new Float64Array(p);
  const count = new Float64Array(p);
  for (let t = 0; t < x.length; t++) {
    sum[t % p] = sum[t % p]! + x[t]!;
    count[t % p] = count[t % p]! + 1;
  }
  for (let t = 0; t < x.length; t++) x[t] = x[t]! - sum[t % p]! / count[t % p]!;
}

/**
 * Whether period m is present in y beyond the periods already `found`: the lag-m autocorrelation of
 * the detrended series must exceed the one-sided 95% Bartlett band. The band is computed from the
 * series with its phase means removed, i.e. from the noise alone: the M4 test takes it from the
 * series itself, where a strong pattern inflates its own band and hides in short series.
 */
export function hasSeasonality(y: ArrayLike<number>, m: number, found: readonly number[] = []): boolean {
  const n = y.length;
  if (m < 2 || n < MIN_CYCLES * m) return false;
  const trend = centredMovingAverage(y, m);
  // The average is undefined half a cycle from either end; its nearest value stands in, so short
  // series keep all their points.
  const half = Math.floor(m / 2);
  const x = new Float64Array(n);
  for (let t = 0; t < n; t++) x[t] = y[t]! - trend[Math.min(n - 1 - half, Math.max(half, t))]!;
  for (const p of found) removePhaseMeans(x, p);
  const rm = acfAt(x, m);
  const noise = Float64Array.from(x);
  removePhaseMeans(noise, m);
  const rn = acf(noise, m - 1);
  let s = 1;
  for (let k = 1; k < m; k++) s += 2 * rn[k]! ** 2;
  return rm > Z_CRIT * Math.sqrt(s / n);
}

/**
 * The candidate periods present in y, ascending. Each is tested after removing the trend and the
 * shorter periods already accepted; periods with fewer than two cycles in y are never accepted.
 */
export function detectSeasonalities(y: ArrayLike<number>, candidates: readonly number[]): number[] {
  const found: number[] = [];
  const sorted = [...new Set(candidates.map(Math.round))].filter((m) => m >= 2).sort((a, b) => a - b);
  for (const m of sorted) if (hasSeasonality(y, m, found)) found.push(m);
  return found;
}
