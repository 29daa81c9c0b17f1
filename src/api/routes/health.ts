import type { App } from '../types.js';
import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { migrationStatus, type Migration } from '../../store/migrate.js';
import type { Sql } from '../../store/sql.js';
import { responses } from '../schemas.js';

/** GET /healthz: the process is up. GET /readyz: the database answers and no migration is pending. */
export function healthRoutes(app: App, deps: { sql: Sql; migrations: Migration[] }): void {
  app.get(
    '/healthz',
    {
      config: { scope: 'public' },
      schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: responses({ 200: Type.Object({ status: Type.Literal('ok') }) }) },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable and migrations applied',
        response: responses({ 200: Type.Object({ status: Type.Literal('ready'), database: Type.String(), migrations: Type.Object({ applied: Type.Integer(), pending: Type.Integer() }) }) }),
      },
    },
    async () => {
      if (!(await deps.sql.ping())) throw new AppError('service_unavailable', 'The database does not answer', { database: 'unreachable' });
      const status = await migrationStatus(deps.sql, deps.migrations);
      if (status.pending.length || status.changed.length) {
        throw new AppError('service_unavailable', 'Database migrations are not applied', {
          pending: status.pending.map((m) => m.file),
          changed: status.changed.map((m) => m.version),
        });
      }
      return { status: 'ready' as const, database: deps.sql.driver, migrations: { applied: status.applied.length, pending: 0 } };
    },
  );
}
