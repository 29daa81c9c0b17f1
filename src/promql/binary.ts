// Binary operators over every step, as Prometheus' engine applies them: scalar/scalar, vector/scalar
// (filters and `bool`), one-to-one vector matching with on/ignoring, and the set operators.
import type { Labels } from '../core/labels.js';
import { arithOps, compareOps, type Binary } from './ast.js';
import { dropName, labelsKey, metricNameLabel } from './labels.js';
import { PromQLError } from './types.js';
import { VectorBuilder, type EvalContext, type StepSeries, type Value } from './vectors.js';

/** Go's math.Pow where it differs from `**`: 1 to any power and −1 to ±Inf are 1. */
function goPow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return x ** y;
}

/** The result of `op` on two floats; for comparisons 1 (true) or 0. */
function apply(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return goPow(a, b);
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
  }
  throw new PromQLError('bad_data', `unsupported binary operator "${op}"`);
}

/** `e` over its evaluated operands. */
export function binary(e: Binary, lhs: Value, rhs: Value, ctx: EvalContext): Value {
  const op = e.op;
  if (lhs.type === 'scalar' && rhs.type === 'scalar') return { type: 'scalar', values: lhs.values.map((a, i) => apply(op, a, rhs.values[i]!)) };
  if (lhs.type === 'vector' && rhs.type === 'scalar') return vectorScalar(e, lhs.series, rhs.values, false, ctx);
  if (lhs.type === 'scalar' && rhs.type === 'vector') return vectorScalar(e, rhs.series, lhs.values, true, ctx);
  if (lhs.type === 'vector' && rhs.type === 'vector') return vectorVector(e, lhs.series, rhs.series, ctx);
  throw new PromQLError('bad_data', 'binary expression must contain only scalar and instant vector types', e.pos);
}

function vectorScalar(e: Binary, vec: StepSeries[], scalar: Float64Array, swap: boolean, ctx: EvalContext): Value {
  const comparison = compareOps.has(e.op);
  const b = new VectorBuilder(ctx);
  // Arithmetic and `bool` change what the value means, so the name goes; a filter keeps it.
  const keepName = comparison && !e.returnBool;
  for (const s of vec) {
    const target = b.series(keepName ? s.labels : dropName(s.labels));
    for (let i = 0; i < s.present.length; i++) {
      if (!s.present[i]) continue;
      const v = s.values[i]!;
      const r = swap ? apply(e.op, scalar[i]!, v) : apply(e.op, v, scalar[i]!);
      if (!comparison) b.set(target, i, r);
      else if (e.returnBool) b.set(target, i, r);
      else if (r === 1) b.set(target, i, v); // the vector's value, whichever side it is on
    }
  }
  return b.done();
}

/** The label set two series are matched on: `on(l…)` keeps only those labels, else all but the ignored ones and the name. */
function signature(labels: Labels, e: Binary): string {
  const picked: Labels = {};
  if (e.on) {
    for (const l of e.matchLabels) if (labels[l] !== undefined && labels[l] !== '') picked[l] = labels[l]!;
  } else {
    for (const [k, v] of Object.entries(labels)) if (k !== metricNameLabel && !e.matchLabels.includes(k)) picked[k] = v;
  }
  return labelsKey(picked);
}

function describe(labels: Labels): string {
  const name = labels[metricNameLabel];
  const rest = Object.keys(labels)
    .filter((k) => k !== metricNameLabel)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ');
  return `${name ?? ''}{${rest}}`;
}

function vectorVector(e: Binary, lhs: StepSeries[], rhs: StepSeries[], ctx: EvalContext): Value {
  const n = ctx.steps.length;
  const rightBySig = new Map<string, StepSeries[]>();
  for (const s of rhs) {
    const sig = signature(s.labels, e);
    const list = rightBySig.get(sig);
    if (list) list.push(s);
    else rightBySig.set(sig, [s]);
  }
  const leftSigs = lhs.map((s) => signature(s.labels, e));
  const b = new VectorBuilder(ctx);

  if (e.op === 'and' || e.op === 'unless') {
    const keepWhenMatched = e.op === 'and';
    lhs.forEach((s, li) => {
      const partners = rightBySig.get(leftSigs[li]!) ?? [];
      const target = b.series(s.labels);
      for (let i = 0; i < n; i++) {
        if (!s.present[i]) continue;
        const matched = partners.some((r) => r.present[i]);
        if (matched === keepWhenMatched) b.set(target, i, s.values[i]!);
      }
    });
    return b.done();
  }
  if (e.op === 'or') {
    const leftBySig = new Map<string, StepSeries[]>();
    lhs.forEach((s, li) => {
      const list = leftBySig.get(leftSigs[li]!);
      if (list) list.push(s);
      else leftBySig.set(leftSigs[li]!, [s]);
      const target = b.series(s.labels);
      for (let i = 0; i < n; i++) if (s.present[i]) b.set(target, i, s.values[i]!);
    });
    for (const s of rhs) {
      const others = leftBySig.get(signature(s.labels, e)) ?? [];
      const target = b.series(s.labels);
      for (let i = 0; i < n; i++) if (s.present[i] && !others.some((l) => l.present[i])) b.set(target, i, s.values[i]!);
    }
    return b.done();
  }

  // One-to-one matching for arithmetic and comparisons.
  const comparison = compareOps.has(e.op);
  if (!comparison && !arithOps.has(e.op)) throw new PromQLError('bad_data', `unsupported binary operator "${e.op}"`, e.pos);
  const dropsName = !comparison || e.returnBool;
  const matchedAt = new Map<string, Int32Array>(); // signature → last step a left series matched it (+1)
  lhs.forEach((s, li) => {
    const sig = leftSigs[li]!;
    const partners = rightBySig.get(sig);
    if (!partners) return;
    let labels = dropsName ? dropName(s.labels) : s.labels;
    if (e.on) {
      const kept: Labels = {};
      for (const l of e.matchLabels) if (labels[l] !== undefined) kept[l] = labels[l]!;
      labels = kept;
    } else if (e.matchLabels.length) {
      labels = { ...labels };
      for (const l of e.matchLabels) delete labels[l];
    }
    const target = b.series(labels);
    let seen = matchedAt.get(sig);
    if (!seen) matchedAt.set(sig, (seen = new Int32Array(n)));
    for (let i = 0; i < n; i++) {
      if (!s.present[i]) continue;
      let r: StepSeries | undefined;
      for (const p of partners) {
        if (!p.present[i]) continue;
        if (r) {
          const [x, y] = [describe(r.labels), describe(p.labels)].sort();
          throw new PromQLError(
            'execution',
            `found duplicate series for the match group ${sig === '' ? '{}' : describe(parseKey(sig))} on the right hand-side of the operation: [${x}, ${y}];many-to-many matching not allowed: matching labels must be unique on one side`,
          );
        }
        r = p;
      }
      if (!r) continue;
      if (seen[i]) throw new PromQLError('execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      seen[i] = 1;
      const lv = s.values[i]!;
      const out = apply(e.op, lv, r.values[i]!);
      if (!comparison || e.returnBool) b.set(target, i, out);
      else if (out === 1) b.set(target, i, lv);
    }
  });
  return b.done();
}

function parseKey(key: string): Labels {
  const out: Labels = {};
  for (const part of key.split('\u0000')) {
    if (!part) continue;
    const [k, v] = part.split('\u0001');
    out[k!] = v ?? '';
  }
  return out;
}
