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
  points_rejected: { status: 400, message: 'Some points were rejected (they are in the dead-letter queue); the others were stored' },
  idempotency_key_reused: { status: 422, message: 'The Idempotency-Key was used with a different request' },
  idempotency_key_in_use: { status: 409, message: 'A request with this Idempotency-Key is in progress' },
  source_disabled: { status: 403, message: 'This source is disabled: an admin can enable it again (PATCH /api/v1/sources/:id {"enabled": true})' },
  source_not_found: { status: 404, message: 'No source of this name or id in this organisation (GET /api/v1/sources lists them)' },
  source_mismatch: { status: 403, message: 'This API key is bound to another source; it sends through its own source only' },
  source_kind_mismatch: { status: 400, message: 'This source speaks another protocol than this path' },
  source_in_use: { status: 409, message: 'API keys are bound to this source: revoke or rebind them first' },
  unsupported_encoding: { status: 415, message: 'Unsupported Content-Encoding' },
  insufficient_data: { status: 400, message: 'Not enough history for this request' },
  invalid_cursor: { status: 400, message: 'The cursor is not valid for this query' },
  missing_api_key: { status: 401, message: 'An API key is required: send Authorization: Bearer iv_… or X-API-Key: iv_…' },
  invalid_api_key: { status: 401, message: 'The API key is not valid' },
  expired_api_key: { status: 401, message: 'The API key has expired' },
  revoked_api_key: { status: 401, message: 'The API key has been revoked' },
  insufficient_scope: { status: 403, message: 'The API key or role lacks the scope this route requires' },
  not_signed_in: { status: 401, message: 'Sign in first (POST /api/v1/auth/login), or send an API key' },
  session_expired: { status: 401, message: 'The session has ended or expired; sign in again' },
  csrf_failed: { status: 403, message: 'Cross-site request refused: send the X-CSRF-Token header from sign-in (or GET /api/v1/me) from the platform\'s own origin' },
  email_unverified: { status: 403, message: 'Verify your email address first (follow the link we sent; POST /api/v1/auth/verify-email/resend sends another)' },
  not_a_member: { status: 403, message: 'You are not a member of this organisation' },
  no_organization: { status: 403, message: 'You belong to no organisation yet: create one (POST /api/v1/orgs) or accept an invitation' },
  user_required: { status: 403, message: 'This route is for signed-in people; API keys cannot call it' },
  invalid_credentials: { status: 401, message: 'The email or password is wrong' },
  wrong_password: { status: 403, message: 'The current password is wrong' },
  weak_password: { status: 400, message: 'The password does not meet the password rules' },
  invalid_token: { status: 400, message: 'The link is not valid: copy the whole link from the email, or ask for a new one' },
  token_expired: { status: 400, message: 'The link has expired: ask for a new one' },
  token_used: { status: 400, message: 'The link has already been used: ask for a new one if you still need it' },
  already_verified: { status: 409, message: 'The email address is already verified' },
  provider_not_configured: { status: 404, message: 'This sign-in provider is not configured on this platform (GET /api/v1/auth/providers lists those that are)' },
  oauth_state_invalid: { status: 400, message: 'This sign-in link is unknown, expired, already used or from another browser: start the sign-in again' },
  oauth_failed: { status: 400, message: 'The sign-in provider refused the sign-in: start again' },
  oauth_provider_error: { status: 502, message: 'The sign-in provider could not be reached or replied unexpectedly' },
  oauth_no_email: { status: 400, message: 'The sign-in provider shared no email address; an account needs one' },
  oauth_email_unverified: { status: 409, message: 'An account with this email exists, and the provider has not verified the address: sign in with your password and link the provider from your settings' },
  identity_in_use: { status: 409, message: 'This provider account is linked to another user' },
  last_sign_in_method: { status: 409, message: 'This is your only way to sign in: set a password or link another provider first' },
  forbidden: { status: 403, message: 'This action is not allowed for this organisation' },
  last_owner: { status: 409, message: 'An organisation keeps at least one owner: make someone else owner first' },
  already_member: { status: 409, message: 'This person is already a member of the organisation' },
  invitation_used: { status: 409, message: 'The invitation has already been accepted' },
  invitation_expired: { status: 410, message: 'The invitation has expired; ask for a new one' },
  invitation_revoked: { status: 410, message: 'The invitation was withdrawn; ask for a new one' },
  invitation_email_mismatch: { status: 403, message: 'The invitation was sent to another email address: sign in with a verified account of that address' },
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
