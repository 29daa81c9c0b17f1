import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../core/errors.js';
import { alertLabels } from './labels.js';
import { findSilence, formatMatcher, matcherMatches, parseMatchers, silenceActive, silenceMatches, type Matcher } from './silence.js';

const labels = { __name__: 'cpu.usage', host: 'web-1', region: 'eu-west', alertname: 'High CPU', severity: 'critical' };
const m = (name: string, value: string, isRegex = false, isEqual = true): Matcher => ({ name, value, isRegex, isEqual });

test('matchers: =, !=, =~, !~ (anchored), absent label = empty string', () => {
  const table: [Matcher, boolean][] = [
    [m('host', 'web-1'), true],
    [m('host', 'web-2'), false],
    [m('host', 'web-1', false, false), false],
    [m('host', 'web-2', false, false), true],
    [m('host', 'web-.*', true), true],
    [m('host', 'web', true), false], // anchored: not a substring search
    [m('host', 'eb-1', true), false],
    [m('host', 'web-1|db-1', true), true], // the alternation is grouped inside the anchors
    [m('host', 'db-.*', true, false), true],
    [m('host', 'web-.*', true, false), false],
    [m('missing', ''), true],
    [m('missing', 'x', false, false), true],
    [m('missing', '.*', true), true],
    [m('missing', '.+', true), false],
    [m('__proto__', ''), true], // not Object.prototype
    [m('toString', '', false, false), false],
    [m('severity', 'critical|error', true), true],
  ];
  for (const [matcher, want] of table) assert.equal(matcherMatches(matcher, labels), want, formatMatcher(matcher));
});

test('silences: active on [startsAt, endsAt); every matcher must match', () => {
  const s = { id: 's-1', matchers: [m('host', 'web-.*', true), m('severity', 'critical')], startsAtMs: 1000, endsAtMs: 2000 };
  const table: [number, boolean][] = [[999, false], [1000, true], [1999, true], [2000, false]];
  for (const [now, want] of table) {
    assert.equal(silenceActive(s, now), want, `at ${now}`);
    assert.equal(silenceMatches(s, labels, now), want, `at ${now}`);
  }
  assert.equal(silenceMatches({ ...s, matchers: [...s.matchers, m('region', 'us-.*', true)] }, labels, 1500), false);
  assert.equal(silenceMatches({ ...s, matchers: [] }, labels, 1500), false, 'no matchers silence nothing');
  const other = { ...s, id: 's-2', matchers: [m('host', 'db-1')] };
  assert.equal(findSilence([other, s], labels, 1500)?.id, 's-1');
  assert.equal(findSilence([other], labels, 1500), null);
});

test('parseMatchers: objects with defaults and Alertmanager strings', () => {
  assert.deepEqual(parseMatchers([{ name: 'host', value: 'web-1' }, { name: 'env', value: 'prod|stage', isRegex: true, isEqual: false }]), [m('host', 'web-1'), m('env', 'prod|stage', true, false)]);
  assert.deepEqual(parseMatchers(['host="web-1"', 'env!=prod', 'region=~"eu-.*"', 'az !~ a', 'path="a\\"b"', 'x=']), [
    m('host', 'web-1'),
    m('env', 'prod', false, false),
    m('region', 'eu-.*', true),
    m('az', 'a', true, false),
    m('path', 'a"b'),
    m('x', ''),
  ]);
  const anchor = m('host', 'web-1');
  for (const x of parseMatchers(['env!=prod', 'region=~"eu-.*"', 'az!~"a"', 'q="say \\"hi\\""'])) {
    assert.deepEqual(parseMatchers([formatMatcher(anchor), formatMatcher(x)]), [anchor, x], formatMatcher(x));
  }
});

function details(raw: unknown, code = 'validation_failed'): { field: string; message: string }[] {
  try {
    parseMatchers(raw);
  } catch (e) {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, code, JSON.stringify(raw));
    return e.details as { field: string; message: string }[];
  }
  assert.fail('expected a validation error');
}

test('parseMatchers: every problem is reported with its field', () => {
  const table: [unknown, string[]][] = [
    ['host=web-1', ['matchers']],
    [[], ['matchers']],
    [[{ name: '1bad', value: 'x' }, { name: 'ok', value: 3 }], ['matchers[0].name', 'matchers[1].value']],
    [[{ name: 'a', value: 'x', isRegex: 'yes' }], ['matchers[0].isRegex']],
    [['just text', 42, null], ['matchers[0]', 'matchers[1]', 'matchers[2]']],
    [['host="unterminated'], ['matchers[0]']],
    [[{ name: 'a', value: 'x'.repeat(1025) }], ['matchers[0].value']],
    [['host=~".*"', 'env!="prod"', 'az=""'], ['matchers']], // every matcher matches the empty string
    [Array.from({ length: 65 }, (_, i) => `l${i}=v`), ['matchers']],
  ];
  for (const [raw, fields] of table) assert.deepEqual(details(raw).map((d) => d.field), fields, JSON.stringify(raw).slice(0, 80));
});

