import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../types.js';
import { AppError, errorBody } from '../../core/errors.js';

interface ValidationItem {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** One entry per offending field: `body.scopes[0]`, with ajv's message. */
export function validationDetails(context: string | undefined, items: ValidationItem[]): { field: string; message: string }[] {
  return items.map((v) => {
    let path = (v.instancePath ?? '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
    if (v.keyword === 'required' && typeof v.params?.missingProperty === 'string') path += `.${v.params.missingProperty}`;
    if (v.keyword === 'additionalProperties' && typeof v.params?.additionalProperty === 'string') path += `.${v.params.additionalProperty}`;
    const field = `${context ?? 'body'}${path}`;
    return { field, message: v.message ?? 'is invalid' };
  });
}

/** Maps anything thrown to the catalog; nothing a client sends may produce a 500. */
export function toAppError(err: FastifyError & { validation?: ValidationItem[]; validationContext?: string }): AppError {
  if (err instanceof AppError) return err;
  if (err.validation) {
    const details = validationDetails(err.validationContext, err.validation);
    return new AppError('validation_failed', `Invalid request: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_json', `The request body is not valid JSON: ${err.message}`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', 'The request body is empty but Content-Type is application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', err.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('bad_request', err.message);
    case 'FST_ERR_BAD_URL':
      return new AppError('bad_request', 'The URL is not valid: a path segment is not correctly percent-encoded');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('uri_too_long', 'A path parameter is longer than the router accepts (ids are at most 100 characters)');
  }
  if (err instanceof SyntaxError) return new AppError('invalid_json', `The request body is not valid JSON: ${err.message}`);
  // PostgreSQL: a value of the wrong form (22xxx) is the caller's; a duplicate (23505) is a conflict.
  const pgCode = (err as { code?: string }).code;
  if (typeof pgCode === 'string' && /^22[0-9A-Z]{3}$/.test(pgCode)) {
    // The database's own wording is not the API's: name the usual causes instead.
    return new AppError('bad_request', 'A value in the request cannot be stored or compared (for example a NUL character, or a number or time out of range)');
  }
  if (pgCode === '23505') return new AppError('conflict');
  const status = err.statusCode ?? 500;
  if (status === 413) return new AppError('payload_too_large', err.message);
  if (status === 415) return new AppError('unsupported_media_type', err.message);
  if (status >= 400 && status < 500) return new AppError('bad_request', err.message);
  return new AppError('internal_error');
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before any route (a path that is not
 * valid percent-encoding, an over-long parameter) in the same body as every other error.
 */
export function frameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const appErr = toAppError(err);
  void reply.status(appErr.status).type('application/json').send(errorBody(appErr));
}

export function errorHandling(app: App): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ code: appErr.code }, appErr.message);
    return reply.status(appErr.status).type('application/json').send(errorBody(appErr));
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new AppError('not_found', `No route for ${req.method} ${req.url.split('?')[0]}`);
    return reply.status(404).send(errorBody(err));
  });
}
