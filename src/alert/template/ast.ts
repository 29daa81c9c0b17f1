// The parsed form of a template. Every node keeps its offset in the source, so refusals and
// runtime errors name a line and column.
import type { GoInt } from './value.js';

/** An operand: what a command's words are. */
export type Arg =
  | { t: 'fn'; pos: number; name: string }
  | { t: 'dot'; pos: number }
  /** `.a.b`: fields of dot. */
  | { t: 'field'; pos: number; fields: string[] }
  /** `$x.a.b` (`$` is the root data). */
  | { t: 'var'; pos: number; name: string; fields: string[] }
  | { t: 'string'; pos: number; value: string }
  | { t: 'number'; pos: number; value: number | GoInt }
  | { t: 'bool'; pos: number; value: boolean }
  | { t: 'nil'; pos: number }
  /** `(pipeline).a.b`. */
  | { t: 'pipe'; pos: number; pipe: Pipe; fields: string[] };

/** Words of one command: a function and its arguments, or a single operand. */
export interface Cmd {
  pos: number;
  args: Arg[];
}

/** `$x := a | f b`: commands whose results feed the next one's last argument. */
export interface Pipe {
  pos: number;
  /** Variables declared (`:=`) or assigned (`=`); one or two (range) names. */
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
}

/** `if`/`else if` and `with`/`else with` chains: the first branch whose pipeline is true runs. */
export interface Branch {
  pipe: Pipe;
  body: TemplateNode[];
}

export type TemplateNode =
  | { t: 'text'; text: string }
  | { t: 'action'; pos: number; pipe: Pipe }
  | { t: 'if' | 'with'; pos: number; branches: Branch[]; else: TemplateNode[] | null }
  | { t: 'range'; pos: number; pipe: Pipe; body: TemplateNode[]; else: TemplateNode[] | null }
  | { t: 'break' | 'continue'; pos: number };
