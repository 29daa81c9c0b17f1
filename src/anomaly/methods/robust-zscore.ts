// Robust z-score: how far a point is from its seasonal pattern plus local level (../baseline.ts), in
// robust standard deviations of the recent residuals (median and IQR, wider quantile ranges when the
// IQR is 0; ../standardise.ts), then judged against the series' own history of such z's
// (../tail.ts). Catches spikes, dips and broken seasonal beats; a level shift shows only until the
// local level catches up.
import { baseline, BASELINE_MIN } from '../baseline.js';
import type { AnomalyMethod, DetectionMode, MethodOptions, MethodResult } from '../detector.js';
import { standardise } from '../standardise.js';
import { calibratedScores } from '../tail.js';

/** Residuals in the reference that sets the scale. */
const SCALE_WINDOW = 500;
/** Fewest reference residuals for a score. */
const MIN_REFERENCE = 20;

function score(values: Float64Array, { mode, periods }: MethodOptions): MethodResult {
  const n = values.length;
  const { seasonal, level, ready } = baseline(values, periods, mode);
  const residual = new Float64Array(n).fill(NaN);
  for (let t = ready; t < n; t++) residual[t] = values[t]! - seasonal[t]! - level[t]!;
  const { z, centre } = standardise(residual, ready, mode, SCALE_WINDOW, MIN_REFERENCE);
  const scores = calibratedScores(z, mode);
  const expected = seasonal.map((s, t) => s + level[t]! + centre[t]!);
  return { scores, expected };
}

export const robustZScore: AnomalyMethod = {
  name: 'robust-zscore',
  description: 'Points far from the seasonal pattern and local level, in robust standard deviations (median/IQR) of recent residuals.',
  minPoints: (mode: DetectionMode) => (mode === 'online' ? BASELINE_MIN + MIN_REFERENCE + 1 : MIN_REFERENCE),
  score,
};
