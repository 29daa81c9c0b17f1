// Generic outgoing webhook, signed per Standard Webhooks. The request:
//
//   POST <url>
//   content-type: application/json
//   webhook-id: <notification.deliveryId>        the same on every retry: receivers deduplicate on it
//   webhook-timestamp: <unix seconds of the attempt>
//   webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>
//
//   {
//     "type": "alert.firing",                 // alert.firing | alert.acknowledged | alert.resolved | alert.test
//     "timestamp": "2024-05-01T12:00:00.000Z", // when this attempt was made (ISO-8601)
//     "data": {
//       "event": "firing",                     // firing | acknowledged | resolved | test
//       "org": { "id": "…", "name": "…" },
//       "alert": {
//         "id", "fingerprint", "ruleId", "ruleName", "ruleKind", "severity", "state", "summary",
//         "labels": {…}, "annotations": {…}, "value": number | null, "startsAt": ISO, "endsAt": ISO | null,
//         "url": string | null, "details": {…}, "actor"?: { "kind", "id", "comment" }
//       },
//       "group"?: { "key", "labels", "receiver", "status", "alerts": [alert…], "truncatedAlerts" }
//     }
//   }
//
// `group` is there when the channel groups alerts (one message for the group; `alert` is its first).
// With `format: "alertmanager"` the body is instead Alertmanager's webhook message, version 4
// (../alertmanager/webhook-message.ts), signed the same way, for receivers written for Alertmanager.
// Alertmanager knows only firing and resolved: an acknowledged event is a firing message whose
// acknowledged alerts carry the annotation `acknowledged: "true"`, a test event a firing message.
//
// Any 2xx is success. The secret is required: an unsigned webhook cannot be trusted by its receiver,
// and generating one here would make parseConfig differ on every call; the API generates one with
// generateWebhookSecret() when the user gives none, and shows it once.
import { alertmanagerWebhookMessage } from '../alertmanager/webhook-message.js';
import { postJson } from '../http.js';
import type { AlertNotification, DeliveryResult, NotificationGroup, Notifier, SendOptions } from '../notifier.js';
import { redacted } from '../secrets.js';
import { ConfigReader } from '../validate.js';
import { signWebhook, webhookKey } from './signature.js';

export { generateWebhookSecret, signWebhook, verifyWebhook } from './signature.js';

/** The bodies a webhook can send. */
export const webhookFormats = ['intentvision', 'alertmanager'] as const;
export type WebhookFormat = (typeof webhookFormats)[number];

export interface WebhookConfig {
  /** https URL (http only for localhost). */
  url: string;
  /** `whsec_<base64>` of 24..64 bytes. */
  secret: string;
  /** The body: the platform's own (default) or Alertmanager's webhook message. */
  format: WebhookFormat;
}

/** The JSON body a webhook receives; see the comment at the top of this file. */
export interface WebhookBody {
  type: `alert.${AlertNotification['event']}`;
  timestamp: string;
  data: { event: AlertNotification['event']; org: AlertNotification['org']; alert: AlertNotification['alert']; group?: NotificationGroup };
}

export function webhookBody(n: AlertNotification, now: Date): WebhookBody {
  return { type: `alert.${n.event}`, timestamp: now.toISOString(), data: { event: n.event, org: n.org, alert: n.alert, ...(n.group && { group: n.group }) } };
}

/** The body text of `n` in `format`. */
export function webhookPayload(format: WebhookFormat, n: AlertNotification, now: Date): string {
  return JSON.stringify(format === 'alertmanager' ? alertmanagerWebhookMessage(n, now) : webhookBody(n, now));
}

/** Query values may carry receivers' tokens: kept out of what the API shows. */
function redactQuery(url: string): string {
  const u = new URL(url);
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, redacted);
  return u.href.replaceAll(encodeURIComponent(redacted), redacted);
}

export const webhookNotifier: Notifier<WebhookConfig> = {
  type: 'webhook',

  parseConfig(raw) {
    const r = ConfigReader.of(raw, 'webhook');
    const url = r.webUrl('url', { required: true });
    const secret = r.string('secret', { required: true, maxLength: 200 });
    if (secret !== undefined) {
      const key = webhookKey(secret);
      if (typeof key === 'string') r.fail('secret', key);
    }
    const format = r.string('format', { maxLength: 32 }) ?? 'intentvision';
    if (!(webhookFormats as readonly string[]).includes(format)) r.fail('format', `must be one of ${webhookFormats.join(', ')}`);
    return r.finish('webhook', () => ({ url: url!, secret: secret!, format: format as WebhookFormat }));
  },

  redact(config) {
    return { url: redactQuery(config.url), secret: redacted, format: config.format };
  },

  destinations(config) {
    return [{ field: 'config.url', host: new URL(config.url).hostname }];
  },

  async send(config: WebhookConfig, n: AlertNotification, options: SendOptions): Promise<DeliveryResult> {
    const body = webhookPayload(config.format, n, options.now);
    const timestamp = Math.floor(options.now.getTime() / 1000);
    const u = new URL(config.url);
    return postJson(config.url, body, {
      headers: {
        'webhook-id': n.deliveryId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(config.secret, n.deliveryId, timestamp, body),
      },
      timeoutMs: options.timeoutMs,
      outbound: options.outbound,
      now: options.now,
      ...(options.signal && { signal: options.signal }),
      secrets: [config.secret, config.secret.slice('whsec_'.length), ...u.searchParams.values()],
    });
  },
};
