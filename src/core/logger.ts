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

function scrub(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(apiKeyPattern, 'iv_[REDACTED]') : value;
}

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Where lines go; stdout when absent. Tests pass a stream to capture output. */
  destination?: DestinationStream;
}

/**
 * The platform's root logger: JSON lines, and every line written while a request is in progress
 * carries that request's id and org id (taken from the tenant context, so child loggers of any
 * component get them too). Secrets are redacted by path and API keys are scrubbed from messages.
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
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map(scrub) as Parameters<typeof method>);
        },
      },
    },
    opts.destination,
  );
}
