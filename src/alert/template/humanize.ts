// Prometheus' number formatting functions for templates (template/template.go and
// prometheus/common helpers/templates), as pure functions of a float64.
import { formatFloat, TemplateCallError } from './gofmt.js';

const g4 = (v: number) => formatFloat(v, 'g', 4);

/** 1234567 → `1.235M`, 0.12 → `120m`: SI prefixes, 4 significant digits. */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

/** 1048576 → `1Mi`: binary prefixes, 4 significant digits; |v| ≤ 1 unchanged. */
export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

/** Seconds as `1d 1h 0m 0s`, `14m 59s`, `1.234s`, `100ms`. */
export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return g4(v) + 's';
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const total = Math.trunc(v);
    const seconds = total % 60;
    const minutes = Math.floor(total / 60) % 60;
    const hours = Math.floor(total / 3600) % 24;
    const days = Math.floor(total / 86_400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** A ratio as a percentage: 0.1234 → `12.34%`. */
export function humanizePercentage(v: number): string {
  return g4(v * 100) + '%';
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * Unix seconds as Go prints a UTC time: `2015-06-23 13:19:44.128 +0000 UTC` (millisecond
 * precision, as Prometheus converts through model.Time); NaN and infinities as `%.4g`.
 */
export function humanizeTimestamp(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  const ns = v * 1e9;
  if (ns >= 9223372036854775807 || ns < -9223372036854775808) throw new TemplateCallError(`${formatFloat(v, 'g', -1)} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  const ms = Number(BigInt(Math.trunc(ns)) / 1_000_000n);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new TemplateCallError(`${formatFloat(v, 'g', -1)} is outside the supported time range`);
  const frac = ((ms % 1000) + 1000) % 1000;
  const year = d.getUTCFullYear();
  const date = `${year < 0 ? '-' : ''}${String(Math.abs(year)).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${date} ${time}${frac ? '.' + String(frac).padStart(3, '0').replace(/0+$/, '') : ''} +0000 UTC`;
}
