// The engine's own small AST: what parse.ts makes of lezer-promql's syntax tree, restricted to the
// supported subset, with types checked as Prometheus' parser checks them.
import type { LabelMatcher } from './types.js';

/** Character offsets in the query (0-based, end exclusive). */
export interface Pos {
  start: number;
  end: number;
}

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export interface NumberLit {
  kind: 'number';
  value: number;
  pos: Pos;
}

export interface StringLit {
  kind: 'string';
  value: string;
  pos: Pos;
}

export interface VectorSel {
  kind: 'vector';
  matchers: LabelMatcher[];
  /** ms; negative looks ahead. */
  offsetMs: number;
  pos: Pos;
}

export interface MatrixSel {
  kind: 'matrix';
  vector: VectorSel;
  rangeMs: number;
  pos: Pos;
}

export interface Call {
  kind: 'call';
  func: string;
  args: Expr[];
  pos: Pos;
}

export type AggregateOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'topk' | 'bottomk';

export interface Aggregate {
  kind: 'aggregate';
  op: AggregateOp;
  /** k of topk/bottomk. */
  param?: Expr;
  expr: Expr;
  grouping: string[];
  without: boolean;
  pos: Pos;
}

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '^';
export type CompareOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithOp | CompareOp | SetOp;

export interface Binary {
  kind: 'binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Vector matching: `on(labels)` when `on`, else `ignoring(labels)` (empty = match on all labels but the name). */
  on: boolean;
  matchLabels: string[];
  pos: Pos;
}

export interface Unary {
  kind: 'unary';
  expr: Expr;
  pos: Pos;
}

export type Expr = NumberLit | StringLit | VectorSel | MatrixSel | Call | Aggregate | Binary | Unary;

export const arithOps: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '^']);
export const compareOps: ReadonlySet<string> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const setOps: ReadonlySet<string> = new Set(['and', 'or', 'unless']);

/** A supported function: argument types (the trailing `optional` ones may be left out) and result. */
export interface FunctionSig {
  args: ValueType[];
  optional: number;
  returns: ValueType;
}

const overTime: FunctionSig = { args: ['matrix'], optional: 0, returns: 'vector' };

export const functions: Readonly<Record<string, FunctionSig>> = {
  rate: overTime,
  irate: overTime,
  increase: overTime,
  delta: overTime,
  idelta: overTime,
  deriv: overTime,
  avg_over_time: overTime,
  min_over_time: overTime,
  max_over_time: overTime,
  sum_over_time: overTime,
  count_over_time: overTime,
  last_over_time: overTime,
  stddev_over_time: overTime,
  quantile_over_time: { args: ['scalar', 'matrix'], optional: 0, returns: 'vector' },
  abs: { args: ['vector'], optional: 0, returns: 'vector' },
  clamp: { args: ['vector', 'scalar', 'scalar'], optional: 0, returns: 'vector' },
  clamp_min: { args: ['vector', 'scalar'], optional: 0, returns: 'vector' },
  clamp_max: { args: ['vector', 'scalar'], optional: 0, returns: 'vector' },
  round: { args: ['vector', 'scalar'], optional: 1, returns: 'vector' },
  scalar: { args: ['vector'], optional: 0, returns: 'scalar' },
  vector: { args: ['scalar'], optional: 0, returns: 'vector' },
  time: { args: [], optional: 0, returns: 'scalar' },
  histogram_quantile: { args: ['scalar', 'vector'], optional: 0, returns: 'vector' },
};

/** The type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vector':
      return 'vector';
    case 'matrix':
      return 'matrix';
    case 'call':
      return functions[e.func]!.returns;
    case 'aggregate':
      return 'vector';
    case 'unary':
      return typeOf(e.expr);
    case 'binary':
      return typeOf(e.lhs) === 'scalar' && typeOf(e.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
}

/** Prometheus' names for value types in error messages. */
export function typeName(t: ValueType): string {
  return t === 'matrix' ? 'range vector' : t === 'vector' ? 'instant vector' : t;
}
