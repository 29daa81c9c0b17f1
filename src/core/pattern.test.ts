import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RE2JS } from 're2js';
import { AppError } from './errors.js';
import { compilePattern, compiledPatternCount, dfaBudgetBytes, dfaBudgetOf, maxPatternLength, PatternError, patternProblem, requirePattern, tryCompilePattern } from './pattern.js';

test('whole-value matching, anchored as Alertmanager anchors matchers', () => {
  const table: [string, string, boolean][] = [
    ['web-.*', 'web-1', true],
    ['web-.*', 'xweb-1', false], // anchored at the start
    ['web', 'web-1', false], // and at the end: not a substring search
    ['eb-1', 'web-1', false],
    ['web-1|db-1', 'db-1', true], // the alternation is grouped inside the anchors
    ['web-1|db-1', 'web-1x', false],
    ['a|ab', 'ab', true], // leftmost-first alternation still finds the whole-value match
    ['.*', '', true],
    ['.+', '', false],
    ['(a+)+$', 'aaaa', true], // a `$` of the user's own is harmless
    ['^web$', 'web', true],
  ];
  for (const [source, value, want] of table) assert.equal(compilePattern(source).matches(value), want, `${source} ~ ${JSON.stringify(value)}`);
});

test('RE2 syntax: (?i), classes, Perl and POSIX classes, repetition, named groups', () => {
  const table: [string, string, boolean][] = [
    ['(?i)web-.*', 'WEB-1', true],
    ['(?i)web-.*', 'Web-prod', true],
    ['(?i)web-.*', 'xweb-1', false],
    ['web-.*', 'WEB-1', false], // case-sensitive without the flag
    ['(?i:eu)-west', 'EU-west', true],
    ['(?i:eu)-west', 'EU-WEST', false],
    ['[a-c]+[0-9]{2}', 'abc42', true],
    ['[a-c]+[0-9]{2}', 'abd42', false],
    ['[^x]*', 'abc', true],
    ['\\d+\\.\\d+', '10.25', true],
    ['\\w+', 'a_b9', true],
    ['\\s*x', ' \tx', true],
    ['[[:alpha:]]+', 'abc', true],
    ['[[:digit:]]+', 'abc', false],
    ['host-\\d{1,3}', 'host-1234', false],
    ['(?P<env>prod|stage)-.*', 'prod-eu', true],
    ['(?<env>prod|stage)-.*', 'stage-us', true],
    ['\\Qa.b\\E', 'a.b', true], // literal text
    ['\\Qa.b\\E', 'axb', false],
    ['a.c', 'a\nc', false], // `.` does not match a newline, as in Alertmanager
    ['(?s)a.c', 'a\nc', true],
  ];
  for (const [source, value, want] of table) assert.equal(compilePattern(source).matches(value), want, `${source} ~ ${JSON.stringify(value)}`);
});

test('Unicode: `.` and classes take whole code points; \\p classes and case folding', () => {
  const table: [string, string, boolean][] = [
    ['.', '😀', true], // one code point, two UTF-16 units
    ['..', '😀', false],
    ['café-.*', 'café-1', true],
    ['[é]', 'é', true],
    ['\\p{Greek}+', 'αβγ', true],
    ['\\p{Greek}+', 'abc', false],
    ['\\pL+-\\pN+', 'Zürich-42', true],
    ['(?i)ÄRGER', 'ärger', true],
    ['[^a]', '😀', true],
    ['x{2}', '😀😀', false],
  ];
  for (const [source, value, want] of table) assert.equal(compilePattern(source).matches(value), want, `${source} ~ ${JSON.stringify(value)}`);
});

test('refused: backreferences, lookarounds and bad syntax, each with the engine\'s reason', () => {
  const table: [string, RegExp][] = [
    ['(a)\\1', /invalid escape sequence: `\\1`.*backreferences are not supported/],
    ['(?<n>a)\\k<n>', /invalid escape sequence/],
    ['web(?=-1)', /invalid or unsupported Perl syntax: `\(\?=`.*lookarounds are not supported/],
    ['web(?!-1)', /lookarounds are not supported/],
    ['(?<=x)web', /lookarounds are not supported/],
    ['(?<!x)web', /lookarounds are not supported/],
    ['(', /missing closing \)/],
    ['[a-', /missing closing \]/],
    ['a)|(b', /unexpected \)/], // not smuggled through as `^(?:a)|(b)$`
    ['x**', /invalid nested repetition operator/],
    ['a{1001}', /invalid repeat count/],
    ['((a{100}){100}){100}', /invalid repeat count/], // bounded program size
    ['(?P<x>a)(?P<x>b)', /duplicate capture group name/],
    ['\\8', /invalid escape sequence/],
    ['('.repeat(1200) + ')'.repeat(1200), /nest|depth|deep/i],
    ['x'.repeat(maxPatternLength + 1), /longer than 4096 characters/],
  ];
  for (const [source, reason] of table) {
    const problem = patternProblem(source);
    assert.ok(problem, `${source.slice(0, 40)} should be refused`);
    assert.match(problem, reason, source.slice(0, 40));
    assert.throws(() => compilePattern(source), (e: unknown) => e instanceof PatternError && e.reason === problem && e.source === source);
    assert.equal(tryCompilePattern(source), null);
  }
  assert.equal(patternProblem('web-.*'), null);
});

