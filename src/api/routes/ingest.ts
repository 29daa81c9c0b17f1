import { Type, type Static } from 'typebox';
import { ingest, type IngestDeps } from '../../ingest/ingest.js';
import { maxIdempotencyKeyLength, requestFingerprint } from '../../ingest/idempotency.js';
import { authOf } from '../plugins/auth.js';
import { responses } from '../schemas.js';
import type { App } from '../types.js';

const IngestBody = Type.Object(
  {
    // Items are validated one by one in the domain, so one bad item does not fail the batch.
    metrics: Type.Array(Type.Unknown(), { description: '[{key, value, timestamp (ISO-8601 or epoch ms), dimensions?}]' }),
    source: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'Name of the sender, kept with rejected items (default "api")' })),
  },
  { additionalProperties: false },
);

const IngestHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: maxIdempotencyKeyLength })),
});

export const IngestReplySchema = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  duplicates: Type.Integer(),
  errors: Type.Array(Type.Object({ index: Type.Integer(), code: Type.String(), message: Type.String(), field: Type.String() })),
});

/** POST /api/v1/ingest: a batch of metrics, each validated on its own. */
export function ingestRoutes(app: App, deps: IngestDeps): void {
  app.post<{ Body: Static<typeof IngestBody>; Headers: Static<typeof IngestHeaders> }>(
    '/api/v1/ingest',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['ingest'],
        summary: 'Ingest a batch of metrics',
        description:
          'Valid items are stored even when others fail; rejected items go to the dead-letter queue. The reply is sent after the data is committed. ' +
          'With an Idempotency-Key header a retry returns the first reply (header Idempotent-Replayed: true) and stores nothing again.',
        body: IngestBody,
        headers: IngestHeaders,
        response: responses({ 200: IngestReplySchema }),
      },
    },
    async (req, reply) => {
      const { orgId } = authOf(req);
      const key = req.headers['idempotency-key'];
      const outcome = await ingest(deps, {
        orgId,
        requestId: req.id,
        source: req.body.source ?? 'api',
        items: req.body.metrics,
        idempotency: key ? { key, fingerprint: requestFingerprint('POST /api/v1/ingest', req.body) } : undefined,
      });
      if (outcome.replayed) reply.header('Idempotent-Replayed', 'true');
      return reply.status(outcome.status).send(outcome.body);
    },
  );
}
