// A failed outbound connection, told by its error code only: what the other side said never goes
// into it, so nothing an internal service answers can be read back through an error message.
import { outboundRefusedCode } from './outbound.js';

export type NetworkFailureClass = 'refused_by_outbound_guard' | 'connection_refused' | 'connection_reset' | 'dns_error' | 'timeout' | 'tls_error' | 'network_error';

export interface NetworkFailure {
  classification: NetworkFailureClass;
  /** Our own words and the error code, e.g. "connection refused (ECONNREFUSED)". */
  error: string;
  /** Only a refusal by the guard is permanent: the configuration has to change first. */
  retryable: boolean;
}

/** The error codes along `e` and its causes (fetch hides the socket's error in `cause`), outermost first. */
function codesOf(e: unknown): { codes: string[]; refusal?: string } {
  const codes: string[] = [];
  let refusal: string | undefined;
  for (let x = e as { code?: unknown; cause?: unknown; message?: unknown } | undefined, i = 0; x && typeof x === 'object' && i < 5; x = x.cause as typeof x, i++) {
    if (typeof x.code === 'string') codes.push(x.code);
    if (x.code === outboundRefusedCode && typeof x.message === 'string') refusal = x.message;
  }
  return { codes, ...(refusal !== undefined && { refusal }) };
}

const tlsCode = /^(ERR_TLS_|ERR_SSL_|CERT_|EPROTO$)|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO|HOSTNAME_MISMATCH/;

/** Classifies a connection error (net, tls, undici, the guard) by its code. */
export function networkFailure(e: unknown): NetworkFailure {
  const { codes, refusal } = codesOf(e);
  if (refusal !== undefined) return { classification: 'refused_by_outbound_guard', error: `refused by the outbound guard: ${refusal}`, retryable: false };
  const has = (...list: string[]) => codes.find((c) => list.includes(c));
  let code: string | undefined;
  const fail = (classification: NetworkFailureClass, words: string): NetworkFailure => ({ classification, error: `${words} (${code})`, retryable: true });
  if ((code = has('ECONNREFUSED'))) return fail('connection_refused', 'connection refused');
  if ((code = has('ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA'))) return fail('dns_error', 'name resolution failed');
  if ((code = has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'))) return fail('timeout', 'timed out');
  if ((code = codes.find((c) => tlsCode.test(c)))) return fail('tls_error', 'TLS failed');
  if ((code = has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED'))) return fail('connection_reset', 'connection closed by the other side');
  code = codes[codes.length - 1];
  return code ? fail('network_error', 'network error') : { classification: 'network_error', error: 'network error', retryable: true };
}
