/**
 * Which targets are due and who scrapes them. A target is claimed by moving its next_scrape_at one
 * interval on (FOR UPDATE SKIP LOCKED), so any number of workers share the targets and none is
 * scraped twice for one due time. Cron ticks by the minute while intervals go down to 5 s, so the
 * `source-scraper` job runs {@link runScraper} for most of a minute, claiming each second.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../core/logger.js';
import { sourceById } from './resolve.js';
import { scrapeSettings, scrapeTarget, type ScrapeDeps, type ScrapeResult } from './scrape.js';

/** The shortest interval honoured, seconds (shorter settings are scraped this often). */
export const minIntervalSeconds = 5;

export interface ClaimedTarget {
  sourceId: string;
  orgId: string;
  url: string;
}

/**
 * Claims up to `limit` targets due at `now` of enabled scrape sources, oldest due first, and moves
 * each one's next_scrape_at an interval on: from its due time (a fixed phase), or from now when it
 * is more than an interval late. A target whose row names another organisation than its source is
 * never claimed.
 */
export async function claimDueTargets(deps: ScrapeDeps, now: Date, limit: number): Promise<ClaimedTarget[]> {
  if (limit <= 0) return [];
  const r = await deps.ingest.sql.query<{ source_id: string; org_id: string; url: string }>(
    `WITH due AS (
       SELECT t.source_id, t.url,
              make_interval(secs => GREATEST($3::float8, CASE WHEN jsonb_typeof(s.settings->'intervalSeconds') = 'number'
                                                           THEN (s.settings->>'intervalSeconds')::float8 ELSE 60 END)) AS every
       FROM scrape_targets t JOIN sources s ON s.id = t.source_id AND s.org_id = t.org_id
       WHERE t.next_scrape_at <= $1 AND s.enabled AND s.kind = 'prometheus-scrape'
       ORDER BY t.next_scrape_at
       LIMIT $2
       FOR UPDATE OF t SKIP LOCKED
     )
     UPDATE scrape_targets t
        SET next_scrape_at = CASE WHEN t.next_scrape_at + due.every > $1 THEN t.next_scrape_at + due.every ELSE $1::timestamptz + due.every END
       FROM due
      WHERE t.source_id = due.source_id AND t.url = due.url
     RETURNING t.source_id, t.org_id, t.url`,
    [now, limit, minIntervalSeconds],
    { prepare: 'scrape_claim_due' },
  );
  return r.rows.map((x) => ({ sourceId: x.source_id, orgId: x.org_id, url: x.url }));
}

export interface ScrapeOutcome extends ClaimedTarget {
  result: ScrapeResult | null;
  /** Why nothing was scraped (the source changed since the claim) or storing the outcome failed. */
  skipped?: string;
}

/** Scrapes one claimed target, re-reading its source: it may have been disabled or changed since. */
async function scrapeClaimed(deps: ScrapeDeps, c: ClaimedTarget, at: Date, log?: Logger): Promise<ScrapeOutcome> {
  try {
    const source = await sourceById(deps.ingest.sql, c.orgId, c.sourceId);
    if (!source || !source.enabled || source.kind !== 'prometheus-scrape') return { ...c, result: null, skipped: 'source disabled, deleted or of another kind' };
    // The row follows the source's settings; a row left behind by a removed target is not scraped.
    const target = scrapeSettings(source).targets.find((t) => t.url === c.url);
    if (!target) return { ...c, result: null, skipped: 'no longer a target of its source' };
    const result = await scrapeTarget(deps, source, target, at);
    if (!result.up && deps.signal?.aborted) return { ...c, result: null, skipped: 'stopped by shutdown' };
    return { ...c, result };
  } catch (err) {
    log?.warn({ err, sourceId: c.sourceId, url: c.url }, 'scrape could not be stored');
    return { ...c, result: null, skipped: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs `fn` over `items`, at most `limit` at once. */
async function eachBounded<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * One pass: claims every target due at `now` (up to `limit`) and scrapes them, at most
 * `deps.concurrency` at once, each at `now`. What tests and the loop call.
 */
export async function scrapeDue(deps: ScrapeDeps, now: Date, opts: { limit?: number; log?: Logger } = {}): Promise<ScrapeOutcome[]> {
  const claimed = await claimDueTargets(deps, now, opts.limit ?? 1000);
  return eachBounded(claimed, deps.concurrency ?? 16, (c) => scrapeClaimed(deps, c, now, opts.log));
}

/** Whether any enabled scrape source has a target: when none has, the job ends at once. */
async function anyTargets(deps: ScrapeDeps): Promise<boolean> {
  const r = await deps.ingest.sql.query(
    `SELECT 1 FROM scrape_targets t JOIN sources s ON s.id = t.source_id AND s.org_id = t.org_id
      WHERE s.enabled AND s.kind = 'prometheus-scrape' LIMIT 1`,
    [],
    { prepare: 'scrape_any_targets' },
  );
  return r.rows.length > 0;
}

export interface ScraperTotals {
  scrapes: number;
  up: number;
  down: number;
}

/**
 * The job's body: for `durationMs` (wall time), claims due targets every `tickMs` up to the free
 * scrape slots and starts them without waiting, so a slow target never holds back the others;
 * then waits for the scrapes in flight. Ends early when no target exists or `deps.signal` aborts.
 */
export async function runScraper(deps: ScrapeDeps, opts: { durationMs: number; tickMs?: number; log?: Logger }): Promise<ScraperTotals> {
  const totals: ScraperTotals = { scrapes: 0, up: 0, down: 0 };
  if (!(await anyTargets(deps))) return totals;
  const slots = deps.concurrency ?? 16;
  const tickMs = opts.tickMs ?? 1000;
  const end = performance.now() + opts.durationMs;
  const inFlight = new Set<Promise<void>>();
  try {
    await loop();
  } finally {
    await Promise.all(inFlight);
  }
  return totals;

  async function loop(): Promise<void> {
    while (performance.now() < end && !deps.signal?.aborted) {
      const at = deps.now();
      const claimed = await claimDueTargets(deps, at, slots - inFlight.size);
      for (const c of claimed) {
        const p = scrapeClaimed(deps, c, at, opts.log).then((o) => {
          inFlight.delete(p);
          if (!o.result) return;
          totals.scrapes++;
          if (o.result.up) totals.up++;
          else totals.down++;
        });
        inFlight.add(p);
      }
      await sleep(Math.min(tickMs, Math.max(0, end - performance.now())), undefined, { signal: deps.signal }).catch(() => undefined);
    }
  }
}
