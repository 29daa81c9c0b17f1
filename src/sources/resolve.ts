/**
 * Which source a request's points go through: the one its API key is bound to, or the one it names
 * (`?source=`, `X-Source` header, or the webhook body's `source`), or none. Refuses a disabled
 * source, a source of another protocol and a key naming a source other than its own.
 */
import { AppError } from '../core/errors.js';
import type { Sql } from '../store/sql.js';
import type { IngestVia } from '../ingest/ingest.js';
import { compileMapping, type PointMapper } from './mapping.js';
import { sourceColumns, toSource, type Source, type SourceKind, type SourceRow } from './source.js';

export interface SourceChoice {
  /** The source the request's API key is bound to; null for unbound keys and sessions. */
  keySourceId: string | null;
  /** A source named by the request, and where: a name from the body that matches no source is only a label. */
  named: { name: string; from: 'query' | 'header' | 'body' } | null;
  /** The protocol of the path the request came to. */
  kind: SourceKind;
  /** The dead-letter label when no source is configured (`api`, `prometheus-remote-write` …). */
  fallbackLabel: string;
}

export interface ResolvedVia {
  via: IngestVia;
  source: Source | null;
}

export async function sourceById(sql: Sql, orgId: string, id: string): Promise<Source | undefined> {
  const r = await sql.query<SourceRow>(`SELECT ${sourceColumns} FROM sources WHERE org_id = $1 AND id = $2`, [orgId, id], { prepare: 'source_by_id' });
  return r.rows[0] && toSource(r.rows[0]);
}

export async function sourceByName(sql: Sql, orgId: string, name: string): Promise<Source | undefined> {
  const r = await sql.query<SourceRow>(`SELECT ${sourceColumns} FROM sources WHERE org_id = $1 AND name = $2`, [orgId, name], { prepare: 'source_by_name' });
  return r.rows[0] && toSource(r.rows[0]);
}

/** Compiled mappings by source id, valid while the source's updated_at is unchanged. */
const mappers = new Map<string, { updatedAt: number; map: PointMapper | undefined }>();
const maxMappers = 1000;

function mapperOf(source: Source): PointMapper | undefined {
  const at = source.updatedAt.getTime();
  const hit = mappers.get(source.id);
  if (hit && hit.updatedAt === at) return hit.map;
  const map = source.mapping.length ? compileMapping(source.mapping) : undefined;
  if (mappers.size >= maxMappers) mappers.delete(mappers.keys().next().value!);
  mappers.set(source.id, { updatedAt: at, map });
  return map;
}

/** The IngestVia of a configured source. */
export function viaSource(source: Source): IngestVia {
  return { label: source.name, sourceId: source.id, defaultDimensions: source.defaultDimensions, map: mapperOf(source) };
}

export async function resolveSource(sql: Sql, orgId: string, choice: SourceChoice): Promise<ResolvedVia> {
  let source: Source | undefined;
  const { named } = choice;
  if (choice.keySourceId) {
    source = await sourceById(sql, orgId, choice.keySourceId);
    if (!source) throw new AppError('source_not_found', 'The source this API key is bound to no longer exists', { sourceId: choice.keySourceId });
    if (named && named.name !== source.name && named.name !== source.id) {
      throw new AppError('source_mismatch', `This API key is bound to source "${source.name}"; it cannot send through "${named.name}"`, { boundTo: source.name, named: named.name });
    }
  } else if (named) {
    source = await sourceByName(sql, orgId, named.name);
    if (!source) {
      if (named.from === 'body') return { via: { label: named.name, sourceId: null }, source: null };
      throw new AppError('source_not_found', `No source named "${named.name}" in this organisation`, { source: named.name });
    }
  }
  if (!source) return { via: { label: choice.fallbackLabel, sourceId: null }, source: null };
  if (!source.enabled) throw new AppError('source_disabled', `Source "${source.name}" is disabled; its points are refused until an admin enables it`, { source: source.name });
  if (source.kind !== choice.kind) {
    throw new AppError('source_kind_mismatch', `Source "${source.name}" is a ${source.kind} source; this path speaks ${choice.kind}`, { source: source.name, kind: source.kind, path: choice.kind });
  }
  return { via: viaSource(source), source };
}

export interface SourceOutcome {
  accepted: number;
  rejected: number;
  /** The first error of the request (or the whole request's refusal), recorded as the source's last error. */
  error?: string;
}

/** Adds a request's outcome to the source's counters (after its commit; counters are not data). */
export async function recordSourceOutcome(sql: Sql, orgId: string, sourceId: string, outcome: SourceOutcome, at: Date): Promise<void> {
  await sql.query(
    `UPDATE sources SET points_accepted = points_accepted + $3, points_rejected = points_rejected + $4, last_received_at = $5,
       last_error = COALESCE($6, last_error), last_error_at = CASE WHEN $6::text IS NULL THEN last_error_at ELSE $5 END
     WHERE org_id = $1 AND id = $2`,
    [orgId, sourceId, outcome.accepted, outcome.rejected, at, outcome.error?.slice(0, 1000) ?? null],
    { prepare: 'source_outcome' },
  );
}
