/**
 * What a source's configuration may hold, checked before it is stored (pure): default dimensions
 * follow the point-dimension rules of core/labels.ts, settings depend on the kind (only
 * `prometheus-scrape` has any). Problems carry paths relative to the request body.
 */
import { maxDimensions, maxDimensionValueLength, metricKeyPattern, type Labels } from '../core/labels.js';
import type { MappingProblem } from './mapping.js';
import type { ScrapeSettings, ScrapeTarget, SourceKind } from './source.js';

export const maxScrapeTargets = 100;
export const maxTargetUrlLength = 2048;
export const scrapeIntervalRange = { min: 5, max: 3600, default: 60 } as const;
/** The default timeout: this many seconds, or the interval when shorter (as Prometheus caps it). */
export const defaultScrapeTimeoutSeconds = 10;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Problems in a dimension map (default dimensions, a target's labels): names, values, count. */
export function checkDimensions(raw: unknown, at: string): MappingProblem[] {
  if (!isObject(raw)) return [{ path: at, message: 'must be an object of dimension name → string value' }];
  const out: MappingProblem[] = [];
  const entries = Object.entries(raw);
  if (entries.length > maxDimensions) out.push({ path: at, message: `must have at most ${maxDimensions} dimensions, got ${entries.length}` });
  for (const [name, v] of entries) {
    const path = `${at}.${name.slice(0, 64)}`;
    if (!metricKeyPattern.test(name)) out.push({ path, message: `is not a valid dimension name (must match ${metricKeyPattern.source})` });
    else if (typeof v !== 'string') out.push({ path, message: 'must be a string' });
    else if (v.length > maxDimensionValueLength) out.push({ path, message: `must be at most ${maxDimensionValueLength} characters` });
    else if (v.includes('\u0000')) out.push({ path, message: 'must not contain a NUL character' });
  }
  return out;
}

/** A URL a scrape target may have: http(s), absolute, without credentials (they would show in the API). */
export function targetUrlProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > maxTargetUrlLength) return `must be at most ${maxTargetUrlLength} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL, e.g. http://127.0.0.1:9100/metrics';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (value.includes('\u0000')) return 'must not contain a NUL character';
  return null;
}

const integerIn = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/**
 * A kind's settings with their defaults filled in, or the problems found (paths under `settings`).
 * `prometheus-scrape` takes {targets, intervalSeconds?, timeoutSeconds?, job?}; every other kind `{}`.
 */
export function checkSettings(kind: SourceKind, raw: unknown): { settings: Record<string, unknown>; problems: MappingProblem[] } {
  const problems: MappingProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path: path ? `settings.${path}` : 'settings', message });
  if (!isObject(raw)) {
    problem('', 'must be an object');
    return { settings: {}, problems };
  }
  if (kind !== 'prometheus-scrape') {
    for (const field of Object.keys(raw)) problem(field, `is not a setting: a ${kind} source takes no settings ({})`);
    return { settings: {}, problems };
  }

  const allowed = ['targets', 'intervalSeconds', 'timeoutSeconds', 'job'];
  for (const field of Object.keys(raw)) if (!allowed.includes(field)) problem(field, `is not a setting of a prometheus-scrape source (it takes ${allowed.join(', ')})`);

  const targets: ScrapeTarget[] = [];
  if (!Array.isArray(raw.targets)) problem('targets', 'is required: an array of {url, labels?}');
  else if (raw.targets.length > maxScrapeTargets) problem('targets', `must have at most ${maxScrapeTargets} targets, got ${raw.targets.length}`);
  else {
    const seen = new Set<string>();
    raw.targets.forEach((t: unknown, i: number) => {
      const at = `targets[${i}]`;
      if (!isObject(t)) return problem(at, 'must be an object {url, labels?}');
      for (const field of Object.keys(t)) if (field !== 'url' && field !== 'labels') problem(`${at}.${field}`, 'is not a field of a target (it takes url, labels)');
      const why = targetUrlProblem(t.url);
      if (why) problem(`${at}.url`, t.url === undefined ? 'is required' : why);
      else if (seen.has(t.url as string)) problem(`${at}.url`, 'is listed twice');
      else seen.add(t.url as string);
      if (t.labels !== undefined) for (const p of checkDimensions(t.labels, `${at}.labels`)) problem(p.path, p.message);
      targets.push(t.labels === undefined ? { url: t.url as string } : { url: t.url as string, labels: t.labels as Labels });
    });
  }

  const interval = raw.intervalSeconds ?? scrapeIntervalRange.default;
  if (!integerIn(interval, scrapeIntervalRange.min, scrapeIntervalRange.max)) {
    problem('intervalSeconds', `must be a whole number of seconds from ${scrapeIntervalRange.min} to ${scrapeIntervalRange.max}`);
  }
  const intervalOk = integerIn(interval, scrapeIntervalRange.min, scrapeIntervalRange.max) ? interval : scrapeIntervalRange.default;
  const timeout = raw.timeoutSeconds ?? Math.min(defaultScrapeTimeoutSeconds, intervalOk);
  if (!integerIn(timeout, 1, intervalOk)) problem('timeoutSeconds', `must be a whole number of seconds from 1 to the interval (${intervalOk})`);

  const job = raw.job;
  if (job !== undefined && (typeof job !== 'string' || job === '' || job.length > maxDimensionValueLength || job.includes('\u0000'))) {
    problem('job', `must be a non-empty string of at most ${maxDimensionValueLength} characters`);
  }
  const settings: ScrapeSettings = { targets, intervalSeconds: interval as number, timeoutSeconds: timeout as number, ...(job === undefined ? {} : { job: job as string }) };
  return { settings: settings as unknown as Record<string, unknown>, problems };
}

/** RFC 7386 JSON merge patch: given members replace, null removes, objects merge member by member, arrays replace. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = {};
  if (isObject(target)) for (const [k, v] of Object.entries(target)) defineOwn(out, k, v);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else defineOwn(out, k, mergePatch(out[k], v));
  }
  return out;
}

/** Sets an own property, `__proto__` included (an assignment would set the prototype instead). */
function defineOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
