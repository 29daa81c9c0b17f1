// When a group is notified: Alertmanager's aggregation-group timer and its notification log's
// "needs update" check (dispatch/dispatch.go, notify/dedup_stage.go), over the group's stored state.
// Pure: time comes in as `nowMs`.
//
//   new group           → first look groupWait after it was made (at once when its first alert
//                         started more than groupWait ago)
//   each look           → send when a firing alert was not in the last notification, when alerts
//                         resolved since it, or when repeatInterval has passed while alerts fire;
//                         resolved alerts leave the group after the look (sent once, or never when
//                         nobody was told they fired); the next look is groupInterval later
//   no alerts left      → the group is removed
import type { Grouping } from './config.js';

/** What the group remembers between looks (Alertmanager keeps the notified sets in its notification log). */
export interface GroupState {
  /** When the group is looked at next, epoch ms. */
  nextFlushAtMs: number;
  /** When it was last notified, epoch ms; null: never. */
  lastNotifiedAtMs: number | null;
  /** Fingerprints of the firing alerts of the last notification. */
  notifiedFiring: readonly string[];
  /** Fingerprints of the resolved alerts of the last notification. */
  notifiedResolved: readonly string[];
}

/** One alert of the group as of its latest event. */
export interface GroupMember {
  fingerprint: string;
  status: 'firing' | 'resolved';
  /** Silenced now: left out of notifications (and of what counts as notified), kept in the group. */
  muted?: boolean;
}

export type Timing = Pick<Grouping, 'groupWaitSeconds' | 'groupIntervalSeconds' | 'repeatIntervalSeconds'>;

export type FlushReason = 'first_notification' | 'new_alerts' | 'all_resolved' | 'new_resolved' | 'repeat_interval' | 'nothing_new';

export interface FlushDecision {
  /** Notify the group now (one message with every member). */
  send: boolean;
  reason: FlushReason;
  /** Resolved members that leave the group after this look. */
  drop: string[];
  /** No members are left: delete the group. */
  remove: boolean;
  /** The group's state after this look. */
  next: GroupState;
}

/** When a new group is first looked at: groupWait from now, or now when its first alert is older than that. */
export function firstFlushAt(timing: Pick<Timing, 'groupWaitSeconds'>, startsAtMs: number, nowMs: number): number {
  const waitMs = timing.groupWaitSeconds * 1000;
  return startsAtMs + waitMs < nowMs ? nowMs : nowMs + waitMs;
}

/**
 * The next look after one at `nowMs` that was due at `dueMs`: one interval after the due time, so a
 * late look does not push every later one back; one interval from now when even that has passed.
 */
export function nextLookAt(timing: Pick<Timing, 'groupIntervalSeconds'>, dueMs: number, nowMs: number): number {
  const intervalMs = timing.groupIntervalSeconds * 1000;
  const next = dueMs + intervalMs;
  return next > nowMs ? next : nowMs + intervalMs;
}

const isSubset = (sub: Iterable<string>, of: ReadonlySet<string>) => [...sub].every((x) => of.has(x));

/** Whether the group needs a notification now, and why (Alertmanager's DedupStage.needsUpdate; resolved alerts are always sent). */
export function needsUpdate(state: GroupState, all: readonly GroupMember[], timing: Timing, nowMs: number): { send: boolean; reason: FlushReason } {
  // Silenced alerts are not notified (Alertmanager filters them before its dedup stage); with none
  // left there is nothing to say.
  const members = all.filter((m) => !m.muted);
  if (!members.length) return { send: false, reason: 'nothing_new' };
  const firing = members.filter((m) => m.status === 'firing').map((m) => m.fingerprint);
  const resolved = members.filter((m) => m.status === 'resolved').map((m) => m.fingerprint);
  const known = state.lastNotifiedAtMs !== null || state.notifiedFiring.length > 0;
  if (!known) return firing.length ? { send: true, reason: 'first_notification' } : { send: false, reason: 'nothing_new' };
  if (!isSubset(firing, new Set(state.notifiedFiring))) {
    return { send: true, reason: state.notifiedFiring.length === 0 ? 'first_notification' : 'new_alerts' };
  }
  // Nothing fires: tell the receiver only if it knew of firing alerts.
  if (firing.length === 0) return state.notifiedFiring.length > 0 ? { send: true, reason: 'all_resolved' } : { send: false, reason: 'nothing_new' };
  if (!isSubset(resolved, new Set(state.notifiedResolved))) return { send: true, reason: 'new_resolved' };
  if (state.lastNotifiedAtMs !== null && state.lastNotifiedAtMs <= nowMs - timing.repeatIntervalSeconds * 1000) return { send: true, reason: 'repeat_interval' };
  return { send: false, reason: 'nothing_new' };
}

/** One look at a group that is due (`state.nextFlushAtMs <= nowMs`); a notification lists the members that are not muted. */
export function decideFlush(state: GroupState, members: readonly GroupMember[], timing: Timing, nowMs: number): FlushDecision {
  const { send, reason } = needsUpdate(state, members, timing, nowMs);
  const drop = members.filter((m) => m.status === 'resolved').map((m) => m.fingerprint);
  const remove = members.length === drop.length;
  const next: GroupState = {
    nextFlushAtMs: nextLookAt(timing, state.nextFlushAtMs, nowMs),
    lastNotifiedAtMs: send ? nowMs : state.lastNotifiedAtMs,
    notifiedFiring: send ? members.filter((m) => m.status === 'firing' && !m.muted).map((m) => m.fingerprint) : state.notifiedFiring,
    notifiedResolved: send ? drop : state.notifiedResolved,
  };
  return { send, reason, drop, remove, next };
}
