/**
 * Checks a source's mapping rules as an API body gives them (pure): shape, unknown actions and
 * fields, bad patterns, replacements naming groups their pattern lacks, and rules that can only
 * produce invalid keys. Rules that pass compile with src/sources/mapping.ts.
 */
import { RE2JS } from 're2js';
import { metricKeyPattern } from '../core/labels.js';
import { patternProblem } from '../core/pattern.js';
import { groupIndex, parseTemplate } from './template.js';

/** The most rules one source may have. */
export const maxMappingRules = 64;
/** Longest pattern in a rule, characters. */
export const maxMappingPatternLength = 1024;
/** Longest replacement, prefix or key in a rule, characters. */
const maxTextLength = 256;
const maxSeparatorLength = 16;
const maxSourceLabels = 32;

/** In `replace` (and drop/keep's `dimension`), the key is addressed as Prometheus addresses the metric name. */
export const keyLabel = '__name__';

const actions = ['rename', 'prefix', 'drop', 'keep', 'replace', 'labelmap', 'labeldrop', 'labelkeep'] as const;
type Action = (typeof actions)[number];

/** The fields each action takes (besides `action`); anything else is refused. */
const fieldsOf: Record<Action, readonly string[]> = {
  rename: ['key', 'pattern', 'to'],
  prefix: ['prefix', 'pattern'],
  drop: ['pattern', 'dimension', 'valuePattern'],
  keep: ['pattern', 'dimension', 'valuePattern'],
  replace: ['sourceLabels', 'separator', 'regex', 'targetLabel', 'replacement'],
  labelmap: ['regex', 'replacement'],
  labeldrop: ['regex'],
  labelkeep: ['regex'],
};

