// Durations and timestamps as Prometheus reads them in queries and API parameters.
import { PromQLError } from './types.js';

const unitMs: Record<string, number> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
// Units in this order, each at most once (Prometheus' model.ParseDuration).
const durationPattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const unitOrder = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
const floatPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A Prometheus duration such as `1h30m` or `500ms` in ms, or undefined when `text` is not one. */
export function durationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const m = durationPattern.exec(text);
  if (!m || text === '') return undefined;
  let ms = 0;
  for (let i = 0; i < unitOrder.length; i++) {
    const n = m[i + 1];
    if (n !== undefined) ms += Number(n) * unitMs[unitOrder[i]!]!;
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * A duration parameter in ms, as the Prometheus API reads `step` and `timeout`: a float number of
 * seconds (`15`, `0.5`) or a duration (`1h30m`, `500ms`). Anything else → bad_data.
 */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (floatPattern.test(t)) {
    const ms = Math.round(Number(t) * 1000);
    if (Number.isFinite(ms) && Math.abs(ms) <= Number.MAX_SAFE_INTEGER) return ms;
    throw new PromQLError('bad_data', `cannot parse "${text}" to a valid duration. It overflows int64`);
  }
  const ms = durationMs(t);
  if (ms === undefined) throw new PromQLError('bad_data', `cannot parse "${text}" to a valid duration`);
  return ms;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** A time parameter in ms: unix seconds as a float (`1700000000.5`) or RFC 3339. Anything else → bad_data. */
export function parseTimeParam(text: string): number {
  const t = text.trim();
  if (floatPattern.test(t)) {
    const seconds = Number(t);
    const whole = Math.trunc(seconds);
    const ms = whole * 1000 + Math.round((seconds - whole) * 1000);
    if (Number.isFinite(ms) && Math.abs(ms) <= 8.64e15) return ms;
  } else if (rfc3339.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  throw new PromQLError('bad_data', `cannot parse "${text}" to a valid timestamp`);
}
