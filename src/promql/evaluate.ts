// Evaluates the AST over every step at once, in memory: each node yields, per output series, a
// value and a presence flag for every step (typed arrays), computed from the raw samples the plan
// fetched with indices that only move forward as the steps do. Semantics follow Prometheus' engine.
import type { Labels } from '../core/labels.js';
import { aggregate } from './aggregate.js';
import type { Call, Expr, VectorSel } from './ast.js';
import { binary } from './binary.js';
import { bucketQuantile, type Bucket } from './histogram.js';
import { dropName, labelsKey } from './labels.js';
import { keepsMetricName, rangeFunctions, type Window } from './range-functions.js';
import { PromQLError } from './types.js';
import { charge, VectorBuilder, type EvalContext, type StepSeries, type Value } from './vectors.js';

export { charge, tooManySamples, type EvalContext, type StepSeries, type Value } from './vectors.js';

/** The value of `e` at every step of `ctx`. */
export function evaluate(e: Expr, ctx: EvalContext): Value {
  switch (e.kind) {
    case 'number':
      return { type: 'scalar', values: new Float64Array(ctx.steps.length).fill(e.value) };
    case 'string':
      return { type: 'string', value: e.value };
    case 'vector':
      return selectInstant(e, ctx);
    case 'matrix':
      throw new PromQLError('bad_data', 'a range vector is only allowed as a function argument or the whole query', e.pos);
    case 'call':
      return call(e, ctx);
    case 'aggregate':
      return aggregate(e, vectorOf(e.expr, ctx), e.param ? scalarOf(e.param, ctx) : undefined, ctx);
    case 'binary':
      return binary(e, evaluate(e.lhs, ctx), evaluate(e.rhs, ctx), ctx);
    case 'unary': {
      const v = evaluate(e.expr, ctx);
      if (v.type === 'scalar') return { type: 'scalar', values: v.values.map((x) => -x) };
      if (v.type !== 'vector') throw new PromQLError('bad_data', 'unary minus needs a scalar or an instant vector', e.pos);
      return mapVector(v, ctx, (x) => -x);
    }
  }
}

function scalarOf(e: Expr, ctx: EvalContext): Float64Array {
  const v = evaluate(e, ctx);
  if (v.type !== 'scalar') throw new PromQLError('bad_data', 'expected a scalar', e.pos);
  return v.values;
}

function vectorOf(e: Expr, ctx: EvalContext): StepSeries[] {
  const v = evaluate(e, ctx);
  if (v.type !== 'vector') throw new PromQLError('bad_data', 'expected an instant vector', e.pos);
  return v.series;
}

/** Instant selector: at each step the newest sample in (t − offset − lookback, t − offset]. */
function selectInstant(sel: VectorSel, ctx: EvalContext): Value {
  const { steps, lookbackMs } = ctx;
  const n = steps.length;
  const out: StepSeries[] = [];
  let points = 0;
  for (const raw of ctx.data.get(sel) ?? []) {
    const ts = raw.timestampsMs;
    const vs = raw.values;
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    let any = false;
    let j = 0; // first sample after the current step's time
    for (let i = 0; i < n; i++) {
      const t = steps[i]! - sel.offsetMs;
      while (j < ts.length && ts[j]! <= t) j++;
      if (j > 0 && ts[j - 1]! > t - lookbackMs) {
        values[i] = vs[j - 1]!;
        present[i] = 1;
        any = true;
        points++;
      }
    }
    if (any) out.push({ labels: raw.labels, values, present });
  }
  charge(ctx, points);
  return { type: 'vector', series: out };
}

/** Applies `fn` to each sample of a vector; the name goes (the value no longer is the metric). */
function mapVector(v: { series: StepSeries[] }, ctx: EvalContext, fn: (x: number, step: number) => number | undefined): Value {
  const b = new VectorBuilder(ctx);
  for (const s of v.series) {
    const target = b.series(dropName(s.labels));
    for (let i = 0; i < s.present.length; i++) {
      if (!s.present[i]) continue;
      const r = fn(s.values[i]!, i);
      if (r !== undefined) b.set(target, i, r);
    }
  }
  return b.done();
}