test('parseMatchers: matcher strings parse in linear time; overlong ones are refused', () => {
  const started = performance.now();
  // `\s*(.*?)\s*$` was quadratic: 30,000 inner spaces took 0.75 s, a 4 MB body would take hours.
  for (const raw of [`host=x${' '.repeat(6000)}x`, `host${' '.repeat(6000)}=x`, ` ${' '.repeat(6000)}host="a"${' '.repeat(6000)}`]) {
    try {
      parseMatchers([raw]);
    } catch (e) {
      assert.ok(e instanceof AppError && e.code === 'validation_failed', String(e));
    }
  }
  assert.deepEqual(details([`host=x${' '.repeat(1_000_000)}x`]).map((d) => [d.field, d.message]), [['matchers[0]', 'must be at most 6348 characters']]);
  assert.deepEqual(parseMatchers(['  host  =~  "web-.*"  ', 'env != prod ']), [m('host', 'web-.*', true), m('env', 'prod', false, false)]);
  assert.ok(performance.now() - started < 2000);
});

test('parseMatchers: patterns RE2 refuses are invalid_pattern with the reason, listed with any other problem', () => {
  const table: [unknown, string[], RegExp][] = [
    [[{ name: 'host', value: '(', isRegex: true }], ['matchers[0].value'], /^is not a valid RE2 pattern: missing closing \)/],
    [['host=~"[a-"'], ['matchers[0].value'], /missing closing \]/],
    [['host=~"(a)\\\\1"'], ['matchers[0].value'], /backreferences are not supported/],
    [['host=~"web(?=-1)"'], ['matchers[0].value'], /lookarounds are not supported/],
    [['host!~"(?<!x)web"'], ['matchers[0].value'], /lookarounds are not supported/],
    [['a="b"', { name: '1bad', value: 'x' }, 'host=~"x**"'], ['matchers[1].name', 'matchers[2].value'], /invalid nested repetition/],
  ];
  for (const [raw, fields, reason] of table) {
    const d = details(raw, 'invalid_pattern');
    assert.deepEqual(d.map((x) => x.field), fields, JSON.stringify(raw));
    assert.match(d[d.length - 1]!.message, reason, JSON.stringify(raw));
  }
  // Patterns JavaScript accepts but RE2 does not are refused; RE2's own syntax is accepted.
  assert.deepEqual(parseMatchers(['host=~"(?i)web-.*"', 'path=~"(?P<p>[[:alpha:]]+)"']), [m('host', '(?i)web-.*', true), m('path', '(?P<p>[[:alpha:]]+)', true)]);
});

test('regex matchers are RE2: (?i), Unicode, and (a+)+$ against a 1,024-character value returns at once', () => {
  const insensitive = m('host', '(?i)web-.*', true);
  assert.equal(matcherMatches(insensitive, { host: 'WEB-1' }), true);
  assert.equal(matcherMatches(insensitive, { host: 'xweb-1' }), false);
  assert.equal(matcherMatches(m('city', 'Z.rich', true), { city: 'Zürich' }), true);
  const long = { host: `${'a'.repeat(1024)}!` };
  const started = performance.now();
  assert.equal(matcherMatches(m('host', '(a+)+$', true), long), false);
  assert.equal(matcherMatches(m('host', '(a+)+$', true, false), long), true);
  assert.equal(silenceMatches({ matchers: [m('host', '(a+)+$', true)], startsAtMs: 0, endsAtMs: 10 }, long, 5), false);
  assert.ok(performance.now() - started < 2000, 'a backtracking engine would take longer than the universe has existed');
  // A stored pattern RE2 refuses (saved before RE2 was enforced) matches nothing: it hides no alert.
  assert.equal(matcherMatches(m('host', '(w)\\1', true), { host: 'ww' }), false);
  assert.equal(matcherMatches(m('host', '(w)\\1', true, false), { host: 'ww' }), false);
});

test('alert labels: dimensions < rule labels < __name__, alertname, severity', () => {
  const rule = { name: 'High CPU', severity: 'critical' as const, labels: { team: 'infra', host: 'overridden', severity: 'info', __name__: 'nope' } };
  assert.deepEqual(alertLabels(rule, { key: 'cpu.usage', dimensions: { host: 'web-1', region: 'eu' } }), {
    host: 'overridden',
    region: 'eu',
    team: 'infra',
    __name__: 'cpu.usage',
    alertname: 'High CPU',
    severity: 'critical',
  });
  const withProto = alertLabels({ ...rule, labels: {} }, { key: 'k', dimensions: Object.fromEntries([['__proto__', 'x']]) as Record<string, string> });
  assert.equal(Object.getPrototypeOf(withProto), Object.prototype);
  assert.ok(Object.hasOwn(withProto, '__proto__'));
  assert.equal(matcherMatches(m('__proto__', 'x'), withProto), true);
});
