// Delivering one notification through one channel with retries: send, record the attempt, wait per
// the backoff policy, and again, until success, a permanent failure or the last attempt. The caller
// (the delivery job) persists each attempt from `onAttempt` and moves a failed delivery to the
// dead-letter table; clock and sleep are injected, so this holds no timers of its own.
import type { OutboundGuard } from '../net/outbound.js';
import type { AlertNotification, DeliveryClassification, DeliveryResult, Notifier } from './notifier.js';
import { backoffMs, shouldRetry, type BackoffPolicy } from './retry.js';
import type { Clock } from '../core/clock.js';

/** One attempt, as the delivery job stores it. */
export interface AttemptRecord {
  /** 1-based. */
  attempt: number;
  /** When the attempt started. */
  at: Date;
  ok: boolean;
  status?: number;
  classification: DeliveryClassification;
  retryable: boolean;
  error?: string;
  retryAfterMs?: number;
  /** From start to result, by the injected clock, in ms. */
  durationMs: number;
  /** The wait before the next attempt, in ms, when there will be one. */
  nextDelayMs?: number;
}

export interface DeliverOptions {
  /** Attempts in all, the first included (≥ 1). */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Waits ms (resolving early when `signal` aborts is fine); tests pass one that returns at once. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The wall clock, read at the start and end of each attempt. */
  now: Clock;
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Checks every connection the notifier makes. */
  outbound: OutboundGuard;
  /** Stops between attempts (shutdown); the attempt in flight is aborted too. */
  signal?: AbortSignal;
  /** Called after every attempt, before any wait; awaited, and its errors propagate. */
  onAttempt?: (record: AttemptRecord) => void | Promise<void>;
}

export interface DeliveryOutcome {
  ok: boolean;
  /** Attempts made. */
  attempts: number;
  /** Failed with a retryable error on the last allowed attempt: the dead-letter case. */
  exhausted: boolean;
  /** Failed for good (not retryable), whatever the attempt. */
  permanent: boolean;
  /** Stopped by `signal` before success: neither exhausted nor permanent; deliver again later. */
  aborted: boolean;
  lastResult: DeliveryResult;
  records: AttemptRecord[];
}

/** A sleep for production callers: a plain timer that ends early on abort. */
export function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Sends `notification` through `notifier` until it succeeds, fails permanently, or `maxAttempts`
 * are used. A notifier that throws (a bug: the contract says never) counts as a permanent failure.
 */
export async function deliverWithRetries<C>(
  notifier: Notifier<C>,
  config: C,
  notification: AlertNotification,
  opts: DeliverOptions,
): Promise<DeliveryOutcome> {
  const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts));
  const records: AttemptRecord[] = [];
  let result: DeliveryResult = { ok: false, classification: 'aborted', retryable: true, error: 'not attempted' };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (opts.signal?.aborted) return outcome(result, records, { aborted: true });
    const at = opts.now();
    try {
      result = await notifier.send(config, notification, { now: at, timeoutMs: opts.timeoutMs, outbound: opts.outbound, ...(opts.signal && { signal: opts.signal }) });
    } catch (e) {
      result = { ok: false, classification: 'notifier_error', retryable: false, error: `the ${notifier.type} notifier threw ${e instanceof Error ? e.name : typeof e}` };
    }
    const durationMs = Math.max(0, opts.now().getTime() - at.getTime());
    const retry = shouldRetry(result, attempt, maxAttempts) && !opts.signal?.aborted;
    const nextDelayMs = retry ? backoffMs(attempt, opts.backoff, result.retryAfterMs) : undefined;
    const record: AttemptRecord = {
      attempt,
      at,
      ok: result.ok,
      classification: result.classification,
      retryable: result.retryable,
      durationMs,
      ...(result.status !== undefined && { status: result.status }),
      ...(result.error !== undefined && { error: result.error }),
      ...(result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
      ...(nextDelayMs !== undefined && { nextDelayMs }),
    };
    records.push(record);
    await opts.onAttempt?.(record);
    if (nextDelayMs === undefined) break;
    await opts.sleep(nextDelayMs, opts.signal);
  }
  return outcome(result, records, { aborted: !result.ok && result.retryable && records.length < maxAttempts && !!opts.signal?.aborted });
}

function outcome(lastResult: DeliveryResult, records: AttemptRecord[], { aborted }: { aborted: boolean }): DeliveryOutcome {
  const failed = !lastResult.ok;
  return {
    ok: lastResult.ok,
    attempts: records.length,
    exhausted: failed && lastResult.retryable && !aborted && records.length > 0,
    permanent: failed && !lastResult.retryable,
    aborted,
    lastResult,
    records,
  };
}
