// Alert annotation templates: a safe subset of Go text/template as Prometheus uses it in alerting
// rules (`{{ $labels.host }}`, `{{ $value | humanize }}`). Parsed once (cached by source), checked
// at rule creation, evaluated by walking the AST: no code execution, bounded steps and output,
// regular expressions in linear time. Syntax and functions: ./parse.ts, ./functions.ts.
import type { TemplateNode } from './ast.js';
import { execTemplate, TemplateRuntimeError } from './exec.js';
import { parseTemplate, TemplateSyntaxError } from './parse.js';
import { TemplateRoot } from './value.js';

export { maxTemplateLength, maxNesting } from './parse.js';

/** Longest rendering of one template, characters; longer output is a runtime error. */
export const maxRenderedLength = 4096;
/** Most evaluation steps of one rendering (nodes, commands, range iterations). */
export const maxRenderSteps = 20_000;

/** What a template sees: `$labels`/`.Labels`, `$value`/`.Value`, `$externalLabels`/`.ExternalLabels`. */
export interface TemplateData {
  /** The alert's labels. */
  labels: Readonly<Record<string, string>>;
  /** The deciding value; null (no value) is NaN, as a float64 template value. */
  value: number | null;
  /** Empty unless given: the platform has no external labels. */
  externalLabels?: Readonly<Record<string, string>>;
}

/** Why a template is refused, and where (1-based line and column, in characters). */
export interface TemplateProblem {
  line: number;
  column: number;
  reason: string;
  /** `template error at line 1, column 14: function "humanise" not defined`. */
  message: string;
}

/** Whether a text is a template at all: text without `{{` is used as it is, unparsed. */
export const isTemplate = (text: string): boolean => text.includes('{{');

const cacheLimit = 1000;
const cache = new Map<string, TemplateNode[] | TemplateSyntaxError>();

function compiled(source: string): TemplateNode[] | TemplateSyntaxError {
  const hit = cache.get(source);
  if (hit) return hit;
  let result: TemplateNode[] | TemplateSyntaxError;
  try {
    result = parseTemplate(source);
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    result = err;
  }
  if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value!);
  cache.set(source, result);
  return result;
}

/** 1-based line and column (characters) of a source offset. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: [...before.slice(lineStart)].length + 1 };
}

function problem(source: string, offset: number, reason: string): TemplateProblem {
  const { line, column } = positionOf(source, offset);
  return { line, column, reason, message: `template error at line ${line}, column ${column}: ${reason}` };
}

/** Why `source` is refused, or null when it parses (or is plain text). */
export function templateProblem(source: string): TemplateProblem | null {
  if (!isTemplate(source)) return null;
  const c = compiled(source);
  return c instanceof TemplateSyntaxError ? problem(source, c.offset, c.reason) : null;
}

/**
 * The rendering of `source` for `data`. Never throws: a runtime error renders as Prometheus does,
 * `<error expanding template: …>`. Plain text, and text that does not parse (stored before
 * templates were checked), come back unchanged.
 */
export function expandTemplate(source: string, data: TemplateData): string {
  if (!isTemplate(source)) return source;
  const c = compiled(source);
  if (c instanceof TemplateSyntaxError) return source;
  const root = new TemplateRoot(new Map(Object.entries(data.labels)), new Map(Object.entries(data.externalLabels ?? {})), data.value ?? NaN);
  try {
    return execTemplate(c, root, { maxOutput: maxRenderedLength, maxSteps: maxRenderSteps });
  } catch (err) {
    if (err instanceof TemplateRuntimeError) {
      const { line, column } = positionOf(source, err.offset);
      return `<error expanding template: line ${line}, column ${column}: ${err.reason}>`;
    }
    return `<error expanding template: ${(err as Error).message}>`;
  }
}

/** Every annotation rendered for `data` (keys kept). */
export function expandAnnotations(annotations: Readonly<Record<string, string>>, data: TemplateData): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, expandTemplate(v, data)]));
}

/** The annotations that are refused, by key, with why. */
export function annotationProblems(annotations: Readonly<Record<string, string>>): { key: string; problem: TemplateProblem }[] {
  const out: { key: string; problem: TemplateProblem }[] = [];
  for (const [key, text] of Object.entries(annotations)) {
    const p = templateProblem(text);
    if (p) out.push({ key, problem: p });
  }
  return out;
}
