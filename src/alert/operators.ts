// The comparison operators of threshold and forecast rules.
import type { Operator } from './rule.js';

export const operatorSymbols: Readonly<Record<Operator, string>> = Object.freeze({
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  eq: '==',
  neq: '!=',
});

/**
 * `a <op> b`. eq/neq use exact IEEE equality: they suit integer-valued metrics (status codes, counts,
 * up=1/0); for measured floats use a range (gte/lte) instead.
 */
export function compare(op: Operator, a: number, b: number): boolean {
  switch (op) {
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'eq':
      return a === b;
    case 'neq':
      return a !== b;
  }
}
