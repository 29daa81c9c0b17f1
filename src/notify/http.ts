// One JSON POST for the web channels (Slack, webhook, PagerDuty), turned into a DeliveryResult: the
// status and its class, whether a retry may help, and the Retry-After. The connection goes through the
// outbound guard; the receiver's answer is discarded unread (only its status is kept).
import { request } from 'undici';
import { networkFailure } from '../net/failure.js';
import { parseRetryAfter } from '../net/retry-after.js';
import type { OutboundGuard } from '../net/outbound.js';
import type { DeliveryResult } from './notifier.js';
import { scrubSecrets } from './secrets.js';

/** Retry-After values beyond this are cut to it, in ms: a receiver cannot park a delivery for days. */
export const maxRetryAfterMs = 60 * 60 * 1000;

export const userAgent = 'IntentVision-Notify/0.1';

export interface PostOptions {
  headers?: Record<string, string>;
  /** Per-attempt timeout in ms, covering the connection, the request and draining the answer. */
  timeoutMs: number;
  /** Cancels the attempt (shutdown); the result is then a retryable failure. */
  signal?: AbortSignal;
  /** The attempt's wall clock, to read a Retry-After given as an HTTP date. */
  now: Date;
  /** Strings that must never appear in `error` (URL tokens, keys). */
  secrets: readonly string[];
  /** Checks every address connected to. */
  outbound: OutboundGuard;
}

/**
 * POSTs `body` (JSON text) to `url`. 2xx is success; 429 and 5xx, network errors and timeouts are
 * retryable; any other status is not, nor a refusal by the outbound guard. Redirects are not
 * followed: a channel's URL is configured explicitly, and following one would re-send signed payloads
 * to wherever the receiver points. Never throws.
 */
export async function postJson(url: string, body: string, opts: PostOptions): Promise<DeliveryResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent, ...opts.headers },
      body,
      signal,
      dispatcher: opts.outbound.dispatcher,
    });
    const status = res.statusCode;
    const retryAfter = res.headers['retry-after'];
    // Drained (up to undici's limit, then the connection is closed), never read into the result.
    await res.body.dump().catch(() => undefined);
    if (status >= 200 && status < 300) return { ok: true, status, classification: 'http_2xx', retryable: false };
    const retryable = status === 429 || status >= 500;
    const retryAfterMs = retryable ? retryAfterOf(Array.isArray(retryAfter) ? (retryAfter[0] ?? null) : (retryAfter ?? null), opts.now) : undefined;
    const redirect = status >= 300 && status < 400;
    return {
      ok: false,
      status,
      classification: redirect ? 'http_3xx' : status < 500 ? 'http_4xx' : 'http_5xx',
      retryable,
      error: `HTTP ${status}${redirect ? ' (redirects are not followed)' : ''}`,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  } catch (e) {
    if (opts.signal?.aborted) return { ok: false, classification: 'aborted', retryable: true, error: 'aborted before the receiver answered' };
    if (timeout.aborted) return { ok: false, classification: 'timeout', retryable: true, error: `timed out after ${opts.timeoutMs} ms` };
    const f = networkFailure(e);
    return { ok: false, classification: f.classification, retryable: f.retryable, error: scrubSecrets(f.error, opts.secrets) };
  }
}

/** A receiver's Retry-After in ms from `now`, capped at {@link maxRetryAfterMs}. */
export function retryAfterOf(header: string | null, now: Date): number | undefined {
  return parseRetryAfter(header, now, maxRetryAfterMs);
}
