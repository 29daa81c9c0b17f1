// Standard Webhooks signatures (https://www.standardwebhooks.com): the receiver checks that a request
// comes from us, unaltered and recently, with a shared secret `whsec_<base64>`:
//   webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>
// where the key is the secret's decoded bytes. Pure functions, no clock: time comes in as arguments.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const webhookSecretPrefix = 'whsec_';
/** Decoded key length bounds, in bytes (the specification's 24..64). */
export const minSecretBytes = 24;
export const maxSecretBytes = 64;
/** Default accepted clock difference between signer and verifier, in seconds (the specification's 5 minutes). */
export const defaultToleranceSeconds = 300;

/** The HMAC key of a `whsec_<base64>` secret, or what is wrong with the secret. */
export function webhookKey(secret: string): Buffer | string {
  if (!secret.startsWith(webhookSecretPrefix)) return `must start with "${webhookSecretPrefix}" followed by base64`;
  const b64 = secret.slice(webhookSecretPrefix.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return `must be "${webhookSecretPrefix}" followed by standard base64`;
  const key = Buffer.from(b64, 'base64');
  if (key.length < minSecretBytes || key.length > maxSecretBytes) return `must encode ${minSecretBytes} to ${maxSecretBytes} bytes (has ${key.length})`;
  return key;
}

/** A new random secret `whsec_<base64 of 32 bytes>`; `random` is injectable for tests. */
export function generateWebhookSecret(random: (size: number) => Uint8Array = randomBytes): string {
  return webhookSecretPrefix + Buffer.from(random(32)).toString('base64');
}

function hmac(key: Buffer, id: string, timestampSeconds: number | string, body: string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest();
}

/**
 * The `webhook-signature` header value `v1,<base64>` for one message. Throws when the secret is
 * not a valid `whsec_` secret (configurations are validated before they get here).
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = webhookKey(secret);
  if (typeof key === 'string') throw new Error(`webhook secret ${key}`);
  if (!Number.isInteger(timestampSeconds)) throw new Error('webhook timestamp must be whole seconds');
  return `v1,${hmac(key, id, timestampSeconds, body).toString('base64')}`;
}

/** The three headers of a signed request, as received. */
export interface WebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks a received request: the timestamp within `toleranceSeconds` of `now` (both ways, replays
 * and clock skew), and at least one `v1,` signature of the space-separated list (several during a
 * secret rotation) equal to ours, compared in constant time. `body` is the raw body, byte for byte.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string,
  opts: { now: Date; toleranceSeconds?: number },
): VerifyResult {
  const key = webhookKey(secret);
  if (typeof key === 'string') return { ok: false, reason: `the secret ${key}` };
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: 'webhook-id, webhook-timestamp and webhook-signature are required' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'webhook-timestamp is not unix seconds' };
  const tolerance = opts.toleranceSeconds ?? defaultToleranceSeconds;
  const skew = Math.abs(Math.floor(opts.now.getTime() / 1000) - Number(timestamp));
  if (skew > tolerance) return { ok: false, reason: `webhook-timestamp is ${skew} s away from now (tolerance ${tolerance} s)` };
  const expected = hmac(key, id, timestamp, body);
  for (const part of signature.split(' ')) {
    const comma = part.indexOf(',');
    if (comma < 0 || part.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(part.slice(comma + 1), 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no v1 signature matches' };
}
