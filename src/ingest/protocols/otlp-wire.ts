/**
 * OTLP/HTTP protobuf on the wire (pure): decoding ExportMetricsServiceRequest and encoding the two
 * replies, ExportMetricsServiceResponse and google.rpc.Status, with protobufjs reflection over
 * {@link otlpDescriptor}. The JSON encoding of the same messages is written here too, so a route
 * answers in the request's own content type.
 */
import protobuf from 'protobufjs';
import { otlpDescriptor } from './otlp-descriptor.js';

const root = protobuf.Root.fromJSON(otlpDescriptor);
const requestType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
const responseType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');
const statusType = root.lookupType('google.rpc.Status');
const errorInfoType = root.lookupType('google.rpc.ErrorInfo');

/** The body is not an OTLP request: the whole request is refused (HTTP 400), nothing is stored. */
export class OtlpMalformed extends Error {
  constructor(
    message: string,
    /** Where in the request, e.g. `resourceMetrics[0].scopeMetrics[1].metrics[2].sum`. */
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'OtlpMalformed';
  }
}

/**
 * A protobuf ExportMetricsServiceRequest as a message object: field names as in OTLP/JSON, fields
 * that were sent are own properties (absent ones fall back to the prototype's defaults), 64-bit
 * integers as Long. Truncated or corrupt bytes throw {@link OtlpMalformed}.
 */
export function decodeRequestProtobuf(body: Uint8Array): object {
  try {
    return requestType.decode(body);
  } catch (err) {
    // RangeError "index out of range" (truncated), "invalid wire type", or a stack overflow on absurd nesting.
    const why = err instanceof Error ? err.message : String(err);
    throw new OtlpMalformed(`the body is not a valid protobuf ExportMetricsServiceRequest (${why})`);
  }
}

export interface PartialSuccess {
  rejectedDataPoints: number;
  errorMessage: string;
}

/** ExportMetricsServiceResponse; `partialSuccess` is left unset when nothing was rejected, as the spec asks. */
export function encodeResponseProtobuf(partial: PartialSuccess | null): Uint8Array {
  return responseType.encode(responseType.create(partial ? { partialSuccess: partial } : {})).finish();
}

/** The same reply in OTLP/JSON (int64 as a decimal string, per the protobuf JSON mapping). */
export function responseJson(partial: PartialSuccess | null): Record<string, unknown> {
  return partial ? { partialSuccess: { rejectedDataPoints: String(partial.rejectedDataPoints), errorMessage: partial.errorMessage } } : {};
}

/** What google.rpc.Status carries here: a gRPC code, a message, and the platform's error code as ErrorInfo. */
export interface StatusReply {
  code: number;
  message: string;
  /** The platform's error code (`bad_request`, `batch_too_large` …), as ErrorInfo.reason. */
  reason: string;
  metadata?: Record<string, string>;
}

export const errorInfoTypeUrl = 'type.googleapis.com/google.rpc.ErrorInfo';
export const errorDomain = 'intentvision';

export function encodeStatusProtobuf(s: StatusReply): Uint8Array {
  const info = errorInfoType.encode(errorInfoType.create({ reason: s.reason, domain: errorDomain, metadata: s.metadata ?? {} })).finish();
  return statusType.encode(statusType.create({ code: s.code, message: s.message, details: [{ typeUrl: errorInfoTypeUrl, value: info }] })).finish();
}

/** Decodes a google.rpc.Status and its ErrorInfo detail (for tests and clients of this module). */
export function decodeStatusProtobuf(body: Uint8Array): StatusReply {
  const s = statusType.toObject(statusType.decode(body), { defaults: true }) as { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] };
  const info = s.details.find((d) => d.typeUrl === errorInfoTypeUrl);
  const e = info ? (errorInfoType.toObject(errorInfoType.decode(info.value), { defaults: true }) as { reason: string; metadata: Record<string, string> }) : { reason: '', metadata: {} };
  return { code: s.code, message: s.message, reason: e.reason, metadata: e.metadata };
}

/** Decodes an ExportMetricsServiceResponse (for tests). */
export function decodeResponseProtobuf(body: Uint8Array): { partialSuccess?: PartialSuccess } {
  const r = responseType.toObject(responseType.decode(body), { longs: Number }) as { partialSuccess?: PartialSuccess };
  return r.partialSuccess ? { partialSuccess: { rejectedDataPoints: r.partialSuccess.rejectedDataPoints ?? 0, errorMessage: r.partialSuccess.errorMessage ?? '' } } : {};
}

/** Encodes a request from an OTLP/JSON-shaped object (for tests: the same payload in both encodings). */
export function encodeRequestProtobuf(request: object): Uint8Array {
  return requestType.encode(requestType.fromObject(request)).finish();
}
