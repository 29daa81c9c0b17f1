/**
 * OTLP/HTTP metrics (pure): a request body in either encoding → the items the ingest pipeline takes,
 * and the pipeline's reply → the partial success OTLP answers with.
 */
import type { ItemError } from '../validate.js';
import { flattenOtlp, type OtlpBatch } from './otlp-flatten.js';
import { decodeRequestProtobuf, OtlpMalformed, type PartialSuccess } from './otlp-wire.js';

export type OtlpFormat = 'protobuf' | 'json';

/** The encoding a Content-Type names; null when OTLP/HTTP has none of that type. */
export function otlpFormatOf(contentType: string | undefined): OtlpFormat | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf' || type === 'application/vnd.google.protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

/** Decodes and flattens a body (a Buffer for protobuf, the parsed JSON value for JSON); throws {@link OtlpMalformed}. */
export function decodeOtlp(format: OtlpFormat, body: unknown): OtlpBatch {
  if (format === 'protobuf') {
    if (body === undefined || body === null) return flattenOtlp({});
    if (!(body instanceof Uint8Array)) throw new OtlpMalformed('a protobuf body was expected');
    return flattenOtlp(decodeRequestProtobuf(body));
  }
  if (body === undefined || body === null) throw new OtlpMalformed('must be an ExportMetricsServiceRequest object', 'body');
  return flattenOtlp(body);
}

/** At most this many errors are quoted in partialSuccess.errorMessage. */
const quotedErrors = 3;

/**
 * OTLP's partial success for the pipeline's errors (item errors index items; the batch's own
 * undecodable errors are matched by identity, as the pipeline passes them through): the number of
 * data points with at least one rejected value, and the first errors. Null when nothing was rejected.
 */
export function partialSuccessOf(batch: OtlpBatch, errors: ItemError[]): PartialSuccess | null {
  if (!errors.length) return null;
  const ownErrors = new Map(batch.undecodable.map((u) => [u.error, u.point]));
  const points = new Set<number>();
  for (const e of errors) {
    const own = ownErrors.get(e);
    points.add(own ?? batch.pointOf[e.index] ?? -1 - e.index);
  }
  const quoted = errors.slice(0, quotedErrors).map((e) => `${e.field}: ${e.message}`);
  const more = errors.length > quotedErrors ? `; and ${errors.length - quotedErrors} more (GET /api/v1/dead-letters lists them)` : '';
  const n = points.size;
  return {
    rejectedDataPoints: n,
    errorMessage: `${n} of ${batch.dataPoints} data point${batch.dataPoints === 1 ? '' : 's'} rejected (${errors.length} value${errors.length === 1 ? '' : 's'}): ${quoted.join('; ')}${more}`,
  };
}
