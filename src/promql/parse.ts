// PromQL text → the engine's AST (ast.ts), parsed by Prometheus' own grammar (lezer-promql). The
// lezer tree is generic and error-tolerant; this walk refuses its error nodes with the position, and
// everything outside the supported subset with a message naming the construct, as bad_data.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { tryCompilePattern, patternProblem } from '../core/pattern.js';
import {
  arithOps,
  compareOps,
  functions,
  setOps,
  typeName,
  typeOf,
  type AggregateOp,
  type Binary,
  type BinaryOp,
  type Expr,
  type Pos,
  type VectorSel,
} from './ast.js';
import { durationMs } from './duration.js';
import { PromQLError, type LabelMatcher, type MatchType } from './types.js';

/** Longest query accepted, characters (Grafana's are far shorter; the parser's work is linear in it). */
export const maxQueryLength = 64 * 1024;

const binaryOps: Record<string, BinaryOp> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};
const supportedAggregations = new Set(['sum', 'avg', 'min', 'max', 'count', 'topk', 'bottomk']);
const matchTypes: Record<string, MatchType> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

/** Parses a query into the supported AST; throws PromQLError('bad_data') with the offending position. */
export function parseQuery(query: string): Expr {
  if (query.length > maxQueryLength) throw new PromQLError('bad_data', `query longer than ${maxQueryLength} characters`);
  if (query.trim() === '') throw new PromQLError('bad_data', 'no expression found in input', { start: 0, end: 0 });
  const tree = parser.parse(query);
  refuseErrors(query, tree.topNode);
  const top = tree.topNode.firstChild;
  if (!top) throw new PromQLError('bad_data', 'no expression found in input', { start: 0, end: 0 });
  return new Walker(query).expr(top);
}

/**
 * A series selector as the API's `match[]` takes it: a vector selector alone (`up`,
 * `{"cpu.util", host="a"}`), no range, offset, function or operator.
 */
export function parseSeriesSelector(text: string): LabelMatcher[] {
  const e = parseQuery(text);
  if (e.kind !== 'vector' || e.offsetMs !== 0) throw new PromQLError('bad_data', `expected vector selector, got ${e.kind === 'vector' ? 'an offset' : typeName(typeOf(e))}`, e.pos);
  return e.matchers;
}