export interface MappingProblem {
  /** Where, as `mapping[2].regex`. */
  path: string;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Problems in `rules` as an API body gives them (shape, unknown actions and fields, bad patterns,
 * replacements naming groups the pattern lacks, rules that can only produce invalid keys); empty
 * when valid. Paths are relative to the body: `mapping[2].regex`.
 */
export function checkMappingRules(rules: unknown): MappingProblem[] {
  if (!Array.isArray(rules)) return [{ path: 'mapping', message: 'must be an array of rules' }];
  if (rules.length > maxMappingRules) return [{ path: 'mapping', message: `must have at most ${maxMappingRules} rules, got ${rules.length}` }];
  return rules.flatMap((rule, i) => checkRule(rule, `mapping[${i}]`));
}

function checkRule(rule: unknown, at: string): MappingProblem[] {
  const out: MappingProblem[] = [];
  const problem = (field: string, message: string) => out.push({ path: field ? `${at}.${field}` : at, message });
  if (!isObject(rule)) {
    problem('', 'must be an object with an action');
    return out;
  }
  const action = rule.action;
  if (typeof action !== 'string' || !(actions as readonly string[]).includes(action)) {
    problem('action', `must be one of ${actions.join(', ')}`);
    return out;
  }
  const a = action as Action;
  for (const field of Object.keys(rule)) {
    if (field !== 'action' && !fieldsOf[a].includes(field)) problem(field, `is not a field of a ${a} rule (it takes ${fieldsOf[a].join(', ')})`);
  }

  /** A string field: undefined when absent (or wrong, reported). */
  const text = (field: string, opts: { required?: boolean; max?: number; nonEmpty?: boolean } = {}): string | undefined => {
    const v = rule[field];
    if (v === undefined) {
      if (opts.required) problem(field, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      problem(field, 'must be a string');
      return undefined;
    }
    const max = opts.max ?? maxTextLength;
    if (v.length > max) {
      problem(field, `must be at most ${max} characters`);
      return undefined;
    }
    if (opts.nonEmpty && v === '') {
      problem(field, 'must not be empty');
      return undefined;
    }
    if (v.includes('\u0000')) {
      problem(field, 'must not contain a NUL character');
      return undefined;
    }
    return v;
  };
  /** A pattern field, compiled; undefined when absent or refused (reported). */
  const pattern = (field: string, required = false): RE2JS | undefined => {
    const source = text(field, { required, max: maxMappingPatternLength });
    if (source === undefined) return undefined;
    const why = patternProblem(source);
    if (why) {
      problem(field, `is not a valid RE2 pattern: ${why}`);
      return undefined;
    }
    return RE2JS.compile(source);
  };
  /** References in `template` to groups that `re` does not have. */
  const checkRefs = (field: string, template: string, re: RE2JS | undefined, patternField: string) => {
    if (!re) return;
    const count = re.groupCount();
    const named = re.namedGroups();
    for (const p of parseTemplate(template)) {
      if (!('ref' in p) || groupIndex(p.ref, count, named) >= 0) continue;
      const numeric = /^[0-9]+/.exec(p.ref)?.[0];
      const hint = numeric && numeric !== p.ref ? ` (a name runs on over letters, digits and _: write \${${numeric}}${p.ref.slice(numeric.length)})` : '';
      problem(field, `refers to group "${p.ref}", which ${patternField} does not have${hint}`);
    }
  };
  const literalOnly = (template: string) => parseTemplate(template).every((p) => 'text' in p);
  const literalText = (template: string) => parseTemplate(template).map((p) => ('text' in p ? p.text : '')).join('');
  const labelName = (field: string, v: unknown, path = field): boolean => {
    if (typeof v === 'string' && metricKeyPattern.test(v)) return true;
    problem(path, `must be ${keyLabel} or a dimension name (a letter or _, then letters, digits, _ . : -; at most 200)`);
    return false;
  };

  switch (a) {
    case 'rename': {
      const key = text('key', { nonEmpty: true });
      const to = text('to', { required: true, nonEmpty: true });
      const hasPattern = rule.pattern !== undefined;
      if ((rule.key === undefined) === !hasPattern) problem('', 'a rename takes either key (exact) or pattern, not both nor neither');
      const re = pattern('pattern');
      if (to === undefined) break;
      if (!hasPattern) {
        // With an exact key, `to` is taken as it is.
        if (key !== undefined && !metricKeyPattern.test(to)) {
          problem('to', to.includes('$') ? 'refers to groups ($…), which only a pattern has: use pattern' : 'is not a valid metric key: every renamed point would be rejected');
        }
        break;
      }
      checkRefs('to', to, re, 'pattern');
      if (literalOnly(to) && !metricKeyPattern.test(literalText(to))) problem('to', 'is not a valid metric key: every renamed point would be rejected');
      break;
    }
    case 'prefix': {
      const prefix = text('prefix', { required: true, nonEmpty: true });
      if (prefix !== undefined && !/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(prefix)) {
        problem('prefix', 'must start with a letter or _ and hold only letters, digits, _ . : - (or every prefixed key is invalid)');
      }
      pattern('pattern');
      break;
    }
    case 'drop':
    case 'keep': {
      pattern('pattern');
      if (rule.dimension !== undefined) labelName('dimension', rule.dimension);
      pattern('valuePattern');
      if (rule.valuePattern !== undefined && rule.dimension === undefined) problem('valuePattern', 'needs dimension: the dimension whose value it matches');
      if (rule.pattern === undefined && rule.dimension === undefined) {
        problem('', `a ${a} rule needs pattern (on the key) or dimension (or both): without either it ${a === 'drop' ? 'drops every point' : 'keeps every point'}`);
      }
      break;
    }
    case 'replace': {
      const labels = rule.sourceLabels;
      if (!Array.isArray(labels) || labels.length === 0 || labels.length > maxSourceLabels) {
        problem('sourceLabels', `must be an array of 1 to ${maxSourceLabels} label names (${keyLabel} is the key)`);
      } else {
        labels.forEach((l, j) => labelName('sourceLabels', l, `sourceLabels[${j}]`));
      }
      text('separator', { max: maxSeparatorLength });
      const re = rule.regex === undefined ? RE2JS.compile('(.*)') : pattern('regex');
      const target = rule.targetLabel;
      if (target === undefined) problem('targetLabel', 'is required');
      else labelName('targetLabel', target);
      const replacement = text('replacement') ?? (rule.replacement === undefined ? '$1' : undefined);
      if (replacement === undefined) break;
      checkRefs('replacement', replacement, re, 'regex');
      if (target === keyLabel && literalOnly(replacement) && replacement !== '' && !metricKeyPattern.test(literalText(replacement))) {
        problem('replacement', 'is not a valid metric key: every matched point would be rejected');
      }
      break;
    }
    case 'labelmap': {
      const re = pattern('regex', true);
      const replacement = text('replacement', { nonEmpty: true }) ?? (rule.replacement === undefined ? '$1' : undefined);
      if (replacement !== undefined) checkRefs('replacement', replacement, re, 'regex');
      break;
    }
    case 'labeldrop':
    case 'labelkeep':
      pattern('regex', true);
      break;
  }
  return out;
}

