// Parameters of the Prometheus HTTP API as Prometheus reads them: from the query string and, for
// POST, the form body (the body's value first, as Go's Request.FormValue), single values taking the
// first occurrence, `match[]` repeated. Unknown names are refused (a misspelt `stpe` would
// otherwise be silently ignored); the ones Prometheus accepts and this API does not need are allowed.
import { parseDuration, parseTimeParam } from '../promql/duration.js';
import { PromQLError } from '../promql/types.js';

export type RawParams = Record<string, string | string[] | undefined>;

/** Earliest and latest times a store can hold (PostgreSQL timestamps, years 1–9999), epoch ms. */
export const minTimeMs = -62_135_596_800_000;
export const maxTimeMs = 253_402_300_799_999;

/** Parameters Prometheus accepts that change nothing here (statistics, Thanos/Mimir hints some clients send). */
const ignored = ['stats', 'dedup', 'partial_response', 'max_source_resolution', 'engine'];

/** Read access to one request's parameters, with the names the endpoint knows. */
export class Params {
  private readonly merged = new Map<string, string[]>();

  constructor(sources: readonly (RawParams | undefined | null)[], known: readonly string[]) {
    // Later sources (the form body) come first, as FormValue prefers the body.
    for (const src of [...sources].reverse()) {
      if (!src || typeof src !== 'object') continue;
      for (const [k, v] of Object.entries(src)) {
        if (v === undefined) continue;
        const list = this.merged.get(k) ?? [];
        list.push(...(Array.isArray(v) ? v : [v]).map(String));
        this.merged.set(k, list);
      }
    }
    const allowed = new Set([...known, ...ignored]);
    const unknown = [...this.merged.keys()].filter((k) => !allowed.has(k));
    if (unknown.length) throw new PromQLError('bad_data', `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')}; this endpoint takes ${known.join(', ')}`);
  }

  /** The first value of `name`, or undefined when absent or empty. */
  get(name: string): string | undefined {
    const v = this.merged.get(name)?.[0];
    return v === undefined || v === '' ? undefined : v;
  }

  /** Every value of a repeated parameter (`match[]`). */
  all(name: string): string[] {
    return this.merged.get(name) ?? [];
  }

  /** A time (unix seconds or RFC 3339), in ms; `fallback` when absent. */
  time(name: string, fallback: number): number {
    const v = this.get(name);
    if (v === undefined) return fallback;
    try {
      return parseTimeParam(v);
    } catch {
      throw new PromQLError('bad_data', `invalid parameter "${name}": cannot parse "${v}" to a valid timestamp`);
    }
  }

  /** A duration (float seconds or `5m`), in ms; undefined when absent. */
  duration(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    try {
      return parseDuration(v);
    } catch {
      throw new PromQLError('bad_data', `invalid parameter "${name}": cannot parse "${v}" to a valid duration`);
    }
  }

  /** A non-negative whole number; undefined when absent (or 0, which Prometheus reads as "no limit"). */
  limit(name = 'limit'): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new PromQLError('bad_data', `invalid parameter "${name}": cannot parse "${v}" to a non-negative integer`);
    return n === 0 ? undefined : n;
  }
}

/** A `[start, end]` window from optional `start`/`end` parameters, clamped to what a store can hold. */
export function timeWindow(p: Params): { startMs: number; endMs: number; bounded: boolean } {
  const bounded = p.get('start') !== undefined || p.get('end') !== undefined;
  const startMs = Math.max(minTimeMs, p.time('start', minTimeMs));
  const endMs = Math.min(maxTimeMs, p.time('end', maxTimeMs));
  if (endMs < startMs) throw new PromQLError('bad_data', 'invalid parameter "end": end timestamp must not be before start time');
  return { startMs, endMs, bounded };
}

/**
 * A label name from the URL path. Prometheus 3 clients write names outside the classic character
 * set as `U__` followed by the name with `_` doubled and other characters as `_<hex code point>_`.
 */
export function labelNameFromPath(raw: string): string {
  if (!raw.startsWith('U__')) return raw;
  let out = '';
  const s = raw.slice(3);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    if (s[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const end = s.indexOf('_', i + 1);
    const hex = end > i ? s.slice(i + 1, end) : '';
    if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) return raw;
    out += String.fromCodePoint(Number.parseInt(hex, 16));
    i = end;
  }
  return out;
}
