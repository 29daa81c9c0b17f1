// Stored anomalies of stored series: kept so alerts and the dashboard can link to them.
import type { Sql } from '../store/sql.js';
import type { Anomaly } from './ensemble.js';
import type { Severity } from './severity.js';
import type { Labels } from '../core/labels.js';

export const severityRank: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export interface StoredAnomaly {
  id: string;
  seriesId: number;
  key: string;
  dimensions: Labels;
  timestampMs: number;
  value: number;
  expected: number | null;
  score: number;
  severity: Severity;
  consensus: number;
  methods: { name: string; score: number; weight: number; flagged: boolean }[];
  context: { before: { timestamp: string; value: number }[]; after: { timestamp: string; value: number }[]; stats: { mean: number; stdDev: number | null; min: number; max: number } | null };
  sensitivity: number;
  mode: 'batch' | 'online';
  detectedAt: Date;
  /** The detection schedule that found it (null: an on-demand detection or an alert rule). */
  scheduleId: string | null;
}

interface Row {
  id: string;
  series_id: string;
  key: string;
  dimensions: Labels;
  t: number;
  value: number;
  expected: number | null;
  score: number;
  severity: Severity;
  consensus: number;
  methods: StoredAnomaly['methods'];
  context: StoredAnomaly['context'];
  sensitivity: number;
  mode: 'batch' | 'online';
  detected_at: Date;
  schedule_id: string | null;
}

const columns = `id, series_id, key, dimensions, (extract(epoch FROM ts) * 1000)::float8 AS t, value, expected, score, severity, consensus, methods, context, sensitivity, mode, detected_at, schedule_id`;

function fromRow(r: Row): StoredAnomaly {
  return {
    id: r.id,
    seriesId: Number(r.series_id),
    key: r.key,
    dimensions: r.dimensions,
    timestampMs: Number(r.t),
    value: Number(r.value),
    expected: r.expected === null ? null : Number(r.expected),
    score: Number(r.score),
    severity: r.severity,
    consensus: Number(r.consensus),
    methods: r.methods,
    context: r.context,
    sensitivity: Number(r.sensitivity),
    mode: r.mode,
    detectedAt: r.detected_at,
    scheduleId: r.schedule_id,
  };
}

/** The JSON context of an anomaly as stored and returned. */
export function contextJson(a: Anomaly): StoredAnomaly['context'] {
  const point = (p: { timestampMs: number; value: number }) => ({ timestamp: new Date(p.timestampMs).toISOString(), value: p.value });
  return { before: a.context.before.map(point), after: a.context.after.map(point), stats: a.context.stats };
}

/**
 * Stores the anomalies found in one series of `orgId` in one statement; a point stored before is
 * updated in place (same id). `run.scheduleId` names the detection schedule that found them; a point
 * re-detected on demand keeps the schedule it had. Returns the ids in the order given.
 */
export async function upsertAnomalies(
  sql: Sql,
  orgId: string,
  series: { id: number; key: string; dimensions: Labels },
  found: Anomaly[],
  run: { sensitivity: number; mode: 'batch' | 'online'; detectedAt: Date; scheduleId?: string | null },
): Promise<string[]> {
  if (!found.length) return [];
  const items = found.map((a) => ({
    ts: new Date(a.timestampMs).toISOString(),
    value: a.value,
    expected: Number.isFinite(a.expected) ? a.expected : null,
    score: a.score,
    severity: a.severity,
    severity_rank: severityRank[a.severity],
    consensus: a.consensus,
    methods: a.methods,
    context: contextJson(a),
  }));
  const r = await sql.query<{ id: string; t: number }>(
    `INSERT INTO anomalies (org_id, series_id, key, dimensions, ts, value, expected, score, severity, severity_rank, consensus, methods, context, sensitivity, mode, detected_at, schedule_id)
     SELECT $1, $2, $3, $4::jsonb, i.ts, i.value, i.expected, i.score, i.severity, i.severity_rank, i.consensus, i.methods, i.context, $6, $7, $8, $9::uuid
     FROM jsonb_to_recordset($5::jsonb) AS i(ts timestamptz, value float8, expected float8, score float8, severity text, severity_rank smallint, consensus float8, methods jsonb, context jsonb)
     ON CONFLICT (org_id, series_id, ts) DO UPDATE SET value = excluded.value, expected = excluded.expected, score = excluded.score, severity = excluded.severity,
       severity_rank = excluded.severity_rank, consensus = excluded.consensus, methods = excluded.methods, context = excluded.context,
       sensitivity = excluded.sensitivity, mode = excluded.mode, detected_at = excluded.detected_at, schedule_id = coalesce(excluded.schedule_id, anomalies.schedule_id)
     RETURNING id, (extract(epoch FROM ts) * 1000)::float8 AS t`,
    [orgId, series.id, series.key, JSON.stringify(series.dimensions), JSON.stringify(items), run.sensitivity, run.mode, run.detectedAt, run.scheduleId ?? null],
  );
  const byTime = new Map(r.rows.map((x) => [Number(x.t), x.id]));
  return found.map((a) => byTime.get(a.timestampMs)!);
}

