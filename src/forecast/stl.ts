// STL (Cleveland, Cleveland, McRae & Terpenning 1990), a line-by-line port of the netlib Fortran
// that R's `stl` runs, and MSTL (Bandara, Hyndman & Bergmeir 2021; R's `forecast::mstl`): STL applied
// in turn to each period, iterated, so several seasonal patterns (daily and weekly) separate cleanly.

export interface StlOptions {
  /** Seasonal smoothing window in cycles (odd, ≥ 3); larger means a more stable pattern. Default 11. */
  seasonalWindow?: number;
  /** Trend window in steps (odd); default the smallest odd ≥ 1.5·period / (1 − 1.5/seasonalWindow). */
  trendWindow?: number;
  /** Robustness (outer) iterations that down-weight outliers; default 0. */
  robustIterations?: number;
}

export interface StlResult {
  seasonal: Float64Array;
  trend: Float64Array;
  remainder: Float64Array;
}

const nextOdd = (x: number) => {
  const v = Math.ceil(x);
  return v % 2 === 0 ? v + 1 : v;
};

/** Local (degree 0 or 1) tricube-weighted fit at position xs from y[nleft..nright]; null when all weights vanish. */
function loessPoint(y: Float64Array, n: number, len: number, degree: number, xs: number, nleft: number, nright: number, w: Float64Array, rw: Float64Array | null): number | null {
  const range = n - 1;
  let h = Math.max(xs - nleft, nright - xs);
  if (len > n) h += Math.floor((len - n) / 2);
  const h9 = 0.999 * h;
  const h1 = 0.001 * h;
  let a = 0;
  for (let j = nleft; j <= nright; j++) {
    w[j] = 0;
    const r = Math.abs(j - xs);
    if (r <= h9) {
      if (r <= h1) w[j] = 1;
      else {
        const q = r / h;
        const c = 1 - q * q * q;
        w[j] = c * c * c;
      }
      if (rw) w[j] = w[j]! * rw[j]!;
      a += w[j]!;
    }
  }
  if (a <= 0) return null;
  for (let j = nleft; j <= nright; j++) w[j] = w[j]! / a;
  if (h > 0 && degree > 0) {
    let c = 0;
    a = 0;
    for (let j = nleft; j <= nright; j++) a += w[j]! * j;
    let b = xs - a;
    for (let j = nleft; j <= nright; j++) c += w[j]! * (j - a) * (j - a);
    if (Math.sqrt(c) > 0.001 * range) {
      b /= c;
      for (let j = nleft; j <= nright; j++) w[j] = w[j]! * (b * (j - a) + 1);
    }
  }
  let ys = 0;
  for (let j = nleft; j <= nright; j++) ys += w[j]! * y[j]!;
  return ys;
}

/** Loess smooth of y[0..n) into ys[off..off+n), evaluated every `jump` points and interpolated between. */
function loess(y: Float64Array, n: number, len: number, degree: number, jump: number, rw: Float64Array | null, ys: Float64Array, off: number, w: Float64Array): void {
  if (n < 2) {
    ys[off] = y[0]!;
    return;
  }
  const nj = Math.min(jump, n - 1);
  let nleft = 0;
  let nright = n - 1;
  const fit = (i: number) => {
    ys[off + i] = loessPoint(y, n, len, degree, i, nleft, nright, w, rw) ?? y[i]!;
  };
  if (len >= n) {
    for (let i = 0; i < n; i += nj) fit(i);
  } else if (nj === 1) {
    const nsh = Math.floor((len + 1) / 2);
    nright = len - 1;
    for (let i = 0; i < n; i++) {
      if (i + 1 > nsh && nright !== n - 1) {
        nleft++;
        nright++;
      }
      fit(i);
    }
  } else {
    const nsh = Math.floor((len + 1) / 2);
    for (let i1 = 1; i1 <= n; i1 += nj) {
      if (i1 < nsh) {
        nleft = 0;
        nright = len - 1;
      } else if (i1 >= n - nsh + 1) {
        nleft = n - len;
        nright = n - 1;
      } else {
        nleft = i1 - nsh;
        nright = len + i1 - nsh - 1;
      }
      fit(i1 - 1);
    }
  }
  if (nj === 1) return;
  for (let i1 = 1; i1 <= n - nj; i1 += nj) {
    const delta = (ys[off + i1 + nj - 1]! - ys[off + i1 - 1]!) / nj;
    for (let j1 = i1 + 1; j1 <= i1 + nj - 1; j1++) ys[off + j1 - 1] = ys[off + i1 - 1]! + delta * (j1 - i1);
  }
  const k1 = Math.floor((n - 1) / nj) * nj + 1;
  if (k1 !== n) {
    fit(n - 1);
    if (k1 !== n - 1) {
      const delta = (ys[off + n - 1]! - ys[off + k1 - 1]!) / (n - k1);
      for (let j1 = k1 + 1; j1 <= n - 1; j1++) ys[off + j1 - 1] = ys[off + k1 - 1]! + delta * (j1 - k1);
    }
  }
}

