// PagerDuty through the Events API v2 (POST {routing_key, event_action, dedup_key, payload, …}).
// PagerDuty answers 202 {status: "success", message: "Event processed", dedup_key}; 400 (invalid
// event) is permanent; 429 and 5xx are retried. The routing key (integration key) lets anyone open
// incidents on the service, so it is a secret.
import { postJson } from '../http.js';
import type { AlertNotification, DeliveryResult, Notifier, SendOptions } from '../notifier.js';
import { redacted } from '../secrets.js';
import { ConfigReader } from '../validate.js';
import { pagerDutyEvents } from './event.js';

export const defaultEventsUrl = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutyConfig {
  /** The 32-character integration (routing) key of an Events API v2 integration. */
  routingKey: string;
  /** Default {@link defaultEventsUrl}; e.g. https://events.eu.pagerduty.com/v2/enqueue for the EU service region. */
  eventsUrl: string;
}

export const pagerDutyNotifier: Notifier<PagerDutyConfig> = {
  type: 'pagerduty',

  parseConfig(raw) {
    const r = ConfigReader.of(raw, 'pagerduty');
    const routingKey = r.string('routingKey', { required: true, maxLength: 64 });
    if (routingKey !== undefined && !/^[A-Za-z0-9]{32}$/.test(routingKey)) r.fail('routingKey', 'must be the 32-character integration key of an Events API v2 integration');
    const eventsUrl = r.webUrl('eventsUrl', { required: false }) ?? defaultEventsUrl;
    return r.finish('pagerduty', () => ({ routingKey: routingKey!, eventsUrl }));
  },

  redact(config) {
    return { routingKey: redacted, eventsUrl: config.eventsUrl };
  },

  destinations(config) {
    return [{ field: 'config.eventsUrl', host: new URL(config.eventsUrl).hostname }];
  },

  /** Sends the events of {@link pagerDutyEvents} in order and stops at the first failure. */
  async send(config: PagerDutyConfig, n: AlertNotification, options: SendOptions): Promise<DeliveryResult> {
    const events = pagerDutyEvents(config.routingKey, n, options.now);
    let result: DeliveryResult = { ok: false, classification: 'notifier_error', retryable: false, error: 'no event to send' };
    for (const [i, event] of events.entries()) {
      result = await postJson(config.eventsUrl, JSON.stringify(event), {
        timeoutMs: options.timeoutMs,
        outbound: options.outbound,
        now: options.now,
        ...(options.signal && { signal: options.signal }),
        secrets: [config.routingKey],
      });
      // A test's trigger went through but its resolve did not: a retry sends both again (same dedup_key).
      if (!result.ok) return i > 0 && result.error ? { ...result, error: `${event.event_action} after the test trigger: ${result.error}` } : result;
    }
    return result;
  },
};