test('requirePattern: the compiled pattern, or 400 invalid_pattern naming the field with the reason', () => {
  assert.equal(requirePattern('db-.*', 'body.x').matches('db-1'), true);
  try {
    requirePattern('(a)\\1', 'body.rules[2].match');
    assert.fail('expected a refusal');
  } catch (e) {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'invalid_pattern');
    assert.equal(e.status, 400);
    assert.match(e.message, /^body\.rules\[2\]\.match is not a valid RE2 pattern: .*backreferences/);
    assert.deepEqual(e.details, [{ field: 'body.rules[2].match', message: e.message.slice('body.rules[2].match '.length) }]);
  }
});

test('compiled once per source: the same object comes back; refusals are cached too', () => {
  const source = `cache-test-${Math.random()}.*`;
  const before = compiledPatternCount();
  const a = compilePattern(source);
  assert.equal(compiledPatternCount(), before + 1);
  assert.equal(compilePattern(source), a);
  assert.equal(tryCompilePattern(source), a);
  assert.equal(compiledPatternCount(), before + 1);
  assert.ok(Object.isFrozen(a));
  const bad = `${Math.random()}(x)\\1`;
  const e1 = (() => { try { compilePattern(bad); } catch (e) { return e; } })();
  const e2 = (() => { try { compilePattern(bad); } catch (e) { return e; } })();
  assert.ok(e1 instanceof PatternError);
  assert.equal(e1, e2);
});

test('linear time: (a+)+$ against 1,024 × "a" + "!" returns at once (a backtracking engine takes ages)', () => {
  const value = `${'a'.repeat(1024)}!`;
  const started = performance.now();
  for (const source of ['(a+)+$', '(a|a)*$', '(a*)*b', '(.*a){20}', '(?:a+)+(?:a+)+$', '(\\w+\\s?)+$']) {
    assert.equal(compilePattern(source).matches(value), false, source);
  }
  assert.equal(compilePattern('(a+)+!').matches(value), true);
  // JavaScript's RegExp needs ~29 s for 32 × "a" and doubles per character; generous bound.
  const ms = performance.now() - started;
  assert.ok(ms < 2000, `took ${ms} ms`);
});

test('the string fast paths (literal, set of literals, literal prefix + .*) agree with RE2', () => {
  const sources = [
    ...['web-1', 'critical|warning', 'a|', '|', 'x y', 'a-b|c-d|', '-', '', '\n', 'a\nb|c'],
    ...['web-.*', 'w.*', 'é-.*', 'web-1.*', '\n.*', 'a\n.*'],
    ...['.*', '.*.*', '.*-1', '.*1', '.*\n1', '.*\n', '.*é'],
    ...['.*eb.*', '.*-.*', '.*\n.*', '.*.*.*'],
    ...['web-.+', '(?i)web-.*', 'web\\.1', 'web\\.*', '.*?', 'a.*?', '.*a|b.*', '\\.*', '[.]*'],
  ];
  const values = [
    ...['', 'web-1', 'web-10', 'web-', 'Web-1', 'critical', 'warning', 'critical|warning', 'a', 'x y', 'w', '1', 'é', '\n', '\n1', 'a\nb'],
    ...['web-1\nx', 'web-\n', 'x\nweb-1', 'x\n-1', '-1\n', 'é-ü', 'xé', '-', 'a-b', 'c-d', 'web.1', 'webx1', 'web....', `web-${'z'.repeat(1000)}-1`],
  ];
  for (const source of sources) {
    const engine = RE2JS.compile(source);
    for (const value of values) assert.equal(compilePattern(source).matches(value), engine.testExact(value), `${source} ~ ${JSON.stringify(value)}`);
  }
});

test('each pattern\'s DFA gets the small memory budget (re2js internals checked here), and DFA-hostile patterns stay fast', () => {
  assert.equal(dfaBudgetBytes, 64 * 1024);
  for (const source of ['(?i)web-[0-9]+', '[ab]*a[ab]{20}', '\\pL{1000}']) assert.equal(dfaBudgetOf(source), dfaBudgetBytes, source);
  assert.equal(dfaBudgetOf('web-.*'), undefined, 'string fast path: no engine');
  // Patterns whose DFA needs a new state for almost every character of a random value.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 < 0.5 ? 'a' : 'b');
  const values = Array.from({ length: 20 }, () => Array.from({ length: 1024 }, random).join(''));
  const started = performance.now();
  for (const source of ['[ab]*a[ab]{20}', '.*a.{50}', '\\pL{1000}']) {
    const p = compilePattern(source);
    for (const v of values) assert.equal(p.matches(v), source === '[ab]*a[ab]{20}' ? v[v.length - 21] === 'a' : source === '.*a.{50}' ? v[v.length - 51] === 'a' : false, source);
  }
  // With re2js' default 8 MB budget these 60 matches took ~1.2 s (33 ms each for \pL{1000}).
  assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
});

test('the cache keeps patterns in use and lets unused ones go (at most 1,000 kept)', () => {
  const salt = Math.random();
  const hot = compilePattern(`hot-${salt}-[0-9]+`);
  const cold = compilePattern(`cold-${salt}-[0-9]+`);
  for (let i = 0; i < 1500; i++) {
    assert.equal(compilePattern(`hot-${salt}-[0-9]+`), hot);
    compilePattern(`filler-${salt}-${i}-[0-9]+`);
  }
  assert.equal(compilePattern(`hot-${salt}-[0-9]+`), hot, 'a pattern in use is never recompiled');
  assert.notEqual(compilePattern(`cold-${salt}-[0-9]+`), cold, 'an unused one was dropped');
  assert.ok(compiledPatternCount() <= 1000, `${compiledPatternCount()} cached`);
});
