// Bodies that are not JSON, for the metric protocols: protobuf (remote-write, OTLP) and line
// protocol / exposition text arrive as Buffers for the route to decode; gzip-encoded bodies of any
// type are inflated first, with the inflated size held to the body limit (a small bomb cannot
// inflate into gigabytes). Snappy, remote-write's own encoding, is left to its decoder.
import { createGunzip } from 'node:zlib';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../core/errors.js';
import type { App } from '../types.js';

/** Content types parsed as raw Buffers (parameters such as `;proto=…` or `;charset=utf-8` allowed). */
export const rawContentTypes = ['application/x-protobuf', 'application/protobuf', 'application/vnd.google.protobuf', 'text/plain', 'application/octet-stream', 'application/openmetrics-text'];

/** Content-Encodings a route's decoder handles itself; the request arrives still encoded. */
const passThroughEncodings = new Set(['snappy', 'identity', '']);

/** Counts inflated bytes and stops past `limit`. */
class Capped extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      done(new AppError('payload_too_large', `The gzip body inflates past the body limit of ${this.limit} bytes`, { limit: this.limit }));
      return;
    }
    done(null, chunk);
  }
}

export function rawBodies(app: App, bodyLimit: number): void {
  for (const type of rawContentTypes) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  }

  app.addHook('preParsing', async (req, _reply, payload) => {
    const header = req.headers['content-encoding'];
    const encoding = (typeof header === 'string' ? header : '').trim().toLowerCase();
    if (passThroughEncodings.has(encoding)) return payload;
    if (encoding !== 'gzip' && encoding !== 'x-gzip') {
      throw new AppError('unsupported_encoding', `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body as is or gzip-encoded`, { supported: ['gzip', 'identity', 'snappy (remote-write)'] });
    }
    let received = 0;
    payload.on('data', (c: Buffer) => (received += c.length));
    const gunzip = createGunzip();
    const capped = new Capped(bodyLimit);
    payload.on('error', (e) => capped.destroy(e));
    gunzip.on('error', (e) => capped.destroy(new AppError('bad_request', `The gzip body is corrupt or truncated: ${e.message}`)));
    payload.pipe(gunzip).pipe(capped);
    // Fastify compares Content-Length with what the parser read: the encoded length is what was sent.
    Object.defineProperty(capped, 'receivedEncodedLength', { get: () => received });
    return capped;
  });
}
