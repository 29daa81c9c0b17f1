// Where one alert event goes on each channel: a delivery of its own, or, on a grouped channel, an
// update of the alert's entry in its group (firing and resolved events; acknowledgements and tests
// have no place in Alertmanager's model and go out at once). Pure.
import type { Labels } from '../../core/labels.js';
import type { AlertEvent } from '../../notify/notifier.js';
import type { NewDelivery, StoredPayload } from '../deliveries-store.js';
import type { Grouping } from './config.js';
import { groupKeyOf, groupLabelsOf } from './key.js';

/** A channel as routing needs it; `grouping` absent or null: one message per event. */
export interface RoutedChannel {
  id: string;
  enabled: boolean;
  name?: string;
  grouping?: Grouping | null;
}

/** An alert event joining (or updating its entry in) a channel's group. */
export interface GroupAddition {
  channelId: string;
  grouping: Grouping;
  key: string;
  labels: Labels;
  fingerprint: string;
  alertId: string;
  status: 'firing' | 'resolved';
  /** When the alert started, epoch ms (a group made for an old alert is looked at at once). */
  startsAtMs: number;
  payload: StoredPayload;
  maxAttempts: number;
}

export interface Routed {
  deliveries: NewDelivery[];
  grouped: GroupAddition[];
}

/** The deliveries and group additions of one event of alert `alertId` to every enabled channel among `channels`. */
export function routeEvent(channels: readonly RoutedChannel[], alertId: string, event: AlertEvent, payload: StoredPayload, maxAttempts: number): Routed {
  const out: Routed = { deliveries: [], grouped: [] };
  for (const c of channels) {
    if (!c.enabled) continue;
    if (c.grouping && (event === 'firing' || event === 'resolved')) {
      const labels = groupLabelsOf(c.grouping.groupBy, payload.alert.labels);
      out.grouped.push({
        channelId: c.id,
        grouping: c.grouping,
        key: groupKeyOf(c.id, labels),
        labels,
        fingerprint: payload.alert.fingerprint,
        alertId,
        status: event,
        startsAtMs: Date.parse(payload.alert.startsAt),
        payload,
        maxAttempts,
      });
    } else out.deliveries.push({ alertId, channelId: c.id, event, payload, maxAttempts });
  }
  return out;
}
