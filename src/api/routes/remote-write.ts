import { Type, type Static } from 'typebox';
import { AppError, errorBody } from '../../core/errors.js';
import type { IngestDeps } from '../../ingest/ingest.js';
import type { ItemError } from '../../ingest/validate.js';
import { decodeRemoteWrite, negotiateRemoteWrite, remoteWriteLimits, type DecodedWrite } from '../../ingest/protocols/remote-write.js';
import { ingestThrough } from '../ingest-through.js';
import { responses } from '../schemas.js';
import type { App } from '../types.js';

const Query = Type.Object({
  source: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'The prometheus-remote-write source to send through (also the X-Source header)' })),
});

/** Errors named in a 400's message: enough for Prometheus' log line, the rest are in the dead-letter queue. */
const errorsShown = 5;

interface Totals {
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: ItemError[];
}

/**
 * Stores the decoded samples through the one pipeline in one commit: 2xx means every sample of the
 * request is stored. The ingest batch limit (INGEST_MAX_BATCH, the webhook's items per request) does
 * not cut a remote-write request: Prometheus sends up to `max_samples_per_send` (2,000 by default),
 * and the decoder already bounds a request ({@link remoteWriteLimits}: 100,000 samples).
 */
async function store(deps: IngestDeps, req: Parameters<typeof ingestThrough>[1], d: DecodedWrite): Promise<Totals> {
  const outcome = await ingestThrough({ ...deps, settings: { ...deps.settings, maxBatch: Math.max(deps.settings.maxBatch, d.items.length) } }, req, {
    kind: 'prometheus-remote-write',
    fallbackLabel: 'prometheus-remote-write',
    items: d.items,
    where: (i) => `timeseries[${d.seriesAt[i]}].samples[${d.sampleAt[i]}]`,
    undecodable: d.undecodable,
  });
  // Without an Idempotency-Key nothing is replayed; the branch only narrows the type.
  if (outcome.replayed) return { accepted: 0, duplicates: 0, rejected: 0, errors: [] };
  const b = outcome.body;
  return { accepted: b.accepted, duplicates: b.duplicates, rejected: b.rejected, errors: b.errors.slice(0, errorsShown) };
}

/**
 * Prometheus remote-write 1.0 and 2.0 at POST /api/v1/write. Replies as the protocol expects: 204
 * with no body once everything is committed; 400 (after committing the valid samples and
 * dead-lettering the others) when some samples were rejected, so the sender does not retry a batch
 * that cannot succeed; 400 / 413 / 415 for bodies that cannot be read, storing nothing; 5xx (which
 * Prometheus retries) when the store fails. The body of an error is the platform's error shape: the
 * protocol defines none (the sender logs it as is).
 */
export function remoteWriteRoutes(app: App, deps: IngestDeps): void {
  app.post<{ Querystring: Static<typeof Query> }>(
    '/api/v1/write',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['ingest'],
        summary: 'Prometheus remote-write (1.0 and 2.0)',
        description:
          'Snappy-compressed protobuf (Content-Encoding: snappy): `application/x-protobuf` or `;proto=prometheus.WriteRequest` (1.0), ' +
          '`;proto=io.prometheus.write.v2.Request` (2.0). `__name__` becomes the key, the other labels dimensions. Stale markers and ' +
          'other NaN/±Inf samples, native histograms and exemplars are skipped and counted in reply headers. 204 once committed; 400 when ' +
          'some samples were rejected (the others are stored, the rejected ones are in the dead-letter queue).',
        querystring: Query,
        response: responses({ 204: Type.Null({ description: 'Every sample stored (or skipped as described)' }) }),
      },
    },
    async (req, reply) => {
      const version = negotiateRemoteWrite(req.headers['content-type'], req.headers['content-encoding']);
      // A body that is not a Buffer was parsed as something else (its Content-Type was refused above).
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const decoded = decodeRemoteWrite(body, version, remoteWriteLimits);
      const t = await store(deps, req, decoded);
      const c = decoded.counts;
      // 2.0's required reply headers (histograms and exemplars are not stored), and what was skipped.
      reply.header('X-Prometheus-Remote-Write-Samples-Written', String(t.accepted + t.duplicates));
      reply.header('X-Prometheus-Remote-Write-Histograms-Written', '0');
      reply.header('X-Prometheus-Remote-Write-Exemplars-Written', '0');
      reply.header('X-Remote-Write-Skipped', `stale=${c.staleMarkers}, nonfinite=${c.nonFinite}, histograms=${c.histograms}, exemplars=${c.exemplars}`);
      if (t.rejected) {
        const shown = t.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
        const err = new AppError(
          'points_rejected',
          `${t.rejected} of ${c.samples} samples rejected (${shown}${t.rejected > t.errors.length ? '; …' : ''}); ${t.accepted + t.duplicates} stored. The rejected samples are in the dead-letter queue`,
          { accepted: t.accepted, duplicates: t.duplicates, rejected: t.rejected, errors: t.errors },
        );
        return reply.status(400).type('application/json').send(errorBody(err));
      }
      return reply.status(204).send();
    },
  );
}
