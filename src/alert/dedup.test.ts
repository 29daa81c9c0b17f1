import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideNotification, type DecisionReason, type NotificationRecord, type NotifiedEvent } from './dedup.js';
import type { AlertState } from './lifecycle.js';

const T = 1_700_000_000_000;
const S = 1000;
const policy = { dedupWindowSeconds: 300, repeatIntervalSeconds: 3600 };

// [state, last event, seconds since it (null: never), policy override, → send, reason, countAsRepeat]
type Row = [AlertState, NotifiedEvent | null, number | null, Partial<typeof policy> | null, NotifiedEvent | null, DecisionReason, boolean];
const rows: Row[] = [
  ['pending', null, null, null, null, 'pending', false],
  ['firing', null, null, null, 'firing', 'first_firing', false],
  ['firing', 'firing', 0, null, null, 'deduplicated', true],
  ['firing', 'firing', 299.999, null, null, 'deduplicated', true],
  ['firing', 'firing', 300, null, null, 'already_notified', false],
  ['firing', 'firing', 3599.999, null, null, 'already_notified', false],
  ['firing', 'firing', 3600, null, 'firing', 'repeat', false],
  ['firing', 'firing', 86_400, { repeatIntervalSeconds: 0 }, null, 'already_notified', false], // 0 = never repeat
  ['firing', 'firing', 120, { repeatIntervalSeconds: 60 }, null, 'deduplicated', true], // the window is a floor on repeats
  ['firing', 'firing', 300, { repeatIntervalSeconds: 60 }, 'firing', 'repeat', false],
  ['firing', 'firing', 10, { dedupWindowSeconds: 0, repeatIntervalSeconds: 0 }, null, 'already_notified', false],
  ['firing', 'resolved', 1, null, 'firing', 'first_firing', false], // resolution resets the window
  ['acknowledged', 'firing', 1, null, 'acknowledged', 'acknowledged', false],
  ['acknowledged', 'acknowledged', 7200, null, null, 'already_notified', false], // no repeats once acknowledged
  ['acknowledged', null, null, null, null, 'never_notified', false],
  ['resolved', 'firing', 1, null, 'resolved', 'resolved', false],
  ['resolved', 'acknowledged', 1, null, 'resolved', 'resolved', false],
  ['resolved', 'resolved', 1, null, null, 'already_notified', false],
  ['resolved', null, null, null, null, 'never_notified', false], // pending-only or silenced throughout: silent
  ['suppressed', 'firing', 7200, null, null, 'suppressed', false],
  ['suppressed', null, null, null, null, 'suppressed', false],
];

for (const [state, last, ago, p, send, reason, countAsRepeat] of rows) {
  test(`dedup: ${state}, last ${last ?? 'none'}${ago !== null ? ` ${ago}s ago` : ''}${p ? ` ${JSON.stringify(p)}` : ''} → ${send ?? 'nothing'}`, () => {
    const now = T + 10_000 * S;
    const record: NotificationRecord = { state, lastNotifiedEvent: last, lastNotifiedAtMs: ago === null ? null : now - ago * S, notificationCount: 4 };
    const d = decideNotification(record, { ...policy, ...p }, now);
    assert.equal(d.send, send);
    assert.equal(d.reason, reason);
    assert.equal(d.countAsRepeat, countAsRepeat);
    if (send) assert.deepEqual(d.next, { lastNotifiedAtMs: now, lastNotifiedEvent: send, notificationCount: 5 });
    else if (countAsRepeat) assert.deepEqual(d.next, { lastNotifiedAtMs: record.lastNotifiedAtMs, lastNotifiedEvent: last, notificationCount: 5 });
    else assert.deepEqual(d.next, { lastNotifiedAtMs: record.lastNotifiedAtMs, lastNotifiedEvent: last, notificationCount: 4 });
  });
}

test('dedup: a whole episode, one pass a minute', () => {
  let rec: NotificationRecord = { state: 'pending', lastNotifiedAtMs: null, lastNotifiedEvent: null, notificationCount: 0 };
  const sent: string[] = [];
  const states: AlertState[] = ['pending', 'firing', 'firing', 'firing', 'firing', 'firing', 'firing', 'firing', 'suppressed', 'firing', 'acknowledged', 'acknowledged', 'resolved', 'resolved'];
  states.forEach((state, i) => {
    const d = decideNotification({ ...rec, state }, { dedupWindowSeconds: 180, repeatIntervalSeconds: 300 }, T + i * 60 * S);
    if (d.send) sent.push(`${i}:${d.send}`);
    rec = { state, ...d.next };
  });
  // fired at 1; passes 2–3 inside the 3 min window are counted; repeat due at 6 (5 min), then 7 is
  // counted; 8 is silenced, 9 is past the window but no repeat is due; ack at 10; resolved at 12
  assert.deepEqual(sent, ['1:firing', '6:firing', '10:acknowledged', '12:resolved']);
  assert.equal(rec.notificationCount, 4 + 3);
});