function refuseErrors(query: string, top: SyntaxNode): void {
  const cursor = top.cursor();
  do {
    if (!cursor.type.isError) continue;
    const start = cursor.from;
    const end = Math.max(cursor.to, start);
    // `foo(x)` with an unknown name: the grammar reads `foo` as a metric and stops at the bracket.
    const before = /([A-Za-z_][A-Za-z0-9_:]*)\s*$/.exec(query.slice(0, start));
    if (query[start] === '(' && before) throw new PromQLError('bad_data', `unknown function with name "${before[1]}"`, { start: start - before[0].length, end: start });
    const found = query.slice(start, end);
    const what = start >= query.length || found === '' ? (start >= query.trimEnd().length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(query[start])}`) : `unexpected ${JSON.stringify(found)}`;
    throw new PromQLError('bad_data', `parse error at char ${start + 1}: ${what}`, { start, end: Math.max(end, start + 1) });
  } while (cursor.next());
}

function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

class Walker {
  /** Expressions written in parentheses: postfix modifiers do not reach inside them. */
  private readonly grouped = new WeakSet<Expr>();

  constructor(private readonly q: string) {}

  private text(n: SyntaxNode): string {
    return this.q.slice(n.from, n.to);
  }

  private pos(n: SyntaxNode): Pos {
    return { start: n.from, end: n.to };
  }

  private fail(message: string, n: SyntaxNode | Pos): never {
    throw new PromQLError('bad_data', message, 'from' in n ? this.pos(n) : n);
  }

  private unsupported(what: string, n: SyntaxNode): never {
    this.fail(`unsupported ${what} (outside the supported PromQL subset)`, n);
  }

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'ParenExpr': {
        const e = this.expr(children(n)[0]!);
        this.grouped.add(e);
        return e;
      }
      case 'NumberDurationLiteral':
        return { kind: 'number', value: this.number(n), pos: this.pos(n) };
      case 'StringLiteral':
        return { kind: 'string', value: unquote(this.text(n), this.pos(n)), pos: this.pos(n) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector':
        return this.matrixSelector(n);
      case 'OffsetExpr':
        return this.offset(n);
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      case 'UnaryExpr':
        return this.unary(n);
      case 'SubqueryExpr':
        return this.unsupported('subquery', n);
      case 'StepInvariantExpr':
        return this.unsupported('"@" modifier', n);
      case 'AnchoredExpr':
        return this.unsupported('"anchored" modifier', n);
      case 'SmoothedExpr':
        return this.unsupported('"smoothed" modifier', n);
      default:
        return this.unsupported(`expression "${this.text(n)}"`, n);
    }
  }

  private number(n: SyntaxNode): number {
    const raw = this.text(n).replace(/\s+/g, '');
    const sign = raw.startsWith('-') ? -1 : 1;
    const body = raw.replace(/^[+-]/, '');
    const lower = body.toLowerCase();
    let v: number;
    if (lower === 'inf') v = Infinity;
    else if (lower === 'nan') v = NaN;
    else if (/^0x[0-9a-f]+$/.test(lower)) v = parseInt(lower.slice(2), 16);
    else {
      const ms = /[a-z]/.test(lower) && !/e/.test(lower.replace(/ms$/, '')) ? durationMs(body) : undefined;
      v = ms !== undefined ? ms / 1000 : Number(body.replace(/_/g, ''));
    }
    if (Number.isNaN(v) && lower !== 'nan') this.fail(`invalid number "${raw}"`, n);
    return sign * v;
  }

  private duration(n: SyntaxNode, what: string): number {
    // DurationExpr / OffsetDurationExpr: a literal, possibly signed; duration arithmetic is not supported.
    const kids = children(n);
    if (kids.length === 2 && kids[0]!.name === 'UnaryOp') {
      const sign = this.text(kids[0]!) === '-' ? -1 : 1;
      return sign * this.duration(kids[1]!, what);
    }
    if (kids.length !== 1 || kids[0]!.name !== 'NumberDurationLiteralInDurationContext') this.unsupported(`duration expression "${this.text(n)}"`, n);
    const text = this.text(kids[0]!);
    const ms = durationMs(text) ?? (/^\d+(\.\d+)?$/.test(text) ? Math.round(Number(text) * 1000) : undefined);
    if (ms === undefined) this.fail(`not a valid duration: "${text}" in ${what}`, kids[0]!);
    return ms;
  }

  private vectorSelector(n: SyntaxNode): VectorSel {
    const matchers: LabelMatcher[] = [];
    let name: string | undefined;
    for (const c of children(n)) {
      if (c.name === 'Identifier') name = this.text(c);
      else if (c.name === 'LabelMatchers') {
        for (const m of children(c)) {
          if (m.name === 'QuotedLabelName') {
            // A bare quoted string in braces is the metric name (UTF-8 names such as "cpu.util").
            if (name !== undefined) this.fail('metric name must not be set twice', m);
            name = unquote(this.text(m), this.pos(m));
            continue;
          }
          const [label, op, value] = children(m);
          if (!label || !op || !value) this.fail(`invalid label matcher "${this.text(m)}"`, m);
          const labelName = label.name === 'QuotedLabelName' ? unquote(this.text(label), this.pos(label)) : this.text(label);
          const type = matchTypes[op.firstChild?.name ?? ''];
          if (!type) this.fail(`invalid label matcher "${this.text(m)}"`, m);
          const v = unquote(this.text(value), this.pos(value));
          if ((type === '=~' || type === '!~') && !tryCompilePattern(v)) this.fail(`invalid regular expression in label matcher "${this.text(m)}": ${patternProblem(v)}`, value);
          matchers.push({ name: labelName, type, value: v });
        }
      }
    }
    if (name !== undefined) {
      if (matchers.some((m) => m.name === '__name__')) this.fail('metric name must not be set twice', n);
      matchers.unshift({ name: '__name__', type: '=', value: name });
    }
    // As Prometheus: a selector matching everything (including series without the label) is refused.
    if (!matchers.some((m) => !matchesEmpty(m))) this.fail('vector selector must contain at least one non-empty matcher', n);
    return { kind: 'vector', matchers, offsetMs: 0, pos: this.pos(n) };
  }

  /**
   * lezer-promql attaches postfix modifiers (`[5m]`, `offset`) to the whole expression on their left
   * (`x - y offset 1m` as `(x - y) offset 1m`); PromQL binds them to the nearest operand, so they
   * are moved down to the rightmost operand of binary and unary expressions not in parentheses.
   */
  private pushDown(e: Expr, apply: (leaf: Expr) => Expr): Expr {
    if (this.grouped.has(e)) return apply(e);
    if (e.kind === 'binary') {
      const out = { ...e, rhs: this.pushDown(e.rhs, apply) };
      this.checkBinary(out);
      return out;
    }
    if (e.kind === 'unary') {
      const out = { ...e, expr: this.pushDown(e.expr, apply) };
      this.checkUnary(out.expr, out.pos);
      return out;
    }
    return apply(e);
  }

  private matrixSelector(n: SyntaxNode): Expr {
    const [inner, dur] = children(n);
    const rangeMs = this.duration(dur!, 'range');
    if (rangeMs <= 0) this.fail(`range duration must be greater than 0, got ${this.text(dur!)}`, dur!);
    return this.pushDown(this.expr(inner!), (leaf) => {
      // A selector written as such: `(x)[5m]` is refused as Prometheus refuses it.
      if (leaf.kind !== 'vector' || this.grouped.has(leaf)) this.fail('ranges only allowed for vector selectors', leaf.pos);
      if (leaf.offsetMs !== 0) this.fail('no offset modifiers allowed before range', leaf.pos);
      return { kind: 'matrix', vector: leaf, rangeMs, pos: { start: leaf.pos.start, end: n.to } };
    });
  }

  private offset(n: SyntaxNode): Expr {
    const kids = children(n);
    const offsetMs = this.duration(kids[kids.length - 1]!, 'offset');
    return this.pushDown(this.expr(kids[0]!), (leaf) => {
      const target = this.grouped.has(leaf) ? undefined : leaf.kind === 'vector' ? leaf : leaf.kind === 'matrix' ? leaf.vector : undefined;
      if (!target) this.fail('offset modifier must be preceded by an instant vector selector or range vector selector', { start: leaf.pos.start, end: n.to });
      if (target.offsetMs !== 0) this.fail('offset may not be set multiple times', { start: leaf.pos.start, end: n.to });
      target.offsetMs = offsetMs;
      return { ...leaf, pos: { start: leaf.pos.start, end: n.to } } as Expr;
    });
  }

  private args(body: SyntaxNode | undefined): Expr[] {
    return body ? children(body).map((c) => this.expr(c)) : [];
  }

  private call(n: SyntaxNode): Expr {
    const [ident, body] = children(n);
    const func = this.text(ident!);
    const sig = functions[func];
    if (!sig) this.fail(`unsupported function "${func}" (outside the supported PromQL subset)`, ident!);
    const args = this.args(body);
    const min = sig.args.length - sig.optional;
    if (args.length < min || args.length > sig.args.length) {
      const want = sig.optional ? `${min} to ${sig.args.length}` : `${sig.args.length}`;
      this.fail(`expected ${want} argument(s) in call to "${func}", got ${args.length}`, n);
    }
    args.forEach((a, i) => {
      const want = sig.args[i]!;
      const got = typeOf(a);
      if (got !== want) this.fail(`expected type ${typeName(want)} in call to function "${func}", got ${typeName(got)}`, a.pos);
    });
    return { kind: 'call', func, args, pos: this.pos(n) };
  }

  private aggregate(n: SyntaxNode): Expr {
    let op = '';
    let grouping: string[] = [];
    let without = false;
    let body: SyntaxNode | undefined;
    for (const c of children(n)) {
      if (c.name === 'AggregateOp') op = this.text(c);
      else if (c.name === 'FunctionCallBody') body = c;
      else if (c.name === 'AggregateModifier') {
        const [kw, labels] = children(c);
        without = kw!.name === 'Without';
        grouping = this.groupingLabels(labels);
      }
    }
    if (!supportedAggregations.has(op)) this.fail(`unsupported aggregation "${op}" (outside the supported PromQL subset)`, n.firstChild!);
    const args = this.args(body);
    const withParam = op === 'topk' || op === 'bottomk';
    const want = withParam ? 2 : 1;
    if (args.length !== want) this.fail(`wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`, n);
    const expr = args[want - 1]!;
    if (typeOf(expr) !== 'vector') this.fail(`expected type instant vector in aggregation expression, got ${typeName(typeOf(expr))}`, expr.pos);
    const param = withParam ? args[0] : undefined;
    if (param && typeOf(param) !== 'scalar') this.fail(`expected type scalar in aggregation parameter, got ${typeName(typeOf(param))}`, param.pos);
    return { kind: 'aggregate', op: op as AggregateOp, param, expr, grouping, without, pos: this.pos(n) };
  }

  private groupingLabels(n: SyntaxNode | undefined): string[] {
    if (!n) return [];
    return children(n).map((c) => (c.name === 'QuotedLabelName' ? unquote(this.text(c), this.pos(c)) : this.text(c)));
  }

  private binary(n: SyntaxNode): Expr {
    const kids = children(n);
    const lhsNode = kids[0]!;
    const rhsNode = kids[kids.length - 1]!;
    const opNode = kids[1]!;
    const op = binaryOps[opNode.name];
    if (!op) this.unsupported(`binary operator "${this.text(opNode)}"`, opNode);
    let returnBool = false;
    let on = false;
    let matchLabels: string[] = [];
    let hasMatching = false;
    for (const c of kids.slice(2, -1)) {
      if (c.name === 'BoolModifier') returnBool = true;
      else if (c.name === 'MatchingModifierClause') {
        hasMatching = true;
        const parts = children(c);
        on = parts[0]!.name === 'On';
        matchLabels = this.groupingLabels(parts[1]);
        const group = parts[2];
        if (group) this.unsupported(`"${this.text(group)}" modifier`, group);
      } else if (c.name === 'FillModifier') this.unsupported('"fill" modifier', c);
    }
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    const e: Binary = { kind: 'binary', op, lhs, rhs, returnBool, on, matchLabels, pos: this.pos(n) };
    this.matching.set(e, hasMatching);
    this.checkBinary(e);
    return e;
  }

  private readonly matching = new WeakMap<Expr, boolean>();

  /** Prometheus' type rules for binary expressions (checked again when a postfix modifier moves into one). */
  private checkBinary(e: Binary): void {
    const lt = typeOf(e.lhs);
    const rt = typeOf(e.rhs);
    const { op, pos, returnBool } = e;
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector')) this.fail('binary expression must contain only scalar and instant vector types', pos);
    if (returnBool && !compareOps.has(op)) this.fail('bool modifier can only be used on comparison operators', pos);
    if (compareOps.has(op) && !returnBool && lt === 'scalar' && rt === 'scalar') this.fail('comparisons between scalars must use BOOL modifier', pos);
    if (setOps.has(op) && (lt === 'scalar' || rt === 'scalar')) this.fail(`set operator "${op}" not allowed in binary scalar expression`, pos);
    if ((e.on || e.matchLabels.length || this.matching.get(e)) && (lt !== 'vector' || rt !== 'vector')) this.fail('vector matching only allowed between instant vectors', pos);
    if (!arithOps.has(op) && !compareOps.has(op) && !setOps.has(op)) this.fail(`unsupported binary operator "${op}"`, pos);
  }

  private checkUnary(operand: Expr, pos: Pos): void {
    const t = typeOf(operand);
    if (t !== 'scalar' && t !== 'vector') this.fail('unary expression only allowed on expressions of type scalar or instant vector', pos);
  }

  private unary(n: SyntaxNode): Expr {
    const [opNode, inner] = children(n);
    const expr = this.expr(inner!);
    this.checkUnary(expr, this.pos(n));
    if (this.text(opNode!) === '+') return expr;
    if (expr.kind === 'number') return { ...expr, value: -expr.value, pos: this.pos(n) };
    return { kind: 'unary', expr, pos: this.pos(n) };
  }
}

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return tryCompilePattern(m.value)?.matches('') ?? false;
    case '!~':
      return !(tryCompilePattern(m.value)?.matches('') ?? false);
  }
}

/** A PromQL string literal's value: Go's escapes in "…" and '…', raw text in `…`. */
export function unquote(text: string, pos: Pos): string {
  const quote = text[0];
  if (text.length < 2 || text[text.length - 1] !== quote) throw new PromQLError('bad_data', `unterminated quoted string ${text}`, pos);
  const body = text.slice(1, -1);
  if (quote === '`') return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (e !== undefined && e in simple) {
      if ((e === '"' || e === "'") && e !== quote) throw new PromQLError('bad_data', `invalid escape sequence \\${e} in ${text}`, pos);
      out += simple[e];
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen) {
      const hex = body.slice(i + 1, i + 1 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) throw new PromQLError('bad_data', `invalid escape sequence \\${e}${hex} in ${text}`, pos);
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw new PromQLError('bad_data', `invalid escape sequence \\${e}${hex} in ${text}`, pos);
      out += e === 'x' ? String.fromCharCode(code) : String.fromCodePoint(code);
      i += hexLen;
      continue;
    }
    const oct = body.slice(i, i + 3);
    if (/^[0-7]{3}$/.test(oct) && parseInt(oct, 8) < 256) {
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
      continue;
    }
    throw new PromQLError('bad_data', `invalid escape sequence \\${e ?? ''} in ${text}`, pos);
  }
  return out;
}
