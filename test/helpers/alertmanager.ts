/**
 * A real Prometheus Alertmanager for the tests (Debian's /usr/bin/prometheus-alertmanager, 0.25), run
 * on a configuration the test writes, clustering off, on a free loopback port, with its state in a
 * fresh temp dir. It starts no daemon: stop() kills this child and removes the dir.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';
import { startHttpReceiver, type HttpReceiver } from './receivers.js';

export const alertmanagerBinary = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export interface RunningAlertmanager {
  /** `http://127.0.0.1:<port>`: the base URL of its API (`/api/v2/…`). */
  url: string;
  /** Everything it logged so far (for assertion messages). */
  log(): string;
  /** GET `<url><path>` as JSON. */
  get<T = unknown>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * An Alertmanager configuration with one route to a webhook receiver at `webhookUrl` (every alert, no
 * grouping labels), `group_wait` 1 s, `group_interval` 1 s, and resolved notifications on.
 */
export function webhookRouteConfig(receiver: string, webhookUrl: string): string {
  return [
    'route:',
    `  receiver: ${JSON.stringify(receiver)}`,
    '  group_by: ["alertname"]',
    '  group_wait: 1s',
    '  group_interval: 1s',
    '  repeat_interval: 1h',
    'receivers:',
    `  - name: ${JSON.stringify(receiver)}`,
    '    webhook_configs:',
    `      - url: ${JSON.stringify(webhookUrl)}`,
    '        send_resolved: true',
    '',
  ].join('\n');
}

/** Starts Alertmanager on `config` (YAML text) and waits until it answers `/-/ready`. */
export async function startAlertmanager(config: string): Promise<RunningAlertmanager> {
  if (!existsSync(alertmanagerBinary)) {
    throw new Error(`${alertmanagerBinary} is missing: install Debian's prometheus-alertmanager package (.ci/run installs it when missing)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'iv-alertmanager-'));
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const args = (port: number) => [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=debug'];
  const daemon = await startDaemon(alertmanagerBinary, args, { dir, readyPath: '/-/ready' });
  const { url, log, stop } = daemon;
  return {
    url,
    log,
    async get<T>(path: string): Promise<T> {
      const r = await fetch(`${url}${path}`);
      if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    },
    stop,
  };
}

// ——————————————————— a local receiver speaking Alertmanager's API v2 (unit tests) ———————————————————

export interface AlertmanagerApiReceiver extends HttpReceiver {
  /** The alerts of every accepted post, in order (one array per post). */
  readonly posts: Record<string, unknown>[][];
}

const isKV = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.entries(v).every(([k, x]) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) && typeof x === 'string');
const isTime = (v: unknown) => v === undefined || (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v));

/** What Alertmanager 0.25 would refuse in a posted alert (api/v2 postableAlert and types.Alert.Validate), or null. */
export function postableAlertProblem(a: unknown): string | null {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return 'an alert must be an object';
  const x = a as Record<string, unknown>;
  if (!isKV(x.labels) || !Object.keys(x.labels).length) return 'labels must be a non-empty map of valid label names';
  if (x.annotations !== undefined && !isKV(x.annotations)) return 'annotations must be a map of valid names';
  if (!isTime(x.startsAt) || !isTime(x.endsAt)) return 'startsAt and endsAt must be RFC 3339 times';
  if (x.startsAt && x.endsAt && Date.parse(x.endsAt as string) < Date.parse(x.startsAt as string)) return 'start time must be before end time';
  if (x.generatorURL !== undefined && (typeof x.generatorURL !== 'string' || !URL.canParse(x.generatorURL))) return 'generatorURL must be a URI';
  return null;
}

/**
 * A receiver at `POST <prefix>/api/v2/alerts` answering as Alertmanager does: 200 with an empty body,
 * 400 with the validation error as text, 404 elsewhere; with `authorization`, a request without that
 * exact header gets 401 (as the reverse proxy in front of an Alertmanager would answer).
 */
export async function startAlertmanagerApiReceiver(opts: { prefix?: string; authorization?: string } = {}): Promise<AlertmanagerApiReceiver> {
  const posts: Record<string, unknown>[][] = [];
  const path = `${opts.prefix ?? ''}/api/v2/alerts`;
  const receiver = await startHttpReceiver((req) => {
    if (req.path !== path) return { status: 404, body: '404 page not found\n' };
    if (req.method !== 'POST') return { status: 405, body: 'method not allowed' };
    if (opts.authorization && req.headers.authorization !== opts.authorization) return { status: 401, body: 'Unauthorized' };
    if (!String(req.headers['content-type']).startsWith('application/json')) return { status: 415, body: 'unsupported media type' };
    if (!Array.isArray(req.json)) return { status: 400, body: 'alerts in body is required and must be an array' };
    const problems = req.json.map(postableAlertProblem).filter((p) => p !== null);
    if (problems.length) return { status: 400, body: problems.join('; ') };
    posts.push(req.json as Record<string, unknown>[]);
    return { status: 200, body: '' };
  });
  return Object.assign(receiver, { posts });
}
