/**
 * Influx line protocol on the paths its clients use: POST /api/v2/write (InfluxDB 2.x clients,
 * Telegraf's influxdb_v2 output) and POST /write (1.x clients). The body is decoded by
 * src/ingest/protocols/line-protocol.ts and goes through the one pipeline (ingestThrough).
 *
 * Replies follow InfluxDB where the protocol defines them: 204 once everything is committed; bad
 * lines (or points the pipeline refused) → 400 with InfluxDB's own body, `{"code":"invalid",
 * "message"}` (v2) or `{"error"}` (v1), naming each line, AFTER the valid points were committed
 * (a partial write, as InfluxDB 1.x and Cloud do; Influx clients and Telegraf drop a batch refused
 * with 400 instead of retrying it, which is right since its valid part is stored). Refusals of the
 * platform itself (authentication, a disabled or unknown source, a body or batch too large, gzip,
 * an unknown `precision=`) keep the platform's `{"error": {code, message}}` shape: they are not
 * about the lines sent.
 */
import { Type, type Static } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { IngestDeps, IngestReply } from '../../ingest/ingest.js';
import type { ItemError } from '../../ingest/validate.js';
import { parseLineProtocol, type ParsedLines } from '../../ingest/protocols/line-protocol.js';
import { precisionOf } from '../../ingest/protocols/line-protocol-values.js';
import { sourceNamePattern } from '../../sources/source.js';
import { getOrg } from '../../tenancy/orgs.js';
import { ingestThrough } from '../ingest-through.js';
import { authOf } from '../plugins/auth.js';
import type { App } from '../types.js';

type Flavour = 'v1' | 'v2';

const V2Query = Type.Object(
  {
    org: Type.Optional(Type.String({ description: "The organisation's slug, name or id (checked when given: a key writes into its own only)" })),
    orgID: Type.Optional(Type.String({ description: 'As org' })),
    bucket: Type.Optional(Type.String({ description: 'Names the influx source to write through when no source= is given and the key is bound to none; a name no source has is only a label' })),
    precision: Type.Optional(Type.Union(['ns', 'us', 'ms', 's'].map((p) => Type.Literal(p)), { description: 'Timestamp unit: ns (default), us, ms, s' })),
    source: Type.Optional(Type.String({ description: 'The influx source to write through (also the X-Source header)' })),
  },
  { additionalProperties: true },
);

const V1Query = Type.Object(
  {
    db: Type.Optional(Type.String({ description: "As v2's bucket" })),
    rp: Type.Optional(Type.String({ description: 'Ignored' })),
    precision: Type.Optional(Type.Union(['n', 'ns', 'u', 'us', 'ms', 's', 'm', 'h'].map((p) => Type.Literal(p)), { description: 'Timestamp unit: n or ns (default), u or us, ms, s, m, h' })),
    u: Type.Optional(Type.String({ description: 'Ignored (any user name)' })),
    p: Type.Optional(Type.String({ description: 'The API key, when no Authorization header is sent' })),
    source: Type.Optional(Type.String({ description: 'The influx source to write through (also the X-Source header)' })),
  },
  { additionalProperties: true },
);

/** Points (numeric fields) a request may carry per line it may carry, on average. */
export const pointsPerLine = 64;

/** Errors listed in a 400's message; the rest are counted (all are in the dead-letter queue). */
const listedErrors = 10;

/** InfluxDB's error body for the data's faults: v2 `{code, message}`, v1 `{error}`. */
function influxError(reply: FastifyReply, flavour: Flavour, message: string): FastifyReply {
  reply.code(400).header('content-type', 'application/json; charset=utf-8');
  return reply.send(flavour === 'v2' ? { code: 'invalid', message } : { error: message });
}

/** Each refused point or line as `line N: problem`, in line order. */
function describeErrors(reply: IngestReply, parsed: ParsedLines): string {
  const refused = new Set<ItemError>(parsed.undecodable.map((u) => u.error));
  const byLine = reply.errors.map((e) => {
    if (refused.has(e)) return { line: e.index + 1, text: e.message };
    const line = parsed.lineOf[e.index] ?? e.index + 1;
    return { line, text: `line ${line}: ${e.message}` };
  });
  byLine.sort((a, b) => a.line - b.line);
  const shown = byLine.slice(0, listedErrors).map((e) => e.text);
  const more = byLine.length - shown.length;
  const stored = reply.accepted === 0 ? 'nothing stored' : `partial write: ${reply.accepted} point${reply.accepted === 1 ? '' : 's'} stored`;
  return `${stored}, ${reply.rejected} rejected (kept in the dead-letter queue): ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

/** Refuses an `org` that is not the caller's organisation (its id, slug or name), as X-Org-Id is refused. */
async function checkOrg(deps: IngestDeps, orgId: string, named: string | undefined): Promise<void> {
  if (named === undefined || named === '' || named === orgId) return;
  const org = await getOrg(deps.sql, orgId);
  if (org && (named === org.slug || named === org.name)) return;
  throw new AppError('forbidden', `org "${named.slice(0, 64)}" is not this key's organisation ("${org?.slug ?? orgId}"); a key writes only into its own`, { org: named.slice(0, 64) });
}

