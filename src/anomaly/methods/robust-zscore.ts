// Robust z-score: how far a point is from its seasonal pattern plus local level (../baseline.ts), in
// robust standard deviations of the recent residuals (median and IQR, wider quantile ranges when the
// IQR is 0; ../standardise.ts), then judged against the series' own history of such z's
// (../tail.ts). Catches spikes, dips and broken seasonal beats; a level shift shows until the local
// level catches up (online, slowly while the shift lasts: ../guard.ts).
//
// With a reference period, the points after it are a plain z-score against it: the distance from the
// reference's frozen seasonal profile and level, in robust σ of the reference's own residuals, judged
// against the reference's z's.
import { baseline, BASELINE_MIN, referenceBaseline } from '../baseline.js';
import type { AnomalyMethod, DetectionMode, IndexRange, MethodOptions, MethodResult } from '../detector.js';
import { standardise, standardiseAgainst } from '../standardise.js';
import { calibratedAgainst, calibratedScores } from '../tail.js';
import { referenceIn } from '../reference.js';

/** Residuals in the reference that sets the scale. */
const SCALE_WINDOW = 500;
/** Fewest reference residuals for a score. */
const MIN_REFERENCE = 20;

/** Overwrites the scores and expected values from `range.end` on with the reference's judgement. */
function judgeAfter(values: Float64Array, periods: readonly number[], range: IndexRange, scores: Float64Array, expected: Float64Array): void {
  const n = values.length;
  const ref = referenceBaseline(values, periods, range);
  const residual = new Float64Array(n).fill(NaN);
  for (let t = range.start; t < n; t++) residual[t] = values[t]! - ref.seasonal[t]! - ref.level;
  const { z, centre, referenceZ } = standardiseAgainst(residual, range, MIN_REFERENCE);
  const judged = calibratedAgainst(z, range.end, referenceZ);
  for (let t = range.end; t < n; t++) {
    scores[t] = judged[t]!;
    expected[t] = ref.seasonal[t]! + ref.level + centre[t]!;
  }
}

function score(values: Float64Array, { mode, periods, reference }: MethodOptions): MethodResult {
  const n = values.length;
  const { seasonal, level, ready } = baseline(values, periods, mode);
  const residual = new Float64Array(n).fill(NaN);
  for (let t = ready; t < n; t++) residual[t] = values[t]! - seasonal[t]! - level[t]!;
  const { z, centre } = standardise(residual, ready, mode, SCALE_WINDOW, MIN_REFERENCE);
  const scores = calibratedScores(z, mode);
  const expected = seasonal.map((s, t) => s + level[t]! + centre[t]!);
  const range = referenceIn(reference, n);
  if (range) judgeAfter(values, periods, range, scores, expected);
  return { scores, expected };
}

export const robustZScore: AnomalyMethod = {
  name: 'robust-zscore',
  description: 'Points far from the seasonal pattern and local level, in robust standard deviations (median/IQR) of recent residuals.',
  minPoints: (mode: DetectionMode) => (mode === 'online' ? BASELINE_MIN + MIN_REFERENCE + 1 : MIN_REFERENCE),
  score,
};
