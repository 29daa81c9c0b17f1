// The enqueue stage: the deliveries of the events to send — one per enabled channel of the rule,
// plus channels told of the firing that the rule no longer names (so follow-ups reach them).
import type { AlertEvent } from '../../../notify/notifier.js';
import type { NewAlert, StoredAlert } from '../../alerts-store.js';
import type { NewDelivery } from '../../deliveries-store.js';
import type { Actor } from '../../lifecycle.js';
import { payloadOf } from '../../payload.js';

type Channel = { id: string; enabled: boolean };

/** Deliveries of one event to every enabled channel. */
export function deliveriesFor(channels: readonly Channel[], alertId: string, event: AlertEvent, payload: NewDelivery['payload'], maxAttempts: number): NewDelivery[] {
  return channels.filter((c) => c.enabled).map((c) => ({ alertId, channelId: c.id, event, payload, maxAttempts }));
}

/** Where and how a pass addresses its notifications. */
export interface Addressing {
  org: { id: string; name: string };
  publicUrl: string | null | undefined;
  /** The rule's channels, in its order. */
  ruleChannels: readonly string[];
  /** Every channel of the org by id. */
  channels: ReadonlyMap<string, Channel>;
  /** Channels already told of each alert (by alert id), for follow-ups. */
  told: ReadonlyMap<string, string[]>;
  maxAttempts: number;
}

/** The deliveries of `send` for `alert` as it is after the pass; `actor` made its last transition (pure). */
export function enqueue(alert: StoredAlert | (NewAlert & { id: string }), send: AlertEvent, actor: Actor | undefined, a: Addressing): NewDelivery[] {
  const channels = a.ruleChannels.flatMap((id) => a.channels.get(id) ?? []);
  const extra = (a.told.get(alert.id) ?? []).filter((id) => !a.ruleChannels.includes(id)).flatMap((id) => a.channels.get(id) ?? []);
  return deliveriesFor([...channels, ...extra], alert.id, send, payloadOf(a.publicUrl, a.org, alert, send, actor), a.maxAttempts);
}
