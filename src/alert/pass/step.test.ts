import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeRule, makeSeries, MIN, NOW } from '../../../test/helpers/alert-rules.js';
import type { StoredAlert } from '../alerts-store.js';
import { alertFingerprint } from '../fingerprint.js';
import type { ThresholdCondition } from '../rule.js';
import { dedup } from './stages/dedup.js';
import { enqueue } from './stages/enqueue.js';
import { muteBy, type Mute } from './stages/silence.js';
import { step, type Prior } from './step.js';

const rule = makeRule<ThresholdCondition>({ kind: 'threshold', operator: 'gt', value: 0.9, forSeconds: 0 }, { channels: ['c1'] });
const firing = makeSeries([[NOW - MIN, 0.97]]);
const quiet = makeSeries([[NOW - MIN, 0.5]]);
const none = (): Prior => ({ states: new Map(), open: new Map() });
const noMute: Mute = () => null;
const fp = (dimensions: Record<string, string>) => alertFingerprint('org-1', rule.id, { key: 'cpu.usage', dimensions });

function stored(o: Partial<StoredAlert> = {}): StoredAlert {
  const at = new Date(NOW - 10 * MIN);
  return {
    id: 'a-1', orgId: 'org-1', ruleId: rule.id, ruleName: rule.name, ruleKind: 'threshold', seriesId: '1', key: 'cpu.usage', dimensions: { host: 'web-1' },
    fingerprint: fp({ host: 'web-1' }), state: 'firing', severity: 'warning', labels: {}, annotations: {}, value: 0.97, summary: 's', details: {}, anomalyId: null,
    startedAt: at, firedAt: at, endedAt: null, silenceId: null, acknowledgedAt: null, acknowledgedBy: null, resolvedBy: null,
    notificationCount: 1, lastNotifiedAt: at, lastEvent: 'firing', createdAt: at, updatedAt: at, ...o,
  };
}

test('step: a breaching series opens a firing alert and its state is stored', () => {
  const out = step('org-1', rule, none(), [firing], noMute, NOW, true);
  assert.deepEqual(out.states, [{ seriesId: '1', state: { status: 'firing', activeSinceMs: NOW - MIN } }]);
  assert.equal(out.moves.length, 1);
  const m = out.moves[0]!;
  assert.equal(m.stored, undefined);
  assert.equal(m.identity?.fingerprint, fp({ host: 'web-1' }));
  assert.deepEqual(m.transitions.map((t) => [t.from, t.to]), [[null, 'firing']]);
  assert.equal(m.change.labels.alertname, rule.name);
  assert.deepEqual(out.series.map((s) => [s.status, s.alertState, s.alertId]), [['firing', 'firing', null]]);
  assert.equal(m.seriesIndex, 0);
  assert.deepEqual(out.errors, []);
});

test('step: a quiet series with no alert moves nothing; an unchanged state is not rewritten', () => {
  const states = new Map([['1', { status: 'inactive' as const, activeSinceMs: null }]]);
  const out = step('org-1', rule, { states, open: new Map() }, [quiet], noMute, NOW, true);
  assert.deepEqual(out.moves, []);
  assert.deepEqual(out.states, []);
  assert.equal(out.series[0]!.status, 'inactive');
});

test('step: the mute stage suppresses what a silence matches', () => {
  const mute = muteBy([{ id: 's-1', matchers: [{ name: 'host', value: 'web-1', isRegex: false, isEqual: true }], startsAtMs: NOW - MIN, endsAtMs: NOW + MIN }], NOW);
  const out = step('org-1', rule, none(), [firing], mute, NOW, true);
  assert.equal(out.moves[0]!.instance.state, 'suppressed');
  assert.equal(out.moves[0]!.change.silenceId, 's-1');
});

test('step: an open alert whose series vanished resolves, unless the read was truncated', () => {
  const a = stored({ dimensions: { host: 'gone' }, fingerprint: fp({ host: 'gone' }) });
  const prior = (): Prior => ({ states: new Map(), open: new Map([[a.fingerprint, a]]) });
  const out = step('org-1', rule, prior(), [quiet], noMute, NOW, true);
  assert.equal(out.moves.length, 1);
  assert.equal(out.moves[0]!.stored, a);
  assert.equal(out.moves[0]!.seriesIndex, null);
  assert.equal(out.moves[0]!.instance.state, 'resolved');
  assert.deepEqual(out.moves[0]!.change.resolvedBy, { kind: 'system', id: null, comment: 'the series no longer matches the rule' });
  assert.equal(out.moves[0]!.transitions[0]!.actor.comment, 'the series no longer matches the rule');
  assert.deepEqual(step('org-1', rule, prior(), [quiet], noMute, NOW, false).moves, []);
});

test('step: a series that cannot be evaluated is reported, not moved', () => {
  const broken = makeRule({ kind: 'threshold', operator: 'gt', value: null as unknown as number, forSeconds: 0 });
  const out = step('org-1', broken, none(), [firing], noMute, NOW, true);
  assert.deepEqual(out.moves, []);
  assert.equal(out.series[0]!.status, 'error');
  assert.match(out.errors[0]!, /^cpu\.usage\{host=web-1\}: condition\.value is not a finite number/);
});

test('dedup stage: a first firing is sent; a repeat inside the window is counted, not sent', () => {
  const [first] = dedup(step('org-1', rule, none(), [firing], noMute, NOW, true).moves, rule, NOW);
  assert.equal(first!.send, 'firing');
  assert.equal(first!.change.notificationCount, 1);
  assert.equal(first!.change.lastNotifiedAt?.getTime(), NOW);
  const open = stored({ lastNotifiedAt: new Date(NOW - MIN) });
  const again = step('org-1', rule, { states: new Map(), open: new Map([[open.fingerprint, open]]) }, [makeSeries([[NOW - MIN, 0.99]])], noMute, NOW, true);
  const [repeat] = dedup(again.moves, rule, NOW);
  assert.equal(repeat!.send, null);
  assert.equal(repeat!.change.notificationCount, 2);
});

test('enqueue stage: enabled channels of the rule, plus channels told before that the rule no longer names', () => {
  const channels = new Map([['c1', { id: 'c1', enabled: true }], ['c2', { id: 'c2', enabled: true }], ['c3', { id: 'c3', enabled: false }]]);
  const a = stored({ state: 'resolved', endedAt: new Date(NOW) });
  const addressing = { org: { id: 'org-1', name: 'Org' }, publicUrl: 'https://iv.example.com/', ruleChannels: ['c1', 'c3'], channels, told: new Map([['a-1', ['c1', 'c2']]]), maxAttempts: 5 };
  const out = enqueue(a, 'resolved', undefined, addressing);
  assert.deepEqual(out.map((d) => d.channelId), ['c1', 'c2']);
  assert.equal(out[0]!.payload.alert.url, 'https://iv.example.com/api/v1/alerts/a-1');
  assert.equal(out[0]!.maxAttempts, 5);
});
