/**
 * Sources' storage: create, list, change, delete, scoped by organisation in every statement. A
 * `prometheus-scrape` source's `scrape_targets` rows follow its targets in the same transaction.
 * (Reading a source for ingest is src/sources/resolve.ts; the per-request counters are written there.)
 */
import type { ActorRef } from '../alert/lifecycle.js';
import type { Sql } from '../store/sql.js';
import { sourceColumns, toSource, type ScrapeSettings, type Source, type SourceFields, type SourceKind, type SourceRow } from './source.js';

/** A source with who created it and who changed it last (null: a system write). */
export interface StoredSource extends Source {
  createdBy: ActorRef | null;
  updatedBy: ActorRef | null;
}

/** What the API sets on a source (its kind only on creation). */
export type SourceInput = SourceFields;

/** One target of a scrape source and its health, as the last scrape left it. */
export interface TargetHealth {
  url: string;
  /** null until the first scrape. */
  up: boolean | null;
  lastScrapeAt: Date | null;
  lastDurationMs: number | null;
  samplesScraped: number | null;
  lastError: string | null;
  nextScrapeAt: Date;
}

type Row = SourceRow & { created_by: ActorRef | null; updated_by: ActorRef | null };

const columns = `${sourceColumns}, created_by, updated_by`;

const toStored = (r: Row): StoredSource => ({ ...toSource(r), createdBy: r.created_by, updatedBy: r.updated_by });

const actorJson = (by: ActorRef | null) => by && JSON.stringify({ kind: by.kind, id: by.id });

/** The targets' URLs of a source's settings (none unless it scrapes). */
function targetUrls(kind: SourceKind, settings: Record<string, unknown>): string[] {
  if (kind !== 'prometheus-scrape') return [];
  return ((settings as unknown as ScrapeSettings).targets ?? []).map((t) => t.url);
}

/**
 * Makes the source's scrape_targets rows those of `urls`: removed ones go (with their health), new
 * ones are due at once; a shorter interval brings the others' next scrape forward.
 */
async function syncTargets(tx: Sql, s: Source, now: Date): Promise<void> {
  const urls = targetUrls(s.kind, s.settings);
  await tx.query('DELETE FROM scrape_targets WHERE org_id = $1 AND source_id = $2 AND NOT (url = ANY($3::text[]))', [s.orgId, s.id, urls]);
  if (!urls.length) return;
  await tx.query(
    `INSERT INTO scrape_targets (source_id, org_id, url, next_scrape_at) SELECT $2, $1, u, $4 FROM unnest($3::text[]) AS u
     ON CONFLICT (source_id, url) DO UPDATE SET next_scrape_at = LEAST(scrape_targets.next_scrape_at, $4::timestamptz + make_interval(secs => $5::integer))`,
    [s.orgId, s.id, urls, now, (s.settings as unknown as ScrapeSettings).intervalSeconds],
  );
}

/** Creates a source of `orgId`; a taken name fails with the driver's unique violation (23505). */
export async function createSource(sql: Sql, orgId: string, input: SourceInput, now: Date, by: ActorRef | null): Promise<StoredSource> {
  return sql.transaction(async (tx) => {
    const r = await tx.query<Row>(
      `INSERT INTO sources (org_id, name, kind, enabled, description, default_dimensions, mapping, settings, created_at, updated_at, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $10) RETURNING ${columns}`,
      [orgId, input.name, input.kind, input.enabled, input.description, JSON.stringify(input.defaultDimensions), JSON.stringify(input.mapping), JSON.stringify(input.settings), now, actorJson(by)],
    );
    const created = toStored(r.rows[0]!);
    await syncTargets(tx, created, now);
    return created;
  });
}

export async function getSource(sql: Sql, orgId: string, id: string): Promise<StoredSource | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM sources WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && toStored(r.rows[0]);
}

