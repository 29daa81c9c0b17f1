import { AppError } from '../core/errors.js';
import type { SeriesCache } from '../metrics/series-cache.js';
import type { Sql } from '../store/sql.js';
import { insertDeadLetters } from './dead-letters.js';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from './idempotency.js';
import { checkItem, isItemError, type ItemError, type MetricPoint } from './validate.js';
import { inTransactionWriting, preparePoints, rememberWritten, writePrepared, type PreparedPoints } from './write-points.js';
import type { Clock } from '../core/clock.js';
import type { Labels } from '../core/labels.js';
import type { IngestStats } from './ingest-stats.js';

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
  /** Where committed batches are counted for GET /metrics; absent: not counted. */
  stats?: IngestStats;
}

/** A point's identity after a source's mapping. */
export interface MappedSeries {
  key: string;
  dimensions: Labels;
}

/**
 * A source's compiled key mapping (src/sources/mapping.ts implements it): one point's key and
 * dimensions mapped, null when a rule drops the point. Never throws. Declared here, with the
 * pipeline that calls it, so that ingest/ does not import sources/ (which imports ingest/).
 */
export type PointMapper = (key: string, dimensions: Labels) => MappedSeries | null;

/** What the items came through: a configured source (its mapping and defaults apply) or none. */
export interface IngestVia {
  /** Kept with dead letters: the source's name, or a free label (`api`, `prometheus-remote-write` …). */
  label: string;
  /** The configured source's id; null when none is configured. */
  sourceId: string | null;
  /** Added to every item's dimensions before mapping; an item's own dimension of the same name wins. */
  defaultDimensions?: Labels;
  /** The source's compiled key mapping, applied after the defaults; a null result drops the item. */
  map?: PointMapper;
}

/** An item a protocol could not even decode into a point (a bad line, a bad data point). */
export interface UndecodableItem {
  raw: unknown;
  /** `index`: the item's position in the request (its line − 1 for line protocol). */
  error: ItemError;
}

export interface IngestRequest {
  orgId: string;
  requestId: string | null;
  via: IngestVia;
  /** Items shaped as the JSON webhook's: {key, value, timestamp?, dimensions?}. */
  items: unknown[];
  /** Where item i sits in the request, for error paths (default `metrics[i]`; `line 3`, `timeseries[2].samples[0]`). */
  where?: (index: number) => string;
  /** Items the protocol's decoder refused: dead-lettered and counted with the rejected. */
  undecodable?: UndecodableItem[];
  idempotency?: { key: string; fingerprint: string };
}

export interface IngestReply {
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Items the source's mapping dropped on purpose (a `drop`/`keep` rule): neither stored nor rejected. */
  dropped: number;
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
  const rejectedRaw: unknown[] = [];
  let dropped = 0;
  const { via, where } = req;
  const shaping = !!(via.map || (via.defaultDimensions && Object.keys(via.defaultDimensions).length));
  for (let i = 0; i < req.items.length; i++) {
    const raw = req.items[i];
    let item = raw;
    if (shaping) {
      const shaped = shapeItem(raw, via);
      if (shaped === null) {
        dropped++;
        continue;
      }
      item = shaped;
    }
    let r = checkItem(item, i, limits);
    // The item's place in the request is built only for an item that fails (validation is pure).
    if (where && isItemError(r)) r = checkItem(item, i, limits, where(i));
    if (!isItemError(r)) points.push(r);
    else {
      errors.push(r);
      rejectedRaw.push(raw);
    }
  }
  for (const u of req.undecodable ?? []) {
    errors.push(u.error);
    rejectedRaw.push(u.raw);
  }

  const idem = req.idempotency;
  if (idem) {
    const claim = await claimIdempotencyKey(deps.sql, req.orgId, idem.key, idem.fingerprint, { now, ttlMs: settings.idempotencyTtlMs, abandonAfterMs });
    if (claim.kind === 'mismatch') throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body; use a new key for a new request');
    if (claim.kind === 'in_use') throw new AppError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry later');
    if (claim.kind === 'replay') return { replayed: true, status: claim.status, body: claim.body };
  }