function call(e: Call, ctx: EvalContext): Value {
  const n = ctx.steps.length;
  const fn = rangeFunctions[e.func];
  if (fn) {
    const matrix = e.args[e.args.length - 1]!;
    if (matrix.kind !== 'matrix') throw new PromQLError('bad_data', `expected a range vector selector in call to "${e.func}"`, matrix.pos);
    const param = e.args.length > 1 ? scalarOf(e.args[0]!, ctx) : undefined;
    return overRange(matrix.vector, matrix.rangeMs, ctx, (w, i) => fn(w, param ? param[i]! : 0), keepsMetricName.has(e.func));
  }
  switch (e.func) {
    case 'time':
      return { type: 'scalar', values: ctx.steps.map((t) => t / 1000) };
    case 'vector': {
      const s = scalarOf(e.args[0]!, ctx);
      charge(ctx, n);
      return { type: 'vector', series: [{ labels: {}, values: Float64Array.from(s), present: new Uint8Array(n).fill(1) }] };
    }
    case 'scalar': {
      const series = vectorOf(e.args[0]!, ctx);
      const values = new Float64Array(n).fill(NaN);
      for (let i = 0; i < n; i++) {
        let found = 0;
        for (const s of series) {
          if (!s.present[i]) continue;
          found++;
          values[i] = found === 1 ? s.values[i]! : NaN;
        }
      }
      return { type: 'scalar', values };
    }
    case 'abs':
      return mapVector({ series: vectorOf(e.args[0]!, ctx) }, ctx, Math.abs);
    case 'round': {
      const series = vectorOf(e.args[0]!, ctx);
      const to = e.args[1] ? scalarOf(e.args[1], ctx) : undefined;
      return mapVector({ series }, ctx, (x, i) => {
        // Prometheus multiplies by the inverse (fewer float surprises) and rounds ties up.
        const inverse = 1 / (to ? to[i]! : 1);
        return Math.floor(x * inverse + 0.5) / inverse;
      });
    }
    case 'clamp':
    case 'clamp_min':
    case 'clamp_max': {
      const series = vectorOf(e.args[0]!, ctx);
      const a = scalarOf(e.args[1]!, ctx);
      const b = e.func === 'clamp' ? scalarOf(e.args[2]!, ctx) : undefined;
      return mapVector({ series }, ctx, (x, i) => {
        const lo = e.func === 'clamp_max' ? -Infinity : a[i]!;
        const hi = e.func === 'clamp' ? b![i]! : e.func === 'clamp_max' ? a[i]! : Infinity;
        if (hi < lo) return undefined;
        return Math.max(lo, Math.min(hi, x));
      });
    }
    case 'histogram_quantile':
      return histogramQuantile(scalarOf(e.args[0]!, ctx), vectorOf(e.args[1]!, ctx), ctx);
  }
  throw new PromQLError('bad_data', `unsupported function "${e.func}"`, e.pos);
}

/** A function over a range vector: at each step, the window (t − offset − range, t − offset] of each series. */
function overRange(sel: VectorSel, rangeMs: number, ctx: EvalContext, fn: (w: Window, step: number) => number | undefined, keepName: boolean): Value {
  const { steps } = ctx;
  const b = new VectorBuilder(ctx);
  for (const raw of ctx.data.get(sel) ?? []) {
    const ts = raw.timestampsMs;
    const w: Window = { ts, vs: raw.values, lo: 0, hi: 0, rangeStartMs: 0, rangeEndMs: 0, rangeMs };
    let target: StepSeries | undefined;
    for (let i = 0; i < steps.length; i++) {
      const end = steps[i]! - sel.offsetMs;
      const start = end - rangeMs;
      while (w.hi < ts.length && ts[w.hi]! <= end) w.hi++;
      while (w.lo < ts.length && ts[w.lo]! <= start) w.lo++;
      if (w.hi <= w.lo) continue;
      w.rangeStartMs = start;
      w.rangeEndMs = end;
      const r = fn(w, i);
      if (r === undefined) continue;
      target ??= b.series(keepName ? raw.labels : dropName(raw.labels));
      b.set(target, i, r);
    }
  }
  return b.done();
}

function histogramQuantile(q: Float64Array, input: StepSeries[], ctx: EvalContext): Value {
  // Buckets of one histogram: same labels apart from `le` (and the name).
  const groups = new Map<string, { labels: Labels; members: { le: number; s: StepSeries }[] }>();
  for (const s of input) {
    const leText = s.labels.le;
    if (leText === undefined) continue;
    const le = parseBound(leText);
    if (Number.isNaN(le)) continue; // Prometheus skips buckets whose bound does not parse
    const labels = dropName(s.labels);
    const { le: _le, ...rest } = labels;
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: rest, members: [] }));
    g.members.push({ le, s });
  }
  const b = new VectorBuilder(ctx);
  for (const g of groups.values()) {
    const target = b.series(g.labels);
    for (let i = 0; i < ctx.steps.length; i++) {
      const buckets: Bucket[] = [];
      for (const m of g.members) if (m.s.present[i]) buckets.push({ upperBound: m.le, count: m.s.values[i]! });
      if (buckets.length) b.set(target, i, bucketQuantile(q[i]!, buckets));
    }
  }
  return b.done();
}

/** An `le` bound as Go's ParseFloat reads it (`+Inf`, `1e3`, `0.5`). */
function parseBound(text: string): number {
  const t = text.trim();
  if (/^[+]?inf(inity)?$/i.test(t)) return Infinity;
  if (/^-inf(inity)?$/i.test(t)) return -Infinity;
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return NaN;
}

