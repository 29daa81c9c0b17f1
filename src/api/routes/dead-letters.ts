import { Type, type Static } from 'typebox';
import { deleteDeadLetters, getDeadLetters, listDeadLetters, type DeadLetter } from '../../ingest/dead-letters.js';
import type { IngestDeps } from '../../ingest/ingest.js';
import { reprocessDeadLetters } from '../../ingest/reprocess.js';
import { sourceById, viaSource } from '../../sources/resolve.js';
import type { Sql } from '../../store/sql.js';
import { AppError } from '../../core/errors.js';
import { decodeCursor, encodeCursor, timeParam } from '../cursor.js';
import { authOf } from '../plugins/auth.js';
import { DateTime, responses, Uuid } from '../schemas.js';
import type { App } from '../types.js';

const DeadLetterSchema = Type.Object({
  id: Uuid,
  source: Type.String({ description: 'The source\'s name when the item came (or a free label such as "api")' }),
  sourceId: Type.Union([Uuid, Type.Null()], { description: 'The configured source it came through; null: none, or since deleted. Reprocessing applies its current defaults and mapping.' }),
  requestId: Type.Union([Type.String(), Type.Null()]),
  item: Type.Unknown({ description: 'The raw item as received (or as last corrected)' }),
  error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Union([Type.String(), Type.Null()]) }),
  attempts: Type.Integer(),
  receivedAt: DateTime,
  updatedAt: DateTime,
});

const ListQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 64 })),
    source: Type.Optional(Type.String({ maxLength: 64 })),
    sourceId: Type.Optional(Uuid),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

const ReprocessBody = Type.Object(
  {
    ids: Type.Array(Uuid, { minItems: 1, maxItems: 1000 }),
    // A Record's key format is not checked by ajv: the pattern plus additionalProperties refuses keys that are not ids.
    corrections: Type.Optional(
      Type.Record(Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }), Type.Unknown(), {
        additionalProperties: false,
        description: 'Corrected items by dead-letter id',
      }),
    ),
  },
  { additionalProperties: false },
);

function letterJson(l: DeadLetter) {
  return {
    id: l.id,
    source: l.source,
    sourceId: l.sourceId,
    requestId: l.requestId,
    item: l.raw,
    error: { code: l.errorCode, message: l.errorMessage, field: l.errorField },
    attempts: l.attempts,
    receivedAt: l.receivedAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}

/** The dead-letter queue: rejected items, listed, inspected, reprocessed (optionally corrected) or deleted. */
export function deadLetterRoutes(app: App, deps: IngestDeps): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/dead-letters',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['dead letters'],
        summary: 'List rejected items, newest first',
        querystring: ListQuery,
        response: responses({ 200: Type.Object({ items: Type.Array(DeadLetterSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }) }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      const { code, source, sourceId, limit, cursor } = req.query;
      const from = req.query.from !== undefined ? new Date(timeParam(req.query.from, 'querystring.from')) : undefined;
      const to = req.query.to !== undefined ? new Date(timeParam(req.query.to, 'querystring.to')) : undefined;
      const shape = { code, source, sourceId: sourceId?.toLowerCase(), from: from?.getTime(), to: to?.getTime() };
      const after = cursor
        ? decodeCursor<{ r: number; i: string }>(cursor, shape, (p): p is { r: number; i: string } => typeof p.r === 'number' && typeof p.i === 'string' && /^[0-9a-f-]{36}$/.test(p.i))
        : undefined;
      const page = await listDeadLetters(deps.sql, orgId, { code, source, sourceId, from, to, limit, after: after && { receivedAt: new Date(after.r), id: after.i } });
      const last = page.items[page.items.length - 1];
      return { items: page.items.map(letterJson), nextCursor: page.more && last ? encodeCursor({ r: last.receivedAt.getTime(), i: last.id }, shape) : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/dead-letters/:id',
    { config: { scope: 'read' }, schema: { tags: ['dead letters'], summary: 'One rejected item', params: Type.Object({ id: Uuid }), response: responses({ 200: DeadLetterSchema }) } },
    async (req) => {
      const [letter] = await getDeadLetters(deps.sql, authOf(req).orgId, [req.params.id]);
      if (!letter) throw new AppError('not_found', `No dead letter ${req.params.id}`);
      return letterJson(letter);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/dead-letters/:id',
    { config: { scope: 'write' }, schema: { tags: ['dead letters'], summary: 'Delete a rejected item', params: Type.Object({ id: Uuid }), response: { 204: Type.Null(), '4xx': Type.Ref('ErrorResponse') } } },
    async (req, reply) => {
      const n = await deleteDeadLetters(deps.sql, authOf(req).orgId, [req.params.id]);
      if (!n) throw new AppError('not_found', `No dead letter ${req.params.id}`);
      return reply.status(204).send();
    },
  );

  app.post<{ Body: Static<typeof ReprocessBody> }>(
    '/api/v1/dead-letters/reprocess',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['dead letters'],
        summary: 'Validate queued items again (optionally corrected) and store those that pass',
        body: ReprocessBody,
        response: responses({
          200: Type.Object({
            stored: Type.Integer(),
            duplicates: Type.Integer(),
            failed: Type.Array(Type.Object({ id: Uuid, code: Type.String(), message: Type.String(), field: Type.String() })),
            notFound: Type.Array(Uuid),
          }),
        }),
      },
    },
    async (req) => {
      const { orgId } = authOf(req);
      // Items that came through a source get its defaults and mapping as they are now.
      const viaOf = async (tx: Sql, sourceId: string) => {
        const source = await sourceById(tx, orgId, sourceId);
        return source ? viaSource(source) : null;
      };
      return reprocessDeadLetters(deps, orgId, req.body.ids, new Map(Object.entries(req.body.corrections ?? {})), viaOf);
    },
  );
}
