/**
 * Prometheus remote-write 1.0 and 2.0: which message a request carries (negotiated by its
 * Content-Type, as the 2.0 spec defines) and its body → ingest items. Pure; throws AppError only.
 */
import { AppError } from '../../core/errors.js';
import { decodeWriteMessage, type DecodedWrite, type RemoteWriteVersion } from './remote-write-decode.js';
import { snappyUncompress } from './remote-write-snappy.js';

export type { DecodedWrite, RemoteWriteItem, RemoteWriteCounts, RemoteWriteVersion } from './remote-write-decode.js';

/** `proto=` parameter values → version; no parameter is 1.0 (the spec's backward compatibility). */
const protoVersions: Record<string, RemoteWriteVersion> = { 'prometheus.WriteRequest': 1, 'io.prometheus.write.v2.Request': 2 };

export interface RemoteWriteLimits {
  /** Largest decompressed body, bytes (checked from the snappy header, before allocating): 413 beyond. */
  maxDecodedBytes: number;
  /** Most samples (float and histogram) per request: 413 beyond. */
  maxSamples: number;
}

/**
 * The limits the route applies. Prometheus sends at most `max_samples_per_send` (default 2,000)
 * samples per request, well under 1 MiB decoded; these leave a 50× margin for tuned senders.
 */
export const remoteWriteLimits: RemoteWriteLimits = { maxDecodedBytes: 32 * 1024 * 1024, maxSamples: 100_000 };

/**
 * The message version of a request from its Content-Type and Content-Encoding headers: 415 for
 * another media type, another `proto=` or another encoding; 400 when the snappy encoding is not
 * declared (a 1.x sender must send it; the body cannot be read without it).
 */
export function negotiateRemoteWrite(contentType: string | undefined, contentEncoding: string | undefined): RemoteWriteVersion {
  const [media = '', ...params] = (contentType ?? '').split(';');
  if (media.trim().toLowerCase() !== 'application/x-protobuf') {
    throw new AppError('unsupported_media_type', `Remote-write bodies are Content-Type: application/x-protobuf (got "${media.trim().slice(0, 60)}")`, { supported: supportedTypes() });
  }
  let version: RemoteWriteVersion = 1;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'proto') continue;
    const proto = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    const v = protoVersions[proto];
    if (!v) throw new AppError('unsupported_media_type', `Remote-write message "${proto.slice(0, 80)}" is not supported`, { supported: supportedTypes() });
    version = v;
  }
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') throw new AppError('bad_request', 'Remote-write bodies are snappy-compressed: send Content-Encoding: snappy');
  if (encoding !== 'snappy') throw new AppError('unsupported_encoding', `Remote-write bodies are Content-Encoding: snappy (got "${encoding.slice(0, 40)}")`, { supported: ['snappy'] });
  return version;
}

function supportedTypes(): string[] {
  return ['application/x-protobuf', ...Object.keys(protoVersions).map((p) => `application/x-protobuf;proto=${p}`)];
}

/** A snappy-compressed remote-write body of `version` → items, undecodable items and counts. */
export function decodeRemoteWrite(body: Uint8Array, version: RemoteWriteVersion, limits: RemoteWriteLimits = remoteWriteLimits): DecodedWrite {
  const bytes = snappyUncompress(body, limits.maxDecodedBytes);
  return decodeWriteMessage(bytes, version, { maxSamples: limits.maxSamples });
}
