// Volatility shift: the typical step size of the last few points against that of the stretch before
// them, both two-sided: a burst of noise (instability, contention, retries) and a metric that stops
// moving (a stuck sensor, a dead exporter reporting its last value). Steps are first differences of
// the deseasonalised series, so neither the level nor the daily pattern counts as movement.
import { baseline } from '../baseline.js';
import type { AnomalyMethod, DetectionMode, MethodOptions, MethodResult } from '../detector.js';
import { calibratedScores } from '../tail.js';

/** Steps in the recent window. */
const RECENT = 16;
/** Steps in the reference before it. */
const REFERENCE = 300;
/** Fewest reference steps for a score. */
const MIN_REFERENCE = 30;
/**
 * L = ln(recent / reference) · √RECENT is skewed (a mean of few absolute steps has a long lower tail).
 * Simulated on Gaussian noise, its 1-in-10⁴ quantiles are +2.84 and −4.32; dividing each side by these
 * scales puts both at the Gaussian 3.72, so z is in the usual σ units on either side.
 */
const UP_SCALE = 0.763;
const DOWN_SCALE = 1.161;

function score(values: Float64Array, { mode, periods }: MethodOptions): MethodResult {
  const n = values.length;
  const { seasonal, level, ready } = baseline(values, periods, mode);
  const step = new Float64Array(n);
  for (let t = Math.max(1, ready); t < n; t++) step[t] = Math.abs(values[t]! - seasonal[t]! - (values[t - 1]! - seasonal[t - 1]!));
  const first = Math.max(1, ready);
  // Windows of steps, as running sums in time order (the same operations whatever follows: causal to
  // the last bit). online: recent = (t − RECENT, t]; batch: recent = [t, t + RECENT). Reference: the
  // REFERENCE steps before the recent window.
  const recentEnd = (t: number) => (mode === 'online' ? t + 1 : Math.min(n, t + RECENT));
  const prefix = new Float64Array(n + 1);
  for (let t = 0; t < n; t++) prefix[t + 1] = prefix[t]! + (t >= first ? step[t]! : 0);
  const z = new Float64Array(n).fill(NaN);
  for (let t = first; t < n; t++) {
    const re = recentEnd(t);
    const rs = Math.max(first, re - RECENT);
    const fs = Math.max(first, rs - REFERENCE);
    if (rs - fs < MIN_REFERENCE || re - rs < RECENT / 2) continue;
    const recent = (prefix[re]! - prefix[rs]!) / (re - rs);
    const reference = (prefix[rs]! - prefix[fs]!) / (rs - fs);
    if (reference === 0 && recent === 0) z[t] = 0;
    else {
      const L = Math.log(recent / reference) * Math.sqrt(re - rs);
      z[t] = L >= 0 ? L / UP_SCALE : -L / DOWN_SCALE;
    }
  }
  const expected = seasonal.map((s, t) => s + level[t]!);
  return { scores: calibratedScores(z, mode), expected };
}

export const volatility: AnomalyMethod = {
  name: 'volatility',
  description: 'Changes in how much the series moves: bursts of noise, or a metric that stops moving (stuck or flat), seasonality removed.',
  minPoints: (mode: DetectionMode) => 1 + MIN_REFERENCE + (mode === 'online' ? RECENT : RECENT / 2),
  score,
};
