import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loopbackOutbound, sampleNotification, startPagerDutyReceiver, unusedPort, type PagerDutyReceiver } from '../../test/helpers/receivers.js';
import { OutboundGuard } from '../net/outbound.js';
import { deliverWithRetries, type AttemptRecord, type DeliverOptions } from './deliver.js';
import type { Notifier } from './notifier.js';
import { pagerDutyNotifier, type PagerDutyConfig } from './pagerduty/notifier.js';

const routingKey = 'R0UT1NGKEY0123456789ABCDEFGHIJKL';

/** A clock that only moves when slept on (and 5 ms per reading, so durations are exact). */
function harness(over: Partial<DeliverOptions> = {}) {
  let t = Date.parse('2024-05-01T12:00:00.000Z');
  const sleeps: number[] = [];
  const records: AttemptRecord[] = [];
  const opts: DeliverOptions = {
    maxAttempts: 4,
    backoff: { baseMs: 1000, maxMs: 60_000, factor: 2, jitter: 'none' },
    timeoutMs: 2000,
    outbound: loopbackOutbound,
    now: () => new Date((t += 5)),
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    onAttempt: (r) => void records.push(r),
    ...over,
  };
  return { opts, sleeps, records };
}

describe('deliverWithRetries through PagerDuty', () => {
  let pd: PagerDutyReceiver;
  let config: PagerDutyConfig;
  before(async () => {
    pd = await startPagerDutyReceiver({ routingKey });
    config = pagerDutyNotifier.parseConfig({ routingKey, eventsUrl: `${pd.url}/v2/enqueue` });
  });
  afterEach(() => pd.reset());
  after(() => pd.close());

  test('503 then 202: two attempts, ok, one backoff', async () => {
    pd.script(503);
    const h = harness();
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.deepEqual({ ok: out.ok, attempts: out.attempts, exhausted: out.exhausted, permanent: out.permanent, aborted: out.aborted }, { ok: true, attempts: 2, exhausted: false, permanent: false, aborted: false });
    assert.equal(out.lastResult.status, 202);
    assert.deepEqual(h.sleeps, [1000]);
    assert.deepEqual(
      h.records.map((r) => [r.attempt, r.ok, r.status, r.retryable, r.nextDelayMs, r.durationMs]),
      [
        [1, false, 503, true, 1000, 5],
        [2, true, 202, false, undefined, 5],
      ],
    );
    assert.equal(h.records[0]!.at.toISOString(), '2024-05-01T12:00:00.005Z');
    assert.equal(h.records[1]!.at.toISOString(), '2024-05-01T12:00:01.015Z');
    assert.equal(h.records[0]!.error, 'HTTP 503');
    assert.deepEqual(h.records.map((r) => r.classification), ['http_5xx', 'http_2xx']);
    assert.equal(pd.events.length, 1);
  });

  test('400 (invalid event): one attempt, permanent, not retried', async () => {
    const wrongKey = pagerDutyNotifier.parseConfig({ routingKey: 'OTHERKEY0123456789ABCDEFGHIJKLMN', eventsUrl: `${pd.url}/v2/enqueue` });
    const h = harness();
    const out = await deliverWithRetries(pagerDutyNotifier, wrongKey, sampleNotification(), h.opts);
    assert.deepEqual({ ok: out.ok, attempts: out.attempts, exhausted: out.exhausted, permanent: out.permanent }, { ok: false, attempts: 1, exhausted: false, permanent: true });
    assert.equal(out.lastResult.status, 400);
    assert.deepEqual(h.sleeps, []);
    assert.equal(pd.received.length, 1);
  });

  test('429 with Retry-After: the wait honours it', async () => {
    pd.script({ status: 429, headers: { 'retry-after': '12' } }, { status: 429, headers: { 'retry-after': '1' } });
    const h = harness();
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.equal(out.ok, true);
    assert.equal(out.attempts, 3);
    // 12 s from the first answer beats the 1 s backoff; the 2 s backoff beats the second's 1 s.
    assert.deepEqual(h.sleeps, [12_000, 2000]);
    assert.deepEqual(
      h.records.map((r) => r.retryAfterMs),
      [12_000, 1000, undefined],
    );
  });

  test('exhaustion: 5xx on every attempt ends after maxAttempts', async () => {
    pd.script(503, 502, 500, 504, 503);
    const h = harness({ maxAttempts: 4 });
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.deepEqual({ ok: out.ok, attempts: out.attempts, exhausted: out.exhausted, permanent: out.permanent }, { ok: false, attempts: 4, exhausted: true, permanent: false });
    assert.deepEqual(h.sleeps, [1000, 2000, 4000]);
    assert.equal(h.records.at(-1)!.nextDelayMs, undefined);
    assert.equal(out.lastResult.status, 504);
    assert.equal(pd.received.length, 4);
  });

  test('a timeout is retryable and the next attempt can succeed', async () => {
    pd.script('hang');
    const h = harness({ timeoutMs: 150 });
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.equal(out.ok, true);
    assert.equal(out.attempts, 2);
    assert.equal(h.records[0]!.error, 'timed out after 150 ms');
    assert.equal(h.records[0]!.classification, 'timeout');
    assert.equal(h.records[0]!.retryable, true);
    assert.equal(h.records[0]!.status, undefined);
  });

  test('a dropped connection is retryable', async () => {
    pd.script('destroy');
    const h = harness();
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.equal(out.ok, true);
    assert.equal(out.attempts, 2);
    assert.equal(h.records[0]!.classification, 'connection_reset');
    assert.match(h.records[0]!.error!, /^connection closed by the other side \(\w+\)$/);
  });

  test('abort during the backoff stops without exhausting', async () => {
    pd.script(503, 503);
    const controller = new AbortController();
    const h = harness({ signal: controller.signal, sleep: async () => controller.abort() });
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.deepEqual({ ok: out.ok, attempts: out.attempts, exhausted: out.exhausted, permanent: out.permanent, aborted: out.aborted }, { ok: false, attempts: 1, exhausted: false, permanent: false, aborted: true });
  });

  test('without loopback in the allow list: refused before connecting, permanent, nothing received', async () => {
    const h = harness({ outbound: new OutboundGuard() });
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.deepEqual({ ok: out.ok, attempts: out.attempts, permanent: out.permanent }, { ok: false, attempts: 1, permanent: true });
    assert.equal(out.lastResult.classification, 'refused_by_outbound_guard');
    assert.match(out.lastResult.error!, /^refused by the outbound guard: 127\.0\.0\.1 is a loopback address/);
    assert.deepEqual(h.sleeps, []);
    assert.equal(pd.received.length, 0);
  });

  test('the records never carry the routing key', async () => {
    pd.script({ status: 500, body: `oops ${routingKey}` });
    const h = harness();
    await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.ok(!JSON.stringify(h.records).includes(routingKey));
  });
});