  try {
    const prepared = await preparePoints(deps.sql, req.orgId, points, settings.duplicatePolicy, now.getTime(), deps.cache);
    // The raw item as sent (before defaults and mapping): reprocessing applies the source again.
    const deadLetters = errors.map((e, j) => ({ source: via.label, sourceId: via.sourceId, requestId: req.requestId, raw: rejectedRaw[j], error: e }));
    const write = async (tx: Sql, alone: boolean, points: PreparedPoints): Promise<IngestReply> => {
      const { accepted, duplicates } = await writePrepared(tx, points, settings.duplicatePolicy, { alone });
      await insertDeadLetters(tx, req.orgId, deadLetters, now);
      const reply: IngestReply = { accepted, rejected: errors.length, duplicates, dropped, errors };
      if (idem) await completeIdempotencyKey(tx, req.orgId, idem.key, 200, reply);
      return reply;
    };
    // The common case (no rejects, no key) writes only points: a single statement when every point is
    // fresh (or only checked against hot rows), no transaction round trips.
    const alone = !idem && !deadLetters.length;
    const body = await retryingDeadlocks(() => (alone ? write(deps.sql, true, prepared) : inTransactionWriting(deps.sql, prepared, (tx, points) => write(tx, false, points))));
    // Committed: remember each series' newest stored time (never before the commit: a rolled-back
    // write would leave the memory ahead of the store).
    rememberWritten(prepared, deps.cache);
    deps.stats?.committed(body);
    return { replayed: false, status: 200, body };
  } catch (err) {
    if (idem) await releaseIdempotencyKey(deps.sql, req.orgId, idem.key).catch(() => undefined);
    throw err;
  }
}

/** Attempts of a write that PostgreSQL chose as a deadlock's victim (it rolled back whole). */
const deadlockAttempts = 3;

/**
 * Runs `write` again when PostgreSQL aborted it to break a deadlock (40P01). Concurrent writers of
 * the same points take rows in key order, but the append and the checked insert are two statements
 * and two processes' memories can split one batch differently; compaction locks hot rows and chunks
 * too. The victim rolled back everything, so running it again is safe.
 */
async function retryingDeadlocks<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if ((err as { code?: string } | null)?.code !== '40P01' || attempt >= deadlockAttempts) throw err;
    }
  }
}

/**
 * An item with the source's default dimensions added (its own win) and its mapping applied; null
 * when the mapping drops it. Items too malformed to shape pass unchanged, for validation to name.
 */
export function shapeItem(raw: unknown, via: IngestVia): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const item = raw as Record<string, unknown>;
  const own = item.dimensions;
  if (typeof item.key !== 'string' || (own !== undefined && own !== null && (typeof own !== 'object' || Array.isArray(own)))) return raw;
  let dimensions = own as Labels | undefined | null;
  const defaults = via.defaultDimensions;
  if (defaults && Object.keys(defaults).length) {
    const merged: Labels = {};
    for (const [n, v] of Object.entries(defaults)) Object.defineProperty(merged, n, { value: v, enumerable: true, writable: true, configurable: true });
    for (const [n, v] of Object.entries(dimensions ?? {})) Object.defineProperty(merged, n, { value: v, enumerable: true, writable: true, configurable: true });
    dimensions = merged;
  }
  if (!via.map) return dimensions === own ? raw : { ...item, dimensions };
  // Non-string dimension values are left for validation to refuse: mapping sees strings only.
  if (dimensions && Object.values(dimensions).some((v) => typeof v !== 'string')) return { ...item, dimensions };
  const mapped = via.map(item.key, dimensions ?? {});
  if (mapped === null) return null;
  return { ...item, key: mapped.key, dimensions: mapped.dimensions };
}
