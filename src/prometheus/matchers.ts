// Label matchers of a PromQL selector, compiled once and applied to label sets (pure). Regular
// expressions run on the platform's linear-time patterns (RE2 semantics, src/core/pattern.ts),
// anchored as Prometheus anchors them: `=~"web-.*"` means `^(?:web-.*)$`. A label a series does
// not have matches as the empty string, as in Prometheus.
import type { Labels } from '../core/labels.js';
import { PatternError, compilePattern, type Pattern } from '../core/pattern.js';
import { PromQLError, type LabelMatcher } from '../promql/types.js';

/** A matcher ready to test label values. */
export interface CompiledMatcher {
  readonly name: string;
  readonly type: LabelMatcher['type'];
  readonly value: string;
  /** Whether a label value (`''` when the label is absent) satisfies the matcher. */
  test(value: string): boolean;
}

/** Compiles `m`; a pattern RE2 refuses is Prometheus' `bad_data` naming the matcher. */
export function compileMatcher(m: LabelMatcher): CompiledMatcher {
  switch (m.type) {
    case '=':
      return { ...m, test: (v) => v === m.value };
    case '!=':
      return { ...m, test: (v) => v !== m.value };
    case '=~': {
      const p = pattern(m);
      return { ...m, test: (v) => p.matches(v) };
    }
    case '!~': {
      const p = pattern(m);
      return { ...m, test: (v) => !p.matches(v) };
    }
  }
}

function pattern(m: LabelMatcher): Pattern {
  try {
    return compilePattern(m.value);
  } catch (err) {
    if (err instanceof PatternError) throw new PromQLError('bad_data', `invalid regular expression in matcher ${m.name}${m.type}${JSON.stringify(m.value)}: ${err.reason}`);
    throw err;
  }
}

/** Compiles every matcher of a selector. */
export function compileMatchers(ms: readonly LabelMatcher[]): CompiledMatcher[] {
  return ms.map(compileMatcher);
}

/** Whether `labels` (with `__name__`) satisfy every matcher. */
export function matchesAll(ms: readonly CompiledMatcher[], labels: Labels): boolean {
  for (const m of ms) if (!m.test(Object.hasOwn(labels, m.name) ? labels[m.name]! : '')) return false;
  return true;
}

/**
 * What a selector says that the series catalogue can answer with an index: the one metric key an
 * `__name__="x"` matcher names (or the set a literal `=~"a|b"` names), and the label pairs `name="v"`
 * (v non-empty) every matching series must carry. The remaining matchers still have to be applied
 * in memory; applying all of them again is harmless.
 */
export interface IndexedPart {
  /** null: any key. */
  keys: string[] | null;
  pairs: Labels;
  /** True when no series can match (two different `__name__=` values, or `a="x"` and `a="y"`). */
  empty: boolean;
}

const literalAlternation = /^[A-Za-z0-9_:.\-]+(?:\|[A-Za-z0-9_:.\-]+)*$/;

export function indexedPart(ms: readonly LabelMatcher[]): IndexedPart {
  let keys: string[] | null = null;
  const pairs: Labels = {};
  let empty = false;
  const narrow = (set: string[]) => {
    keys = keys === null ? set : keys.filter((k) => set.includes(k));
    if (!keys.length) empty = true;
  };
  for (const m of ms) {
    if (m.name === '__name__') {
      if (m.type === '=') narrow([m.value]);
      // Only a plain list of names: `.` is then a literal dot, which a key may contain, and RE2
      // would read it as any character, so names with a dot go through the general path.
      else if (m.type === '=~' && literalAlternation.test(m.value) && !m.value.includes('.')) narrow([...new Set(m.value.split('|'))]);
    } else if (m.type === '=' && m.value !== '') {
      if (Object.hasOwn(pairs, m.name) && pairs[m.name] !== m.value) empty = true;
      pairs[m.name] = m.value;
    }
  }
  return { keys, pairs, empty };
}

/** The matchers that test `__name__` only (to decide which names, platform ones included, can match). */
export function nameMatchers(ms: readonly CompiledMatcher[]): CompiledMatcher[] {
  return ms.filter((m) => m.name === '__name__');
}