/** Moving average of length len: out[i] = mean(x[i..i+len)), i < n − len + 1. */
function movingAverage(x: Float64Array, n: number, len: number, out: Float64Array): void {
  let s = 0;
  for (let i = 0; i < len; i++) s += x[i]!;
  out[0] = s / len;
  for (let i = 1; i < n - len + 1; i++) {
    s += x[i + len - 1]! - x[i - 1]!;
    out[i] = s / len;
  }
}

interface StlParams {
  np: number;
  ns: number;
  nt: number;
  nl: number;
  nsjump: number;
  ntjump: number;
  nljump: number;
}

/** One pass of STL's inner loop (`stlstp`): `inner` rounds of seasonal then trend smoothing. */
function innerLoop(y: Float64Array, p: StlParams, inner: number, rw: Float64Array | null, season: Float64Array, trend: Float64Array): void {
  const n = y.length;
  const { np } = p;
  const ext = n + 2 * np;
  const detr = new Float64Array(n);
  const cyc = new Float64Array(ext);
  const ma1 = new Float64Array(ext);
  const ma2 = new Float64Array(ext);
  const low = new Float64Array(n);
  const w = new Float64Array(Math.max(ext, p.nt, p.ns, p.nl) + 2);
  const sub = new Float64Array(Math.ceil(n / np) + 1);
  const subW = new Float64Array(sub.length);
  const subOut = new Float64Array(sub.length + 2);
  for (let it = 0; it < inner; it++) {
    for (let i = 0; i < n; i++) detr[i] = y[i]! - trend[i]!;
    // Cycle-subseries smoothing, each subseries extended one cycle at both ends (`stlss`).
    for (let j = 0; j < np; j++) {
      const k = Math.floor((n - 1 - j) / np) + 1;
      for (let i = 0; i < k; i++) {
        sub[i] = detr[i * np + j]!;
        if (rw) subW[i] = rw[i * np + j]!;
      }
      const srw = rw ? subW : null;
      loess(sub, k, p.ns, 0, p.nsjump, srw, subOut, 1, w);
      subOut[0] = loessPoint(sub, k, p.ns, 0, -1, 0, Math.min(p.ns, k) - 1, w, srw) ?? subOut[1]!;
      subOut[k + 1] = loessPoint(sub, k, p.ns, 0, k, Math.max(0, k - p.ns), k - 1, w, srw) ?? subOut[k]!;
      for (let m = 0; m < k + 2; m++) cyc[m * np + j] = subOut[m]!;
    }
    // Low-pass filter of the cycle-subseries (`stlfts` then loess).
    movingAverage(cyc, ext, np, ma1);
    movingAverage(ma1, ext - np + 1, np, ma2);
    movingAverage(ma2, ext - 2 * np + 2, 3, ma1);
    loess(ma1, n, p.nl, 1, p.nljump, null, low, 0, w);
    for (let i = 0; i < n; i++) {
      season[i] = cyc[np + i]! - low[i]!;
      detr[i] = y[i]! - season[i]!;
    }
    loess(detr, n, p.nt, 1, p.ntjump, rw, trend, 0, w);
  }
}

