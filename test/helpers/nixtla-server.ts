// A local HTTP server speaking Nixtla's TimeGPT v2 forecast API (`POST /v2/forecast`): it checks the
// request the way the real API documents it and answers with a seasonal-naive forecast of the received
// series, so a client that sends the wrong shape, order or frequency fails its tests.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it; `body` is the parsed JSON, or the raw text when it was not JSON. */
export interface NixtlaCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** An answer: a status, headers and a body (JSON-encoded unless a string), or `hang` to never answer. */
export type NixtlaReply = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang';

/** Computes an answer from the call and the answer the documented API would give. */
export type NixtlaStep = NixtlaReply | ((call: NixtlaCall, documented: NixtlaReply) => NixtlaReply);

export interface FakeNixtla {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every request received since the last reset, in order. */
  readonly calls: NixtlaCall[];
  /** Answers for the next calls, one each, in order; after them comes `always`, then the documented answer. */
  script(...steps: NixtlaStep[]): void;
  /** Answer every call past the script this way (undefined: as documented). */
  always(step: NixtlaStep | undefined): void;
  /** Forgets calls, the script and `always`. */
  reset(): void;
  close(): Promise<void>;
}

/** Steps per season for each frequency alias the API accepts here. */
export const nixtlaSeason: Record<string, number> = { min: 1440, '5min': 288, h: 24, D: 7 };
export const nixtlaModels = ['timegpt-1', 'timegpt-1-long-horizon'];

/** Starts the server on 127.0.0.1 (a free port); `apiKey` is the only bearer token it accepts. */
export async function startFakeNixtla(apiKey: string): Promise<FakeNixtla> {
  const calls: NixtlaCall[] = [];
  let queue: NixtlaStep[] = [];
  let always: NixtlaStep | undefined;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the documented answer is then 422
      }
      const call: NixtlaCall = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      calls.push(call);
      const documented = documentedReply(call, apiKey);
      const step = queue.shift() ?? always ?? documented;
      const reply = typeof step === 'function' ? step(call, documented) : step;
      if (reply === 'hang') return;
      const payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? null);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    script: (...steps) => queue.push(...steps),
    always: (step) => {
      always = step;
    },
    reset: () => {
      calls.length = 0;
      queue = [];
      always = undefined;
    },
    close: () => {
      server.closeAllConnections(); // hanging requests would keep close() waiting forever
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const error = (status: number, detail: unknown): NixtlaReply => ({ status, body: { detail } });
const isFiniteArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** What the documented API answers: an error for a request it would reject, else a forecast. */
function documentedReply(call: NixtlaCall, apiKey: string): NixtlaReply {
  if (call.path !== '/v2/forecast') return error(404, 'Not Found');
  if (call.method !== 'POST') return error(405, 'Method Not Allowed');
  if (call.headers.authorization !== `Bearer ${apiKey}`) return error(401, 'Invalid API key');
  if (!String(call.headers['content-type']).startsWith('application/json')) return error(415, 'Content-Type must be application/json');
  const b = call.body as Record<string, unknown> | null;
  if (typeof b !== 'object' || b === null) return error(422, [{ loc: ['body'], msg: 'Input should be a valid dictionary' }]);
  const series = b.series as { y?: unknown; sizes?: unknown } | undefined;
  const invalid = (loc: string[], msg: string): NixtlaReply => error(422, [{ loc: ['body', ...loc], msg, type: 'value_error' }]);
  if (!series || !isFiniteArray(series.y)) return invalid(['series', 'y'], 'Input should be a list of finite numbers');
  const y = series.y;
  if (!isFiniteArray(series.sizes) || series.sizes.reduce((a, n) => a + n, 0) !== y.length || series.sizes.length !== 1) {
    return invalid(['series', 'sizes'], 'sizes must list the length of each series and sum to len(y)');
  }
  const h = b.h;
  if (typeof h !== 'number' || !Number.isInteger(h) || h < 1) return invalid(['h'], 'Input should be a positive integer');
  if (typeof b.freq !== 'string' || !(b.freq in nixtlaSeason)) return invalid(['freq'], `unsupported frequency ${JSON.stringify(b.freq)}`);
  if (typeof b.model !== 'string' || !nixtlaModels.includes(b.model)) return invalid(['model'], `unknown model ${JSON.stringify(b.model)}`);
  if (b.clean_ex_first !== true) return invalid(['clean_ex_first'], 'expected true');
  const level = b.level ?? [];
  if (!isFiniteArray(level) || level.some((l) => l <= 0 || l >= 100)) return invalid(['level'], 'levels must be numbers in (0, 100)');
  return { status: 200, body: seasonalNaive(y, h, nixtlaSeason[b.freq]!, level) };
}

/** A plausible TimeGPT-shaped answer: repeat the last season, widen intervals with the seasonal residuals. */
export function seasonalNaive(y: readonly number[], h: number, season: number, levels: readonly number[]): unknown {
  const m = Math.min(season, y.length);
  const mean = Array.from({ length: h }, (_, i) => y[y.length - m + (i % m)]!);
  const diffs = y.slice(m).map((v, i) => v - y[i]!);
  const sigma = diffs.length ? Math.sqrt(diffs.reduce((a, d) => a + d * d, 0) / diffs.length) || 1 : 1;
  const intervals: Record<string, number[]> = {};
  for (const level of levels) {
    // Shore's approximation of the normal quantile at (1 + level/100) / 2.
    const p = 0.5 + level / 200;
    const z = 5.5556 * (1 - ((1 - p) / p) ** 0.1986);
    const half = (i: number): number => z * sigma * Math.sqrt(1 + Math.floor(i / m));
    intervals[`lo-${level}`] = mean.map((v, i) => v - half(i));
    intervals[`hi-${level}`] = mean.map((v, i) => v + half(i));
  }
  return { input_tokens: y.length, output_tokens: h, mean, intervals: levels.length ? intervals : null };
}
