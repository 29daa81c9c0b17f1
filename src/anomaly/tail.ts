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
//
// Online, an anomalous episode must not become its own history (./guard.ts). An episode is a run of
// points the history itself judged rare (their calibrated z beyond GUARD_Z; the routine extremes of a
// heavy-tailed series are not one, and keep entering as they are). Only its first z enters the
// history — a burst that keeps coming back is learnt from its onsets — and the history holds the last
// HISTORY z's admitted, so it keeps its normal past through an episode instead of sliding past it. A
// long episode therefore never makes its own extremes look routine; it ends when the method's
// references accept the change (their z's fall) or the anomaly stops. (Admitting even one point in
// eight, capped, put a mass of ties at the cap that made the tail's extrapolation call a long 8σ
// episode normal within a few hundred points.) Batch judges each z against the whole series.
//
// With a reference period (MethodOptions.reference), the points after it are judged against the z's
// of the reference alone (`calibratedAgainst`).
import { normalQuantile } from '../forecast/normal.js';
import { confidence } from './calibration.js';
import type { DetectionMode } from './detector.js';
import { AdmittedFifo, EpisodeGuard } from './guard.js';
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
 * Online, the history of t is the last HISTORY z's of z[0, t − EXCLUSION) the guard admitted; in
 * batch, every z more than EXCLUSION points from t. `guarded` false: online, every z enters (the
 * history is simply the last HISTORY z's).
 */
export function calibratedScores(z: Float64Array, mode: DetectionMode, guarded = true): Float64Array {
  const n = z.length;
  const scores = new Float64Array(n);
  // Unknown z's never enter a history; their slots hold 0 so the array can be ranked.
  const clean = z.map((v) => (Number.isNaN(v) ? 0 : Math.min(v, Z_CAP)));
  const E = EXCLUSION;
  const valid = (i: number) => i >= 0 && i < n && !Number.isNaN(z[i]!);
  if (mode === 'online') {
    // What enters the history is decided in index order, when the point's own judgement is known:
    // an episode is a run of points the history itself found rare (calibrated z beyond GUARD_Z), so
    // the routine extremes of a heavy-tailed series keep entering as they are.
    const judged = new Float64Array(n).fill(NaN);
    const w = new RankWindow(clean, true);
    const fifo = new AdmittedFifo(HISTORY);
    const guard = new EpisodeGuard(guarded ? Infinity : 1);
    // History of t: the last HISTORY admitted z's of z[0, t − E).
    for (let t = 0; t < n; t++) {
      if (!Number.isNaN(z[t]!)) {
        const zt = clean[t]!;
        const own = w.size >= MIN_HISTORY ? Math.min(zt, historyZ(w, zt)) : zt;
        judged[t] = own;
        scores[t] = confidence(own);
      }
      const i = t - E;
      if (i < 0 || Number.isNaN(z[i]!) || !guard.admit(judged[i]!)) continue;
      w.add(i);
      const old = fifo.push(i);
      if (old >= 0) w.remove(old);
    }
    return scores;
  }
  const w = new RankWindow(clean, true);
  const judge = (t: number) => {
    const zt = clean[t]!;
    if (Number.isNaN(z[t]!)) return;
    const own = w.size >= MIN_HISTORY ? Math.min(zt, historyZ(w, zt)) : zt;
    scores[t] = confidence(own);
  };
  // Batch: the history of t is z[0, t − E) and z(t + E, n). Stepping t adds t − E and drops t + E + 1.
  for (let i = E + 1; i < n; i++) if (valid(i)) w.add(i);
  for (let t = 0; t < n; t++) {
    judge(t);
    if (valid(t - E)) w.add(t - E);
    if (valid(t + E + 1)) w.remove(t + E + 1);
  }
  return scores;
}

/**
 * Scores of z[from..] judged against the history `reference` (the z's of a reference period; NaN ones
 * are left out), as `calibratedScores` judges them against their own past; scores before `from` are 0.
 */
export function calibratedAgainst(z: Float64Array, from: number, reference: Float64Array): Float64Array {
  const n = z.length;
  const scores = new Float64Array(n);
  let m = 0;
  const hist = new Float64Array(reference.length);
  for (const v of reference) if (!Number.isNaN(v)) hist[m++] = Math.min(v, Z_CAP);
  const w = new RankWindow(hist.subarray(0, m), true);
  for (let i = 0; i < m; i++) w.add(i);
  for (let t = Math.max(0, from); t < n; t++) {
    if (Number.isNaN(z[t]!)) continue;
    const zt = Math.min(z[t]!, Z_CAP);
    scores[t] = confidence(w.size >= MIN_HISTORY ? Math.min(zt, historyZ(w, zt)) : zt);
  }
  return scores;
}
