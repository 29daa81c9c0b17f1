// Aggregations (sum, avg, min, max, count, topk, bottomk with by/without) over every step, as
// Prometheus' engine computes them: compensated sums, NaN handling of min/max, topk keeping labels.
import type { Labels } from '../core/labels.js';
import type { Aggregate } from './ast.js';
import { labelsKey, metricNameLabel } from './labels.js';
import { kahanInc } from './range-functions.js';
import { PromQLError } from './types.js';
import { VectorBuilder, type EvalContext, type StepSeries, type Value } from './vectors.js';

function groupingLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  const out: Labels = {};
  if (without) {
    for (const [k, v] of Object.entries(labels)) if (k !== metricNameLabel && !grouping.includes(k)) out[k] = v;
  } else {
    for (const k of grouping) {
      const v = labels[k];
      if (v !== undefined && v !== '') out[k] = v;
    }
  }
  return out;
}

/** `e` over its evaluated operand `input` and parameter (k of topk/bottomk), per step. */
export function aggregate(e: Aggregate, input: StepSeries[], param: Float64Array | undefined, ctx: EvalContext): Value {
  const n = ctx.steps.length;
  // Group membership does not change between steps: labels are fixed per series.
  const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
  for (const s of input) {
    const labels = groupingLabels(s.labels, e.grouping, e.without);
    const key = labelsKey(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, members: [] }));
    g.members.push(s);
  }
  const b = new VectorBuilder(ctx);
  if (e.op === 'topk' || e.op === 'bottomk') {
    const top = e.op === 'topk';
    for (let i = 0; i < n; i++) {
      const kf = param![i]!;
      if (Number.isNaN(kf)) throw new PromQLError('execution', `Parameter value is NaN for ${e.op}`);
      if (Math.abs(kf) >= 2 ** 63) throw new PromQLError('execution', `Scalar value ${kf} overflows int64`);
      const k = Math.trunc(kf);
      if (k < 1) continue;
      for (const g of groups.values()) {
        const here = g.members.filter((s) => s.present[i]);
        // NaN sorts last either way, as Prometheus' heaps put it.
        here.sort((x, y) => {
          const a = x.values[i]!;
          const c = y.values[i]!;
          if (Number.isNaN(a)) return Number.isNaN(c) ? 0 : 1;
          if (Number.isNaN(c)) return -1;
          return top ? c - a : a - c;
        });
        for (const s of here.slice(0, k)) b.set(b.series(s.labels), i, s.values[i]!);
      }
    }
    return b.done();
  }
  const c = new Float64Array(1);
  for (const g of groups.values()) {
    const target = b.series(g.labels);
    for (let i = 0; i < n; i++) {
      let count = 0;
      let acc = 0;
      c[0] = 0;
      for (const s of g.members) {
        if (!s.present[i]) continue;
        const f = s.values[i]!;
        count++;
        if (count === 1) {
          acc = f;
          continue;
        }
        switch (e.op) {
          case 'sum':
          case 'avg':
            acc = kahanInc(f, acc, c);
            break;
          case 'max':
            if (acc < f || Number.isNaN(acc)) acc = f;
            break;
          case 'min':
            if (acc > f || Number.isNaN(acc)) acc = f;
            break;
          case 'count':
            break;
        }
      }
      if (count === 0) continue;
      let value: number;
      switch (e.op) {
        case 'sum':
          value = Number.isFinite(acc) || Number.isNaN(acc) ? acc + c[0]! : acc;
          break;
        case 'avg':
          value = Number.isFinite(acc) || Number.isNaN(acc) ? acc / count + c[0]! / count : incrementalMean(g.members, i);
          break;
        case 'count':
          value = count;
          break;
        default:
          value = acc;
      }
      b.set(target, i, value);
    }
  }
  return b.done();
}

/** The mean without a running sum, for when the sum overflows (Prometheus switches the same way). */
function incrementalMean(members: StepSeries[], i: number): number {
  let mean = 0;
  let count = 0;
  for (const s of members) {
    if (!s.present[i]) continue;
    count++;
    mean += (s.values[i]! - mean) / count;
  }
  return mean;
}
