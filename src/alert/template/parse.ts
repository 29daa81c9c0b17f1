// Parses a template (Go text/template syntax, the subset Prometheus alert templates use) into the
// AST of ./ast.ts, and refuses at once what Go would refuse only while executing: unknown
// functions and variables, wrong argument counts, invalid literal patterns, unknown fields of the
// data, arguments given to a non-function. Errors carry the source offset of the culprit.
import type { Arg, Branch, Cmd, Pipe, TemplateNode } from './ast.js';
import { templateFunction } from './functions.js';
import { patternProblem } from '../../core/pattern.js';
import { GoInt, rootFields } from './value.js';

/** Longest template source accepted, characters. */
export const maxTemplateLength = 16 * 1024;
/** Deepest nesting of control structures and parentheses. */
export const maxNesting = 32;

/** Variables every template starts with, as Prometheus defines them for alert templates. */
export const predefinedVariables = ['$', '$labels', '$externalLabels', '$value'] as const;

/** A refusal at parse time: `offset` is where in the source the problem is. */
export class TemplateSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'TemplateSyntaxError';
  }
}

// ————————————————————————————————————— lexer —————————————————————————————————————

type TokKind = 'text' | 'open' | 'close' | 'ident' | 'keyword' | 'field' | 'var' | 'dot' | 'string' | 'number' | 'bool' | 'nil' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'eof';

interface Tok {
  k: TokKind;
  /** The token's text (decoded for strings and text). */
  v: string;
  pos: number;
  /** Whitespace came right before it (fields chain only when it did not). */
  spaced: boolean;
  num?: number | GoInt;
}

const keywords = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const identStart = /[\p{L}_]/u;
const identChar = /[\p{L}\p{Nd}_]/u;

function fail(pos: number, reason: string): never {
  throw new TemplateSyntaxError(pos, reason);
}

const simpleEscapes: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** Reads a Go quoted string or rune literal starting at `start` (the quote); returns its value and the end offset. */
function readQuoted(src: string, start: number, quote: '"' | "'"): { value: string; end: number } {
  let i = start + 1;
  let value = '';
  for (;;) {
    const c = src[i];
    if (c === undefined || c === '\n') fail(start, quote === '"' ? 'unterminated quoted string' : 'unterminated character constant');
    if (c === quote) return { value, end: i + 1 };
    if (c !== '\\') {
      const cp = src.codePointAt(i)!;
      value += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = src[i + 1];
    if (e !== undefined && e in simpleEscapes && (e !== "'" || quote === "'") && (e !== '"' || quote === '"')) {
      value += simpleEscapes[e];
      i += 2;
      continue;
    }
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hex) {
      const digits = src.slice(i + 2, i + 2 + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) fail(i, 'invalid escape in quoted string');
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) fail(i, 'invalid escape in quoted string');
      value += String.fromCodePoint(cp);
      i += 2 + hex;
      continue;
    }
    const oct = /^[0-7]{3}/.exec(src.slice(i + 1, i + 4));
    if (oct && parseInt(oct[0], 8) < 256) {
      value += String.fromCharCode(parseInt(oct[0], 8));
      i += 4;
      continue;
    }
    fail(i, 'invalid escape in quoted string');
  }
}

/** Go's number literal forms that fit here: decimal ints and floats, hex ints, `_` separators. */
function readNumber(src: string, start: number): { num: number | GoInt; end: number } {
  const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?(?:\.[\d_]*)?(?:[eE][+-]?\d+)?)/.exec(src.slice(start));
  const text = m ? m[0] : '';
  const end = start + text.length;
  if (!/\d/.test(text) || identChar.test(src[end] ?? '') || src[end] === '.') fail(start, `bad number syntax: ${JSON.stringify(src.slice(start, end + 1))}`);
  const clean = text.replace(/_/g, '');
  if (/^[+-]?0[xX]/.test(clean)) {
    const n = Number(clean.replace(/^[+-]/, ''));
    if (n > 2 ** 63) fail(start, `number ${text} overflows int`);
    return { num: new GoInt(clean.startsWith('-') ? -n : n), end };
  }
  if (/[.eE]/.test(clean)) return { num: Number(clean), end };
  const n = Number(clean);
  if (Math.abs(n) > 2 ** 63) fail(start, `number ${text} overflows int`);
  return { num: new GoInt(n), end };
}

