// The fetch plan: every selector in the query with the window of raw samples it needs over all the
// evaluation steps, so the source is asked once per distinct selector and evaluation never reads again.
import type { Expr, VectorSel } from './ast.js';
import type { LabelMatcher, SelectRequest } from './types.js';

export interface PlannedFetch {
  request: SelectRequest;
  /** The selector nodes served by this request (same matchers, windows merged). */
  nodes: VectorSel[];
}

/** Walks `e` and returns one request per distinct matcher set, covering (first step − offset − range, last step − offset]. */
export function planFetches(e: Expr, firstMs: number, lastMs: number, lookbackMs: number): PlannedFetch[] {
  const byMatchers = new Map<string, PlannedFetch>();
  const visit = (node: Expr, rangeMs: number | undefined): void => {
    switch (node.kind) {
      case 'vector': {
        const start = firstMs - node.offsetMs - (rangeMs ?? lookbackMs);
        const end = lastMs - node.offsetMs;
        const key = matchersKey(node.matchers);
        const f = byMatchers.get(key);
        if (f) {
          f.request.startMs = Math.min(f.request.startMs, start);
          f.request.endMs = Math.max(f.request.endMs, end);
          f.nodes.push(node);
        } else byMatchers.set(key, { request: { matchers: node.matchers, startMs: start, endMs: end }, nodes: [node] });
        return;
      }
      case 'matrix':
        return visit(node.vector, node.rangeMs);
      case 'call':
        return node.args.forEach((a) => visit(a, undefined));
      case 'aggregate':
        if (node.param) visit(node.param, undefined);
        return visit(node.expr, undefined);
      case 'binary':
        visit(node.lhs, undefined);
        return visit(node.rhs, undefined);
      case 'unary':
        return visit(node.expr, undefined);
      case 'number':
      case 'string':
        return;
    }
  };
  visit(e, undefined);
  return [...byMatchers.values()];
}

function matchersKey(matchers: readonly LabelMatcher[]): string {
  return matchers
    .map((m) => `${m.name}\u0001${m.type}\u0001${m.value}`)
    .sort()
    .join('\u0000');
}
