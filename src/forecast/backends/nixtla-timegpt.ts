// A client of Nixtla's hosted TimeGPT v2 REST API (`POST /v2/forecast`) as a forecast backend. The
// service hands it a resampled, gap-free series (the API rejects gaps and irregular timestamps), so only
// the values, their count and a frequency alias travel; timestamps do not.

import { systemClock, type Clock } from '../../core/clock.js';
import { parseRetryAfter } from '../../net/retry-after.js';
import { BackendError, frequencies, type BackendRequest, type BackendResult, type ForecastBackend, type Frequency } from '../backend.js';

const name = 'nixtla-timegpt';
const maxHorizon = 720;

/** Nixtla's (pandas-style) frequency aliases. */
const nixtlaFreq: Record<Frequency, string> = { '1m': 'min', '5m': '5min', '1h': 'h', '1d': 'D' };

/** Steps in one season: a day for sub-daily data, a week for daily data. */
const seasonSteps: Record<Frequency, number> = { '1m': 1440, '5m': 288, '1h': 24, '1d': 7 };

/** The statuses the official client retries (408, 409, 429, 502, 503, 504), plus 500, which is transient upstream too. */
const retryStatuses = new Set([408, 409, 429, 500, 502, 503, 504]);

/** A Retry-After longer than this is cut short: the service would rather fall back than stall a request. */
const maxRetryAfterMs = 30_000;

/** Options of {@link createNixtlaBackend}. */
export interface NixtlaOptions {
  /** The Nixtla API key (usually `process.env.NIXTLA_API_KEY`); without one the backend is unavailable. */
  apiKey?: string;
  /** Default `https://api.nixtla.io`. */
  baseUrl?: string;
  /** Model for horizons within one season; default `timegpt-1`. */
  model?: string;
  /** Model for horizons beyond one season; default `timegpt-1-long-horizon`. */
  longHorizonModel?: string;
  /** Timeout of each attempt, in ms; default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt on transient failures; default 3. */
  maxRetries?: number;
  /** First backoff delay in ms, doubled on each retry and jittered; default 500. */
  retryBaseDelayMs?: number;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Wall clock, for Retry-After dates; default the system's. */
  now?: Clock;
}

/** How one attempt ended. */
type Attempt =
  | { kind: 'ok'; text: string }
  | { kind: 'retry'; detail: string; status?: number; retryAfterMs?: number }
  | { kind: 'fatal'; error: BackendError };

/**
 * The `nixtla-timegpt` backend: forecasts with Nixtla TimeGPT over its v2 REST API, retrying transient
 * failures with exponential backoff and validating the reply strictly. The API key never appears in errors.
 */