/** The source as tokens: text, and the words of each action between `open` and `close`. */
function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let trimNext = false;
  const pushText = (text: string) => {
    if (text) toks.push({ k: 'text', v: text, pos: 0, spaced: false });
  };
  const rightTrim = (at: number) => isSpace(src[at]) && src[at + 1] === '-' && src.startsWith('}}', at + 2);
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      pushText(text);
      break;
    }
    let k = open + 2;
    if (src[k] === '-' && isSpace(src[k + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      k += 2;
    }
    pushText(text);
    if (src.startsWith('/*', k)) {
      const end = src.indexOf('*/', k + 2);
      if (end < 0) fail(open, 'unclosed comment');
      let after = end + 2;
      if (rightTrim(after)) {
        trimNext = true;
        after += 2;
      }
      if (!src.startsWith('}}', after)) fail(end, 'comment ends before closing delimiter');
      i = after + 2;
      continue;
    }
    toks.push({ k: 'open', v: '{{', pos: open, spaced: false });
    let spaced = false;
    let parens = 0;
    for (;;) {
      if (rightTrim(k) || src.startsWith('}}', k)) {
        if (parens > 0) fail(k, 'unclosed left paren');
        const trim = rightTrim(k);
        toks.push({ k: 'close', v: '}}', pos: trim ? k + 1 : k, spaced });
        trimNext = trim;
        i = k + (trim ? 4 : 2);
        break;
      }
      if (k >= src.length) fail(open, 'unclosed action');
      const c = src[k]!;
      const tok = (kind: TokKind, v: string, end: number, extra: Partial<Tok> = {}) => {
        toks.push({ k: kind, v, pos: k, spaced, ...extra });
        spaced = false;
        k = end;
      };
      if (isSpace(c)) {
        spaced = true;
        k++;
      } else if (c === '|') tok('pipe', c, k + 1);
      else if (c === ',') tok('comma', c, k + 1);
      else if (c === '(') {
        parens++;
        tok('lparen', c, k + 1);
      } else if (c === ')') {
        if (--parens < 0) fail(k, 'unexpected right paren');
        tok('rparen', c, k + 1);
      } else if (c === ':' && src[k + 1] === '=') tok('declare', ':=', k + 2);
      else if (c === '=') tok('assign', '=', k + 1);
      else if (c === '"') {
        const q = readQuoted(src, k, '"');
        tok('string', q.value, q.end);
      } else if (c === '`') {
        const end = src.indexOf('`', k + 1);
        if (end < 0) fail(k, 'unterminated raw quoted string');
        tok('string', src.slice(k + 1, end), end + 1);
      } else if (c === "'") {
        const q = readQuoted(src, k, "'");
        if ([...q.value].length !== 1) fail(k, 'malformed character constant');
        tok('number', q.value, q.end, { num: new GoInt(q.value.codePointAt(0)!) });
      } else if (c === '$') {
        let e = k + 1;
        while (e < src.length && identChar.test(src[e]!)) e++;
        tok('var', src.slice(k, e), e);
      } else if (c === '.' && identStart.test(src[k + 1] ?? '')) {
        let e = k + 1;
        while (e < src.length && identChar.test(src[e]!)) e++;
        tok('field', src.slice(k + 1, e), e);
      } else if ((c >= '0' && c <= '9') || ((c === '+' || c === '-' || c === '.') && /[\d.]/.test(src[k + 1] ?? ''))) {
        const n = readNumber(src, k);
        tok('number', src.slice(k, n.end), n.end, { num: n.num });
      } else if (c === '.') tok('dot', c, k + 1);
      else if (identStart.test(c)) {
        let e = k + 1;
        while (e < src.length && identChar.test(src[e]!)) e++;
        const word = src.slice(k, e);
        tok(word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : keywords.has(word) ? 'keyword' : 'ident', word, e);
      } else {
        const cp = src.codePointAt(k)!;
        fail(k, `unrecognized character in action: U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(String.fromCodePoint(cp))}`);
      }
    }
  }
  toks.push({ k: 'eof', v: '', pos: src.length, spaced: false });
  return toks;
}

