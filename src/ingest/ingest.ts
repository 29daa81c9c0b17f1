import { AppError } from '../core/errors.js';
import type { SeriesCache } from '../metrics/series-cache.js';
import type { Sql } from '../store/sql.js';
import { insertDeadLetters } from './dead-letters.js';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from './idempotency.js';
import { validateItem, type ItemError, type MetricPoint } from './validate.js';
import { preparePoints, writePrepared } from './write-points.js';
import type { Clock } from '../core/clock.js';

export interface IngestSettings {
  maxBatch: number;
  maxFutureSkewMs: number;
  duplicatePolicy: 'reject' | 'overwrite';
  idempotencyTtlMs: number;
}

export interface IngestDeps {
  sql: Sql;
  cache?: SeriesCache;
  settings: IngestSettings;
  now: Clock;
}

export interface IngestRequest {
  orgId: string;
  requestId: string | null;
  /** Where the items came from (`api`, a named source, `prometheus` …), kept with dead letters. */
  source: string;
  items: unknown[];
  idempotency?: { key: string; fingerprint: string };
}

export interface IngestReply {
  accepted: number;
  rejected: number;
  duplicates: number;
  errors: ItemError[];
}

export type IngestOutcome = { replayed: false; status: 200; body: IngestReply } | { replayed: true; status: number; body: unknown };

/** A claim in flight longer than this belongs to a request that died. */
const abandonAfterMs = 60_000;

/**
 * Validates each item on its own, stores the valid ones and queues the rejected ones with their
 * errors, and (with an idempotency key) stores the reply, all in one transaction: the reply is
 * returned only after everything is committed.
 */
export async function ingest(deps: IngestDeps, req: IngestRequest): Promise<IngestOutcome> {
  const { settings } = deps;
  if (req.items.length > settings.maxBatch) {
    throw new AppError('batch_too_large', `A request may carry at most ${settings.maxBatch} metrics, got ${req.items.length}; split the batch`, { max: settings.maxBatch, received: req.items.length });
  }
  const now = deps.now();
  const limits = { nowMs: now.getTime(), maxFutureSkewMs: settings.maxFutureSkewMs };
  const points: MetricPoint[] = [];
  const errors: ItemError[] = [];
  for (let i = 0; i < req.items.length; i++) {
    const r = validateItem(req.items[i], i, limits);
    if (r.ok) points.push(r.point);
    else errors.push(r.error);
  }

  const idem = req.idempotency;
  if (idem) {
    const claim = await claimIdempotencyKey(deps.sql, req.orgId, idem.key, idem.fingerprint, { now, ttlMs: settings.idempotencyTtlMs, abandonAfterMs });
    if (claim.kind === 'mismatch') throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body; use a new key for a new request');
    if (claim.kind === 'in_use') throw new AppError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry later');
    if (claim.kind === 'replay') return { replayed: true, status: claim.status, body: claim.body };
  }

  try {
    const prepared = await preparePoints(deps.sql, req.orgId, points, settings.duplicatePolicy, deps.cache);
    const deadLetters = errors.map((e) => ({ source: req.source, requestId: req.requestId, raw: req.items[e.index], error: e }));
    const write = async (tx: Sql): Promise<IngestReply> => {
      const { accepted, duplicates } = await writePrepared(tx, req.orgId, prepared, settings.duplicatePolicy);
      await insertDeadLetters(tx, req.orgId, deadLetters, now);
      const reply: IngestReply = { accepted, rejected: errors.length, duplicates, errors };
      if (idem) await completeIdempotencyKey(tx, req.orgId, idem.key, 200, reply);
      return reply;
    };
    // The common case (no rejects, no key) is a single statement: no transaction round trips.
    const single = !idem && !deadLetters.length;
    const body = single ? await write(deps.sql) : await deps.sql.transaction(write);
    return { replayed: false, status: 200, body };
  } catch (err) {
    if (idem) await releaseIdempotencyKey(deps.sql, req.orgId, idem.key).catch(() => undefined);
    throw err;
  }
}
