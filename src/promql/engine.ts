// The PromQL engine's public API: parse → plan (one fetch per selector, in parallel) → evaluate all
// steps in memory → the Prometheus API's result shapes. Pure apart from the SeriesSource handed in.
import type { Labels } from '../core/labels.js';
import { typeName, typeOf, type Expr, type VectorSel } from './ast.js';
import { charge, evaluate, tooManySamples, type EvalContext, type StepSeries } from './evaluate.js';
import { formatValue } from './format.js';
import { compareLabels } from './labels.js';
import { matrixJson } from './matrix-json.js';
import { parseQuery } from './parse.js';
import { planFetches } from './plan.js';
import { defaultQueryLimits, PromQLError, type PromSample, type QueryLimits, type QueryResult, type RawSeries, type SeriesSource } from './types.js';

export { formatValue } from './format.js';
export { parseDuration, parseTimeParam } from './duration.js';
export { parseSeriesSelector } from './parse.js';

/** Evaluates `query` at one time (ms): a vector, scalar or string; a range selector alone gives its raw samples as a matrix. */
export async function instantQuery(source: SeriesSource, query: string, timeMs: number, limits?: Partial<QueryLimits>): Promise<QueryResult> {
  const lim = { ...defaultQueryLimits, ...limits };
  const expr = parseQuery(query);
  const steps = Float64Array.of(timeMs);
  const ctx = await load(source, expr, steps, lim);
  const t = timeMs / 1000;
  if (expr.kind === 'matrix') return { resultType: 'matrix', result: rawWindow(expr.vector, expr.rangeMs, timeMs, ctx) };
  const v = evaluate(expr, ctx);
  switch (v.type) {
    case 'scalar':
      return { resultType: 'scalar', result: [t, formatValue(v.values[0]!)] };
    case 'string':
      return { resultType: 'string', result: [t, v.value] };
    case 'vector':
      return { resultType: 'vector', result: sorted(v.series).map((s) => ({ metric: s.labels, value: [t, formatValue(s.values[0]!)] as PromSample })) };
  }
}

/** Evaluates `query` at start, start + step, … ≤ end (ms): a matrix sorted by labels; a scalar becomes one series without labels. */
export async function rangeQuery(source: SeriesSource, query: string, startMs: number, endMs: number, stepMs: number, limits?: Partial<QueryLimits>): Promise<QueryResult> {
  const { steps, series } = await evaluateRange(source, query, startMs, endMs, stepMs, limits);
  const seconds = boxedSeconds(steps);
  return {
    resultType: 'matrix',
    result: series.map((s) => {
      let count = 0;
      for (let i = 0; i < steps.length; i++) count += s.present[i]!;
      const values = new Array<PromSample>(count);
      let k = 0;
      let last = NaN;
      let lastText = '';
      for (let i = 0; i < steps.length; i++) {
        if (!s.present[i]) continue;
        const v = s.values[i]!;
        // Steady series repeat their value: format it once.
        if (v !== last || k === 0) {
          last = v;
          lastText = formatValue(v);
        }
        values[k++] = [seconds[i] as number, lastText];
      }
      return { metric: s.labels, values };
    }),
  };
}

/**
 * The same answer as {@link rangeQuery}, as the UTF-8 JSON of the API's `data`
 * (`{"resultType":"matrix","result":[…]}`), written straight from the evaluated arrays (see
 * matrix-json.ts): for large range results, instead of JSON.stringify over {@link rangeQuery}'s objects.
 */
export async function rangeQueryJson(source: SeriesSource, query: string, startMs: number, endMs: number, stepMs: number, limits?: Partial<QueryLimits>): Promise<Buffer> {
  const { steps, series } = await evaluateRange(source, query, startMs, endMs, stepMs, limits);
  return matrixJson(steps, series);
}

async function evaluateRange(
  source: SeriesSource,
  query: string,
  startMs: number,
  endMs: number,
  stepMs: number,
  limits?: Partial<QueryLimits>,
): Promise<{ steps: Float64Array; series: StepSeries[] }> {
  const lim = { ...defaultQueryLimits, ...limits };
  if (!(stepMs > 0)) throw new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
  if (endMs < startMs) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
  if (Math.floor((endMs - startMs) / stepMs) > lim.maxPointsPerSeries) {
    throw new PromQLError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
  }
  const expr = parseQuery(query);
  const type = typeOf(expr);
  if (type !== 'scalar' && type !== 'vector') throw new PromQLError('bad_data', `invalid expression type "${typeName(type)}" for range query, must be Scalar or instant Vector`, expr.pos);
  const n = Math.floor((endMs - startMs) / stepMs) + 1;
  const steps = new Float64Array(n);
  for (let i = 0; i < n; i++) steps[i] = startMs + i * stepMs;
  const ctx = await load(source, expr, steps, lim);
  const v = evaluate(expr, ctx);
  const series: StepSeries[] = v.type === 'scalar' ? [{ labels: {}, values: v.values, present: new Uint8Array(n).fill(1) }] : v.type === 'vector' ? sorted(v.series) : [];
  return { steps, series };
}

/**
 * The steps' times in seconds, each boxed once and shared by every series' samples: unix seconds
 * exceed V8's small-integer range, so writing them afresh would allocate a number per sample.
 */
function boxedSeconds(steps: Float64Array): unknown[] {
  const out: unknown[] = [''];
  out.pop(); // the string leaves the array generic (boxed elements) for good
  for (let i = 0; i < steps.length; i++) out.push(steps[i]! / 1000);
  return out;
}

/** Fetches every selector's samples (one request per distinct selector, all at once) and checks the sample budget. */
async function load(source: SeriesSource, expr: Expr, steps: Float64Array, lim: QueryLimits): Promise<EvalContext> {
  const plan = planFetches(expr, steps[0]!, steps[steps.length - 1]!, lim.lookbackMs);
  const fetched = await Promise.all(plan.map((p) => source.select(p.request)));
  const data = new Map<VectorSel, RawSeries[]>();
  let raw = 0;
  plan.forEach((p, i) => {
    const series = fetched[i]!;
    for (const s of series) raw += s.timestampsMs.length;
    for (const node of p.nodes) data.set(node, series);
  });
  if (raw > lim.maxSamples) throw new PromQLError('execution', tooManySamples);
  const ctx: EvalContext = { steps, lookbackMs: lim.lookbackMs, data, budget: { used: 0, max: lim.maxSamples } };
  charge(ctx, raw);
  return ctx;
}

/** A range selector as an instant query's result: the raw samples in (t − offset − range, t − offset]. */
function rawWindow(sel: VectorSel, rangeMs: number, timeMs: number, ctx: EvalContext): { metric: Labels; values: PromSample[] }[] {
  const end = timeMs - sel.offsetMs;
  const start = end - rangeMs;
  const out: { metric: Labels; values: PromSample[] }[] = [];
  for (const s of ctx.data.get(sel) ?? []) {
    const values: PromSample[] = [];
    for (let i = 0; i < s.timestampsMs.length; i++) {
      const t = s.timestampsMs[i]!;
      if (t > start && t <= end) values.push([t / 1000, formatValue(s.values[i]!)]);
    }
    if (values.length) out.push({ metric: s.labels, values });
  }
  return out.sort((a, b) => compareLabels(a.metric, b.metric));
}

function sorted(series: StepSeries[]): StepSeries[] {
  return [...series].sort((a, b) => compareLabels(a.labels, b.labels));
}
