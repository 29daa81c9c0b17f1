// The organisation's retention (issue 18): how many days raw points, 5-minute and 1-hour rollups are
// kept. Read with the read scope; set or reset with the admin scope (an organisation-wide setting that
// destroys data, like channels and keys). Enforced by the maintenance job (src/jobs/maintenance.ts).
import { Type, type Static } from 'typebox';
import { AppError } from '../../core/errors.js';
import { DEFAULT_RETENTION, RETENTION_MAX_DAYS, RETENTION_MIN_DAYS, getRetention, resetRetention, retentionProblems, setRetention, type OrgRetention } from '../../metrics/points/retention.js';
import type { Sql } from '../../store/sql.js';
import { authOf } from '../plugins/auth.js';
import { responses } from '../schemas.js';
import type { App } from '../types.js';

const tags = ['retention'];

const days = (description: string) => Type.Integer({ minimum: RETENTION_MIN_DAYS, maximum: RETENTION_MAX_DAYS, description });
const settingsFields = {
  rawDays: days(`Days raw points (every sample) are kept (default ${DEFAULT_RETENTION.rawDays})`),
  rollup5mDays: days(`Days 5-minute aggregates are kept; at least rawDays (default ${DEFAULT_RETENTION.rollup5mDays})`),
  rollup1hDays: days(`Days 1-hour aggregates are kept; at least rollup5mDays (default ${DEFAULT_RETENTION.rollup1hDays})`),
};

/** The retention figures alone (also in the series catalogue). */
export const RetentionFigures = Type.Object(settingsFields);

const RetentionSchema = Type.Object({
  ...settingsFields,
  defaults: Type.Object(settingsFields, { description: 'The platform defaults, in force while isDefault' }),
  isDefault: Type.Boolean({ description: 'True when the organisation has set nothing (the defaults apply)' }),
});

const RetentionBody = Type.Object(settingsFields, { additionalProperties: false });

const json = (r: OrgRetention) => ({ ...r.settings, defaults: { ...DEFAULT_RETENTION }, isDefault: r.isDefault });

export function retentionRoutes(app: App, deps: { sql: Sql }): void {
  app.get(
    '/api/v1/retention',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: "The organisation's retention: days raw points, 5-minute and 1-hour rollups are kept",
        description: 'Older data is removed by the hourly maintenance job: whole time partitions where no organisation keeps them, else row by row. A chunk (2 h or a day of a series) or a rollup day goes once it lies wholly past the horizon.',
        response: responses({ 200: RetentionSchema }),
      },
    },
    async (req) => json(await getRetention(deps.sql, authOf(req).orgId)),
  );

  app.put<{ Body: Static<typeof RetentionBody> }>(
    '/api/v1/retention',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: "Set the organisation's retention (every field; a coarser level may not expire before a finer one)",
        description: 'Shortening it removes the older data at the next maintenance run, for good.',
        body: RetentionBody,
        response: responses({ 200: RetentionSchema }),
      },
    },
    async (req) => {
      const problems = retentionProblems(req.body);
      if (problems.length) {
        const details = problems.map((p) => ({ field: `body.${p.field}`, message: p.message }));
        throw new AppError('validation_failed', `Invalid request: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, details);
      }
      return json(await setRetention(deps.sql, authOf(req).orgId, req.body));
    },
  );

  app.delete(
    '/api/v1/retention',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: "Reset the organisation's retention to the defaults", response: responses({ 200: RetentionSchema }) },
    },
    async (req) => json(await resetRetention(deps.sql, authOf(req).orgId)),
  );
}
