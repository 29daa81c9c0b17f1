import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { App } from '../types.js';
import { maxJsonDepth } from './json-body.js';

/** OpenAPI document at /docs/json and a browsable UI at /docs, built from the route schemas. */
export async function apiDocs(app: App, version: string): Promise<void> {
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (scope && scope !== 'public') {
      route.schema = { ...route.schema, security: [{ bearerAuth: [] }, { apiKeyHeader: [] }] };
      const desc = route.schema.description ? `${route.schema.description}\n\n` : '';
      route.schema.description = `${desc}Requires scope \`${scope}\`.`;
    }
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'IntentVision API',
        version,
        description:
          `Forecasting and anomaly detection for operational metrics.\n\nJSON bodies: at most ${maxJsonDepth} levels of nested objects and arrays (deeper: 400 \`json_too_deep\`, before the route runs); every number finite (a literal beyond ±1.8e308, such as 1e999, is a 400 \`validation_failed\` naming the field). ` +
          'Replies never carry NaN or Infinity: a figure without a finite value is null, with the reason beside it where the schema has one (`nullReasons`, `reason`).',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer iv_…' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
