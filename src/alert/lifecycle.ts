// The alert instance state machine (pure). The condition status (./rule.ts) says what the data shows;
// the alert state adds what people and silences did:
//
//   condition pending  → pending          condition firing → firing (once fired, an instance stays
//   condition inactive → resolved           firing even if its condition reports pending again)
//   a matching silence → suppressed (from pending or firing); back when the silence ends
//   acknowledged sticks until the alert resolves (silences do not touch it)
//   resolved is final: the next pending/firing condition opens a NEW instance (step.newInstance)
//
// Manual actions: acknowledge from firing; resolve from any open state. A manually resolved alert whose
// condition still holds opens a new instance at the next evaluation, as the condition says.
import { AppError } from '../core/errors.js';
import type { EvaluationResult } from './rule.js';

export const alertStates = ['pending', 'firing', 'acknowledged', 'resolved', 'suppressed'] as const;
export type AlertState = (typeof alertStates)[number];

/** Who changed the state. `system`: the evaluator (id null). */
export interface ActorRef {
  kind: 'system' | 'key' | 'user';
  /** API key id or user id; null for the system. */
  id: string | null;
}

export interface Actor extends ActorRef {
  comment: string | null;
}

export interface Transition {
  /** null: the instance was created in this transition. */
  from: AlertState | null;
  to: AlertState;
  /** Epoch ms. */
  at: number;
  actor: Actor;
}

/** The lifecycle part of an alert instance; the store's record extends it (id, fingerprint, rule, …). */
export interface AlertInstance {
  state: AlertState;
  /** When the instance opened (its first pending or firing), ms. */
  startedAtMs: number;
  /** When its condition first fired (even while suppressed), ms; null while only pending. */
  firedAtMs: number | null;
  acknowledgedAtMs: number | null;
  /** When it resolved, ms (the notification's endsAt); null while open. */
  resolvedAtMs: number | null;
  /** The silence keeping it suppressed; null otherwise. */
  silenceId: string | null;
}

export interface LifecycleStep {
  /** The instance after this pass: null only when there was none and the condition is inactive. */
  instance: AlertInstance | null;
  /** What changed, in order (empty when nothing did). */
  transitions: Transition[];
  /**
   * true: `instance` is a new alert to insert (a new id, fingerprint history continues); the previous
   * instance, if any, was already resolved and stays as it is. false: update the current one.
   */
  newInstance: boolean;
  /** Whether `instance` differs from `current` (a transition, or a new silence id or firedAtMs): write it. */
  changed: boolean;
}

const openStates: readonly AlertState[] = ['pending', 'firing', 'acknowledged', 'suppressed'];

/** Whether the state is open (not resolved). */
export function isOpen(state: AlertState): boolean {
  return state !== 'resolved';
}

/** The state change an action cannot make from the instance's state: the API answers 409 Conflict. */
export class AlertTransitionError extends AppError {
  readonly action: 'acknowledge' | 'resolve';
  readonly state: AlertState;

  constructor(action: 'acknowledge' | 'resolve', state: AlertState, allowedFrom: readonly AlertState[]) {
    super('conflict', `Cannot ${action} an alert that is ${state}; allowed from: ${allowedFrom.join(', ')}`, { action, state, allowedFrom });
    this.name = 'AlertTransitionError';
    this.action = action;
    this.state = state;
  }
}

const system = (comment: string): Actor => ({ kind: 'system', id: null, comment });

/**
 * One evaluation pass: the alert instance of a (rule, series) after its condition's latest result.
 * `current` is the newest instance for the fingerprint (open or resolved) or null; `silenceId` is the
 * id of an active silence matching the alert's labels (./silence.ts), null when none matches.
 */
export function advanceAlert(current: AlertInstance | null, result: Pick<EvaluationResult, 'state'>, silenceId: string | null, nowMs: number): LifecycleStep {
  const status = result.state.status;
  if (!current || current.state === 'resolved') {
    if (status === 'inactive') return { instance: current, transitions: [], newInstance: false, changed: false };
    const firedAtMs = status === 'firing' ? nowMs : null;
    const to: AlertState = silenceId ? 'suppressed' : firedAtMs !== null ? 'firing' : 'pending';
    const instance: AlertInstance = { state: to, startedAtMs: nowMs, firedAtMs, acknowledgedAtMs: null, resolvedAtMs: null, silenceId };
    return { instance, transitions: [{ from: null, to, at: nowMs, actor: system(reasonFor(to, silenceId)) }], newInstance: true, changed: true };
  }

  if (status === 'inactive') {
    const instance: AlertInstance = { ...current, state: 'resolved', resolvedAtMs: nowMs, silenceId: null };
    return { instance, transitions: [{ from: current.state, to: 'resolved', at: nowMs, actor: system('condition no longer holds') }], newInstance: false, changed: true };
  }
  if (current.state === 'acknowledged') return { instance: current, transitions: [], newInstance: false, changed: false };

  const firedAtMs = current.firedAtMs ?? (status === 'firing' ? nowMs : null);
  const to: AlertState = silenceId ? 'suppressed' : firedAtMs !== null ? 'firing' : 'pending';
  if (to === current.state && firedAtMs === current.firedAtMs && silenceId === current.silenceId) return { instance: current, transitions: [], newInstance: false, changed: false };
  const instance: AlertInstance = { ...current, state: to, firedAtMs, silenceId };
  if (to === current.state) return { instance, transitions: [], newInstance: false, changed: true };
  const comment = current.state === 'suppressed' ? `silence ended; ${reasonFor(to, null)}` : reasonFor(to, silenceId);
  return { instance, transitions: [{ from: current.state, to, at: nowMs, actor: system(comment) }], newInstance: false, changed: true };
}

function reasonFor(to: AlertState, silenceId: string | null): string {
  return to === 'suppressed' ? `silenced by ${silenceId}` : to === 'firing' ? 'condition firing' : 'condition pending';
}

export interface ManualStep {
  instance: AlertInstance;
  transition: Transition;
}

const acknowledgeFrom: readonly AlertState[] = ['firing'];

/** Manual acknowledgement (only a firing alert can be acknowledged); throws AlertTransitionError otherwise. */
export function acknowledge(instance: AlertInstance, actor: ActorRef, comment: string | null, nowMs: number): ManualStep {
  if (!acknowledgeFrom.includes(instance.state)) throw new AlertTransitionError('acknowledge', instance.state, acknowledgeFrom);
  return {
    instance: { ...instance, state: 'acknowledged', acknowledgedAtMs: nowMs },
    transition: { from: instance.state, to: 'acknowledged', at: nowMs, actor: { kind: actor.kind, id: actor.id, comment } },
  };
}

/** Manual resolution from any open state; throws AlertTransitionError when already resolved. */
export function resolve(instance: AlertInstance, actor: ActorRef, comment: string | null, nowMs: number): ManualStep {
  if (!openStates.includes(instance.state)) throw new AlertTransitionError('resolve', instance.state, openStates);
  return {
    instance: { ...instance, state: 'resolved', resolvedAtMs: nowMs, silenceId: null },
    transition: { from: instance.state, to: 'resolved', at: nowMs, actor: { kind: actor.kind, id: actor.id, comment } },
  };
}
