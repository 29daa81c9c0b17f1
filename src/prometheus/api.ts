// The Prometheus HTTP API's operations over one organisation's store (no HTTP here: the route file
// hands in parsed parameters and writes the envelope). Each returns Prometheus' `data` and any
// warnings, or throws PromQLError (bad_data 400, execution 422, timeout 503).
import type { Labels } from '../core/labels.js';
import { formatValue, instantQuery, parseSeriesSelector, rangeQueryJson } from '../promql/engine.js';
import { defaultQueryLimits, PromQLError, type LabelMatcher, type QueryLimits, type QueryResult, type RawSeries } from '../promql/types.js';
import type { Sql } from '../store/sql.js';
import { RawJson } from './envelope.js';
import { Params, timeWindow, type RawParams } from './params.js';
import { platformHelp, platformNames, prometheusAlertLabels, readPlatform, TooManySeries, type PlatformName } from './platform-series.js';
import { defaultMaxSeries, labelsIdentity, selectSeries, StoreSource } from './store-source.js';

/** Who asks and when: every read is of `orgId`. */
export interface ApiContext {
  sql: Sql;
  orgId: string;
  nowMs: number;
  /** Series one selector may match (default {@link defaultMaxSeries}). */
  maxSeries?: number;
}

export interface ApiReply<T = unknown> {
  data: T;
  warnings: string[];
}

/** Prometheus' default query timeout (its --query.timeout). */
export const defaultTimeoutMs = 120_000;

/** The request's parameters: the query string, then the form body of a POST. */
export function paramsOf(query: unknown, body: unknown, known: readonly string[]): Params {
  const asParams = (x: unknown): RawParams | undefined => (x && typeof x === 'object' && !Array.isArray(x) ? (x as RawParams) : undefined);
  return new Params([asParams(query), asParams(body)], known);
}

function limitsOf(p: Params): QueryLimits {
  const lookback = p.duration('lookback_delta');
  if (lookback !== undefined && lookback <= 0) throw new PromQLError('bad_data', 'invalid parameter "lookback_delta": must be positive');
  return { ...defaultQueryLimits, lookbackMs: lookback ?? defaultQueryLimits.lookbackMs };
}

