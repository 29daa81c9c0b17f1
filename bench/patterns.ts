// `node --expose-gc --import tsx bench/patterns.ts`: user patterns (src/core/pattern.ts, RE2 semantics through
// re2js) — what a compile costs, that a compiled pattern is reused, how fast whole-value matching
// runs, and the pathological pattern that stalled the server under JavaScript's RegExp.
//
// BENCH_PATTERNS distinct patterns (1000) of six shapes silences use (prefix, suffix, set of
// literals — the string fast paths — and (?i), classes, alternation with .* on RE2) against BENCH_VALUES label values (1000, hostname-like, 10–30 characters) and
// the same values padded to 1,024 characters; BENCH_ROUNDS rounds (3), medians reported. The same
// matching with JavaScript's RegExp (`^(?:…)$`, backtracking) is measured for reference, and the
// pathological `(a+)+$` against n × "a" + "!" with RegExp for growing n until one run passes 1 s
// (it doubles per character), against RE2 at n = 1,024; and patterns that make a DFA grow a state
// per character, with the module's DFA budget and re2js' default (memory with --expose-gc).
// Writes bench/results/patterns.json.
import { RE2JS } from 're2js';
import { compilePattern, dfaBudgetBytes } from '../src/core/pattern.js';
import { envInt, machine, median, round, runBench, writeResult } from './lib.js';

const settings = {
  patterns: envInt('BENCH_PATTERNS', 1000),
  values: envInt('BENCH_VALUES', 1000),
  rounds: envInt('BENCH_ROUNDS', 3),
};

/** Pattern shapes silences use; the first three take src/core/pattern.ts's string fast paths. */
const shapes: [string, (i: number, salt: string) => string][] = [
  ['prefix web-N.*', (i, salt) => `web-${i}${salt}.*`],
  ['suffix .*-N', (i, salt) => `.*-${i}${salt}`],
  ['set a|b', (i, salt) => `critical|warning-${i}${salt}`],
  ['(?i)db-N-(eu|us)-.*', (i, salt) => `(?i)db-${i}${salt}-(eu|us)-.*`],
  ['[a-z]+-N\\d*', (i, salt) => `[a-z]+-${i}${salt}\\d*`],
  ['prod|stage-N|canary-.*', (i, salt) => `prod|stage-${i}${salt}|canary-.*`],
];

function patternAt(i: number, salt: string): string {
  return shapes[i % shapes.length]![1](i, salt);
}

function valueAt(j: number): string {
  const kinds = ['web', 'DB', 'api', 'canary', 'stage'];
  return `${kinds[j % kinds.length]}-${j}-${j % 2 ? 'eu' : 'us'}-west-${j % 7}`;
}

/** ms to run every pattern against every value with `test`; returns [ms, matches]. */
function sweep<P>(patterns: P[], values: string[], test: (p: P, v: string) => boolean): [number, number] {
  let hits = 0;
  const t = performance.now();
  for (const p of patterns) for (const v of values) if (test(p, v)) hits++;
  return [performance.now() - t, hits];
}