/** Every source of `orgId`, by name. */
export async function listSources(sql: Sql, orgId: string): Promise<StoredSource[]> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM sources WHERE org_id = $1 ORDER BY name`, [orgId]);
  return r.rows.map(toStored);
}

/**
 * Changes a source under its row lock: `change` gets the stored source and returns the new input
 * (it may throw to refuse, and nothing is written). Undefined when the source does not exist.
 */
export async function updateSource(
  sql: Sql,
  orgId: string,
  id: string,
  change: (old: StoredSource) => SourceInput,
  now: Date,
  by: ActorRef | null,
): Promise<StoredSource | undefined> {
  return sql.transaction(async (tx) => {
    const before = await tx.query<Row>(`SELECT ${columns} FROM sources WHERE org_id = $1 AND id = $2 FOR UPDATE`, [orgId, id]);
    if (!before.rows[0]) return undefined;
    const input = change(toStored(before.rows[0]));
    // updated_at also keys the compiled-mapping cache (resolve.ts): it must move on every change.
    const r = await tx.query<Row>(
      `UPDATE sources SET name = $3, enabled = $4, description = $5, default_dimensions = $6, mapping = $7, settings = $8,
         updated_at = GREATEST($9::timestamptz, updated_at + interval '1 millisecond'), updated_by = $10
       WHERE org_id = $1 AND id = $2 RETURNING ${columns}`,
      [orgId, id, input.name, input.enabled, input.description, JSON.stringify(input.defaultDimensions), JSON.stringify(input.mapping), JSON.stringify(input.settings), now, actorJson(by)],
    );
    const updated = toStored(r.rows[0]!);
    await syncTargets(tx, updated, now);
    return updated;
  });
}

/** Keys of `orgId` bound to the source (revoked ones too: the binding is part of their history). */
export async function keysBoundTo(sql: Sql, orgId: string, sourceId: string): Promise<{ id: string; name: string }[]> {
  const r = await sql.query<{ id: string; name: string }>('SELECT id, name FROM api_keys WHERE org_id = $1 AND source_id = $2 ORDER BY created_at, id', [orgId, sourceId]);
  return r.rows;
}

export type DeleteOutcome = { deleted: true } | { deleted: false; reason: 'not_found' } | { deleted: false; reason: 'in_use'; keys: { id: string; name: string }[] };

/**
 * Deletes a source unless keys are bound to it. The row lock makes a key being bound meanwhile
 * wait (its foreign key check shares the row) and then fail, or the deletion see it.
 */
export async function deleteSource(sql: Sql, orgId: string, id: string): Promise<DeleteOutcome> {
  return sql.transaction(async (tx): Promise<DeleteOutcome> => {
    const r = await tx.query('SELECT id FROM sources WHERE org_id = $1 AND id = $2 FOR UPDATE', [orgId, id]);
    if (!r.rows.length) return { deleted: false, reason: 'not_found' };
    const keys = await keysBoundTo(tx, orgId, id);
    if (keys.length) return { deleted: false, reason: 'in_use', keys };
    await tx.query('DELETE FROM sources WHERE org_id = $1 AND id = $2', [orgId, id]);
    return { deleted: true };
  });
}

/** The targets of a source of `orgId` with their health, by URL. */
export async function listTargets(sql: Sql, orgId: string, sourceId: string): Promise<TargetHealth[]> {
  const r = await sql.query<{
    url: string;
    up: boolean | null;
    last_scrape_at: Date | null;
    last_duration_ms: number | null;
    samples_scraped: number | null;
    last_error: string | null;
    next_scrape_at: Date;
  }>('SELECT url, up, last_scrape_at, last_duration_ms, samples_scraped, last_error, next_scrape_at FROM scrape_targets WHERE org_id = $1 AND source_id = $2 ORDER BY url', [orgId, sourceId]);
  return r.rows.map((t) => ({
    url: t.url,
    up: t.up,
    lastScrapeAt: t.last_scrape_at,
    lastDurationMs: t.last_duration_ms === null ? null : Number(t.last_duration_ms),
    samplesScraped: t.samples_scraped,
    lastError: t.last_error,
    nextScrapeAt: t.next_scrape_at,
  }));
}
