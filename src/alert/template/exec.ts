// Evaluates a parsed template over the alert's data: a walk of the AST (no code generation),
// bounded in steps and in output, with Go text/template's semantics for what Prometheus' alert
// templates use. Failures are TemplateRuntimeError with the offset of the node that failed.
import type { Arg, Cmd, Pipe, TemplateNode } from './ast.js';
import { formatDefault, TemplateCallError } from './gofmt.js';
import { templateFunction } from './functions.js';
import { TemplateRoot, goTypeName, isMap, sortedKeys, truth, type Value } from './value.js';

export interface ExecLimits {
  /** Longest output, characters. */
  maxOutput: number;
  /** Most evaluation steps (nodes, commands and range iterations). */
  maxSteps: number;
}

export class TemplateRuntimeError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'TemplateRuntimeError';
  }
}

type Signal = 'break' | 'continue' | null;

class Exec {
  private out = '';
  private steps = 0;
  private readonly vars: { name: string; value: Value }[];

  constructor(
    private readonly root: TemplateRoot,
    private readonly limits: ExecLimits,
  ) {
    this.vars = [
      { name: '$', value: root },
      { name: '$labels', value: root.labels },
      { name: '$externalLabels', value: root.externalLabels },
      { name: '$value', value: root.value },
    ];
  }

  run(nodes: TemplateNode[]): string {
    this.walk(nodes, this.root);
    return this.out;
  }

  private step(pos: number): void {
    if (++this.steps > this.limits.maxSteps) throw new TemplateRuntimeError(pos, `more than ${this.limits.maxSteps} evaluation steps`);
  }

  private write(pos: number, s: string): void {
    this.out += s;
    if (this.out.length > this.limits.maxOutput) throw new TemplateRuntimeError(pos, `output longer than ${this.limits.maxOutput} characters`);
  }

  private walk(nodes: TemplateNode[], dot: Value): Signal {
    for (const n of nodes) {
      if (n.t === 'text') {
        this.write(0, n.text);
        continue;
      }
      this.step(n.pos);
      switch (n.t) {
        case 'action': {
          const v = this.pipe(n.pipe, dot);
          if (!n.pipe.decl.length) this.write(n.pos, v === null ? '<no value>' : formatDefault(v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = this.vars.length;
          let signal: Signal = null;
          let taken = false;
          for (const b of n.branches) {
            const v = this.pipe(b.pipe, dot);
            if (truth(v)) {
              signal = this.walk(b.body, n.t === 'with' ? v : dot);
              taken = true;
              break;
            }
          }
          if (!taken && n.else) signal = this.walk(n.else, dot);
          this.vars.length = mark;
          if (signal) return signal;
          break;
        }
        case 'range': {
          const signal = this.range(n, dot);
          if (signal) return signal;
          break;
        }
        case 'break':
        case 'continue':
          return n.t;
      }
    }
    return null;
  }

  private range(n: Extract<TemplateNode, { t: 'range' }>, dot: Value): Signal {
    const mark = this.vars.length;
    const v = this.commands(n.pipe, dot);
    if (v !== null && !isMap(v)) throw new TemplateRuntimeError(n.pipe.pos, `range can't iterate over ${formatDefault(v)} (only over label maps)`);
    const keys = v ? sortedKeys(v) : [];
    const decl = n.pipe.decl;
    for (const key of keys) {
      this.step(n.pos);
      const elem = v!.get(key)!;
      this.vars.length = mark;
      if (decl.length === 1) this.vars.push({ name: decl[0]!, value: elem });
      if (decl.length === 2) this.vars.push({ name: decl[0]!, value: key }, { name: decl[1]!, value: elem });
      if (this.walk(n.body, elem) === 'break') break;
    }
    this.vars.length = mark;
    if (!keys.length && n.else) return this.walk(n.else, dot);
    return null;
  }

  /** A pipeline's value, assigned to its declared variables. */
  private pipe(p: Pipe, dot: Value): Value {
    const v = this.commands(p, dot);
    for (const name of p.decl) {
      if (p.assign) {
        for (let i = this.vars.length - 1; i >= 0; i--) {
          if (this.vars[i]!.name === name) {
            this.vars[i]!.value = v;
            break;
          }
        }
      } else this.vars.push({ name, value: v });
    }
    return v;
  }

  private commands(p: Pipe, dot: Value): Value {
    let v: Value | undefined;
    for (const c of p.cmds) v = this.command(c, dot, v);
    return v ?? null;
  }

  private command(c: Cmd, dot: Value, piped: Value | undefined): Value {
    this.step(c.pos);
    const first = c.args[0]!;
    if (first.t === 'fn') return this.call(first, c.args.slice(1), dot, piped);
    // The parser refuses arguments to a non-function.
    return this.operand(first, dot);
  }

  private call(fn: Extract<Arg, { t: 'fn' }>, argNodes: Arg[], dot: Value, piped: Value | undefined): Value {
    const f = templateFunction(fn.name)!;
    try {
      if (f.lazy) {
        // and/or stop at the first argument that decides, as Go evaluates them.
        const n = argNodes.length + (piped === undefined ? 0 : 1);
        let v: Value = null;
        for (let i = 0; i < n; i++) {
          v = i < argNodes.length ? this.operand(argNodes[i]!, dot) : piped!;
          if (truth(v) === (fn.name === 'or')) return v;
        }
        return v;
      }
      const args = argNodes.map((a) => this.operand(a, dot));
      if (piped !== undefined) args.push(piped);
      return f.call(args);
    } catch (err) {
      if (err instanceof TemplateCallError) throw new TemplateRuntimeError(fn.pos, `error calling ${fn.name}: ${err.message}`);
      throw err;
    }
  }

  private operand(a: Arg, dot: Value): Value {
    switch (a.t) {
      case 'fn':
        return this.call(a, [], dot, undefined);
      case 'dot':
        return dot;
      case 'field':
        return this.fields(dot, a.fields, a.pos);
      case 'var':
        return this.fields(this.lookup(a.name, a.pos), a.fields, a.pos);
      case 'string':
      case 'number':
      case 'bool':
        return a.value;
      case 'nil':
        return null;
      case 'pipe':
        return this.fields(this.commands(a.pipe, dot), a.fields, a.pos);
    }
  }

  private lookup(name: string, pos: number): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    throw new TemplateRuntimeError(pos, `undefined variable: ${name}`);
  }

  private fields(v: Value, fields: string[], pos: number): Value {
    for (const f of fields) {
      if (v instanceof TemplateRoot) {
        if (f === 'Labels') v = v.labels;
        else if (f === 'ExternalLabels') v = v.externalLabels;
        else if (f === 'Value') v = v.value;
        else throw new TemplateRuntimeError(pos, `can't evaluate field ${f} in the template data`);
      } else if (isMap(v)) v = v.get(f) ?? ''; // a missing label is the empty string (missingkey=zero)
      else if (v === null) throw new TemplateRuntimeError(pos, `nil pointer evaluating .${f}`);
      else throw new TemplateRuntimeError(pos, `can't evaluate field ${f} in type ${goTypeName(v)}`);
    }
    return v;
  }
}

/** Runs `nodes` over `root`; throws {@link TemplateRuntimeError}. */
export function execTemplate(nodes: TemplateNode[], root: TemplateRoot, limits: ExecLimits): string {
  return new Exec(root, limits).run(nodes);
}
