// Formatting for the one-line summaries of alerts: series `key{a=b,c=d}`, durations `1h30m`, values
// to 6 significant digits (rates and means carry float noise such as 0.30000000000000004).
import type { Labels } from '../core/labels.js';

/** `key{a=b,c=d}` with dimensions sorted by name; just `key` when there are none. */
export function formatSeries(key: string, dimensions: Readonly<Labels>): string {
  const names = Object.keys(dimensions).sort();
  if (!names.length) return key;
  return `${key}{${names.map((n) => `${n}=${dimensions[n]}`).join(',')}}`;
}

const units: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A duration in ms as `1d2h`, `1h30m`, `5m`, `45s`, `250ms`, `0s`; whole units only (sub-second parts dropped above 1 s). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.floor(ms / 1000) * 1000;
  let out = '';
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${u}`;
    rest -= n * size;
  }
  return out;
}

/** A number to 6 significant digits without trailing zeros: 0.97, 1234570, 1e-7. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Number.parseFloat(v.toPrecision(6)));
}

/** ISO-8601 of epoch ms (the form every alert detail uses for times). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
