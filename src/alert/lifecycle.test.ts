import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../core/errors.js';
import { acknowledge, advanceAlert, AlertTransitionError, resolve, type AlertInstance, type AlertState } from './lifecycle.js';
import type { ConditionStatus } from './rule.js';

const T0 = 1_700_000_000_000;
const NOW = T0 + 600_000;
const inst = (state: AlertState, o: Partial<AlertInstance> = {}): AlertInstance => ({
  state,
  startedAtMs: T0,
  firedAtMs: state === 'pending' ? null : T0,
  acknowledgedAtMs: state === 'acknowledged' ? T0 : null,
  resolvedAtMs: state === 'resolved' ? T0 : null,
  silenceId: state === 'suppressed' ? 's-1' : null,
  ...o,
});
const result = (status: ConditionStatus) => ({ state: { status, activeSinceMs: status === 'inactive' ? null : T0 } });

// [current, condition, silence, expected state (null: no instance), transition (from→to) or none, newInstance]
type Row = [AlertInstance | null, ConditionStatus, string | null, AlertState | null, string | null, boolean];
const rows: Row[] = [
  [null, 'inactive', null, null, null, false],
  [null, 'pending', null, 'pending', 'null→pending', true],
  [null, 'firing', null, 'firing', 'null→firing', true],
  [null, 'firing', 's-1', 'suppressed', 'null→suppressed', true],
  [null, 'pending', 's-1', 'suppressed', 'null→suppressed', true],
  [inst('pending'), 'pending', null, 'pending', null, false],
  [inst('pending'), 'firing', null, 'firing', 'pending→firing', false],
  [inst('pending'), 'inactive', null, 'resolved', 'pending→resolved', false],
  [inst('pending'), 'pending', 's-1', 'suppressed', 'pending→suppressed', false],
  [inst('firing'), 'firing', null, 'firing', null, false],
  [inst('firing'), 'pending', null, 'firing', null, false], // once fired, stays firing
  [inst('firing'), 'firing', 's-1', 'suppressed', 'firing→suppressed', false],
  [inst('firing'), 'inactive', null, 'resolved', 'firing→resolved', false],
  [inst('firing'), 'inactive', 's-1', 'resolved', 'firing→resolved', false],
  [inst('acknowledged'), 'firing', null, 'acknowledged', null, false],
  [inst('acknowledged'), 'firing', 's-1', 'acknowledged', null, false], // silences leave acknowledged alone
  [inst('acknowledged'), 'inactive', null, 'resolved', 'acknowledged→resolved', false],
  [inst('suppressed'), 'firing', 's-1', 'suppressed', null, false],
  [inst('suppressed'), 'firing', null, 'firing', 'suppressed→firing', false],
  [inst('suppressed', { firedAtMs: null }), 'pending', null, 'pending', 'suppressed→pending', false],
  [inst('suppressed', { firedAtMs: null }), 'firing', null, 'firing', 'suppressed→firing', false],
  [inst('suppressed'), 'inactive', 's-1', 'resolved', 'suppressed→resolved', false],
  [inst('resolved'), 'inactive', null, 'resolved', null, false],
  [inst('resolved'), 'firing', null, 'firing', 'null→firing', true], // a new instance
  [inst('resolved'), 'pending', null, 'pending', 'null→pending', true],
];

for (const [current, status, silence, to, transition, isNew] of rows) {
  test(`lifecycle: ${current?.state ?? 'none'} + condition ${status}${silence ? ' + silence' : ''} → ${to ?? 'none'}`, () => {
    const step = advanceAlert(current, result(status), silence, NOW);
    assert.equal(step.instance?.state ?? null, to);
    assert.equal(step.newInstance, isNew);
    assert.deepEqual(step.transitions.map((t) => `${t.from}→${t.to}`), transition ? [transition] : []);
    for (const t of step.transitions) {
      assert.equal(t.at, NOW);
      assert.equal(t.actor.kind, 'system');
      assert.equal(t.actor.id, null);
      assert.ok(t.actor.comment);
    }
    assert.equal(step.changed, transition !== null);
    if (!transition && current) assert.equal(step.instance, current); // unchanged: the same object
  });
}

