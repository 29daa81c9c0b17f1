import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryResult } from './notifier.js';
import { backoffMs, shouldRetry, type BackoffPolicy } from './retry.js';

const policy = (over: Partial<BackoffPolicy> = {}): BackoffPolicy => ({ baseMs: 1000, maxMs: 30_000, factor: 2, ...over });

describe('backoffMs', () => {
  const cases: { name: string; attempt: number; policy: BackoffPolicy; retryAfterMs?: number; ms: number }[] = [
    { name: 'no jitter, first retry waits base', attempt: 1, policy: policy({ jitter: 'none' }), ms: 1000 },
    { name: 'no jitter, grows by factor', attempt: 3, policy: policy({ jitter: 'none' }), ms: 4000 },
    { name: 'no jitter, capped at max', attempt: 10, policy: policy({ jitter: 'none' }), ms: 30_000 },
    { name: 'factor 3', attempt: 3, policy: policy({ jitter: 'none', factor: 3 }), ms: 9000 },
    { name: 'full jitter scales the delay', attempt: 3, policy: policy({ random: () => 0.25 }), ms: 1000 },
    { name: 'full jitter may be zero', attempt: 3, policy: policy({ random: () => 0 }), ms: 0 },
    { name: 'equal jitter keeps half', attempt: 3, policy: policy({ jitter: 'equal', random: () => 0 }), ms: 2000 },
    { name: 'equal jitter at most the delay', attempt: 3, policy: policy({ jitter: 'equal', random: () => 0.999999 }), ms: 4000 },
    { name: 'Retry-After longer than the backoff wins', attempt: 1, policy: policy({ random: () => 0.5 }), retryAfterMs: 7000, ms: 7000 },
    { name: 'Retry-After beyond maxMs is still honoured', attempt: 1, policy: policy({ jitter: 'none' }), retryAfterMs: 120_000, ms: 120_000 },
    { name: 'a backoff longer than Retry-After wins', attempt: 5, policy: policy({ jitter: 'none' }), retryAfterMs: 1000, ms: 16_000 },
    { name: 'attempt below 1 counts as 1', attempt: 0, policy: policy({ jitter: 'none' }), ms: 1000 },
    { name: 'an out-of-range random source is clamped', attempt: 2, policy: policy({ random: () => 7 }), ms: 2000 },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(backoffMs(c.attempt, c.policy, c.retryAfterMs), c.ms));
  }

  test('full jitter stays within [0, cap] for a deterministic sequence', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ms = backoffMs(attempt, policy({ random }));
      assert.ok(ms >= 0 && ms <= Math.min(30_000, 1000 * 2 ** (attempt - 1)), `${attempt}: ${ms}`);
    }
  });
});

describe('shouldRetry', () => {
  const ok: DeliveryResult = { ok: true, retryable: false, status: 202, classification: 'http_2xx' };
  const transient: DeliveryResult = { ok: false, retryable: true, status: 503, classification: 'http_5xx' };
  const permanent: DeliveryResult = { ok: false, retryable: false, status: 400, classification: 'http_4xx' };
  const cases: [string, DeliveryResult, number, number, boolean][] = [
    ['success', ok, 1, 5, false],
    ['transient, attempts left', transient, 1, 5, true],
    ['transient, last attempt', transient, 5, 5, false],
    ['transient, single attempt allowed', transient, 1, 1, false],
    ['permanent', permanent, 1, 5, false],
  ];
  for (const [name, result, attempt, max, expected] of cases) test(name, () => assert.equal(shouldRetry(result, attempt, max), expected));
});
