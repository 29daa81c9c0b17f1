/**
 * Scraping one target of a `prometheus-scrape` source, as Prometheus does: GET the exposition
 * endpoint through the outbound guard (no internal address unless OUTBOUND_ALLOWED_CIDRS opens it),
 * parse it by its Content-Type (OpenMetrics or the text format), add the `job`, `instance` and target
 * labels, and hand the samples to the one ingest pipeline with the source's defaults and mapping.
 * Every scrape, failed or not, also stores `up`, `scrape_duration_seconds` and
 * `scrape_samples_scraped` for the target and updates its scrape_targets row.
 */
import type { Clock } from '../core/clock.js';
import type { Labels } from '../core/labels.js';
import { ingest, type IngestDeps, type IngestVia } from '../ingest/ingest.js';
import { parseExposition, type ExpositionFormat } from '../ingest/protocols/exposition.js';
import { networkFailure } from '../net/failure.js';
import { strictOutboundGuard, type OutboundGuard } from '../net/outbound.js';
import { recordSourceOutcome, viaSource } from './resolve.js';
import type { ScrapeSettings, ScrapeTarget, Source } from './source.js';

export interface ScrapeDeps {
  ingest: IngestDeps;
  now: Clock;
  /** The guard every scrape connects through (default: no internal address). */
  outbound?: OutboundGuard;
  /** Largest body read, bytes, after decompression (default 16 MiB). */
  maxBodyBytes?: number;
  /** Most samples one scrape may bring (Prometheus' sample_limit; default 100,000): more fails the scrape. */
  sampleLimit?: number;
  /** Scrapes at once (default 16). */
  concurrency?: number;
  /** Ends the scrape loop (server shutdown). */
  signal?: AbortSignal;
}

export const defaultMaxBodyBytes = 16 * 1024 * 1024;
export const defaultSampleLimit = 100_000;

/** What Prometheus sends: OpenMetrics preferred, the text format accepted. */
export const scrapeAccept = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5';

/** The settings of a scrape source, with defaults for what is missing. */
export function scrapeSettings(source: Source): ScrapeSettings {
  const s = source.settings as Partial<ScrapeSettings>;
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
  const intervalSeconds = num(s.intervalSeconds, 60);
  return {
    targets: Array.isArray(s.targets) ? s.targets : [],
    intervalSeconds,
    timeoutSeconds: Math.min(num(s.timeoutSeconds, 10), intervalSeconds),
    ...(typeof s.job === 'string' && s.job !== '' && { job: s.job }),
  };
}

/** `host:port` of a target URL, the default port written out (Prometheus' `instance`). */
export function instanceOf(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

export interface ScrapeResult {
  up: boolean;
  durationMs: number;
  /** Samples the target exposed (stored or not). */
  samples: number;
  accepted: number;
  rejected: number;
  /** NaN and ±Inf samples, not stored. */
  nonFinite: number;
  /** Why the scrape failed (then `up` is false); null when it succeeded. */
  error: string | null;
  /** The first sample the pipeline rejected, when some were (the scrape itself succeeded). */
  firstRejection: string | null;
}

class ScrapeError extends Error {}

/** The body of a scrape: GET through the guard, capped, within the timeout. */
async function fetchExposition(deps: ScrapeDeps, url: URL, timeoutSeconds: number): Promise<{ format: ExpositionFormat; text: string }> {
  const outbound = deps.outbound ?? strictOutboundGuard;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ScrapeError(`unsupported URL scheme ${url.protocol} (http or https)`);
  // A literal internal address is refused here, by name before any connection; names are checked
  // again by the guard after resolution, for every connection (redirects included).
  const refused = outbound.checkHost(url.hostname);
  if (refused) throw new ScrapeError(`refused by the outbound guard: ${refused}`);
  const max = deps.maxBodyBytes ?? defaultMaxBodyBytes;
  const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
  const signal = deps.signal ? AbortSignal.any([timeout, deps.signal]) : timeout;
  try {
    const res = await outbound.fetch(url, {
      headers: { accept: scrapeAccept, 'user-agent': 'IntentVision-scraper', 'x-prometheus-scrape-timeout-seconds': String(timeoutSeconds) },
      signal,
    });
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel().catch(() => undefined);
      throw new ScrapeError(`server returned HTTP status ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    const declared = Number(res.headers.get('content-length'));
    if (declared > max) {
      await res.body?.cancel().catch(() => undefined);
      throw new ScrapeError(`body of ${declared} bytes exceeds the limit of ${max} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > max) {
          await reader.cancel().catch(() => undefined);
          throw new ScrapeError(`body exceeds the limit of ${max} bytes`);
        }
        chunks.push(value);
      }
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
    } catch {
      throw new ScrapeError('body is not valid UTF-8');
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    // Prometheus' choice: OpenMetrics when the target says so, otherwise the text format.
    return { format: type === 'application/openmetrics-text' ? 'openmetrics' : 'text', text };
  } catch (err) {
    if (err instanceof ScrapeError) throw err;
    if (timeout.aborted) throw new ScrapeError(`scrape timed out after ${timeoutSeconds} s`);
    if (deps.signal?.aborted) throw new ScrapeError('scrape stopped: the server is shutting down');
    throw new ScrapeError(networkFailure(err).error);
  }
}

