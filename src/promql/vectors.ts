// The evaluator's values: per output series a value and a presence flag for every step, and the
// builder that collects output series by label set as Prometheus does (one value per label set and step).
import type { Labels } from '../core/labels.js';
import { labelsKey } from './labels.js';
import { PromQLError, type RawSeries } from './types.js';
import type { VectorSel } from './ast.js';

/** One output series over the steps: `values[i]` counts only where `present[i]` is 1. */
export interface StepSeries {
  labels: Labels;
  values: Float64Array;
  present: Uint8Array;
}

export type Value = { type: 'scalar'; values: Float64Array } | { type: 'vector'; series: StepSeries[] } | { type: 'string'; value: string };

export interface EvalContext {
  /** Evaluation times, ms, ascending. */
  steps: Float64Array;
  lookbackMs: number;
  /** Raw samples per selector node, fetched by the plan. */
  data: Map<VectorSel, RawSeries[]>;
  /** Samples held so far (raw and computed) and the most allowed. */
  budget: { used: number; max: number };
}

export const tooManySamples = 'query processing would load too many samples into memory in query execution';

export function charge(ctx: EvalContext, samples: number): void {
  ctx.budget.used += samples;
  if (ctx.budget.used > ctx.budget.max) throw new PromQLError('execution', tooManySamples);
}

/** Collects output series by label set, refusing two values for one label set at one step, as Prometheus does. */
export class VectorBuilder {
  private readonly byKey = new Map<string, StepSeries>();
  private points = 0;

  constructor(private readonly ctx: EvalContext) {}

  series(labels: Labels): StepSeries {
    const key = labelsKey(labels);
    let s = this.byKey.get(key);
    if (!s) {
      const n = this.ctx.steps.length;
      s = { labels, values: new Float64Array(n), present: new Uint8Array(n) };
      this.byKey.set(key, s);
    }
    return s;
  }

  set(s: StepSeries, step: number, value: number): void {
    if (s.present[step]) throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
    s.present[step] = 1;
    s.values[step] = value;
    this.points++;
  }

  done(): Value {
    charge(this.ctx, this.points);
    const series: StepSeries[] = [];
    for (const s of this.byKey.values()) if (s.present.includes(1)) series.push(s);
    return { type: 'vector', series };
  }
}
