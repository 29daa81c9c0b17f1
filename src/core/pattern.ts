// User-supplied regular expressions, matched in linear time. JavaScript's RegExp backtracks: one
// silence matcher `(a+)+$` against 32 × "a" + "!" held the event loop (every org, /healthz included)
// for 29 s. Every pattern a user supplies goes through here instead: RE2 syntax (Go's regexp, as
// Prometheus and Alertmanager use) run by re2js, whose automata match in time linear in the input.
// Backreferences and lookarounds, which need backtracking, are refused with the engine's reason.
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { AppError } from './errors.js';

/** A compiled user pattern. Immutable and shared: compiling the same source twice returns the same object. */
export interface Pattern {
  /** The pattern as the user wrote it. */
  readonly source: string;
  /**
   * Whether the whole value matches, as Alertmanager anchors matchers: `web-.*` means
   * `^(?:web-.*)$`. Linear in value length × pattern size.
   */
  matches(value: string): boolean;
}

/** Longest accepted pattern, characters; callers' own schema limits are usually lower. */
export const maxPatternLength = 4096;

/** A pattern the engine refuses; `reason` is the engine's message, with a hint for common cases. */
export class PatternError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`not a valid RE2 pattern: ${reason}`);
    this.name = 'PatternError';
  }
}

// Most distinct sources kept compiled. Matching runs for every (alert, silence) pair on every
// evaluation pass, so a pattern in use is compiled once; a typical one holds 10–20 KB, a hostile one
// at most about dfaBudgetBytes more. Eviction is second-chance (CLOCK): a hit only sets a flag (a
// Map delete + set per hit, as strict LRU needs, measured 10–20× slower than the lookup itself);
// the oldest entry not used since it was last passed over goes first.
const cacheLimit = 1000;
interface Entry {
  compiled: Pattern | PatternError;
  used: boolean;
}
const cache = new Map<string, Entry>();

/**
 * Memory one pattern's lazily built DFA may hold, bytes (re2js' default is 8 MB). Measured on
 * patterns whose DFA grows a state per character (`[ab]*a[ab]{20}`, `\pL{1000}` against random
 * 1,024-character values): 8 MB retained 2.7–8.3 MB a pattern and took 5–33 ms a match (building
 * states); 64 KB retains ~70–120 KB and takes 1–2.3 ms (RE2 falls back to its bit-state or NFA
 * matcher, still linear); ordinary patterns stay within it and match as fast.
 */
export const dfaBudgetBytes = 64 * 1024;

/**
 * Compiles (or returns the cached) pattern; throws {@link PatternError} when RE2 refuses it.
 * Refusals are cached too, so a stored bad pattern costs one compile attempt.
 */
export function compilePattern(source: string): Pattern {
  const p = lookup(source);
  if (p instanceof PatternError) throw p;
  return p;
}

/** The compiled pattern, or null when it is refused (for patterns stored before validation existed). */
export function tryCompilePattern(source: string): Pattern | null {
  const p = lookup(source);
  return p instanceof PatternError ? null : p;
}

/** Why RE2 refuses `source`, or null when it compiles. */
export function patternProblem(source: string): string | null {
  const p = lookup(source);
  return p instanceof PatternError ? p.reason : null;
}

/**
 * For routes: the compiled pattern, or an AppError `invalid_pattern` (400) naming `field` with the
 * engine's reason in `details: [{field, message}]`.
 */
export function requirePattern(source: string, field: string): Pattern {
  const p = lookup(source);
  if (p instanceof PatternError) throw new AppError('invalid_pattern', `${field} is ${p.message}`, [{ field, message: `is ${p.message}` }]);
  return p;
}

function lookup(source: string): Pattern | PatternError {
  const hit = cache.get(source);
  if (hit) {
    hit.used = true;
    return hit.compiled;
  }
  if (cache.size >= cacheLimit) evictOne();
  const compiled = compile(source);
  cache.set(source, { compiled, used: false });
  return compiled;
}

/** Drops the oldest entry not used since it was last passed over; used ones go to the back, flag cleared. */
function evictOne(): void {
  for (const [source, entry] of cache) {
    cache.delete(source);
    if (!entry.used) return;
    entry.used = false;
    cache.set(source, entry);
  }
}

