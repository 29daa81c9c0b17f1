// Grouping timing with an injected clock: a small in-memory dispatcher over the pure functions
// (firstFlushAt, decideFlush, group keys), looking at each group exactly when it is due, as
// Alertmanager's timers do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Labels } from '../../core/labels.js';
import { groupingDefaults, type Grouping } from './config.js';
import { groupKeyOf, groupLabelsOf } from './key.js';
import { decideFlush, firstFlushAt, needsUpdate, nextLookAt, type FlushReason, type GroupMember, type GroupState } from './timing.js';

const T = 1_800_000_000_000;
const S = 1000;

interface Sent {
  at: number;
  key: string;
  firing: string[];
  resolved: string[];
  reason: FlushReason;
}

class Dispatcher {
  readonly groups = new Map<string, { state: GroupState; members: Map<string, GroupMember['status']> }>();
  readonly sent: Sent[] = [];
  constructor(readonly grouping: Grouping) {}

  /** An alert event at `at` (its alert started at `startsAt`, default `at`). */
  event(at: number, fingerprint: string, labels: Labels, status: GroupMember['status'], startsAt = at): void {
    this.until(at);
    const key = groupKeyOf('ch', groupLabelsOf(this.grouping.groupBy, labels));
    let g = this.groups.get(key);
    if (!g) {
      g = { state: { nextFlushAtMs: firstFlushAt(this.grouping, startsAt, at), lastNotifiedAtMs: null, notifiedFiring: [], notifiedResolved: [] }, members: new Map() };
      this.groups.set(key, g);
    }
    g.members.set(fingerprint, status);
  }

  /** Runs every look due up to `t`, in time order. */
  until(t: number): void {
    for (;;) {
      const due = [...this.groups.entries()].filter(([, g]) => g.state.nextFlushAtMs <= t).sort(([, a], [, b]) => a.state.nextFlushAtMs - b.state.nextFlushAtMs)[0];
      if (!due) return;
      const [key, g] = due;
      const now = g.state.nextFlushAtMs;
      const members = [...g.members].map(([fingerprint, status]) => ({ fingerprint, status }));
      const d = decideFlush(g.state, members, this.grouping, now);
      if (d.send) {
        this.sent.push({ at: now, key, firing: members.filter((m) => m.status === 'firing').map((m) => m.fingerprint), resolved: d.drop, reason: d.reason });
      }
      for (const fp of d.drop) g.members.delete(fp);
      if (d.remove) this.groups.delete(key);
      else g.state = d.next;
    }
  }
}

const byAlertname: Grouping = { groupBy: ['alertname'], ...groupingDefaults };
const cpu = (host: string): Labels => ({ alertname: 'High CPU', host, env: 'prod' });

test('group wait: the first alerts of a group wait groupWait, then go out in one notification', () => {
  const d = new Dispatcher(byAlertname);
  d.event(T, 'a', cpu('web-1'), 'firing');
  d.event(T + 10 * S, 'b', cpu('web-2'), 'firing');
  d.until(T + 29.999 * S);
  assert.equal(d.sent.length, 0);
  d.until(T + 30 * S);
  assert.deepEqual(d.sent, [{ at: T + 30 * S, key: 'ch:{alertname="High CPU"}', firing: ['a', 'b'], resolved: [], reason: 'first_notification' }]);
});

test('interval batching: alerts joining after the first notification wait for the next interval and go together', () => {
  const d = new Dispatcher(byAlertname);
  d.event(T, 'a', cpu('web-1'), 'firing');
  d.until(T + 30 * S);
  d.event(T + 40 * S, 'b', cpu('web-2'), 'firing');
  d.event(T + 200 * S, 'c', cpu('web-3'), 'firing');
  d.until(T + 329.999 * S);
  assert.equal(d.sent.length, 1, 'a new alert in an existing group waits for the next interval');
  d.until(T + 330 * S);
  assert.deepEqual(d.sent.map((s) => [s.at, s.firing, s.reason]), [
    [T + 30 * S, ['a'], 'first_notification'],
    [T + 330 * S, ['a', 'b', 'c'], 'new_alerts'],
  ]);
  // Nothing new at the following looks: nothing sent.
  d.until(T + 3600 * S);
  assert.equal(d.sent.length, 2);
});

test('resolved alerts are sent once, then leave the group; a group with none left is removed', () => {
  const d = new Dispatcher(byAlertname);
  d.event(T, 'a', cpu('web-1'), 'firing');
  d.event(T, 'b', cpu('web-2'), 'firing');
  d.until(T + 30 * S);
  d.event(T + 100 * S, 'a', cpu('web-1'), 'resolved');
  d.until(T + 330 * S);
  assert.deepEqual(d.sent.at(-1), { at: T + 330 * S, key: 'ch:{alertname="High CPU"}', firing: ['b'], resolved: ['a'], reason: 'new_resolved' });
  assert.deepEqual([...d.groups.get('ch:{alertname="High CPU"}')!.members.keys()], ['b']);
  d.until(T + 930 * S);
  assert.equal(d.sent.length, 2, 'a resolution is sent once');
  d.event(T + 1000 * S, 'b', cpu('web-2'), 'resolved');
  d.until(T + 1230 * S);
  assert.deepEqual(d.sent.at(-1)!.reason, 'all_resolved');
  assert.deepEqual(d.sent.at(-1)!.resolved, ['b']);
  assert.equal(d.groups.size, 0, 'the group is removed');
});

test('an alert that fires and resolves within the group wait is never notified', () => {
  const d = new Dispatcher(byAlertname);
  d.event(T, 'a', cpu('web-1'), 'firing');
  d.event(T + 20 * S, 'a', cpu('web-1'), 'resolved');
  d.until(T + 3600 * S);
  assert.deepEqual(d.sent, []);
  assert.equal(d.groups.size, 0);
});

