/**
 * A source's key mapping: its rules compiled once into a function over one point's key and
 * dimensions (pure; RE2 patterns, anchored at both ends as Prometheus' relabelling anchors them).
 *
 * Semantics follow Prometheus' `metric_relabel_configs` where a rule has a counterpart: a missing
 * dimension reads as the empty string, an empty `replace` result removes the target dimension,
 * replacements expand as Go's `Regexp.Expand` (`$1`, `${1}`, `${name}`, `$name`, `$$`; `$1_total`
 * names the group `1_total`, which {@link checkMappingRules} reports). Matching stays linear in the
 * input (src/core/pattern.ts); capture groups come from re2js' matcher, which never backtracks.
 */
import { RE2JS } from 're2js';
import type { Labels } from '../core/labels.js';
import { compilePattern, type Pattern } from '../core/pattern.js';
import type { PointMapper } from '../ingest/ingest.js';
import { keyLabel } from './mapping-check.js';
import type { MappingRule } from './source.js';
import { expand, expander, type Expander } from './template.js';

// The mapper's type is the pipeline's (ingest/ does not import sources/).
export type { MappedSeries, PointMapper } from '../ingest/ingest.js';
export { checkMappingRules, keyLabel, maxMappingRules, type MappingProblem } from './mapping-check.js';
export { parseTemplate } from './template.js';

// ---------------------------------------------------------------------------------------------
// Matching with capture groups

/**
 * A whole-value match returning the groups a template needs: the linear-time matcher of
 * core/pattern.ts decides (fast paths, bounded DFA), re2js' capturing matcher then reads the
 * groups (onepass, bit-state or NFA: never backtracking, never the DFA).
 */
interface Capture {
  /** Groups 0..maxGroup of a whole-value match, unmatched ones empty; null when `value` does not match. */
  groups(value: string): string[] | null;
  re: RE2JS;
}

/**
 * Distinct values whose groups one rule remembers: a batch repeats the same few keys and label
 * values, and a remembered answer costs a Map lookup instead of a capturing match (~10×).
 */
const rememberedValues = 512;
const maxRememberedLength = 256;