// ————————————————————————————————————— parser —————————————————————————————————————

const describe = (t: Tok): string => {
  switch (t.k) {
    case 'close':
      return 'end of action "}}"';
    case 'eof':
      return 'end of template';
    case 'keyword':
      return `keyword "${t.v}"`;
    case 'string':
      return `string ${JSON.stringify(t.v)}`;
    case 'field':
      return `field ".${t.v}"`;
    default:
      return JSON.stringify(t.v);
  }
};

class Parser {
  private i = 0;
  private vars: string[] = [...predefinedVariables];
  private rangeDepth = 0;
  private depth = 0;
  /** Whether `.` is the template data here (outside `with` and `range` bodies): its fields are checked. */
  private dotIsRoot = true;

  constructor(private readonly toks: Tok[]) {}

  private peek(n = 0): Tok {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Tok {
    return this.toks[Math.min(this.i++, this.toks.length - 1)]!;
  }
  private expect(kind: TokKind, context: string): Tok {
    const t = this.next();
    if (t.k !== kind) fail(t.pos, `unexpected ${describe(t)} in ${context}`);
    return t;
  }
  private nest(pos: number): void {
    if (++this.depth > maxNesting) fail(pos, `nested deeper than ${maxNesting} levels`);
  }

  template(): TemplateNode[] {
    const { nodes, term } = this.list();
    if (term.k !== 'eof') fail(term.pos, `unexpected {{${term.v}}}`);
    return nodes;
  }

  /** Nodes up to `{{end}}`, `{{else…` (not consumed past the keyword) or the end of the source. */
  private list(): { nodes: TemplateNode[]; term: Tok } {
    const nodes: TemplateNode[] = [];
    for (;;) {
      const t = this.next();
      if (t.k === 'text') {
        nodes.push({ t: 'text', text: t.v });
        continue;
      }
      if (t.k === 'eof') return { nodes, term: t };
      const head = this.peek();
      if (head.k === 'keyword') {
        this.next();
        switch (head.v) {
          case 'end':
            this.expect('close', 'end');
            return { nodes, term: head };
          case 'else':
            return { nodes, term: head };
          case 'if':
          case 'with':
          case 'range':
            nodes.push(this.control(head));
            continue;
          case 'break':
          case 'continue':
            if (this.rangeDepth === 0) fail(head.pos, `{{${head.v}}} outside {{range}}`);
            this.expect('close', head.v);
            nodes.push({ t: head.v, pos: head.pos });
            continue;
          default:
            fail(head.pos, `{{${head.v}}} is not supported in alert templates`);
        }
      }
      const pipe = this.pipeline('command', false);
      this.expect('close', 'command');
      nodes.push({ t: 'action', pos: pipe.pos, pipe });
    }
  }

  private control(kw: Tok): TemplateNode {
    const kind = kw.v as 'if' | 'with' | 'range';
    this.nest(kw.pos);
    const mark = this.vars.length;
    const branches: Branch[] = [];
    let elseNodes: TemplateNode[] | null = null;
    let keyword = kw;
    for (;;) {
      const pipe = this.pipeline(kind, kind === 'range');
      this.expect('close', kind);
      const outerRoot = this.dotIsRoot;
      if (kind !== 'if') this.dotIsRoot = false;
      if (kind === 'range') this.rangeDepth++;
      const { nodes, term } = this.list();
      if (kind === 'range') this.rangeDepth--;
      this.dotIsRoot = outerRoot;
      branches.push({ pipe, body: nodes });
      if (term.k === 'eof') fail(term.pos, `unexpected end of template: {{${keyword.v}}} has no {{end}}`);
      if (term.v === 'end') break;
      // {{else}}, {{else if …}} or {{else with …}}.
      const after = this.peek();
      if (kind !== 'range' && after.k === 'keyword' && after.v === kind) {
        keyword = this.next();
        continue;
      }
      this.expect('close', 'else');
      const rest = this.list();
      if (rest.term.k === 'eof') fail(rest.term.pos, `unexpected end of template: {{${kw.v}}} has no {{end}}`);
      if (rest.term.v !== 'end') fail(rest.term.pos, 'expected {{end}}; found {{else}}');
      elseNodes = rest.nodes;
      break;
    }
    this.vars.length = mark;
    this.depth--;
    if (kind === 'range') return { t: 'range', pos: kw.pos, pipe: branches[0]!.pipe, body: branches[0]!.body, else: elseNodes };
    return { t: kind, pos: kw.pos, branches, else: elseNodes };
  }

  /** `[$x :=] cmd | cmd …` up to `}}` or `)` (not consumed). */
  private pipeline(context: string, rangeDecl: boolean): Pipe {
    const pos = this.peek().pos;
    const decl: string[] = [];
    let assign = false;
    const a = this.peek();
    if (a.k === 'var') {
      const b = this.peek(1);
      if (b.k === 'declare' || b.k === 'assign') {
        decl.push(a.v);
        assign = b.k === 'assign';
        this.i += 2;
      } else if (b.k === 'comma' && rangeDecl && this.peek(2).k === 'var' && this.peek(3).k === 'declare') {
        decl.push(a.v, this.peek(2).v);
        this.i += 4;
      } else if (b.k === 'comma') fail(b.pos, rangeDecl ? 'range can only declare "$key, $value :="' : 'too many declarations in command');
    }
    if (context === 'parenthesized pipeline' && decl.length) fail(pos, 'variables cannot be declared inside parentheses');
    for (const name of decl) {
      if (name === '$') fail(pos, 'cannot assign to $');
      if (assign && !this.vars.includes(name)) fail(pos, `undefined variable ${JSON.stringify(name)}`);
    }
    const cmds: Cmd[] = [];
    for (;;) {
      const t = this.peek();
      if (t.k === 'close' || t.k === 'rparen' || t.k === 'eof') {
        if (!cmds.length) fail(t.pos, `missing value for ${context}`);
        break;
      }
      cmds.push(this.command(cmds.length > 0));
      const sep = this.peek();
      if (sep.k === 'pipe') {
        this.next();
        if (['close', 'rparen', 'eof'].includes(this.peek().k)) fail(this.peek().pos, 'missing command after "|"');
      } else if (sep.k !== 'close' && sep.k !== 'rparen' && sep.k !== 'eof') fail(sep.pos, `unexpected ${describe(sep)} in ${context}`);
    }
    if (!assign) this.vars.push(...decl);
    return { pos, decl, assign, cmds };
  }

  private command(piped: boolean): Cmd {
    const pos = this.peek().pos;
    const args: Arg[] = [];
    for (;;) {
      const t = this.peek();
      if (['close', 'rparen', 'eof', 'pipe'].includes(t.k)) break;
      args.push(this.operand());
    }
    const first = args[0];
    if (!first) fail(pos, 'empty command');
    const given = args.length - 1 + (piped ? 1 : 0);
    if (first.t === 'fn') this.arity(first, given, args[1]);
    else if (first.t === 'nil') fail(first.pos, 'nil is not a command');
    else if (given > 0) fail(piped && args.length === 1 ? first.pos : args[1]!.pos, `can't give argument to non-function ${describeArg(first)}`);
    // A function named as an argument is called with no arguments, as in Go.
    for (const a of args.slice(1)) if (a.t === 'fn') this.arity(a, 0, undefined);
    return { pos, args };
  }

  private arity(fn: Extract<Arg, { t: 'fn' }>, given: number, firstArg: Arg | undefined): void {
    const f = templateFunction(fn.name)!;
    if (given < f.min || given > f.max) {
      const want = f.min === f.max ? `${f.min}` : f.max === Infinity ? `at least ${f.min}` : `${f.min} to ${f.max}`;
      fail(fn.pos, `wrong number of args for ${fn.name}: want ${want} got ${given}`);
    }
    if (f.pattern && firstArg?.t === 'string') {
      const problem = patternProblem(firstArg.value);
      if (problem !== null) fail(firstArg.pos, `${fn.name}: not a valid RE2 pattern: ${problem}`);
    }
  }

  /** Fields written right after a term (`$x.a.b`, `(…).a`). */
  private chained(): string[] {
    const fields: string[] = [];
    while (this.peek().k === 'field' && !this.peek().spaced) fields.push(this.next().v);
    return fields;
  }

  private checkRootField(pos: number, field: string | undefined): void {
    if (field !== undefined && !(rootFields as readonly string[]).includes(field)) {
      fail(pos, `can't evaluate field ${field}: the template data has ${rootFields.map((f) => '.' + f).join(', ')}`);
    }
  }

  private operand(): Arg {
    const t = this.next();
    let arg: Arg;
    switch (t.k) {
      case 'field': {
        const fields = [t.v, ...this.chained()];
        if (this.dotIsRoot) this.checkRootField(t.pos, fields[0]);
        return { t: 'field', pos: t.pos, fields };
      }
      case 'var': {
        if (!this.vars.includes(t.v)) fail(t.pos, `undefined variable ${JSON.stringify(t.v)}`);
        const fields = this.chained();
        if (t.v === '$') this.checkRootField(t.pos, fields[0]);
        return { t: 'var', pos: t.pos, name: t.v, fields };
      }
      case 'dot':
        arg = { t: 'dot', pos: t.pos };
        break;
      case 'string':
        arg = { t: 'string', pos: t.pos, value: t.v };
        break;
      case 'number':
        arg = { t: 'number', pos: t.pos, value: t.num! };
        break;
      case 'bool':
        arg = { t: 'bool', pos: t.pos, value: t.v === 'true' };
        break;
      case 'nil':
        arg = { t: 'nil', pos: t.pos };
        break;
      case 'ident':
        if (!templateFunction(t.v)) fail(t.pos, `function ${JSON.stringify(t.v)} not defined`);
        arg = { t: 'fn', pos: t.pos, name: t.v };
        break;
      case 'lparen': {
        this.nest(t.pos);
        const pipe = this.pipeline('parenthesized pipeline', false);
        this.expect('rparen', 'parenthesized pipeline');
        this.depth--;
        return { t: 'pipe', pos: t.pos, pipe, fields: this.chained() };
      }
      default:
        fail(t.pos, `unexpected ${describe(t)} in operand`);
    }
    const after = this.peek();
    if (after.k === 'field' && !after.spaced) fail(after.pos, `unexpected field ".${after.v}" after ${describeArg(arg)}`);
    return arg;
  }
}

function describeArg(a: Arg): string {
  switch (a.t) {
    case 'string':
      return JSON.stringify(a.value);
    case 'number':
      return a.value instanceof GoInt ? String(a.value.n) : String(a.value);
    case 'var':
      return [a.name, ...a.fields].join('.');
    case 'field':
      return '.' + a.fields.join('.');
    case 'pipe':
      return '(…)';
    case 'fn':
      return a.name;
    default:
      return a.t === 'dot' ? '.' : a.t === 'bool' ? String(a.value) : 'nil';
  }
}

/** Parses a template; throws {@link TemplateSyntaxError} with the offset of the first problem. */
export function parseTemplate(source: string): TemplateNode[] {
  if (source.length > maxTemplateLength) fail(maxTemplateLength, `longer than ${maxTemplateLength} characters`);
  return new Parser(lex(source)).template();
}
