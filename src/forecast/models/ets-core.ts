// The exponential smoothing state space recursions (Hyndman, Koehler, Ord & Snyder 2008), written in
// error-correction form with e = y − μ. With that e the state updates are the same for additive and
// multiplicative errors; the error type changes only the likelihood and the forecast distribution.

export type ErrorType = 'A' | 'M';
export type ComponentType = 'N' | 'A' | 'M';

/** Which ETS model: error, trend (damped or not) and seasonality, with the seasonal period. */
export interface EtsSpec {
  error: ErrorType;
  trend: ComponentType;
  damped: boolean;
  season: ComponentType;
  /** Seasonal period in steps (1 when season is 'N'). */
  period: number;
}

/** Smoothing parameters in the state space convention (β ≤ α, γ ≤ 1 − α) and the damping φ. */
export interface EtsParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

/** Level, trend and the last `period` seasonal states; season[i] applies to the steps t ≡ i (mod period). */
export interface EtsState {
  level: number;
  trend: number;
  season: Float64Array;
}

/** The readable name: ETS(M,Ad,A)[24]. */
export function specName(s: EtsSpec): string {
  const t = s.trend + (s.damped && s.trend !== 'N' ? 'd' : '');
  return `ETS(${s.error},${t},${s.season})${s.season !== 'N' ? `[${s.period}]` : ''}`;
}

/** φ + φ² + … + φ^h (h when φ = 1). */
export function dampSum(phi: number, h: number): number {
  if (phi === 1) return h;
  return (phi * (1 - phi ** h)) / (1 - phi);
}

/** The h-step point forecast from a state at time t (the next step is t, so the season index is (t + h − 1) mod m). */
export function pointForecast(spec: EtsSpec, p: EtsParams, st: EtsState, t: number, h: number): number {
  const ph = dampSum(p.phi, h);
  const tr = spec.trend === 'N' ? st.level : spec.trend === 'A' ? st.level + ph * st.trend : st.level * st.trend ** ph;
  if (spec.season === 'N') return tr;
  const s = st.season[(t + h - 1) % spec.period]!;
  return spec.season === 'A' ? tr + s : tr * s;
}

/**
 * One step: the one-step forecast μ for time t from `st`, then the update of `st` in place with y.
 * Returns μ, or NaN when a multiplicative state left the positive range.
 */
export function step(spec: EtsSpec, p: EtsParams, st: EtsState, t: number, y: number): number {
  const l = st.level;
  const b = st.trend;
  const i = spec.season === 'N' ? 0 : t % spec.period;
  const s = spec.season === 'N' ? 0 : st.season[i]!;
  const bphi = spec.trend === 'M' ? b ** p.phi : 0;
  const tr = spec.trend === 'N' ? l : spec.trend === 'A' ? l + p.phi * b : l * bphi;
  const mu = spec.season === 'N' ? tr : spec.season === 'A' ? tr + s : tr * s;
  const e = y - mu;
  const es = spec.season === 'M' ? e / s : e;
  st.level = tr + p.alpha * es;
  if (spec.trend === 'A') st.trend = p.phi * b + p.beta * es;
  else if (spec.trend === 'M') st.trend = bphi + (p.beta * es) / l;
  if (spec.season === 'A') st.season[i] = s + p.gamma * e;
  else if (spec.season === 'M') st.season[i] = s + (p.gamma * e) / tr;
  const multiplicative = spec.error === 'M' || spec.trend === 'M' || spec.season === 'M';
  if (multiplicative && !(mu > 0 && st.level > 0 && (spec.trend !== 'M' || st.trend > 0) && (spec.season !== 'M' || st.season[i]! > 0))) return NaN;
  return mu;
}

export interface FilterResult {
  /** −2·log-likelihood up to a constant shared by all models on the same data (Infinity when invalid). */
  lik: number;
  /** Sum of squared errors: absolute (A) or relative (M) to μ. */
  sse: number;
  /** Final state, after the last observation. */
  state: EtsState;
}

