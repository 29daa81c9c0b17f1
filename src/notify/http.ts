// One JSON POST for the web channels (Slack, webhook, PagerDuty), turned into a DeliveryResult: the
// status, the first bytes of the answer, whether a retry may help, and the Retry-After. Secrets given
// by the channel are scrubbed from every string that goes into the result.
import type { DeliveryResult } from './notifier.js';
import { clip, scrubSecrets } from './secrets.js';

/** How much of an answer is kept for the attempt record, in bytes. */
export const maxResponseBytes = 1024;

/** Retry-After values beyond this are cut to it, in ms: a receiver cannot park a delivery for days. */
export const maxRetryAfterMs = 60 * 60 * 1000;

export const userAgent = 'IntentVision-Notify/0.1';

export interface PostOptions {
  headers?: Record<string, string>;
  /** Per-attempt timeout in ms, covering the connection, the request and reading the answer. */
  timeoutMs: number;
  /** Cancels the attempt (shutdown); the result is then a retryable failure. */
  signal?: AbortSignal;
  /** The attempt's wall clock, to read a Retry-After given as an HTTP date. */
  now: Date;
  /** Strings that must never appear in `error` or `response` (URL tokens, keys). */
  secrets: readonly string[];
}

/**
 * POSTs `body` (JSON text) to `url`. 2xx is success; 429 and 5xx, network errors and timeouts are
 * retryable; any other status is not. Redirects are not followed: a channel's URL is configured
 * explicitly, and following one would re-send signed payloads to wherever the receiver points.
 * Never throws.
 */
export async function postJson(url: string, body: string, opts: PostOptions): Promise<DeliveryResult> {
  const scrub = (s: string): string => scrubSecrets(s, opts.secrets);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent, ...opts.headers },
      body,
      redirect: 'manual',
      signal,
    });
    // Read under the same signal: a receiver may send headers and then stall.
    const text = await readStart(res, maxResponseBytes);
    const response = text === '' ? undefined : scrub(text);
    const status = res.status;
    if (status >= 200 && status < 300) return { ok: true, status, retryable: false, ...(response !== undefined && { response }) };
    const retryable = status === 429 || status >= 500;
    const retryAfterMs = retryable ? parseRetryAfter(res.headers.get('retry-after'), opts.now) : undefined;
    const what = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
    const firstLine = response ? `: ${clip(response.split('\n')[0]!.trim(), 200)}` : '';
    return {
      ok: false,
      status,
      retryable,
      error: `HTTP ${status}${what}${firstLine}`,
      ...(response !== undefined && { response }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  } catch (e) {
    if (opts.signal?.aborted) return { ok: false, retryable: true, error: 'aborted before the receiver answered' };
    if (timeout.aborted) return { ok: false, retryable: true, error: `timed out after ${opts.timeoutMs} ms` };
    return { ok: false, retryable: true, error: scrub(`network error: ${networkError(e)}`) };
  }
}

/** At most `maxBytes` of the body as text (with an ellipsis when there was more); the rest is discarded. */
async function readStart(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let more = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > maxBytes) {
      more = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const bytes = Buffer.concat(chunks).subarray(0, maxBytes);
  // A multi-byte character cut at the end decodes to U+FFFD; dropped with the rest.
  const text = new TextDecoder().decode(bytes).replace(/\uFFFD+$/, '');
  return more ? `${text}…` : text;
}

/**
 * A Retry-After header (delta seconds or an HTTP date, RFC 9110 §10.2.3) in ms from `now`, capped at
 * {@link maxRetryAfterMs}; undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined;
  const h = header.trim();
  let ms: number;
  if (/^\d+$/.test(h)) ms = Number(h) * 1000;
  else {
    const at = Date.parse(h);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), maxRetryAfterMs);
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ECONNRESET, …). */
function networkError(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return e instanceof Error ? e.message : String(e);
}
