// Slack through an incoming webhook (a Slack app's "Incoming Webhooks" feature). The webhook URL is
// the only setting: Slack app webhooks post to the channel chosen when the webhook was created and
// ignore `channel`, `username` and `icon_*` overrides (only the retired legacy integrations honoured
// them), so offering those would promise what Slack does not do; a second channel is a second webhook.
// The URL is a bearer secret (anyone holding it can post), so only its origin is ever shown.
// Slack answers 200 "ok"; 400 invalid_payload, 403, 404 channel_not_found/no_service, 410
// channel_is_archived are permanent; 429 (with Retry-After) and 5xx are retried.
import { postJson } from '../http.js';
import type { AlertNotification, DeliveryResult, Notifier, SendOptions } from '../notifier.js';
import { redacted } from '../secrets.js';
import { ConfigReader } from '../validate.js';
import { slackMessage } from './message.js';

export interface SlackConfig {
  /** The incoming-webhook URL, e.g. https://hooks.slack.com/services/T…/B…/…; https (http only for localhost). */
  url: string;
}

/** The parts of a webhook URL that must never show: the whole URL, its path, and each long path segment. */
function urlSecrets(url: string): string[] {
  const u = new URL(url);
  const segments = u.pathname.split('/').filter((s) => s.length >= 8 && s !== 'services');
  return [url, u.pathname + u.search, ...segments];
}

export const slackNotifier: Notifier<SlackConfig> = {
  type: 'slack',

  parseConfig(raw) {
    const r = ConfigReader.of(raw, 'slack');
    const url = r.webUrl('url', { required: true });
    if (url !== undefined && new URL(url).pathname.length <= 1) r.fail('url', 'must be the full incoming-webhook URL, path included');
    return r.finish('slack', () => ({ url: url! }));
  },

  redact(config) {
    return { url: `${new URL(config.url).origin}/${redacted}` };
  },

  destinations(config) {
    return [{ field: 'config.url', host: new URL(config.url).hostname }];
  },

  async send(config: SlackConfig, n: AlertNotification, options: SendOptions): Promise<DeliveryResult> {
    return postJson(config.url, JSON.stringify(slackMessage(n)), {
      timeoutMs: options.timeoutMs,
      outbound: options.outbound,
      now: options.now,
      ...(options.signal && { signal: options.signal }),
      secrets: urlSecrets(config.url),
    });
  },
};
