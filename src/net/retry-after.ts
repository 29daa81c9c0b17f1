/**
 * A Retry-After header (delta seconds or an HTTP date, RFC 9110 §10.2.3) in ms from `now`, capped at
 * `maxMs` (a server cannot park a caller for days); undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: Date, maxMs: number): number | undefined {
  if (header === null) return undefined;
  const h = header.trim();
  let ms: number;
  if (/^\d+$/.test(h)) ms = Number(h) * 1000;
  else {
    const at = Date.parse(h);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), maxMs);
}
