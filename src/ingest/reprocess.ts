import type { Sql } from '../store/sql.js';
import { deleteDeadLetters, getDeadLetters, recordDeadLetterFailure } from './dead-letters.js';
import { shapeItem, type IngestDeps, type IngestVia } from './ingest.js';
import { validateItem, type ItemError, type MetricPoint } from './validate.js';
import { preparePoints, writePrepared } from './write-points.js';

export interface ReprocessResult {
  /** Items that passed and left the queue. */
  stored: number;
  /** Of those, how many matched an already stored point. */
  duplicates: number;
  /** Items that still fail, with their new error; they stay in the queue. */
  failed: { id: string; code: string; message: string; field: string }[];
  /** Ids not in the queue (of this organisation). */
  notFound: string[];
}

/** The item-relative part of a field path: `metrics[3].value` → `value`. */
function itemField(e: ItemError): string {
  return e.field.replace(/^metrics\[\d+\]\.?/, '');
}

/**
 * Validates queued items again (or their corrections, by id) and stores those that now pass, in
 * one transaction: passed items leave the queue, failing ones stay with their new error.
 */
/**
 * The current defaults and mapping of a configured source of the organisation, read in the
 * reprocessing transaction; null when it no longer exists. (Given by the caller: ingest/ does not
 * import sources/.)
 */
export type SourceViaLookup = (tx: Sql, sourceId: string) => Promise<IngestVia | null>;

export async function reprocessDeadLetters(deps: IngestDeps, orgId: string, ids: string[], corrections: Map<string, unknown>, viaOf: SourceViaLookup): Promise<ReprocessResult> {
  // UUIDs are case-insensitive; the database returns them in lower case.
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const fixes = new Map([...corrections].map(([id, item]) => [id.toLowerCase(), item]));
  const now = deps.now();
  const limits = { nowMs: now.getTime(), maxFutureSkewMs: deps.settings.maxFutureSkewMs };

  const policy = deps.settings.duplicatePolicy;
  // Everything happens under the queued rows' locks: a concurrent reprocess of the same ids waits,
  // then finds them gone (notFound) instead of storing and counting them a second time.
  const { found, passed, failed, counts } = await deps.sql.transaction(async (tx: Sql) => {
    const letters = await getDeadLetters(tx, orgId, unique);
    const passed: { id: string; point: MetricPoint | null }[] = [];
    const failed: { id: string; raw: unknown; error: ItemError }[] = [];
    // An item that came through a source gets that source's defaults and mapping again (as it is now;
    // a deleted source's items are taken as they are).
    const vias = new Map<string, IngestVia | null>();
    for (const l of letters) {
      if (l.sourceId && !vias.has(l.sourceId)) vias.set(l.sourceId, await viaOf(tx, l.sourceId));
    }
    for (const l of letters) {
      const raw = fixes.has(l.id) ? fixes.get(l.id) : l.raw;
      const via = l.sourceId ? vias.get(l.sourceId) : null;
      const shaped = via ? shapeItem(raw, via) : raw;
      if (shaped === null) {
        // The source's mapping now drops it on purpose: it leaves the queue without being stored.
        passed.push({ id: l.id, point: null });
        continue;
      }
      // An item sent without a timestamp keeps the time it was first received.
      const r = validateItem(shaped, 0, { ...limits, receivedMs: l.receivedAt.getTime() });
      if (r.ok) passed.push({ id: l.id, point: r.point });
      else failed.push({ id: l.id, raw, error: r.error });
    }
    // No series cache here: ids of series created in a transaction that may roll back must not be remembered.
    // (nor last timestamps: every point takes the checked path).
    const prepared = await preparePoints(tx, orgId, passed.flatMap((p) => (p.point ? [p.point] : [])), policy, now.getTime());
    const counts = await writePrepared(tx, prepared, policy);
    await deleteDeadLetters(tx, orgId, passed.map((p) => p.id));
    for (const f of failed) await recordDeadLetterFailure(tx, orgId, f.id, f.raw, { code: f.error.code, message: f.error.message, field: itemField(f.error) }, now);
    return { found: new Set(letters.map((l) => l.id)), passed, failed, counts };
  });
  return {
    stored: passed.length,
    duplicates: counts.duplicates,
    failed: failed.map((f) => ({ id: f.id, code: f.error.code, message: f.error.message, field: itemField(f.error) })),
    notFound: unique.filter((id) => !found.has(id)),
  };
}
