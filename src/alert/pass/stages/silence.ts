// The mute stage: which active silence (if any) mutes an alert with these labels now. A silence
// changes the alert's state (suppressed), not only whether it is notified, so the step applies it as
// it moves each alert through the lifecycle.
import type { Labels } from '../../../core/labels.js';
import { findSilence, type SilenceWindow } from '../../silence.js';

/** Looks up the silence muting an alert's labels; null when none does. */
export type Mute = (labels: Labels) => string | null;

/** The mute lookup of an org's silences at `nowMs` (pure). */
export function muteBy(silences: readonly (SilenceWindow & { id: string })[], nowMs: number): Mute {
  return (labels) => findSilence(silences, labels, nowMs)?.id ?? null;
}
