// The PromQL engine's SeriesSource over the store, for one organisation: the metric key is
// `__name__`, the dimensions are the other labels. Matchers the catalogue can index (`__name__="x"`,
// `label="v"`) become SQL; the rest (regular expressions, negations, empty values) are applied in
// memory on the candidates. The points of all matched series are then read in ONE statement by the
// store's reader (src/metrics/points/read.ts: hot rows and chunks merged).
//
// The platform's own series (./platform-series.ts) are merged in by name. A stored series whose
// labels equal a platform series' exactly (someone ingested a key named `ALERTS`, say) is left out
// in favour of the platform's, and the reply carries a warning saying so.
import type { Labels } from '../core/labels.js';
import { PromQLError, type LabelMatcher, type RawSeries, type SelectRequest, type SeriesSource } from '../promql/types.js';
import type { Sql } from '../store/sql.js';
import { readPoints as readStoredPoints, seriesWithPointsIn } from '../metrics/points/read.js';
import { compileMatchers, indexedPart, matchesAll, nameMatchers, type CompiledMatcher } from './matchers.js';
import { platformNames, readPlatform, TooManySeries, type PlatformName, type Window } from './platform-series.js';

/** Series one selector may match (Prometheus has no such limit; a tenant's query must not read everything). */
export const defaultMaxSeries = 10_000;
/** Catalogue rows a selector may examine in memory (its indexed part matched more: refused). */
export const maxCandidates = 200_000;

export interface StoreSourceOptions {
  nowMs: number;
  /** Per selector; more is an `execution` error. Default {@link defaultMaxSeries}. */
  maxSeries?: number;
  /** The engine's lookback (ALERTS' sample spacing stays under it). Default 5 minutes. */
  lookbackMs?: number;
}

/** A stored series the catalogue matched: its id and its labels (`__name__` = key). */
export interface CatalogSeries {
  id: number;
  labels: Labels;
}

/** Labels of a stored series: the dimensions and `__name__` = its key (the key wins over a dimension called `__name__`). */
export function storedLabels(key: string, dimensions: Labels): Labels {
  const out = new Map<string, string>(Object.entries(dimensions));
  out.set('__name__', key);
  return Object.fromEntries(out);
}

