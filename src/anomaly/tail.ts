// Calibrating deviations by the series' own history. A method's robust z assumes Gaussian noise, but
// operational metrics are heavy-tailed: a "6σ" blip may happen daily. So each z is also judged by how
// rare it is among the method's other z's (online: the HISTORY before it; batch: all of them; in both
// cases leaving out its own neighbourhood), the tail beyond the top share q extrapolated as
// exponential (peaks over threshold with a generalised Pareto tail of shape 0, as in SPOT, Siffer et
// al. 2017):
//
//     P(Z ≥ z) ≈ q · exp(−(z − u) / β)   for z > u, the (1 − q) quantile; β = mean excess over u
//
// and, below u, the empirical share of the history at least as large. That probability becomes the
// Gaussian z with the same two-sided tail, and the smaller of it and the method's own z is scored: a
// history can make a deviation less surprising, never more. With too little history the method's z
// is scored as it is.
import { normalQuantile } from '../forecast/normal.js';
import { confidence } from './calibration.js';
import type { DetectionMode } from './detector.js';
import { RankWindow } from './rank-window.js';

/** Earlier z's an online score is judged against. */
const HISTORY = 2000;
/** z's above this are stored as this (Infinity would poison the window's sums); confidence(Z_CAP) ≈ 1. */
const Z_CAP = 1e3;
/** Fewest earlier z's before the history is used. */
const MIN_HISTORY = 50;
/** Share of the history treated as its tail... */
const TAIL_SHARE = 0.02;
/** ...but never fewer points than this, so β is not a guess from two values. */
const MIN_TAIL_POINTS = 10;
/**
 * z's this close to the point are left out of its history (online: the last ones before it; batch:
 * either side): an anomaly that lasts a while would otherwise make its own tail and excuse itself.
 */
const EXCLUSION = 60;

/** The Gaussian z of z's estimated rarity in window w (w must not hold z itself). */
function historyZ(w: RankWindow, z: number): number {
  const n = w.size;
  const q = Math.max(TAIL_SHARE, MIN_TAIL_POINTS / n);
  const u = w.quantile(1 - q);
  let p: number;
  // Within the observed range: the empirical share of the history at least as large (+1: this one).
  if (z <= u) p = Math.min(1, (w.countAtLeast(z) + 1) / (n + 1));
  else {
    const beta = w.meanExcess(u);
    // Nothing in the history lies above u (a tail of ties): z is a new maximum, and the history can
    // only say it is as rare as it can measure.
    p = beta > 0 ? q * Math.exp(-(z - u) / beta) : 1 / (n + 1);
  }
  if (p >= 1) return 0;
  return p > 1e-300 ? -normalQuantile(p / 2) : Infinity;
}

/**
 * Scores per point from z's (≥ 0; NaN = no score, e.g. warm-up): confidence(min(z, history z)).
 * Online, the history of t is z[t − EXCLUSION − HISTORY, t − EXCLUSION); in batch, every z more than
 * EXCLUSION points from t.
 */
export function calibratedScores(z: Float64Array, mode: DetectionMode): Float64Array {
  const n = z.length;
  const scores = new Float64Array(n);
  // Unknown z's never enter a history; their slots hold 0 so the array can be ranked.
  const clean = z.map((v) => (Number.isNaN(v) ? 0 : Math.min(v, Z_CAP)));
  const w = new RankWindow(clean, true);
  const judge = (t: number) => {
    const zt = clean[t]!;
    if (Number.isNaN(z[t]!)) return;
    const own = w.size >= MIN_HISTORY ? Math.min(zt, historyZ(w, zt)) : zt;
    scores[t] = confidence(own);
  };
  const E = EXCLUSION;
  const valid = (i: number) => i >= 0 && i < n && !Number.isNaN(z[i]!);
  if (mode === 'online') {
    // History of t: z[t − E − HISTORY, t − E). Stepping t adds t − E and drops t − E − HISTORY.
    for (let t = 0; t < n; t++) {
      judge(t);
      if (valid(t - E)) w.add(t - E);
      if (valid(t - E - HISTORY)) w.remove(t - E - HISTORY);
    }
  } else {
    // History of t: z[0, t − E) and z(t + E, n). Stepping t adds t − E and drops t + E + 1.
    for (let i = E + 1; i < n; i++) if (valid(i)) w.add(i);
    for (let t = 0; t < n; t++) {
      judge(t);
      if (valid(t - E)) w.add(t - E);
      if (valid(t + E + 1)) w.remove(t + E + 1);
    }
  }
  return scores;
}
