// The ingest ceiling: a Fastify server whose POST /api/v1/ingest parses the body with the real
// route's JSON schemas, validates every item with the real validateItem, and replies with the
// counts without storing anything (no auth, no database). bench/ingest.ts drives it with the same
// load as the real server to show how much of the time storage costs.
//
//   node --import tsx bench/ceiling-server.ts   (PORT, HOST, BODY_LIMIT in bytes; prints its URL)
import Fastify from 'fastify';
import type { FastifySchema } from 'fastify';
import { ingestRoutes, type IngestReplySchema } from '../src/api/routes/ingest.js';
import type { IngestDeps } from '../src/ingest/ingest.js';
import { validateItem, type ItemError } from '../src/ingest/validate.js';
import type { Static } from 'typebox';

/** The schema object the real route registers, taken from a throwaway app (never listening). */
async function realIngestSchema(): Promise<FastifySchema> {
  let schema: FastifySchema | undefined;
  const probe = Fastify({ logger: false });
  probe.addHook('onRoute', (route) => {
    if (route.url === '/api/v1/ingest' && route.method === 'POST') schema = route.schema;
  });
  ingestRoutes(probe as never, {} as IngestDeps);
  await probe.close();
  if (!schema?.body) throw new Error('the ingest route registered no body schema');
  return schema;
}

const schema = await realIngestSchema();
const maxFutureSkewMs = 300_000;

const app = Fastify({
  logger: false,
  bodyLimit: Number(process.env.BODY_LIMIT ?? 4 * 1024 * 1024),
  trustProxy: false,
  // The same Ajv options as src/app.ts.
  ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
});

app.post<{ Body: { metrics: unknown[]; source?: string } }>(
  '/api/v1/ingest',
  // The real body, header and 200 reply schemas; error replies are not exercised.
  { schema: { body: schema.body, headers: schema.headers, response: { 200: (schema.response as Record<number, unknown>)[200] } } },
  async (req) => {
    const limits = { nowMs: Date.now(), maxFutureSkewMs };
    const items = req.body.metrics;
    let accepted = 0;
    const errors: ItemError[] = [];
    for (let i = 0; i < items.length; i++) {
      const r = validateItem(items[i], i, limits);
      if (r.ok) accepted++;
      else errors.push(r.error);
    }
    const reply: Static<typeof IngestReplySchema> = { accepted, rejected: errors.length, duplicates: 0, dropped: 0, errors };
    return reply;
  },
);

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.stdout.write(`ceiling server is running at ${address} \n`);
const stop = () => void app.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
