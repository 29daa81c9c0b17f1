import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors.js';
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

function details(raw: unknown): { field: string; message: string }[] {
  try {
    parseMatchers(raw);
  } catch (e) {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'validation_failed');
    return e.details as { field: string; message: string }[];
  }
  assert.fail('expected a validation error');
}

test('parseMatchers: every problem is reported with its field', () => {
  const table: [unknown, string[]][] = [
    ['host=web-1', ['matchers']],
    [[], ['matchers']],
    [[{ name: 'host', value: '(' , isRegex: true }], ['matchers[0].value']],
    [['host=~"[a-"'], ['matchers[0].value']],
    [[{ name: '1bad', value: 'x' }, { name: 'ok', value: 3 }], ['matchers[0].name', 'matchers[1].value']],
    [[{ name: 'a', value: 'x', isRegex: 'yes' }], ['matchers[0].isRegex']],
    [['just text', 42, null], ['matchers[0]', 'matchers[1]', 'matchers[2]']],
    [['host="unterminated'], ['matchers[0]']],
    [[{ name: 'a', value: 'x'.repeat(1025) }], ['matchers[0].value']],
    [['host=~".*"', 'env!="prod"', 'az=""'], ['matchers']], // every matcher matches the empty string
    [Array.from({ length: 65 }, (_, i) => `l${i}=v`), ['matchers']],
  ];
  for (const [raw, fields] of table) assert.deepEqual(details(raw).map((d) => d.field), fields, JSON.stringify(raw).slice(0, 80));
  assert.match(details([{ name: 'host', value: '(', isRegex: true }])[0]!.message, /not a valid regular expression/);
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
