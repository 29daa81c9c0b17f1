/**
 * How failures are told to an OTLP client (pure): the gRPC status code a google.rpc.Status carries
 * for an HTTP status, and which failures are worth a retry. OTLP/HTTP clients retry 429, 502, 503
 * and 504 only and drop the data on any other status, so a database that is briefly unreachable
 * must answer 503, not 500.
 */

/** google.rpc.Code for the HTTP status of a refusal. */
export function grpcCodeOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 409:
      return 10; // ABORTED
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return httpStatus >= 500 ? 13 : 3; // INTERNAL : INVALID_ARGUMENT
  }
}

/** Node socket errors of a store that is down or restarting. */
const transientErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Whether `err` (thrown by the store) is a condition that passes: the database unreachable or
 * restarting, out of connections, a serialization failure or deadlock. SQLSTATE classes 08
 * (connection), 53 (insufficient resources), 57P01–57P03 (shutdown, cannot connect now), 40001 and
 * 40P01; pg's pool timeouts and dropped connections.
 */
export function isTransientStoreError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (transientErrnos.has(code)) return true;
  if (/^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[123]|40001|40P01)$/.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/i.test(message)) return true;
  // Node's AggregateError (connecting to several addresses of one host) holds the socket errors.
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isTransientStoreError);
}