/**
 * The target's samples as ingest items: `job`, `instance` and the target's labels win over exposed
 * labels of the same name, which are kept as `exported_<name>` (Prometheus' honor_labels: false).
 */
function withTargetLabels(items: { key: string; value: number; timestamp?: number; dimensions: Labels }[], target: Labels, atMs: number) {
  const names = Object.keys(target);
  return items.map((it) => {
    const dims: Labels = {};
    for (const [n, v] of Object.entries(it.dimensions)) {
      const name = names.includes(n) ? `exported_${n}` : n;
      Object.defineProperty(dims, name, { value: v, enumerable: true, writable: true, configurable: true });
    }
    for (const n of names) dims[n] = target[n]!;
    return { key: it.key, value: it.value, timestamp: it.timestamp ?? atMs, dimensions: dims };
  });
}

/**
 * Scrapes `target` of `source` once, at `at` (the scrape's start: the time of samples sent without
 * one, and of the report series), stores what it brought and records the outcome. Never throws for
 * the target's faults: they are the result's `error` (and `up` = 0).
 */
export async function scrapeTarget(deps: ScrapeDeps, source: Source, target: ScrapeTarget, at: Date): Promise<ScrapeResult> {
  const settings = scrapeSettings(source);
  const started = performance.now();
  const atMs = at.getTime();
  let url: URL | undefined;
  try {
    url = new URL(target.url);
  } catch {
    // Left undefined: reported below without an instance of its own.
  }
  const labels: Labels = { ...(target.labels ?? {}), job: settings.job ?? source.name, instance: url ? instanceOf(url) : target.url };
  const result: ScrapeResult = { up: false, durationMs: 0, samples: 0, accepted: 0, rejected: 0, nonFinite: 0, error: null, firstRejection: null };
  const sampleLimit = deps.sampleLimit ?? defaultSampleLimit;
  try {
    if (!url) throw new ScrapeError(`invalid target URL "${target.url.slice(0, 200)}"`);
    const body = await fetchExposition(deps, url, settings.timeoutSeconds);
    const parsed = parseExposition(body.text, body.format, { maxSamples: sampleLimit });
    if (!parsed.ok) throw new ScrapeError(`line ${parsed.line}: ${parsed.message}`);
    result.samples = parsed.samples;
    result.nonFinite = parsed.nonFinite;
    // One scrape is one commit: the request-size limit of HTTP clients does not split it.
    const ingestDeps = { ...deps.ingest, settings: { ...deps.ingest.settings, maxBatch: Math.max(sampleLimit, deps.ingest.settings.maxBatch) } };
    const out = await ingest(ingestDeps, {
      orgId: source.orgId,
      requestId: null,
      via: viaSource(source),
      items: withTargetLabels(parsed.items, labels, atMs),
      where: (i) => `line ${parsed.lines[i]}`,
    });
    if (out.replayed) throw new Error('a scrape has no idempotency key to replay');
    result.accepted = out.body.accepted;
    result.rejected = out.body.rejected;
    result.up = true;
    const first = out.body.errors[0];
    if (first) result.firstRejection = `${out.body.rejected} samples rejected; first: ${first.field}: ${first.message}`;
  } catch (err) {
    result.up = false;
    result.samples = 0;
    result.error = err instanceof ScrapeError ? err.message : `storing the samples failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  result.durationMs = performance.now() - started;
  // Cut short by shutdown: the target is not at fault, so nothing is recorded (its next scrape comes).
  if (!result.up && deps.signal?.aborted) return result;

  // The report series go through defaults but not the mapping (Prometheus never relabels them):
  // `up` stays findable whatever the rules drop or rename.
  const report: IngestVia = { label: source.name, sourceId: source.id, defaultDimensions: source.defaultDimensions };
  const reported = await ingest(deps.ingest, {
    orgId: source.orgId,
    requestId: null,
    via: report,
    items: [
      { key: 'up', value: result.up ? 1 : 0, timestamp: atMs, dimensions: labels },
      { key: 'scrape_duration_seconds', value: result.durationMs / 1000, timestamp: atMs, dimensions: labels },
      { key: 'scrape_samples_scraped', value: result.samples, timestamp: atMs, dimensions: labels },
    ],
  });
  if (!reported.replayed) result.accepted += reported.body.accepted;

  const done = deps.now();
  const noted = result.error ?? result.firstRejection;
  await recordSourceOutcome(deps.ingest.sql, source.orgId, source.id, { accepted: result.accepted, rejected: result.rejected, error: noted ? `${target.url}: ${noted}` : undefined }, done);
  await deps.ingest.sql.query(
    `UPDATE scrape_targets SET up = $4, last_scrape_at = $5, last_duration_ms = $6, samples_scraped = $7, last_error = $8
     WHERE org_id = $1 AND source_id = $2 AND url = $3`,
    [source.orgId, source.id, target.url, result.up, at, result.durationMs, result.samples, result.error?.slice(0, 1000) ?? null],
    { prepare: 'scrape_target_outcome' },
  );
  return result;
}
