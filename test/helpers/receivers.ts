// Real local receivers for the notification channels, for unit and end-to-end tests: an SMTP server
// (smtp-server) that parses what it gets, a plain HTTP receiver with scripted answers, and receivers
// that check payloads and answer the way PagerDuty, Slack and a Standard Webhooks consumer do. All
// listen on 127.0.0.1 on a free port; each keeps what it received and closes with close(). Senders
// reach them through loopbackOutbound.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { OutboundGuard } from '../../src/net/outbound.js';
import type { AlertNotification } from '../../src/notify/notifier.js';

/**
 * The outbound guard for delivering to these receivers: loopback allowed, as
 * OUTBOUND_ALLOWED_CIDRS=127.0.0.0/8,::1/128 does. Production refuses loopback; tests proving
 * refusals use a guard without it.
 */
export const loopbackOutbound = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8', '::1/128'] });

// ————————————————————————————————————————— HTTP —————————————————————————————————————————

/** One request as received. */
export interface HttpRequestRecord {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received (signatures are over these bytes). */
  rawBody: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * An answer: a status with optional headers and body (JSON-encoded unless a string), `hang` (never
 * answer: the client times out) or `destroy` (drop the connection: a network error).
 */
export type HttpReply = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang' | 'destroy';
/** A scripted step: a bare status is `{status}` with a short body. */
export type HttpStep = number | HttpReply;
/** Computes the answer to a request. */
export type HttpHandler = (req: HttpRequestRecord) => HttpStep | Promise<HttpStep>;

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Every request since start (or reset), in order. */
  readonly received: HttpRequestRecord[];
  /** TCP connections accepted since start (or reset): 0 proves a client was stopped before connecting. */
  readonly connections: number;
  /** Answers for the next requests, one each, before the handler takes over again. */
  script(...steps: HttpStep[]): void;
  /** Forgets received requests and the script. */
  reset(): void;
  close(): Promise<void>;
}

const defaultHandler: HttpHandler = () => ({ status: 200, body: 'ok' });

/**
 * An HTTP receiver on 127.0.0.1. `handler` answers every request (default 200 "ok"); given an array
 * instead, that is the script of the first answers, e.g. `[503, 429, 202]`, then 200 "ok".
 */
