import { Type, type Static } from 'typebox';
import type { IngestDeps } from '../../ingest/ingest.js';
import { ingestThrough, namedSource } from '../ingest-through.js';
import { maxIdempotencyKeyLength, requestFingerprint } from '../../ingest/idempotency.js';
import { responses } from '../schemas.js';
import type { App } from '../types.js';

const IngestBody = Type.Object(
  {
    // Items are validated one by one in the domain, so one bad item does not fail the batch.
    metrics: Type.Array(Type.Unknown(), { description: '[{key, value, timestamp? (ISO-8601 or epoch ms; absent: the time received), dimensions?}]' }),
    source: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'A webhook source to send through (its defaults and mapping apply); a name no source has is only kept with rejected items (default "api")' }),
    ),
  },
  { additionalProperties: false },
);

const IngestQuery = Type.Object({
  source: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'The webhook source to send through (also the X-Source header)' })),
});

const IngestHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: maxIdempotencyKeyLength })),
});

export const IngestReplySchema = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  duplicates: Type.Integer(),
  dropped: Type.Integer({ description: "Items the source's mapping dropped on purpose" }),
  errors: Type.Array(Type.Object({ index: Type.Integer(), code: Type.String(), message: Type.String(), field: Type.String() })),
});

/** POST /api/v1/ingest: a batch of metrics, each validated on its own. */
export function ingestRoutes(app: App, deps: IngestDeps): void {
  app.post<{ Body: Static<typeof IngestBody>; Headers: Static<typeof IngestHeaders>; Querystring: Static<typeof IngestQuery> }>(
    '/api/v1/ingest',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['ingest'],
        summary: 'Ingest a batch of metrics',
        description:
          'Valid items are stored even when others fail; rejected items go to the dead-letter queue. The reply is sent after the data is committed. ' +
          'With an Idempotency-Key header a retry returns the first reply (header Idempotent-Replayed: true) and stores nothing again. ' +
          'A gzip body (Content-Encoding: gzip) is accepted. Through a source (?source=, X-Source, the body\'s source, or the key\'s binding) the source\'s default dimensions and mapping apply.',
        body: IngestBody,
        querystring: IngestQuery,
        headers: IngestHeaders,
        response: responses({ 200: IngestReplySchema }),
      },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key'];
      const named = namedSource(req);
      const outcome = await ingestThrough(deps, req, {
        kind: 'webhook',
        fallbackLabel: 'api',
        bodySource: req.body.source,
        items: req.body.metrics,
        // The named source is part of the request: the same key with another ?source= or X-Source is another request.
        idempotency: key ? { key, fingerprint: requestFingerprint(`POST /api/v1/ingest${named ? `?source=${named.name}` : ''}`, req.body) } : undefined,
      });
      if (outcome.replayed) reply.header('Idempotent-Replayed', 'true');
      return reply.status(outcome.status).send(outcome.body);
    },
  );
}
