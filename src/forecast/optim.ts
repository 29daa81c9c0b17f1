// Nelder–Mead simplex minimisation: derivative-free, which suits likelihoods of recursive models
// (their gradients are awkward and bounds are handled by returning +Infinity outside them).

export interface NelderMeadOptions {
  /** Initial simplex step per coordinate (default 10% of |x0|, or 0.05 where x0 is 0). */
  step?: readonly number[];
  /** Most objective evaluations (default 200·dimension). */
  maxEvaluations?: number;
  /** Stop when the spread of values on the simplex falls below this (default 1e-8, relative). */
  tolerance?: number;
}

export interface NelderMeadResult {
  x: Float64Array;
  value: number;
  evaluations: number;
}

/** Minimises f from x0 (x0 is not modified). f may return +Infinity (or NaN) to reject a point. */
export function nelderMead(f: (x: Float64Array) => number, x0: ArrayLike<number>, options: NelderMeadOptions = {}): NelderMeadResult {
  const d = x0.length;
  const maxEval = options.maxEvaluations ?? 200 * Math.max(1, d);
  const tol = options.tolerance ?? 1e-8;
  let evaluations = 0;
  const evalf = (x: Float64Array) => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };

  const pts: Float64Array[] = [];
  const vals: number[] = [];
  const start = Float64Array.from(x0);
  pts.push(start);
  vals.push(evalf(start));
  for (let i = 0; i < d; i++) {
    const p = Float64Array.from(x0);
    const s = options.step?.[i] ?? (p[i]! !== 0 ? 0.1 * Math.abs(p[i]!) : 0.05);
    p[i] = p[i]! + s;
    pts.push(p);
    vals.push(evalf(p));
  }
  if (d === 0) return { x: start, value: vals[0]!, evaluations };

  const order = Array.from({ length: d + 1 }, (_, i) => i);
  const centroid = new Float64Array(d);
  const trial = (from: Float64Array, towards: Float64Array, t: number) => {
    const p = new Float64Array(d);
    for (let j = 0; j < d; j++) p[j] = from[j]! + t * (towards[j]! - from[j]!);
    return p;
  };

  while (evaluations < maxEval) {
    order.sort((a, b) => vals[a]! - vals[b]!);
    const best = order[0]!;
    const worst = order[d]!;
    const second = order[d - 1]!;
    const spread = Math.abs(vals[worst]! - vals[best]!);
    if (Number.isFinite(vals[worst]!) && spread <= tol * (Math.abs(vals[best]!) + tol)) break;

    centroid.fill(0);
    for (const i of order) if (i !== worst) for (let j = 0; j < d; j++) centroid[j] = centroid[j]! + pts[i]![j]! / d;

    const xr = trial(centroid, pts[worst]!, -1);
    const fr = evalf(xr);
    if (fr < vals[best]!) {
      const xe = trial(centroid, pts[worst]!, -2);
      const fe = evalf(xe);
      if (fe < fr) [pts[worst], vals[worst]] = [xe, fe];
      else [pts[worst], vals[worst]] = [xr, fr];
    } else if (fr < vals[second]!) {
      [pts[worst], vals[worst]] = [xr, fr];
    } else {
      // Contract towards the better of the reflected and the worst point.
      const outside = fr < vals[worst]!;
      const xc = trial(centroid, outside ? xr : pts[worst]!, 0.5);
      const fc = evalf(xc);
      if (fc < (outside ? fr : vals[worst]!)) {
        [pts[worst], vals[worst]] = [xc, fc];
      } else {
        for (const i of order) {
          if (i === best) continue;
          pts[i] = trial(pts[best]!, pts[i]!, 0.5);
          vals[i] = evalf(pts[i]!);
        }
      }
    }
  }
  let bi = 0;
  for (let i = 1; i <= d; i++) if (vals[i]! < vals[bi]!) bi = i;
  return { x: pts[bi]!, value: vals[bi]!, evaluations };
}
