// A series as the URL names it: `key` or `key{"dim":"value",…}` (a key never contains "{").
import type { Dimensions } from './types';

export interface SeriesRef {
  key: string;
  dimensions: Dimensions;
}

export function refToParam(r: SeriesRef): string {
  return Object.keys(r.dimensions).length ? `${r.key}${JSON.stringify(sortDims(r.dimensions))}` : r.key;
}

export function paramToRef(p: string): SeriesRef | undefined {
  const i = p.indexOf('{');
  if (i < 0) return p ? { key: p, dimensions: {} } : undefined;
  try {
    const dims = JSON.parse(p.slice(i)) as unknown;
    if (!dims || typeof dims !== 'object' || Array.isArray(dims)) return undefined;
    return { key: p.slice(0, i), dimensions: Object.fromEntries(Object.entries(dims).map(([k, v]) => [k, String(v)])) };
  } catch {
    return undefined;
  }
}

export function refLabel(r: SeriesRef): string {
  const d = Object.entries(sortDims(r.dimensions));
  return d.length ? `${r.key}{${d.map(([k, v]) => `${k}=${v}`).join(', ')}}` : r.key;
}

export function sameDims(a: Dimensions | null, b: Dimensions): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b).length && ak.every((k) => a![k] === b[k]);
}

function sortDims(d: Dimensions): Dimensions {
  return Object.fromEntries(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** "host=web-1, region=eu" → {host: "web-1", region: "eu"}; undefined when a pair has no "=". */
export function parseDimFilter(text: string): Dimensions | undefined {
  const out: Dimensions = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