export async function startHttpReceiver(handler: HttpHandler | HttpStep[] = defaultHandler): Promise<HttpReceiver> {
  const received: HttpRequestRecord[] = [];
  let queue: HttpStep[] = Array.isArray(handler) ? [...handler] : [];
  const answer = Array.isArray(handler) ? defaultHandler : handler;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        json = undefined;
      }
      const record: HttpRequestRecord = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, json };
      received.push(record);
      const scripted = queue.shift();
      void Promise.resolve(scripted ?? answer(record)).then((step) => {
        const reply: HttpReply = typeof step === 'number' ? { status: step, body: { status: step } } : step;
        if (reply === 'hang') return;
        if (reply === 'destroy') return void req.socket.destroy();
        const body = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
        const type = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
        res.writeHead(reply.status, { 'content-type': type, ...reply.headers }).end(body);
      });
    });
  });
  let connections = 0;
  server.on('connection', () => void connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    get connections() {
      return connections;
    },
    script: (...steps) => void queue.push(...steps),
    reset: () => {
      received.length = 0;
      connections = 0;
      queue = [];
    },
    close: () => {
      server.closeAllConnections(); // hanging requests would keep close() waiting
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connections are refused. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// ——————————————————————————————————————— PagerDuty ———————————————————————————————————————

export interface PagerDutyReceiver extends HttpReceiver {
  /** The events the receiver accepted (answered 202), in order. */
  readonly events: Json[];
}

/**
 * A receiver speaking PagerDuty's Events API v2 at `POST /v2/enqueue`: it validates each event as the
 * API documents it and answers 202 {status: "success", message: "Event processed", dedup_key}, or
 * 400 {status: "invalid event", message: "Event object is invalid", errors: [...]}. With `routingKey`,
 * other keys are refused too. Use `<url>/v2/enqueue` as the events URL.
 */
export async function startPagerDutyReceiver(opts: { routingKey?: string } = {}): Promise<PagerDutyReceiver> {
  const events: Json[] = [];
  let generated = 0;
  const receiver = await startHttpReceiver((req) => {
    if (req.path !== '/v2/enqueue') return { status: 404, body: { status: 'not found', message: 'Not Found' } };
    if (req.method !== 'POST') return { status: 405, body: { status: 'method not allowed' } };
    const errors = pagerDutyErrors(req.json, opts.routingKey);
    if (errors.length) return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
    const event = req.json as Json;
    events.push(event);
    const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : `generated${String(++generated).padStart(24, '0')}`;
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  });
  const reset = receiver.reset;
  return Object.assign(receiver, {
    events,
    reset: () => {
      reset();
      events.length = 0;
    },
  });
}

const pdSeverities = ['critical', 'error', 'warning', 'info'];

/** What PagerDuty would reject in `body`; empty when the event is valid. */
export function pagerDutyErrors(body: unknown, routingKey?: string): string[] {
  if (!isObject(body)) return ['Event object is not a JSON object'];
  const errors: string[] = [];
  const rk = body.routing_key;
  if (typeof rk !== 'string') errors.push("'routing_key' is missing or blank");
  else if (rk.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  else if (routingKey !== undefined && rk !== routingKey) errors.push("'routing_key' is not a known integration key");
  const action = body.event_action;
  if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve') errors.push("'event_action' is invalid (must be one of trigger, acknowledge, resolve)");
  const dedup = body.dedup_key;
  if (dedup !== undefined && (typeof dedup !== 'string' || dedup.length === 0 || dedup.length > 255)) errors.push("'dedup_key' must be a string of 1 to 255 characters");
  if ((action === 'acknowledge' || action === 'resolve') && dedup === undefined) errors.push(`'dedup_key' is required for ${action}`);
  if (action === 'trigger') {
    const p = body.payload;
    if (!isObject(p)) errors.push("'payload' is missing or not an object");
    else {
      if (typeof p.summary !== 'string' || p.summary.length === 0) errors.push("'payload.summary' is missing or blank");
      else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing or blank");
      if (!pdSeverities.includes(p.severity as string)) errors.push("'payload.severity' is invalid (must be one of critical, error, warning, info)");
      if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || Number.isNaN(Date.parse(p.timestamp)))) errors.push("'payload.timestamp' is not an ISO 8601 timestamp");
      for (const k of ['component', 'group', 'class'] as const) if (p[k] !== undefined && typeof p[k] !== 'string') errors.push(`'payload.${k}' must be a string`);
      if (p.custom_details !== undefined && !isObject(p.custom_details)) errors.push("'payload.custom_details' must be an object");
    }
  }
  if (body.links !== undefined && (!Array.isArray(body.links) || !body.links.every((l) => isObject(l) && typeof l.href === 'string'))) errors.push("'links' must be an array of {href, text}");
  return errors;
}

// ————————————————————————————————————————— Slack —————————————————————————————————————————

export interface SlackReceiver extends HttpReceiver {
  /** The messages the receiver accepted (answered 200 "ok"), in order. */
  readonly messages: Json[];
}

/**
 * A receiver answering like a Slack incoming webhook: 200 "ok" for a message with `text` or valid
 * `blocks` (known block types, Block Kit's length limits), else 400 "invalid_payload" or
 * "invalid_blocks". With `path`, any other path gets 404 "no_service" (a wrong webhook URL).
 */
export async function startSlackReceiver(opts: { path?: string } = {}): Promise<SlackReceiver> {
  const messages: Json[] = [];
  const receiver = await startHttpReceiver((req) => {
    if (opts.path !== undefined && req.path !== opts.path) return { status: 404, body: 'no_service' };
    if (!isObject(req.json)) return { status: 400, body: 'invalid_payload' };
    const problem = slackProblem(req.json);
    if (problem) return { status: 400, body: problem };
    messages.push(req.json);
    return { status: 200, body: 'ok' };
  });
  const reset = receiver.reset;
  return Object.assign(receiver, {
    messages,
    reset: () => {
      reset();
      messages.length = 0;
    },
  });
}

const textOk = (t: unknown, max: number, type?: string): boolean =>
  isObject(t) && (type === undefined || t.type === type) && (t.type === 'plain_text' || t.type === 'mrkdwn') && typeof t.text === 'string' && t.text.length > 0 && t.text.length <= max;

/** Slack's error string for an invalid message, or null. */
export function slackProblem(msg: Json): string | null {
  const hasText = typeof msg.text === 'string' && msg.text.length > 0;
  if (msg.blocks === undefined) return hasText ? null : 'no_text';
  if (!Array.isArray(msg.blocks) || msg.blocks.length === 0 || msg.blocks.length > 50) return 'invalid_blocks';
  for (const b of msg.blocks) {
    if (!isObject(b)) return 'invalid_blocks';
    switch (b.type) {
      case 'header':
        if (!textOk(b.text, 150, 'plain_text')) return 'invalid_blocks';
        break;
      case 'section': {
        if (b.text === undefined && b.fields === undefined) return 'invalid_blocks';
        if (b.text !== undefined && !textOk(b.text, 3000)) return 'invalid_blocks';
        const f = b.fields;
        if (f !== undefined && (!Array.isArray(f) || f.length === 0 || f.length > 10 || !f.every((x) => textOk(x, 2000)))) return 'invalid_blocks';
        break;
      }
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10 || !b.elements.every((x) => textOk(x, 2000))) return 'invalid_blocks';
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) return 'invalid_blocks';
        for (const e of b.elements) {
          if (!isObject(e) || e.type !== 'button' || !textOk(e.text, 75, 'plain_text')) return 'invalid_blocks';
          if (e.url !== undefined && (typeof e.url !== 'string' || e.url.length > 3000 || !/^https?:\/\//.test(e.url))) return 'invalid_blocks';
        }
        break;
      case 'divider':
        break;
      default:
        return 'invalid_blocks';
    }
  }
  return null;
}

// ———————————————————————————————————— Standard Webhooks ————————————————————————————————————

export interface VerifiedWebhook {
  id: string;
  timestamp: number;
  /** The parsed JSON body. */
  body: unknown;
}

export interface WebhookReceiver extends HttpReceiver {
  /** Requests whose signature verified (answered 204), in order. */
  readonly verified: VerifiedWebhook[];
  /** Why the other requests were refused (answered 401 or 400), in order. */
  readonly refused: string[];
}

/**
 * A Standard Webhooks consumer: it recomputes the HMAC-SHA256 of `{id}.{timestamp}.{body}` itself
 * (node:crypto, key = the base64 after `whsec_`), compares in constant time against each `v1,`
 * signature, checks the timestamp within `toleranceSeconds` (default 300) of `now()` (default the
 * real clock; tests with a fixed send clock pass the same one), and answers 204, or 401 on a bad
 * signature or timestamp, 400 on a body that is not JSON.
 */
export async function startWebhookReceiver(
  secret: string,
  opts: { now?: () => Date; toleranceSeconds?: number } = {},
): Promise<WebhookReceiver> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const verified: VerifiedWebhook[] = [];
  const refused: string[] = [];
  const refuse = (status: number, reason: string): HttpReply => {
    refused.push(reason);
    return { status, body: { error: reason } };
  };
  const receiver = await startHttpReceiver((req) => {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const id = header('webhook-id');
    const ts = header('webhook-timestamp');
    const sig = header('webhook-signature');
    if (!id || !ts || !sig) return refuse(401, 'missing webhook headers');
    const now = Math.floor((opts.now?.() ?? new Date()).getTime() / 1000);
    if (!/^\d+$/.test(ts) || Math.abs(now - Number(ts)) > (opts.toleranceSeconds ?? 300)) return refuse(401, 'timestamp outside the tolerance');
    const expected = createHmac('sha256', key).update(`${id}.${ts}.${req.rawBody}`).digest();
    const match = sig.split(' ').some((s) => {
      const [version, b64] = s.split(',');
      const given = Buffer.from(b64 ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!match) return refuse(401, 'signature mismatch');
    if (req.json === undefined) return refuse(400, 'body is not JSON');
    verified.push({ id, timestamp: Number(ts), body: req.json });
    return { status: 204 };
  });
  const reset = receiver.reset;
  return Object.assign(receiver, {
    verified,
    refused,
    reset: () => {
      reset();
      verified.length = 0;
      refused.length = 0;
    },
  });
}

// ————————————————————————————————————————— SMTP —————————————————————————————————————————

/** One message as the SMTP receiver got it. */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The user that authenticated, when the server required it. */
  user?: string;
  /** Top-level headers, names lower-cased, encoded words decoded (the last of a repeated header). */
  headers: Record<string, string>;
  subject: string;
  text?: string;
  html?: string;
  /** The message as transmitted. */
  raw: string;
}

/** How the server answers the end of DATA: accept, or reject with an SMTP reply code and text. */
export type SmtpStep = 'accept' | { code: number; message: string };

export interface SmtpReceiver {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly received: ReceivedMail[];
  /** With `starttls`: the TLS server names (SNI) clients asked for, in order. */
  readonly servernames: string[];
  /** SMTP sessions opened since start (or reset). */
  readonly connections: number;
  /** Answers for the next messages, one each, then `accept`. */
  script(...steps: SmtpStep[]): void;
  reset(): void;
  close(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 without TLS (STARTTLS disabled: clients use `ignoreTLS` or a plain
 * connection). With `auth`, clients must log in with exactly that user and password (PLAIN/LOGIN,
 * allowed without TLS here), else 535. Recipients in `rejectRecipients` get 550 at RCPT TO. With
 * `starttls`, STARTTLS is offered with smtp-server's built-in certificate (self-signed and expired: clients that
 * verify certificates refuse it) and the server names clients send are kept in `servernames`.
 */
export async function startSmtpReceiver(opts: { auth?: { user: string; pass: string }; rejectRecipients?: string[]; starttls?: boolean } = {}): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const servernames: string[] = [];
  let queue: SmtpStep[] = [];
  const smtpError = (code: number, message: string): Error => Object.assign(new Error(message), { responseCode: code });
  let connections = 0;
  const server = new SMTPServer({
    logger: false,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    ...(opts.starttls && {
      SNICallback: (servername: string, cb: (err: Error | null, ctx?: undefined) => void) => {
        servernames.push(servername);
        cb(null);
      },
    }),
    disabledCommands: [...(opts.starttls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return callback(null, { user: auth.username });
      callback(smtpError(535, 'Authentication failed'));
    },
    onRcptTo(address, _session, callback) {
      if (opts.rejectRecipients?.includes(address.address)) return callback(smtpError(550, `No such user: ${address.address}`));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const step = queue.shift() ?? 'accept';
        if (step !== 'accept') return callback(smtpError(step.code, step.message));
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail = parseMime(raw);
        received.push({
          envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
          ...(session.user !== undefined && { user: String(session.user) }),
          headers: mail.headers,
          subject: mail.headers.subject ?? '',
          ...(mail.text !== undefined && { text: mail.text }),
          ...(mail.html !== undefined && { html: mail.html }),
          raw,
        });
        callback(null, 'Message queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    received,
    servernames,
    get connections() {
      return connections;
    },
    script: (...steps) => void queue.push(...steps),
    reset: () => {
      received.length = 0;
      servernames.length = 0;
      connections = 0;
      queue = [];
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// A minimal MIME reader, enough for what nodemailer sends (single part or nested multipart, 7bit,
// quoted-printable or base64, UTF-8): tests need the subject and the text and HTML bodies, not a
// full mail parser.

interface MimePart {
  headers: Record<string, string>;
  text?: string;
  html?: string;
}

function parseMime(raw: string): MimePart {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const part: MimePart = { headers };
  if (/^multipart\//i.test(type) && boundary) {
    const sections = body.split(`--${boundary}`).slice(1);
    for (const section of sections) {
      if (section.startsWith('--')) break;
      // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
      const sub = parseMime(section.replace(/^\r?\n/, '').replace(/\r?\n$/, ''));
      part.text ??= sub.text;
      part.html ??= sub.html;
    }
    return part;
  }
  const decoded = decodeBody(body, headers['content-transfer-encoding'] ?? '7bit');
  if (/^text\/html/i.test(type)) part.html = decoded;
  else if (/^text\/plain/i.test(type)) part.text = decoded;
  return part;
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8').replace(/\r\n/g, '\n');
    case 'quoted-printable':
      return decodeQuotedPrintable(body.replace(/=\r?\n/g, ''));
    default:
      return body.replace(/\r\n/g, '\n');
  }
}

function decodeQuotedPrintable(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`); whitespace between two of them is dropped. */
function decodeWords(s: string): string {
  return s
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, charset: string, enc: string, text: string) => {
      const buf =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(decodeQuotedPrintable(text.replace(/_/g, ' ')), 'utf8');
      return /^(iso-8859-1|latin1|us-ascii)$/i.test(charset) ? buf.toString('latin1') : buf.toString('utf8');
    });
}

// ——————————————————————————————————————— Fixtures ———————————————————————————————————————

/** A complete firing notification for tests; `over.alert` is merged into the default alert. */
export function sampleNotification(over: Partial<Omit<AlertNotification, 'alert'>> & { alert?: Partial<AlertNotification['alert']> } = {}): AlertNotification {
  const { alert, ...rest } = over;
  return {
    event: 'firing',
    deliveryId: 'dlv_01HZX8Q6W2N4TESTDELIVERY',
    org: { id: 'org_1', name: 'Acme Ops' },
    ...rest,
    alert: {
      id: 'alr_1',
      fingerprint: 'fp_3f9a2c7d1e',
      ruleId: 'rul_1',
      ruleName: 'High CPU',
      ruleKind: 'threshold',
      severity: 'critical',
      state: 'firing',
      summary: 'cpu.usage{host=web-1} > 0.9 for 5m (now 0.97)',
      labels: { __name__: 'cpu.usage', host: 'web-1', region: 'eu-west-1' },
      annotations: { description: 'CPU on web-1 is saturated' },
      value: 0.97,
      startsAt: '2024-05-01T11:55:00.000Z',
      endsAt: null,
      url: 'https://iv.example.com/alerts/alr_1',
      details: { operator: 'gt', threshold: 0.9, forSeconds: 300 },
      ...alert,
    },
  };
}

/** A group notification of `alerts` (each over the sample alert, alertname added), as a flush builds it. */
export function groupNotification(alerts: Partial<AlertNotification['alert']>[], status: 'firing' | 'resolved' = 'firing', truncatedAlerts = 0): AlertNotification {
  const base = sampleNotification();
  const list = alerts.map((a, i) => ({ ...base.alert, id: `alr_${i + 1}`, fingerprint: `fp_${i + 1}`, url: `https://iv.example.com/alerts/alr_${i + 1}`, ...a, labels: { ...base.alert.labels, alertname: 'High CPU', ...a.labels } }));
  return {
    ...base,
    event: status,
    alert: list[0]!,
    group: { key: 'ch_1:{alertname="High CPU"}', labels: { alertname: 'High CPU' }, receiver: 'ops', status, alerts: list, truncatedAlerts },
  };
}
