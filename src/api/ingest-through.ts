/**
 * The one way every ingest path (JSON webhook, remote-write, OTLP, Influx, scraping aside) hands
 * decoded items to the pipeline: picks the request's source, runs src/ingest/ingest.ts (validation,
 * mapping, idempotency, dead letters, one commit) and adds the outcome to the source's counters.
 * Protocol routes only decode bodies and translate the reply into their protocol's answer.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import { ingest, type IngestDeps, type IngestOutcome, type IngestRequest } from '../ingest/ingest.js';
import { recordSourceOutcome, resolveSource } from '../sources/resolve.js';
import type { Source, SourceKind } from '../sources/source.js';
import { authOf } from './plugins/auth.js';

/** Header naming the source per request (as `?source=` does). */
export const sourceHeader = 'x-source';

export interface DecodedBatch extends Pick<IngestRequest, 'items' | 'where' | 'undecodable' | 'idempotency'> {
  /** The path's protocol: a named or bound source must be of this kind. */
  kind: SourceKind;
  /** Dead-letter label when the request goes through no configured source. */
  fallbackLabel: string;
  /** A source name from the body (the webhook's `source` field): a name no source has is kept as a label only. */
  bodySource?: string;
}

export type ThroughOutcome = IngestOutcome & { source: Source | null };

/** The source a request names by `?source=` or the X-Source header (the query wins), if any. */
export function namedSource(req: FastifyRequest): { name: string; from: 'query' | 'header' } | null {
  const q = (req.query as Record<string, unknown> | undefined)?.source;
  if (typeof q === 'string' && q !== '') return { name: q, from: 'query' };
  const h = req.headers[sourceHeader];
  if (typeof h === 'string' && h.trim() !== '') return { name: h.trim(), from: 'header' };
  return null;
}

export async function ingestThrough(deps: IngestDeps, req: FastifyRequest, batch: DecodedBatch): Promise<ThroughOutcome> {
  const { orgId, keySourceId } = authOf(req);
  const named = namedSource(req) ?? (batch.bodySource ? { name: batch.bodySource, from: 'body' as const } : null);
  const { via, source } = await resolveSource(deps.sql, orgId, { keySourceId: keySourceId ?? null, named, kind: batch.kind, fallbackLabel: batch.fallbackLabel });
  const at = deps.now();
  let outcome: IngestOutcome;
  try {
    outcome = await ingest(deps, { orgId, requestId: req.id, via, items: batch.items, where: batch.where, undecodable: batch.undecodable, idempotency: batch.idempotency });
  } catch (err) {
    if (source) {
      const rejected = err instanceof AppError && err.status < 500 ? batch.items.length + (batch.undecodable?.length ?? 0) : 0;
      await recordSourceOutcome(deps.sql, orgId, source.id, { accepted: 0, rejected, error: err instanceof Error ? err.message : String(err) }, at).catch(() => undefined);
    }
    throw err;
  }
  if (source && !outcome.replayed) {
    const b = outcome.body;
    await recordSourceOutcome(deps.sql, orgId, source.id, { accepted: b.accepted, rejected: b.rejected, error: b.errors[0] ? `${b.errors[0].field}: ${b.errors[0].message}` : undefined }, at);
  }
  return { ...outcome, source };
}