runBench(async () => {
  // Patterns whose DFA needs a new state for almost every character: time a match and memory kept
  // per pattern, with the module's DFA budget and with re2js' default (8 MB). Memory needs --expose-gc.
  const gc = (globalThis as { gc?: () => void }).gc;
  const heap = () => {
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  let seed = 11;
  const coin = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 < 0.5 ? 'a' : 'b');
  const randomValues = Array.from({ length: 20 }, () => Array.from({ length: 1024 }, coin).join(''));
  const hostileSources = ['[ab]*a[ab]{20}', '.*a.{50}', '\\pL{1000}'];
  const hostile: Record<string, Record<string, number | null>> = Object.fromEntries(hostileSources.map((x) => [x, {}]));
  // The module's patterns first, re2js' defaults after: their 8 MB DFAs would blur the smaller figures.
  for (const [label, make] of [
    ['module', (source: string, i: number) => compilePattern(`${source}|z${i}`)],
    ['re2jsDefault', (source: string, i: number) => ({ matches: ((re) => (v: string) => re.testExact(v))(RE2JS.compile(`${source}|y${i}`)) })],
  ] as const) {
    for (const source of hostileSources) {
      const kept: unknown[] = [];
      heap();
      const before = heap();
      const t = performance.now();
      for (let i = 0; i < 10; i++) {
        const p = make(source, i);
        for (const v of randomValues) p.matches(v);
        kept.push(p);
      }
      hostile[source]![`${label}MsPerMatch`] = round((performance.now() - t) / (10 * randomValues.length), 2);
      heap();
      hostile[source]![`${label}KbPerPattern`] = gc ? round((heap() - before) / kept.length / 1024, 0) : null;
    }
  }
  for (const source of hostileSources) console.log(`hostile ${source}: ${JSON.stringify(hostile[source])}`);

  const values = Array.from({ length: settings.values }, (_, j) => valueAt(j));
  const longValues = values.map((v) => v.padEnd(1024, 'x'));
  const rounds: Record<string, number>[] = [];
  let hitsShort = 0;
  let hitsLong = 0;
  for (let r = 0; r < settings.rounds; r++) {
    const sources = Array.from({ length: settings.patterns }, (_, i) => patternAt(i, `r${r}`));
    // Fresh sources each round (the salt), so these are compiles, not cache hits.
    let t = performance.now();
    const compiled = sources.map((s) => compilePattern(s));
    const compileMs = performance.now() - t;
    sources.forEach((s, i) => {
      if (compilePattern(s) !== compiled[i]) throw new Error(`not reused: ${s}`);
    });
    t = performance.now();
    for (let k = 0; k < 10; k++) for (const s of sources) compilePattern(s);
    const lookupNs = ((performance.now() - t) * 1e6) / (10 * sources.length);
    const [re2Ms, h1] = sweep(compiled, values, (p, v) => p.matches(v));
    const [re2LongMs, h2] = sweep(compiled, longValues, (p, v) => p.matches(v));
    const byShape: Record<string, number> = {};
    shapes.forEach(([name], k) => {
      const mine = compiled.filter((_, i) => i % shapes.length === k);
      byShape[`short ${name}`] = (sweep(mine, values, (p, v) => p.matches(v))[0] * 1e6) / (mine.length * values.length);
      byShape[`long ${name}`] = (sweep(mine, longValues, (p, v) => p.matches(v))[0] * 1e6) / (mine.length * values.length);
    });
    const js = sources.map((s) => new RegExp(`^(?:${s.replace(/^\(\?i\)/, '')})$`, s.startsWith('(?i)') ? 'i' : ''));
    const [jsMs, h3] = sweep(js, values, (p, v) => p.test(v));
    if (h1 !== h3) throw new Error(`RE2 and RegExp disagree: ${h1} vs ${h3} matches`);
    hitsShort = h1;
    hitsLong = h2;
    rounds.push({ compileMs, lookupNs, re2Ms, re2LongMs, jsMs, ...byShape });
    console.log(
      `round ${r + 1}: compile ${round(compileMs / sources.length, 3)} ms/pattern; cached lookup ${round(lookupNs, 0)} ns; ` +
        `${sources.length}×${values.length} matches ${round(re2Ms, 0)} ms (RE2), ${round(jsMs, 0)} ms (RegExp); 1,024-char values ${round(re2LongMs, 0)} ms`,
    );
  }
  const med = (k: string) => median(rounds.map((x) => x[k]!));
  const pairs = settings.patterns * settings.values;

  // The pathological pattern: RegExp doubles per character, RE2 stays linear.
  const backtracking: { n: number; ms: number }[] = [];
  for (let n = 16; n <= 40; n++) {
    const re = /^(?:(a+)+$)$/;
    const t = performance.now();
    re.test(`${'a'.repeat(n)}!`);
    const ms = performance.now() - t;
    backtracking.push({ n, ms: round(ms, 1) });
    console.log(`RegExp (a+)+$ on ${n} × "a" + "!": ${round(ms, 1)} ms`);
    if (ms > 1000) break;
  }
  const evil = compilePattern('(a+)+$');
  const evilValue = `${'a'.repeat(1024)}!`;
  const evilRuns: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    if (evil.matches(evilValue)) throw new Error('(a+)+$ matched a value ending in !');
    evilRuns.push(performance.now() - t);
  }
  console.log(`RE2 (a+)+$ on 1,024 × "a" + "!": ${round(median(evilRuns), 2)} ms`);

  const results = {
    compileMsPerPattern: round(med('compileMs') / settings.patterns, 3),
    cachedLookupNs: round(med('lookupNs'), 0),
    matching: {
      pairs,
      matched: hitsShort,
      re2Ms: round(med('re2Ms'), 0),
      re2NsPerMatch: round((med('re2Ms') * 1e6) / pairs, 0),
      regexpMs: round(med('jsMs'), 0),
      regexpNsPerMatch: round((med('jsMs') * 1e6) / pairs, 0),
      values1024: { matched: hitsLong, re2Ms: round(med('re2LongMs'), 0), re2NsPerMatch: round((med('re2LongMs') * 1e6) / pairs, 0) },
      nsPerMatchByShape: Object.fromEntries(shapes.map(([name]) => [name, { values: round(med(`short ${name}`), 0), values1024: round(med(`long ${name}`), 0) }])),
    },
    dfaHostile: { dfaBudgetBytes, valueLength: 1024, patterns: hostile },
    pathological: {
      pattern: '(a+)+$',
      regexp: backtracking,
      re2At1024Ms: round(median(evilRuns), 2),
    },
  };
  console.log(JSON.stringify(results, null, 2));
  const file = writeResult('patterns', {
    bench: 'patterns',
    machine: await machine(),
    note: 'User patterns through src/core/pattern.ts (re2js, RE2 semantics, anchored whole-value matching, compiled once per source and cached). Medians of the rounds; each round compiles fresh patterns. JavaScript RegExp figures are for reference only: user patterns never run on it.',
    settings,
    results,
  });
  console.log(`wrote ${file}`);
});