/** Identity of a label set (order-independent). */
export function labelsIdentity(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}\u0001${l[k]}`)
    .join('\u0000');
}

function tooMany(limit: number): PromQLError {
  return new PromQLError('execution', `the selector matches more than ${limit} series; narrow it with a metric name or more label matchers`);
}

/** The metric keys of `orgId` that the `__name__` matchers accept (null: no name matcher, any key). */
async function candidateKeys(sql: Sql, orgId: string, matchers: readonly LabelMatcher[], compiled: readonly CompiledMatcher[]): Promise<string[] | null> {
  const idx = indexedPart(matchers);
  if (idx.empty) return [];
  const names = nameMatchers(compiled);
  if (idx.keys !== null) return idx.keys.filter((k) => matchesAll(names, { __name__: k }));
  if (!names.length) return null;
  const r = await sql.query<{ key: string }>('SELECT DISTINCT key FROM series WHERE org_id = $1', [orgId]);
  return r.rows.map((x) => x.key).filter((k) => matchesAll(names, { __name__: k }));
}

/**
 * The stored series of `orgId` matching every matcher, in id order; more than `maxSeries` is an
 * `execution` error. With `window`, only series with a point in [startMs, endMs].
 */
export async function matchStoredSeries(sql: Sql, orgId: string, matchers: readonly LabelMatcher[], maxSeries: number, window?: { startMs: number; endMs: number }): Promise<CatalogSeries[]> {
  const compiled = compileMatchers(matchers);
  const keys = await candidateKeys(sql, orgId, matchers, compiled);
  if (keys !== null && !keys.length) return [];
  const idx = indexedPart(matchers);
  if (idx.empty) return [];
  const r = await sql.query<{ id: string; key: string; dimensions: Labels }>(
    `SELECT s.id, s.key, s.dimensions FROM series s
     WHERE s.org_id = $1 AND ($2::text[] IS NULL OR s.key = ANY($2::text[])) AND s.dimensions @> $3::jsonb
     ORDER BY s.id LIMIT $4`,
    [orgId, keys, JSON.stringify(idx.pairs), maxCandidates + 1],
  );
  if (r.rows.length > maxCandidates) throw tooMany(maxSeries);
  let matched: CatalogSeries[] = [];
  for (const row of r.rows) {
    const labels = storedLabels(row.key, row.dimensions);
    if (matchesAll(compiled, labels)) matched.push({ id: Number(row.id), labels });
  }
  if (window && matched.length) {
    // Points live in hot rows and chunks: the store's reader answers which series have one inside.
    const withPoints = await seriesWithPointsIn(sql, orgId, matched.map((s) => s.id), window.startMs, window.endMs);
    matched = matched.filter((s) => withPoints.has(s.id));
  }
  if (matched.length > maxSeries) throw tooMany(maxSeries);
  return matched;
}

/** Points of `series` (all of `orgId`) with startMs < t ≤ endMs, ascending by time: one statement. */
export async function readPoints(sql: Sql, orgId: string, series: readonly CatalogSeries[], w: Window): Promise<RawSeries[]> {
  if (!series.length) return [];
  const points = await readStoredPoints(sql, orgId, series.map((s) => s.id), { afterMs: w.startMs, toMs: w.endMs });
  return series.map((s) => {
    const p = points.get(s.id);
    return { labels: s.labels, timestampsMs: p?.timestampsMs ?? new Float64Array(0), values: p?.values ?? new Float64Array(0) };
  });
}

/** Series with the same labels (an alert that resolved and fired again) become one, samples in time order. */
export function mergeSameLabels(list: readonly RawSeries[]): RawSeries[] {
  const byId = new Map<string, RawSeries[]>();
  for (const s of list) {
    const id = labelsIdentity(s.labels);
    const g = byId.get(id);
    if (g) g.push(s);
    else byId.set(id, [s]);
  }
  return [...byId.values()].map((g) => {
    if (g.length === 1) return g[0]!;
    const pairs: [number, number][] = [];
    for (const s of g) for (let i = 0; i < s.timestampsMs.length; i++) pairs.push([s.timestampsMs[i]!, s.values[i]!]);
    pairs.sort((a, b) => a[0] - b[0]);
    const t: number[] = [];
    const v: number[] = [];
    for (const [ts, val] of pairs) {
      if (t.length && t[t.length - 1] === ts) continue;
      t.push(ts);
      v.push(val);
    }
    return { labels: g[0]!.labels, timestampsMs: Float64Array.from(t), values: Float64Array.from(v) };
  });
}

/** The platform names a selector's `__name__` matchers accept. */
export function platformNamesMatching(matchers: readonly LabelMatcher[]): PlatformName[] {
  const names = nameMatchers(compileMatchers(matchers));
  return platformNames.filter((n) => matchesAll(names, { __name__: n }));
}

/**
 * Stored series (with points, or labels only) and the platform's series of one selector, merged:
 * where label sets coincide the platform's series wins and `warn` is told.
 */
export async function selectSeries(
  sql: Sql,
  orgId: string,
  req: SelectRequest,
  o: {
    nowMs: number;
    maxSeries: number;
    lookbackMs: number;
    /** false: label sets only (empty sample arrays). */
    samples: boolean;
    /** Label sets only: just the stored series with a point in [startMs, endMs]. */
    requirePoints?: boolean;
    warn: (message: string) => void;
  },
): Promise<RawSeries[]> {
  const compiled = compileMatchers(req.matchers);
  const window = { startMs: req.startMs, endMs: req.endMs };
  const stored = await matchStoredSeries(sql, orgId, req.matchers, o.maxSeries, !o.samples && o.requirePoints ? window : undefined);
  const names = platformNamesMatching(req.matchers);
  const keyPair = req.matchers.find((m) => m.name === 'key' && m.type === '=');
  const platform: RawSeries[] = [];
  for (const name of names) {
    try {
      const list = await readPlatform(sql, orgId, name, { ...window, nowMs: o.nowMs, key: keyPair ? keyPair.value : null, samples: o.samples, maxSeries: o.maxSeries }, o.lookbackMs);
      for (const s of mergeSameLabels(list)) if (matchesAll(compiled, s.labels)) platform.push(s);
    } catch (err) {
      if (err instanceof TooManySeries) throw tooMany(o.maxSeries);
      throw err;
    }
  }
  if (stored.length + platform.length > o.maxSeries) throw tooMany(o.maxSeries);
  const taken = new Set(platform.map((s) => labelsIdentity(s.labels)));
  const kept = taken.size ? stored.filter((s) => !taken.has(labelsIdentity(s.labels))) : stored;
  if (kept.length < stored.length) {
    const hidden = stored.length - kept.length;
    o.warn(`${hidden} stored series ${hidden === 1 ? 'has' : 'have'} the same labels as the platform's own series (${[...new Set(platform.map((s) => s.labels.__name__))].join(', ')}) and ${hidden === 1 ? 'is' : 'are'} not returned; ingest them under another name`);
  }
  const points = o.samples ? await readPoints(sql, orgId, kept, window) : kept.map((s) => ({ labels: s.labels, timestampsMs: new Float64Array(0), values: new Float64Array(0) }));
  return [...points, ...platform];
}

/**
 * The SeriesSource of one request: everything it reads is `orgId`'s. Collects warnings (shadowed
 * stored series) for the reply's `warnings`.
 */
export class StoreSource implements SeriesSource {
  readonly warnings: string[] = [];
  private readonly maxSeries: number;
  private readonly lookbackMs: number;

  constructor(
    private readonly sql: Sql,
    private readonly orgId: string,
    private readonly opts: StoreSourceOptions,
  ) {
    this.maxSeries = opts.maxSeries ?? defaultMaxSeries;
    this.lookbackMs = opts.lookbackMs ?? 5 * 60_000;
  }

  select(req: SelectRequest): Promise<RawSeries[]> {
    return selectSeries(this.sql, this.orgId, req, {
      nowMs: this.opts.nowMs,
      maxSeries: this.maxSeries,
      lookbackMs: this.lookbackMs,
      samples: true,
      warn: (m) => {
        if (!this.warnings.includes(m)) this.warnings.push(m);
      },
    });
  }
}