export function influxRoutes(app: App, deps: IngestDeps): void {
  async function write(flavour: Flavour, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const q = req.query as Record<string, string | undefined>;
    const { orgId, keySourceId } = authOf(req);
    if (flavour === 'v2') await checkOrg(deps, orgId, q.org || q.orgID);
    // The schema refuses other units (400 validation_failed: a parameter, not the data).
    const precision = precisionOf(q.precision ?? 'ns', flavour);
    if (!precision) throw new AppError('validation_failed', `precision "${String(q.precision).slice(0, 16)}" is not a unit of this path`, [{ field: 'querystring.precision', message: 'is not a known unit' }]);
    const body = req.body;
    if (body !== undefined && body !== null && !Buffer.isBuffer(body)) {
      throw new AppError('unsupported_media_type', 'Line protocol is text: send it as text/plain (or application/octet-stream), not JSON');
    }
    const parsed = parseLineProtocol(body ? body.toString('utf8') : '', precision);
    // Nothing to write is not an error (InfluxDB ≥ 2.1 answers 204 too): nothing is stored or counted.
    if (parsed.lines === 0) return reply.code(204).send();

    // The bucket (db) names the source when nothing else does; a key bound to a source keeps its own.
    const bucket = flavour === 'v2' ? q.bucket : q.db;
    const bodySource = !keySourceId && bucket && sourceNamePattern.test(bucket) ? bucket : undefined;
    // The limit counts lines, what Influx clients and Telegraf batch by (batchSize, metric_batch_size;
    // 1000 by default, as INGEST_MAX_BATCH): a line's fields may make more points than that.
    const max = deps.settings.maxBatch;
    if (parsed.lines > max) {
      throw new AppError('batch_too_large', `A request may carry at most ${max} lines, got ${parsed.lines}; nothing was stored: send fewer lines per request (Telegraf: metric_batch_size ≤ ${max})`, { max, received: parsed.lines });
    }
    const maxPoints = max * pointsPerLine;
    if (parsed.items.length > maxPoints) {
      throw new AppError('batch_too_large', `The lines of this request hold ${parsed.items.length} numeric fields (one point each); at most ${maxPoints} per request: send fewer lines per request`, { max: maxPoints, received: parsed.items.length });
    }
    const outcome = await ingestThrough({ ...deps, settings: { ...deps.settings, maxBatch: Math.max(max, parsed.items.length) } }, req, {
      kind: 'influx',
      fallbackLabel: 'influx',
      bodySource,
      items: parsed.items,
      where: (i) => `line ${parsed.lineOf[i]}`,
      undecodable: parsed.undecodable,
    });
    if (outcome.replayed) return reply.code(204).send(); // no idempotency key is passed: never happens
    if (outcome.body.errors.length === 0) return reply.code(204).send();
    return influxError(reply, flavour, describeErrors(outcome.body, parsed));
  }

  app.register(async (scope) => {
    // Influx clients send line protocol as text/plain, octet-stream, curl's form type, or untyped:
    // in this scope any type without a parser of its own arrives as a Buffer (JSON is refused above).
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.post<{ Querystring: Static<typeof V2Query> }>(
      '/api/v2/write',
      {
        config: { scope: 'write' },
        schema: {
          tags: ['ingest'],
          summary: 'Write Influx line protocol (InfluxDB 2.x API)',
          description:
            'Line protocol, plain or gzip-encoded. Each field is a point: key `measurement.field`, dimensions the tags, booleans 1/0; string fields are refused. ' +
            'Authorization: Token <key> (or Bearer). 204 when everything is stored; 400 {"code":"invalid","message"} naming each bad line, after the valid points were stored.',
          querystring: V2Query,
        },
      },
      (req, reply) => write('v2', req, reply),
    );

    scope.post<{ Querystring: Static<typeof V1Query> }>(
      '/write',
      {
        config: { scope: 'write', keyInQuery: 'p' },
        schema: {
          tags: ['ingest'],
          summary: 'Write Influx line protocol (InfluxDB 1.x API)',
          description: 'As /api/v2/write, with 1.x authentication (Basic with the key as password, or ?p=<key>) and error body {"error"}.',
          querystring: V1Query,
        },
      },
      (req, reply) => write('v1', req, reply),
    );
  });
}