function capture(source: string, maxGroupOf: (re: RE2JS) => number): Capture {
  const quick = compilePattern(source);
  const re = RE2JS.compile(source);
  const need = maxGroupOf(re);
  const seen = new Map<string, string[] | null>();
  const run = (value: string): string[] | null => {
    if (!quick.matches(value)) return null;
    if (need < 0) return [];
    if (need === 0) return [value];
    const m = re.matcher(value);
    if (!m.matches()) return null;
    const out: string[] = [];
    for (let g = 0; g <= need; g++) out.push(m.group(g) ?? '');
    return out;
  };
  return {
    re,
    groups(value) {
      const hit = seen.get(value);
      if (hit !== undefined) return hit;
      const r = run(value);
      if (value.length <= maxRememberedLength) {
        if (seen.size >= rememberedValues) seen.clear();
        seen.set(value, r);
      }
      return r;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The mapper

/** One point while the rules run: dimensions are copied into a Map only when a rule changes them. */
interface State {
  key: string;
  dims: Labels;
  changed: Map<string, string> | null;
}

/** Applies one rule; false drops the point. */
type Step = (s: State) => boolean;

function dimensionOf(s: State, name: string): string | undefined {
  if (s.changed) return s.changed.get(name);
  return Object.hasOwn(s.dims, name) ? s.dims[name] : undefined;
}

/** A label's value as Prometheus reads it: `__name__` is the key, a missing dimension is empty. */
function labelOf(s: State, name: string): string {
  return name === keyLabel ? s.key : (dimensionOf(s, name) ?? '');
}

function writable(s: State): Map<string, string> {
  return (s.changed ??= new Map(Object.entries(s.dims)));
}

/** A plain object of the dimensions; `__proto__` stays an own property, never the prototype. */
function toLabels(m: Map<string, string>): Labels {
  const out: Labels = {};
  for (const [n, v] of m) {
    if (n === '__proto__') Object.defineProperty(out, n, { value: v, enumerable: true, writable: true, configurable: true });
    else out[n] = v;
  }
  return out;
}

const always: Pattern = { source: '.*', matches: () => true };
const patternOr = (source: string | undefined, fallback: Pattern) => (source === undefined ? fallback : compilePattern(source));

function compileRule(rule: MappingRule): Step {
  switch (rule.action) {
    case 'rename': {
      if (rule.pattern === undefined) {
        const { key, to } = rule;
        return (s) => {
          if (s.key === key) s.key = to;
          return true;
        };
      }
      let e!: Expander;
      const c = capture(rule.pattern, (re) => (e = expander(rule.to, re)).maxGroup);
      return (s) => {
        const g = c.groups(s.key);
        if (g) s.key = expand(e, g);
        return true;
      };
    }
    case 'prefix': {
      const p = patternOr(rule.pattern, always);
      const { prefix } = rule;
      return (s) => {
        if (p.matches(s.key)) s.key = prefix + s.key;
        return true;
      };
    }
    case 'drop':
    case 'keep': {
      const p = patternOr(rule.pattern, always);
      const dim = rule.dimension;
      // A dimension without a value pattern: the point has it (a non-empty value).
      const v = patternOr(rule.valuePattern, compilePattern('.+'));
      const keep = rule.action === 'keep';
      return (s) => {
        const hit = p.matches(s.key) && (dim === undefined || v.matches(labelOf(s, dim)));
        return keep ? hit : !hit;
      };
    }
    case 'replace': {
      const { sourceLabels, targetLabel } = rule;
      const separator = rule.separator ?? ';';
      let e!: Expander;
      const c = capture(rule.regex ?? '(.*)', (re) => (e = expander(rule.replacement ?? '$1', re)).maxGroup);
      return (s) => {
        const value = sourceLabels.length === 1 ? labelOf(s, sourceLabels[0]!) : sourceLabels.map((n) => labelOf(s, n)).join(separator);
        const g = c.groups(value);
        if (!g) return true;
        const result = expand(e, g);
        if (targetLabel === keyLabel) {
          // A point always has a key: an empty result leaves it as it was.
          if (result !== '') s.key = result;
        } else if (result === '') {
          if (dimensionOf(s, targetLabel) !== undefined) writable(s).delete(targetLabel);
        } else if (dimensionOf(s, targetLabel) !== result) {
          writable(s).set(targetLabel, result);
        }
        return true;
      };
    }
    case 'labelmap': {
      let e!: Expander;
      const c = capture(rule.regex, (re) => (e = expander(rule.replacement ?? '$1', re)).maxGroup);
      return (s) => {
        const entries = s.changed ? [...s.changed] : Object.entries(s.dims);
        for (const [name, value] of entries) {
          const g = c.groups(name);
          if (!g) continue;
          const to = expand(e, g);
          if (to === name) continue;
          // Copied, as Prometheus' labelmap does (the original stays: a labeldrop after it removes it); a
          // dimension already of that name is overwritten, as Prometheus' Set does. An invalid new name is
          // kept for validation to refuse by name.
          writable(s).set(to, value);
        }
        return true;
      };
    }
    case 'labeldrop':
    case 'labelkeep': {
      const p = compilePattern(rule.regex);
      const drop = rule.action === 'labeldrop';
      return (s) => {
        const names = s.changed ? [...s.changed.keys()] : Object.keys(s.dims);
        for (const name of names) if (p.matches(name) === drop) writable(s).delete(name);
        return true;
      };
    }
  }
}

/**
 * Compiles `rules` (already validated by {@link checkMappingRules}) into a mapper, rules applied in
 * order. The dimensions passed in are not modified. A rule that does not compile (it cannot have
 * passed the check) is left out rather than failing every point of the source.
 */
export function compileMapping(rules: MappingRule[]): PointMapper {
  const steps: Step[] = [];
  for (const rule of rules) {
    try {
      steps.push(compileRule(rule));
    } catch {
      // Only rules stored around the check reach here; see the doc comment.
    }
  }
  if (!steps.length) return (key, dimensions) => ({ key, dimensions });
  return (key, dimensions) => {
    const s: State = { key, dims: dimensions, changed: null };
    try {
      for (const step of steps) if (!step(s)) return null;
    } catch {
      // Nothing above throws on string input; should the engine, the point passes unmapped for validation.
      return { key, dimensions };
    }
    return { key: s.key, dimensions: s.changed ? toLabels(s.changed) : dimensions };
  };
}