/** Bisquare robustness weights from the remainder (`stlrwt`). */
function robustnessWeights(y: Float64Array, fit: Float64Array, rw: Float64Array): void {
  const n = y.length;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = Math.abs(y[i]! - fit[i]!);
  const sorted = Float64Array.from(r).sort();
  const mid0 = Math.floor((n + 1) / 2) - 1;
  const mid1 = n - Math.floor((n + 1) / 2);
  const cmad = 3 * (sorted[mid0]! + sorted[mid1]!);
  for (let i = 0; i < n; i++) {
    const u = r[i]!;
    rw[i] = u <= 0.001 * cmad ? 1 : u <= 0.999 * cmad ? (1 - (u / cmad) ** 2) ** 2 : 0;
  }
}

/** STL of y with the given period (≥ 2, and y should hold at least two cycles). y is not modified. */
export function stl(y: Float64Array, period: number, options: StlOptions = {}): StlResult {
  const n = y.length;
  const ns = Math.max(3, nextOdd(options.seasonalWindow ?? 11));
  const np = Math.max(2, Math.round(period));
  const nt = Math.max(3, nextOdd(options.trendWindow ?? (1.5 * np) / (1 - 1.5 / ns)));
  const nl = nextOdd(np);
  const p: StlParams = { np, ns, nt, nl, nsjump: Math.ceil(ns / 10), ntjump: Math.ceil(nt / 10), nljump: Math.ceil(nl / 10) };
  const outer = options.robustIterations ?? 0;
  const season = new Float64Array(n);
  const trend = new Float64Array(n);
  const rw = new Float64Array(n).fill(1);
  for (let k = 0; ; k++) {
    innerLoop(y, p, outer > 0 ? 1 : 2, k > 0 ? rw : null, season, trend);
    if (k >= outer) break;
    const fit = new Float64Array(n);
    for (let i = 0; i < n; i++) fit[i] = season[i]! + trend[i]!;
    robustnessWeights(y, fit, rw);
  }
  const remainder = new Float64Array(n);
  for (let i = 0; i < n; i++) remainder[i] = y[i]! - season[i]! - trend[i]!;
  return { seasonal: season, trend, remainder };
}

export interface MstlResult {
  /** The periods actually used (ascending; those with fewer than two full cycles in y are dropped). */
  periods: number[];
  /** One seasonal component per used period, aligned with `periods`. */
  seasonals: Float64Array[];
  trend: Float64Array;
  remainder: Float64Array;
}

export interface MstlOptions {
  /** Passes over the periods (default 2, as R's mstl). */
  iterations?: number;
  /** Seasonal window of the i-th period (0-based); default 7 + 4·(i + 1), as R's mstl. */
  seasonalWindow?: (i: number) => number;
  robustIterations?: number;
}

/**
 * MSTL: each period's seasonal component is re-estimated by STL on the series with the other
 * components removed, `iterations` times. With no usable period the trend is y itself.
 */
export function mstl(y: Float64Array, periods: readonly number[], options: MstlOptions = {}): MstlResult {
  const n = y.length;
  const used = [...new Set(periods.map((p) => Math.round(p)))].filter((p) => p >= 2 && 2 * p < n).sort((a, b) => a - b);
  const seasonals: Float64Array[] = used.map(() => new Float64Array(n));
  const deseas = Float64Array.from(y);
  let trend: Float64Array = Float64Array.from(y);
  const iterations = used.length > 1 ? (options.iterations ?? 2) : 1;
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < used.length; i++) {
      const s = seasonals[i]!;
      for (let t = 0; t < n; t++) deseas[t] = deseas[t]! + s[t]!;
      const fit = stl(deseas, used[i]!, { seasonalWindow: options.seasonalWindow?.(i) ?? 7 + 4 * (i + 1), robustIterations: options.robustIterations });
      seasonals[i] = fit.seasonal;
      for (let t = 0; t < n; t++) deseas[t] = deseas[t]! - fit.seasonal[t]!;
      trend = fit.trend;
    }
  }
  const remainder = new Float64Array(n);
  for (let t = 0; t < n; t++) remainder[t] = deseas[t]! - trend[t]!;
  return { periods: used, seasonals, trend, remainder };
}