/** Runs the recursions over y from `init` (copied); the one-step forecasts go to `fitted` when given. */
export function filter(spec: EtsSpec, p: EtsParams, init: EtsState, y: Float64Array, fitted?: Float64Array): FilterResult {
  if (spec.error === 'A' && spec.trend !== 'M' && spec.season !== 'M') return filterLinear(spec, p, init, y, fitted);
  if (spec.error === 'M' && spec.trend !== 'M' && spec.season === 'N') return filterRelative(spec, p, init, y, fitted);
  const st: EtsState = { level: init.level, trend: init.trend, season: Float64Array.from(init.season) };
  const n = y.length;
  let sse = 0;
  let logMu = 0;
  for (let t = 0; t < n; t++) {
    const mu = step(spec, p, st, t, y[t]!);
    if (!Number.isFinite(mu)) return { lik: Infinity, sse: Infinity, state: st };
    if (fitted) fitted[t] = mu;
    const e = y[t]! - mu;
    if (spec.error === 'A') sse += e * e;
    else {
      sse += (e / mu) ** 2;
      logMu += Math.log(Math.abs(mu));
    }
  }
  // A perfect fit would give log(0); a tiny floor keeps the criterion finite and comparable.
  const lik = n * Math.log(Math.max(sse, 1e-300)) + 2 * logMu;
  return { lik: Number.isFinite(lik) ? lik : Infinity, sse, state: st };
}

/**
 * `filter` for the linear models (additive error, no multiplicative component), unrolled: most fits
 * are of this kind (every trend model under MSTL) and the likelihood runs a few hundred times a fit.
 */
function filterLinear(spec: EtsSpec, p: EtsParams, init: EtsState, y: Float64Array, fitted?: Float64Array): FilterResult {
  const { alpha, beta, gamma, phi } = p;
  const trended = spec.trend === 'A';
  const seasonal = spec.season === 'A';
  const m = spec.period;
  const season = Float64Array.from(init.season);
  let l = init.level;
  let b = init.trend;
  let j = 0;
  let sse = 0;
  const n = y.length;
  for (let t = 0; t < n; t++) {
    const tr = trended ? l + phi * b : l;
    const s = seasonal ? season[j]! : 0;
    const mu = tr + s;
    const e = y[t]! - mu;
    if (fitted) fitted[t] = mu;
    sse += e * e;
    l = tr + alpha * e;
    if (trended) b = phi * b + beta * e;
    if (seasonal) {
      season[j] = s + gamma * e;
      if (++j === m) j = 0;
    }
  }
  const state: EtsState = { level: l, trend: b, season };
  const lik = n * Math.log(Math.max(sse, 1e-300));
  return Number.isFinite(lik) ? { lik, sse, state } : { lik: Infinity, sse: Infinity, state };
}

/**
 * `filter` for multiplicative errors without multiplicative components (ETS(M,N,N), ETS(M,A(d),N)),
 * unrolled as filterLinear: the non-seasonal pool fits them on every series. Same arithmetic as `step`.
 */
function filterRelative(spec: EtsSpec, p: EtsParams, init: EtsState, y: Float64Array, fitted?: Float64Array): FilterResult {
  const { alpha, beta, phi } = p;
  const trended = spec.trend === 'A';
  let l = init.level;
  let b = init.trend;
  let sse = 0;
  let logMu = 0;
  const n = y.length;
  for (let t = 0; t < n; t++) {
    const mu = trended ? l + phi * b : l;
    const e = y[t]! - mu;
    l = mu + alpha * e;
    if (trended) b = phi * b + beta * e;
    if (!(mu > 0 && l > 0)) return { lik: Infinity, sse: Infinity, state: { level: l, trend: b, season: Float64Array.from(init.season) } };
    if (fitted) fitted[t] = mu;
    sse += (e / mu) ** 2;
    logMu += Math.log(Math.abs(mu));
  }
  const lik = n * Math.log(Math.max(sse, 1e-300)) + 2 * logMu;
  return { lik: Number.isFinite(lik) ? lik : Infinity, sse, state: { level: l, trend: b, season: Float64Array.from(init.season) } };
}