test('repeat interval: a group that keeps firing is notified again once repeatInterval has passed, at a look', () => {
  const d = new Dispatcher({ ...byAlertname, repeatIntervalSeconds: 3600 });
  d.event(T, 'a', cpu('web-1'), 'firing');
  d.until(T + 3629 * S);
  assert.equal(d.sent.length, 1);
  // Looks at 30 s + k·300 s: the first at or after 30 s + 3600 s is 3630 s.
  d.until(T + 3630 * S);
  assert.deepEqual(d.sent.map((s) => [s.at, s.reason]), [
    [T + 30 * S, 'first_notification'],
    [T + 3630 * S, 'repeat_interval'],
  ]);
  d.until(T + 7230 * S);
  assert.equal(d.sent.length, 3);
});

test('groupBy splits alerts into one group per value set; "..." makes every label set its own group', () => {
  const d = new Dispatcher({ ...byAlertname, groupBy: ['alertname', 'env'] });
  d.event(T, 'a', { alertname: 'High CPU', env: 'prod', host: 'web-1' }, 'firing');
  d.event(T, 'b', { alertname: 'High CPU', env: 'prod', host: 'web-2' }, 'firing');
  d.event(T, 'c', { alertname: 'High CPU', env: 'staging', host: 'web-3' }, 'firing');
  d.until(T + 30 * S);
  assert.deepEqual(d.sent.map((s) => [s.key, s.firing]).sort(), [
    ['ch:{alertname="High CPU",env="prod"}', ['a', 'b']],
    ['ch:{alertname="High CPU",env="staging"}', ['c']],
  ]);

  const all = new Dispatcher({ ...byAlertname, groupBy: ['...'] });
  all.event(T, 'a', { alertname: 'High CPU', host: 'web-1' }, 'firing');
  all.event(T, 'b', { alertname: 'High CPU', host: 'web-2' }, 'firing');
  all.until(T + 30 * S);
  assert.deepEqual(all.sent.map((s) => s.firing).sort(), [['a'], ['b']]);
});

test('a group whose first alert started more than groupWait ago is looked at at once', () => {
  assert.equal(firstFlushAt({ groupWaitSeconds: 30 }, T - 31 * S, T), T);
  assert.equal(firstFlushAt({ groupWaitSeconds: 30 }, T - 30 * S, T), T + 30 * S);
  assert.equal(firstFlushAt({ groupWaitSeconds: 0 }, T, T), T);
});

test('a late look keeps the interval grid; one later than a whole interval starts a new one from now', () => {
  assert.equal(nextLookAt({ groupIntervalSeconds: 300 }, T, T + 59 * S), T + 300 * S);
  assert.equal(nextLookAt({ groupIntervalSeconds: 300 }, T, T + 301 * S), T + 601 * S);
});

test('needsUpdate follows Alertmanager: a resolution of an alert notified firing is sent; news beats the repeat interval', () => {
  const timing = { ...groupingDefaults };
  const known: GroupState = { nextFlushAtMs: T, lastNotifiedAtMs: T - 60 * S, notifiedFiring: ['a'], notifiedResolved: [] };
  assert.deepEqual(needsUpdate(known, [{ fingerprint: 'a', status: 'firing' }], timing, T), { send: false, reason: 'nothing_new' });
  assert.deepEqual(needsUpdate(known, [{ fingerprint: 'a', status: 'resolved' }], timing, T), { send: true, reason: 'all_resolved' });
  assert.deepEqual(needsUpdate(known, [{ fingerprint: 'a', status: 'firing' }, { fingerprint: 'b', status: 'firing' }], timing, T), { send: true, reason: 'new_alerts' });
  // Told of the firing before the channel grouped (only notifiedFiring is known): the resolution still goes.
  const told: GroupState = { nextFlushAtMs: T, lastNotifiedAtMs: null, notifiedFiring: ['a'], notifiedResolved: [] };
  assert.deepEqual(needsUpdate(told, [{ fingerprint: 'a', status: 'resolved' }], timing, T), { send: true, reason: 'all_resolved' });
  // After an all-resolved notification, a new firing is a first notification again.
  const cleared: GroupState = { nextFlushAtMs: T, lastNotifiedAtMs: T - 60 * S, notifiedFiring: [], notifiedResolved: ['a'] };
  assert.deepEqual(needsUpdate(cleared, [{ fingerprint: 'a', status: 'firing' }], timing, T), { send: true, reason: 'first_notification' });
});

test('silenced (muted) alerts are left out of notifications and kept in the group', () => {
  const timing = { ...groupingDefaults };
  const fresh: GroupState = { nextFlushAtMs: T, lastNotifiedAtMs: null, notifiedFiring: [], notifiedResolved: [] };
  // Only muted alerts: nothing to say, and the group stays.
  const quiet = decideFlush(fresh, [{ fingerprint: 'a', status: 'firing', muted: true }], timing, T);
  assert.deepEqual([quiet.send, quiet.remove, quiet.drop], [false, false, []]);
  // A muted alert is not counted as notified, so it is news once its silence ends.
  const first = decideFlush(fresh, [{ fingerprint: 'a', status: 'firing', muted: true }, { fingerprint: 'b', status: 'firing' }], timing, T);
  assert.deepEqual([first.send, first.next.notifiedFiring], [true, ['b']]);
  const later = decideFlush(first.next, [{ fingerprint: 'a', status: 'firing' }, { fingerprint: 'b', status: 'firing' }], timing, T + 300 * S);
  assert.deepEqual([later.send, later.reason], [true, 'new_alerts']);
});