export async function getAnomaly(sql: Sql, orgId: string, id: string): Promise<StoredAnomaly | undefined> {
  const r = await sql.query<Row>(`SELECT ${columns} FROM anomalies WHERE org_id = $1 AND id = $2`, [orgId, id]);
  return r.rows[0] && fromRow(r.rows[0]);
}

export interface AnomalyFilter {
  key?: string;
  /** Series whose dimensions include these pairs. */
  dimensions: Labels;
  fromMs?: number;
  toMs?: number;
  minSeverity?: Severity;
  /** Only those a detection schedule found. */
  scheduleId?: string;
  limit: number;
  /** Continue after this (time, id), newest first. */
  after?: { timestampMs: number; id: string };
}

/** Stored anomalies of `orgId`, newest first. */
export async function listAnomalies(sql: Sql, orgId: string, q: AnomalyFilter): Promise<{ items: StoredAnomaly[]; more: boolean }> {
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM anomalies
     WHERE org_id = $1
       AND ($2::text IS NULL OR key = $2)
       AND dimensions @> $3::jsonb
       AND ($4::timestamptz IS NULL OR ts >= $4)
       AND ($5::timestamptz IS NULL OR ts <= $5)
       AND severity_rank >= $6
       AND ($7::timestamptz IS NULL OR (ts, id) < ($7, $8::uuid))
       AND ($10::uuid IS NULL OR schedule_id = $10)
     ORDER BY ts DESC, id DESC
     LIMIT $9`,
    [
      orgId,
      q.key ?? null,
      JSON.stringify(q.dimensions),
      q.fromMs === undefined ? null : new Date(q.fromMs),
      q.toMs === undefined ? null : new Date(q.toMs),
      q.minSeverity ? severityRank[q.minSeverity] : 1,
      q.after ? new Date(q.after.timestampMs) : null,
      q.after?.id ?? null,
      q.limit + 1,
      q.scheduleId ?? null,
    ],
  );
  return { items: r.rows.slice(0, q.limit).map(fromRow), more: r.rows.length > q.limit };
}

/**
 * The anomalies a detection schedule stored in these series of `orgId` with fromMs ≤ time ≤ toMs,
 * ascending by time, by series id (what an anomaly rule naming the schedule reads instead of detecting).
 */
export async function scheduleAnomalies(sql: Sql, orgId: string, scheduleId: string, seriesIds: readonly number[], fromMs: number, toMs: number): Promise<Map<number, StoredAnomaly[]>> {
  const out = new Map<number, StoredAnomaly[]>();
  if (!seriesIds.length) return out;
  const r = await sql.query<Row>(
    `SELECT ${columns} FROM anomalies WHERE org_id = $1 AND schedule_id = $2 AND series_id = ANY($3::bigint[]) AND ts >= $4 AND ts <= $5 ORDER BY series_id, ts LIMIT 100000`,
    [orgId, scheduleId, seriesIds, new Date(fromMs), new Date(toMs)],
  );
  for (const row of r.rows) {
    const a = fromRow(row);
    const list = out.get(a.seriesId);
    if (list) list.push(a);
    else out.set(a.seriesId, [a]);
  }
  return out;
}