describe('deliverWithRetries without a receiver', () => {
  test('a closed port: network errors retried until exhausted', async () => {
    const config = pagerDutyNotifier.parseConfig({ routingKey, eventsUrl: `http://127.0.0.1:${await unusedPort()}/v2/enqueue` });
    const h = harness({ maxAttempts: 3 });
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.deepEqual({ ok: out.ok, attempts: out.attempts, exhausted: out.exhausted }, { ok: false, attempts: 3, exhausted: true });
    assert.equal(out.lastResult.error, 'connection refused (ECONNREFUSED)');
    assert.equal(out.lastResult.classification, 'connection_refused');
    assert.deepEqual(h.sleeps, [1000, 2000]);
  });

  test('a notifier that throws (a contract breach) fails permanently after one attempt', async () => {
    const broken: Notifier<null> = {
      type: 'broken',
      parseConfig: () => null,
      redact: () => ({}),
      destinations: () => [],
      send: () => Promise.reject(new TypeError('secret-laden message')),
    };
    const h = harness();
    const out = await deliverWithRetries(broken, null, sampleNotification(), h.opts);
    assert.deepEqual({ ok: out.ok, attempts: out.attempts, permanent: out.permanent }, { ok: false, attempts: 1, permanent: true });
    assert.equal(out.lastResult.error, 'the broken notifier threw TypeError');
    assert.equal(out.lastResult.classification, 'notifier_error');
  });

  test('maxAttempts 1 never sleeps', async () => {
    const config = pagerDutyNotifier.parseConfig({ routingKey, eventsUrl: `http://127.0.0.1:${await unusedPort()}/v2/enqueue` });
    const h = harness({ maxAttempts: 1 });
    const out = await deliverWithRetries(pagerDutyNotifier, config, sampleNotification(), h.opts);
    assert.deepEqual({ attempts: out.attempts, exhausted: out.exhausted }, { attempts: 1, exhausted: true });
    assert.deepEqual(h.sleeps, []);
  });
});
