// Forwarding to a Prometheus Alertmanager through its API v2, as Prometheus' own notifier does, so a
// team keeps its routing, inhibition and silences there. The request:
//
//   POST <url>/api/v2/alerts
//   content-type: application/json
//   authorization: Basic … | Bearer …          when configured
//
//   [{ "labels": {…}, "annotations": {…}, "startsAt": ISO, "endsAt": ISO, "generatorURL": "…" }, …]
//
// Events: firing and acknowledged post the alerts as firing, valid for 4 minutes (the
// `alertmanager-resend` job re-posts firing alerts every minute); resolved posts them with their
// resolution time; test posts an empty array. Alertmanager answers 200; 400 (an invalid alert) is
// permanent; 429 and 5xx are retried.
import { postJson } from '../http.js';
import type { AlertNotification, DeliveryResult, Notifier, SendOptions } from '../notifier.js';
import { redacted } from '../secrets.js';
import { ConfigReader } from '../validate.js';
import { postableAlerts } from './postable.js';

export interface AlertmanagerConfig {
  /** The Alertmanager's base URL (https; http only for localhost), e.g. `https://am.example.com` or `https://example.com/alertmanager`. */
  url: string;
  basicAuth?: { username: string; password: string };
  bearerToken?: string;
}

/** Where alerts are posted: the base URL's path, then `api/v2/alerts`. */
export function alertsEndpoint(config: Pick<AlertmanagerConfig, 'url'>): string {
  const u = new URL(config.url);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  return u.href;
}

/** A secret string that may hold meaningful spaces: checked for presence and length, never trimmed. */
function secretString(r: ConfigReader, key: string): string | undefined {
  const v = r.value(key);
  if (typeof v !== 'string' || v === '') return r.fail(key, 'is required');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) return r.fail(key, 'must not contain control characters or line breaks');
  if (v.length > 1024) return r.fail(key, 'must be at most 1024 characters');
  return v;
}

function authorization(config: AlertmanagerConfig): Record<string, string> {
  if (config.basicAuth) return { authorization: `Basic ${Buffer.from(`${config.basicAuth.username}:${config.basicAuth.password}`, 'utf8').toString('base64')}` };
  if (config.bearerToken) return { authorization: `Bearer ${config.bearerToken}` };
  return {};
}

export const alertmanagerNotifier: Notifier<AlertmanagerConfig> = {
  type: 'alertmanager',

  parseConfig(raw) {
    const r = ConfigReader.of(raw, 'alertmanager');
    const url = r.webUrl('url', { required: true });
    if (url !== undefined) {
      const u = new URL(url);
      if (u.search || u.hash) r.fail('url', 'must be the base URL, without a query or fragment');
      else if (/\/api\/v[12]\/alerts\/*$/.test(u.pathname)) r.fail('url', 'must be the base URL: /api/v2/alerts is added to it');
    }
    const basicAuth = r.object('basicAuth', (a) => {
      const username = a.string('username', { required: true, maxLength: 256 });
      if (username?.includes(':')) a.fail('username', 'must not contain ":" (HTTP basic authentication)');
      const password = secretString(a, 'password');
      return username !== undefined && password !== undefined ? { username, password } : undefined;
    });
    const hasToken = r.value('bearerToken') !== undefined;
    const bearerToken = hasToken ? secretString(r, 'bearerToken') : undefined;
    if (basicAuth && bearerToken !== undefined) r.fail('bearerToken', 'cannot be combined with basicAuth: choose one');
    return r.finish('alertmanager', () => ({
      url: url!,
      ...(basicAuth && { basicAuth }),
      ...(bearerToken !== undefined && { bearerToken }),
    }));
  },

  redact(config) {
    return {
      url: config.url,
      ...(config.basicAuth && { basicAuth: { username: config.basicAuth.username, password: redacted } }),
      ...(config.bearerToken !== undefined && { bearerToken: redacted }),
    };
  },

  destinations(config) {
    return [{ field: 'config.url', host: new URL(config.url).hostname }];
  },

  async send(config: AlertmanagerConfig, n: AlertNotification, options: SendOptions): Promise<DeliveryResult> {
    const auth = authorization(config);
    return postJson(alertsEndpoint(config), JSON.stringify(postableAlerts(n, options.now)), {
      headers: auth,
      timeoutMs: options.timeoutMs,
      outbound: options.outbound,
      now: options.now,
      ...(options.signal && { signal: options.signal }),
      secrets: [config.basicAuth?.password, config.bearerToken, auth.authorization, auth.authorization?.split(' ')[1]].filter((s): s is string => !!s),
    });
  },
};