/** Runs `work` against the request's `timeout` (capped at the default): past it, `timeout` 503. */
async function withTimeout<T>(p: Params, work: () => Promise<T>): Promise<T> {
  const asked = p.duration('timeout');
  if (asked !== undefined && asked <= 0) throw new PromQLError('bad_data', 'invalid parameter "timeout": must be positive');
  const ms = Math.min(asked ?? defaultTimeoutMs, defaultTimeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PromQLError('timeout', `query timed out in expression evaluation (timeout ${ms / 1000}s)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function requireQuery(p: Params): string {
  const q = p.get('query');
  if (q === undefined) throw new PromQLError('bad_data', 'invalid parameter "query": query must not be empty');
  return q;
}

const queryParams = ['query', 'time', 'timeout', 'lookback_delta', 'limit'];
const rangeParams = ['query', 'start', 'end', 'step', 'timeout', 'lookback_delta'];

/** Instant query: `query`, `time` (default now), `timeout`, `lookback_delta`. */
export async function runInstantQuery(ctx: ApiContext, query: unknown, body: unknown): Promise<ApiReply<QueryResult>> {
  const p = paramsOf(query, body, queryParams);
  const q = requireQuery(p);
  const timeMs = p.time('time', ctx.nowMs);
  const limits = limitsOf(p);
  const source = new StoreSource(ctx.sql, ctx.orgId, { nowMs: ctx.nowMs, maxSeries: ctx.maxSeries, lookbackMs: limits.lookbackMs });
  const data = await withTimeout(p, () => instantQuery(source, q, timeMs, limits));
  return { data: truncate(data, p.limit()), warnings: source.warnings };
}

/**
 * Range query: `query`, `start`, `end`, `step` (all required), `timeout`, `lookback_delta`. The
 * matrix comes back as JSON bytes written by the engine (no objects per sample).
 */
export async function runRangeQuery(ctx: ApiContext, query: unknown, body: unknown): Promise<ApiReply<RawJson>> {
  const p = paramsOf(query, body, rangeParams);
  const q = requireQuery(p);
  const required = (name: string) => {
    if (p.get(name) === undefined) throw new PromQLError('bad_data', `invalid parameter "${name}": cannot parse "" to a valid ${name === 'step' ? 'duration' : 'timestamp'}`);
  };
  required('start');
  required('end');
  const startMs = p.time('start', 0);
  const endMs = p.time('end', 0);
  if (endMs < startMs) throw new PromQLError('bad_data', 'invalid parameter "end": end timestamp must not be before start time');
  required('step');
  const stepMs = p.duration('step')!;
  if (stepMs <= 0) throw new PromQLError('bad_data', 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer');
  const limits = limitsOf(p);
  if ((endMs - startMs) / stepMs > limits.maxPointsPerSeries) {
    throw new PromQLError('bad_data', `exceeded maximum resolution of ${limits.maxPointsPerSeries.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`);
  }
  const source = new StoreSource(ctx.sql, ctx.orgId, { nowMs: ctx.nowMs, maxSeries: ctx.maxSeries, lookbackMs: limits.lookbackMs });
  const data = await withTimeout(p, () => rangeQueryJson(source, q, startMs, endMs, stepMs, limits));
  return { data: new RawJson(data), warnings: source.warnings };
}

/** Prometheus 3's `limit` on instant query results: the first N series. */
function truncate(r: QueryResult, limit: number | undefined): QueryResult {
  if (limit === undefined || (r.resultType !== 'vector' && r.resultType !== 'matrix') || r.result.length <= limit) return r;
  return { ...r, result: r.result.slice(0, limit) } as QueryResult;
}

/** The selectors of `match[]`, each parsed (bad_data naming the one that does not parse). */
function selectors(p: Params, required: boolean): LabelMatcher[][] {
  const raw = p.all('match[]');
  if (!raw.length && required) throw new PromQLError('bad_data', 'no match[] parameter provided');
  return raw.map((text) => {
    try {
      return parseSeriesSelector(text);
    } catch (err) {
      if (err instanceof PromQLError) throw new PromQLError('bad_data', `invalid parameter "match[]": ${err.message}`);
      throw err;
    }
  });
}

/** The series (label sets only) of every selector, deduplicated; with start/end only those with data in it. */
async function labelSetsOf(ctx: ApiContext, sets: LabelMatcher[][], w: { startMs: number; endMs: number; bounded: boolean }, warnings: string[]): Promise<Labels[]> {
  const seen = new Set<string>();
  const out: Labels[] = [];
  for (const matchers of sets) {
    const list: RawSeries[] = await selectSeries(ctx.sql, ctx.orgId, { matchers, startMs: w.startMs, endMs: w.endMs }, {
      nowMs: ctx.nowMs,
      maxSeries: ctx.maxSeries ?? defaultMaxSeries,
      lookbackMs: defaultQueryLimits.lookbackMs,
      samples: false,
      requirePoints: w.bounded,
      warn: (m) => warnings.includes(m) || warnings.push(m),
    });
    for (const s of list) {
      const id = labelsIdentity(s.labels);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(s.labels);
    }
  }
  return out;
}

function limited<T>(items: T[], limit: number | undefined, warnings: string[]): T[] {
  if (limit === undefined || items.length <= limit) return items;
  warnings.push('results truncated due to limit');
  return items.slice(0, limit);
}

/** `GET /series`: `match[]` (one or more), `start`, `end`, `limit`. */
export async function findSeries(ctx: ApiContext, query: unknown, body: unknown): Promise<ApiReply<Labels[]>> {
  const p = paramsOf(query, body, ['match[]', 'start', 'end', 'limit']);
  const sets = selectors(p, true);
  const w = timeWindow(p);
  const warnings: string[] = [];
  const series = await labelSetsOf(ctx, sets, w, warnings);
  return { data: limited(series, p.limit(), warnings), warnings };
}

/**
 * The platform's series (label sets) with data in the window, for label listings; a name with more
 * than the series limit is left out with a warning rather than failing the listing.
 */
async function platformLabelSets(ctx: ApiContext, w: { startMs: number; endMs: number }, warnings: string[]): Promise<RawSeries[]> {
  const out: RawSeries[] = [];
  const maxSeries = ctx.maxSeries ?? defaultMaxSeries;
  for (const name of platformNames) {
    try {
      out.push(...(await readPlatform(ctx.sql, ctx.orgId, name, { ...w, nowMs: ctx.nowMs, key: null, samples: false, maxSeries }, defaultQueryLimits.lookbackMs)));
    } catch (err) {
      if (!(err instanceof TooManySeries)) throw err;
      warnings.push(`${name} has more than ${maxSeries} series in the window; its labels are not listed (narrow start and end, or use match[])`);
    }
  }
  return out;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `GET /labels`: label names, of the `match[]` series or of everything; `start`, `end`, `limit`. */
export async function labelNames(ctx: ApiContext, query: unknown, body: unknown): Promise<ApiReply<string[]>> {
  const p = paramsOf(query, body, ['match[]', 'start', 'end', 'limit']);
  const sets = selectors(p, false);
  const w = timeWindow(p);
  const warnings: string[] = [];
  const names = new Set<string>();
  if (sets.length) {
    for (const l of await labelSetsOf(ctx, sets, w, warnings)) for (const k of Object.keys(l)) names.add(k);
  } else {
    const r = await ctx.sql.query<{ k: string }>('SELECT DISTINCT jsonb_object_keys(dimensions) AS k FROM series WHERE org_id = $1', [ctx.orgId]);
    for (const x of r.rows) names.add(x.k);
    const any = await ctx.sql.query('SELECT 1 FROM series WHERE org_id = $1 LIMIT 1', [ctx.orgId]);
    if (any.rows.length) names.add('__name__');
    for (const s of await platformLabelSets(ctx, w, warnings)) for (const k of Object.keys(s.labels)) names.add(k);
  }
  return { data: limited([...names].sort(byCodeUnit), p.limit(), warnings), warnings };
}

/** `GET /label/:name/values`: the values of one label, of the `match[]` series or of everything. */
export async function labelValues(ctx: ApiContext, name: string, query: unknown, body: unknown): Promise<ApiReply<string[]>> {
  const p = paramsOf(query, body, ['match[]', 'start', 'end', 'limit']);
  if (name === '') throw new PromQLError('bad_data', 'invalid label name: ""');
  const sets = selectors(p, false);
  const w = timeWindow(p);
  const warnings: string[] = [];
  const values = new Set<string>();
  if (sets.length) {
    for (const l of await labelSetsOf(ctx, sets, w, warnings)) if (Object.hasOwn(l, name) && l[name] !== '') values.add(l[name]!);
  } else {
    const r =
      name === '__name__'
        ? await ctx.sql.query<{ v: string }>('SELECT DISTINCT key AS v FROM series WHERE org_id = $1', [ctx.orgId])
        : await ctx.sql.query<{ v: string }>('SELECT DISTINCT dimensions ->> $2 AS v FROM series WHERE org_id = $1 AND dimensions ? $2', [ctx.orgId, name]);
    for (const x of r.rows) if (x.v !== null && x.v !== '') values.add(x.v);
    for (const s of await platformLabelSets(ctx, w, warnings)) if (Object.hasOwn(s.labels, name) && s.labels[name] !== '') values.add(s.labels[name]!);
  }
  return { data: limited([...values].sort(byCodeUnit), p.limit(), warnings), warnings };
}

export interface MetricMetadata {
  type: 'gauge' | 'unknown';
  help: string;
  unit: string;
}

/** `GET /metadata`: per metric name its type and help; stored keys carry none (`unknown`), the platform's are gauges. `metric`, `limit`, `limit_per_metric`. */
export async function metadata(ctx: ApiContext, query: unknown, body: unknown): Promise<ApiReply<Record<string, MetricMetadata[]>>> {
  const p = paramsOf(query, body, ['metric', 'limit', 'limit_per_metric']);
  const metric = p.get('metric');
  const limit = p.limit();
  p.limit('limit_per_metric'); // validated; every metric has one entry
  const r = await ctx.sql.query<{ key: string }>(
    `SELECT DISTINCT key FROM series WHERE org_id = $1 AND ($2::text IS NULL OR key = $2) ORDER BY key LIMIT $3`,
    [ctx.orgId, metric ?? null, limit ?? 100_000],
  );
  const data: Record<string, MetricMetadata[]> = {};
  for (const name of platformNames) {
    if (metric === undefined || metric === name) data[name] = [{ type: 'gauge', help: platformHelp[name as PlatformName], unit: '' }];
  }
  for (const x of r.rows) data[x.key] ??= [{ type: 'unknown', help: '', unit: '' }];
  const names = Object.keys(data).sort(byCodeUnit);
  const kept = limit === undefined ? names : names.slice(0, limit);
  return { data: Object.fromEntries(kept.map((n) => [n, data[n]!])), warnings: [] };
}

/** `GET /status/buildinfo`: Prometheus-shaped, with a Prometheus version Grafana's feature detection accepts. */
export function buildInfo(platformVersion: string): ApiReply<Record<string, string>> {
  return {
    data: { version: '2.42.0', revision: 'intentvision', branch: 'intentvision', buildUser: 'intentvision', buildDate: '', goVersion: '', intentvision: platformVersion },
    warnings: [],
  };
}

/** `GET /query_exemplars`: the store keeps no exemplars; the parameters are still checked. */
export function exemplars(query: unknown, body: unknown): ApiReply<never[]> {
  const p = paramsOf(query, body, ['query', 'start', 'end']);
  requireQuery(p);
  timeWindow(p);
  return { data: [], warnings: [] };
}

/** `GET /alerts`: the platform's pending and firing alerts as Prometheus lists its alerts. */
export async function activeAlerts(ctx: ApiContext): Promise<ApiReply<{ alerts: unknown[] }>> {
  const r = await ctx.sql.query<{ labels: Labels; annotations: Record<string, string>; key: string; rule_name: string; severity: string; fired_at: Date | null; started_at: Date; value: number | null }>(
    `SELECT labels, annotations, key, rule_name, severity, fired_at, started_at, value FROM alerts
     WHERE org_id = $1 AND state <> 'resolved' ORDER BY started_at, id LIMIT 10000`,
    [ctx.orgId],
  );
  return {
    data: {
      alerts: r.rows.map((a) => {
        const labels = prometheusAlertLabels({ key: a.key, labels: a.labels, ruleName: a.rule_name, severity: a.severity });
        return { labels, annotations: a.annotations, state: a.fired_at ? 'firing' : 'pending', activeAt: a.started_at.toISOString(), value: formatValue(a.value ?? Number.NaN) };
      }),
    },
    warnings: [],
  };
}

