// Prometheus' response envelopes, written as JSON text (a range result holds up to millions of
// samples: serialised once here, not walked again by the app's generic reply hooks).
import type { PromErrorType } from '../promql/types.js';

/** The error types this API answers with and their HTTP statuses (Prometheus' own mapping). */
export type EnvelopeErrorType = PromErrorType | 'internal' | 'not_found';

const statusOf: Record<EnvelopeErrorType, number> = { bad_data: 400, execution: 422, timeout: 503, internal: 500, not_found: 404 };

/** `data` already written as JSON (the engine writes large range results as bytes itself). */
export class RawJson {
  constructor(readonly bytes: Buffer) {}
}

const head = Buffer.from('{"status":"success","data":');

/** `{"status":"success","data":…}` with `warnings` only when there are some. */
export function successEnvelope(data: unknown, warnings: readonly string[] = []): string | Buffer {
  if (data instanceof RawJson) return Buffer.concat([head, data.bytes, Buffer.from(warnings.length ? `,"warnings":${JSON.stringify(warnings)}}` : '}')]);
  return JSON.stringify(warnings.length ? { status: 'success', data, warnings } : { status: 'success', data });
}

/** `{"status":"error","errorType":…,"error":…}` and the status to send it with. */
export function errorEnvelope(type: EnvelopeErrorType, message: string): { status: number; body: string } {
  return { status: statusOf[type], body: JSON.stringify({ status: 'error', errorType: type, error: message }) };
}