function compile(source: string): Pattern | PatternError {
  if (source.length > maxPatternLength) return new PatternError(source, `longer than ${maxPatternLength} characters`);
  let re: RE2JS;
  try {
    // Compiled alone, not spliced into `^(?:…)$`: `a)|(b` must be refused, not become `^(?:a)|(b)$`.
    re = RE2JS.compile(source);
  } catch (e) {
    return new PatternError(source, reasonOf(e, source));
  }
  const fast = fastPath(source);
  if (!fast) limitDfa(re);
  return Object.freeze({ source, matches: fast ?? ((value: string) => re.testExact(value)) });
}

interface Re2Internals {
  prog?: unknown;
  dfa?: object;
  lazyDFA?: object & { maxMem?: number };
}

function internals(re: RE2JS): Re2Internals | undefined {
  const get = (re as unknown as { re2?: () => Re2Internals }).re2;
  return typeof get === 'function' ? get.call(re) : undefined;
}

/**
 * Gives the pattern's DFA the budget {@link dfaBudgetBytes}: re2js builds it on first use with
 * `new DFA(prog, maxMem = 8 MB)` and offers no option, so one is built here with the smaller budget
 * (re2js 2.10's internals; a unit test fails if they change, {@link dfaBudgetOf}).
 */
function limitDfa(re: RE2JS): void {
  const inner = internals(re);
  const dfa = inner?.dfa; // the getter builds the default one
  if (!inner || !dfa || inner.prog === undefined) return;
  const Dfa = Object.getPrototypeOf(dfa).constructor as new (prog: unknown, maxMem: number) => object;
  inner.lazyDFA = new Dfa(inner.prog, dfaBudgetBytes);
}

/** The DFA memory budget the engine holds for a compiled pattern (tests), bytes; undefined for string fast paths. */
export function dfaBudgetOf(source: string): number | undefined {
  if (fastPath(source)) return undefined;
  const re = RE2JS.compile(source);
  limitDfa(re);
  return internals(re)?.lazyDFA?.maxMem;
}

// Without any of these characters a pattern is literal text (`.` included: it is a metacharacter).
const meta = /[\\.+*?()|[\]{}^$]/;

/**
 * Plain string tests for the most common shapes, as Prometheus' FastRegexMatcher does: `web-1`,
 * `critical|warning` (a set of literals), `web-.*` (prefix), `.*-eu` (suffix) and `.*web.*`
 * (substring); `.` does not match a newline without `(?s)`. Everything else runs on RE2. The unit
 * tests check that both agree.
 */
function fastPath(source: string): ((value: string) => boolean) | null {
  const literal = (s: string) => !meta.test(s);
  if (literal(source)) return (value) => value === source;
  const alternatives = source.split('|');
  if (alternatives.length > 1 && alternatives.every(literal)) {
    const set = new Set(alternatives);
    return (value) => set.has(value);
  }
  const starts = source.startsWith('.*');
  const ends = source.endsWith('.*') && source.length >= (starts ? 4 : 2);
  const middle = source.slice(starts ? 2 : 0, ends ? -2 : undefined);
  if (!literal(middle)) return null;
  if (starts && ends) return middle.includes('\n') ? null : (value) => !value.includes('\n') && value.includes(middle);
  if (ends) return (value) => value.startsWith(middle) && !value.includes('\n', middle.length);
  if (starts) {
    return (value) => {
      const cut = value.length - middle.length;
      return value.endsWith(middle) && (cut === 0 || value.lastIndexOf('\n', cut - 1) === -1);
    };
  }
  return null;
}

function reasonOf(e: unknown, source: string): string {
  const raw = e instanceof RE2JSSyntaxException ? e.message.replace(/^error parsing regexp: /, '') : e instanceof RangeError ? 'nested too deeply' : String((e as Error)?.message ?? e);
  // RE2 reports these as generic syntax errors; say what the user most likely meant.
  if (/\(\?<?[=!]/.test(source) && /Perl syntax|named capture/.test(raw)) return `${raw} (lookarounds are not supported: RE2 matches in linear time)`;
  if (/\\[1-9]/.test(source) && /escape sequence/.test(raw)) return `${raw} (backreferences are not supported: RE2 matches in linear time)`;
  return raw;
}

/** Patterns compiled so far (cached), for tests and benchmarks. */
export function compiledPatternCount(): number {
  return cache.size;
}
