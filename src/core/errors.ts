/**
 * The one error catalog. Every error the API returns has a code from here, and every error body is
 * `{"error": {"code", "message", "details"?}}`. Add a code here before using it anywhere.
 */
export const errorCatalog = {
  not_found: { status: 404, message: 'The requested resource does not exist' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON' },
  json_too_deep: { status: 400, message: 'The JSON body is nested deeper than the limit of 32 levels' },
  validation_failed: { status: 400, message: 'The request does not match the schema' },
  bad_request: { status: 400, message: 'The request is malformed' },
  invalid_pattern: { status: 400, message: 'A regular expression is not valid RE2 syntax (backreferences and lookarounds are not supported)' },
  unsupported_media_type: { status: 415, message: 'Unsupported Content-Type' },
  payload_too_large: { status: 413, message: 'The request body is too large' },
  uri_too_long: { status: 414, message: 'A path parameter is too long' },
  batch_too_large: { status: 413, message: 'Too many metrics in one request' },
  idempotency_key_reused: { status: 422, message: 'The Idempotency-Key was used with a different request' },
  idempotency_key_in_use: { status: 409, message: 'A request with this Idempotency-Key is in progress' },
  insufficient_data: { status: 400, message: 'Not enough history for this request' },
  invalid_cursor: { status: 400, message: 'The cursor is not valid for this query' },
  missing_api_key: { status: 401, message: 'An API key is required: send Authorization: Bearer iv_… or X-API-Key: iv_…' },
  invalid_api_key: { status: 401, message: 'The API key is not valid' },
  expired_api_key: { status: 401, message: 'The API key has expired' },
  revoked_api_key: { status: 401, message: 'The API key has been revoked' },
  insufficient_scope: { status: 403, message: 'The API key lacks the scope this route requires' },
  forbidden: { status: 403, message: 'This action is not allowed for this organisation' },
  conflict: { status: 409, message: 'The resource already exists' },
  rate_limited: { status: 429, message: 'Too many requests' },
  service_unavailable: { status: 503, message: 'The service is not ready' },
  internal_error: { status: 500, message: 'Internal server error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;

/** A typed application error; the API's error handler turns it into the JSON error body. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? errorCatalog[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = details;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function errorBody(err: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}