export function createNixtlaBackend(options: NixtlaOptions = {}): ForecastBackend {
  const apiKey = options.apiKey?.trim() || undefined;
  const baseUrl = (options.baseUrl ?? 'https://api.nixtla.io').replace(/\/+$/, '');
  const shortModel = options.model ?? 'timegpt-1';
  const longModel = options.longHorizonModel ?? 'timegpt-1-long-horizon';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetries = options.maxRetries ?? 3;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const now = options.now ?? systemClock;

  // Upstream messages and network errors could echo the key; every error passes through here.
  const fail = (message: string, retryable = false, status?: number): BackendError =>
    new BackendError(apiKey ? message.split(apiKey).join('[redacted]') : message, name, retryable, status);

  async function attempt(body: string, key: string, signal: AbortSignal | undefined): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await fetchFn(`${baseUrl}/v2/forecast`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body,
        signal: controller.signal,
      });
      // The body is read under the same timeout: a server may send headers and then stall.
      const text = await res.text();
      if (res.ok) return { kind: 'ok', text };
      const upstream = upstreamMessage(text);
      if (retryStatuses.has(res.status)) {
        return { kind: 'retry', status: res.status, detail: `HTTP ${res.status}${upstream ? `: ${upstream}` : ''}`, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now(), maxRetryAfterMs) };
      }
      if (res.status === 401 || res.status === 403) return { kind: 'fatal', error: fail(`Nixtla rejected the API key (HTTP ${res.status})`, false, res.status) };
      const what = res.status === 400 || res.status === 422 ? 'Nixtla rejected the request' : 'Nixtla answered';
      return { kind: 'fatal', error: fail(`${what} (HTTP ${res.status})${upstream ? `: ${upstream}` : ''}`, false, res.status) };
    } catch (e) {
      if (signal?.aborted) return { kind: 'fatal', error: fail('The Nixtla request was aborted') };
      if (controller.signal.aborted) return { kind: 'retry', detail: `timed out after ${timeoutMs} ms` };
      return { kind: 'retry', detail: `network error: ${networkError(e)}` };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async function post(body: string, key: string, signal: AbortSignal | undefined): Promise<string> {
    for (let i = 0; ; i++) {
      if (signal?.aborted) throw fail('The Nixtla request was aborted');
      const outcome = await attempt(body, key, signal);
      if (outcome.kind === 'ok') return outcome.text;
      if (outcome.kind === 'fatal') throw outcome.error;
      if (i >= maxRetries) throw fail(`Nixtla failed after ${i + 1} attempt${i ? 's' : ''}: ${outcome.detail}`, true, outcome.status);
      // Equal jitter: half the exponential delay is fixed, half random, so clients spread out but still back off.
      const backoff = retryBaseDelayMs * 2 ** i * (0.5 + Math.random() / 2);
      if (!(await sleep(outcome.retryAfterMs ?? backoff, signal))) throw fail('The Nixtla request was aborted');
    }
  }

  return {
    name,
    description: "Nixtla TimeGPT, a hosted foundation model, over Nixtla's v2 REST API (needs NIXTLA_API_KEY)",
    capabilities: { frequencies, maxHorizon, intervalLevels: 'any', anomalyDetection: false },

    availability: () => (apiKey ? { available: true } : { available: false, reason: 'NIXTLA_API_KEY is not set' }),

    // TimeGPT needs context to see the seasonality (two full seasons), and its conformal intervals are
    // calibrated on the last h steps of history, so a season plus the horizon must fit too; 24 points is
    // a floor for daily data, where two weeks would be too little to say anything.
    minPoints: (frequency, horizon) => Math.max(2 * seasonSteps[frequency], seasonSteps[frequency] + horizon, 24),

    async forecast(req: BackendRequest): Promise<BackendResult> {
      if (!apiKey) throw fail('NIXTLA_API_KEY is not set');
      const { horizon: h, levels } = req;
      if (!Number.isInteger(h) || h < 1 || h > maxHorizon) throw fail(`horizon ${h} is not an integer in 1..${maxHorizon}`);
      for (const level of levels) {
        if (typeof level !== 'number' || !(level > 0 && level < 100)) throw fail(`interval level ${level} is not a number in (0, 100)`);
      }
      if (req.values.length === 0) throw fail('the series is empty');
      // Nixtla's guidance: use the long-horizon model to forecast more than one seasonal period ahead,
      // where timegpt-1's accuracy degrades.
      const model = h > seasonSteps[req.frequency] ? longModel : shortModel;
      const freq = nixtlaFreq[req.frequency];
      const unique = [...new Set(levels)];
      const body = JSON.stringify({
        series: { y: Array.from(req.values), sizes: [req.values.length] },
        model,
        h,
        freq,
        // Omitted rather than empty when no intervals are wanted: the API then returns `intervals: null`.
        ...(unique.length ? { level: unique } : {}),
        clean_ex_first: true,
      });
      const text = await post(body, apiKey, req.signal);
      const reply = parseReply(text, h, levels);
      if (typeof reply === 'string') throw fail(`Nixtla returned a malformed forecast: ${reply}`);
      return { model, ...reply, params: { provider: 'nixtla', freq, clean_ex_first: true } };
    },
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The forecast in a reply, or what is wrong with the reply. */
function parseReply(text: string, h: number, levels: readonly number[]): Pick<BackendResult, 'mean' | 'intervals'> | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'the reply is not JSON';
  }
  const payload = isObject(json) && !('mean' in json) && isObject(json.data) ? json.data : json;
  if (!isObject(payload)) return 'the reply is not a JSON object';
  const mean = numbers(payload.mean, 'mean', h);
  if (typeof mean === 'string') return mean;
  const intervals: BackendResult['intervals'] = [];
  if (!levels.length) return { mean, intervals };
  const raw = payload.intervals;
  if (!isObject(raw)) return `"intervals" is missing, but levels ${levels.join(', ')} were requested`;
  for (const level of levels) {
    const lower = numbers(raw[`lo-${level}`], `lo-${level}`, h);
    if (typeof lower === 'string') return lower;
    const upper = numbers(raw[`hi-${level}`], `hi-${level}`, h);
    if (typeof upper === 'string') return upper;
    const bad = lower.findIndex((lo, i) => lo > upper[i]!);
    if (bad >= 0) return `"lo-${level}"[${bad}] = ${lower[bad]} is above "hi-${level}"[${bad}] = ${upper[bad]}`;
    intervals.push({ level, lower, upper });
  }
  return { mean, intervals };
}

/** `v` as h finite numbers, or what is wrong with it. */
function numbers(v: unknown, key: string, h: number): Float64Array | string {
  if (v === undefined) return `"${key}" is missing`;
  if (!Array.isArray(v)) return `"${key}" is not an array`;
  if (v.length !== h) return `"${key}" has ${v.length} values, expected ${h}`;
  const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) return `"${key}"[${bad}] is not a finite number (${JSON.stringify(v[bad])})`;
  return Float64Array.from(v as number[]);
}

/** The human part of an error body (FastAPI `detail`, `message` or `error`), shortened. */
function upstreamMessage(text: string): string {
  let message = text;
  try {
    message = pickMessage(JSON.parse(text)) ?? text;
  } catch {
    // not JSON: the raw text is the message
  }
  message = message.replace(/\s+/g, ' ').trim();
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

function pickMessage(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!isObject(v)) return undefined;
  for (const key of ['detail', 'message', 'error']) {
    const field = v[key];
    if (typeof field === 'string') return field;
    // FastAPI validation errors: [{loc: ["body", "h"], msg: "…"}, …]
    if (Array.isArray(field)) {
      return field
        .map((item) => (isObject(item) && typeof item.msg === 'string' ? `${Array.isArray(item.loc) ? `${item.loc.join('.')}: ` : ''}${item.msg}` : JSON.stringify(item)))
        .join('; ');
    }
    const nested = pickMessage(field);
    if (nested) return nested;
  }
  return undefined;
}


/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ECONNRESET, …). */
function networkError(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return e instanceof Error ? e.message : String(e);
}

/** Waits ms; false when the signal aborted first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
