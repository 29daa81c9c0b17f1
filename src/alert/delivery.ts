// The delivery engine: sends queued deliveries through their channel's notifier with retries
// (src/notify/deliver.ts, backoff per src/notify/retry.ts), recording every attempt; a delivery that
// fails for good (not retryable, or its attempts used up) is dead: listed, and retried by hand.
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { strictOutboundGuard, type OutboundGuard } from '../net/outbound.js';
import { deliverWithRetries, timerSleep, type AttemptRecord } from '../notify/deliver.js';
import type { AlertNotification, DeliveryClassification, DeliveryResult, Notifier } from '../notify/notifier.js';
import { notifierFor } from '../notify/registry.js';
import { defaultBackoff, type BackoffPolicy } from '../notify/retry.js';
import type { Sql } from '../store/sql.js';
import { listOrgs } from '../tenancy/orgs.js';
import type { StoredChannel } from './channels-store.js';
import { getChannel } from './channels-store.js';
import { claimDueDeliveries, enqueueDeliveries, finishDelivery, orgsWithDueDeliveries, recordAttempt, type Delivery, type StoredPayload } from './deliveries-store.js';

export interface DeliveryDeps {
  sql: Sql;
  now: Clock;
  log?: Logger;
  /** Notifier by channel type (default: the registry's). */
  notifierFor?: (type: string) => Notifier;
  backoff?: BackoffPolicy;
  /** Waits between attempts (default a timer; tests pass one that returns at once). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Per-attempt timeout, ms (default 10 s). */
  timeoutMs?: number;
  /** Checks every connection of the notifiers (default: no internal address may be reached). */
  outbound?: OutboundGuard;
  /** How long a claimed delivery is held before another worker may take it over, ms (default 10 min). */
  leaseMs?: number;
  /** Deliveries sent at once (default 4). */
  concurrency?: number;
  /** Stops between attempts (shutdown); unfinished deliveries go back to pending. */
  signal?: AbortSignal;
}

export interface DeliveryTotals {
  delivered: number;
  dead: number;
  /** Stopped by shutdown before they finished; pending again. */
  requeued: number;
}

/** A channel's stored configuration, typed by its notifier (stored configs passed parseConfig when saved). */
export function channelNotifier(deps: Pick<DeliveryDeps, 'notifierFor'>, channel: StoredChannel): { notifier: Notifier; config: unknown } {
  const notifier = (deps.notifierFor ?? notifierFor)(channel.type);
  return { notifier, config: notifier.parseConfig(channel.config) };
}

function attemptFields(r: AttemptRecord) {
  return { at: r.at, ok: r.ok, status: r.status, classification: r.classification, retryable: r.retryable, error: r.error, durationMs: r.durationMs };
}

/** Sends one claimed delivery with its remaining attempts and stores the outcome. */
async function deliverOne(deps: DeliveryDeps, d: Delivery): Promise<keyof DeliveryTotals> {
  const now = () => deps.now();
  const channel = await getChannel(deps.sql, d.orgId, d.channelId);
  const fail = async (error: string) => {
    await recordAttempt(deps.sql, d.orgId, d.id, { at: now(), ok: false, classification: 'channel_unavailable', retryable: false, error, durationMs: 0 });
    await finishDelivery(deps.sql, d.orgId, d.id, { status: 'dead', error }, now());
    return 'dead' as const;
  };
  if (!channel) return fail('the channel was deleted');
  if (!channel.enabled) return fail('the channel is disabled');
  let target: { notifier: Notifier; config: unknown };
  try {
    target = channelNotifier(deps, channel);
  } catch (err) {
    return fail(`the channel's configuration is no longer valid: ${(err as Error).message}`);
  }
  const notification: AlertNotification = { ...d.payload, deliveryId: d.id };
  const outcome = await deliverWithRetries(target.notifier, target.config, notification, {
    maxAttempts: Math.max(1, d.maxAttempts - d.attempts),
    backoff: deps.backoff ?? defaultBackoff,
    sleep: deps.sleep ?? timerSleep,
    now,
    timeoutMs: deps.timeoutMs ?? 10_000,
    outbound: deps.outbound ?? strictOutboundGuard,
    ...(deps.signal && { signal: deps.signal }),
    onAttempt: async (r) => {
      await recordAttempt(deps.sql, d.orgId, d.id, attemptFields(r));
    },
  });
  if (outcome.ok) {
    await finishDelivery(deps.sql, d.orgId, d.id, { status: 'delivered' }, now());
    return 'delivered';
  }
  if (outcome.aborted) {
    await finishDelivery(deps.sql, d.orgId, d.id, { status: 'pending', nextAttemptAt: now(), error: outcome.lastResult.error ?? null }, now());
    return 'requeued';
  }
  await finishDelivery(deps.sql, d.orgId, d.id, { status: 'dead', error: outcome.lastResult.error ?? `failed after ${outcome.attempts} attempts` }, now());
  deps.log?.warn({ deliveryId: d.id, channelId: d.channelId, orgId: d.orgId, attempts: outcome.attempts, error: outcome.lastResult.error }, 'notification delivery is dead');
  return 'dead';
}

