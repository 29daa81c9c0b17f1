// The enqueue stage: the deliveries of the events to send — one per enabled channel of the rule,
// plus channels told of the firing that the rule no longer names (so follow-ups reach them); on a
// grouped channel, firing and resolved events update the alert's group instead (../../grouping/).
import type { AlertEvent } from '../../../notify/notifier.js';
import type { NewAlert, StoredAlert } from '../../alerts-store.js';
import type { NewDelivery } from '../../deliveries-store.js';
import { routeEvent, type RoutedChannel, type Routed } from '../../grouping/route.js';
import type { Actor } from '../../lifecycle.js';
import { payloadOf } from '../../payload.js';

type Channel = RoutedChannel;

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

/**
 * Where `send` for `alert` (as it is after the pass) goes; `actor` made its last transition (pure): a
 * delivery per channel, or on a grouped channel (firing and resolved events) an update of the alert
 * in its group, which the delivery job notifies when the group is due.
 */
export function route(alert: StoredAlert | (NewAlert & { id: string }), send: AlertEvent, actor: Actor | undefined, a: Addressing): Routed {
  const channels = a.ruleChannels.flatMap((id) => a.channels.get(id) ?? []);
  const extra = (a.told.get(alert.id) ?? []).filter((id) => !a.ruleChannels.includes(id)).flatMap((id) => a.channels.get(id) ?? []);
  return routeEvent([...channels, ...extra], alert.id, send, payloadOf(a.publicUrl, a.org, alert, send, actor), a.maxAttempts);
}

/** The deliveries of {@link route}: the messages that go out one per event. */
export function enqueue(alert: StoredAlert | (NewAlert & { id: string }), send: AlertEvent, actor: Actor | undefined, a: Addressing): NewDelivery[] {
  return route(alert, send, actor, a).deliveries;
}
