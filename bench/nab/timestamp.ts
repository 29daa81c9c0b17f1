// NAB timestamps are zone-less wall times ("2014-04-10 16:15:00", windows add ".000000"); reading
// them as UTC gives one exact number per instant, so data rows and window limits compare as numbers.

const PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * Parses a NAB timestamp `YYYY-MM-DD HH:MM:SS[.ffffff]` (wall time, no zone) to epoch ms, reading it
 * as UTC. Fractions below 1 ms are dropped. Throws on any other shape or an impossible date.
 */
export function parseNabTimestamp(text: string): number {
  const m = PATTERN.exec(text);
  if (!m) throw new Error(`not a NAB timestamp (YYYY-MM-DD HH:MM:SS): "${text}"`);
  const [, y, mo, d, h, mi, s, frac] = m as unknown as [string, string, string, string, string, string, string, string | undefined];
  const ms = frac ? Math.floor(Number(frac.padEnd(6, '0')) / 1000) : 0;
  const t = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, ms);
  // Date.UTC rolls 2014-02-30 over to March; a round trip catches it.
  const back = new Date(t);
  if (back.getUTCDate() !== +d || back.getUTCMonth() !== +mo - 1 || back.getUTCHours() !== +h || +mi > 59 || +s > 59) {
    throw new Error(`impossible date in NAB timestamp: "${text}"`);
  }
  return t;
}
