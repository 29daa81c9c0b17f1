import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';
import { currentContext } from './context.js';

export type { Logger };

/** Paths whose values never reach a log line. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'authorization',
  'apiKey',
  'password',
  'secret',
  'token',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
];

/** An API key anywhere in a message string (`iv_` + 32 base64url characters). */
const apiKeyPattern = /iv_[A-Za-z0-9_-]{20,}/g;
const apiKeyShape = new RegExp(apiKeyPattern.source); // not global: test() keeps no state

/** Field names whose values are secret at any depth. */
const secretField = /^(authorization|x-api-key|cookie|api_?key|password|passwd|secret|token|access_?token|refresh_?token|client_?secret)$/i;

function scrub(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(apiKeyPattern, 'iv_[REDACTED]') : value;
}

/** Whether `text` holds something shaped like an API key (what {@link scrubDeep} would redact). */
export function containsApiKey(text: string): boolean {
  return apiKeyShape.test(text);
}

/**
 * A copy of a log object with secret-named fields redacted and keys scrubbed from every string, at
 * any depth (path redaction only reaches the paths it names). Errors keep type, message and stack.
 */
export function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const src = value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack } : (value as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) out[k] = secretField.test(k) && v != null && v !== '[REDACTED]' ? '[REDACTED]' : scrubDeep(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Where lines go; stdout when absent. Tests pass a stream to capture output. */
  destination?: DestinationStream;
}

/**
 * The platform's root logger: JSON lines, and every line written while a request is in progress
 * carries that request's id and org id (taken from the tenant context, so child loggers of any
 * component get them too). Secret fields are redacted at any depth and API keys are scrubbed from
 * every string, error messages and stacks included.
 */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: 'intentvision' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[REDACTED]' },
      mixin() {
        const ctx = currentContext();
        if (!ctx) return {};
        const fields: Record<string, unknown> = { requestId: ctx.requestId };
        if (ctx.orgId) fields.orgId = ctx.orgId;
        if (ctx.keyId) fields.keyId = ctx.keyId;
        if (ctx.userId) fields.userId = ctx.userId;
        return fields;
      },
      // Errors are serialised by scrubDeep (in the formatter) before pino's own serialiser sees them.
      // Child bindings bypass the log formatter (pino applies only serializers and redaction to them),
      // so the request id Fastify binds as `reqId` is scrubbed here; requestIdFor already refuses
      // key-shaped ids, this is the second line.
      serializers: { err: (e: unknown) => (e instanceof Error ? pino.stdSerializers.err(e) : e), reqId: scrub, requestId: scrub },
      formatters: {
        log: (obj) => scrubDeep(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // log.error(err): pino would take err.message as the message, past the scrubbing formatter.
          const [first, second] = args as unknown[];
          if (first instanceof Error && typeof second !== 'string') args = [{ err: first }, first.message, ...args.slice(1)] as typeof args;
          method.apply(this, args.map(scrub) as Parameters<typeof method>);
        },
      },
    },
    opts.destination,
  );
}