async function pool<T>(items: T[], concurrency: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * One run of the 'notification-delivery' job: claims every due delivery (any org, at most `limit`
 * per org and round) and sends them, `concurrency` at a time, until none is due.
 */
export async function deliverDue(deps: DeliveryDeps, limit = 100): Promise<DeliveryTotals> {
  const totals: DeliveryTotals = { delivered: 0, dead: 0, requeued: 0 };
  const orgIds = (await listOrgs(deps.sql)).map((o) => o.id);
  for (let round = 0; round < 100 && !deps.signal?.aborted; round++) {
    const due = await orgsWithDueDeliveries(deps.sql, orgIds, deps.now());
    if (!due.length) break;
    let claimed = 0;
    for (const orgId of due) {
      const batch = await claimDueDeliveries(deps.sql, orgId, deps.now(), limit, deps.leaseMs ?? 600_000);
      claimed += batch.length;
      await pool(batch, deps.concurrency ?? 4, async (d) => {
        try {
          totals[await deliverOne(deps, d)]++;
        } catch (err) {
          // A store error: the lease runs out and the delivery is claimed again.
          deps.log?.error({ err, deliveryId: d.id }, 'notification delivery failed');
        }
      });
    }
    if (!claimed) break;
  }
  return totals;
}

export interface TestResult {
  deliveryId: string;
  ok: boolean;
  status: number | null;
  classification: DeliveryClassification;
  error: string | null;
  durationMs: number;
}

/**
 * `POST /channels/:id/test`: one attempt of a `test` event through the channel, now, recorded as a
 * delivery (delivered, or dead with the status and classification of the failure).
 */
export async function testChannel(deps: DeliveryDeps, channel: StoredChannel, org: { id: string; name: string }): Promise<TestResult> {
  const now = deps.now();
  const { notifier, config } = channelNotifier(deps, channel);
  const payload: StoredPayload = {
    event: 'test',
    org,
    alert: {
      id: '00000000-0000-0000-0000-000000000000',
      fingerprint: 'test',
      ruleId: '',
      ruleName: 'Test notification',
      ruleKind: 'test',
      severity: 'info',
      state: 'firing',
      summary: `A test of the channel "${channel.name}" (${channel.type}) from IntentVision`,
      labels: { alertname: 'Test notification', channel: channel.name },
      annotations: {},
      value: null,
      startsAt: now.toISOString(),
      endsAt: null,
      url: null,
      details: { test: true },
    },
  };
  const [id] = await enqueueDeliveries(deps.sql, channel.orgId, [{ alertId: null, channelId: channel.id, event: 'test', payload, maxAttempts: 1 }], now, 'delivering');
  const started = deps.now();
  let result: DeliveryResult;
  try {
    result = await notifier.send(config, { ...payload, deliveryId: id! }, { now: started, timeoutMs: deps.timeoutMs ?? 10_000, outbound: deps.outbound ?? strictOutboundGuard });
  } catch (err) {
    result = { ok: false, classification: 'notifier_error', retryable: false, error: `the ${notifier.type} notifier threw ${(err as Error).name}` };
  }
  const durationMs = Math.max(0, deps.now().getTime() - started.getTime());
  await recordAttempt(deps.sql, channel.orgId, id!, { at: started, ok: result.ok, status: result.status, classification: result.classification, retryable: result.retryable, error: result.error, durationMs });
  await finishDelivery(deps.sql, channel.orgId, id!, result.ok ? { status: 'delivered' } : { status: 'dead', error: result.error ?? 'failed' }, deps.now());
  return { deliveryId: id!, ok: result.ok, status: result.status ?? null, classification: result.classification, error: result.error ?? null, durationMs };
}
