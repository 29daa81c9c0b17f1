import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { App } from '../types.js';

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
      info: { title: 'IntentVision API', version, description: 'Forecasting and anomaly detection for operational metrics.' },
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