test('lifecycle: timestamps of a new, fired, suppressed and resolved instance', () => {
  const opened = advanceAlert(null, result('pending'), null, T0).instance!;
  assert.deepEqual(opened, { state: 'pending', startedAtMs: T0, firedAtMs: null, acknowledgedAtMs: null, resolvedAtMs: null, silenceId: null });
  const silenced = advanceAlert(opened, result('firing'), 's-9', T0 + 1000);
  assert.equal(silenced.instance!.firedAtMs, T0 + 1000, 'fired while silenced still records when');
  assert.equal(silenced.instance!.silenceId, 's-9');
  assert.equal(silenced.transitions[0]!.actor.comment, 'silenced by s-9');
  const back = advanceAlert(silenced.instance, result('firing'), null, T0 + 2000);
  assert.equal(back.instance!.state, 'firing');
  assert.equal(back.instance!.firedAtMs, T0 + 1000);
  assert.equal(back.instance!.silenceId, null);
  assert.match(back.transitions[0]!.actor.comment!, /^silence ended/);
  const moved = advanceAlert(silenced.instance, result('firing'), 's-10', T0 + 1500);
  assert.deepEqual([moved.changed, moved.transitions.length, moved.instance!.silenceId], [true, 0, 's-10'], 'another silence: a change, no transition');
  const firedUnder = advanceAlert(inst('suppressed', { firedAtMs: null }), result('firing'), 's-1', NOW);
  assert.deepEqual([firedUnder.changed, firedUnder.transitions.length, firedUnder.instance!.firedAtMs], [true, 0, NOW]);
  const done = advanceAlert(back.instance, result('inactive'), null, T0 + 3000);
  assert.equal(done.instance!.resolvedAtMs, T0 + 3000);
  assert.equal(done.instance!.startedAtMs, T0);
});

test('acknowledge: only from firing; sticks until resolution', () => {
  const user = { kind: 'user' as const, id: 'u-1' };
  const { instance, transition } = acknowledge(inst('firing'), user, 'on it', NOW);
  assert.equal(instance.state, 'acknowledged');
  assert.equal(instance.acknowledgedAtMs, NOW);
  assert.deepEqual(transition, { from: 'firing', to: 'acknowledged', at: NOW, actor: { kind: 'user', id: 'u-1', comment: 'on it' } });
  assert.equal(advanceAlert(instance, result('firing'), null, NOW + 1).instance!.state, 'acknowledged');
  for (const s of ['pending', 'acknowledged', 'resolved', 'suppressed'] as const) {
    assert.throws(
      () => acknowledge(inst(s), user, null, NOW),
      (e: unknown) => e instanceof AlertTransitionError && e instanceof AppError && e.status === 409 && e.code === 'conflict' && e.state === s && e.action === 'acknowledge',
      s,
    );
  }
});

test('resolve: manual, from every open state; not from resolved', () => {
  const key = { kind: 'key' as const, id: 'k-1' };
  for (const s of ['pending', 'firing', 'acknowledged', 'suppressed'] as const) {
    const { instance, transition } = resolve(inst(s), key, 'fixed', NOW);
    assert.equal(instance.state, 'resolved');
    assert.equal(instance.resolvedAtMs, NOW);
    assert.equal(instance.silenceId, null);
    assert.deepEqual(transition.actor, { kind: 'key', id: 'k-1', comment: 'fixed' });
    assert.equal(transition.from, s);
  }
  assert.throws(() => resolve(inst('resolved'), key, null, NOW), (e: unknown) => e instanceof AlertTransitionError && e.status === 409 && (e.details as { allowedFrom: string[] }).allowedFrom.length === 4);
  // A manually resolved alert whose condition still fires opens a new instance at the next pass.
  const again = advanceAlert(resolve(inst('firing'), key, null, NOW).instance, result('firing'), null, NOW + 60_000);
  assert.equal(again.newInstance, true);
  assert.equal(again.instance!.startedAtMs, NOW + 60_000);
});
